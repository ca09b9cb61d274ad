// PostgreSQL date/time codecs: date, time, timestamp, timestamptz, interval.
// Binary layouts (src/backend/utils/adt/date.c, timestamp.c): date is int32 days since
// 2000-01-01, time int64 microseconds since midnight, timestamp(tz) int64 microseconds since
// 2000-01-01 00:00 (UTC for timestamptz), with INT32/INT64 min and max meaning -infinity and
// infinity; interval is int64 microseconds, int32 days, int32 months.
// Text layouts are DateStyle=ISO output ("2024-01-02 03:04:05.123456+05:30", " BC" suffix for
// years <= 0) and IntervalStyle=iso_8601 output ("P1Y2M3DT4H5M6.5S", "PT0S", "P-1D").
#include <cstdint>
#include <limits>
#include <string>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

namespace {

using detail::throw_type_error;
using protocol::as_chars;

constexpr std::int64_t kUsPerSecond = 1'000'000;
constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSecond;
constexpr std::int64_t kPgEpochDays = 10'957;  // 2000-01-01 - 1970-01-01
constexpr std::int64_t kPgEpochUs = kPgEpochDays * kUsPerDay;
constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

/// Days since 1970-01-01 of a proleptic Gregorian date (astronomical year numbering).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

std::int64_t days_in_month(std::int64_t y, std::int64_t m) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

std::int64_t checked_add(const char* name, std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw_type_error(name, "value out of range");
  return r;
}

std::int64_t checked_mul(const char* name, std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw_type_error(name, "value out of range");
  return r;
}

std::int64_t read_i64(const char* name, Bytes data) {
  if (data.size() != 8) {
    throw_type_error(name,
                     "binary value has " + std::to_string(data.size()) + " bytes, expected 8");
  }
  return protocol::ByteReader(data).i64();
}

/// A cursor over a text value, with the small parsers the ISO formats need.
class Text {
 public:
  Text(const char* name, Bytes data) : name_(name), s_(as_chars(data)) {}

  bool done() const noexcept { return pos_ == s_.size(); }
  bool peek(char c) const noexcept { return pos_ < s_.size() && s_[pos_] == c; }
  bool accept(char c) noexcept {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  bool accept(std::string_view word) noexcept {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail();
  }
  /// Reads between `min` and `max` decimal digits.
  std::int64_t digits(std::size_t min, std::size_t max) {
    std::int64_t v = 0;
    std::size_t n = 0;
    while (n < max && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      v = v * 10 + (s_[pos_++] - '0');
      ++n;
    }
    if (n < min || (n == max && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')) fail();
    return v;
  }
  /// Reads an optional ".ffffff" (1 to 6 digits) as microseconds.
  std::int64_t fraction() {
    if (!accept('.')) return 0;
    const std::size_t start = pos_;
    std::int64_t v = digits(1, 6);
    for (std::size_t n = pos_ - start; n < 6; ++n)
      v *= 10;
    return v;
  }
  [[noreturn]] void fail() const {
    throw_type_error(name_, "malformed text \"" + std::string(s_.substr(0, 64)) + "\"");
  }
  const char* name() const noexcept { return name_; }

 private:
  const char* name_;
  std::string_view s_;
  std::size_t pos_ = 0;
};

/// A calendar date as written (year > 0; a " BC" suffix is applied by finish_date).
struct CivilDate {
  std::int64_t year, month, day;
};

/// Reads "YYYY-MM-DD".
CivilDate read_date(Text& t) {
  CivilDate d{};
  d.year = t.digits(1, 9);
  t.expect('-');
  d.month = t.digits(2, 2);
  t.expect('-');
  d.day = t.digits(2, 2);
  // The day is checked against the month once the era (a " BC" suffix) is known.
  if (d.year == 0 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) t.fail();
  return d;
}

/// Days since 1970-01-01, applying a trailing " BC" (year N BC is astronomical year 1 - N).
std::int64_t finish_date(Text& t, CivilDate d) {
  if (t.accept(" BC")) d.year = 1 - d.year;
  if (!t.done()) t.fail();
  if (d.day > days_in_month(d.year, d.month)) t.fail();
  return days_from_civil(d.year, d.month, d.day);
}

/// Reads "HH:MM:SS[.ffffff]" as microseconds since midnight (24:00:00 allowed).
std::int64_t read_time_of_day(Text& t) {
  const std::int64_t h = t.digits(2, 2);
  t.expect(':');
  const std::int64_t m = t.digits(2, 2);
  t.expect(':');
  const std::int64_t s = t.digits(2, 2);
  const std::int64_t us = t.fraction();
  if (h > 24 || m > 59 || s > 59 || (h == 24 && (m != 0 || s != 0 || us != 0))) t.fail();
  return ((h * 60 + m) * 60 + s) * kUsPerSecond + us;
}

/// Reads a timestamp's text as Unix microseconds; `with_zone` also reads the offset and
/// converts to UTC. Infinities become INT64 min/max.
std::int64_t read_timestamp_text(const char* name, Bytes data, bool with_zone) {
  Text t(name, data);
  if (t.accept("infinity") && t.done()) return kI64Max;
  if (t.accept("-infinity") && t.done()) return kI64Min;
  Text u(name, data);
  const CivilDate d = read_date(u);
  u.expect(' ');
  const std::int64_t tod = read_time_of_day(u);
  std::int64_t offset_us = 0;
  if (with_zone) {
    std::int64_t sign = 1;
    if (u.accept('-')) {
      sign = -1;
    } else {
      u.expect('+');
    }
    const std::int64_t oh = u.digits(2, 2);
    const std::int64_t om = u.accept(':') ? u.digits(2, 2) : 0;
    const std::int64_t os = u.accept(':') ? u.digits(2, 2) : 0;
    if (oh > 15 || om > 59 || os > 59) u.fail();
    offset_us = sign * ((oh * 60 + om) * 60 + os) * kUsPerSecond;
  }
  const std::int64_t days = finish_date(u, d);
  const std::int64_t local = checked_add(name, checked_mul(name, days, kUsPerDay), tod);
  return checked_add(name, local, -offset_us);
}

/// Reads binary timestamp(tz) as Unix microseconds; infinities stay INT64 min/max.
std::int64_t read_timestamp_binary(const char* name, Bytes data) {
  const std::int64_t v = read_i64(name, data);
  if (v == kI64Min || v == kI64Max) return v;
  std::int64_t unix_us = 0;
  // PostgreSQL's range ends at 294276-12-31; int64 microseconds since 1970 (the C++ type) end
  // at 294247-01-10 04:00:54.775807 UTC. to_text renders the last 29 years; a typed read
  // cannot hold them.
  if (__builtin_add_overflow(v, kPgEpochUs, &unix_us) || unix_us == kI64Max) {
    throw_type_error(name,
                     "value past 294247-01-10 04:00:54.775806, the largest a "
                     "std::chrono time point of int64 microseconds since 1970 holds");
  }
  return unix_us;
}

/// Writes Unix microseconds as binary timestamp(tz); INT64 min/max are the infinities.
void write_timestamp(const char* name, std::int64_t unix_us, ByteWriter& out) {
  if (unix_us == kI64Min || unix_us == kI64Max) return out.i64(unix_us);
  std::int64_t v = 0;
  if (__builtin_sub_overflow(unix_us, kPgEpochUs, &v) || v == kI64Min || v == kI64Max) {
    throw TypeError(std::string("cannot encode ") + name + ": value out of range");
  }
  out.i64(v);
}

/// Reads one ISO 8601 interval number: optional sign, digits, and (seconds only) a fraction.
/// Returns the integer part and, through `frac_us`, the signed fraction in microseconds.
std::int64_t read_interval_number(Text& t, std::int64_t& frac_us) {
  const bool negative = t.accept('-');
  if (!negative) t.accept('+');
  const std::int64_t v = t.digits(1, 18);
  frac_us = t.fraction();
  if (negative) frac_us = -frac_us;
  return negative ? -v : v;
}

Interval read_interval_text(Bytes data) {
  const char* name = "interval";
  Text t(name, data);
  if (t.accept("infinity") && t.done()) return {kI32Max, kI32Max, kI64Max};
  Text u(name, data);
  if (u.accept("-infinity") && u.done()) return {kI32Min, kI32Min, kI64Min};
  Text p(name, data);
  if (!p.accept('P')) {
    throw_type_error(name, "expected ISO 8601 text (IntervalStyle=iso_8601), got \"" +
                               std::string(as_chars(data).substr(0, 64)) + "\"");
  }
  std::int64_t months = 0, days = 0, us = 0;
  bool in_time = false, any = false;
  while (!p.done()) {
    if (!in_time && p.accept('T')) {
      in_time = true;
      if (p.done()) p.fail();
      continue;
    }
    std::int64_t frac = 0;
    const std::int64_t v = read_interval_number(p, frac);
    any = true;
    if (frac != 0 && !(in_time && p.peek('S'))) p.fail();  // only seconds have fractions
    if (!in_time && p.accept('Y')) {
      months = checked_add(name, months, checked_mul(name, v, 12));
    } else if (!in_time && p.accept('M')) {
      months = checked_add(name, months, v);
    } else if (!in_time && p.accept('W')) {
      days = checked_add(name, days, checked_mul(name, v, 7));
    } else if (!in_time && p.accept('D')) {
      days = checked_add(name, days, v);
    } else if (in_time && p.accept('H')) {
      us = checked_add(name, us, checked_mul(name, v, 3600 * kUsPerSecond));
    } else if (in_time && p.accept('M')) {
      us = checked_add(name, us, checked_mul(name, v, 60 * kUsPerSecond));
    } else if (in_time && p.accept('S')) {
      us = checked_add(name, us, checked_add(name, checked_mul(name, v, kUsPerSecond), frac));
    } else {
      p.fail();
    }
  }
  if (!any) p.fail();
  if (months < kI32Min || months > kI32Max || days < kI32Min || days > kI32Max) {
    throw_type_error(name, "months or days out of range");
  }
  return {static_cast<std::int32_t>(months), static_cast<std::int32_t>(days), us};
}

}  // namespace

// ---- date ----

bool Type<Date>::accepts(Oid type) noexcept {
  return type == oid::kDate;
}

void Type<Date>::encode(const Date& value, ByteWriter& out) {
  if (value == Date::max()) return out.i32(kI32Max);
  if (value == Date::min()) return out.i32(kI32Min);
  const std::int64_t days = value.time_since_epoch().count();
  if (days <= kI32Min + kPgEpochDays || days >= kI32Max + kPgEpochDays) {
    throw TypeError("cannot encode date: value out of range");
  }
  out.i32(static_cast<std::int32_t>(days - kPgEpochDays));
}

Date Type<Date>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText) {
    Text t("date", data);
    if (t.accept("infinity") && t.done()) return Date::max();
    Text u("date", data);
    if (u.accept("-infinity") && u.done()) return Date::min();
    Text v("date", data);
    const CivilDate d = read_date(v);
    return Date(std::chrono::days(finish_date(v, d)));
  }
  if (data.size() != 4) {
    throw_type_error("date",
                     "binary value has " + std::to_string(data.size()) + " bytes, expected 4");
  }
  const std::int32_t v = protocol::ByteReader(data).i32();
  if (v == kI32Max) return Date::max();
  if (v == kI32Min) return Date::min();
  return Date(std::chrono::days(std::int64_t{v} + kPgEpochDays));
}

// ---- time ----

bool Type<Time>::accepts(Oid type) noexcept {
  return type == oid::kTime;
}

void Type<Time>::encode(const Time& value, ByteWriter& out) {
  if (value.count() < 0 || value.count() > kUsPerDay) {
    throw TypeError("cannot encode time: value outside 00:00:00..24:00:00");
  }
  out.i64(value.count());
}

Time Type<Time>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText) {
    Text t("time", data);
    const std::int64_t us = read_time_of_day(t);
    if (!t.done()) t.fail();
    return Time(us);
  }
  const std::int64_t v = read_i64("time", data);
  if (v < 0 || v > kUsPerDay) throw_type_error("time", "value outside 00:00:00..24:00:00");
  return Time(v);
}

// ---- timestamp / timestamptz ----

bool Type<Timestamp>::accepts(Oid type) noexcept {
  return type == oid::kTimestamp;
}

void Type<Timestamp>::encode(const Timestamp& value, ByteWriter& out) {
  write_timestamp("timestamp", value.time_since_epoch().count(), out);
}

Timestamp Type<Timestamp>::decode(Oid, Format format, Bytes data) {
  const std::int64_t us = format == Format::kText ? read_timestamp_text("timestamp", data, false)
                                                  : read_timestamp_binary("timestamp", data);
  return Timestamp(std::chrono::microseconds(us));
}

bool Type<Timestamptz>::accepts(Oid type) noexcept {
  return type == oid::kTimestamptz;
}

void Type<Timestamptz>::encode(const Timestamptz& value, ByteWriter& out) {
  write_timestamp("timestamptz", value.time_since_epoch().count(), out);
}

Timestamptz Type<Timestamptz>::decode(Oid, Format format, Bytes data) {
  const std::int64_t us = format == Format::kText ? read_timestamp_text("timestamptz", data, true)
                                                  : read_timestamp_binary("timestamptz", data);
  return Timestamptz(std::chrono::microseconds(us));
}

// ---- interval ----

bool Type<Interval>::accepts(Oid type) noexcept {
  return type == oid::kInterval;
}

void Type<Interval>::encode(const Interval& value, ByteWriter& out) {
  out.i64(value.microseconds);
  out.i32(value.days);
  out.i32(value.months);
}

Interval Type<Interval>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText) return read_interval_text(data);
  if (data.size() != 16) {
    throw_type_error("interval",
                     "binary value has " + std::to_string(data.size()) + " bytes, expected 16");
  }
  protocol::ByteReader r(data);
  Interval out;
  out.microseconds = r.i64();
  out.days = r.i32();
  out.months = r.i32();
  return out;
}

}  // namespace tern::pg
