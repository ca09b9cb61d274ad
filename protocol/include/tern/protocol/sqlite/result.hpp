// The rows of one SQLite statement, copied out of the library while the statement stepped on
// its worker thread (sqlite3_column_* values live only until the next step), and decoded into
// tern's value types on access.
//
// SQLite's values are dynamically typed: a cell is NULL, INTEGER (64-bit), REAL (double), TEXT
// or BLOB whatever its column says. Row::get<T> maps them (docs/sqlite.md has the table):
// integers from INTEGER (range-checked) or an integral REAL; float/double from INTEGER or REAL;
// bool from INTEGER; text from TEXT (INTEGER and REAL as their text, BLOB as its bytes); bytes
// from BLOB or TEXT; Decimal from TEXT, INTEGER or REAL (shortest round-trip text); Date,
// DateTime, TimeOfDay and Instant from ISO-8601 TEXT (what tern binds: "2024-01-31",
// "2024-01-31 12:00:00.123456", "12:00:00", an Instant in UTC with "+00:00" or "Z" accepted) or
// DateTime / Instant from INTEGER Unix seconds; Uuid from TEXT or a 16-byte BLOB; Json / Jsonb
// from TEXT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tern/protocol/basic_row.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/row_iterator.hpp"
#include "tern/protocol/values.hpp"

namespace tern::sqlite {

/// SQLite's storage classes (the values of SQLITE_INTEGER..SQLITE_NULL).
enum class StorageClass : std::uint8_t { kInteger = 1, kReal = 2, kText = 3, kBlob = 4, kNull = 5 };

/// A result column: its name as SQLite reports it (the AS alias, else the expression).
struct Column {
  std::string name;  ///< the column's name
};

/// One value of a row as stored: the storage class and the number, or where its text or blob
/// bytes lie in the Result.
struct Cell {
  StorageClass type = StorageClass::kNull;  ///< the value's storage class
  std::int64_t integer = 0;                 ///< kInteger
  double real = 0;                          ///< kReal
  std::uint32_t offset = 0;                 ///< kText / kBlob: where the bytes start
  std::uint32_t length = 0;                 ///< kText / kBlob: how many
};

class Result;

namespace detail {
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;
}  // namespace detail

/// The value types Row::get decodes.
template <class T>
concept SqliteValue =
    std::is_same_v<T, bool> ||(std::is_integral_v<T> && !std::is_same_v<T, char>) ||
    std::is_floating_point_v<T> || std::is_same_v<T, std::string> ||
    std::is_same_v<T, ByteString> || std::is_same_v<T, Decimal> || std::is_same_v<T, Date> ||
    std::is_same_v<T, DateTime> || std::is_same_v<T, TimeOfDay> || std::is_same_v<T, Instant> ||
    std::is_same_v<T, Uuid> || std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>;

/// One row of a Result: a view, valid while the Result lives.
class Row : public protocol::BasicRow<Row, Result> {
 public:
  using BasicRow::get;
  /// Column i's cell, or nullopt for NULL. Throws InterfaceError past the last column.
  std::optional<Cell> raw(std::size_t i) const;
  /// Column i decoded as T (std::optional<T> for nullable columns; SqliteValue types). Throws
  /// TypeError for NULL into a non-optional, a value out of T's range, or a storage class T
  /// cannot be read from.
  template <class T>
  T get(std::size_t i) const {
    if constexpr (detail::kIsOptional<T>) {
      const std::optional<Cell> c = raw(i);
      if (!c) return std::nullopt;
      return decode<typename T::value_type>(*c);
    } else {
      const std::optional<Cell> c = raw(i);
      if (!c) throw_type_error(type_name<T>(), "NULL read into a non-optional type");
      return decode<T>(*c);
    }
  }

 private:
  friend class Result;

  Row(const Result* result, std::size_t index) noexcept : BasicRow(result), index_(index) {}
  template <class T>
  T decode(const Cell& c) const {
    if constexpr (std::is_same_v<T, bool>) {
      return as_integer(c, 0, 1, "bool") != 0;
    } else if constexpr (std::is_integral_v<T>) {
      // The unsigned types above INT64_MAX cannot be stored by SQLite: their range ends there.
      constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<T>::max()) >
                                    static_cast<std::uint64_t>(INT64_MAX)
                                ? INT64_MAX
                                : static_cast<std::int64_t>(std::numeric_limits<T>::max());
      return static_cast<T>(as_integer(c, std::numeric_limits<T>::min(), kMax, type_name<T>()));
    } else if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(as_double(c));
    } else if constexpr (std::is_same_v<T, std::string>) {
      return as_string(c);
    } else if constexpr (std::is_same_v<T, ByteString>) {
      return as_bytes(c);
    } else if constexpr (std::is_same_v<T, Decimal>) {
      return as_decimal(c);
    } else if constexpr (std::is_same_v<T, Date>) {
      return as_date(c);
    } else if constexpr (std::is_same_v<T, DateTime>) {
      return as_datetime(c);
    } else if constexpr (std::is_same_v<T, TimeOfDay>) {
      return as_time(c);
    } else if constexpr (std::is_same_v<T, Instant>) {
      return as_instant(c);
    } else if constexpr (std::is_same_v<T, Uuid>) {
      return as_uuid(c);
    } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>) {
      return T{as_text(c, type_name<T>())};
    } else {
      static_assert(SqliteValue<T>, "SQLite rows decode the SqliteValue types");
    }
  }
  template <class T>
  static const char* type_name() noexcept {
    if constexpr (std::is_same_v<T, Json>) return "json";
    if constexpr (std::is_same_v<T, Jsonb>) return "jsonb";
    if constexpr (std::is_integral_v<T>)
      return std::is_signed_v<T> ? "integer" : "unsigned integer";
    return "value";
  }
  std::string_view bytes(const Cell& c) const noexcept;
  std::int64_t as_integer(const Cell& c, std::int64_t min, std::int64_t max,
                          const char* name) const;
  double as_double(const Cell& c) const;
  std::string as_string(const Cell& c) const;
  std::string as_text(const Cell& c, const char* name) const;
  ByteString as_bytes(const Cell& c) const;
  Decimal as_decimal(const Cell& c) const;
  Date as_date(const Cell& c) const;
  DateTime as_datetime(const Cell& c) const;
  TimeOfDay as_time(const Cell& c) const;
  Instant as_instant(const Cell& c) const;
  Uuid as_uuid(const Cell& c) const;

  std::size_t index_;
};

/// The outcome of one statement: its columns and rows, and what it changed.
class Result {
 public:
  /// The result columns (empty for statements that return no rows).
  const std::vector<Column>& columns() const noexcept { return columns_; }
  /// Number of rows.
  std::size_t size() const noexcept { return rows_; }
  /// True when there are no rows.
  bool empty() const noexcept { return rows_ == 0; }
  /// Row i (bounds-checked: throws InterfaceError).
  Row row(std::size_t i) const;
  /// Row i, as row(i).
  Row operator[](std::size_t i) const { return row(i); }
  /// Rows inserted, updated or deleted by the statement (sqlite3_changes64); 0 for one that
  /// only reads.
  std::uint64_t changes() const noexcept { return changes_; }
  /// The rowid of the last row inserted on the connection (sqlite3_last_insert_rowid).
  std::int64_t last_insert_rowid() const noexcept { return last_insert_rowid_; }

  /// Iteration over rows.
  using Iterator = protocol::RowIterator<Result, Row>;
  /// The first row.
  Iterator begin() const noexcept { return {this, 0}; }
  /// Past the last row.
  Iterator end() const noexcept { return {this, size()}; }

  // Building (by the connection, on its worker thread).
  /// Starts a result with these columns and no rows (keeps the buffers' capacity).
  void reset(std::vector<Column> columns);
  /// Appends an INTEGER cell to the row being built.
  void add_integer(std::int64_t v) {
    cells_.push_back({.type = StorageClass::kInteger, .integer = v});
  }
  /// Appends a REAL cell.
  void add_real(double v) { cells_.push_back({.type = StorageClass::kReal, .real = v}); }
  /// Appends a TEXT or BLOB cell, copying its bytes.
  void add_bytes(StorageClass type, const void* data, std::size_t n);
  /// Appends a NULL cell.
  void add_null() { cells_.push_back({}); }
  /// Ends the row being built.
  void end_row() noexcept { ++rows_; }
  /// Records what the statement changed.
  void set_changes(std::uint64_t changes, std::int64_t last_insert_rowid) noexcept {
    changes_ = changes;
    last_insert_rowid_ = last_insert_rowid;
  }

 private:
  friend class Row;
  std::vector<Column> columns_;
  std::vector<Cell> cells_;  // row-major, columns_.size() per row
  std::string bytes_;        // the TEXT and BLOB values, back to back
  std::size_t rows_ = 0;
  std::uint64_t changes_ = 0;
  std::int64_t last_insert_rowid_ = 0;
};

/// Appends SQLite's text of a date: "2024-01-31".
void append_date(std::string& out, Date d);
/// Appends a date-time as "2024-01-31 12:00:00", with ".ffffff" when the microseconds are not 0
/// (the format SQLite's date functions read, and peewee writes).
void append_datetime(std::string& out, DateTime t);
/// Appends a time of day as "12:00:00" (".ffffff" when not 0); negative or 24 h and more: as
/// many hours as it takes, with a sign ("-01:30:00", "25:00:00").
void append_time(std::string& out, TimeOfDay t);

}  // namespace tern::sqlite
