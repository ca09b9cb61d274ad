// A bound parameter value, the same for both backends: NULL, bool, integer, float, text,
// bytes, exact decimal, date, date-time, time of day, instant. Values are always sent as bound
// parameters, never spliced into SQL.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "tern/protocol/pg/types.hpp"

namespace tern {

/// An exact decimal number as text ("-12.3400"): PostgreSQL numeric, MySQL DECIMAL.
struct Decimal {
  std::string value;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};
/// Binary strings: bytea, BLOB.
using ByteString = std::vector<std::byte>;
/// date.
using Date = std::chrono::sys_days;
/// timestamp (PostgreSQL) / DATETIME (MySQL): a date and time without a zone, microseconds.
using DateTime = std::chrono::local_time<std::chrono::microseconds>;
/// time of day (MySQL TIME may be negative or past 24 h).
using TimeOfDay = std::chrono::microseconds;
/// timestamptz: an instant (sent to MySQL as its UTC date-time).
using Instant = std::chrono::sys_time<std::chrono::microseconds>;
/// uuid (PostgreSQL uuid; MySQL CHAR(36) text): `Uuid::parse("a0eebc99-...")`, `to_string()`.
using Uuid = pg::Uuid;

/// One parameter value. Converts implicitly from the C++ types above, integers, floating
/// point, strings, and std::optional of them (empty = NULL).
class Value {
 public:
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, std::string, ByteString,
                               Decimal, Date, DateTime, TimeOfDay, Instant, Uuid>;

  /// NULL.
  Value() noexcept = default;
  /// NULL.
  Value(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor)
  /// NULL.
  Value(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  /// bool (not an integer).
  template <class B>
  requires std::is_same_v<B, bool> Value(B b)
  noexcept : v_(b) {}  // NOLINT(google-explicit-constructor)
  /// Any integer up to 64 bits signed (an unsigned value above INT64_MAX throws
  /// std::out_of_range).
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>) Value(I i)
      : v_(checked(i)) {}  // NOLINT(google-explicit-constructor)
  /// float or double.
  template <class F>
  requires std::is_floating_point_v<F> Value(F f)
  noexcept : v_(static_cast<double>(f)) {}  // NOLINT(google-explicit-constructor)
  /// Text.
  Value(std::string s) noexcept : v_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  /// Text.
  Value(std::string_view s) : v_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  /// Text.
  Value(const char* s) : v_(std::string(s)) {}  // NOLINT(google-explicit-constructor)
  /// Bytes.
  Value(ByteString b) noexcept : v_(std::move(b)) {}  // NOLINT(google-explicit-constructor)
  /// Decimal.
  Value(Decimal d) noexcept : v_(std::move(d)) {}  // NOLINT(google-explicit-constructor)
  /// Date.
  Value(Date d) noexcept : v_(d) {}  // NOLINT(google-explicit-constructor)
  /// Date-time without zone.
  Value(DateTime t) noexcept : v_(t) {}  // NOLINT(google-explicit-constructor)
  /// Time of day.
  Value(TimeOfDay t) noexcept : v_(t) {}  // NOLINT(google-explicit-constructor)
  /// Instant.
  Value(Instant t) noexcept : v_(t) {}  // NOLINT(google-explicit-constructor)
  /// UUID.
  Value(const Uuid& u) noexcept : v_(u) {}  // NOLINT(google-explicit-constructor)
  /// An optional value: NULL when empty.
  template <class T>
  Value(const std::optional<T>& o) {  // NOLINT(google-explicit-constructor)
    if (o) *this = Value(*o);
  }

  /// True for NULL.
  bool is_null() const noexcept { return v_.index() == 0; }
  /// The stored alternative.
  const Storage& storage() const noexcept { return v_; }
  friend bool operator==(const Value&, const Value&) = default;

 private:
  template <class I>
  static std::int64_t checked(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<I>(INT64_MAX)) throw_out_of_range();
    }
    return static_cast<std::int64_t>(i);
  }
  [[noreturn]] static void throw_out_of_range();

  Storage v_;
};

/// The parameters of one statement, in placeholder order ($1.. for PostgreSQL, ? for MySQL).
using Params = std::vector<Value>;

}  // namespace tern
