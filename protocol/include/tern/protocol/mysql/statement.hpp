// Prepared statements: the COM_STMT_PREPARE_OK reply, parameter binding and the
// COM_STMT_EXECUTE request (binary protocol). The result rows are parsed by
// parse_binary_row (rows.hpp) and decoded by the Type<T> codecs (types.hpp).
// CLIENT_QUERY_ATTRIBUTES (MySQL 8.0.23+) changes COM_STMT_EXECUTE; tern does not ask for it.
// MariaDB: https://mariadb.com/kb/en/com_stmt_prepare/ and
// https://mariadb.com/kb/en/com_stmt_execute/
//          (in https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html,
//        page_protocol_com_stmt_execute.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/types.hpp"

namespace tern::mysql {

using protocol::Bytes;
using protocol::ByteWriter;

/// COM_STMT_PREPARE_OK. num_params parameter definitions follow, then num_columns column
/// definitions (each group ended by an EOF packet unless CLIENT_DEPRECATE_EOF).
struct PrepareOk {
  std::uint32_t statement_id = 0;  ///< the server's id of the statement
  std::uint16_t num_columns = 0;   ///< columns of its result (0: no result set)
  std::uint16_t num_params = 0;    ///< its ? placeholders
  std::uint16_t warnings = 0;      ///< warnings of the prepare
};
/// Parses a COM_STMT_PREPARE_OK payload (0x00, id, columns, params, filler[, warnings]).
/// Throws ProtocolError.
PrepareOk parse_prepare_ok(Bytes payload);

/// COM_STMT_EXECUTE cursor flags.
namespace cursor {
inline constexpr std::uint8_t kNoCursor = 0,  ///< CURSOR_TYPE_NO_CURSOR: rows follow the execute
    kReadOnly = 1,                            ///< CURSOR_TYPE_READ_ONLY
    kForUpdate = 2,                           ///< CURSOR_TYPE_FOR_UPDATE
    kScrollable = 4;                          ///< CURSOR_TYPE_SCROLLABLE
}  // namespace cursor

/// The parameters of one COM_STMT_EXECUTE, encoded as they are added (binary protocol).
/// Usage: StmtParams p; p.add(std::int64_t{42}); p.add("text"); p.add(std::optional<Date>{});
class StmtParams {
 public:
  /// Adds a value of a type with a codec (Type<T>), or a std::optional of one (nullopt is
  /// NULL). Throws TypeError when the value cannot be encoded.
  template <class T>
  requires MysqlValue<T>
  void add(const T& value) {
    const std::size_t rollback = values_.size();
    ByteWriter w(values_);
    try {
      Type<T>::encode(value, w);
    } catch (...) {
      values_.resize(rollback);
      throw;
    }
    push_type(Type<T>::kType, Type<T>::kUnsigned, false);
  }
  /// Adds an optional value: NULL when empty.
  template <class T>
  requires MysqlValue<T>
  void add(const std::optional<T>& value) {
    if (value) {
      add(*value);
    } else {
      add_null();
    }
  }
  /// Adds a string (sent as STRING).
  void add(std::string_view text);
  /// Adds a NUL-terminated string (sent as STRING).
  void add(const char* text) { add(std::string_view(text)); }
  /// Adds a NULL (sent with type NULL).
  void add(std::nullopt_t) { add_null(); }
  /// Adds a NULL (sent with type NULL).
  void add_null();
  /// Adds an already encoded binary value of type `type` (for types without a codec).
  void add_raw(FieldType type, bool is_unsigned, Bytes binary_value);

  /// Number of parameters added.
  std::size_t size() const noexcept { return count_; }
  /// Removes every parameter (capacity is kept).
  void clear() noexcept;
  /// The NULL bitmap ((size() + 7) / 8 bytes, bit i = parameter i).
  std::string_view null_bitmap() const noexcept { return null_bitmap_; }
  /// The parameter types: 2 bytes each (type, 0x80 when unsigned).
  std::string_view types() const noexcept { return types_; }
  /// The non-NULL values, back to back.
  std::string_view values() const noexcept { return values_; }

 private:
  void push_type(FieldType type, bool is_unsigned, bool is_null);

  std::string null_bitmap_;
  std::string types_;
  std::string values_;
  std::size_t count_ = 0;
};

/// Appends a COM_STMT_EXECUTE of `statement_id` with `params`; iteration count 1. The types are
/// sent when `send_types` (new-params-bound flag = 1): always on the first execution, and
/// whenever they changed; the server remembers them otherwise. Throws
/// ClientError(kParamCountMismatch) unless params.size() == `num_params` (from PrepareOk);
/// nothing is appended then. Returns the sequence id of the reply.
std::uint8_t write_com_stmt_execute(std::string& out, std::uint32_t statement_id,
                                    std::uint16_t num_params, const StmtParams& params,
                                    bool send_types = true, std::uint8_t flags = cursor::kNoCursor);

}  // namespace tern::mysql
