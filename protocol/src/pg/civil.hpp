// Internal: proleptic Gregorian calendar arithmetic in 64 bits, shared by the date/time codecs
// and their text rendering. std::chrono::year stops at 32767, and PostgreSQL dates reach
// 5874897 AD (timestamps 294276 AD).
#pragma once

#include <cstdint>

namespace tern::pg::detail {

inline constexpr std::int64_t kUsPerSecond = 1'000'000;
inline constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSecond;
/// 2000-01-01 (PostgreSQL's epoch) - 1970-01-01, in days.
inline constexpr std::int64_t kPgEpochDays = 10'957;

/// A calendar date; year is astronomical (0 = 1 BC).
struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
  unsigned weekday;  ///< 0 = Sunday
};

/// The date of a day count since 1970-01-01. Counts days from 0000-03-01 in 400-year eras, so
/// that the leap day ends each year.
inline CivilDate civil_from_days(std::int64_t days) noexcept {
  const std::int64_t z = days + 719'468;  // 1970-01-01 - 0000-03-01
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;                                         // 0..146096
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // 0..399
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                   // 0..365
  const std::int64_t mp = (5 * doy + 2) / 153;  // 0 = March .. 11 = February
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month,
          static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1),
          static_cast<unsigned>(((days % 7) + 7 + 4) % 7)};  // 1970-01-01 was a Thursday
}

/// Days since 1970-01-01 of a date (astronomical year; month and day valid).
inline std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/// Days in month `m` (1..12) of astronomical year `y`.
inline std::int64_t days_in_month(std::int64_t y, std::int64_t m) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace tern::pg::detail
