// pg::to_text: a value rendered as PostgreSQL's output function prints it (boolout, int*out,
// float*out, numeric_out, charout, byteaout, uuid_out, array_out...); dates, times and
// intervals are in text_datetime.cpp. Text-format values are already the server's rendering.
#include "tern/protocol/pg/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "../float_text.hpp"
#include "absl/strings/ascii.h"
#include "text_datetime.hpp"
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
  const auto [digits, exp] = protocol::split_scientific(text);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.*Le", static_cast<int>(digits.size()) + 23, std::fabs(mid));
  const auto [mid_digits, mid_exp] = protocol::split_scientific(buf);
  return mid_exp == exp && mid_digits.starts_with(digits) &&
         mid_digits.find_first_not_of('0', digits.size()) == std::string::npos;
}

// float4out/float8out (src/backend/utils/adt/float.c). With extra_float_digits > 0
// (src/common/d2s.c, f2s.c): the shortest digits that read back exactly, in fixed notation for
// decimal exponents -4 up to 14 (float8) or 5 (float4) and as "d.ddde+XX" otherwise. With
// extra_float_digits <= 0: printf's %g with DBL_DIG (15) or FLT_DIG (6) plus
// extra_float_digits significant digits, at least one. Both: "-0", "NaN", "Infinity",
// "-Infinity".
void append_float(std::string& out, double v, bool single, int extra_float_digits) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  if (extra_float_digits <= 0) {
    const int digits = std::max((single ? 6 : 15) + extra_float_digits, 1);
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    out.append(buf, static_cast<std::size_t>(n));
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
    for (auto precision = static_cast<int>(protocol::split_scientific(sci).digits.size());
         precision < 17; ++precision) {
      const auto longer = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                                 std::chars_format::scientific, precision)
                                 : std::to_chars(buf, buf + sizeof buf, v,
                                                 std::chars_format::scientific, precision);
      sci = std::string_view(buf, longer.ptr);
      if (!(single ? exactly_halfway(sci, static_cast<float>(v)) : exactly_halfway(sci, v))) break;
    }
  }
  const bool negative = sci.front() == '-';
  const auto [digits, exp] = protocol::split_scientific(sci);
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
      append_float(out, Type<double>::decode(type, format, value), type == oid::kFloat4,
                   settings.extra_float_digits);
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
        detail::append_date(out, d.time_since_epoch().count(), settings);
      }
      return;
    }
    case detail::TypeKind::kTime:
      detail::append_time_of_day(out, Type<Time>::decode(type, format, value).count());
      return;
    case detail::TypeKind::kTimestamp:
      detail::append_timestamp(out, value, false, settings);
      return;
    case detail::TypeKind::kTimestamptz:
      detail::append_timestamp(out, value, true, settings);
      return;
    case detail::TypeKind::kInterval:
      detail::append_interval(out, Type<Interval>::decode(type, format, value),
                              settings.interval_style);
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
