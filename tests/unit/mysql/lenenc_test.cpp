// Unit tests of MySQL length-encoded integers and strings
// (https://mariadb.com/kb/en/protocol-data-types/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html).
#include "tern/protocol/mysql/lenenc.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::to_hex;

TEST(MysqlLenenc, EdgeValuesRoundTrip) {
  const std::pair<std::uint64_t, const char*> cases[] = {
      {0, "00"},
      {250, "fa"},
      {251, "fcfb00"},
      {0xFFFF, "fcffff"},
      {0x10000, "fd000001"},
      {0xFFFFFF, "fdffffff"},
      {0x1000000, "fe0000000100000000"},
      {std::numeric_limits<std::uint64_t>::max(), "feffffffffffffffff"},
  };
  for (const auto& [value, encoded] : cases) {
    std::string out;
    ByteWriter w(out);
    write_lenenc(w, value);
    EXPECT_EQ(to_hex(out), encoded) << value;
    EXPECT_EQ(out.size(), lenenc_size(value));
    ByteReader r(B(out));
    EXPECT_EQ(read_lenenc(r), value);
    EXPECT_TRUE(r.done());
  }
}

TEST(MysqlLenenc, NullAndInvalid) {
  const std::string null = hex("fb");
  ByteReader r(B(null));
  EXPECT_EQ(read_lenenc_nullable(r), std::nullopt);
  ByteReader r2(B(null));
  EXPECT_THROW(read_lenenc(r2), ProtocolError);
  const std::string ff = hex("ff");
  ByteReader r3(B(ff));
  try {
    read_lenenc_nullable(r3);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kBadValue);
  }
}

TEST(MysqlLenenc, TruncatedIntegers) {
  for (const char* h : {"", "fc", "fcff", "fd0000", "fe00000000000000"}) {
    const std::string s = hex(h);
    ByteReader r(B(s));
    try {
      read_lenenc(r);
      FAIL() << h;
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.code(), ProtocolErrc::kTruncated) << h;
    }
  }
}

TEST(MysqlLenenc, Strings) {
  std::string out;
  ByteWriter w(out);
  write_lenenc_string(w, "abc");
  write_lenenc_string(w, std::string(300, 'x'));
  write_cstring(w, "nul");
  out.append("tail");
  ByteReader r(B(out));
  EXPECT_EQ(read_lenenc_string(r), "abc");
  EXPECT_EQ(read_lenenc_string(r), std::string(300, 'x'));
  EXPECT_EQ(read_cstring(r), "nul");
  EXPECT_EQ(read_eof_string(r), "tail");
  EXPECT_TRUE(r.done());
}

TEST(MysqlLenenc, StringLongerThanPacketIsBadLength) {
  const std::string s = hex("05 61 62");
  ByteReader r(B(s));
  try {
    read_lenenc_bytes(r);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kBadLength);
  }
  // A huge 8-byte length must not overflow anything.
  const std::string huge = hex("fe ffffffffffffffff 00");
  ByteReader r2(B(huge));
  EXPECT_THROW(read_lenenc_bytes(r2), ProtocolError);
}

TEST(MysqlLenenc, NullableStrings) {
  const std::string s = hex("fb 02 68 69 00");
  ByteReader r(B(s));
  EXPECT_EQ(read_lenenc_nullable_bytes(r), std::nullopt);
  const auto v = read_lenenc_nullable_bytes(r);
  ASSERT_TRUE(v);
  EXPECT_EQ(protocol::as_chars(*v), "hi");
  const auto empty = read_lenenc_nullable_bytes(r);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(MysqlLenenc, CstringWithNulIsRefused) {
  std::string out;
  ByteWriter w(out);
  EXPECT_THROW(write_cstring(w, std::string_view("a\0b", 3)), ClientError);
  const std::string unterminated = "abc";
  ByteReader r(B(unterminated));
  EXPECT_THROW(read_cstring(r), ProtocolError);
}

}  // namespace
}  // namespace tern::mysql
