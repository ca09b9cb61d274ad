// Rendering MySQL/MariaDB values as the text protocol sends them; the FLOAT/DOUBLE forms are
// MariaDB 10.11's (sql/sql_string.cc set_real -> my_gcvt / my_fcvt), fitted to the server's
// output by tests/integration/type_fidelity_test.cpp.
#include "tern/protocol/mysql/text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "../float_text.hpp"

namespace tern::mysql {

namespace {

/// The decimals a FLOAT/DOUBLE column reports when it has none fixed.
constexpr std::uint8_t kNotFixedDecimals = 31;

template <class Number>
void append_number(std::string& out, Number v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// ".ffffff" cut to the column's fractional-second precision (0..6).
void append_fraction(std::string& out, std::uint32_t micros, std::uint8_t decimals) {
  if (decimals == 0) return;
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06u", micros);
  out.append(buf, 1 + std::min<std::size_t>(decimals, 6));
}

// MariaDB's text of a FLOAT or DOUBLE without fixed decimals (my_gcvt as the server calls it):
// the shortest digits that read back (FLOAT: rounded to 6 significant digits), in fixed
// notation unless the decimal exponent is below -15, or the value is an integer of more than
// 16 digits; the exponent written as "e15", "e-20".
void append_general(std::string& out, double v, bool single) {
  if (!std::isfinite(v)) {  // not storable, but a binary row may carry one: "nan", "-inf"
    append_number(out, v);
    return;
  }
  if (v == 0) {
    out += '0';
    return;
  }
  char buf[64];
  const auto r = single ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, 5)
                        : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr);
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const auto [digits, exp] = protocol::split_scientific(sci);
  const auto len = static_cast<int>(digits.size());
  const int decpt = exp + 1;  // digits before the decimal point
  if (decpt < -14 || (decpt > 15 && decpt >= len)) {
    out += digits[0];
    if (len > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    append_number(out, exp);
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-decpt), '0');
    out += digits;
  } else if (decpt >= len) {
    out += digits;
    out.append(static_cast<std::size_t>(decpt - len), '0');
  } else {
    out.append(digits, 0, static_cast<std::size_t>(decpt));
    out += '.';
    out.append(digits, static_cast<std::size_t>(decpt));
  }
}

// FLOAT/DOUBLE: with declared decimals (below 31, "not fixed") in fixed notation with that
// many (my_fcvt: the shortest digits that read back, zero-padded, or rounded when they have
// more), else the general form.
void append_real(std::string& out, double v, bool single, std::uint8_t decimals) {
  if (decimals >= kNotFixedDecimals || !std::isfinite(v)) return append_general(out, v, single);
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  const std::string_view shortest(buf, r.ptr);
  const std::size_t point = shortest.find('.');
  const std::size_t fraction = point == std::string_view::npos ? 0 : shortest.size() - point - 1;
  if (fraction > decimals) {
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(decimals), v);
    out += buf;
    return;
  }
  out += shortest;
  if (decimals == 0) return;
  if (point == std::string_view::npos) out += '.';
  out.append(decimals - fraction, '0');
}

// A binary value's text, before ZEROFILL padding.
std::string to_text_unpadded(const ColumnType& column, Bytes value, std::uint32_t column_length) {
  const Format format = Format::kBinary;
  std::string out;
  switch (column.type) {
    case FieldType::kTiny:
    case FieldType::kShort:
    case FieldType::kInt24:
    case FieldType::kLong:
    case FieldType::kLongLong:
      if (column.is_unsigned()) {
        append_number(out, Type<std::uint64_t>::decode(column, format, value));
      } else {
        append_number(out, Type<std::int64_t>::decode(column, format, value));
      }
      return out;
    case FieldType::kYear: {
      // YEAR(2) shows two digits.
      char buf[8];
      const unsigned year = Type<Year>::decode(column, format, value).value;
      if (column_length == 2) {
        std::snprintf(buf, sizeof buf, "%02u", year % 100);
      } else {
        std::snprintf(buf, sizeof buf, "%04u", year);
      }
      return buf;
    }
    case FieldType::kFloat:
      append_real(out, Type<float>::decode(column, format, value), true, column.decimals);
      return out;
    case FieldType::kDouble:
      append_real(out, Type<double>::decode(column, format, value), false, column.decimals);
      return out;
    case FieldType::kDate:
    case FieldType::kDateTime:
    case FieldType::kTimestamp: {
      const RawDateTime t = Type<RawDateTime>::decode(column, format, value);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", t.year, t.month, t.day);
      out = buf;
      if (column.type != FieldType::kDate) {
        std::snprintf(buf, sizeof buf, " %02u:%02u:%02u", t.hour, t.minute, t.second);
        out += buf;
        append_fraction(out, t.microsecond, column.decimals);
      }
      return out;
    }
    case FieldType::kTime: {
      const std::int64_t us = Type<Time>::decode(column, format, value).count();
      const std::uint64_t abs =
          us < 0 ? static_cast<std::uint64_t>(-us) : static_cast<std::uint64_t>(us);
      const std::uint64_t seconds = abs / 1'000'000;
      char buf[40];
      std::snprintf(buf, sizeof buf, "%s%02llu:%02llu:%02llu", us < 0 ? "-" : "",
                    static_cast<unsigned long long>(seconds / 3600),
                    static_cast<unsigned long long>(seconds / 60 % 60),
                    static_cast<unsigned long long>(seconds % 60));
      out = buf;
      append_fraction(out, static_cast<std::uint32_t>(abs % 1'000'000), column.decimals);
      return out;
    }
    default:  // DECIMAL, strings, BLOBs, JSON, ENUM, SET, BIT: the same bytes in both protocols
      return std::string(protocol::as_chars(value));
  }
}

// The types ZEROFILL applies to.
bool is_number(FieldType type) noexcept {
  switch (type) {
    case FieldType::kDecimal:
    case FieldType::kNewDecimal:
    case FieldType::kTiny:
    case FieldType::kShort:
    case FieldType::kInt24:
    case FieldType::kLong:
    case FieldType::kLongLong:
    case FieldType::kFloat:
    case FieldType::kDouble:
    case FieldType::kYear:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string to_text(const ColumnType& column, Format format, Bytes value,
                    std::uint32_t column_length) {
  if (format == Format::kText) return std::string(protocol::as_chars(value));
  std::string out = to_text_unpadded(column, value, column_length);
  // ZEROFILL (which implies UNSIGNED): numbers are left-padded with zeros to the column's
  // display width, which is at most 255 for numbers (a larger one is not a number's: no
  // padding, rather than a huge allocation). Other types never carry the flag from a server.
  if ((column.flags & column_flag::kZerofill) != 0 && is_number(column.type) &&
      out.size() < column_length && column_length <= 255 && !out.starts_with('-')) {
    out.insert(0, column_length - out.size(), '0');
  }
  return out;
}

}  // namespace tern::mysql
