#include "tern/protocol/pg/text.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "type_table.hpp"

namespace tern::pg {

namespace {

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

void append_float(std::string& out, double v, bool single) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    const auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                          : std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
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
          static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1)};
}

// "2024-01-02" (years before 1 as " BC", as the server's ISO style does).
void append_date(std::string& out, std::chrono::sys_days day) {
  const CivilDate d = civil_from_days(day.time_since_epoch().count());
  const bool bc = d.year <= 0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u",
                static_cast<long long>(bc ? 1 - d.year : d.year), d.month, d.day);
  out += buf;
  if (bc) out += " BC";
}

// "HH:MM:SS" plus ".ffffff" without trailing zeros.
void append_time_of_day(std::string& out, std::int64_t micros) {
  char buf[40];
  const std::int64_t seconds = micros / 1'000'000;
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  out += buf;
  if (std::int64_t frac = micros % 1'000'000; frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::string_view f(buf);
    while (f.back() == '0')
      f.remove_suffix(1);
    out += f;
  }
}

template <class TimePoint>
bool append_infinity(std::string& out, TimePoint t) {
  if (t == TimePoint::max()) {
    out += "infinity";
  } else if (t == TimePoint::min()) {
    out += "-infinity";
  } else {
    return false;
  }
  return true;
}

void append_timestamp(std::string& out, std::chrono::sys_time<std::chrono::microseconds> t,
                      bool with_zone) {
  if (append_infinity(out, t)) return;
  const auto day = std::chrono::floor<std::chrono::days>(t);
  std::string date;
  append_date(date, day);
  const bool bc = date.ends_with(" BC");
  if (bc) date.resize(date.size() - 3);
  out += date;
  out += ' ';
  append_time_of_day(out, (t - day).count());
  if (with_zone) out += "+00";
  if (bc) out += " BC";
}

// IntervalStyle=iso_8601: "P1Y2M3DT4H5M6.5S", "PT0S", each part signed on its own.
void append_interval(std::string& out, const Interval& v) {
  if (v.months == 0 && v.days == 0 && v.microseconds == 0) {
    out += "PT0S";
    return;
  }
  out += 'P';
  if (const int years = v.months / 12; years != 0) append_int(out, years), out += 'Y';
  if (const int months = v.months % 12; months != 0) append_int(out, months), out += 'M';
  if (v.days != 0) append_int(out, v.days), out += 'D';
  if (v.microseconds == 0) return;
  out += 'T';
  const std::int64_t hours = v.microseconds / 3'600'000'000;
  const std::int64_t minutes = v.microseconds / 60'000'000 % 60;
  const std::int64_t micros = v.microseconds % 60'000'000;
  if (hours != 0) append_int(out, hours), out += 'H';
  if (minutes != 0) append_int(out, minutes), out += 'M';
  if (micros != 0) {
    if (micros < 0) out += '-';
    const std::int64_t abs = micros < 0 ? -micros : micros;
    append_int(out, abs / 1'000'000);
    if (const std::int64_t frac = abs % 1'000'000; frac != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
      std::string_view f(buf);
      while (f.back() == '0')
        f.remove_suffix(1);
      out += f;
    }
    out += 'S';
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

void append_value(std::string& out, Oid type, Format format, Bytes value);

// array_out: "[lb:ub]..." when a lower bound is not 1, then one brace level per dimension.
void append_array(std::string& out, Oid type, Format format, Bytes value) {
  struct State {
    std::vector<std::string> elements;  // each already quoted, or NULL
  } state;
  const detail::ArraySink sink{
      &state, [](void* self, std::size_t n) { static_cast<State*>(self)->elements.reserve(n); },
      [](void* self, Oid elem, Format f, const Bytes* v) {
        std::string& e = static_cast<State*>(self)->elements.emplace_back();
        if (v == nullptr) {
          e = "NULL";
          return;
        }
        std::string text;
        append_value(text, elem, f, *v);
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

void append_value(std::string& out, Oid type, Format format, Bytes value) {
  // Text format is the server's own rendering already.
  if (format == Format::kText) {
    out += protocol::as_chars(value);
    return;
  }
  const std::uint8_t slot = detail::type_slot(type);
  if ((slot & detail::kArraySlot) != 0) {
    append_array(out, type, format, value);
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
      out += Type<std::string>::decode(type, format, value);
      return;
    case detail::TypeKind::kUuid:
      out += Type<Uuid>::decode(type, format, value).to_string();
      return;
    case detail::TypeKind::kDate: {
      const Date d = Type<Date>::decode(type, format, value);
      if (!append_infinity(out, d)) append_date(out, d);
      return;
    }
    case detail::TypeKind::kTime:
      append_time_of_day(out, Type<Time>::decode(type, format, value).count());
      return;
    case detail::TypeKind::kTimestamp: {
      const Timestamp t = Type<Timestamp>::decode(type, format, value);
      if (!append_infinity(out, t)) {
        append_timestamp(
            out, std::chrono::sys_time<std::chrono::microseconds>(t.time_since_epoch()), false);
      }
      return;
    }
    case detail::TypeKind::kTimestamptz:
      append_timestamp(out, Type<Timestamptz>::decode(type, format, value), true);
      return;
    case detail::TypeKind::kInterval:
      append_interval(out, Type<Interval>::decode(type, format, value));
      return;
    case detail::TypeKind::kBytea:    // bytea_output=hex
    case detail::TypeKind::kUnknown:  // a type tern does not decode: its bytes
      append_hex(out, value);
      return;
  }
}

}  // namespace

std::string to_text(Oid type, Format format, Bytes value) {
  std::string out;
  append_value(out, type, format, value);
  return out;
}

}  // namespace tern::pg
