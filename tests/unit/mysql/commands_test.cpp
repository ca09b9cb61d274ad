// Unit tests of the command phase encoders: exact bytes
// (https://mariadb.com/kb/en/2-text-protocol/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html).
#include "tern/protocol/mysql/commands.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tern/protocol/mysql/packet.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using testing::hex;
using testing::to_hex;

TEST(MysqlCommands, ExactBytes) {
  std::string out;
  EXPECT_EQ(write_com_query(out, "SELECT 1"), 1);
  EXPECT_EQ(out, hex("09 00 00 00 03") + "SELECT 1");
  out.clear();
  write_com_ping(out);
  EXPECT_EQ(to_hex(out), "010000000e");
  out.clear();
  write_com_quit(out);
  EXPECT_EQ(to_hex(out), "0100000001");
  out.clear();
  write_com_init_db(out, "db");
  EXPECT_EQ(to_hex(out), "03000000026462");
  out.clear();
  write_com_reset_connection(out);
  EXPECT_EQ(to_hex(out), "010000001f");
  out.clear();
  write_com_set_option(out, true);
  EXPECT_EQ(to_hex(out), "030000001b0000");
  out.clear();
  write_com_set_option(out, false);
  EXPECT_EQ(to_hex(out), "030000001b0100");
  out.clear();
  write_com_stmt_prepare(out, "DO ?");
  EXPECT_EQ(out, hex("05 00 00 00 16") + "DO ?");
  out.clear();
  write_com_stmt_close(out, 0x01020304);
  EXPECT_EQ(to_hex(out), "050000001904030201");
  out.clear();
  write_com_stmt_reset(out, 7);
  EXPECT_EQ(to_hex(out), "050000001a07000000");
}

TEST(MysqlCommands, HugeQueryIsSplit) {
  const std::string sql(kMaxPacketPayload + 5, 'x');
  std::string out;
  EXPECT_EQ(write_com_query(out, sql), 2);
  EXPECT_EQ(out.size(), sql.size() + 1 + 8);
  EXPECT_EQ(to_hex(out.substr(0, 5)), "ffffff0003");
  EXPECT_EQ(to_hex(out.substr(4 + kMaxPacketPayload, 4)), "06000001");
}

}  // namespace
}  // namespace tern::mysql
