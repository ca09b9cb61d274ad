// pg::WideTimestamp / WideTimestamptz: PostgreSQL's microsecond count since 2000, its range
// checks and its conversions to calendar fields and to the std::chrono count since 1970.
#include "tern/protocol/pg/timestamp.hpp"

#include <string>

#include "civil.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::pg::detail {

namespace {
constexpr std::int64_t kPgEpochUs = kPgEpochDays * kUsPerDay;
}  // namespace

void PgMicros::check(const char* type, std::int64_t us) {
  if (is_valid(us)) return;
  throw_type_error(type, "value out of range (PostgreSQL's is 4714-11-24 BC to 294276 AD)");
}

CivilDateTime PgMicros::civil(std::int64_t us) noexcept {
  const std::int64_t days = (us >= 0 ? us : us - (kUsPerDay - 1)) / kUsPerDay;
  const std::int64_t tod = us - days * kUsPerDay;
  const CivilDate d = civil_from_days(days + kPgEpochDays);
  const std::int64_t seconds = tod / kUsPerSecond;
  return {d.year,
          static_cast<int>(d.month),
          static_cast<int>(d.day),
          static_cast<int>(seconds / 3600),
          static_cast<int>(seconds / 60 % 60),
          static_cast<int>(seconds % 60),
          static_cast<int>(tod % kUsPerSecond)};
}

std::int64_t PgMicros::from_civil(const char* type, const CivilDateTime& c) {
  if (c.year < -5000 || c.year > 300'000 || c.month < 1 || c.month > 12 || c.day < 1 ||
      c.day > days_in_month(c.year, c.month) || c.hour < 0 || c.hour > 23 || c.minute < 0 ||
      c.minute > 59 || c.second < 0 || c.second > 59 || c.microsecond < 0 ||
      c.microsecond > 999'999) {
    throw_type_error(type, "invalid or out-of-range calendar fields");
  }
  const std::int64_t days = days_from_civil(c.year, c.month, c.day) - kPgEpochDays;
  const std::int64_t tod =
      ((c.hour * 60 + c.minute) * 60 + c.second) * kUsPerSecond + c.microsecond;
  std::int64_t us = 0;
  if (__builtin_mul_overflow(days, kUsPerDay, &us) || __builtin_add_overflow(us, tod, &us) ||
      us < kMin || us >= kEnd) {
    throw_type_error(type, "value out of range (PostgreSQL's is 4714-11-24 BC to 294276 AD)");
  }
  return us;
}

std::int64_t PgMicros::to_unix(const char* type, std::int64_t us) {
  if (is_infinite(us)) return us;
  std::int64_t unix_us = 0;
  if (__builtin_add_overflow(us, kPgEpochUs, &unix_us) || unix_us == kInfinity) {
    throw_type_error(
        type,
        "value after 294247-01-10 04:00:54.775806, the last a std::chrono time "
        "point of int64 microseconds since 1970 holds (read it as pg::Wide" +
            std::string(type == std::string_view("timestamp") ? "Timestamp" : "Timestamptz") + ")");
  }
  return unix_us;
}

std::int64_t PgMicros::from_unix(const char* type, std::int64_t unix_us) {
  if (is_infinite(unix_us)) return unix_us;
  std::int64_t us = 0;
  if (__builtin_sub_overflow(unix_us, kPgEpochUs, &us)) us = kMinusInfinity;  // far too early
  if (us == kMinusInfinity || us < kMin) {
    throw TypeError(std::string("cannot encode ") + type +
                    ": value before 4714-11-24 00:00:00 BC, PostgreSQL's first");
  }
  return us;
}

}  // namespace tern::pg::detail
