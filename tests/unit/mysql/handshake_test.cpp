// Unit tests of the MySQL/MariaDB connection phase messages on hand-assembled packets
// (https://mariadb.com/kb/en/connection/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html).
#include "tern/protocol/mysql/handshake.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using namespace std::string_literals;
using protocol::as_chars;
using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::to_hex;

// What a Debian 12 MariaDB 10.11 server sends (scramble replaced by readable letters).
std::string mariadb_handshake() {
  return hex("0a") + "5.5.5-10.11.6-MariaDB-0+deb12u1"s + hex("00") +
         hex("1f 00 00 00") +          // connection id 31
         "abcdefgh" + hex("00") +      // scramble part 1, filler
         hex("fe f7") +                // capabilities (low): no CLIENT_MYSQL, no SSL
         hex("2d") +                   // utf8mb4_general_ci
         hex("02 00") +                // SERVER_STATUS_AUTOCOMMIT
         hex("ff 81") +                // capabilities (high)
         hex("15") +                   // auth plugin data length 21
         hex("00 00 00 00 00 00") +    // filler
         hex("1d 00 00 00") +          // MariaDB extended capabilities
         "ijklmnopqrst" + hex("00") +  // scramble part 2 + NUL
         "mysql_native_password"s + hex("00");
}

// What a MySQL 8.0 server sends.
std::string mysql8_handshake() {
  return hex("0a") + "8.0.36"s + hex("00") + hex("08 00 00 00") + "ABCDEFGH" + hex("00") +
         hex("ff ff ff 02 00 ff df 15 00 00 00 00 00 00 00 00 00 00") + "IJKLMNOPQRST" + hex("00") +
         "caching_sha2_password"s + hex("00");
}

TEST(MysqlHandshake, ParsesMariadb1011) {
  const std::string p = mariadb_handshake();
  const InitialHandshake h = parse_initial_handshake(B(p));
  EXPECT_EQ(h.protocol_version, 10);
  EXPECT_EQ(h.server_version, "5.5.5-10.11.6-MariaDB-0+deb12u1");
  EXPECT_EQ(h.version(), "10.11.6-MariaDB-0+deb12u1");
  EXPECT_TRUE(h.is_mariadb());
  EXPECT_EQ(h.connection_id, 31u);
  EXPECT_EQ(h.auth_plugin_data, "abcdefghijklmnopqrst");
  EXPECT_EQ(h.capabilities, 0x0000001d'81fff7feull);
  EXPECT_TRUE(h.capabilities & cap::kMariadbStmtBulkOperations);
  EXPECT_FALSE(h.capabilities & cap::kSsl);
  EXPECT_EQ(h.charset, 45);
  EXPECT_EQ(h.status_flags, status::kAutocommit);
  EXPECT_EQ(h.auth_plugin, plugin::kNativePassword);
}

TEST(MysqlHandshake, ParsesMysql8) {
  const std::string p = mysql8_handshake();
  const InitialHandshake h = parse_initial_handshake(B(p));
  EXPECT_EQ(h.server_version, "8.0.36");
  EXPECT_EQ(h.version(), "8.0.36");
  EXPECT_FALSE(h.is_mariadb());
  EXPECT_EQ(h.auth_plugin_data, "ABCDEFGHIJKLMNOPQRST");
  EXPECT_EQ(h.capabilities, 0xdfffffffull);
  EXPECT_EQ(h.charset, 0xff);
  EXPECT_EQ(h.auth_plugin, plugin::kCachingSha2Password);
}

TEST(MysqlHandshake, PluginNameWithoutNul) {
  std::string p = mysql8_handshake();
  p.pop_back();  // MySQL bug #59453: the name ends with the packet
  EXPECT_EQ(parse_initial_handshake(B(p)).auth_plugin, plugin::kCachingSha2Password);
}

TEST(MysqlHandshake, EveryTruncationIsAProtocolError) {
  const std::string p = mariadb_handshake();
  // Cut inside the fixed part (the plugin name may legitimately end with the packet).
  const std::size_t fixed_end = p.size() - plugin::kNativePassword.size() - 1;
  for (std::size_t cut = 0; cut < fixed_end; ++cut) {
    const std::string head = p.substr(0, cut);
    // A cut right after the capabilities (low) is a valid pre-4.1 handshake.
    if (cut == 1 + 32 + 4 + 9 + 2) continue;
    EXPECT_THROW(parse_initial_handshake(B(head)), ProtocolError) << "cut at " << cut;
  }
}

TEST(MysqlHandshake, RejectsErrAndOtherVersions) {
  const std::string err = hex("ff 10 04") + "Too many connections";
  try {
    parse_initial_handshake(B(err));
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kUnexpectedMessage);
  }
  const std::string v9 = hex("09") + "3.23"s + hex("00");
  try {
    parse_initial_handshake(B(v9));
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kUnsupported);
  }
}

TEST(MysqlHandshake, ChooseCapabilities) {
  const std::uint64_t server = 0x0000001d'81fff7feull;
  CapabilityOptions o;
  o.with_database = true;
  const std::uint64_t c = choose_capabilities(server, o);
  EXPECT_EQ(c, 0x013ea20cull);
  EXPECT_FALSE(c & cap::kMultiStatements);
  EXPECT_FALSE(c & cap::kLocalFiles);
  EXPECT_FALSE(c & cap::kSsl);
  o.tls = true;
  o.multi_statements = true;
  o.local_files = true;
  const std::uint64_t c2 = choose_capabilities(server | cap::kSsl, o);
  EXPECT_TRUE(c2 & cap::kSsl);
  EXPECT_TRUE(c2 & cap::kMultiStatements);
  EXPECT_TRUE(c2 & cap::kLocalFiles);
  // MySQL keeps CLIENT_LONG_PASSWORD.
  EXPECT_TRUE(choose_capabilities(0xdfffffffull, {}) & cap::kLongPassword);
  EXPECT_THROW(choose_capabilities(cap::kSecureConnection, {}), ClientError);
}

TEST(MysqlHandshake, HandshakeResponseExactBytes) {
  const std::pair<std::string_view, std::string_view> attrs[] = {{"_client_name", "tern"}};
  HandshakeResponse r;
  r.capabilities = 0x013ea20c;
  r.user = "root";
  const std::string auth = hex("01 02 03");
  r.auth_response = auth;
  r.database = "test";
  r.auth_plugin = plugin::kNativePassword;
  r.attributes = attrs;
  std::string out;
  EXPECT_EQ(write_handshake_response(out, 1, r), 2);
  const std::string payload = hex("0c a2 3e 01  00 00 00 01  2d") + std::string(23, '\0') +
                              "root"s + hex("00") + hex("03 01 02 03") + "test"s + hex("00") +
                              "mysql_native_password"s + hex("00") + hex("12 0c") + "_client_name" +
                              hex("04") + "tern";
  EXPECT_EQ(to_hex(out), to_hex(testing::packet(1, payload)));
}

TEST(MysqlHandshake, HandshakeResponseOlderEncodings) {
  HandshakeResponse r;
  r.capabilities = cap::kProtocol41 | cap::kSecureConnection;
  r.user = "u";
  r.auth_response = "xy";
  r.database = "ignored";
  r.auth_plugin = "ignored";
  std::string out;
  write_handshake_response(out, 1, r);
  EXPECT_EQ(to_hex(out.substr(4 + 32)), to_hex("u\0\x02xy"s));
  // A 256-byte auth response cannot be sent with a 1-byte length; nothing is appended.
  const std::string big(256, 'a');
  r.auth_response = big;
  std::string out2 = "keep";
  EXPECT_THROW(write_handshake_response(out2, 1, r), ClientError);
  EXPECT_EQ(out2, "keep");
}

TEST(MysqlHandshake, MariadbExtendedCapabilitiesInReservedBytes) {
  HandshakeResponse r;
  r.capabilities = cap::kProtocol41 | cap::kSecureConnection | cap::kMariadbProgress;
  std::string out;
  write_handshake_response(out, 1, r);
  EXPECT_EQ(to_hex(out.substr(4 + 28, 4)), "01000000");
  // With CLIENT_MYSQL (a MySQL server) the reserved bytes stay zero.
  r.capabilities |= cap::kLongPassword;
  out.clear();
  write_handshake_response(out, 1, r);
  EXPECT_EQ(to_hex(out.substr(4 + 28, 4)), "00000000");
}

TEST(MysqlHandshake, SslRequestIs32Bytes) {
  std::string out;
  EXPECT_EQ(write_ssl_request(out, 1, cap::kProtocol41 | cap::kSecureConnection), 2);
  EXPECT_EQ(to_hex(out), "20000001008a0000000000012d" + std::string(46, '0'));
}

TEST(MysqlHandshake, AuthSwitchRequest) {
  const std::string p =
      hex("fe") + "caching_sha2_password"s + hex("00") + "0123456789abcdefghij"s + hex("00");
  const AuthSwitchRequest a = parse_auth_switch_request(B(p));
  EXPECT_EQ(a.plugin, plugin::kCachingSha2Password);
  EXPECT_EQ(a.data.size(), 21u);
  EXPECT_EQ(as_chars(a.scramble()), "0123456789abcdefghij");
  // MariaDB's ed25519 switch: 32 bytes of scramble, no trailing NUL.
  const std::string ed = hex("fe") + "client_ed25519"s + hex("00") + std::string(32, 'x');
  EXPECT_EQ(parse_auth_switch_request(B(ed)).scramble().size(), 32u);
  // A nonce whose last random byte is zero keeps it (once in 256 connections).
  const std::string ed0 =
      hex("fe") + "client_ed25519"s + hex("00") + std::string(31, 'x') + hex("00");
  EXPECT_EQ(parse_auth_switch_request(B(ed0)).scramble().size(), 32u);
  const std::string old = hex("fe");
  try {
    parse_auth_switch_request(B(old));
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kUnsupported);
  }
  const std::string no_nul = hex("fe") + "plugin"s;
  EXPECT_THROW(parse_auth_switch_request(B(no_nul)), ProtocolError);
}

TEST(MysqlHandshake, AuthMoreData) {
  const std::string p = hex("01 04");
  const Bytes d = parse_auth_more_data(B(p));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(std::to_integer<int>(d[0]), 4);
  const std::string bad = hex("02 04");
  EXPECT_THROW(parse_auth_more_data(B(bad)), ProtocolError);
  std::string out;
  EXPECT_EQ(write_auth_data(out, 3, std::string_view("\x02", 1)), 4);
  EXPECT_EQ(out, hex("01 00 00 03 02"));
}

}  // namespace
}  // namespace tern::mysql
