#include "tern/protocol/pg/text.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "type_table.hpp"

namespace tern::pg {

namespace {

using detail::throw_type_error;

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return absl::ascii_tolower(static_cast<unsigned char>(x)) ==
                  absl::ascii_tolower(static_cast<unsigned char>(y));
         });
}

void append_hex(std::string& out, Bytes value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  for (std::byte b : value) {
    out += kDigits[std::to_integer<unsigned>(b) >> 4];
    out += kDigits[std::to_integer<unsigned>(b) & 15];
  }
}

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Splits "-d.ddde-XX" into its digits and decimal exponent.
std::pair<std::string, int> split_scientific(std::string_view sci) {
  if (sci.front() == '-') sci.remove_prefix(1);
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  return {std::move(digits), exp};
}

// True when the decimal `text` ("d.ddde+XX", as to_chars writes it) is exactly halfway between
// `v` and a neighbour. The midpoint is exact in long double (64-bit mantissa) and glibc prints
// it exactly, so the two decimals are compared digit by digit.
template <class F>
bool exactly_halfway(std::string_view text, F v) {
  const std::string s(text);
  const long double w = std::strtold(s.c_str(), nullptr);
  if (w == static_cast<long double>(v)) return false;
  const F other = std::nextafter(
      v, w > v ? std::numeric_limits<F>::infinity() : -std::numeric_limits<F>::infinity());
  if (std::isinf(other)) return false;
  const long double mid = (static_cast<long double>(v) + static_cast<long double>(other)) / 2;
  const auto [digits, exp] = split_scientific(text);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.*Le", static_cast<int>(digits.size()) + 23, std::fabs(mid));
  const auto [mid_digits, mid_exp] = split_scientific(buf);
  return mid_exp == exp && mid_digits.starts_with(digits) &&
         mid_digits.find_first_not_of('0', digits.size()) == std::string::npos;
}

// float4out/float8out with extra_float_digits > 0 (src/common/d2s.c, f2s.c): the shortest
// digits that read back exactly, in fixed notation for decimal exponents -4 up to 14 (float8)
// or 5 (float4) and as "d.ddde+XX" otherwise; "-0", "NaN", "Infinity", "-Infinity".
void append_float(std::string& out, double v, bool single) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[48];
  const auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                        std::chars_format::scientific)
                        : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr);
  // PostgreSQL's Ryu does not accept a candidate lying exactly halfway between two floats
  // (strtod would round it to the even one): it takes more digits instead.
  if (single ? exactly_halfway(sci, static_cast<float>(v)) : exactly_halfway(sci, v)) {
    for (auto precision = static_cast<int>(split_scientific(sci).first.size()); precision < 17;
         ++precision) {
      const auto longer = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                                 std::chars_format::scientific, precision)
                                 : std::to_chars(buf, buf + sizeof buf, v,
                                                 std::chars_format::scientific, precision);
      sci = std::string_view(buf, longer.ptr);
      if (!(single ? exactly_halfway(sci, static_cast<float>(v)) : exactly_halfway(sci, v))) break;
    }
  }
  const bool negative = sci.front() == '-';
  auto [digits, exp] = split_scientific(sci);
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  if (negative) out += '-';
  if (digits == "0") {
    out += '0';
    return;
  }
  const int fixed_limit = single ? 6 : 15;
  if (exp >= -4 && exp < fixed_limit) {
    const int n = static_cast<int>(digits.size());
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    } else if (exp + 1 >= n) {
      out += digits;
      out.append(static_cast<std::size_t>(exp + 1 - n), '0');
    } else {
      out.append(digits, 0, static_cast<std::size_t>(exp + 1));
      out += '.';
      out.append(digits, static_cast<std::size_t>(exp + 1));
    }
    return;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += exp < 0 ? "e-" : "e+";
  const int abs_exp = exp < 0 ? -exp : exp;
  if (abs_exp < 10) out += '0';
  append_int(out, abs_exp);
}

// charout: a byte with the high bit set as "\ooo", NUL as nothing.
void append_char(std::string& out, Bytes value) {
  if (value.size() != 1) {
    throw_type_error("char",
                     "binary value has " + std::to_string(value.size()) + " bytes, expected 1");
  }
  const auto c = std::to_integer<unsigned char>(value[0]);
  if (c >= 0x80) {
    out += '\\';
    out += static_cast<char>('0' + (c >> 6));
    out += static_cast<char>('0' + ((c >> 3) & 7));
    out += static_cast<char>('0' + (c & 7));
  } else if (c != 0) {
    out += static_cast<char>(c);
  }
}

// The proleptic Gregorian year, month and day of a day count since 1970-01-01, in 64-bit
// arithmetic: std::chrono::year stops at 32767, and PostgreSQL dates reach 5874897 AD
// (timestamps 294276 AD). Counts days from 0000-03-01 in 400-year eras, so that the leap day
// ends each year.
struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
  unsigned weekday;  // 0 = Sunday
};
CivilDate civil_from_days(std::int64_t days) {
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

constexpr std::int64_t kUsPerDay = 86'400'000'000;
constexpr std::int64_t kPgEpochDays = 10'957;  // 2000-01-01 - 1970-01-01

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
  if (us < -211'813'488'000'000'000 || us >= 9'223'371'331'200'000'000) {
    throw_type_error(name, "value out of range");
  }
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
        if (value != 0) append_int(out, value), out += unit;
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
        append_int(out, hour);
        out += ':';
        append_padded(out, min, 2);
        out += ':';
        append_seconds(out, sec, fsec, true);
      };
      if (!has_negative && !has_positive) {
        out += '0';
      } else if (!standard) {
        out += year < 0 || mon < 0 ? '-' : '+';
        append_int(out, abs(year));
        out += '-';
        append_int(out, abs(mon));
        out += ' ';
        out += mday < 0 ? '-' : '+';
        append_int(out, abs(mday));
        out += ' ';
        out += hour < 0 || min < 0 || sec < 0 || fsec < 0 ? '-' : '+';
        append_int(out, abs(hour));
        out += ':';
        append_padded(out, abs(min), 2);
        out += ':';
        append_seconds(out, sec, fsec, true);
      } else if (has_year_month) {
        append_int(out, year);
        out += '-';
        append_int(out, mon);
      } else if (mday != 0) {
        append_int(out, mday);
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
        append_int(out, value);
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
        append_int(out, value);
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

// array_out quoting: elements that are empty, spell NULL, or hold a delimiter, brace, quote,
// backslash or space are double-quoted with \" and \\ escaped.
void append_array_element(std::string& out, std::string_view text) {
  bool quote = text.empty() || absl::AsciiStrToUpper(std::string(text)) == "NULL";
  for (char c : text) {
    quote = quote || c == ',' || c == '{' || c == '}' || c == '"' || c == '\\' ||
            absl::ascii_isspace(static_cast<unsigned char>(c));
  }
  if (!quote) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_value(std::string& out, Oid type, Format format, Bytes value,
                  const TextSettings& settings);

// array_out: "[lb:ub]..." when a lower bound is not 1, then one brace level per dimension.
void append_array(std::string& out, Oid type, Format format, Bytes value,
                  const TextSettings& settings) {
  struct State {
    const TextSettings* settings;
    std::vector<std::string> elements;  // each already quoted, or NULL
  } state{&settings, {}};
  const detail::ArraySink sink{
      &state, [](void* self, std::size_t n) { static_cast<State*>(self)->elements.reserve(n); },
      [](void* self, Oid elem, Format f, const Bytes* v) {
        auto& s = *static_cast<State*>(self);
        std::string& e = s.elements.emplace_back();
        if (v == nullptr) {
          e = "NULL";
          return;
        }
        std::string text;
        append_value(text, elem, f, *v, *s.settings);
        append_array_element(e, text);
      }};
  const ArrayShape shape = detail::decode_array(
      type, format, value, [](Oid) { return true; }, sink);
  if (state.elements.empty()) {
    out += "{}";
    return;
  }
  const auto dims = static_cast<std::size_t>(shape.ndim);
  bool decorate = false;
  for (std::size_t d = 0; d < dims; ++d)
    decorate = decorate || shape.lower_bounds[d] != 1;
  if (decorate) {
    for (std::size_t d = 0; d < dims; ++d) {
      out += '[';
      append_int(out, shape.lower_bounds[d]);
      out += ':';
      append_int(out, std::int64_t{shape.lower_bounds[d]} + shape.lengths[d] - 1);
      out += ']';
    }
    out += '=';
  }
  // Row-major: before element i, open a brace for each dimension whose index wraps to 0 there,
  // and after it close one for each dimension that ends there.
  for (std::size_t i = 0; i < state.elements.size(); ++i) {
    std::size_t stride = 1, open = 0;
    for (std::size_t d = dims; d-- > 0;) {
      stride *= static_cast<std::size_t>(shape.lengths[d]);
      if (i % stride != 0) break;
      ++open;
    }
    if (i > 0) out += ',';
    out.append(open, '{');
    out += state.elements[i];
    stride = 1;
    for (std::size_t d = dims; d-- > 0;) {
      stride *= static_cast<std::size_t>(shape.lengths[d]);
      if ((i + 1) % stride != 0) break;
      out += '}';
    }
  }
}

void append_value(std::string& out, Oid type, Format format, Bytes value,
                  const TextSettings& settings) {
  // Text format is the server's own rendering already.
  if (format == Format::kText) {
    out += protocol::as_chars(value);
    return;
  }
  const std::uint8_t slot = detail::type_slot(type);
  if ((slot & detail::kArraySlot) != 0) {
    append_array(out, type, format, value, settings);
    return;
  }
  switch (slot == 0 ? detail::TypeKind::kUnknown : detail::type_row(slot).kind) {
    case detail::TypeKind::kBool:
      out += Type<bool>::decode(type, format, value) ? 't' : 'f';
      return;
    case detail::TypeKind::kInteger:
      append_int(out, Type<std::int64_t>::decode(type, format, value));
      return;
    case detail::TypeKind::kOid:
      append_int(out, Type<OidValue>::decode(type, format, value).value);
      return;
    case detail::TypeKind::kFloat:
      append_float(out, Type<double>::decode(type, format, value), type == oid::kFloat4);
      return;
    case detail::TypeKind::kNumeric:
      out += Type<Numeric>::decode(type, format, value).value;
      return;
    case detail::TypeKind::kString:
    case detail::TypeKind::kJson:
      if (type == oid::kChar) return append_char(out, value);
      out += Type<std::string>::decode(type, format, value);
      return;
    case detail::TypeKind::kUuid:
      out += Type<Uuid>::decode(type, format, value).to_string();
      return;
    case detail::TypeKind::kDate: {
      const Date d = Type<Date>::decode(type, format, value);
      if (d == Date::max()) {
        out += "infinity";
      } else if (d == Date::min()) {
        out += "-infinity";
      } else {
        append_date(out, d.time_since_epoch().count(), settings);
      }
      return;
    }
    case detail::TypeKind::kTime:
      append_time_of_day(out, Type<Time>::decode(type, format, value).count());
      return;
    case detail::TypeKind::kTimestamp:
      append_timestamp(out, value, false, settings);
      return;
    case detail::TypeKind::kTimestamptz:
      append_timestamp(out, value, true, settings);
      return;
    case detail::TypeKind::kInterval:
      append_interval(out, Type<Interval>::decode(type, format, value), settings.interval_style);
      return;
    case detail::TypeKind::kBytea:    // bytea_output=hex
    case detail::TypeKind::kUnknown:  // a type tern does not decode: its bytes
      append_hex(out, value);
      return;
  }
}

}  // namespace

void TextSettings::set_date_style(std::string_view value) noexcept {
  while (!value.empty()) {
    const std::size_t end = std::min(value.find_first_of(", "), value.size());
    const std::string_view word = value.substr(0, end);
    value.remove_prefix(std::min(end + 1, value.size()));
    if (iequals(word, "ISO")) {
      date_style = DateStyle::kIso;
    } else if (iequals(word, "SQL")) {
      date_style = DateStyle::kSql;
    } else if (iequals(word, "Postgres")) {
      date_style = DateStyle::kPostgres;
    } else if (iequals(word, "German")) {
      date_style = DateStyle::kGerman;
    } else if (iequals(word, "MDY")) {
      date_order = DateOrder::kMdy;
    } else if (iequals(word, "DMY")) {
      date_order = DateOrder::kDmy;
    } else if (iequals(word, "YMD")) {
      date_order = DateOrder::kYmd;
    }
  }
}

void TextSettings::set_interval_style(std::string_view value) noexcept {
  if (iequals(value, "postgres")) {
    interval_style = IntervalStyle::kPostgres;
  } else if (iequals(value, "postgres_verbose")) {
    interval_style = IntervalStyle::kPostgresVerbose;
  } else if (iequals(value, "sql_standard")) {
    interval_style = IntervalStyle::kSqlStandard;
  } else if (iequals(value, "iso_8601")) {
    interval_style = IntervalStyle::kIso8601;
  }
}

std::string to_text(Oid type, Format format, Bytes value, const TextSettings& settings) {
  std::string out;
  append_value(out, type, format, value, settings);
  return out;
}

}  // namespace tern::pg
