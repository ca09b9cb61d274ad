// Internal: the binary COPY FROM STDIN format of aio_copy_in on PostgreSQL — the target
// columns' types, read once from the catalogue, and each row's values encoded as those types
// with the protocol's binary codecs (never as text).
// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4 (binary format)
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/db/value.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::detail {

/// One target column: its name, and its type as COPY reads it (a domain's base type).
struct PgCopyColumn {
  std::string name;       ///< the column's name
  pg::Oid type = 0;       ///< the type's OID (a domain's base type)
  char kind = 'b';        ///< pg_type.typtype: 'b' base, 'e' enum, 'r' range, 'c' composite...
  std::string type_name;  ///< pg_type.typname, for messages and extension types (hstore)
};

/// The catalogue query: one row per column of the table named by $1 (a quoted identifier,
/// cast to regclass), in column order: name, type OID, typtype, typname.
extern const std::string_view kPgCopyColumnsQuery;

/// The table's rows in the binary COPY format, produced in pieces of about `piece` bytes.
class PgCopyEncoder {
 public:
  /// Encodes `rows` (each columns.size() values) for `columns` of `table` (names for messages).
  PgCopyEncoder(std::string_view table, std::span<const PgCopyColumn> columns,
                std::span<const Params> rows, std::size_t piece = 64 * 1024) noexcept
      : table_(table), columns_(columns), rows_(rows), piece_(piece) {}

  /// Appends the next piece to `out`; false once the data is complete. Throws TypeError
  /// naming table.column and the row's index for a value its column's type cannot take, and
  /// for a row of the wrong length.
  bool next(std::string& out);

  /// The rows encoded so far.
  std::size_t rows_done() const noexcept { return next_row_; }

 private:
  void encode_row(const Params& row, std::string& out) const;

  std::string_view table_;
  std::span<const PgCopyColumn> columns_;
  std::span<const Params> rows_;
  std::size_t piece_;
  std::size_t next_row_ = 0;
  bool started_ = false;
};

}  // namespace tern::detail
