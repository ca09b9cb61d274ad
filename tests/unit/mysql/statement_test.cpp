// Unit tests of prepared statement messages: COM_STMT_PREPARE_OK and COM_STMT_EXECUTE
// (https://mariadb.com/kb/en/com_stmt_execute/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html).
#include "tern/protocol/mysql/statement.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using namespace std::string_literals;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::to_hex;

TEST(MysqlStatement, PrepareOk) {
  const std::string p = hex("00 01000000 0200 0300 00 0100");
  const PrepareOk ok = parse_prepare_ok(B(p));
  EXPECT_EQ(ok.statement_id, 1u);
  EXPECT_EQ(ok.num_columns, 2);
  EXPECT_EQ(ok.num_params, 3);
  EXPECT_EQ(ok.warnings, 1);
  const std::string no_warnings = hex("00 05000000 0000 0000 00");
  EXPECT_EQ(parse_prepare_ok(B(no_warnings)).statement_id, 5u);
  for (const char* h : {"00 01000000 0200 0300", "ff 01000000 0200 0300 00 0000",
                        "00 01000000 0200 0300 00 0000 00 00"}) {
    const std::string bad = hex(h);
    EXPECT_THROW(parse_prepare_ok(B(bad)), ProtocolError) << h;
  }
}

TEST(MysqlStatement, ExecuteExactBytes) {
  StmtParams params;
  params.add(std::int64_t{42});
  params.add("abc");
  params.add(std::optional<std::int32_t>{});
  params.add(std::uint8_t{200});
  EXPECT_EQ(params.size(), 4u);
  std::string out;
  EXPECT_EQ(write_com_stmt_execute(out, 1, 4, params), 1);
  const std::string payload = hex("17 01000000 00 01000000") + hex("04") + hex("01") +
                              hex("0800 fe00 0600 0180") + hex("2a00000000000000") + hex("03") +
                              "abc" + hex("c8");
  EXPECT_EQ(to_hex(out), to_hex(testing::packet(0, payload)));

  // Re-execution without types.
  out.clear();
  write_com_stmt_execute(out, 1, 4, params, false);
  EXPECT_EQ(to_hex(out.substr(4)), to_hex(hex("17 01000000 00 01000000 04 00 2a00000000000000") +
                                          hex("03") + "abc" + hex("c8")));
}

TEST(MysqlStatement, ExecuteAppendsAndSplitsAHugePayload) {
  StmtParams params;
  params.add(std::int32_t{7});
  std::string out = "queued";  // e.g. a COM_STMT_CLOSE ahead of it
  write_com_stmt_execute(out, 2, 1, params);
  EXPECT_EQ(to_hex(out), to_hex("queued"s + testing::packet(0, hex("17 02000000 00 01000000 00 01 "
                                                                   "0300 07000000"))));
  // 16 MiB of values: the payload goes out in a full packet and a shorter one.
  StmtParams huge;
  huge.add(std::string(kMaxPacketPayload, 'x'));
  out.clear();
  EXPECT_EQ(write_com_stmt_execute(out, 1, 1, huge), 2);
  const std::size_t payload = 10 + 1 + 1 + 2 + 4 + kMaxPacketPayload;  // lenenc: fd + 3 bytes
  ASSERT_EQ(out.size(), payload + 2 * kPacketHeaderSize);
  EXPECT_EQ(to_hex(out.substr(0, 4)), "ffffff00");
  EXPECT_EQ(to_hex(out.substr(kPacketHeaderSize + kMaxPacketPayload, 4)),
            to_hex(hex("12 00 00 01")));
}

TEST(MysqlStatement, ExecuteWithoutParamsAndNullBitmapBoundary) {
  StmtParams none;
  std::string out;
  write_com_stmt_execute(out, 9, 0, none);
  EXPECT_EQ(to_hex(out),
            "0a0000001709000000000100000"
            "0");
  StmtParams nine;
  for (int i = 0; i < 9; ++i)
    nine.add_null();
  EXPECT_EQ(to_hex(nine.null_bitmap()), "ff01");
  nine.clear();
  EXPECT_EQ(nine.size(), 0u);
  EXPECT_TRUE(nine.null_bitmap().empty());
}

TEST(MysqlStatement, ParamCountMismatch) {
  StmtParams params;
  params.add(1.5);
  std::string out = "keep";
  try {
    write_com_stmt_execute(out, 1, 2, params);
    FAIL();
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::kParamCountMismatch);
  }
  EXPECT_EQ(out, "keep");
}

TEST(MysqlStatement, UnencodableParamLeavesNoTrace) {
  StmtParams params;
  params.add(std::int16_t{1});
  EXPECT_THROW(params.add(Decimal{"1.2.3"}), TypeError);
  EXPECT_EQ(params.size(), 1u);
  EXPECT_EQ(to_hex(params.values()), "0100");
}

}  // namespace
}  // namespace tern::mysql
