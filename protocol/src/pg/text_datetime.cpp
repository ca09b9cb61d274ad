// Dates, timestamps and intervals as PostgreSQL's output functions print them
// (src/backend/utils/adt/datetime.c: EncodeDateOnly, EncodeDateTime, EncodeTimezone,
// EncodeInterval), under the session's DateStyle, IntervalStyle and TimeZone.
#include "text_datetime.hpp"

#include <charconv>
#include <cstdio>
#include <limits>
#include <string_view>

#include "civil.hpp"
#include "tern/protocol/bytes.hpp"
#include "tern/protocol/pg/timestamp.hpp"

namespace tern::pg::detail {

namespace {

constexpr const char* kDayNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_padded(std::string& out, std::int64_t v, int width) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  for (auto n = static_cast<int>(r.ptr - buf); n < width; ++n)
    out += '0';
  out.append(buf, r.ptr);
}

void append_number(std::string& out, std::int64_t v) {
  append_padded(out, v, 0);
}

// AppendSeconds: "SS" (two digits when `pad`) plus ".ffffff" without trailing zeros; both
// parts are printed as absolute values.
void append_seconds(std::string& out, std::int64_t seconds, std::int64_t micros, bool pad) {
  append_padded(out, seconds < 0 ? -seconds : seconds, pad ? 2 : 1);
  if (micros == 0) return;
  char buf[24];
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros < 0 ? -micros : micros));
  std::string_view f(buf);
  while (f.back() == '0')
    f.remove_suffix(1);
  out += f;
}

// EncodeDateOnly: the date in the session's DateStyle, years <= 0 as "N BC".
void append_date_fields(std::string& out, const CivilDate& d, const TextSettings& settings) {
  const std::int64_t year = d.year > 0 ? d.year : 1 - d.year;
  const bool dmy = settings.date_order == TextSettings::DateOrder::kDmy;
  const auto day_month = [&](char sep) {
    append_padded(out, dmy ? d.day : d.month, 2);
    out += sep;
    append_padded(out, dmy ? d.month : d.day, 2);
    out += sep;
    append_padded(out, year, 4);
  };
  switch (settings.date_style) {
    case TextSettings::DateStyle::kIso:
      append_padded(out, year, 4);
      out += '-';
      append_padded(out, d.month, 2);
      out += '-';
      append_padded(out, d.day, 2);
      break;
    case TextSettings::DateStyle::kSql:
      day_month('/');
      break;
    case TextSettings::DateStyle::kGerman:
      append_padded(out, d.day, 2);
      out += '.';
      append_padded(out, d.month, 2);
      out += '.';
      append_padded(out, year, 4);
      break;
    case TextSettings::DateStyle::kPostgres:
      day_month('-');
      break;
  }
}

// EncodeTimezone: "+HH", "+HH:MM" or "+HH:MM:SS" east of UTC.
void append_offset(std::string& out, int offset_seconds) {
  out += offset_seconds >= 0 ? '+' : '-';
  const int abs = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  append_padded(out, abs / 3600, 2);
  if (abs % 3600 != 0) {
    out += ':';
    append_padded(out, abs / 60 % 60, 2);
    if (abs % 60 != 0) {
      out += ':';
      append_padded(out, abs % 60, 2);
    }
  }
}

}  // namespace

void append_date(std::string& out, std::int64_t unix_days, const TextSettings& settings) {
  const CivilDate d = civil_from_days(unix_days);
  append_date_fields(out, d, settings);
  if (d.year <= 0) out += " BC";
}

// "HH:MM:SS" plus ".ffffff" without trailing zeros.
void append_time_of_day(std::string& out, std::int64_t micros) {
  const std::int64_t seconds = micros / 1'000'000;
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_seconds(out, seconds % 60, micros % 1'000'000, true);
}

// EncodeDateTime of a binary timestamp(tz): int64 microseconds since 2000-01-01, rendered from
// that count itself: its range (to 294276 AD) reaches past what a std::chrono time point of
// int64 microseconds since 1970 holds (294247 AD). timestamptz is shown in the session's
// TimeZone, with the zone's offset (ISO) or abbreviation (the other styles).
void append_timestamp(std::string& out, Bytes value, bool with_zone, const TextSettings& settings) {
  const char* name = with_zone ? "timestamptz" : "timestamp";
  if (value.size() != 8) {
    throw_type_error(name,
                     "binary value has " + std::to_string(value.size()) + " bytes, expected 8");
  }
  std::int64_t us = protocol::ByteReader(value).i64();
  if (us == std::numeric_limits<std::int64_t>::max()) {
    out += "infinity";
    return;
  }
  if (us == std::numeric_limits<std::int64_t>::min()) {
    out += "-infinity";
    return;
  }
  // PostgreSQL's range (4714-11-24 BC to 294276 AD): a value outside it is corrupt, and the
  // arithmetic below stays far from int64's limits.
  PgMicros::check(name, us);
  int offset = 0;
  std::string_view abbreviation;
  absl::TimeZone::CivilInfo zone;
  if (with_zone) {
    const std::int64_t unix_seconds =
        (us >= 0 ? us : us - 999'999) / 1'000'000 + kPgEpochDays * 86'400;
    zone = settings.time_zone.At(absl::FromUnixSeconds(unix_seconds));
    offset = zone.offset;
    abbreviation = zone.zone_abbr;
    if (__builtin_add_overflow(us, std::int64_t{offset} * 1'000'000, &us)) {
      throw_type_error(name, "value out of range");
    }
  }
  const std::int64_t days = (us >= 0 ? us : us - (kUsPerDay - 1)) / kUsPerDay;
  const std::int64_t tod = us - days * kUsPerDay;
  const CivilDate d = civil_from_days(days + kPgEpochDays);
  const std::int64_t year = d.year > 0 ? d.year : 1 - d.year;
  const auto append_zone = [&] {
    if (!with_zone) return;
    out += ' ';
    out += settings.zone_abbreviation.empty() ? abbreviation
                                              : std::string_view(settings.zone_abbreviation);
  };
  switch (settings.date_style) {
    case TextSettings::DateStyle::kIso:
      append_date_fields(out, d, settings);
      out += ' ';
      append_time_of_day(out, tod);
      if (with_zone) append_offset(out, offset);
      break;
    case TextSettings::DateStyle::kSql:
    case TextSettings::DateStyle::kGerman:
      append_date_fields(out, d, settings);
      out += ' ';
      append_time_of_day(out, tod);
      append_zone();
      break;
    case TextSettings::DateStyle::kPostgres:
      out += kDayNames[d.weekday];
      out += ' ';
      if (settings.date_order == TextSettings::DateOrder::kDmy) {
        append_padded(out, d.day, 2);
        out += ' ';
        out += kMonthNames[d.month - 1];
      } else {
        out += kMonthNames[d.month - 1];
        out += ' ';
        append_padded(out, d.day, 2);
      }
      out += ' ';
      append_time_of_day(out, tod);
      out += ' ';
      append_padded(out, year, 4);
      append_zone();
      break;
  }
  if (d.year <= 0) out += " BC";
}

// EncodeInterval in the session's IntervalStyle (src/backend/utils/adt/datetime.c), from the
// fields interval2itm splits the value into.
void append_interval(std::string& out, const Interval& v, TextSettings::IntervalStyle style) {
  std::int64_t year = v.months / 12, mon = v.months % 12, mday = v.days;
  std::int64_t hour = v.microseconds / 3'600'000'000;
  std::int64_t min = v.microseconds / 60'000'000 % 60;
  std::int64_t sec = v.microseconds / 1'000'000 % 60;
  std::int64_t fsec = v.microseconds % 1'000'000;
  const auto abs = [](std::int64_t x) { return x < 0 ? -x : x; };
  switch (style) {
    case TextSettings::IntervalStyle::kIso8601: {
      if (year == 0 && mon == 0 && mday == 0 && hour == 0 && min == 0 && sec == 0 && fsec == 0) {
        out += "PT0S";
        return;
      }
      const auto part = [&](std::int64_t value, char unit) {
        if (value != 0) append_number(out, value), out += unit;
      };
      out += 'P';
      part(year, 'Y');
      part(mon, 'M');
      part(mday, 'D');
      if (hour != 0 || min != 0 || sec != 0 || fsec != 0) out += 'T';
      part(hour, 'H');
      part(min, 'M');
      if (sec != 0 || fsec != 0) {
        if (sec < 0 || fsec < 0) out += '-';
        append_seconds(out, sec, fsec, false);
        out += 'S';
      }
      return;
    }
    case TextSettings::IntervalStyle::kSqlStandard: {
      const bool has_negative =
          year < 0 || mon < 0 || mday < 0 || hour < 0 || min < 0 || sec < 0 || fsec < 0;
      const bool has_positive =
          year > 0 || mon > 0 || mday > 0 || hour > 0 || min > 0 || sec > 0 || fsec > 0;
      const bool has_year_month = year != 0 || mon != 0;
      const bool has_day_time = mday != 0 || hour != 0 || min != 0 || sec != 0 || fsec != 0;
      const bool standard = !(has_negative && has_positive) && !(has_year_month && has_day_time);
      if (has_negative && standard) {
        out += '-';
        year = -year, mon = -mon, mday = -mday, hour = -hour, min = -min, sec = -sec;
        fsec = -fsec;
      }
      const auto clock = [&] {
        append_number(out, hour);
        out += ':';
        append_padded(out, min, 2);
        out += ':';
        append_seconds(out, sec, fsec, true);
      };
      if (!has_negative && !has_positive) {
        out += '0';
      } else if (!standard) {
        out += year < 0 || mon < 0 ? '-' : '+';
        append_number(out, abs(year));
        out += '-';
        append_number(out, abs(mon));
        out += ' ';
        out += mday < 0 ? '-' : '+';
        append_number(out, abs(mday));
        out += ' ';
        out += hour < 0 || min < 0 || sec < 0 || fsec < 0 ? '-' : '+';
        append_number(out, abs(hour));
        out += ':';
        append_padded(out, abs(min), 2);
        out += ':';
        append_seconds(out, sec, fsec, true);
      } else if (has_year_month) {
        append_number(out, year);
        out += '-';
        append_number(out, mon);
      } else if (mday != 0) {
        append_number(out, mday);
        out += ' ';
        clock();
      } else {
        clock();
      }
      return;
    }
    case TextSettings::IntervalStyle::kPostgres: {
      bool is_zero = true, is_before = false;
      const auto part = [&](std::int64_t value, const char* unit) {
        if (value == 0) return;
        if (!is_zero) out += ' ';
        if (is_before && value > 0) out += '+';
        append_number(out, value);
        out += ' ';
        out += unit;
        if (value != 1) out += 's';
        is_before = value < 0;
        is_zero = false;
      };
      part(year, "year");
      part(mon, "mon");
      part(mday, "day");
      if (is_zero || hour != 0 || min != 0 || sec != 0 || fsec != 0) {
        const bool minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        if (!is_zero) out += ' ';
        if (minus) {
          out += '-';
        } else if (is_before) {
          out += '+';
        }
        append_padded(out, abs(hour), 2);
        out += ':';
        append_padded(out, abs(min), 2);
        out += ':';
        append_seconds(out, sec, fsec, true);
      }
      return;
    }
    case TextSettings::IntervalStyle::kPostgresVerbose: {
      bool is_zero = true, is_before = false;
      out += '@';
      const auto part = [&](std::int64_t value, const char* unit) {
        if (value == 0) return;
        if (is_zero) {
          is_before = value < 0;
          value = abs(value);
        } else if (is_before) {
          value = -value;
        }
        out += ' ';
        append_number(out, value);
        out += ' ';
        out += unit;
        if (value != 1) out += 's';
        is_zero = false;
      };
      part(year, "year");
      part(mon, "mon");
      part(mday, "day");
      part(hour, "hour");
      part(min, "min");
      if (sec != 0 || fsec != 0) {
        out += ' ';
        if (sec < 0 || (sec == 0 && fsec < 0)) {
          if (is_zero) {
            is_before = true;
          } else if (!is_before) {
            out += '-';
          }
        } else if (is_before) {
          out += '-';
        }
        append_seconds(out, sec, fsec, false);
        out += " sec";
        if (abs(sec) != 1 || fsec != 0) out += 's';
        is_zero = false;
      }
      if (is_zero) out += " 0";
      if (is_before) out += " ago";
      return;
    }
  }
}

}  // namespace tern::pg::detail
