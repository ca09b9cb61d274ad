// Unit tests of the hstore codec (protocol/src/pg/types_hstore.cpp) on bytes recorded from
// PostgreSQL 15's hstore 1.8: hstore_send output, hstore_out text, and hstore_in's looser input.
#include "tern/protocol/pg/hstore.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tern/protocol/pg/params.hpp"

namespace tern::pg {
namespace {

using protocol::as_bytes;

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// SELECT encode(hstore_send('a=>1, b=>NULL, "k\"q"=>"v\\x", ""=>""'::hstore), 'hex');
// The server sorts keys by length, then bytes: "", a, b, k"q.
const std::string kRecorded = unhex(
    "00000004"
    "00000000"
    "00000000"
    "00000001"
    "61"
    "00000001"
    "31"
    "00000001"
    "62"
    "ffffffff"
    "00000003"
    "6b2271"
    "00000003"
    "765c78");
// SELECT 'a=>1, b=>NULL, "k\"q"=>"v\\x", ""=>""'::hstore;
constexpr std::string_view kRecordedText = R"(""=>"", "a"=>"1", "b"=>NULL, "k\"q"=>"v\\x")";

const Hstore kExpected = {{"", ""}, {"a", "1"}, {"b", std::nullopt}, {"k\"q", "v\\x"}};

TEST(Hstore, DecodesRecordedBinary) {
  EXPECT_EQ(hstore::decode_binary(as_bytes(kRecorded)), kExpected);
  // Through the codec table: an extension OID in binary.
  EXPECT_EQ(decode_value<Hstore>(16392, Format::kBinary, as_bytes(kRecorded)), kExpected);
}

TEST(Hstore, EncodesWhatTheServerReads) {
  // The same pairs; std::map orders keys by bytes, which hstore_recv accepts in any order.
  std::string out;
  ByteWriter w(out);
  hstore::encode_binary({{"a", "1"}, {"b", std::nullopt}}, w);
  EXPECT_EQ(out, unhex("00000002"
                       "0000000161"
                       "0000000131"
                       "0000000162"
                       "ffffffff"));
  std::string all;
  ByteWriter wa(all);
  hstore::encode_binary(kExpected, wa);
  EXPECT_EQ(hstore::decode_binary(as_bytes(all)), kExpected);
}

TEST(Hstore, EmptyIsACountOfZero) {
  std::string out;
  ByteWriter w(out);
  hstore::encode_binary({}, w);
  EXPECT_EQ(out, unhex("00000000"));  // hstore_send(''::hstore)
  EXPECT_TRUE(hstore::decode_binary(as_bytes(out)).empty());
  EXPECT_TRUE(hstore::parse_text("").empty());
  EXPECT_TRUE(hstore::parse_text("   ").empty());
  EXPECT_EQ(hstore::to_text({}), "");
}

TEST(Hstore, ParsesRecordedText) {
  EXPECT_EQ(hstore::parse_text(kRecordedText), kExpected);
  EXPECT_EQ(decode_value<Hstore>(16392, Format::kText, as_bytes(kRecordedText)), kExpected);
  // A text column holding the text form (hstore::text) reads in either format.
  EXPECT_EQ(decode_value<Hstore>(oid::kText, Format::kBinary, as_bytes(kRecordedText)), kExpected);
}

TEST(Hstore, WritesTheServersTextForm) {
  EXPECT_EQ(hstore::to_text(kExpected), kRecordedText);
  EXPECT_EQ(hstore::parse_text(hstore::to_text(kExpected)), kExpected);
}

TEST(Hstore, ReadsHstoreInsLooserInput) {
  // Bare words, spaces around =>, NULL in any case unquoted, a quoted "NULL" is text.
  const Hstore h = hstore::parse_text(R"( a => 1 ,b=>null,  "c"=>"NULL", d\ e=>x\,y , f=>NuLl)");
  const Hstore expected = {
      {"a", "1"}, {"b", std::nullopt}, {"c", "NULL"}, {"d e", "x,y"}, {"f", std::nullopt}};
  EXPECT_EQ(h, expected);
  // UTF-8 passes through.
  EXPECT_EQ(hstore::parse_text(R"("é"=>"ü")"), (Hstore{{"é", "ü"}}));
}

TEST(Hstore, RepeatedKeysKeepTheFirstAsTheServer) {
  // SELECT 'a=>1, a=>2'::hstore;  →  "a"=>"1"
  EXPECT_EQ(hstore::parse_text("a=>1, a=>2"), (Hstore{{"a", "1"}}));
  EXPECT_EQ(hstore::decode_binary(as_bytes(unhex("00000002"
                                                 "000000016100000001"
                                                 "31"
                                                 "000000016100000001"
                                                 "32"))),
            (Hstore{{"a", "1"}}));
}

TEST(Hstore, RejectsMalformedText) {
  for (std::string_view bad :
       {"a", "a=>", "a=1", "\"a=>1", "a=>\"1", "a=>1 b=>2", "=>1", "a=b=>1"}) {
    EXPECT_THROW(hstore::parse_text(bad), TypeError) << bad;
  }
  // What the server reads from odd input: a trailing comma, a comma starting a bare key.
  EXPECT_EQ(hstore::parse_text("a=>1,"), (Hstore{{"a", "1"}}));
  EXPECT_EQ(hstore::parse_text("a=>1,,b=>2"), (Hstore{{"a", "1"}, {",b", "2"}}));
  EXPECT_EQ(hstore::parse_text("a>b=>c=d"), (Hstore{{"a>b", "c=d"}}));
}

TEST(Hstore, RejectsMalformedBinary) {
  for (const std::string& bad : {
           unhex("000000"),                        // short count
           unhex("00000001"),                      // a pair missing
           unhex("ffffffff"),                      // negative count
           unhex("7fffffff00000000"),              // a count far beyond the data
           unhex("00000001ffffffff00000000"),      // NULL key
           unhex("000000010000000161fffffffe"),    // value length -2
           unhex("0000000100000001610000000531"),  // value past the end
           unhex("0000000000"),                    // trailing byte
       }) {
    EXPECT_THROW(hstore::decode_binary(as_bytes(bad)), TypeError);
  }
}

TEST(Hstore, AcceptsExtensionAndTextTypesOnly) {
  EXPECT_TRUE(Type<Hstore>::accepts(16392));
  EXPECT_TRUE(Type<Hstore>::accepts(oid::kText));
  EXPECT_FALSE(Type<Hstore>::accepts(oid::kInt4));
  EXPECT_FALSE(Type<Hstore>::accepts(oid::kJsonb));
  EXPECT_THROW(decode_value<Hstore>(oid::kInt4, Format::kBinary, as_bytes(kRecorded)), TypeError);
  EXPECT_THROW(decode_value<Hstore>(16392, Format::kBinary, std::nullopt), TypeError);
  EXPECT_EQ(decode_value<std::optional<Hstore>>(16392, Format::kBinary, std::nullopt),
            std::nullopt);
}

TEST(Hstore, ParamsCarryTheRunTimeOid) {
  Params p;
  p.add(Hstore{{"a", "1"}}, 16392);
  p.add(std::optional<Hstore>{}, 16392);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p.types()[0], 16392u);
  EXPECT_EQ(p.types()[1], 16392u);
  EXPECT_EQ(p.formats()[0], Format::kBinary);
  EXPECT_EQ(p.values(), unhex("0000000e"  // 14 bytes
                              "00000001"
                              "0000000161"
                              "0000000131"
                              "ffffffff"));  // NULL
}

}  // namespace
}  // namespace tern::pg
