// PostgreSQL date/time codecs: date, time, timestamp, timestamptz, interval.
// Binary layouts (src/backend/utils/adt/date.c, timestamp.c): date is int32 days since
// 2000-01-01, time int64 microseconds since midnight, timestamp(tz) int64 microseconds since
// 2000-01-01 00:00 (UTC for timestamptz), with INT32/INT64 min and max meaning -infinity and
// infinity; interval is int64 microseconds, int32 days, int32 months.
// Text layouts are the output functions' under the session's DateStyle (ISO, SQL, Postgres,
// German; MDY or DMY), TimeZone and IntervalStyle (iso_8601, postgres, postgres_verbose,
// sql_standard), which the connection knows from ParameterStatus (datetime.c: EncodeDateOnly,
// EncodeDateTime, EncodeInterval); a value not in the session's style is a TypeError naming it.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "civil.hpp"
#include "tern/protocol/pg/text_settings.hpp"
#include "tern/protocol/pg/timestamp.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

namespace {

using detail::kPgEpochDays;
using detail::kUsPerDay;
using detail::kUsPerSecond;
using detail::PgMicros;
using detail::throw_type_error;
using protocol::as_chars;

constexpr std::int32_t kI32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
const TextSettings kDefaultSettings;

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

std::string date_style_name(const TextSettings& s) {
  static constexpr const char* kStyles[] = {"ISO", "SQL", "Postgres", "German"};
  static constexpr const char* kOrders[] = {"MDY", "DMY", "YMD"};
  return std::string(kStyles[static_cast<int>(s.date_style)]) + ", " +
         kOrders[static_cast<int>(s.date_order)];
}

const char* interval_style_name(TextSettings::IntervalStyle s) noexcept {
  switch (s) {
    case TextSettings::IntervalStyle::kIso8601:
      return "iso_8601";
    case TextSettings::IntervalStyle::kPostgres:
      return "postgres";
    case TextSettings::IntervalStyle::kPostgresVerbose:
      return "postgres_verbose";
    case TextSettings::IntervalStyle::kSqlStandard:
      return "sql_standard";
  }
  return "?";
}

/// What a text value is read as, for failure messages (built only on failure: decoding is a
/// hot path).
enum class ReadAs : std::uint8_t { kDateStyle, kIntervalStyle, kTimeOfDay, kZoneOffset };

/// A cursor over a text value, with the small parsers the output formats need. A failure
/// names the session style the text was read by.
class Text {
 public:
  Text(const char* name, Bytes data, ReadAs read_as, const TextSettings& settings)
      : name_(name), s_(as_chars(data)), read_as_(read_as), settings_(&settings) {}

  bool done() const noexcept { return pos_ == s_.size(); }
  bool peek(char c) const noexcept { return pos_ < s_.size() && s_[pos_] == c; }
  bool peek_digit() const noexcept {
    return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9';
  }
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
  /// The whole text.
  std::string_view text() const noexcept { return s_; }
  /// The text not read yet.
  std::string_view rest() const noexcept { return s_.substr(pos_); }
  /// Accepts the whole remaining text.
  bool rest_is(std::string_view word) noexcept { return s_.substr(pos_) == word && accept(word); }
  void expect(char c) {
    if (!accept(c)) fail();
  }
  /// Reads between `min` and `max` decimal digits.
  std::int64_t digits(std::size_t min, std::size_t max) {
    std::int64_t v = 0;
    std::size_t n = 0;
    while (n < max && peek_digit()) {
      v = v * 10 + (s_[pos_++] - '0');
      ++n;
    }
    if (n < min || (n == max && peek_digit())) fail();
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
  /// Reads up to the next space or the end.
  std::string_view word() noexcept {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ')
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  [[noreturn]] void fail() const {
    std::string style;
    switch (read_as_) {
      case ReadAs::kDateStyle:
        style = "DateStyle " + date_style_name(*settings_);
        break;
      case ReadAs::kIntervalStyle:
        style = std::string("IntervalStyle ") + interval_style_name(settings_->interval_style);
        break;
      case ReadAs::kTimeOfDay:
        style = "HH:MM:SS";
        break;
      case ReadAs::kZoneOffset:
        style = "a zone offset";
        break;
    }
    throw_type_error(
        name_, "malformed text \"" + std::string(s_.substr(0, 64)) + "\" (read as " + style + ")");
  }
  const char* name() const noexcept { return name_; }

 private:
  const char* name_;
  std::string_view s_;
  ReadAs read_as_;
  const TextSettings* settings_;
  std::size_t pos_ = 0;
};

Text date_text(const char* name, Bytes data, const TextSettings& s) {
  return Text(name, data, ReadAs::kDateStyle, s);
}

constexpr std::string_view kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/// A date as written: the year as printed (> 0; " BC" is applied later), month, day.
struct WrittenDate {
  std::int64_t year = 0, month = 0, day = 0;
};

/// Reads a year: at least four digits (EncodeDateOnly pads), up to PostgreSQL's 5874897.
std::int64_t read_year(Text& t) {
  return t.digits(4, 9);
}

using DateStyle = TextSettings::DateStyle;

/// The DateStyle a date or timestamp text is written in, from its own shape: a weekday name
/// (Postgres timestamps), '/' (SQL), '.' (German), two digits then '-' (Postgres dates), else
/// ISO. The text carries its style because a SET DateStyle is reported (ParameterStatus) only
/// at the end of the batch that ran it: the settings can be stale for that batch's rows.
DateStyle style_of(std::string_view text) noexcept {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') return DateStyle::kPostgres;
  const std::string_view date = text.substr(0, text.find(' '));
  if (date.find('/') != std::string_view::npos) return DateStyle::kSql;
  if (date.find('.') != std::string_view::npos) return DateStyle::kGerman;
  if (date.size() > 2 && date[2] == '-') return DateStyle::kPostgres;
  return DateStyle::kIso;
}

/// Whether the first of two day/month fields `a`, `b` written in `style` is the day: the
/// session's DateStyle order when the text is in the session's style; otherwise (the settings
/// are stale, see style_of) what the values allow, and a TypeError when both orders fit.
bool day_first(Text& t, DateStyle style, std::int64_t a, std::int64_t b, const TextSettings& s) {
  if (style == s.date_style) return s.date_order == TextSettings::DateOrder::kDmy;
  if (a > 12 || a == b) return true;
  if (b > 12) return false;
  throw_type_error(t.name(),
                   "ambiguous day and month in \"" + std::string(t.text().substr(0, 40)) +
                       "\": it is not in DateStyle " + date_style_name(s) +
                       " (the session's as last reported; a SET DateStyle is reported at the "
                       "end of its batch)");
}

/// Reads the date of a date, or of a timestamp in a style other than Postgres: ISO
/// "YYYY-MM-DD", SQL "MM/DD/YYYY", German "DD.MM.YYYY", Postgres "MM-DD-YYYY" (DMY swaps day
/// and month in SQL and Postgres), in the style `style_of` finds.
WrittenDate read_date_fields(Text& t, DateStyle style, const TextSettings& s) {
  WrittenDate d;
  const auto day_month_year = [&](char sep) {
    const std::int64_t a = t.digits(2, 2);
    t.expect(sep);
    const std::int64_t b = t.digits(2, 2);
    t.expect(sep);
    d.year = read_year(t);
    const bool day_is_first = style == DateStyle::kGerman || day_first(t, style, a, b, s);
    d.day = day_is_first ? a : b;
    d.month = day_is_first ? b : a;
  };
  switch (style) {
    case DateStyle::kIso:
      d.year = read_year(t);
      t.expect('-');
      d.month = t.digits(2, 2);
      t.expect('-');
      d.day = t.digits(2, 2);
      break;
    case DateStyle::kSql:
      day_month_year('/');
      break;
    case DateStyle::kGerman:
      day_month_year('.');
      break;
    case DateStyle::kPostgres:
      day_month_year('-');
      break;
  }
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) t.fail();
  return d;
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

/// Reads an optional " BC" and the end, and returns the astronomical year's day count since
/// 2000-01-01 (year N BC is astronomical year 1 - N).
std::int64_t finish_date(Text& t, WrittenDate d) {
  if (d.year < 1) t.fail();  // years are printed from 1 (0 is 1 BC)
  if (t.accept(" BC")) d.year = 1 - d.year;
  if (!t.done()) t.fail();
  if (d.day > detail::days_in_month(d.year, d.month)) t.fail();
  return detail::days_from_civil(d.year, d.month, d.day) - kPgEpochDays;
}

/// Reads a numeric zone offset "+HH[:MM[:SS]]" (ISO style) as seconds east of UTC.
std::optional<std::int64_t> read_offset(Text& t) {
  std::int64_t sign = 1;
  if (t.accept('-')) {
    sign = -1;
  } else if (!t.accept('+')) {
    return std::nullopt;
  }
  const std::int64_t oh = t.digits(2, 2);
  const std::int64_t om = t.accept(':') ? t.digits(2, 2) : 0;
  const std::int64_t os = t.accept(':') ? t.digits(2, 2) : 0;
  if (oh > 15 || om > 59 || os > 59) t.fail();
  return sign * ((oh * 60 + om) * 60 + os);
}

/// The UTC offset (seconds east) of a local time printed with zone name `zone` in the session's
/// TimeZone: the offset at that local time whose abbreviation is `zone` (of the two a
/// repeated hour has), the fixed zone of a POSIX TimeZone, or a numeric zone.
std::int64_t zone_offset(Text& t, std::string_view zone, const detail::CivilDate& d,
                         std::int64_t tod, const TextSettings& s) {
  if (!s.zone_abbreviation.empty()) {
    if (zone != s.zone_abbreviation) t.fail();
    return s.time_zone.At(absl::UnixEpoch()).offset;
  }
  const std::int64_t seconds = tod / kUsPerSecond;
  const absl::TimeZone::TimeInfo info = s.time_zone.At(absl::CivilSecond(
      d.year, static_cast<int>(d.month), static_cast<int>(d.day), static_cast<int>(seconds / 3600),
      static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60)));
  for (const absl::Time candidate : {info.pre, info.post}) {
    const absl::TimeZone::CivilInfo at = s.time_zone.At(candidate);
    if (at.zone_abbr == zone) return at.offset;
  }
  Text numeric(t.name(), protocol::as_bytes(zone), ReadAs::kZoneOffset, s);
  if (const std::optional<std::int64_t> offset = read_offset(numeric); offset && numeric.done()) {
    return *offset;
  }
  throw_type_error(t.name(), "zone \"" + std::string(zone) +
                                 "\" is not the session TimeZone's name for that time (the "
                                 "TimeZone as last reported; a SET TimeZone is reported at the "
                                 "end of its batch)");
}

/// Reads a timestamp's text in the session's DateStyle as microseconds since 2000-01-01
/// (UTC for `with_zone`, converted with the printed offset or zone name); infinities become
/// INT64 max/min.
std::int64_t read_timestamp_text(const char* name, Bytes data, bool with_zone,
                                 const TextSettings& s) {
  Text t = date_text(name, data, s);
  if (t.rest_is("infinity")) return kI64Max;
  if (t.rest_is("-infinity")) return kI64Min;
  WrittenDate d;
  std::int64_t tod = 0;
  const DateStyle style = style_of(t.rest());
  if (style == DateStyle::kPostgres && !t.rest().empty() && !t.peek_digit()) {
    // "Wed Dec 26 20:05:06.5 2001" ("Wed 26 Dec ..." with DMY: the fields tell).
    if (t.word().size() != 3) t.fail();
    t.expect(' ');
    const auto month = [&] {
      const std::string_view w = t.word();
      for (std::size_t i = 0; i < std::size(kMonthNames); ++i)
        if (w == kMonthNames[i]) return static_cast<std::int64_t>(i + 1);
      t.fail();
    };
    if (t.peek_digit()) {
      d.day = t.digits(2, 2);
      t.expect(' ');
      d.month = month();
    } else {
      d.month = month();
      t.expect(' ');
      d.day = t.digits(2, 2);
    }
    t.expect(' ');
    tod = read_time_of_day(t);
    t.expect(' ');
    d.year = read_year(t);
    if (d.day < 1 || d.day > 31) t.fail();
  } else {
    d = read_date_fields(t, style, s);
    t.expect(' ');
    tod = read_time_of_day(t);
  }
  std::optional<std::int64_t> offset;
  std::string_view zone;
  if (with_zone) {
    if (style == DateStyle::kIso) {
      offset = read_offset(t);
      if (!offset) t.fail();
    } else {
      t.expect(' ');
      zone = t.word();
      if (zone.empty()) t.fail();
    }
  }
  const std::int64_t days = finish_date(t, d);
  const std::int64_t local = checked_add(name, checked_mul(name, days, kUsPerDay), tod);
  if (with_zone && !offset) {
    offset = zone_offset(t, zone, detail::civil_from_days(days + kPgEpochDays), tod, s);
  }
  const std::int64_t us = checked_add(name, local, -offset.value_or(0) * kUsPerSecond);
  PgMicros::check(name, us);
  return us;
}

/// Reads a binary or text timestamp(tz) as PostgreSQL's count; throws outside its range.
std::int64_t read_timestamp(const char* name, Format format, Bytes data, bool with_zone,
                            const TextSettings& s) {
  if (format == Format::kText) return read_timestamp_text(name, data, with_zone, s);
  const std::int64_t us = read_i64(name, data);
  PgMicros::check(name, us);
  return us;
}

/// The fields of an interval being read, summed in 64 bits.
struct IntervalSum {
  std::int64_t months = 0, days = 0, us = 0;
};

/// ISO 8601 ("P1Y2M3DT4H5M6.5S", "PT0S", "P-1D").
void read_iso8601_interval(Text& t, IntervalSum& v) {
  const char* name = t.name();
  if (!t.accept('P')) t.fail();
  bool in_time = false, any = false;
  while (!t.done()) {
    if (!in_time && t.accept('T')) {
      in_time = true;
      if (t.done()) t.fail();
      continue;
    }
    const bool negative = t.accept('-');
    if (!negative) t.accept('+');
    std::int64_t n = t.digits(1, 18);
    std::int64_t frac = t.fraction();
    if (negative) n = -n, frac = -frac;
    any = true;
    if (frac != 0 && !(in_time && t.peek('S'))) t.fail();  // only seconds have fractions
    if (!in_time && t.accept('Y')) {
      v.months = checked_add(name, v.months, checked_mul(name, n, 12));
    } else if (!in_time && t.accept('M')) {
      v.months = checked_add(name, v.months, n);
    } else if (!in_time && t.accept('W')) {
      v.days = checked_add(name, v.days, checked_mul(name, n, 7));
    } else if (!in_time && t.accept('D')) {
      v.days = checked_add(name, v.days, n);
    } else if (in_time && t.accept('H')) {
      v.us = checked_add(name, v.us, checked_mul(name, n, 3600 * kUsPerSecond));
    } else if (in_time && t.accept('M')) {
      v.us = checked_add(name, v.us, checked_mul(name, n, 60 * kUsPerSecond));
    } else if (in_time && t.accept('S')) {
      v.us = checked_add(name, v.us, checked_add(name, checked_mul(name, n, kUsPerSecond), frac));
    } else {
      t.fail();
    }
  }
  if (!any) t.fail();
}

/// Reads ":MM:SS[.ffffff]" after `hours` (of any width) and returns the clock in microseconds,
/// times `sign` (+1 or -1). The sign is applied before the sum so that the most negative clock
/// the server prints ("-2562047788:00:54.775808", INT64_MIN microseconds) reads back.
std::int64_t read_clock_after(Text& t, std::int64_t hours, std::int64_t sign) {
  t.expect(':');
  const std::int64_t m = t.digits(2, 2);
  t.expect(':');
  const std::int64_t s = t.digits(2, 2);
  const std::int64_t frac = t.fraction();
  if (m > 59 || s > 59) t.fail();
  return checked_add(t.name(), checked_mul(t.name(), hours, sign * 3600 * kUsPerSecond),
                     sign * ((m * 60 + s) * kUsPerSecond + frac));
}

/// Adds `n` of a postgres/postgres_verbose unit word ("year", "mons", "secs"...) to `v`;
/// `frac_us` is the fraction of seconds. False for an unknown unit.
bool add_unit(const char* name, std::string_view unit, std::int64_t n, std::int64_t frac_us,
              IntervalSum& v) {
  if (!unit.empty() && unit.back() == 's') unit.remove_suffix(1);
  if (frac_us != 0 && unit != "sec") return false;
  if (unit == "year") {
    v.months = checked_add(name, v.months, checked_mul(name, n, 12));
  } else if (unit == "mon") {
    v.months = checked_add(name, v.months, n);
  } else if (unit == "day") {
    v.days = checked_add(name, v.days, n);
  } else if (unit == "hour") {
    v.us = checked_add(name, v.us, checked_mul(name, n, 3600 * kUsPerSecond));
  } else if (unit == "min") {
    v.us = checked_add(name, v.us, checked_mul(name, n, 60 * kUsPerSecond));
  } else if (unit == "sec") {
    v.us = checked_add(name, v.us, checked_add(name, checked_mul(name, n, kUsPerSecond), frac_us));
  } else {
    return false;
  }
  return true;
}

/// postgres: "1 year 2 mons -3 days +04:05:06.5", "00:00:00".
void read_postgres_interval(Text& t, IntervalSum& v) {
  bool any = false;
  while (!t.done()) {
    if (any) t.expect(' ');
    any = true;
    const bool negative = t.accept('-');
    if (!negative) t.accept('+');
    const std::int64_t n = t.digits(1, 18);
    if (t.peek(':')) {  // the clock, last: its sign covers hours, minutes and seconds
      const std::int64_t clock = read_clock_after(t, n, negative ? -1 : 1);
      if (!t.done()) t.fail();
      v.us = checked_add(t.name(), v.us, clock);
      return;
    }
    t.expect(' ');
    if (!add_unit(t.name(), t.word(), negative ? -n : n, 0, v)) t.fail();
  }
  if (!any) t.fail();
}

/// postgres_verbose: "@ 1 year 2 mons 3 days 4 hours 5 mins 6.5 secs ago", "@ 0".
void read_postgres_verbose_interval(Text& t, IntervalSum& v) {
  if (!t.accept('@')) t.fail();
  if (t.rest_is(" 0")) return;
  // "ago" negates every field. It is applied to each field as it is read rather than to the
  // sums at the end: the sum of "2562047788 hours 54.775808 secs" does not fit in int64, its
  // negation (the most negative interval the server prints) does.
  const bool ago = t.text().ends_with(" ago");
  bool any = false;
  while (!t.done()) {
    t.expect(' ');
    if (any && ago && t.rest_is("ago")) return;
    const std::int64_t sign = t.accept('-') != ago ? -1 : 1;
    const std::int64_t n = t.digits(1, 18);
    const std::int64_t frac = t.fraction();
    t.expect(' ');
    if (!add_unit(t.name(), t.word(), sign * n, sign * frac, v)) t.fail();
    any = true;
  }
  if (!any || ago) t.fail();
}

/// sql_standard: "1-2" (years-months), "3 4:05:06.5" (days and time), "4:05:06", "-1-2" (all
/// negative), "+1-2 -3 +4:05:06" (mixed signs or both kinds), "0".
void read_sql_standard_interval(Text& t, IntervalSum& v, std::string_view text) {
  const char* name = t.name();
  if (t.rest_is("0")) return;
  const auto sign = [&](bool required) -> std::int64_t {
    if (t.accept('-')) return -1;
    if (!t.accept('+') && required) t.fail();
    return 1;
  };
  const auto year_month = [&](std::int64_t sg) {
    const std::int64_t y = t.digits(1, 18);
    t.expect('-');
    const std::int64_t m = t.digits(1, 2);
    if (m > 11) t.fail();
    v.months = checked_add(name, v.months, sg * checked_add(name, checked_mul(name, y, 12), m));
  };
  const auto clock = [&](std::int64_t sg) {
    v.us = checked_add(name, v.us, read_clock_after(t, t.digits(1, 18), sg));
  };
  const auto spaces = std::count(text.begin(), text.end(), ' ');
  if (spaces == 2) {
    year_month(sign(true));
    t.expect(' ');
    const std::int64_t sd = sign(true);
    v.days = checked_add(name, v.days, sd * t.digits(1, 18));
    t.expect(' ');
    clock(sign(true));
  } else {
    const std::int64_t sg = sign(false);
    if (spaces == 1) {
      v.days = checked_add(name, v.days, sg * t.digits(1, 18));
      t.expect(' ');
      clock(sg);
    } else if (text.find(':') != std::string_view::npos) {
      clock(sg);
    } else {
      year_month(sg);
    }
  }
  if (!t.done()) t.fail();
}

Interval read_interval_text(Bytes data, const TextSettings& s) {
  const char* name = "interval";
  Text t(name, data, ReadAs::kIntervalStyle, s);
  if (t.rest_is("infinity")) return {kI32Max, kI32Max, kI64Max};
  if (t.rest_is("-infinity")) return {kI32Min, kI32Min, kI64Min};
  // The text shows its style (a SET IntervalStyle is reported only at the end of its batch):
  // ISO 8601 starts with P, postgres_verbose with @, postgres has unit words, sql_standard
  // none (a bare clock reads the same in both).
  const std::string_view chars = as_chars(data);
  IntervalSum v;
  if (chars.starts_with('P')) {
    read_iso8601_interval(t, v);
  } else if (chars.starts_with('@')) {
    read_postgres_verbose_interval(t, v);
  } else if (chars.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string_view::npos) {
    read_postgres_interval(t, v);
  } else {
    read_sql_standard_interval(t, v, chars);
  }
  if (v.months < kI32Min || v.months > kI32Max || v.days < kI32Min || v.days > kI32Max) {
    throw_type_error(name, "months or days out of range");
  }
  return {static_cast<std::int32_t>(v.months), static_cast<std::int32_t>(v.days), v.us};
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

Date Type<Date>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

Date Type<Date>::decode(Oid, Format format, Bytes data, const TextSettings& settings) {
  if (format == Format::kText) {
    Text t = date_text("date", data, settings);
    if (t.rest_is("infinity")) return Date::max();
    if (t.rest_is("-infinity")) return Date::min();
    const WrittenDate d = read_date_fields(t, style_of(t.rest()), settings);
    return Date(std::chrono::days(finish_date(t, d) + kPgEpochDays));
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
    Text t("time", data, ReadAs::kTimeOfDay, kDefaultSettings);
    const std::int64_t us = read_time_of_day(t);
    if (!t.done()) t.fail();
    return Time(us);
  }
  const std::int64_t v = read_i64("time", data);
  if (v < 0 || v > kUsPerDay) throw_type_error("time", "value outside 00:00:00..24:00:00");
  return Time(v);
}

// ---- timestamp / timestamptz ----

bool Type<WideTimestamp>::accepts(Oid type) noexcept {
  return type == oid::kTimestamp;
}

void Type<WideTimestamp>::encode(const WideTimestamp& value, ByteWriter& out) {
  PgMicros::check("timestamp", value.microseconds);
  out.i64(value.microseconds);
}

WideTimestamp Type<WideTimestamp>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

WideTimestamp Type<WideTimestamp>::decode(Oid, Format format, Bytes data,
                                          const TextSettings& settings) {
  return WideTimestamp::from_pg_microseconds(
      read_timestamp("timestamp", format, data, false, settings));
}

bool Type<WideTimestamptz>::accepts(Oid type) noexcept {
  return type == oid::kTimestamptz;
}

void Type<WideTimestamptz>::encode(const WideTimestamptz& value, ByteWriter& out) {
  PgMicros::check("timestamptz", value.microseconds);
  out.i64(value.microseconds);
}

WideTimestamptz Type<WideTimestamptz>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

WideTimestamptz Type<WideTimestamptz>::decode(Oid, Format format, Bytes data,
                                              const TextSettings& settings) {
  return WideTimestamptz::from_pg_microseconds(
      read_timestamp("timestamptz", format, data, true, settings));
}

bool Type<Timestamp>::accepts(Oid type) noexcept {
  return type == oid::kTimestamp;
}

void Type<Timestamp>::encode(const Timestamp& value, ByteWriter& out) {
  Type<WideTimestamp>::encode(WideTimestamp(value), out);
}

Timestamp Type<Timestamp>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

Timestamp Type<Timestamp>::decode(Oid type, Format format, Bytes data,
                                  const TextSettings& settings) {
  return Type<WideTimestamp>::decode(type, format, data, settings).to_datetime();
}

bool Type<Timestamptz>::accepts(Oid type) noexcept {
  return type == oid::kTimestamptz;
}

void Type<Timestamptz>::encode(const Timestamptz& value, ByteWriter& out) {
  Type<WideTimestamptz>::encode(WideTimestamptz(value), out);
}

Timestamptz Type<Timestamptz>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

Timestamptz Type<Timestamptz>::decode(Oid type, Format format, Bytes data,
                                      const TextSettings& settings) {
  return Type<WideTimestamptz>::decode(type, format, data, settings).to_instant();
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

Interval Type<Interval>::decode(Oid type, Format format, Bytes data) {
  return decode(type, format, data, kDefaultSettings);
}

Interval Type<Interval>::decode(Oid, Format format, Bytes data, const TextSettings& settings) {
  if (format == Format::kText) return read_interval_text(data, settings);
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
