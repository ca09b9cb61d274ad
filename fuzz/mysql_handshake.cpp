// libFuzzer harness of the MySQL/MariaDB connection state machine (protocol/src/mysql/
// startup.cpp, query.cpp, connection.cpp): the real mysql::Connection, on a real ring::Loop,
// talks to an in-process fake server that answers every connection with the fuzz input and
// then shuts its side down (a client waiting for more reads end of stream, never hangs). The
// start-up runs the Initial Handshake v10 parser, capability negotiation, the auth plugins
// (mysql_native_password, caching_sha2_password fast and full paths — cleartext over the Unix
// socket, RSA over TCP —, client_ed25519, mysql_clear_password), AuthSwitchRequest and
// AuthMoreData; then the commands the input picks read OK/ERR/EOF packets and result sets, and
// their values are rendered with to_text.
//
// Input: byte 0 = options: bits 0-1 password (0: none, 1 and 2: "pw", 3: 600 characters, too
// long for RSA), bit 2 a default database, bit 3 multi-statements, bit 4 local-infile allowed,
// bit 5 prefix the stream with a valid start-up (a MariaDB 10.11 handshake and the OK after
// it), bit 6 TCP instead of the Unix socket (no TLS: ssl-mode DISABLED). Byte 1 = the commands
// to run, in this order: bit 0 query, 5 a second query, 1 execute (prepare + execute), 2 the
// same execute again (cached statement), 3 ping, 4 reset, 6 a row stream read 2 rows at a
// time to the end, or with bit 7 closed after its first batch. The rest: the bytes the server
// sends.
//
// Typed errors are the only acceptable failures: tern::Error and its subclasses (server errors,
// ClientError/InterfaceError, ConnectionLost, ProtocolError, TypeError for values...), but not
// a raw ring::IoError / TlsError / TimeoutError (the connection must turn those into
// ConnectionLost). Anything else (another exception, a sanitizer report, a hang caught by -timeout)
// is a finding, and so is a connection that still claims to be usable after a ProtocolError or
// ConnectionLost.
// Protocol: https://mariadb.com/kb/en/connection/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <typeinfo>
#include <vector>

#include "fake_server.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/text.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"

namespace {

namespace my = tern::mysql;
namespace ring = tern::ring;
using tern::fuzz::check;
using tern::fuzz::note;
using tern::fuzz::untyped;
using namespace std::chrono_literals;

ring::Loop* g_loop;
ring::Listener* g_unix_listener;
ring::Listener* g_tcp_listener;
std::string g_dir;

// Renders every value, as tern-cli does.
void render(const std::vector<my::Result>& results) {
  for (const my::Result& r : results) {
    for (const my::Row row : r) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::optional<my::Bytes> raw = row.raw(i);
        if (!raw) continue;
        try {
          (void)my::to_text(r.columns()[i].type, r.format(), *raw);
        } catch (const tern::TypeError&) {
        }
      }
    }
  }
}

// Runs one operation; returns false once the connection is no longer usable.
template <class Op>
ring::Task<bool> run(my::Connection& c, const char* name, Op op) {
  return tern::fuzz::run_op(c, name, std::move(op));
}

ring::Task<void> client(my::ConnectOptions options, std::uint8_t ops) {
  std::optional<my::Connection> connection;
  try {
    connection.emplace(co_await my::Connection::connect(*g_loop, std::move(options)));
  } catch (const std::exception& e) {
    tern::fuzz::connect_failed(e);  // aborts unless typed
    co_return;
  }
  note("connect", "ok");
  my::Connection& c = *connection;
  my::Params params;
  params.add(std::int64_t{42});
  params.add(std::string("text"));
  bool usable = true;
  for (int bit : {0, 5}) {
    if (usable && (ops & (1 << bit)) != 0) {
      usable = co_await run(
          c, "query", [&]() -> ring::Task<void> { render(co_await c.query("SELECT 1, 'a'")); });
    }
  }
  for (int bit : {1, 2}) {
    if (usable && (ops & (1 << bit)) != 0) {
      usable = co_await run(c, "execute", [&]() -> ring::Task<void> {
        std::vector<my::Result> results;
        results.push_back(co_await c.execute("SELECT ?, ?", params));
        render(results);
      });
    }
  }
  if (usable && (ops & 8) != 0) {
    usable = co_await run(c, "ping", [&]() -> ring::Task<void> { co_await c.ping(); });
  }
  if (usable && (ops & 16) != 0) {
    usable = co_await run(c, "reset", [&]() -> ring::Task<void> { co_await c.reset(); });
  }
  if (usable && (ops & 64) != 0) {
    usable = co_await run(c, "stream", [&]() -> ring::Task<void> {
      co_await c.open_stream("SELECT ?, ?", params);
      std::vector<my::Result> results(1);
      for (bool more = true; more;) {
        more = co_await c.next_batch(results[0], 2);
        render(results);
        if ((ops & 128) != 0) {
          co_await c.close_stream();
          break;
        }
      }
      check(!c.streaming(), "a stream still open after it ended");
    });
  }
  co_await c.close();
}

// A MariaDB 10.11 Initial Handshake (mysql_native_password, scramble "01234567" +
// "89abcdefghij") and the OK that accepts the client: packets with sequence ids 0 and 2.
constexpr char kStartup[] =
    "\x59\0\0\0"
    "\x0a"
    "5.5.5-10.11.6-MariaDB\0"
    "\x2a\0\0\0"
    "01234567\0"
    "\xfe\xf7\x2d\x02\0\xff\x81\x15\0\0\0\0\0\0\x1d\0\0\0"
    "89abcdefghij\0"
    "mysql_native_password\0"
    "\x07\0\0\x02\0\0\0\x02\0\0\0";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tern::fuzz::debug = std::getenv("TERN_FUZZ_DEBUG") != nullptr;
  g_dir = tern::fuzz::make_socket_dir("tern-fuzz-mysql", "mysql.sock");
  g_loop = new ring::Loop();
  g_unix_listener = new ring::Listener(ring::Listener::bind_unix(*g_loop, g_dir + "/mysql.sock"));
  g_tcp_listener = new ring::Listener(ring::Listener::bind_tcp(*g_loop, "127.0.0.1"));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  my::ConnectOptions options;
  const bool tcp = (flags & 64) != 0;
  if (tcp) {
    options.host = "127.0.0.1";
    options.port = g_tcp_listener->port();
  } else {
    options.unix_socket = g_dir + "/mysql.sock";
  }
  options.user = "u";
  switch (flags & 3) {
    case 1:
    case 2:
      options.password = "pw";
      break;
    case 3:
      options.password.assign(600, 'p');
      break;
  }
  if ((flags & 4) != 0) options.database = "db";
  options.multi_statements = (flags & 8) != 0;
  options.allow_local_infile = (flags & 16) != 0;
  options.ssl_mode = my::SslMode::kDisabled;
  options.connect_timeout = 10s;
  options.cancel_timeout = 1s;
  options.max_payload_size = 64 << 10;  // inputs are at most 4 KiB: see fuzz_pg_connection

  std::string bytes;
  if ((flags & 32) != 0) bytes.assign(kStartup, sizeof kStartup - 1);
  bytes.append(reinterpret_cast<const char*>(data + 2), size - 2);

  ring::TaskGroup group(*g_loop);
  group.spawn(tern::fuzz::serve_once(tcp ? *g_tcp_listener : *g_unix_listener, std::move(bytes)));
  group.spawn(client(std::move(options), data[1]));
  ring::sync_wait(*g_loop, group.join());
  return 0;
}
