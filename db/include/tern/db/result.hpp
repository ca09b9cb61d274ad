// The rows of a statement run through AioDatabase, the same for every backend: a thin view
// over the backend's own result (values stay in its buffer and are decoded on access).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "tern/db/composite.hpp"
#include "tern/db/enum.hpp"
#include "tern/db/value.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/result.hpp"
#include "tern/protocol/pg/result.hpp"
#include "tern/protocol/row_iterator.hpp"
#include "tern/protocol/sqlite/result.hpp"
#include "tern/ring/recycle.hpp"

namespace tern {

namespace detail {
template <class T>
inline constexpr bool kIsOptionalValue = false;
template <class T>
inline constexpr bool kIsOptionalValue<std::optional<T>> = true;
[[noreturn]] void throw_unsupported_type(const char* backend, const char* cxx_type);
/// Throws NotSupportedError: MySQL/MariaDB has no `what` type (interval, hstore, arrays).
[[noreturn]] void throw_mysql_lacks(const char* what);
/// Throws NotSupportedError: SQLite has no `what` type (interval, hstore, arrays).
[[noreturn]] void throw_sqlite_lacks(const char* what);
/// Throws NotSupportedError: a composite type read from MySQL/MariaDB or SQLite (`backend`).
[[noreturn]] void throw_composite_lacks(const char* backend);
/// Throws NotSupportedError: a SET (std::set of an enum) read from PostgreSQL or SQLite.
[[noreturn]] void throw_set_lacks(const char* backend);
template <class T>
inline constexpr bool kIsEnumSet = false;
template <SqlEnum E>
inline constexpr bool kIsEnumSet<std::set<E>> = true;
template <class T>
inline constexpr bool kIsArrayValue = false;
template <class T>
inline constexpr bool kIsArrayValue<std::vector<T>> = !std::is_same_v<T, std::byte>;
/// T is read from a MySQL row by its own codec, not converted from another type (Row::get).
template <class T>
inline constexpr bool kMysqlDecodesAsIs =
    mysql::MysqlValue<T> && !std::is_same_v<T, Instant> && !std::is_same_v<T, WideTimestamp> &&
    !std::is_same_v<T, WideTimestamptz> && !std::is_same_v<T, Uuid> && !std::is_same_v<T, Json> &&
    !std::is_same_v<T, Jsonb> && !std::is_same_v<T, Interval> && !std::is_same_v<T, HStore> &&
    !kIsArrayValue<T>;
}  // namespace detail

/// One row of a ResultSet; valid while the ResultSet lives.
class Row {
 public:
  /// A view of a PostgreSQL row.
  explicit Row(pg::Row row) noexcept : row_(row) {}
  /// A view of a MySQL row.
  explicit Row(mysql::Row row) noexcept : row_(row) {}
  /// A view of a SQLite row.
  explicit Row(sqlite::Row row) noexcept : row_(row) {}

  /// Number of columns.
  std::size_t size() const noexcept {
    return std::visit([](const auto& r) { return r.size(); }, row_);
  }
  /// True when column i is NULL.
  bool is_null(std::size_t i) const {
    return !std::visit([i](const auto& r) { return r.raw(i).has_value(); }, row_);
  }
  /// Column i decoded as T (std::optional<T> for nullable columns): bool, integers, float,
  /// double, std::string, ByteString, Decimal, Date, DateTime, TimeOfDay, Instant, Uuid, Json,
  /// Jsonb, WideTimestamp, WideTimestamptz, and on PostgreSQL also Interval, HStore and
  /// std::vector<E> /
  /// std::vector<std::optional<E>> arrays, plus any type the backend's codec table has; an
  /// enum with EnumTraits (by its label), and on MySQL/MariaDB a std::set of one (SET); on
  /// PostgreSQL a struct with CompositeTraits (a composite type, either format).
  /// Throws TypeError, or InterfaceError for a type the backend lacks.
  template <class T>
  T get(std::size_t i) const {
    if constexpr (SqlEnum<T>) {
      return enum_from_label<T>(label(i));
    } else if constexpr (SqlComposite<T>) {
      const auto* p = std::get_if<pg::Row>(&row_);
      if (p == nullptr) {
        detail::throw_composite_lacks(std::holds_alternative<sqlite::Row>(row_) ? "SQLite"
                                                                                : "MySQL/MariaDB");
      }
      const std::optional<pg::Bytes> raw = p->raw(i);
      if (!raw)
        throw TypeError("composite " + std::string(CompositeTraits<T>::name) +
                        " column is NULL (read it as a std::optional)");
      return detail::decode_composite<T>(p->column(i).format, *raw);
    } else if constexpr (detail::kIsEnumSet<T>) {
      if (std::holds_alternative<pg::Row>(row_)) detail::throw_set_lacks("PostgreSQL");
      if (std::holds_alternative<sqlite::Row>(row_)) detail::throw_set_lacks("SQLite");
      return set_from_text<typename T::value_type>(label(i));
    } else if constexpr (detail::kIsOptionalValue<T>) {
      using V = typename T::value_type;
      // A type the backend decodes as it is: its own optional read finds the column once.
      if (const auto* p = std::get_if<pg::Row>(&row_)) {
        if constexpr (pg::PgValue<V> || std::is_same_v<V, HStore>) return p->get<T>(i);
      } else if (const auto* s = std::get_if<sqlite::Row>(&row_)) {
        if constexpr (sqlite::SqliteValue<V>) return s->get<T>(i);
      } else if constexpr (detail::kMysqlDecodesAsIs<V>) {
        return std::get<mysql::Row>(row_).get<T>(i);
      }
      if (is_null(i)) return std::nullopt;
      return get<V>(i);
    } else if (const auto* p = std::get_if<pg::Row>(&row_)) {
      if constexpr (pg::PgValue<T> || std::is_same_v<T, HStore>) {
        return p->get<T>(i);
      } else {
        detail::throw_unsupported_type("PostgreSQL", typeid(T).name());
      }
    } else if (const auto* s = std::get_if<sqlite::Row>(&row_)) {
      return get_sqlite<T>(*s, i);
    } else {
      const auto& m = std::get<mysql::Row>(row_);
      if constexpr (std::is_same_v<T, Instant>) {
        return Instant(m.get<mysql::DateTime>(i).time_since_epoch());
      } else if constexpr (std::is_same_v<T, WideTimestamp>) {
        return WideTimestamp(m.get<mysql::DateTime>(i));
      } else if constexpr (std::is_same_v<T, WideTimestamptz>) {
        return WideTimestamptz(Instant(m.get<mysql::DateTime>(i).time_since_epoch()));
      } else if constexpr (std::is_same_v<T, Uuid>) {
        return Uuid::parse(m.get<std::string>(i));
      } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>) {
        return T{std::move(m.get<Json>(i).text)};  // MySQL has one JSON type
      } else if constexpr (std::is_same_v<T, Interval>) {
        detail::throw_mysql_lacks("interval");
      } else if constexpr (std::is_same_v<T, HStore>) {
        detail::throw_mysql_lacks("hstore");
      } else if constexpr (detail::kIsArrayValue<T>) {
        detail::throw_mysql_lacks("array");
      } else if constexpr (mysql::MysqlValue<T>) {
        return m.get<T>(i);
      } else {
        detail::throw_unsupported_type("MySQL", typeid(T).name());
      }
    }
  }
  /// The column named `name` decoded as T.
  template <class T>
  T get(std::string_view name) const {
    return get<T>(column_index(name));
  }
  /// Index of the column named `name`; throws InterfaceError when there is none.
  std::size_t column_index(std::string_view name) const {
    return std::visit([name](const auto& r) { return r.column_index(name); }, row_);
  }

 private:
  // The text of column i: an enum's label (PostgreSQL: enum_out / enum_send both give it) or
  // MySQL SET text.
  std::string label(std::size_t i) const {
    if (const auto* p = std::get_if<pg::Row>(&row_)) return p->get<EnumLabel>(i).label;
    if (const auto* s = std::get_if<sqlite::Row>(&row_)) return s->get<std::string>(i);
    return std::get<mysql::Row>(row_).get<std::string>(i);
  }

  // SQLite keeps the wide timestamps as DateTime / Instant text and has no interval, hstore
  // or array.
  template <class T>
  static T get_sqlite(const sqlite::Row& s, std::size_t i) {
    if constexpr (sqlite::SqliteValue<T>) {
      return s.get<T>(i);
    } else if constexpr (std::is_same_v<T, WideTimestamp>) {
      return WideTimestamp(s.get<DateTime>(i));
    } else if constexpr (std::is_same_v<T, WideTimestamptz>) {
      return WideTimestamptz(s.get<Instant>(i));
    } else if constexpr (std::is_same_v<T, Interval>) {
      detail::throw_sqlite_lacks("interval");
    } else if constexpr (std::is_same_v<T, HStore>) {
      detail::throw_sqlite_lacks("hstore");
    } else if constexpr (detail::kIsArrayValue<T>) {
      detail::throw_sqlite_lacks("array");
    } else {
      detail::throw_unsupported_type("SQLite", typeid(T).name());
    }
  }

  std::variant<pg::Row, mysql::Row, sqlite::Row> row_;
};

/// The outcome of one statement: rows with named columns, or a row count.
///
/// The backend's result lives in a block of its own (from the per-thread recycling allocator),
/// so that moving a ResultSet, as each coroutine between the backend and the caller does on the
/// way up, moves a pointer rather than the result (a MySQL result is 248 bytes). Rows keep
/// pointing at it when the ResultSet moves.
class ResultSet {
 public:
  /// No rows, no count (as an empty PostgreSQL result).
  ResultSet() noexcept = default;
  /// Wraps a PostgreSQL result.
  explicit ResultSet(pg::Result r) : r_(make(std::move(r))) {}
  /// Wraps a MySQL result.
  explicit ResultSet(mysql::Result r) : r_(make(std::move(r))) {}
  /// Wraps a SQLite result.
  explicit ResultSet(sqlite::Result r) : r_(make(std::move(r))) {}
  /// Takes the rows; `other` is left empty.
  ResultSet(ResultSet&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
  /// Takes the rows; `other` is left empty.
  ResultSet& operator=(ResultSet&& other) noexcept {
    if (this != &other) {
      reset();
      r_ = std::exchange(other.r_, nullptr);
    }
    return *this;
  }
  /// Copies the rows (a deep copy of the backend result).
  ResultSet(const ResultSet& other) : r_(other.r_ != nullptr ? make(*other.r_) : nullptr) {}
  /// Copies the rows.
  ResultSet& operator=(const ResultSet& other) {
    if (this != &other) *this = ResultSet(other);
    return *this;
  }
  ~ResultSet() { reset(); }

  /// Number of rows.
  std::size_t size() const noexcept {
    if (r_ == nullptr) return 0;
    return std::visit([](const auto& r) { return r.size(); }, *r_);
  }
  /// True when there are no rows.
  bool empty() const noexcept { return size() == 0; }
  /// Row i (throws InterfaceError).
  Row row(std::size_t i) const {
    return std::visit([i](const auto& r) { return Row(r.row(i)); }, storage());
  }
  /// Row i, as row(i).
  Row operator[](std::size_t i) const { return row(i); }
  /// Column names, in order.
  std::vector<std::string> column_names() const;
  /// Rows inserted, updated or deleted.
  std::uint64_t rows_affected() const noexcept;
  /// MySQL: the AUTO_INCREMENT id generated; SQLite: the connection's last inserted rowid
  /// (sqlite3_last_insert_rowid); PostgreSQL: 0 (use RETURNING).
  std::uint64_t last_insert_id() const noexcept;
  /// PostgreSQL: the notices the statement raised (NOTICE, WARNING...), also logged through
  /// tern::log; MySQL: none (see warning_count()).
  std::span<const ServerErrorInfo> notices() const noexcept;
  /// MySQL: how many warnings the statement left (SHOW WARNINGS lists them; tern::log reports
  /// the count at warning level); PostgreSQL: 0 (see notices()).
  std::uint16_t warning_count() const noexcept;

  /// Iteration over rows.
  using Iterator = protocol::RowIterator<ResultSet, Row>;
  /// The first row.
  Iterator begin() const noexcept { return {this, 0}; }
  /// Past the last row.
  Iterator end() const noexcept { return {this, size()}; }

 private:
  using Storage = std::variant<pg::Result, mysql::Result, sqlite::Result>;

  template <class R>
  static Storage* make(R&& r) {
    void* block = ring::recycled_allocate(sizeof(Storage));
    try {
      return ::new (block) Storage(std::forward<R>(r));
    } catch (...) {
      ring::recycled_deallocate(block, sizeof(Storage));
      throw;
    }
  }
  void reset() noexcept {
    if (r_ == nullptr) return;
    r_->~Storage();
    ring::recycled_deallocate(r_, sizeof(Storage));
    r_ = nullptr;
  }
  /// The result; an empty PostgreSQL result when there is none.
  const Storage& storage() const noexcept { return r_ != nullptr ? *r_ : no_result(); }
  static const Storage& no_result() noexcept;

  Storage* r_ = nullptr;
};

}  // namespace tern
