// Unit tests of the PostgreSQL frontend encoders: the exact bytes of every message, hand-assembled
// from https://www.postgresql.org/docs/15/protocol-message-formats.html
#include "tern/protocol/pg/frontend.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/backend.hpp"

namespace tern::pg::frontend {
namespace {

using namespace std::string_literals;

// "51 0000000d" -> bytes (spaces ignored).
std::string hex(std::string_view h) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  std::string out;
  int pending = -1;
  for (char c : h) {
    if (c == ' ') continue;
    if (pending < 0) {
      pending = digit(c);
    } else {
      out.push_back(static_cast<char>(pending * 16 + digit(c)));
      pending = -1;
    }
  }
  EXPECT_EQ(pending, -1) << "odd number of hex digits";
  return out;
}

// Printable diff of two byte strings.
std::string dump(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
    out.push_back(' ');
  }
  return out;
}
#define EXPECT_BYTES(actual, expected) EXPECT_EQ(dump(actual), dump(expected))

TEST(PgFrontend, Startup) {
  std::string out;
  const std::pair<std::string_view, std::string_view> params[] = {{"user", "bob"},
                                                                  {"database", "db"}};
  startup(out, params);
  EXPECT_BYTES(out, hex("0000001e 00030000") + "user\0bob\0database\0db\0\0"s);
}

TEST(PgFrontend, StartupWithoutParameters) {
  std::string out;
  startup(out, {});
  EXPECT_BYTES(out, hex("00000009 00030000 00"));
  EXPECT_EQ(kProtocolVersion, 196608);
}

TEST(PgFrontend, SslRequest) {
  std::string out;
  ssl_request(out);
  EXPECT_BYTES(out, hex("00000008 04d2162f"));
}

TEST(PgFrontend, CancelRequest) {
  std::string out;
  cancel_request(out, 12345, static_cast<std::int32_t>(0xdeadbeefu));
  EXPECT_BYTES(out, hex("00000010 04d2162e 00003039 deadbeef"));
}

TEST(PgFrontend, Password) {
  std::string out;
  password(out, "secret");
  EXPECT_BYTES(out, hex("70 0000000b") + "secret\0"s);
  out.clear();
  password(out, "md5" + std::string(32, 'a'));
  EXPECT_BYTES(out, hex("70 00000028") + "md5" + std::string(32, 'a') + "\0"s);
}

TEST(PgFrontend, SaslInitialResponse) {
  std::string out;
  sasl_initial_response(out, "SCRAM-SHA-256", "n,,n=,r=abc");
  EXPECT_BYTES(out, hex("70 00000021") + "SCRAM-SHA-256\0"s + hex("0000000b") + "n,,n=,r=abc");
}

TEST(PgFrontend, SaslResponse) {
  std::string out;
  sasl_response(out, "c=biws,r=abc,p=xyz");
  EXPECT_BYTES(out, hex("70 00000016") + "c=biws,r=abc,p=xyz");
}

TEST(PgFrontend, Query) {
  std::string out;
  query(out, "SELECT 1");
  EXPECT_BYTES(out, hex("51 0000000d") + "SELECT 1\0"s);
  out.clear();
  query(out, "");
  EXPECT_BYTES(out, hex("51 00000005 00"));
}

TEST(PgFrontend, QueryLongerThan64KiB) {
  std::string out;
  const std::string sql(100000, 'x');
  query(out, sql);
  ASSERT_EQ(out.size(), 1u + 4u + 100001u);
  EXPECT_BYTES(out.substr(0, 5), hex("51 000186a5"));
  EXPECT_EQ(out.back(), '\0');
}

TEST(PgFrontend, Parse) {
  std::string out;
  const Oid types[] = {oid::kInt4};
  parse(out, "s1", "SELECT $1", types);
  EXPECT_BYTES(out, hex("50 00000017") + "s1\0"s + "SELECT $1\0"s + hex("0001 00000017"));
}

TEST(PgFrontend, ParseUnnamedWithoutTypes) {
  std::string out;
  parse(out, "", "SELECT 1", {});
  EXPECT_BYTES(out, hex("50 00000010 00") + "SELECT 1\0"s + hex("0000"));
}

TEST(PgFrontend, ParseLargeOid) {
  std::string out;
  const Oid types[] = {0, 0xfffffff0u};
  parse(out, "", "", types);
  EXPECT_BYTES(out, hex("50 00000010 00 00 0002 00000000 fffffff0"));
}

TEST(PgFrontend, ParseMaxParameterCount) {
  // The count is an Int16 on the wire but the server reads it unsigned: 65535 is the limit.
  std::string out;
  const std::vector<Oid> types(65535, oid::kInt4);
  parse(out, "", "", types);
  ASSERT_EQ(out.size(), 1u + 4u + 1u + 1u + 2u + 65535u * 4u);
  EXPECT_BYTES(out.substr(7, 2), hex("ffff"));
}

// Regression: more than 65535 parameters wrapped the int16 count silently (65536 -> 0).
TEST(PgFrontend, TooManyParametersAreRejected) {
  std::string out;
  const std::vector<Oid> types(65536, oid::kInt4);
  EXPECT_THROW(parse(out, "", "", types), InterfaceError);
  const std::string values(65536 * 4, '\xff');  // 65536 NULLs
  EXPECT_THROW(frontend::bind(out, "", "", {}, 65536, values, {}), InterfaceError);
  EXPECT_TRUE(out.empty()) << "nothing half-written";
}

TEST(PgFrontend, BindBinary) {
  std::string out;
  const Format formats[] = {Format::kBinary};
  const std::string values = hex("00000004 0000002a");  // int4 42
  frontend::bind(out, "", "s1", formats, 1, values, formats);
  EXPECT_BYTES(out,
               hex("42 0000001a 00") + "s1\0"s + hex("0001 0001 0001 00000004 0000002a 0001 0001"));
}

TEST(PgFrontend, BindTextWithNull) {
  std::string out;
  const std::string values = hex("00000001") + "7" + hex("ffffffff");
  frontend::bind(out, "p1", "", {}, 2, values, {});
  EXPECT_BYTES(out, hex("42 00000017") + "p1\0"s + hex("00 0000 0002 00000001 37 ffffffff 0000"));
}

TEST(PgFrontend, BindPerColumnFormats) {
  std::string out;
  const Format params[] = {Format::kText, Format::kBinary};
  const Format results[] = {Format::kBinary, Format::kText, Format::kBinary};
  const std::string values = hex("00000001 31 00000002 0001");
  frontend::bind(out, "", "", params, 2, values, results);
  EXPECT_BYTES(out, hex("42 00000021 00 00 0002 0000 0001 0002 00000001 31 00000002 0001"
                        "0003 0001 0000 0001"));
}

TEST(PgFrontend, Describe) {
  std::string out;
  describe(out, 'S', "s1");
  EXPECT_BYTES(out, hex("44 00000008 53") + "s1\0"s);
  out.clear();
  describe(out, 'P', "");
  EXPECT_BYTES(out, hex("44 00000006 50 00"));
}

TEST(PgFrontend, Execute) {
  std::string out;
  execute(out, "");
  EXPECT_BYTES(out, hex("45 00000009 00 00000000"));
  out.clear();
  execute(out, "p1", 100);
  EXPECT_BYTES(out, hex("45 0000000b") + "p1\0"s + hex("00000064"));
}

TEST(PgFrontend, Close) {
  std::string out;
  close(out, 'S', "s1");
  EXPECT_BYTES(out, hex("43 00000008 53") + "s1\0"s);
  out.clear();
  close(out, 'P', "");
  EXPECT_BYTES(out, hex("43 00000006 50 00"));
}

TEST(PgFrontend, EmptyMessages) {
  std::string out;
  sync(out);
  EXPECT_BYTES(out, hex("53 00000004"));
  out.clear();
  flush(out);
  EXPECT_BYTES(out, hex("48 00000004"));
  out.clear();
  terminate(out);
  EXPECT_BYTES(out, hex("58 00000004"));
}

TEST(PgFrontend, Copy) {
  std::string out;
  copy_data(out, "1\tfoo\n");
  EXPECT_BYTES(out, hex("64 0000000a 31 09 66 6f 6f 0a"));
  out.clear();
  copy_data(out, "");
  EXPECT_BYTES(out, hex("64 00000004"));
  out.clear();
  copy_done(out);
  EXPECT_BYTES(out, hex("63 00000004"));
  out.clear();
  copy_fail(out, "oops");
  EXPECT_BYTES(out, hex("66 00000009") + "oops\0"s);
}

TEST(PgFrontend, AppendsWithoutClearing) {
  std::string out = "xyz";
  sync(out);
  query(out, "");
  describe(out, 'S', "");
  EXPECT_BYTES(out, "xyz" + hex("53 00000004 51 00000005 00 44 00000006 53 00"));
}

TEST(PgFrontend, PipelineFramesLikeBackendMessages) {
  // (frontend::bind, qualified: std::bind is found by ADL on std::string and wins.)
  // The frontend uses the same framing as the backend: check a whole extended-query batch with
  // the backend framer.
  std::string out;
  const Oid types[] = {oid::kInt8};
  parse(out, "s7", "SELECT $1::int8", types);
  const Format binary[] = {Format::kBinary};
  frontend::bind(out, "", "s7", binary, 1, hex("00000008 0000000000000001"), binary);
  describe(out, 'P', "");
  execute(out, "", 0);
  sync(out);
  std::vector<char> types_seen;
  Bytes rest = protocol::as_bytes(out);
  std::size_t consumed = 0;
  while (auto m = backend::frame(rest, consumed)) {
    types_seen.push_back(m->type);
    rest = rest.subspan(consumed);
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(types_seen, (std::vector<char>{'P', 'B', 'D', 'E', 'S'}));
}

}  // namespace
}  // namespace tern::pg::frontend
