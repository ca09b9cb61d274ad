// PostgreSQL scalar codecs: bool, integers, floats, strings, bytea, uuid, json(b), oid, and the
// shared error helpers. Binary layouts follow boolsend/int2send/int4send/int8send/float4send/
// float8send/textsend/byteasend/uuid_send/jsonb_send/oidsend (src/backend/utils/adt); text
// layouts are the *out functions' output with extra_float_digits=3 and bytea_output=hex.
// numeric: types_numeric.cpp; dates and times: types_datetime.cpp; arrays: types_array.cpp.
#include "tern/protocol/pg/types.hpp"

#include <cxxabi.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>

#include "../decimal_text.hpp"
#include "type_table.hpp"

namespace tern::pg {

using protocol::as_chars;

// ---- errors ----

namespace detail {

std::string oid_name(Oid type) {
  const std::uint8_t slot = type_slot(type);
  if (slot == 0) return "oid " + std::to_string(type);
  std::string name = type_row(slot).name;
  if ((slot & kArraySlot) != 0) name += "[]";
  return name;
}

void throw_null_value(Oid type) {
  throw TypeError("column of type " + oid_name(type) +
                  " is NULL; read it as std::optional<T> to accept NULL");
}

void throw_type_mismatch(Oid type, const char* cxx_type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(cxx_type, nullptr, nullptr, &status), &std::free);
  throw TypeError("column of type " + oid_name(type) + " cannot be read as " +
                  std::string(status == 0 && demangled ? demangled.get() : cxx_type));
}

}  // namespace detail

namespace {

using detail::throw_type_error;

/// Checks that a binary value has exactly `n` bytes.
void expect_size(const char* name, Bytes data, std::size_t n) {
  if (data.size() != n) {
    throw_type_error(name, "binary value has " + std::to_string(data.size()) + " bytes, expected " +
                               std::to_string(n));
  }
}

/// Reads an unsigned big-endian integer from exactly sizeof(U) bytes (size checked by caller).
template <class U>
U load_be(Bytes data) {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    v = static_cast<U>((v << 8) | static_cast<U>(std::to_integer<std::uint8_t>(data[i])));
  }
  return v;
}

/// Reads an int2/int4/int8 column (either format) as int64; also a numeric one holding an
/// integer (SUM of integers is numeric).
std::int64_t decode_integer(Oid type, Format format, Bytes data) {
  if (type == oid::kNumeric) {
    const Numeric n = Type<Numeric>::decode(type, format, data);
    const std::optional<std::string_view> whole = protocol::integral_decimal(n.value);
    if (!whole) throw_type_error("numeric", n.value.substr(0, 40) + " is not an integer");
    return protocol::parse_integer_text<std::int64_t>("numeric", *whole);
  }
  const char* name = type == oid::kInt2 ? "int2" : type == oid::kInt4 ? "int4" : "int8";
  if (type != oid::kInt2 && type != oid::kInt4 && type != oid::kInt8) {
    throw_type_error("integer", "column type " + detail::oid_name(type) + " is not an integer");
  }
  if (format == Format::kText)
    return protocol::parse_integer_text<std::int64_t>(name, as_chars(data));
  switch (type) {
    case oid::kInt2:
      expect_size(name, data, 2);
      return static_cast<std::int16_t>(load_be<std::uint16_t>(data));
    case oid::kInt4:
      expect_size(name, data, 4);
      return static_cast<std::int32_t>(load_be<std::uint32_t>(data));
    default:
      expect_size(name, data, 8);
      return static_cast<std::int64_t>(load_be<std::uint64_t>(data));
  }
}

/// Narrows a decoded integer to I, checking the range.
template <class I>
I narrow_integer(Oid type, std::int64_t v) {
  if (v < std::numeric_limits<I>::min() || v > std::numeric_limits<I>::max()) {
    throw_type_error(detail::oid_name(type).c_str(), std::to_string(v) + " is out of range");
  }
  return static_cast<I>(v);
}

/// Parses float text as the server writes it (shortest-exact digits, NaN, [-]Infinity).
template <class F>
F parse_float(const char* name, std::string_view text) {
  if (text == "NaN") return std::numeric_limits<F>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<F>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<F>::infinity();
  return protocol::parse_float_text<F>(name, text);
}

float decode_float4(Format format, Bytes data) {
  if (format == Format::kText) return parse_float<float>("float4", as_chars(data));
  expect_size("float4", data, 4);
  return std::bit_cast<float>(load_be<std::uint32_t>(data));
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The character types (and unknown, which the server sends as text).
bool is_string_type(Oid type) noexcept {
  const detail::TypeInfo* t = detail::find_type(type);
  return t != nullptr &&
         (t->kind == detail::TypeKind::kString || t->kind == detail::TypeKind::kUnknown);
}

/// The text of a json or jsonb value: binary jsonb starts with a version byte (1).
std::string_view json_text(Oid type, Format format, Bytes data) {
  std::string_view text = as_chars(data);
  if (type == oid::kJsonb && format == Format::kBinary) {
    if (text.empty()) throw_type_error("jsonb", "binary value is empty (no version byte)");
    if (text[0] != 1) {
      throw_type_error("jsonb", "unsupported binary format version " +
                                    std::to_string(static_cast<unsigned char>(text[0])));
    }
    text.remove_prefix(1);
  }
  return text;
}

/// "char": one byte, NUL meaning empty. Binary sends the byte; text (charout) writes a byte
/// with the high bit set as "\ooo", which is read back to the byte.
std::string decode_char(Format format, Bytes data) {
  const std::string_view text = as_chars(data);
  if (format == Format::kText && text.size() == 4 && text[0] == '\\') {
    int v = 0;
    for (char c : text.substr(1)) {
      if (c < '0' || c > '7') throw_type_error("char", "malformed octal escape");
      v = v * 8 + (c - '0');
    }
    if (v > 255) throw_type_error("char", "malformed octal escape");
    return std::string(1, static_cast<char>(v));
  }
  if (text.size() > 1) throw_type_error("char", "value has more than one byte");
  if (text.size() == 1 && text[0] == '\0') return std::string();
  return std::string(text);
}

}  // namespace

// ---- bool ----

bool Type<bool>::accepts(Oid type) noexcept {
  return type == oid::kBool;
}

void Type<bool>::encode(bool value, ByteWriter& out) {
  out.u8(value ? 1 : 0);
}

bool Type<bool>::decode(Oid, Format format, Bytes data) {
  const std::string_view text = as_chars(data);
  if (format == Format::kText) {
    if (text == "t") return true;
    if (text == "f") return false;
    throw_type_error("bool",
                     "expected \"t\" or \"f\", got \"" + std::string(text.substr(0, 40)) + "\"");
  }
  expect_size("bool", data, 1);
  if (text[0] == 1) return true;
  if (text[0] == 0) return false;
  throw_type_error("bool", "binary byte is neither 0 nor 1");
}

// ---- integers ----

bool Type<std::int16_t>::accepts(Oid type) noexcept {
  return type == oid::kInt2 || type == oid::kNumeric;
}
void Type<std::int16_t>::encode(std::int16_t value, ByteWriter& out) {
  out.i16(value);
}
std::int16_t Type<std::int16_t>::decode(Oid type, Format format, Bytes data) {
  return narrow_integer<std::int16_t>(type, decode_integer(type, format, data));
}

bool Type<std::int32_t>::accepts(Oid type) noexcept {
  return type == oid::kInt2 || type == oid::kInt4 || type == oid::kNumeric;
}
void Type<std::int32_t>::encode(std::int32_t value, ByteWriter& out) {
  out.i32(value);
}
std::int32_t Type<std::int32_t>::decode(Oid type, Format format, Bytes data) {
  return narrow_integer<std::int32_t>(type, decode_integer(type, format, data));
}

bool Type<std::int64_t>::accepts(Oid type) noexcept {
  return type == oid::kInt2 || type == oid::kInt4 || type == oid::kInt8 || type == oid::kNumeric;
}
void Type<std::int64_t>::encode(std::int64_t value, ByteWriter& out) {
  out.i64(value);
}
std::int64_t Type<std::int64_t>::decode(Oid type, Format format, Bytes data) {
  return decode_integer(type, format, data);
}

// ---- floats ----

bool Type<float>::accepts(Oid type) noexcept {
  return type == oid::kFloat4;
}
void Type<float>::encode(float value, ByteWriter& out) {
  out.u32(std::bit_cast<std::uint32_t>(value));
}
float Type<float>::decode(Oid type, Format format, Bytes data) {
  if (type != oid::kFloat4) throw_type_error("float4", "column type is " + detail::oid_name(type));
  return decode_float4(format, data);
}

bool Type<double>::accepts(Oid type) noexcept {
  return type == oid::kFloat4 || type == oid::kFloat8;
}
void Type<double>::encode(double value, ByteWriter& out) {
  out.be(std::bit_cast<std::uint64_t>(value));
}
double Type<double>::decode(Oid type, Format format, Bytes data) {
  if (type == oid::kFloat4) return decode_float4(format, data);
  if (type != oid::kFloat8) throw_type_error("float8", "column type is " + detail::oid_name(type));
  if (format == Format::kText) return parse_float<double>("float8", as_chars(data));
  expect_size("float8", data, 8);
  return std::bit_cast<double>(load_be<std::uint64_t>(data));
}

// ---- strings ----

bool Type<std::string>::accepts(Oid type) noexcept {
  return is_string_type(type) || type == oid::kJson || type == oid::kJsonb;
}
void Type<std::string>::encode(const std::string& value, ByteWriter& out) {
  out.raw(value);
}
std::string Type<std::string>::decode(Oid type, Format format, Bytes data) {
  if (type == oid::kChar) return decode_char(format, data);
  return std::string(json_text(type, format, data));
}

// ---- bytea ----

bool Type<ByteString>::accepts(Oid type) noexcept {
  return type == oid::kBytea;
}

void Type<ByteString>::encode(const ByteString& value, ByteWriter& out) {
  out.raw(Bytes(value));
}

ByteString Type<ByteString>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kBinary) return ByteString(data.begin(), data.end());
  const std::string_view text = as_chars(data);
  ByteString out;
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
    // Hex format: "\x" then two hex digits per byte.
    const std::string_view hex = text.substr(2);
    if (hex.size() % 2 != 0) throw_type_error("bytea", "odd number of hex digits");
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      const int hi = hex_value(hex[i]);
      const int lo = hex_value(hex[i + 1]);
      if (hi < 0 || lo < 0) throw_type_error("bytea", "invalid hex digit");
      out.push_back(static_cast<std::byte>(hi * 16 + lo));
    }
    return out;
  }
  // Escape format (bytea_output=escape): "\\" is a backslash, "\ooo" an octal byte.
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(static_cast<std::byte>(text[i]));
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back(std::byte{'\\'});
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
               text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
               text[i + 3] <= '7') {
      out.push_back(static_cast<std::byte>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                           (text[i + 3] - '0')));
      i += 3;
    } else {
      throw_type_error("bytea", "invalid escape sequence");
    }
  }
  return out;
}

// ---- uuid ----

}  // namespace tern::pg

// tern::Uuid (tern/protocol/values.hpp) is defined here, beside the uuid codec, because its
// parse throws TypeError.
namespace tern {

Uuid Uuid::parse(std::string_view text) {
  const std::string original(text.substr(0, 64));
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, text.size() - 2);
  }
  Uuid out;
  std::size_t digits = 0;
  bool after_hyphen = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '-') {
      // A hyphen may follow any group of four digits, but not start, end or repeat.
      if (digits == 0 || digits == 32 || digits % 4 != 0 || after_hyphen) break;
      after_hyphen = true;
      continue;
    }
    const int v = pg::hex_value(c);
    if (v < 0 || digits == 32) {
      digits = 33;  // invalid
      break;
    }
    after_hyphen = false;
    if (digits % 2 == 0) {
      out.bytes[digits / 2] = static_cast<std::uint8_t>(v << 4);
    } else {
      out.bytes[digits / 2] = static_cast<std::uint8_t>(out.bytes[digits / 2] | v);
    }
    ++digits;
    if (i + 1 == text.size() && digits == 32) return out;
  }
  throw TypeError("cannot decode uuid value: malformed uuid text \"" + original + "\"");
}

std::string Uuid::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  return out;
}

}  // namespace tern

namespace tern::pg {

bool Type<Uuid>::accepts(Oid type) noexcept {
  return type == oid::kUuid;
}

void Type<Uuid>::encode(const Uuid& value, ByteWriter& out) {
  out.raw(std::string_view(reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size()));
}

Uuid Type<Uuid>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText) return Uuid::parse(as_chars(data));
  expect_size("uuid", data, 16);
  Uuid out;
  for (std::size_t i = 0; i < 16; ++i)
    out.bytes[i] = std::to_integer<std::uint8_t>(data[i]);
  return out;
}

// ---- json / jsonb ----

bool Type<Json>::accepts(Oid type) noexcept {
  return type == oid::kJson || type == oid::kJsonb;
}
void Type<Json>::encode(const Json& value, ByteWriter& out) {
  out.raw(value.text);
}
Json Type<Json>::decode(Oid type, Format format, Bytes data) {
  return Json{std::string(json_text(type, format, data))};
}

bool Type<Jsonb>::accepts(Oid type) noexcept {
  return type == oid::kJson || type == oid::kJsonb;
}
void Type<Jsonb>::encode(const Jsonb& value, ByteWriter& out) {
  out.u8(1);
  out.raw(value.text);
}
Jsonb Type<Jsonb>::decode(Oid type, Format format, Bytes data) {
  return Jsonb{std::string(json_text(type, format, data))};
}

// ---- oid ----

bool Type<OidValue>::accepts(Oid type) noexcept {
  return type == oid::kOid;
}
void Type<OidValue>::encode(OidValue value, ByteWriter& out) {
  out.u32(value.value);
}
OidValue Type<OidValue>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText)
    return OidValue{protocol::parse_integer_text<Oid>("oid", as_chars(data))};
  expect_size("oid", data, 4);
  return OidValue{load_be<std::uint32_t>(data)};
}

// ---- enum labels ----

bool Type<EnumLabel>::accepts(Oid type) noexcept {
  return type >= oid::kFirstNormalObjectId || is_string_type(type);
}
void Type<EnumLabel>::encode(const EnumLabel& value, ByteWriter& out) {
  out.raw(value.label);
}
EnumLabel Type<EnumLabel>::decode(Oid, Format, Bytes data) {
  return EnumLabel{std::string(as_chars(data))};
}

}  // namespace tern::pg
