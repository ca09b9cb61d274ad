// Checks that tests/servers gives the integration suites what they rely on: PostgreSQL with TLS
// (certificate valid for 127.0.0.1 and localhost) and a Unix socket without it, and MariaDB
// answering over TCP and its Unix socket. Speaks just enough of each protocol to tell.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>

#include "server_env.hpp"
#include "tern/ring/ring.hpp"

namespace tern::ring {
namespace {

using tern::testing::server_env;
using tern::testing::server_port;

constexpr auto kTimeout = std::chrono::seconds(10);

// PostgreSQL's SSLRequest: length 8, code 80877103 (1234 << 16 | 5679).
constexpr std::array<std::byte, 8> kSslRequest = {std::byte{0},    std::byte{0},    std::byte{0},
                                                  std::byte{8},    std::byte{0x04}, std::byte{0xd2},
                                                  std::byte{0x16}, std::byte{0x2f}};

// Sends an SSLRequest and returns the server's one-byte answer ('S' or 'N').
Task<char> request_ssl(Socket& socket) {
  const Deadline deadline = deadline_after(kTimeout);
  co_await socket.send_all(kSslRequest, deadline);
  std::array<std::byte, 1> answer{};
  const std::size_t n = co_await socket.recv(answer, deadline);
  if (n != 1) throw std::runtime_error("no answer to SSLRequest");
  co_return static_cast<char>(answer[0]);
}

class ServersTest : public ::testing::Test {
 protected:
  Loop loop;
};

class PostgresTls : public ServersTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(PostgresTls, AcceptsSslRequestAndVerifiesFully) {
  const std::string host = GetParam();
  auto body = [&]() -> Task<std::vector<std::uint8_t>> {
    Socket socket = co_await Socket::connect_tcp(loop, host, server_port("TERN_PG_PORT"),
                                                 deadline_after(kTimeout));
    EXPECT_EQ(co_await request_ssl(socket), 'S');
    auto context = std::make_shared<const TlsContext>(
        TlsConfig{.verify = TlsVerify::kFull, .ca_file = server_env("TERN_PG_CA")});
    TlsStream tls =
        co_await TlsStream::handshake(std::move(socket), context, host, deadline_after(kTimeout));
    std::vector<std::uint8_t> binding = tls.server_end_point();
    co_await tls.close();
    co_return binding;
  };
  EXPECT_EQ(sync_wait(loop, body()).size(), 32u);  // SHA-256 of the certificate
}

INSTANTIATE_TEST_SUITE_P(ByAddressAndName, PostgresTls,
                         ::testing::Values("127.0.0.1", "localhost"));

TEST_F(ServersTest, PostgresRejectsAnUnrelatedCa) {
  auto body = [&]() -> Task<void> {
    Socket socket = co_await Socket::connect_tcp(loop, "127.0.0.1", server_port("TERN_PG_PORT"));
    EXPECT_EQ(co_await request_ssl(socket), 'S');
    auto context = std::make_shared<const TlsContext>(
        TlsConfig{.verify = TlsVerify::kFull, .ca_file = server_env("TERN_TLS_OTHER_CA")});
    co_await TlsStream::handshake(std::move(socket), context, "127.0.0.1",
                                  deadline_after(kTimeout));
  };
  EXPECT_THROW(sync_wait(loop, body()), TlsError);
}

TEST_F(ServersTest, PostgresUnixSocketRefusesSsl) {
  const std::string path =
      server_env("TERN_PG_SOCKET_DIR") + "/.s.PGSQL." + server_env("TERN_PG_PORT");
  auto body = [&]() -> Task<char> {
    Socket socket = co_await Socket::connect_unix(loop, path, deadline_after(kTimeout));
    co_return co_await request_ssl(socket);
  };
  EXPECT_EQ(sync_wait(loop, body()), 'N');
}

// Reads MariaDB's initial handshake packet and returns its payload.
Task<std::string> read_greeting(Socket socket) {
  std::string packet;
  std::array<std::byte, 512> buf{};
  const Deadline deadline = deadline_after(kTimeout);
  // 3-byte little-endian payload length, then the sequence id.
  auto complete = [&] {
    if (packet.size() < 4) return false;
    const std::size_t length = static_cast<std::uint8_t>(packet[0]) |
                               static_cast<std::uint8_t>(packet[1]) << 8 |
                               static_cast<std::uint8_t>(packet[2]) << 16;
    return packet.size() >= 4 + length;
  };
  while (!complete()) {
    const std::size_t n = co_await socket.recv(buf, deadline);
    if (n == 0) throw std::runtime_error("MariaDB closed before its greeting was complete");
    packet.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  co_await socket.close();
  co_return packet.substr(4);
}

void expect_mariadb_greeting(const std::string& payload) {
  ASSERT_FALSE(payload.empty());
  EXPECT_EQ(payload[0], 10) << "protocol version";
  const std::string version = payload.substr(1, payload.find('\0', 1) - 1);
  EXPECT_NE(version.find("MariaDB"), std::string::npos) << version;
}

TEST_F(ServersTest, MariaDbGreetsOverTcp) {
  auto body = [&]() -> Task<std::string> {
    co_return co_await read_greeting(co_await Socket::connect_tcp(
        loop, server_env("TERN_MYSQL_HOST"), server_port("TERN_MYSQL_PORT")));
  };
  expect_mariadb_greeting(sync_wait(loop, body()));
}

TEST_F(ServersTest, MariaDbGreetsOverItsUnixSocket) {
  auto body = [&]() -> Task<std::string> {
    co_return co_await read_greeting(
        co_await Socket::connect_unix(loop, server_env("TERN_MYSQL_SOCKET")));
  };
  expect_mariadb_greeting(sync_wait(loop, body()));
}

}  // namespace
}  // namespace tern::ring
