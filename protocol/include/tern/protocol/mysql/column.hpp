// Result set metadata: the column count packet and ColumnDefinition41 (views, plus an owned
// copy for statement caches), field types and column flags.
// MariaDB: https://mariadb.com/kb/en/result-set-packets/#column-definition-packet (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html,
//        field_types.h (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"

namespace tern::mysql {

using protocol::Bytes;

/// Column and parameter types (enum_field_types).
enum class FieldType : std::uint8_t {
  kDecimal = 0,
  kTiny = 1,
  kShort = 2,
  kLong = 3,
  kFloat = 4,
  kDouble = 5,
  kNull = 6,
  kTimestamp = 7,
  kLongLong = 8,
  kInt24 = 9,
  kDate = 10,
  kTime = 11,
  kDateTime = 12,
  kYear = 13,
  kNewDate = 14,  ///< internal; not sent to clients
  kVarchar = 15,
  kBit = 16,
  kTimestamp2 = 17,  ///< internal
  kDateTime2 = 18,   ///< internal
  kTime2 = 19,       ///< internal
  kVector = 242,     ///< MySQL 9
  kJson = 245,       ///< MySQL; MariaDB's JSON is a LONGTEXT (kBlob)
  kNewDecimal = 246,
  kEnum = 247,
  kSet = 248,
  kTinyBlob = 249,
  kMediumBlob = 250,
  kLongBlob = 251,
  kBlob = 252,
  kVarString = 253,
  kString = 254,
  kGeometry = 255,
};

/// A readable name of a field type ("LONGLONG", "VAR_STRING"), for error texts.
const char* field_type_name(FieldType type) noexcept;

/// Column definition flags.
namespace column_flag {
inline constexpr std::uint16_t kNotNull = 1,  ///< NOT NULL
    kPrimaryKey = 2,                          ///< part of the primary key
    kUniqueKey = 4,                           ///< part of a unique key
    kMultipleKey = 8,                         ///< part of a non-unique key
    kBlob = 16,                               ///< a BLOB or TEXT column
    kUnsigned = 32,                           ///< UNSIGNED
    kZerofill = 64,                           ///< ZEROFILL
    kBinary = 128,                            ///< binary collation (bytes, not text)
    kEnum = 256,                              ///< an ENUM
    kAutoIncrement = 512,                     ///< AUTO_INCREMENT
    kTimestamp = 1024,                        ///< a TIMESTAMP
    kSet = 2048,                              ///< a SET
    kNoDefaultValue = 4096,                   ///< has no default value
    kOnUpdateNow = 8192,                      ///< ON UPDATE CURRENT_TIMESTAMP
    kNum = 32768;                             ///< a numeric type
}  // namespace column_flag

/// The collation id of binary strings: a column with it holds bytes, not text.
inline constexpr std::uint16_t kBinaryCollation = 63;

/// What a value decoder needs to know about its column.
struct ColumnType {
  FieldType type = FieldType::kNull;  ///< the wire type (MYSQL_TYPE_*)
  std::uint16_t flags = 0;            ///< column_flag::
  std::uint16_t charset = 0;          ///< collation id (63 = binary)
  std::uint8_t decimals = 0;          ///< fractional digits (DECIMAL scale, fractional seconds)
  /// True for UNSIGNED integer columns.
  bool is_unsigned() const noexcept { return (flags & column_flag::kUnsigned) != 0; }
  /// True for binary strings (BINARY, VARBINARY, BLOB...).
  bool is_binary() const noexcept { return charset == kBinaryCollation; }
};

/// A ColumnDefinition41, with views into the packet.
struct ColumnDefinition {
  std::string_view catalog;         ///< always "def"
  std::string_view schema;          ///< database
  std::string_view table;           ///< alias
  std::string_view org_table;       ///< physical table
  std::string_view name;            ///< alias
  std::string_view org_name;        ///< physical column
  std::uint32_t column_length = 0;  ///< maximum display length
  ColumnType type;                  ///< type, flags, collation and decimals
  /// MariaDB extended type info (MARIADB_CLIENT_EXTENDED_TYPE_INFO): raw (type, lenenc value)
  /// pairs, e.g. the "json" format of a LONGTEXT; empty otherwise.
  Bytes extended_type_info;
};

/// Parses a ColumnDefinition41 payload; `capabilities` tells whether MariaDB's extended type
/// info is present. Throws ProtocolError.
ColumnDefinition parse_column_definition(Bytes payload, std::uint64_t capabilities);

/// An owned copy of a column definition, for caching (prepared statements).
struct Column {
  std::string schema;               ///< database
  std::string table;                ///< alias
  std::string org_table;            ///< physical table
  std::string name;                 ///< alias
  std::string org_name;             ///< physical column
  std::uint32_t column_length = 0;  ///< maximum display length
  ColumnType type;                  ///< type, flags, collation and decimals
  /// Copies the views of `def` (catalog and extended type info are dropped).
  static Column from(const ColumnDefinition& def);
};

/// The largest column count tern accepts (COM_STMT_PREPARE_OK carries it in 2 bytes).
inline constexpr std::uint64_t kMaxColumns = 0xFFFF;

/// Parses the column count packet that starts a result set (a lone length-encoded integer).
/// Throws ProtocolError(kBadLength) for 0 or more than kMaxColumns, kBadValue for 0xFB/0xFF.
std::size_t parse_column_count(Bytes payload);

/// A column count packet as negotiated.
struct ColumnCount {
  std::size_t count = 0;  ///< number of columns
  /// False when the server skipped the column definitions because the client has them cached
  /// (MARIADB_CLIENT_CACHE_METADATA: a prepared statement's metadata is sent again only when it
  /// changed since the server last sent it, in the prepare reply or an execute's result).
  bool metadata_follows = true;
};
/// Parses the column count packet given the negotiated capabilities: under
/// cap::kMariadbCacheMetadata a "metadata follows" byte (0 or 1) comes after the count. Throws
/// ProtocolError as parse_column_count(Bytes), and kBadValue for a flag byte above 1.
ColumnCount parse_column_count(Bytes payload, std::uint64_t capabilities);

}  // namespace tern::mysql
