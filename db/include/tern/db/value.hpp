// A bound parameter value, the same for both backends: NULL, bool, integer, float, text,
// bytes, exact decimal, date, date-time, time of day, instant, uuid, enum labels (enum.hpp), and
// the Ext types: json, jsonb, interval, hstore and one-dimensional arrays, and composites
// (composite.hpp). Values are always sent
// as bound parameters, never spliced into SQL.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "tern/db/composite.hpp"
#include "tern/db/enum.hpp"
#include "tern/protocol/pg/hstore.hpp"
#include "tern/protocol/pg/types.hpp"
#include "tern/protocol/values.hpp"

namespace tern {

// Decimal, ByteString, Date, DateTime, TimeOfDay, Instant, Uuid, Json, Jsonb and Interval are
// the protocol layer's value types (tern/protocol/values.hpp), which both backends' codecs read
// and write as they are.
/// hstore (PostgreSQL only, with register_hstore): key → value, std::nullopt for NULL.
using HStore = pg::Hstore;
/// PostgreSQL timestamp / timestamptz over the server's whole range (to 294276 AD), where
/// DateTime / Instant end at 294247 (tern/protocol/pg/timestamp.hpp). MySQL takes them as its
/// DATETIME, converted with to_datetime() / to_instant().
using pg::WideTimestamp;
using pg::WideTimestamptz;
/// A one-dimensional array parameter (PostgreSQL only): std::nullopt elements are NULL.
template <class T>
using Array = std::vector<std::optional<T>>;

namespace detail {
/// The element types of array values: each maps to one PostgreSQL array type (int2[], int4[],
/// int8[], float4[], float8[], text[], bool[], date[], timestamp[], time[], timestamptz[],
/// uuid[]).
template <class T>
concept ArrayElement =
    std::same_as<T, bool> || std::same_as<T, std::int16_t> || std::same_as<T, std::int32_t> ||
    std::same_as<T, std::int64_t> || std::same_as<T, float> || std::same_as<T, double> ||
    std::same_as<T, std::string> || std::same_as<T, Date> || std::same_as<T, DateTime> ||
    std::same_as<T, TimeOfDay> || std::same_as<T, Instant> || std::same_as<T, Uuid>;
}  // namespace detail

/// One parameter value. Converts implicitly from the C++ types above, integers, floating
/// point, strings, and std::optional of them (empty = NULL).
class Value {
 public:
  /// What a Value can hold: NULL (monostate) or one of the types above.
  using Storage =
      std::variant<std::monostate, bool, std::int64_t, double, std::string, ByteString, Decimal,
                   Date, DateTime, TimeOfDay, Instant, WideTimestamp, WideTimestamptz, Uuid, Json,
                   Jsonb, Interval, HStore, Array<bool>, Array<std::int16_t>, Array<std::int32_t>,
                   Array<std::int64_t>, Array<float>, Array<double>, Array<std::string>,
                   Array<Date>, Array<DateTime>, Array<TimeOfDay>, Array<Instant>, Array<Uuid>,
                   EnumLabel, RecordText>;

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
  /// TypeError).
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>) Value(I i)
      : v_(checked(i)) {}  // NOLINT(google-explicit-constructor)
  /// float or double.
  template <class F>
  requires std::is_floating_point_v<F> Value(F f)
  noexcept : v_(static_cast<double>(f)) {}  // NOLINT(google-explicit-constructor)
  /// Text (copied straight into place: a model's string member becomes a parameter with one
  /// copy, not a copy and a move).
  Value(const std::string& s) : v_(s) {}  // NOLINT(google-explicit-constructor)
  /// Text.
  Value(std::string&& s) noexcept : v_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
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
  /// timestamp over PostgreSQL's whole range.
  Value(WideTimestamp t) noexcept : v_(t) {}  // NOLINT(google-explicit-constructor)
  /// timestamptz over PostgreSQL's whole range.
  Value(WideTimestamptz t) noexcept : v_(t) {}  // NOLINT(google-explicit-constructor)
  /// UUID.
  Value(const Uuid& u) noexcept : v_(u) {}  // NOLINT(google-explicit-constructor)
  /// json.
  Value(Json j) noexcept : v_(std::move(j)) {}  // NOLINT(google-explicit-constructor)
  /// jsonb.
  Value(Jsonb j) noexcept : v_(std::move(j)) {}  // NOLINT(google-explicit-constructor)
  /// interval.
  Value(const Interval& i) noexcept : v_(i) {}  // NOLINT(google-explicit-constructor)
  /// hstore.
  Value(HStore h) noexcept : v_(std::move(h)) {}  // NOLINT(google-explicit-constructor)
  /// An enum label.
  Value(EnumLabel l) noexcept : v_(std::move(l)) {}  // NOLINT(google-explicit-constructor)
  /// A mapped enum (EnumTraits): its label, which the server reads as the enum type.
  template <SqlEnum E>
  Value(E e) : v_(EnumLabel{std::string(enum_label(e))}) {}  // NOLINT(google-explicit-constructor)
  /// A value of a PostgreSQL composite type as its record text.
  Value(RecordText r) noexcept : v_(std::move(r)) {}  // NOLINT(google-explicit-constructor)
  /// A mapped composite (CompositeTraits, TERN_COMPOSITE): its record text, which the server
  /// reads as the composite type its context needs (PostgreSQL only).
  template <SqlComposite C>
  Value(const C& c)  // NOLINT(google-explicit-constructor)
      : v_(RecordText{CompositeTraits<C>::name, detail::composite_text(c)}) {}
  /// A set of a mapped enum: MySQL/MariaDB SET text, "red,blue".
  template <SqlEnum E>
  Value(const std::set<E>& s) : v_(set_text(s)) {}  // NOLINT(google-explicit-constructor)
  /// An array without NULL elements: `std::vector<std::int32_t>{1, 2}` is an int4[].
  template <detail::ArrayElement T>
  Value(const std::vector<T>& a)  // NOLINT(google-explicit-constructor)
      : v_(Array<T>(a.begin(), a.end())) {}
  /// An array whose std::nullopt elements are NULL.
  template <detail::ArrayElement T>
  Value(Array<T> a) noexcept : v_(std::move(a)) {}  // NOLINT(google-explicit-constructor)
  /// An optional value: NULL when empty.
  template <class T>
  Value(const std::optional<T>& o) {  // NOLINT(google-explicit-constructor)
    if (o) *this = Value(*o);
  }

  /// True for NULL.
  bool is_null() const noexcept { return v_.index() == 0; }
  /// The stored alternative.
  const Storage& storage() const noexcept { return v_; }
  /// Same alternative and equal value.
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

/// The values as a short list for messages, as peewee prints them: `[42, 'abc', NULL, true]`
/// (text quoted, numbers, decimals, uuids and json as their text, other types by name, e.g.
/// `<date>`).
std::string describe_values(std::span<const Value> values);

}  // namespace tern
