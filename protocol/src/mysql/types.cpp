// MySQL type codecs for numbers and strings: integers, bool, FLOAT, DOUBLE, DECIMAL, strings,
// byte strings, JSON, YEAR, BIT, and the shared error helpers. Dates and times are in
// types_datetime.cpp.
// MariaDB: https://mariadb.com/kb/en/resultset-row/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/types.hpp"

#include <cxxabi.h>

#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "../decimal_text.hpp"
#include "field_types.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "types_internal.hpp"

namespace tern::mysql {

using protocol::as_chars;

// ---- errors ----

namespace detail {

std::string column_type_name(const ColumnType& column) {
  std::string name = field_type_name(column.type);
  if (column.is_unsigned()) name += " UNSIGNED";
  if (column.is_binary() && is_string_like(column.type)) name += " (binary)";
  return name;
}

void throw_null_value(const ColumnType& column) {
  throw TypeError("column of type " + column_type_name(column) +
                  " is NULL; read it as std::optional<T> to accept NULL");
}

void throw_type_mismatch(const ColumnType& column, const char* cxx_type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(cxx_type, nullptr, nullptr, &status), &std::free);
  throw TypeError("column of type " + column_type_name(column) + " cannot be read as " +
                  std::string(status == 0 && demangled ? demangled.get() : cxx_type));
}

bool is_string_like(FieldType type) noexcept {
  return field_type_info(type).string_like;
}

void expect_size(const char* name, Bytes data, std::size_t n) {
  if (data.size() != n) {
    throw_type_error(name, "binary value has " + std::to_string(data.size()) + " bytes, expected " +
                               std::to_string(n));
  }
}

std::uint64_t load_le(Bytes data) noexcept {
  if (data.size() == 8 && std::endian::native == std::endian::little) {  // one load, not 8
    std::uint64_t v;
    std::memcpy(&v, data.data(), sizeof v);
    return v;
  }
  std::uint64_t v = 0;
  for (std::size_t i = data.size(); i-- > 0;)
    v = (v << 8) | std::to_integer<std::uint64_t>(data[i]);
  return v;
}

}  // namespace detail

namespace {

using detail::expect_size;
using detail::load_le;
using detail::throw_type_error;

// An integer column's value range.
struct IntRange {
  std::int64_t min;
  std::uint64_t max;
};

std::optional<IntRange> integer_range(const ColumnType& c) noexcept {
  const bool u = c.is_unsigned();
  switch (c.type) {
    case FieldType::kTiny:
      return u ? IntRange{0, 255} : IntRange{-128, 127};
    case FieldType::kShort:
      return u ? IntRange{0, 65535} : IntRange{-32768, 32767};
    case FieldType::kInt24:
      return u ? IntRange{0, 16777215} : IntRange{-8388608, 8388607};
    case FieldType::kLong:
      return u ? IntRange{0, 4294967295u} : IntRange{-2147483648LL, 2147483647};
    case FieldType::kLongLong:
      return u ? IntRange{0, std::numeric_limits<std::uint64_t>::max()}
               : IntRange{std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::int64_t>::max()};
    case FieldType::kYear:
      return IntRange{0, 2155};
    default:
      return std::nullopt;
  }
}

// A decoded integer of either signedness.
struct Wide {
  bool negative = false;
  std::int64_t s = 0;   // valid when negative
  std::uint64_t u = 0;  // valid when !negative
};

Wide read_integer(const ColumnType& c, Format format, Bytes data) {
  const char* name = field_type_name(c.type);
  const bool decimal = c.type == FieldType::kDecimal || c.type == FieldType::kNewDecimal;
  Wide w;
  if (format == Format::kText || decimal) {  // DECIMAL is text in both protocols
    std::string_view text = as_chars(data);
    if (decimal) {
      const std::optional<std::string_view> whole = protocol::integral_decimal(text);
      if (!whole) throw_type_error(name, std::string(text.substr(0, 40)) + " is not an integer");
      text = *whole;
    }
    if (!text.empty() && text[0] == '-') {
      w.s = protocol::parse_integer_text<std::int64_t>(name, text);
      w.negative = w.s < 0;
      if (!w.negative) w.u = static_cast<std::uint64_t>(w.s);  // "-0"
    } else {
      w.u = protocol::parse_integer_text<std::uint64_t>(name, text);
    }
    return w;
  }
  std::size_t width = 8;
  switch (c.type) {
    case FieldType::kTiny:
      width = 1;
      break;
    case FieldType::kShort:
    case FieldType::kYear:
      width = 2;
      break;
    case FieldType::kInt24:
    case FieldType::kLong:
      width = 4;
      break;
    default:
      break;
  }
  expect_size(name, data, width);
  const std::uint64_t raw = load_le(data);
  if (c.is_unsigned() || c.type == FieldType::kYear) {
    w.u = raw;
    return w;
  }
  const unsigned shift = static_cast<unsigned>(64 - 8 * width);
  const auto v = static_cast<std::int64_t>(raw << shift) >> shift;  // sign-extend
  w.negative = v < 0;
  if (w.negative) {
    w.s = v;
  } else {
    w.u = static_cast<std::uint64_t>(v);
  }
  return w;
}

// The width of a binary integer type whose value is a plain two's complement or unsigned
// integer of that width (YEAR and MEDIUMINT excluded: their width is not their range), else 0.
constexpr std::size_t binary_integer_width(FieldType type) noexcept {
  switch (type) {
    case FieldType::kTiny:
      return 1;
    case FieldType::kShort:
      return 2;
    case FieldType::kLong:
      return 4;
    case FieldType::kLongLong:
      return 8;
    default:
      return 0;
  }
}

template <class I>
I narrow(const ColumnType& c, const Wide& w) {
  if (w.negative) {
    if constexpr (std::is_signed_v<I>) {
      if (w.s >= std::numeric_limits<I>::min()) return static_cast<I>(w.s);
    }
    throw_type_error(field_type_name(c.type), std::to_string(w.s) + " is out of range");
  }
  if (w.u > static_cast<std::uint64_t>(std::numeric_limits<I>::max())) {
    throw_type_error(field_type_name(c.type), std::to_string(w.u) + " is out of range");
  }
  return static_cast<I>(w.u);
}

bool valid_decimal(std::string_view s) noexcept {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i, ++frac_digits;
  }
  return i == s.size() && int_digits + frac_digits > 0;
}

std::uint64_t load_be(Bytes data) noexcept {
  std::uint64_t v = 0;
  for (std::byte b : data)
    v = (v << 8) | std::to_integer<std::uint64_t>(b);
  return v;
}

}  // namespace

// ---- integers ----

namespace detail {

template <class I>
bool IntegerCodec<I>::accepts(const ColumnType& column) noexcept {
  if (column.type == FieldType::kDecimal || column.type == FieldType::kNewDecimal) return true;
  const std::optional<IntRange> r = integer_range(column);
  return r && r->min >= static_cast<std::int64_t>(std::numeric_limits<I>::min()) &&
         r->max <= static_cast<std::uint64_t>(std::numeric_limits<I>::max());
}

template <class I>
void IntegerCodec<I>::encode(I value, ByteWriter& out) {
  out.le(value);
}

template <class I>
I IntegerCodec<I>::decode(const ColumnType& column, Format format, Bytes data) {
  if constexpr (std::endian::native == std::endian::little) {
    // The common case first: a binary value of I's own width and signedness is I's bytes.
    if (format == Format::kBinary && data.size() == sizeof(I) &&
        binary_integer_width(column.type) == sizeof(I) &&
        column.is_unsigned() == std::is_unsigned_v<I>) {
      I v;
      std::memcpy(&v, data.data(), sizeof v);
      return v;
    }
  }
  return narrow<I>(column, read_integer(column, format, data));
}

template struct IntegerCodec<std::int8_t>;
template struct IntegerCodec<std::int16_t>;
template struct IntegerCodec<std::int32_t>;
template struct IntegerCodec<std::int64_t>;
template struct IntegerCodec<std::uint8_t>;
template struct IntegerCodec<std::uint16_t>;
template struct IntegerCodec<std::uint32_t>;
template struct IntegerCodec<std::uint64_t>;

}  // namespace detail

// ---- bool ----

bool Type<bool>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kTiny || column.type == FieldType::kBit;
}

void Type<bool>::encode(bool value, ByteWriter& out) {
  out.u8(value ? 1 : 0);
}

bool Type<bool>::decode(const ColumnType& column, Format format, Bytes data) {
  if (column.type == FieldType::kBit) return Type<Bit>::decode(column, format, data).value != 0;
  const Wide w = read_integer(column, format, data);
  return w.negative || w.u != 0;
}

// ---- floating point ----

bool Type<float>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kFloat;
}

void Type<float>::encode(float value, ByteWriter& out) {
  out.le(std::bit_cast<std::uint32_t>(value));
}

float Type<float>::decode(const ColumnType& /*column*/, Format format, Bytes data) {
  if (format == Format::kText) return protocol::parse_float_text<float>("FLOAT", as_chars(data));
  expect_size("FLOAT", data, 4);
  return std::bit_cast<float>(static_cast<std::uint32_t>(load_le(data)));
}

bool Type<double>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kFloat || column.type == FieldType::kDouble;
}

void Type<double>::encode(double value, ByteWriter& out) {
  out.le(std::bit_cast<std::uint64_t>(value));
}

double Type<double>::decode(const ColumnType& column, Format format, Bytes data) {
  if (format == Format::kText) return protocol::parse_float_text<double>("DOUBLE", as_chars(data));
  if (column.type == FieldType::kFloat) return Type<float>::decode(column, format, data);
  expect_size("DOUBLE", data, 8);
  return std::bit_cast<double>(load_le(data));
}

// ---- DECIMAL ----

bool Type<Decimal>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kDecimal || column.type == FieldType::kNewDecimal;
}

void Type<Decimal>::encode(const Decimal& value, ByteWriter& out) {
  if (!valid_decimal(value.value)) {
    throw TypeError("cannot encode DECIMAL parameter \"" + value.value.substr(0, 40) +
                    "\": not a decimal number");
  }
  write_lenenc_string(out, value.value);
}

Decimal Type<Decimal>::decode(const ColumnType& /*column*/, Format /*format*/, Bytes data) {
  const std::string_view text = as_chars(data);
  if (!valid_decimal(text)) {
    throw_type_error("DECIMAL", "malformed text \"" + std::string(text.substr(0, 40)) + "\"");
  }
  return Decimal{std::string(text)};
}

// ---- strings ----

bool Type<std::string>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kJson ||
         (detail::is_string_like(column.type) && !column.is_binary());
}

void Type<std::string>::encode(const std::string& value, ByteWriter& out) {
  write_lenenc_string(out, value);
}

std::string Type<std::string>::decode(const ColumnType& /*column*/, Format /*format*/, Bytes data) {
  return std::string(as_chars(data));
}

bool Type<ByteString>::accepts(const ColumnType& column) noexcept {
  return detail::is_string_like(column.type) || column.type == FieldType::kGeometry ||
         column.type == FieldType::kVector;
}

void Type<ByteString>::encode(const ByteString& value, ByteWriter& out) {
  write_lenenc_string(out, Bytes(value));
}

ByteString Type<ByteString>::decode(const ColumnType& /*column*/, Format /*format*/, Bytes data) {
  return ByteString(data.begin(), data.end());
}

bool Type<Json>::accepts(const ColumnType& column) noexcept {
  return Type<std::string>::accepts(column);
}

void Type<Json>::encode(const Json& value, ByteWriter& out) {
  write_lenenc_string(out, value.text);
}

Json Type<Json>::decode(const ColumnType& /*column*/, Format /*format*/, Bytes data) {
  return Json{std::string(as_chars(data))};
}

// ---- YEAR ----

bool Type<Year>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kYear;
}

void Type<Year>::encode(const Year& value, ByteWriter& out) {
  out.le(value.value);
}

Year Type<Year>::decode(const ColumnType& column, Format format, Bytes data) {
  return Year{narrow<std::uint16_t>(column, read_integer(column, format, data))};
}

// ---- BIT ----

bool Type<Bit>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kBit;
}

void Type<Bit>::encode(const Bit& value, ByteWriter& out) {
  out.le(value.value);
}

Bit Type<Bit>::decode(const ColumnType& /*column*/, Format /*format*/, Bytes data) {
  if (data.empty() || data.size() > 8) {
    throw_type_error("BIT", "value has " + std::to_string(data.size()) + " bytes, expected 1..8");
  }
  return Bit{load_be(data)};
}

}  // namespace tern::mysql
