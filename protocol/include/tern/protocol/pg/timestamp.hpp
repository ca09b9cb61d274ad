// PostgreSQL timestamps over the server's whole range. tern::DateTime and tern::Instant count
// int64 microseconds from 1970 and end at 294247-01-10; PostgreSQL counts int64 microseconds
// from 2000 and accepts timestamps up to 294276-12-31 23:59:59.999999 (and from 4714-11-24 BC,
// plus ±infinity). pg::WideTimestamp / pg::WideTimestamptz hold the server's own count, so
// every value it can send decodes; they convert to and from the std::chrono types, checked.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

#include "tern/protocol/values.hpp"

namespace tern::pg {

/// A date and time split into calendar fields, in the proleptic Gregorian calendar.
struct CivilDateTime {
  /// Astronomical year: 0 is 1 BC, -4713 is 4714 BC.
  std::int64_t year = 2000;
  int month = 1;        ///< 1..12
  int day = 1;          ///< 1..31
  int hour = 0;         ///< 0..23
  int minute = 0;       ///< 0..59
  int second = 0;       ///< 0..59
  int microsecond = 0;  ///< 0..999999
  /// Field-by-field equality.
  friend bool operator==(const CivilDateTime&, const CivilDateTime&) = default;
};

namespace detail {
/// The microsecond count both wide timestamps share: since 2000-01-01 00:00:00, with INT64
/// min/max for -infinity/infinity, exactly as PostgreSQL's binary format carries it.
struct PgMicros {
  static constexpr std::int64_t kInfinity = std::numeric_limits<std::int64_t>::max();
  static constexpr std::int64_t kMinusInfinity = std::numeric_limits<std::int64_t>::min();
  /// The first and one past the last valid finite value: 4714-11-24 00:00:00 BC and
  /// 294277-01-01 00:00:00 (MIN_TIMESTAMP, END_TIMESTAMP in src/include/datatype/timestamp.h).
  static constexpr std::int64_t kMin = -211'813'488'000'000'000;
  static constexpr std::int64_t kEnd = 9'223'371'331'200'000'000;
  /// True for the two infinities.
  static constexpr bool is_infinite(std::int64_t us) noexcept {
    return us == kInfinity || us == kMinusInfinity;
  }
  /// True for an infinity or a count within [kMin, kEnd).
  static constexpr bool is_valid(std::int64_t us) noexcept {
    return is_infinite(us) || (us >= kMin && us < kEnd);
  }
  /// Throws TypeError unless is_valid(us).
  static void check(const char* type, std::int64_t us);
  /// The calendar fields of a finite count.
  static CivilDateTime civil(std::int64_t us) noexcept;
  /// The count of calendar fields; throws TypeError when they are invalid or out of range.
  static std::int64_t from_civil(const char* type, const CivilDateTime& c);
  /// Unix microseconds (chrono's count) of a count; infinities map to INT64 max/min; throws
  /// TypeError past what int64 microseconds since 1970 hold (294247-01-10).
  static std::int64_t to_unix(const char* type, std::int64_t us);
  /// The count of Unix microseconds; INT64 max/min map to the infinities; throws TypeError
  /// outside PostgreSQL's range.
  static std::int64_t from_unix(const char* type, std::int64_t unix_us);
};
}  // namespace detail

/// PostgreSQL timestamp (without time zone) over its whole range, as the server holds it.
/// Converts implicitly from tern::DateTime (max()/min() are the infinities) and back with
/// to_datetime(), which throws where DateTime ends.
struct WideTimestamp {
  /// Microseconds since 2000-01-01 00:00:00; PgMicros::kInfinity / kMinusInfinity for
  /// 'infinity' / '-infinity'.
  std::int64_t microseconds = 0;

  /// 2000-01-01 00:00:00.
  constexpr WideTimestamp() noexcept = default;
  /// From PostgreSQL's count (not checked: see is_valid()).
  static constexpr WideTimestamp from_pg_microseconds(std::int64_t us) noexcept {
    WideTimestamp t;
    t.microseconds = us;
    return t;
  }
  /// From a DateTime; DateTime::max()/min() give ±infinity. Throws TypeError outside
  /// PostgreSQL's range (before 4714-11-24 BC).
  WideTimestamp(DateTime t)  // NOLINT(google-explicit-constructor)
      : microseconds(detail::PgMicros::from_unix("timestamp", t.time_since_epoch().count())) {}
  /// From calendar fields; throws TypeError when invalid or outside PostgreSQL's range.
  static WideTimestamp from_civil(const CivilDateTime& c) {
    return from_pg_microseconds(detail::PgMicros::from_civil("timestamp", c));
  }
  /// 'infinity'.
  static constexpr WideTimestamp infinity() noexcept {
    return from_pg_microseconds(detail::PgMicros::kInfinity);
  }
  /// '-infinity'.
  static constexpr WideTimestamp minus_infinity() noexcept {
    return from_pg_microseconds(detail::PgMicros::kMinusInfinity);
  }
  /// True for ±infinity.
  constexpr bool is_infinite() const noexcept {
    return detail::PgMicros::is_infinite(microseconds);
  }
  /// True for ±infinity and values within PostgreSQL's range.
  constexpr bool is_valid() const noexcept { return detail::PgMicros::is_valid(microseconds); }
  /// The calendar fields (finite values only).
  CivilDateTime civil() const noexcept { return detail::PgMicros::civil(microseconds); }
  /// As a DateTime (infinities: max()/min()); throws TypeError after 294247-01-10 04:00:54,
  /// where int64 microseconds since 1970 end.
  DateTime to_datetime() const {
    return DateTime(
        std::chrono::microseconds(detail::PgMicros::to_unix("timestamp", microseconds)));
  }
  /// Orders by time; -infinity first, infinity last.
  friend constexpr auto operator<=>(const WideTimestamp&, const WideTimestamp&) = default;
};

/// PostgreSQL timestamptz over its whole range: an instant, microseconds since
/// 2000-01-01 00:00:00 UTC. Converts implicitly from tern::Instant (max()/min() are the
/// infinities) and back with to_instant(), which throws where Instant ends.
struct WideTimestamptz {
  /// Microseconds since 2000-01-01 00:00:00 UTC; PgMicros::kInfinity / kMinusInfinity for
  /// 'infinity' / '-infinity'.
  std::int64_t microseconds = 0;

  /// 2000-01-01 00:00:00 UTC.
  constexpr WideTimestamptz() noexcept = default;
  /// From PostgreSQL's count (not checked: see is_valid()).
  static constexpr WideTimestamptz from_pg_microseconds(std::int64_t us) noexcept {
    WideTimestamptz t;
    t.microseconds = us;
    return t;
  }
  /// From an Instant; Instant::max()/min() give ±infinity. Throws TypeError outside
  /// PostgreSQL's range (before 4714-11-24 BC).
  WideTimestamptz(Instant t)  // NOLINT(google-explicit-constructor)
      : microseconds(detail::PgMicros::from_unix("timestamptz", t.time_since_epoch().count())) {}
  /// From calendar fields in UTC; throws TypeError when invalid or out of range.
  static WideTimestamptz from_civil_utc(const CivilDateTime& c) {
    return from_pg_microseconds(detail::PgMicros::from_civil("timestamptz", c));
  }
  /// 'infinity'.
  static constexpr WideTimestamptz infinity() noexcept {
    return from_pg_microseconds(detail::PgMicros::kInfinity);
  }
  /// '-infinity'.
  static constexpr WideTimestamptz minus_infinity() noexcept {
    return from_pg_microseconds(detail::PgMicros::kMinusInfinity);
  }
  /// True for ±infinity.
  constexpr bool is_infinite() const noexcept {
    return detail::PgMicros::is_infinite(microseconds);
  }
  /// True for ±infinity and values within PostgreSQL's range.
  constexpr bool is_valid() const noexcept { return detail::PgMicros::is_valid(microseconds); }
  /// The calendar fields in UTC (finite values only).
  CivilDateTime civil_utc() const noexcept { return detail::PgMicros::civil(microseconds); }
  /// As an Instant (infinities: max()/min()); throws TypeError after 294247-01-10 04:00:54 UTC,
  /// where int64 microseconds since 1970 end.
  Instant to_instant() const {
    return Instant(
        std::chrono::microseconds(detail::PgMicros::to_unix("timestamptz", microseconds)));
  }
  /// Orders by instant; -infinity first, infinity last.
  friend constexpr auto operator<=>(const WideTimestamptz&, const WideTimestamptz&) = default;
};

}  // namespace tern::pg
