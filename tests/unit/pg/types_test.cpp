// Unit tests of the PostgreSQL type codecs (protocol/src/pg/types*.cpp): hand-written binary
// fixtures, text-format server outputs, round trips, extremes and malformed input.
#include "tern/protocol/pg/types.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tern/protocol/pg/params.hpp"
#include "tern/protocol/pg/text.hpp"

namespace tern::pg {
namespace {

using namespace std::chrono;
using protocol::as_bytes;

/// Bytes from a list of byte values.
std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list)
    out.push_back(static_cast<char>(b));
  return out;
}

template <class T>
std::string enc(const T& value) {
  std::string out;
  ByteWriter w(out);
  Type<T>::encode(value, w);
  return out;
}

template <class T>
T bin(Oid type, std::string_view data) {
  return Type<T>::decode(type, Format::kBinary, as_bytes(data));
}

template <class T>
T txt(Oid type, std::string_view data) {
  return Type<T>::decode(type, Format::kText, as_bytes(data));
}

template <class T>
T round_trip(const T& value) {
  return bin<T>(Type<T>::kOid, enc(value));
}

template <class T>
T decoded(Oid type, Format format, std::string_view data) {
  return decode_value<T>(type, format, as_bytes(data));
}

ByteString bs(std::initializer_list<int> list) {
  ByteString out;
  for (int b : list)
    out.push_back(static_cast<std::byte>(b));
  return out;
}

// ---- bool ----

TEST(PgTypes, BoolBinaryAndText) {
  EXPECT_EQ(enc(true), bytes({1}));
  EXPECT_EQ(enc(false), bytes({0}));
  EXPECT_TRUE(bin<bool>(oid::kBool, bytes({1})));
  EXPECT_FALSE(bin<bool>(oid::kBool, bytes({0})));
  EXPECT_TRUE(txt<bool>(oid::kBool, "t"));
  EXPECT_FALSE(txt<bool>(oid::kBool, "f"));
  EXPECT_THROW(txt<bool>(oid::kBool, "true"), TypeError);
  EXPECT_THROW(txt<bool>(oid::kBool, ""), TypeError);
  EXPECT_THROW(bin<bool>(oid::kBool, ""), TypeError);
  EXPECT_THROW(bin<bool>(oid::kBool, bytes({1, 0})), TypeError);
  EXPECT_THROW(bin<bool>(oid::kBool, bytes({2})), TypeError);
  EXPECT_EQ(Type<bool>::kOid, oid::kBool);
  EXPECT_EQ(Type<bool>::kFormat, Format::kBinary);
}

// ---- integers ----

TEST(PgTypes, IntegerBinaryFixtures) {
  EXPECT_EQ(enc(std::int32_t{42}), bytes({0, 0, 0, 0x2a}));
  EXPECT_EQ(enc(std::int16_t{-2}), bytes({0xff, 0xfe}));
  EXPECT_EQ(enc(std::numeric_limits<std::int64_t>::min()), bytes({0x80, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bin<std::int32_t>(oid::kInt4, bytes({0, 0, 0, 0x2a})), 42);
  EXPECT_EQ(bin<std::int32_t>(oid::kInt4, bytes({0xff, 0xff, 0xff, 0xff})), -1);
  EXPECT_EQ(bin<std::int64_t>(oid::kInt8, bytes({0x80, 0, 0, 0, 0, 0, 0, 0})),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(bin<std::int64_t>(oid::kInt8, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(bin<std::int16_t>(oid::kInt2, bytes({0x80, 0})), -32768);
}

TEST(PgTypes, IntegerWideningAndAccepts) {
  EXPECT_TRUE(Type<std::int64_t>::accepts(oid::kInt2));
  EXPECT_TRUE(Type<std::int64_t>::accepts(oid::kInt4));
  EXPECT_TRUE(Type<std::int64_t>::accepts(oid::kInt8));
  EXPECT_TRUE(Type<std::int32_t>::accepts(oid::kInt2));
  EXPECT_FALSE(Type<std::int32_t>::accepts(oid::kInt8));
  EXPECT_FALSE(Type<std::int16_t>::accepts(oid::kInt4));
  EXPECT_FALSE(Type<std::int64_t>::accepts(oid::kText));
  EXPECT_TRUE(Type<std::int64_t>::accepts(oid::kNumeric));  // SUM(int) is numeric
  EXPECT_EQ(bin<std::int64_t>(oid::kInt2, bytes({0xff, 0xfe})), -2);
  EXPECT_EQ(bin<std::int64_t>(oid::kInt4, bytes({0x80, 0, 0, 0})), INT32_MIN);
  EXPECT_EQ(bin<std::int32_t>(oid::kInt2, bytes({0x7f, 0xff})), 32767);
}

TEST(PgTypes, IntegerText) {
  EXPECT_EQ(txt<std::int32_t>(oid::kInt4, "-2147483648"), INT32_MIN);
  EXPECT_EQ(txt<std::int64_t>(oid::kInt8, "-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(txt<std::int64_t>(oid::kInt8, "9223372036854775807"), INT64_MAX);
  EXPECT_EQ(txt<std::int16_t>(oid::kInt2, "32767"), 32767);
  EXPECT_EQ(txt<std::int64_t>(oid::kInt2, "7"), 7);
  EXPECT_THROW(txt<std::int16_t>(oid::kInt2, "32768"), TypeError);
  EXPECT_THROW(txt<std::int64_t>(oid::kInt8, "9223372036854775808"), TypeError);
  EXPECT_THROW(txt<std::int32_t>(oid::kInt4, ""), TypeError);
  EXPECT_THROW(txt<std::int32_t>(oid::kInt4, "12a"), TypeError);
  EXPECT_THROW(txt<std::int32_t>(oid::kInt4, " 12"), TypeError);
  EXPECT_THROW(txt<std::int32_t>(oid::kInt4, "1.5"), TypeError);
}

TEST(PgTypes, IntegerMalformedBinary) {
  EXPECT_THROW(bin<std::int32_t>(oid::kInt4, bytes({0, 0, 0})), TypeError);
  EXPECT_THROW(bin<std::int32_t>(oid::kInt4, bytes({0, 0, 0, 0, 0})), TypeError);
  EXPECT_THROW(bin<std::int64_t>(oid::kInt8, bytes({0, 0, 0, 0})), TypeError);
  EXPECT_THROW(bin<std::int16_t>(oid::kInt2, ""), TypeError);
  // Decoding directly with a type the codec does not read.
  EXPECT_THROW(bin<std::int64_t>(oid::kText, bytes({0, 0, 0, 1})), TypeError);
}

TEST(PgTypes, IntegerRoundTrips) {
  for (std::int64_t v :
       {INT64_MIN, std::int64_t{-1}, std::int64_t{0}, std::int64_t{1}, INT64_MAX}) {
    EXPECT_EQ(round_trip(v), v);
  }
  for (std::int32_t v : {INT32_MIN, -1, 0, 1, INT32_MAX})
    EXPECT_EQ(round_trip(v), v);
  for (std::int16_t v : {std::int16_t{-32768}, std::int16_t{0}, std::int16_t{32767}}) {
    EXPECT_EQ(round_trip(v), v);
  }
}

// ---- floats ----

TEST(PgTypes, FloatBinaryFixtures) {
  EXPECT_EQ(enc(1.5f), bytes({0x3f, 0xc0, 0, 0}));
  EXPECT_EQ(enc(1.0), bytes({0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(enc(-2.0), bytes({0xc0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bin<float>(oid::kFloat4, bytes({0x3f, 0xc0, 0, 0})), 1.5f);
  EXPECT_EQ(bin<double>(oid::kFloat8, bytes({0x3f, 0xf0, 0, 0, 0, 0, 0, 0})), 1.0);
  EXPECT_EQ(bin<double>(oid::kFloat4, bytes({0x3f, 0xc0, 0, 0})), 1.5);  // float4 widened
  // Smallest denormal double: 0x0000000000000001.
  EXPECT_EQ(bin<double>(oid::kFloat8, bytes({0, 0, 0, 0, 0, 0, 0, 1})),
            std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(enc(std::numeric_limits<double>::denorm_min()), bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_TRUE(std::isnan(bin<double>(oid::kFloat8, enc(std::nan("")))));
  EXPECT_EQ(round_trip(-std::numeric_limits<double>::infinity()),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(round_trip(std::numeric_limits<float>::max()), std::numeric_limits<float>::max());
  EXPECT_THROW(bin<double>(oid::kFloat8, bytes({0, 0, 0, 0})), TypeError);
  EXPECT_THROW(bin<float>(oid::kFloat4, bytes({0, 0, 0})), TypeError);
  EXPECT_FALSE(Type<float>::accepts(oid::kFloat8));
  EXPECT_TRUE(Type<double>::accepts(oid::kFloat4));
}

TEST(PgTypes, FloatText) {
  EXPECT_EQ(txt<double>(oid::kFloat8, "0.1"), 0.1);
  EXPECT_EQ(txt<double>(oid::kFloat8, "-1.7976931348623157e+308"),
            std::numeric_limits<double>::lowest());
  EXPECT_EQ(txt<double>(oid::kFloat8, "5e-324"), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(txt<float>(oid::kFloat4, "1.4e-45"), std::numeric_limits<float>::denorm_min());
  EXPECT_EQ(txt<double>(oid::kFloat4, "0.1"), static_cast<double>(0.1f));
  EXPECT_TRUE(std::isnan(txt<double>(oid::kFloat8, "NaN")));
  EXPECT_TRUE(std::isnan(txt<float>(oid::kFloat4, "NaN")));
  EXPECT_EQ(txt<double>(oid::kFloat8, "Infinity"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(txt<double>(oid::kFloat8, "-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(txt<float>(oid::kFloat4, "-Infinity"), -std::numeric_limits<float>::infinity());
  EXPECT_THROW(txt<double>(oid::kFloat8, ""), TypeError);
  EXPECT_THROW(txt<double>(oid::kFloat8, "1.0x"), TypeError);
  EXPECT_THROW(txt<double>(oid::kFloat8, "1e999"), TypeError);
}

// ---- numeric ----

TEST(PgTypes, NumericBinaryFixtures) {
  // 12.34: ndigits 2, weight 0, sign +, dscale 2, digits 12 and 3400.
  const std::string n1234 = bytes({0, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x0d, 0x48});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, n1234).value, "12.34");
  EXPECT_EQ(enc(Numeric{"12.34"}), n1234);
  // -12.3400: same digits, sign 0x4000, dscale 4.
  const std::string neg = bytes({0, 2, 0, 0, 0x40, 0, 0, 4, 0, 12, 0x0d, 0x48});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, neg).value, "-12.3400");
  EXPECT_EQ(enc(Numeric{"-12.3400"}), neg);
  // A numeric holding an integer reads as one (SUM of integers is numeric); a fraction or an
  // out-of-range value is refused.
  EXPECT_EQ(bin<std::int64_t>(oid::kNumeric, bytes({0, 1, 0, 0, 0x40, 0, 0, 0, 0, 15})), -15);
  EXPECT_EQ(txt<std::int64_t>(oid::kNumeric, "42.000"), 42);
  EXPECT_EQ(txt<std::int32_t>(oid::kNumeric, "-7"), -7);
  EXPECT_THROW(bin<std::int64_t>(oid::kNumeric, n1234), TypeError);
  EXPECT_THROW(txt<std::int64_t>(oid::kNumeric, "NaN"), TypeError);
  EXPECT_THROW(txt<std::int64_t>(oid::kNumeric, "99999999999999999999"), TypeError);
  EXPECT_THROW(txt<std::int16_t>(oid::kNumeric, "40000"), TypeError);
  // 0 and 0.00.
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0, 0, 0, 0})).value, "0");
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0, 0, 0, 2})).value, "0.00");
  EXPECT_EQ(enc(Numeric{"0.00"}), bytes({0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(enc(Numeric{"-0"}), bytes({0, 0, 0, 0, 0, 0, 0, 0}));
  // 10000: one digit 1 of weight 1.
  const std::string n10000 = bytes({0, 1, 0, 1, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, n10000).value, "10000");
  EXPECT_EQ(enc(Numeric{"10000"}), n10000);
  // 0.0001: weight -1, digit 1, dscale 4. 0.00001: weight -2, digit 1000, dscale 5.
  const std::string small = bytes({0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 1});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, small).value, "0.0001");
  EXPECT_EQ(enc(Numeric{"0.0001"}), small);
  const std::string smaller = bytes({0, 1, 0xff, 0xfe, 0, 0, 0, 5, 0x03, 0xe8});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, smaller).value, "0.00001");
  EXPECT_EQ(enc(Numeric{"0.00001"}), smaller);
  // 123456789.123: digits 1, 2345, 6789, 1230; weight 2; dscale 3.
  const std::string big = bytes({0, 4, 0, 2, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x85, 0x04, 0xce});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, big).value, "123456789.123");
  EXPECT_EQ(enc(Numeric{"123456789.123"}), big);
  // Special values.
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0xc0, 0, 0, 0})).value, "NaN");
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0xd0, 0, 0, 0})).value, "Infinity");
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0xf0, 0, 0, 0})).value, "-Infinity");
  EXPECT_EQ(enc(Numeric{"NaN"}), bytes({0, 0, 0, 0, 0xc0, 0, 0, 0}));
  EXPECT_EQ(enc(Numeric{"Infinity"}), bytes({0, 0, 0, 0, 0xd0, 0, 0, 0}));
  EXPECT_EQ(enc(Numeric{"-Infinity"}), bytes({0, 0, 0, 0, 0xf0, 0, 0, 0}));
  // Trailing zero digit groups are omitted on the wire and re-created from dscale.
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 1, 0, 0, 0, 0, 0, 7, 0, 1})).value, "1.0000000");
}

TEST(PgTypes, NumericEncodeExponentsAndRoundTrips) {
  EXPECT_EQ(enc(Numeric{"1e3"}), bytes({0, 1, 0, 0, 0, 0, 0, 0, 0x03, 0xe8}));
  EXPECT_EQ(round_trip(Numeric{"1e3"}).value, "1000");
  EXPECT_EQ(round_trip(Numeric{"1.5e-3"}).value, "0.0015");
  EXPECT_EQ(round_trip(Numeric{"1.50E1"}).value, "15.0");
  EXPECT_EQ(round_trip(Numeric{"+.5"}).value, "0.5");
  EXPECT_EQ(round_trip(Numeric{"5."}).value, "5");
  EXPECT_EQ(round_trip(Numeric{"007.10"}).value, "7.10");
  EXPECT_EQ(round_trip(Numeric{"nan"}).value, "NaN");
  EXPECT_EQ(round_trip(Numeric{"-inf"}).value, "-Infinity");
  for (const char* s : {"0", "-1", "3.14159", "100000000", "0.000000001", "-9999.9999",
                        "12345678901234567890.0987654321", "-0.5", "99990000", "1.00000000", "NaN",
                        "Infinity", "-Infinity"}) {
    EXPECT_EQ(round_trip(Numeric{s}).value, s);
  }
  // The widest values PostgreSQL allows: 131072 integer digits, 16383 fraction digits.
  const std::string wide = "9" + std::string(131071, '0');
  EXPECT_EQ(round_trip(Numeric{wide}).value, wide);
  const std::string fine = "0." + std::string(16382, '0') + "1";
  EXPECT_EQ(round_trip(Numeric{fine}).value, fine);
  EXPECT_THROW(enc(Numeric{"1" + std::string(131072, '0')}), TypeError);
  EXPECT_THROW(enc(Numeric{"0." + std::string(16383, '0') + "1"}), TypeError);
}

TEST(PgTypes, NumericMalformed) {
  for (const char* s : {"", "abc", "1.2.3", "--1", "1e", "1e+", ".", "-", "1 2", "0x10", "-NaN",
                        "1e99999999", "Infinity1"}) {
    EXPECT_THROW(enc(Numeric{s}), TypeError) << s;
  }
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0, 0})), TypeError);  // header
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 2, 0, 0, 0, 0, 0, 2, 0, 12})),
               TypeError);  // ndigits 2, one digit
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0})),
               TypeError);  // trailing byte
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10})),
               TypeError);  // digit 10000
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0x10, 0, 0, 0})),
               TypeError);  // bad sign
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0xff, 0xff, 0, 0, 0, 0, 0, 0})),
               TypeError);  // negative ndigits
  EXPECT_THROW(bin<Numeric>(oid::kNumeric, bytes({0, 0, 0, 0, 0, 0, 0x40, 0})),
               TypeError);  // dscale outside its mask
  EXPECT_EQ(txt<Numeric>(oid::kNumeric, "-12.3400").value, "-12.3400");
}

// ---- strings, bytea, json ----

TEST(PgTypes, StringsBothFormats) {
  const std::string unicode = "h\xc3\xa9llo \xf0\x9f\x8c\x8d";  // "héllo 🌍"
  EXPECT_EQ(enc(unicode), unicode);
  EXPECT_EQ(bin<std::string>(oid::kText, unicode), unicode);
  EXPECT_EQ(txt<std::string>(oid::kVarchar, unicode), unicode);
  EXPECT_EQ(txt<std::string>(oid::kText, ""), "");
  EXPECT_EQ(round_trip(std::string("a\0b", 3)), std::string("a\0b", 3));
  for (Oid t : {oid::kText, oid::kVarchar, oid::kBpchar, oid::kName, oid::kChar, oid::kUnknown,
                oid::kJson, oid::kJsonb}) {
    EXPECT_TRUE(Type<std::string>::accepts(t)) << t;
  }
  EXPECT_FALSE(Type<std::string>::accepts(oid::kInt4));
  EXPECT_FALSE(Type<std::string>::accepts(oid::kBytea));
  // jsonb: binary drops the version byte, text is the document.
  EXPECT_EQ(bin<std::string>(oid::kJsonb, "\x01{\"a\": 1}"), "{\"a\": 1}");
  EXPECT_EQ(txt<std::string>(oid::kJsonb, "{\"a\": 1}"), "{\"a\": 1}");
  EXPECT_EQ(bin<std::string>(oid::kJson, "[1, 2]"), "[1, 2]");
  EXPECT_THROW(bin<std::string>(oid::kJsonb, "\x02{}"), TypeError);
}

TEST(PgTypes, ByteaBothFormats) {
  EXPECT_EQ(enc(bs({1, 2, 0xff})), bytes({1, 2, 0xff}));
  EXPECT_EQ(bin<ByteString>(oid::kBytea, bytes({0, 0xfe})), bs({0, 0xfe}));
  EXPECT_EQ(txt<ByteString>(oid::kBytea, "\\x0102fF"), bs({1, 2, 0xff}));
  EXPECT_EQ(txt<ByteString>(oid::kBytea, "\\x"), ByteString{});
  EXPECT_EQ(txt<ByteString>(oid::kBytea, "a\\\\b\\001\\377"), bs({'a', '\\', 'b', 1, 0xff}));
  EXPECT_EQ(round_trip(ByteString{}), ByteString{});
  EXPECT_THROW(txt<ByteString>(oid::kBytea, "\\x0"), TypeError);
  EXPECT_THROW(txt<ByteString>(oid::kBytea, "\\xZZ"), TypeError);
  EXPECT_THROW(txt<ByteString>(oid::kBytea, "\\9"), TypeError);
  EXPECT_THROW(txt<ByteString>(oid::kBytea, "ab\\"), TypeError);
}

TEST(PgTypes, JsonAndJsonb) {
  EXPECT_EQ(enc(Json{"{}"}), "{}");
  EXPECT_EQ(enc(Jsonb{"{}"}), "\x01{}");
  EXPECT_EQ(round_trip(Jsonb{"{\"k\": [1, null]}"}).text, "{\"k\": [1, null]}");
  EXPECT_EQ(round_trip(Json{"[]"}).text, "[]");
  EXPECT_EQ(bin<Json>(oid::kJsonb, "\x01[true]").text, "[true]");
  EXPECT_EQ(bin<Jsonb>(oid::kJson, "[true]").text, "[true]");
  EXPECT_EQ(txt<Jsonb>(oid::kJsonb, "{\"a\": \"\xc3\xa9\"}").text, "{\"a\": \"\xc3\xa9\"}");
  EXPECT_THROW(bin<Jsonb>(oid::kJsonb, ""), TypeError);
  EXPECT_THROW(bin<Jsonb>(oid::kJsonb, "\x02{}"), TypeError);
  EXPECT_FALSE(Type<Json>::accepts(oid::kText));
}

// ---- uuid, oid ----

TEST(PgTypes, Uuid) {
  const Uuid u = Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(u.bytes[0], 0xa0);
  EXPECT_EQ(u.bytes[15], 0x11);
  EXPECT_EQ(u.to_string(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(Uuid::parse("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"), u);
  EXPECT_EQ(Uuid::parse("a0eebc999c0b4ef8bb6d6bb9bd380a11"), u);
  EXPECT_EQ(Uuid::parse("a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"), u);
  EXPECT_EQ(enc(u), bytes({0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9,
                           0xbd, 0x38, 0x0a, 0x11}));
  EXPECT_EQ(round_trip(u), u);
  EXPECT_EQ(txt<Uuid>(oid::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), u);
  for (const char* bad :
       {"", "a0eebc99", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "a0eebc999c0b4ef8bb6d6bb9bd380a11-", "a0eeb-c999c0b4ef8bb6d6bb9bd380a11",
        "{a0eebc999c0b4ef8bb6d6bb9bd380a11"}) {
    EXPECT_THROW(Uuid::parse(bad), TypeError) << bad;
  }
  EXPECT_THROW(bin<Uuid>(oid::kUuid, std::string(15, 'x')), TypeError);
  EXPECT_THROW(bin<Uuid>(oid::kUuid, std::string(17, 'x')), TypeError);
}

TEST(PgTypes, OidValue) {
  EXPECT_EQ(enc(OidValue{4294967295u}), bytes({0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(bin<OidValue>(oid::kOid, bytes({0, 0, 0, 23})).value, 23u);
  EXPECT_EQ(txt<OidValue>(oid::kOid, "4294967295").value, 4294967295u);
  EXPECT_THROW(txt<OidValue>(oid::kOid, "4294967296"), TypeError);
  EXPECT_THROW(txt<OidValue>(oid::kOid, "-1"), TypeError);
  EXPECT_THROW(bin<OidValue>(oid::kOid, bytes({0, 0})), TypeError);
  EXPECT_FALSE(Type<OidValue>::accepts(oid::kInt4));
  EXPECT_FALSE(Type<std::int64_t>::accepts(oid::kOid));
}

// ---- date / time / timestamp / interval ----

TEST(PgTypes, DateBinary) {
  const Date y2k = sys_days{year{2000} / 1 / 1};
  EXPECT_EQ(bin<Date>(oid::kDate, bytes({0, 0, 0, 0})), y2k);
  EXPECT_EQ(bin<Date>(oid::kDate, bytes({0xff, 0xff, 0xff, 0xff})), y2k - days{1});
  EXPECT_EQ(enc(Date{sys_days{year{2024} / 1 / 1}}), bytes({0, 0, 0x22, 0x3e}));  // 8766 days
  EXPECT_EQ(bin<Date>(oid::kDate, bytes({0x7f, 0xff, 0xff, 0xff})), Date::max());
  EXPECT_EQ(bin<Date>(oid::kDate, bytes({0x80, 0, 0, 0})), Date::min());
  EXPECT_EQ(enc(Date::max()), bytes({0x7f, 0xff, 0xff, 0xff}));
  EXPECT_EQ(enc(Date::min()), bytes({0x80, 0, 0, 0}));
  const Date d = sys_days{year{1970} / 1 / 1};
  EXPECT_EQ(round_trip(d), d);
  EXPECT_THROW(enc(Date{days{std::int64_t{1} << 40}}), TypeError);
  EXPECT_THROW(bin<Date>(oid::kDate, bytes({0, 0, 0})), TypeError);
}

TEST(PgTypes, DateText) {
  EXPECT_EQ(txt<Date>(oid::kDate, "2024-02-29"), Date{sys_days{year{2024} / 2 / 29}});
  EXPECT_EQ(txt<Date>(oid::kDate, "1999-12-31"), Date{sys_days{year{1999} / 12 / 31}});
  EXPECT_EQ(txt<Date>(oid::kDate, "infinity"), Date::max());
  EXPECT_EQ(txt<Date>(oid::kDate, "-infinity"), Date::min());
  // 44 BC is astronomical year -43; 1 BC is year 0, a leap year.
  EXPECT_EQ(txt<Date>(oid::kDate, "0044-03-15 BC"), Date{sys_days{year{-43} / 3 / 15}});
  EXPECT_EQ(txt<Date>(oid::kDate, "0001-02-29 BC"), Date{sys_days{year{0} / 2 / 29}});
  EXPECT_EQ(txt<Date>(oid::kDate, "4714-11-24 BC"), Date{sys_days{year{-4713} / 11 / 24}});
  // Dates past year 9999 have more year digits.
  const Date far = txt<Date>(oid::kDate, "5874897-12-31");
  EXPECT_EQ(bin<Date>(oid::kDate, enc(far)), far);
  for (const char* bad :
       {"", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "2024-1-01", "2024-01-01 AD",
        "0000-01-01", "infinity ", "2024-01-01x", "0002-02-29 BC"}) {
    EXPECT_THROW(txt<Date>(oid::kDate, bad), TypeError) << bad;
  }
}

TEST(PgTypes, Time) {
  const Time t = hours{13} + minutes{45} + seconds{30} + microseconds{500000};
  EXPECT_EQ(txt<Time>(oid::kTime, "13:45:30.5"), t);
  EXPECT_EQ(txt<Time>(oid::kTime, "00:00:00"), Time{0});
  EXPECT_EQ(txt<Time>(oid::kTime, "23:59:59.999999"), hours{24} - microseconds{1});
  EXPECT_EQ(txt<Time>(oid::kTime, "24:00:00"), hours{24});
  EXPECT_EQ(enc(Time{microseconds{1}}), bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(round_trip(t), t);
  EXPECT_THROW(enc(Time{-1}), TypeError);
  EXPECT_THROW(enc(Time{hours{24} + microseconds{1}}), TypeError);
  EXPECT_THROW(bin<Time>(oid::kTime, bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
               TypeError);
  for (const char* bad : {"", "25:00:00", "24:00:01", "12:60:00", "12:00", "12:00:00.1234567",
                          "12:00:00.", "12:00:00+00"}) {
    EXPECT_THROW(txt<Time>(oid::kTime, bad), TypeError) << bad;
  }
}

TEST(PgTypes, TimestampBinary) {
  const Timestamp y2k{local_days{year{2000} / 1 / 1}};
  EXPECT_EQ(bin<Timestamp>(oid::kTimestamp, bytes({0, 0, 0, 0, 0, 0, 0, 0})), y2k);
  EXPECT_EQ(enc(Timestamp{y2k + microseconds{1}}), bytes({0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(enc(Timestamp{local_days{year{1970} / 1 / 1}}),
            bytes({0xff, 0xfc, 0xa2, 0xfe, 0xc4, 0xc8, 0x20, 0x00}));  // -946684800000000
  EXPECT_EQ(
      bin<Timestamp>(oid::kTimestamp, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
      Timestamp::max());
  EXPECT_EQ(bin<Timestamp>(oid::kTimestamp, bytes({0x80, 0, 0, 0, 0, 0, 0, 0})), Timestamp::min());
  EXPECT_EQ(enc(Timestamp::max()), bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(enc(Timestamptz::min()), bytes({0x80, 0, 0, 0, 0, 0, 0, 0}));
  const Timestamptz now{sys_days{year{2024} / 6 / 30} + hours{23} + microseconds{123456}};
  EXPECT_EQ(round_trip(now), now);
  // A value that overflows when moved to the Unix epoch.
  EXPECT_THROW(
      bin<Timestamp>(oid::kTimestamp, bytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0})),
      TypeError);
  EXPECT_THROW(bin<Timestamptz>(oid::kTimestamptz, bytes({0, 0, 0, 0})), TypeError);
}

TEST(PgTypes, TimestampText) {
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "2024-01-02 03:04:05.123456"),
            Timestamp{local_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5} +
                      microseconds{123456}});
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "2024-01-02 03:04:05"),
            Timestamp{local_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5}});
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "infinity"), Timestamp::max());
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "-infinity"), Timestamp::min());
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "0044-03-15 12:00:00 BC"),
            Timestamp{local_days{year{-43} / 3 / 15} + hours{12}});
  const Timestamp bc = txt<Timestamp>(oid::kTimestamp, "4713-01-01 00:00:00 BC");
  EXPECT_EQ(round_trip(bc), bc);
  for (const char* bad : {"2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05+00",
                          "2024-01-02  03:04:05", "99999999-01-01 00:00:00x"}) {
    EXPECT_THROW(txt<Timestamp>(oid::kTimestamp, bad), TypeError) << bad;
  }
  // Overflows microseconds: a checked TypeError, not UB.
  EXPECT_THROW(txt<Timestamp>(oid::kTimestamp, "999999999-01-01 00:00:00"), TypeError);
}

TEST(PgTypes, TimestamptzText) {
  const Timestamptz utc{sys_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5} +
                        microseconds{123456}};
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "2024-01-02 03:04:05.123456+00"), utc);
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "2024-01-02 08:34:05.123456+05:30"), utc);
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "2024-01-02 00:03:50.123456-03:00:15"), utc);
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "2024-01-01 23:04:05.123456-04"), utc);
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "infinity"), Timestamptz::max());
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "-infinity"), Timestamptz::min());
  EXPECT_EQ(txt<Timestamptz>(oid::kTimestamptz, "0044-03-15 12:00:00+00 BC"),
            Timestamptz{sys_days{year{-43} / 3 / 15} + hours{12}});
  for (const char* bad :
       {"2024-01-02 03:04:05", "2024-01-02 03:04:05+", "2024-01-02 03:04:05+5",
        "2024-01-02 03:04:05 UTC", "2024-01-02 03:04:05+00:60", "2024-01-02 03:04:05+00 BC x"}) {
    EXPECT_THROW(txt<Timestamptz>(oid::kTimestamptz, bad), TypeError) << bad;
  }
}

TEST(PgTypes, IntervalBinary) {
  const Interval iv{14, 3, 14706789000};
  EXPECT_EQ(enc(iv), bytes({0, 0, 0, 0x03, 0x6c, 0x97, 0xca, 0x88, 0, 0, 0, 3, 0, 0, 0, 14}));
  EXPECT_EQ(round_trip(iv), iv);
  const Interval extreme{INT32_MIN, INT32_MAX, INT64_MIN};
  EXPECT_EQ(round_trip(extreme), extreme);
  EXPECT_THROW(bin<Interval>(oid::kInterval, std::string(15, '\0')), TypeError);
}

TEST(PgTypes, IntervalText) {
  constexpr std::int64_t kSec = 1'000'000;
  EXPECT_EQ(txt<Interval>(oid::kInterval, "P1Y2M3DT4H5M6.789S"),
            (Interval{14, 3, (4 * 3600 + 5 * 60 + 6) * kSec + 789000}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "PT0S"), Interval{});
  EXPECT_EQ(txt<Interval>(oid::kInterval, "P-1D"), (Interval{0, -1, 0}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "P-1Y-2M"), (Interval{-14, 0, 0}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "PT-1H-2M-3.5S"),
            (Interval{0, 0, -(3600 + 120 + 3) * kSec - 500000}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "PT-0.000001S"), (Interval{0, 0, -1}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "P1Y-1DT1H"), (Interval{12, -1, 3600 * kSec}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "P2W"), (Interval{0, 14, 0}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "PT2562047788H"),
            (Interval{0, 0, 2562047788 * 3600 * kSec}));
  EXPECT_EQ(txt<Interval>(oid::kInterval, "infinity"), (Interval{INT32_MAX, INT32_MAX, INT64_MAX}));
  // The other IntervalStyles' text reads by its shape (datetime_styles_test.cpp).
  EXPECT_EQ(txt<Interval>(oid::kInterval, "1 year 2 mons"), (Interval{14, 0, 0}));
  for (const char* bad :
       {"", "P", "PT", "1 year 2 fortnights", "P1Y2", "P1.5Y", "PT1.5H", "P1H", "PT1D", "P1YT",
        "PT99999999999999999H", "P3000000000D", "PT1.1234567S", "PX"}) {
    EXPECT_THROW(txt<Interval>(oid::kInterval, bad), TypeError) << bad;
  }
}

// ---- arrays ----

TEST(PgTypes, ArrayBinaryFixtures) {
  // int4[] {1,2}: ndim 1, no nulls, element int4 (23), length 2, lower bound 1, elements.
  const std::string arr = bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0,
                                 0, 1, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0,  0, 4, 0, 0, 0, 2});
  EXPECT_EQ(enc(std::vector<std::int32_t>{1, 2}), arr);
  EXPECT_EQ(bin<std::vector<std::int32_t>>(oid::kInt4Array, arr),
            (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(bin<std::vector<std::int64_t>>(oid::kInt4Array, arr),
            (std::vector<std::int64_t>{1, 2}));
  // Empty: ndim 0, no dimensions.
  const std::string empty = bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23});
  EXPECT_EQ(enc(std::vector<std::int32_t>{}), empty);
  EXPECT_TRUE(bin<std::vector<std::int32_t>>(oid::kInt4Array, empty).empty());
  // A one-dimensional empty array (dimension length 0) is accepted too.
  EXPECT_TRUE(
      bin<std::vector<std::int32_t>>(
          oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 0, 0, 0, 0, 1}))
          .empty());
  // With a NULL: has-null flag 1, element length -1.
  const std::string with_null =
      bytes({0, 0, 0, 1, 0,    0,    0,    1,    0, 0, 0, 23, 0, 0, 0, 2,
             0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4,  0, 0, 0, 7});
  using OptInts = std::vector<std::optional<std::int32_t>>;
  EXPECT_EQ(enc(OptInts{std::nullopt, 7}), with_null);
  EXPECT_EQ(bin<OptInts>(oid::kInt4Array, with_null), (OptInts{std::nullopt, 7}));
  EXPECT_THROW(bin<std::vector<std::int32_t>>(oid::kInt4Array, with_null), TypeError);
  EXPECT_EQ(Type<std::vector<std::string>>::kOid, oid::kTextArray);
  EXPECT_EQ(Type<OptInts>::kOid, oid::kInt4Array);
  EXPECT_EQ(Type<std::vector<ByteString>>::kOid, oid::kByteaArray);
}

TEST(PgTypes, ArrayRoundTrips) {
  const std::vector<std::string> strs{"a", "", "quoted \" str", "\xc3\xa9"};
  EXPECT_EQ(round_trip(strs), strs);
  const std::vector<std::optional<Numeric>> nums{Numeric{"1.50"}, std::nullopt, Numeric{"NaN"}};
  EXPECT_EQ(round_trip(nums), nums);
  const std::vector<ByteString> blobs{bs({}), bs({0, 1, 2})};
  EXPECT_EQ(round_trip(blobs), blobs);
  const std::vector<Date> dates{Date::min(), sys_days{year{2024} / 5 / 6}, Date::max()};
  EXPECT_EQ(round_trip(dates), dates);
  const std::vector<bool> flags{true, false, true};
  EXPECT_EQ(round_trip(flags), flags);
  const std::vector<Interval> ivs{Interval{1, 2, 3}, Interval{}};
  EXPECT_EQ(round_trip(ivs), ivs);
  const std::vector<Jsonb> docs{Jsonb{"{}"}, Jsonb{"[1]"}};
  EXPECT_EQ(round_trip(docs), docs);
  // The element type of the header must be accepted: an int8[] is not readable as int32.
  EXPECT_THROW(bin<std::vector<std::int32_t>>(oid::kInt8Array, enc(std::vector<std::int64_t>{1})),
               TypeError);
}

TEST(PgTypes, ArrayBinaryMalformed) {
  using Ints = std::vector<std::int32_t>;
  // ndim 2.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0,
                                                 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,  0, 1})),
               TypeError);
  // Negative ndim, bad flags, truncated header.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 23})),
               TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 23})), TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})), TypeError);
  // Dimension missing; element count larger than the data; negative count.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23})), TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0,  0,    1,    0,    0,    0, 0, 0, 0,
                                                 0, 23, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1})),
               TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0,  0,    1,    0,    0,    0, 0, 0, 0,
                                                 0, 23, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1})),
               TypeError);
  // Element length past the end, wrong element length for int4, negative length other than -1.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0,
                                                 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0,  0, 1})),
               TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0,
                                                 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0,  1})),
               TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 1, 0, 0, 0, 0, 0,    0,    0,    23,
                                                 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe})),
               TypeError);
  // Trailing bytes; an element type that does not match the array type.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23, 0})),
               TypeError);
  EXPECT_THROW(
      bin<std::vector<std::int64_t>>(oid::kInt8Array, bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 23})),
      TypeError);
}

TEST(PgTypes, ArrayText) {
  using Strs = std::vector<std::optional<std::string>>;
  EXPECT_TRUE(txt<std::vector<std::int32_t>>(oid::kInt4Array, "{}").empty());
  EXPECT_EQ(txt<std::vector<std::int32_t>>(oid::kInt4Array, "{1,-2,3}"),
            (std::vector<std::int32_t>{1, -2, 3}));
  EXPECT_EQ((txt<std::vector<std::optional<std::int64_t>>>(oid::kInt8Array, "{1,NULL,3}")),
            (std::vector<std::optional<std::int64_t>>{1, std::nullopt, 3}));
  EXPECT_THROW(txt<std::vector<std::int32_t>>(oid::kInt4Array, "{1,NULL}"), TypeError);
  EXPECT_EQ(txt<Strs>(oid::kTextArray,
                      R"({"quoted \" str",NULL,"NULL",plain,"a,b","",null,"back\\slash",h\é})"),
            (Strs{"quoted \" str", std::nullopt, "NULL", "plain", "a,b", "", std::nullopt,
                  "back\\slash", "h\xc3\xa9"}));
  EXPECT_EQ(txt<Strs>(oid::kVarcharArray, R"({ a b , "{x}" ,\NULL})"),
            (Strs{"a b", "{x}", "NULL"}));
  EXPECT_EQ(txt<std::vector<std::int32_t>>(oid::kInt4Array, "[0:2]={5,6,7}"),
            (std::vector<std::int32_t>{5, 6, 7}));
  EXPECT_EQ(txt<std::vector<ByteString>>(oid::kByteaArray, R"({"\\x0102","\\x"})"),
            (std::vector<ByteString>{bs({1, 2}), bs({})}));
  EXPECT_EQ(txt<std::vector<Date>>(oid::kDateArray, "{2024-01-02,infinity}"),
            (std::vector<Date>{sys_days{year{2024} / 1 / 2}, Date::max()}));
  EXPECT_EQ(txt<std::vector<Timestamptz>>(oid::kTimestamptzArray, R"({"2024-01-02 03:04:05+00"})"),
            (std::vector<Timestamptz>{sys_days{year{2024} / 1 / 2} + hours{3} + minutes{4} +
                                      seconds{5}}));
  EXPECT_EQ(txt<std::vector<Numeric>>(oid::kNumericArray, "{1.50,NaN,-Infinity}"),
            (std::vector<Numeric>{{"1.50"}, {"NaN"}, {"-Infinity"}}));
  EXPECT_EQ(txt<std::vector<bool>>(oid::kBoolArray, "{t,f}"), (std::vector<bool>{true, false}));
  EXPECT_EQ(txt<std::vector<Interval>>(oid::kIntervalArray, "{PT0S,P-1D}"),
            (std::vector<Interval>{Interval{}, Interval{0, -1, 0}}));
  EXPECT_EQ(txt<std::vector<Jsonb>>(oid::kJsonbArray, R"({"{\"a\": 1}"})"),
            (std::vector<Jsonb>{Jsonb{"{\"a\": 1}"}}));
  for (const char* bad :
       {"", "{", "{1,2", "{1,,2}", "{1,2}x", "{{1,2},{3,4}}", "[1:2][1:2]={{1}}", "[1:3]={1,2}",
        "[1:2={1,2}", "{\"1}", "{1\"2}", "{1,}", "1,2", "{,}", "{1 2}", "{x}"}) {
    EXPECT_THROW(txt<std::vector<std::int32_t>>(oid::kInt4Array, bad), TypeError) << bad;
  }
}

/// Bytes from a hex string (array_send output recorded from PostgreSQL 15).
std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

ArrayShape shape_of(std::initializer_list<std::pair<std::int32_t, std::int32_t>> dims) {
  ArrayShape s;
  for (const auto& [length, lower] : dims) {
    s.lengths[static_cast<std::size_t>(s.ndim)] = length;
    s.lower_bounds[static_cast<std::size_t>(s.ndim++)] = lower;
  }
  return s;
}

// Issue 24 defects 1 and 2: multi-dimensional arrays and lower bounds, recorded from the server.
TEST(PgTypes, MultiDimensionalArraysKeepTheirShape) {
  using Ints = Array<std::int32_t>;
  // SELECT array_send('{{1,2,3},{4,5,6}}'::int[])
  const std::string two_by_three = unhex(
      "00000002000000000000001700000002000000010000000300000001000000040000000100000004000000020"
      "000000400000003000000040000000400000004000000050000000400000006");
  const Ints expected{shape_of({{2, 1}, {3, 1}}), {1, 2, 3, 4, 5, 6}};
  EXPECT_EQ(bin<Ints>(oid::kInt4Array, two_by_three), expected);
  EXPECT_EQ(txt<Ints>(oid::kInt4Array, "{{1,2,3},{4,5,6}}"), expected);
  EXPECT_EQ(enc(expected), two_by_three);
  EXPECT_EQ(to_text(oid::kInt4Array, Format::kBinary, as_bytes(two_by_three)), "{{1,2,3},{4,5,6}}");
  // std::vector reads one dimension only, and says what to use instead.
  try {
    bin<std::vector<std::int32_t>>(oid::kInt4Array, two_by_three);
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("pg::Array"), std::string::npos) << e.what();
  }

  // SELECT array_send('[0:1]={1.1,2.2}'::float8[])
  const std::string from_zero = unhex(
      "0000000100000000000002bd0000000200000000000000083ff199999999999a00000008400199999999"
      "999a");
  const Array<double> floats{shape_of({{2, 0}}), {1.1, 2.2}};
  EXPECT_EQ(bin<Array<double>>(oid::kFloat8Array, from_zero), floats);
  EXPECT_EQ(txt<Array<double>>(oid::kFloat8Array, "[0:1]={1.1,2.2}"), floats);
  EXPECT_EQ(enc(floats), from_zero);
  EXPECT_EQ(to_text(oid::kFloat8Array, Format::kBinary, as_bytes(from_zero)), "[0:1]={1.1,2.2}");
  EXPECT_EQ(bin<std::vector<double>>(oid::kFloat8Array, from_zero),
            (std::vector<double>{1.1, 2.2}));

  // SELECT array_send('[-2:-1][3:3]={{NULL},{x}}'::text[]): NULLs, negative bounds.
  const std::string text_nulls =
      unhex("00000002000000010000001900000002fffffffe0000000100000003ffffffff0000000178");
  using Strs = Array<std::optional<std::string>>;
  const Strs strs{shape_of({{2, -2}, {1, 3}}), {std::nullopt, "x"}};
  EXPECT_EQ(bin<Strs>(oid::kTextArray, text_nulls), strs);
  EXPECT_EQ(txt<Strs>(oid::kTextArray, "[-2:-1][3:3]={{NULL},{x}}"), strs);
  EXPECT_EQ(enc(strs), text_nulls);
  EXPECT_EQ(to_text(oid::kTextArray, Format::kBinary, as_bytes(text_nulls)),
            "[-2:-1][3:3]={{NULL},{x}}");
  EXPECT_THROW(bin<Array<std::string>>(oid::kTextArray, text_nulls), TypeError);

  // Three dimensions, empty arrays, and the one-dimensional common case.
  const Ints cube{shape_of({{2, 1}, {1, 1}, {1, 1}}), {1, 2}};
  EXPECT_EQ(txt<Ints>(oid::kInt4Array, "{{{1}},{{2}}}"), cube);
  EXPECT_EQ(to_text(oid::kInt4Array, Format::kBinary, as_bytes(enc(cube))), "{{{1}},{{2}}}");
  EXPECT_EQ(round_trip(cube), cube);
  EXPECT_EQ(txt<Ints>(oid::kInt4Array, "{}"), Ints{});
  EXPECT_EQ(to_text(oid::kInt4Array, Format::kBinary, as_bytes(enc(Ints{}))), "{}");
  EXPECT_EQ(txt<Ints>(oid::kInt4Array, "{1,2}"), (Ints{shape_of({{2, 1}}), {1, 2}}));
  EXPECT_EQ(enc(Ints{shape_of({{2, 1}}), {1, 2}}), enc(std::vector<std::int32_t>{1, 2}));

  // Elements that do not fill the shape, and shapes the server refuses.
  EXPECT_THROW(enc(Ints{shape_of({{2, 1}, {2, 1}}), {1, 2, 3}}), TypeError);
  EXPECT_THROW(enc(Ints{shape_of({{2, 0x7fffffff}}), {1, 2}}), TypeError);
  for (const char* bad : {"{{1,2},{3}}", "{{1},2}", "{1,{2}}", "{{1,2},{3,4}", "[1:2][1:1]={{1,2}}",
                          "{{{{{{{1}}}}}}}", "[1:1][1:1][1:1][1:1][1:1][1:1][1:1]={{{{{{{1}}}}}}}",
                          "[2:1]={}", "{{1}}}", "{{}}", "{{1},{}}"}) {
    EXPECT_THROW(txt<Ints>(oid::kInt4Array, bad), TypeError) << bad;
  }
  // fuzz_pg_types: a dimension of length 0 makes an empty array (as array_recv does), so that
  // its text "{}" reads back as the same value.
  const std::string zero_length =
      bytes({0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 1});
  EXPECT_EQ(bin<Ints>(oid::kInt4Array, zero_length), Ints{});
  EXPECT_EQ(to_text(oid::kInt4Array, Format::kBinary, as_bytes(zero_length)), "{}");
  // Binary: 7 dimensions; an upper bound past INT32_MAX; a count past the value size.
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 23})), TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array,
                         bytes({0,    0,    0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0x7f, 0xff,
                                0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0,  0, 4, 0, 0, 0,    1})),
               TypeError);
  EXPECT_THROW(bin<Ints>(oid::kInt4Array, bytes({0, 0, 0, 2, 0, 0, 0,    0, 0, 0, 0, 23, 0x10, 0,
                                                 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 0, 0, 0,  0,    1})),
               TypeError);
}

// ---- decode_value: type checks and NULL ----

TEST(PgTypes, DecodeValueMismatchAndNull) {
  EXPECT_EQ(decoded<std::int32_t>(oid::kInt4, Format::kText, "12"), 12);
  EXPECT_THROW(decoded<std::int32_t>(oid::kText, Format::kText, "12"), TypeError);
  EXPECT_THROW(decoded<std::int32_t>(oid::kInt8, Format::kBinary, bytes({0, 0, 0, 0, 0, 0, 0, 1})),
               TypeError);
  EXPECT_THROW(decoded<std::string>(oid::kInt4, Format::kText, "12"), TypeError);
  EXPECT_THROW(decoded<std::vector<std::int32_t>>(oid::kTextArray, Format::kText, "{1}"),
               TypeError);
  EXPECT_THROW(decoded<std::vector<std::string>>(oid::kInt4Array, Format::kText, "{1}"), TypeError);
  // An unknown array type is not read as text[] even though std::string reads 'unknown'.
  EXPECT_FALSE(Type<std::vector<std::string>>::accepts(12345));
  EXPECT_TRUE(Type<std::vector<std::int64_t>>::accepts(oid::kInt2Array));
  EXPECT_THROW(decode_value<std::int32_t>(oid::kInt4, Format::kBinary, std::nullopt), TypeError);
  EXPECT_EQ(decode_value<std::optional<std::int32_t>>(oid::kInt4, Format::kBinary, std::nullopt),
            std::nullopt);
  EXPECT_EQ(decode_value<std::optional<std::int32_t>>(oid::kInt4, Format::kBinary,
                                                      as_bytes(bytes({0, 0, 0, 9}))),
            9);
  try {
    decoded<std::int32_t>(oid::kText, Format::kText, "x");
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("text"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int"), std::string::npos) << e.what();
  }
}

TEST(PgTypes, EncodeParamFraming) {
  std::string out;
  ByteWriter w(out);
  encode_param(std::int32_t{42}, w);
  encode_param(std::optional<std::string>{}, w);
  encode_param(Jsonb{"1"}, w);
  EXPECT_EQ(out, bytes({0, 0, 0, 4, 0, 0, 0, 42, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 1, '1'}));
}

// ---- robustness: truncations and random bytes only ever throw TypeError ----

template <class T>
void expect_only_type_errors(Oid type, std::string_view data) {
  for (Format f : {Format::kBinary, Format::kText}) {
    try {
      (void)Type<T>::decode(type, f, as_bytes(data));
    } catch (const TypeError&) {
    }
  }
}

template <class T>
void fuzz_type(Oid type, const std::string& valid, std::mt19937& rng) {
  for (std::size_t n = 0; n <= valid.size(); ++n) {
    expect_only_type_errors<T>(type, std::string_view(valid).substr(0, n));
  }
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 300; ++i) {
    std::string mutated = valid;
    if (mutated.empty()) mutated.push_back('\0');
    const int flips = 1 + i % 3;
    for (int k = 0; k < flips; ++k) {
      mutated[static_cast<std::size_t>(byte(rng)) % mutated.size()] = static_cast<char>(byte(rng));
    }
    expect_only_type_errors<T>(type, mutated);
  }
}

TEST(PgTypes, FuzzLikeMalformedInputOnlyThrowsTypeError) {
  std::mt19937 rng(1234);
  fuzz_type<Numeric>(oid::kNumeric, enc(Numeric{"-123456789.0001234"}), rng);
  fuzz_type<Interval>(oid::kInterval, "P1Y2M3DT4H5M6.789S", rng);
  fuzz_type<Timestamptz>(oid::kTimestamptz, "2024-01-02 03:04:05.123456+05:30 BC", rng);
  fuzz_type<Date>(oid::kDate, "2024-01-02", rng);
  fuzz_type<Uuid>(oid::kUuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", rng);
  fuzz_type<ByteString>(oid::kBytea, "\\x0102ff", rng);
  fuzz_type<std::vector<std::optional<std::string>>>(
      oid::kTextArray, enc(std::vector<std::optional<std::string>>{"a", std::nullopt, "bc"}), rng);
  fuzz_type<std::vector<std::optional<std::string>>>(oid::kTextArray, R"({"a\"b",NULL,c})", rng);
  fuzz_type<std::vector<std::optional<Numeric>>>(
      oid::kNumericArray, enc(std::vector<std::optional<Numeric>>{Numeric{"1.5"}, std::nullopt}),
      rng);
  fuzz_type<std::int64_t>(oid::kInt8, enc(std::int64_t{-5}), rng);
  fuzz_type<double>(oid::kFloat8, "-1.5e-300", rng);
  fuzz_type<Jsonb>(oid::kJsonb, enc(Jsonb{"{}"}), rng);
}

TEST(PgTypes, NumericNegativeWithOnlyDigitsPastTheScaleHasNoSign) {
  // -42 x 10000^-257 shown with 10 fraction digits: all shown digits are zero, so no
  // "-0.0000000000", which did not survive a binary round trip (fuzz_pg_types). A server never
  // sends such digits; PostgreSQL never shows a negative zero.
  const std::string v = bytes({0, 1, 0xfe, 0xff, 0x40, 0, 0, 10, 0, 42});
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, v).value, "0.0000000000");
  EXPECT_EQ(round_trip(bin<Numeric>(oid::kNumeric, v)).value, "0.0000000000");
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 1, 0, 0, 0x40, 0, 0, 0, 0, 0})).value, "0");
  EXPECT_EQ(bin<Numeric>(oid::kNumeric, bytes({0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1})).value,
            "-0.0001");
}

// ---- to_text ----

TEST(PgTypes, ToTextOfDatesPastYear32767) {
  // PostgreSQL dates reach 5874897 AD and timestamps 294276 AD; std::chrono::year stops at
  // 32767, and to_text printed garbage years past it (fuzz_pg_types: the text did not read back
  // as the binary value).
  const auto date = [](std::int64_t days_since_2000) {
    return enc(Date{days{days_since_2000 + 10'957}});
  };
  EXPECT_EQ(to_text(oid::kDate, Format::kBinary, as_bytes(date(2'145'031'948))), "5874897-12-31");
  EXPECT_EQ(to_text(oid::kDate, Format::kBinary, as_bytes(date(72'318'074))), "200000-02-29");
  EXPECT_EQ(to_text(oid::kDate, Format::kBinary, as_bytes(date(-2'451'545))), "4714-11-24 BC");
  EXPECT_EQ(txt<Date>(oid::kDate, "4714-11-24 BC"), bin<Date>(oid::kDate, date(-2'451'545)));
  EXPECT_EQ(to_text(oid::kDate, Format::kBinary, as_bytes(date(8'767))), "2024-01-02");
  EXPECT_EQ(txt<Date>(oid::kDate, "5874897-12-31"), bin<Date>(oid::kDate, date(2'145'031'948)));

  const std::string noon = enc(std::int64_t{72'318'074} * 86'400'000'000 + 43'200'000'000);
  EXPECT_EQ(to_text(oid::kTimestamp, Format::kBinary, as_bytes(noon)), "200000-02-29 12:00:00");
  EXPECT_EQ(to_text(oid::kTimestamptz, Format::kBinary, as_bytes(noon)),
            "200000-02-29 12:00:00+00");
  EXPECT_EQ(txt<Timestamp>(oid::kTimestamp, "200000-02-29 12:00:00"),
            bin<Timestamp>(oid::kTimestamp, noon));
}

// Issue 24 defects 3-7 and 9: the outputs below are psql's (PostgreSQL 15,
// extra_float_digits=3) for the same values.
TEST(PgTypes, ToTextFollowsTheServersOutputFunctions) {
  const auto f8 = [](double v) { return to_text(oid::kFloat8, Format::kBinary, as_bytes(enc(v))); };
  const auto f4 = [](float v) { return to_text(oid::kFloat4, Format::kBinary, as_bytes(enc(v))); };
  EXPECT_EQ(f8(0.0001), "0.0001");
  EXPECT_EQ(f8(0.00001), "1e-05");
  EXPECT_EQ(f8(100000), "100000");
  EXPECT_EQ(f8(1e14), "100000000000000");
  EXPECT_EQ(f8(1e15), "1e+15");
  EXPECT_EQ(f8(4567890123456789.0), "4.567890123456789e+15");
  EXPECT_EQ(f8(456789012345678.0), "456789012345678");
  EXPECT_EQ(f8(-0.0), "-0");
  EXPECT_EQ(f8(1e300), "1e+300");
  EXPECT_EQ(f8(1.5e-300), "1.5e-300");
  // A shortest candidate exactly halfway between two doubles is not taken (Ryu as PG has it).
  EXPECT_EQ(f8(9.22337205e+18), "9.223372049999999e+18");
  EXPECT_EQ(f8(3.6893489e+19), "3.6893488999999996e+19");
  EXPECT_EQ(f4(1.2739586e+08f), "1.27395856e+08");
  EXPECT_EQ(f4(100000), "100000");
  EXPECT_EQ(f4(1000000), "1e+06");
  EXPECT_EQ(f4(0.0001f), "0.0001");

  // "char": a high byte as \ooo, NUL as nothing; the decoders agree.
  EXPECT_EQ(to_text(oid::kChar, Format::kBinary, as_bytes(bytes({0xff}))), "\\377");
  EXPECT_EQ(to_text(oid::kChar, Format::kBinary, as_bytes(bytes({0}))), "");
  EXPECT_EQ(to_text(oid::kChar, Format::kBinary, as_bytes(bytes({'a'}))), "a");
  EXPECT_EQ(bin<std::string>(oid::kChar, bytes({0})), "");
  EXPECT_EQ(txt<std::string>(oid::kChar, "\\377"), "\xff");
  EXPECT_EQ(bin<std::string>(oid::kChar, bytes({0xff})), "\xff");

  // The largest timestamp (past what the C++ time point holds) renders; the typed read says why
  // it cannot hold it.
  const std::string max_ts = enc(std::int64_t{9'223'371'331'199'999'999});
  EXPECT_EQ(to_text(oid::kTimestamp, Format::kBinary, as_bytes(max_ts)),
            "294276-12-31 23:59:59.999999");
  EXPECT_THROW(bin<Timestamp>(oid::kTimestamp, max_ts), TypeError);
  // fuzz_pg_types: a count outside PostgreSQL's range (here near INT64_MIN) is a TypeError,
  // not an overflow.
  EXPECT_THROW(
      to_text(oid::kTimestamptz, Format::kBinary, as_bytes(bytes({0x80, 0, 0, 0, 0, 0, 0xff, 0}))),
      TypeError);
  EXPECT_THROW(to_text(oid::kTimestamp, Format::kBinary,
                       as_bytes(enc(std::int64_t{9'223'371'331'200'000'000}))),
               TypeError);

  // IntervalStyle, DateStyle and TimeZone as the session reports them.
  TextSettings s;
  s.set_interval_style("postgres");
  const auto iv = [&](Interval v) {
    return to_text(oid::kInterval, Format::kBinary, as_bytes(enc(v)), s);
  };
  EXPECT_EQ(iv({0, 0, 3'600'000'000}), "01:00:00");
  EXPECT_EQ(iv({14, -3, -14'106'500'000}), "1 year 2 mons -3 days -03:55:06.5");
  s.set_interval_style("sql_standard");
  EXPECT_EQ(iv({0, 1, -3'000'000}), "+0-0 +1 -0:00:03");
  EXPECT_EQ(iv({-14, 0, 0}), "-1-2");
  s.set_interval_style("postgres_verbose");
  EXPECT_EQ(iv({0, -1, -500'000}), "@ 1 day 0.5 secs ago");
  s.set_interval_style("iso_8601");
  EXPECT_EQ(iv({0, 0, -500'000}), "PT-0.5S");

  s.set_date_style("Postgres, MDY");
  EXPECT_EQ(to_text(oid::kDate, Format::kBinary, as_bytes(enc(Date{days{-2'440'588}})), s),
            "11-24-4714 BC");
  const std::string ts =
      enc(Timestamptz{sys_days{year{2001} / 12 / 26} + hours{20} + minutes{5} + seconds{6}});
  EXPECT_EQ(to_text(oid::kTimestamptz, Format::kBinary, as_bytes(ts), s),
            "Wed Dec 26 20:05:06 2001 UTC");
  ASSERT_TRUE(absl::LoadTimeZone("America/New_York", &s.time_zone));
  s.set_date_style("ISO");
  EXPECT_EQ(to_text(oid::kTimestamptz, Format::kBinary, as_bytes(ts), s), "2001-12-26 15:05:06-05");
  s.set_date_style("SQL, DMY");
  EXPECT_EQ(to_text(oid::kTimestamptz, Format::kBinary, as_bytes(ts), s),
            "26/12/2001 15:05:06 EST");
  s.set_date_style("German");
  EXPECT_EQ(to_text(oid::kTimestamp, Format::kBinary, as_bytes(ts), s), "26.12.2001 20:05:06");
}

// ---- the type table (protocol/src/pg/type_table.hpp) ----

// The lookups derived from the table give what the hand-kept switches they replaced gave:
// every array type's element (pg_type.dat's array_type_oid, read backwards), names in errors.
TEST(PgTypes, TypeTableLookups) {
  const std::pair<Oid, Oid> arrays[] = {
      {oid::kBoolArray, oid::kBool},           {oid::kByteaArray, oid::kBytea},
      {oid::kCharArray, oid::kChar},           {oid::kNameArray, oid::kName},
      {oid::kInt2Array, oid::kInt2},           {oid::kInt4Array, oid::kInt4},
      {oid::kTextArray, oid::kText},           {oid::kOidArray, oid::kOid},
      {oid::kBpcharArray, oid::kBpchar},       {oid::kVarcharArray, oid::kVarchar},
      {oid::kInt8Array, oid::kInt8},           {oid::kFloat4Array, oid::kFloat4},
      {oid::kFloat8Array, oid::kFloat8},       {oid::kJsonArray, oid::kJson},
      {oid::kDateArray, oid::kDate},           {oid::kTimeArray, oid::kTime},
      {oid::kTimestampArray, oid::kTimestamp}, {oid::kTimestamptzArray, oid::kTimestamptz},
      {oid::kIntervalArray, oid::kInterval},   {oid::kNumericArray, oid::kNumeric},
      {oid::kUuidArray, oid::kUuid},           {oid::kJsonbArray, oid::kJsonb},
  };
  for (const auto& [array, element] : arrays) {
    EXPECT_EQ(detail::array_element_oid(array), element) << array;
    EXPECT_EQ(detail::array_element_oid(element), std::nullopt) << element;
  }
  EXPECT_EQ(detail::array_element_oid(oid::kUnknown), std::nullopt);
  EXPECT_EQ(detail::array_element_oid(3904), std::nullopt);           // int4range: not mapped
  EXPECT_EQ(detail::array_element_oid(4'000'000'000), std::nullopt);  // past the table

  EXPECT_EQ(detail::oid_name(oid::kUnknown), "unknown");
  EXPECT_EQ(detail::oid_name(oid::kTimestamptz), "timestamptz");
  EXPECT_EQ(detail::oid_name(oid::kInt4Array), "int4[]");
  EXPECT_EQ(detail::oid_name(oid::kJsonbArray), "jsonb[]");
  EXPECT_EQ(detail::oid_name(3904), "oid 3904");

  // Character types and unknown read as std::string; json(b) too, as before.
  for (const Oid t : {oid::kText, oid::kVarchar, oid::kBpchar, oid::kName, oid::kChar,
                      oid::kUnknown, oid::kJson, oid::kJsonb}) {
    EXPECT_TRUE(Type<std::string>::accepts(t)) << t;
  }
  EXPECT_FALSE(Type<std::string>::accepts(oid::kTextArray));
  EXPECT_FALSE(Type<std::string>::accepts(oid::kInt4));
  EXPECT_FALSE(Type<std::string>::accepts(3904));

  // to_text renders by the table's kind: bytea and types tern does not decode as hex.
  EXPECT_EQ(to_text(oid::kBytea, Format::kBinary, as_bytes(bytes({1, 0xab}))), "\\x01ab");
  EXPECT_EQ(to_text(3904, Format::kBinary, as_bytes(bytes({1}))), "\\x01");
  EXPECT_EQ(to_text(oid::kUnknown, Format::kBinary, as_bytes(bytes({1}))), "\\x01");
  EXPECT_EQ(to_text(oid::kVarchar, Format::kBinary, as_bytes(std::string("ab"))), "ab");
  EXPECT_EQ(to_text(oid::kInt4Array, Format::kText, as_bytes(std::string("{1,2}"))), "{1,2}");
}

// Enum labels: the server's enum_send and enum_out both give the label's bytes; a parameter is
// text of unknown type (recorded Bind bytes: OID 0, format 0, length, label).
TEST(PgTypes, EnumLabels) {
  constexpr Oid kEnumOid = 16391;  // an OID the server gave a CREATE TYPE
  EXPECT_EQ(bin<EnumLabel>(kEnumOid, "green").label, "green");
  EXPECT_EQ(txt<EnumLabel>(kEnumOid, "in progress").label, "in progress");
  EXPECT_EQ(decoded<EnumLabel>(oid::kText, Format::kText, "red").label, "red");
  EXPECT_EQ(bin<EnumLabel>(kEnumOid, "").label, "");
  EXPECT_TRUE(Type<EnumLabel>::accepts(oid::kFirstNormalObjectId));
  EXPECT_TRUE(Type<EnumLabel>::accepts(oid::kVarchar));
  EXPECT_FALSE(Type<EnumLabel>::accepts(oid::kInt4));
  EXPECT_THROW(decoded<EnumLabel>(oid::kInt4, Format::kBinary, bytes({0, 0, 0, 1})), TypeError);
  Params p;
  p.add(EnumLabel{"blue"});
  EXPECT_EQ(std::vector<Oid>(p.types().begin(), p.types().end()), std::vector<Oid>{oid::kUnknown});
  EXPECT_EQ(p.formats()[0], Format::kText);
  EXPECT_EQ(p.values(), bytes({0, 0, 0, 4}) + "blue");
}

}  // namespace
}  // namespace tern::pg
