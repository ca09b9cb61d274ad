// libFuzzer harness of the PostgreSQL type codecs (protocol/src/pg/types*.cpp) and of
// pg::to_text. Input: byte 0 picks the column's type OID (scalars, their arrays and a few types
// tern does not decode), byte 1 bit 0 the format (0 text, 1 binary) and bits 1-7 the session
// settings (DateStyle, its order, IntervalStyle, TimeZone; all zero: the connection's
// defaults), which text decoding and to_text follow; the rest is the value.
// Every C++ type whose codec accepts the OID decodes it (scalar, std::vector<T>,
// std::vector<std::optional<T>> and the multi-dimensional pg::Array<T> /
// pg::Array<std::optional<T>>), then to_text renders it.
//
// TypeError is the codecs' only way to reject a value; any other exception, a sanitizer report
// or a broken invariant (trap) is a finding. Invariants checked on values that decode:
//   - binary: encode(decode(v)) decodes to the same value (when the value can be encoded);
//   - binary: to_text(v) read back with the text decoder gives the same value as the binary
//     decoder (to_text must print what the server's text output would be);
//   - text: the decoded value survives a binary round trip.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tern/protocol/pg/text.hpp"
#include "tern/protocol/pg/types.hpp"

namespace {

namespace pg = tern::pg;
using pg::Bytes;
using pg::Format;
using pg::Oid;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Every OID the codecs know (scalars, unknown, then their arrays), plus some they do not: point,
// timetz, bit, inet, int4range, timetz[] (to_text falls back to raw text or hex for those).
// fuzz/make_corpus.py has a copy of this table (PG_TYPE_OIDS): keep the order.
namespace o = pg::oid;
// clang-format off
constexpr Oid kOids[] = {
    o::kBool,        o::kBytea,       o::kChar,          o::kName,          o::kInt8,
    o::kInt2,        o::kInt4,        o::kText,          o::kOid,           o::kJson,
    o::kFloat4,      o::kFloat8,      o::kBpchar,        o::kVarchar,       o::kDate,
    o::kTime,        o::kTimestamp,   o::kTimestamptz,   o::kInterval,      o::kNumeric,
    o::kUuid,        o::kJsonb,       o::kUnknown,       o::kBoolArray,     o::kByteaArray,
    o::kCharArray,   o::kNameArray,   o::kInt2Array,     o::kInt4Array,     o::kTextArray,
    o::kOidArray,    o::kBpcharArray, o::kVarcharArray,  o::kInt8Array,     o::kFloat4Array,
    o::kFloat8Array, o::kJsonArray,   o::kDateArray,     o::kTimeArray,     o::kTimestampArray,
    o::kTimestamptzArray, o::kIntervalArray, o::kNumericArray, o::kUuidArray, o::kJsonbArray,
    600,             1266,            1560,              869,               3904,
    1270,
};
// clang-format on

// Value equality where NaN equals NaN (same bits): floats come back bit for bit.
template <class T>
bool same(const T& a, const T& b) {
  return a == b;
}
bool same(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a != a && b != b);
}
bool same(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) || (a != a && b != b);
}
template <class T>
bool same(const std::optional<T>& a, const std::optional<T>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}
template <class T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}
template <class T>
bool same(const pg::Array<T>& a, const pg::Array<T>& b) {
  return a.shape == b.shape && same(a.elements, b.elements);
}

// The session settings of this input (see the header).
pg::TextSettings g_settings;

pg::TextSettings settings_of(std::uint8_t bits) {
  static const absl::TimeZone kNewYork = [] {
    absl::TimeZone z;
    return absl::LoadTimeZone("America/New_York", &z) ? z : absl::UTCTimeZone();
  }();
  pg::TextSettings s;
  s.date_style = static_cast<pg::TextSettings::DateStyle>((bits >> 1) & 3);
  s.date_order =
      (bits & 8) != 0 ? pg::TextSettings::DateOrder::kDmy : pg::TextSettings::DateOrder::kMdy;
  s.interval_style = static_cast<pg::TextSettings::IntervalStyle>(3 - ((bits >> 4) & 3));
  switch (bits >> 6) {
    case 1:
      s.time_zone = kNewYork;
      break;
    case 2:
      s.time_zone = absl::FixedTimeZone(19'800);
      break;
    case 3:  // a POSIX zone ("SET TIME ZONE -3.5"), printed by its name
      s.time_zone = absl::FixedTimeZone(-12'600);
      s.zone_abbreviation = "-03:30";
      break;
    default:
      break;
  }
  return s;
}

template <class T>
std::optional<T> try_decode(Oid type, Format format, Bytes data) {
  try {
    return pg::decode_value<T>(type, format, data, &g_settings);
  } catch (const tern::TypeError&) {
    return std::nullopt;
  }
}

// encode(v) must decode back to v. Encoding may refuse a value (TypeError: out of range).
template <class T>
void check_binary_round_trip(const T& v) {
  std::string wire;
  pg::ByteWriter w(wire);
  try {
    pg::Type<T>::encode(v, w);
  } catch (const tern::TypeError&) {
    return;
  }
  const std::optional<T> again =
      try_decode<T>(pg::Type<T>::kOid, Format::kBinary, tern::protocol::as_bytes(wire));
  check(again.has_value() && same(*again, v));
}

// Numeric text is kept as the server wrote it: "1e3" or "+5" come back from binary as "1000"
// and "5", so only canonical (binary-decoded) numerics round-trip exactly.
template <class T>
inline constexpr bool kKeepsText = std::is_same_v<T, pg::Numeric>;
template <class T>
inline constexpr bool kKeepsText<std::vector<T>> = kKeepsText<T>;
template <class T>
inline constexpr bool kKeepsText<std::optional<T>> = kKeepsText<T>;
template <class T>
inline constexpr bool kKeepsText<pg::Array<T>> = kKeepsText<T>;

template <class T>
void fuzz_as(Oid type, Format format, Bytes data, const std::optional<std::string>& text) {
  if (!pg::Type<T>::accepts(type)) return;
  const std::optional<T> v = try_decode<T>(type, format, data);
  if (!v) return;
  if (format == Format::kBinary || !kKeepsText<T>) check_binary_round_trip(*v);
  // (unknown is never fetched in binary: the connection asks for text, and to_text renders
  // binary values of types outside its table as hex.)
  if (format == Format::kBinary && text && type != pg::oid::kUnknown) {
    // The text the server would have sent for this value decodes to the same value.
    const std::optional<T> from_text =
        try_decode<T>(type, Format::kText, tern::protocol::as_bytes(*text));
    check(from_text.has_value() && same(*from_text, *v));
  }
}

template <class T>
void fuzz_type(Oid type, Format format, Bytes data, const std::optional<std::string>& text) {
  fuzz_as<T>(type, format, data, text);
  fuzz_as<std::vector<T>>(type, format, data, text);
  fuzz_as<std::vector<std::optional<T>>>(type, format, data, text);
  fuzz_as<pg::Array<T>>(type, format, data, text);
  fuzz_as<pg::Array<std::optional<T>>>(type, format, data, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Oid type = kOids[data[0] % std::size(kOids)];
  const Format format = (data[1] & 1) != 0 ? Format::kBinary : Format::kText;
  const Bytes value(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  g_settings = settings_of(data[1]);

  std::optional<std::string> text;
  try {
    text = pg::to_text(type, format, value, g_settings);
  } catch (const tern::TypeError&) {
  }
  // Floats under extra_float_digits <= 0 round (no invariant: the text is lossy).
  if (type == pg::oid::kFloat4 || type == pg::oid::kFloat8) {
    pg::TextSettings rounded = g_settings;
    rounded.extra_float_digits = -static_cast<int>(data[1] % 16);
    try {
      pg::to_text(type, format, value, rounded);
    } catch (const tern::TypeError&) {
    }
  }

  fuzz_type<bool>(type, format, value, text);
  fuzz_type<std::int16_t>(type, format, value, text);
  fuzz_type<std::int32_t>(type, format, value, text);
  fuzz_type<std::int64_t>(type, format, value, text);
  fuzz_type<float>(type, format, value, text);
  fuzz_type<double>(type, format, value, text);
  fuzz_type<pg::Numeric>(type, format, value, text);
  fuzz_type<std::string>(type, format, value, text);
  fuzz_type<pg::ByteString>(type, format, value, text);
  fuzz_type<pg::Date>(type, format, value, text);
  fuzz_type<pg::Time>(type, format, value, text);
  fuzz_type<pg::Timestamp>(type, format, value, text);
  fuzz_type<pg::Timestamptz>(type, format, value, text);
  fuzz_type<pg::WideTimestamp>(type, format, value, text);
  fuzz_type<pg::WideTimestamptz>(type, format, value, text);
  fuzz_type<pg::Interval>(type, format, value, text);
  fuzz_type<pg::Uuid>(type, format, value, text);
  fuzz_type<pg::Json>(type, format, value, text);
  fuzz_type<pg::Jsonb>(type, format, value, text);
  fuzz_type<pg::OidValue>(type, format, value, text);
  if (type == pg::oid::kUuid) {
    try {
      const pg::Uuid u = pg::Uuid::parse(tern::protocol::as_chars(value));
      check(pg::Uuid::parse(u.to_string()) == u);
    } catch (const tern::TypeError&) {
    }
  }
  return 0;
}
