// libFuzzer harness of the PostgreSQL connection state machine (protocol/src/pg/startup.cpp,
// query.cpp, copy.cpp, connection.cpp): the real pg::Connection, on a real ring::Loop, talks
// over a Unix socket to an in-process fake server that answers every connection with the fuzz
// input and then shuts its side down (so a client waiting for more reads end of stream, never
// hangs). The client connects, authenticates and runs the operations the input picks; their
// result values are rendered with to_text.
//
// Input: byte 0 = options: bits 0-1 password (0: none, else "pw"), bit 2 prefix the stream with
// a valid start-up (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery), bit 3
// unnamed statements (PgBouncer mode), bit 4 channel_binding=require, bit 5 a row stream of
// batches of 2 rows read to the end, or with bit 6 closed after its first batch (run last).
// Byte 1 = the operations to run, in this order: bit 0 simple_query, 1 execute, 2 the same
// execute again (cached statement), 3 pipeline of two, 4 copy_out, 5 copy_in,
// 6 wait_for_notification, 7 execute with text results. The rest: the bytes the server sends.
//
// Typed errors are the only acceptable failures: tern::Error and its subclasses (server errors,
// InterfaceError, ConnectionLost, ProtocolError, TypeError for values...), but not a raw
// ring::IoError / TlsError (the connection must turn those into ConnectionLost), and
// ring::TimeoutError only from wait_for_notification's deadline. Anything else (another exception,
// a sanitizer report, a hang caught by -timeout) is a finding, and so is a connection that still
// claims to be usable after a ProtocolError or ConnectionLost.
//
// RAND_bytes is replaced below with a constant, so that SCRAM's client nonce is fixed and the
// seed corpus can hold a complete SCRAM exchange (fuzz/make_corpus.py computes its proofs).
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <typeinfo>
#include <vector>

#include "fake_server.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/text.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"

// Deterministic "randomness" for the whole process (only SCRAM's nonce uses it here): 18 bytes
// of 0x42 give the client nonce "QkJCQkJCQkJCQkJCQkJCQkJC".
extern "C" int RAND_bytes(unsigned char* buf, int num) {
  std::memset(buf, 0x42, static_cast<std::size_t>(num));
  return 1;
}

namespace {

namespace pg = tern::pg;
namespace ring = tern::ring;
using tern::fuzz::check;
using tern::fuzz::note;
using tern::fuzz::untyped;
using namespace std::chrono_literals;

ring::Loop* g_loop;
ring::Listener* g_listener;
std::string g_dir;

// Renders every value, as tern-cli does.
void render(const std::vector<pg::Result>& results) {
  for (const pg::Result& r : results) {
    for (const pg::Row row : r) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::optional<pg::Bytes> raw = row.raw(i);
        if (!raw) continue;
        const tern::pg::backend::Column& c = r.columns()[i];
        try {
          (void)pg::to_text(c.type, c.format, *raw);
        } catch (const tern::TypeError&) {
        }
      }
    }
  }
}

// Runs one operation; returns false once the connection is no longer usable.
template <class Op>
ring::Task<bool> run(pg::Connection& c, const char* name, Op op) {
  return tern::fuzz::run_op(c, name, std::move(op), "wait_for_notification");
}

ring::Task<void> client(pg::ConnectOptions options, std::uint8_t flags, std::uint8_t ops) {
  std::optional<pg::Connection> connection;
  try {
    connection.emplace(co_await pg::Connection::connect(*g_loop, std::move(options)));
  } catch (const std::exception& e) {
    tern::fuzz::connect_failed(e);  // aborts unless typed
    co_return;
  }
  note("connect", "ok");
  pg::Connection& c = *connection;
  const pg::Params params(std::int32_t{42}, std::string("text"));
  const std::vector<pg::PipelineQuery> batch = {
      {"SELECT $1::int4, $2::text", params},
      {"SELECT 1", {}},
  };
  bool usable = true;
  if (usable && (ops & 1) != 0) {
    usable = co_await run(c, "simple_query", [&]() -> ring::Task<void> {
      render(co_await c.simple_query("SELECT 1; SELECT 2"));
    });
  }
  for (int bit : {1, 2, 7}) {
    if (usable && (ops & (1 << bit)) != 0) {
      usable = co_await run(c, "execute", [&]() -> ring::Task<void> {
        pg::QueryOptions o;
        if (bit == 7) o.result_format = pg::Format::kText;
        std::vector<pg::Result> results;
        results.push_back(co_await c.execute("SELECT $1::int4, $2::text", params, o));
        render(results);
      });
    }
  }
  if (usable && (ops & 8) != 0) {
    usable = co_await run(c, "pipeline",
                          [&]() -> ring::Task<void> { render(co_await c.pipeline(batch)); });
  }
  if (usable && (ops & 16) != 0) {
    usable = co_await run(c, "copy_out", [&]() -> ring::Task<void> {
      co_await c.copy_out("COPY t TO STDOUT", [](std::string_view) {});
    });
  }
  if (usable && (ops & 32) != 0) {
    usable = co_await run(c, "copy_in", [&]() -> ring::Task<void> {
      const std::vector<std::string> chunks = {"1\tx\n", "2\ty\n"};
      co_await c.copy_in("COPY t FROM STDIN", chunks);
    });
  }
  if (usable && (ops & 64) != 0) {
    usable = co_await run(c, "wait_for_notification", [&]() -> ring::Task<void> {
      co_await c.wait_for_notification(ring::deadline_after(2s));
    });
  }
  if (usable && (flags & 32) != 0) {
    usable = co_await run(c, "stream", [&]() -> ring::Task<void> {
      co_await c.open_stream("SELECT $1::int4, $2::text", params, 2);
      std::vector<pg::Result> results(1);
      for (bool more = true; more;) {
        more = co_await c.next_batch(results[0]);
        render(results);
        if ((flags & 64) != 0) {
          co_await c.close_stream();
          break;
        }
      }
      check(!c.streaming(), "a stream still open after it ended");
    });
  }
  (void)c.parameter("server_version");
  co_await c.close();
}

// AuthenticationOk, ParameterStatus server_version=15.4, BackendKeyData, ReadyForQuery (idle).
constexpr char kStartup[] =
    "R\0\0\0\x08\0\0\0\0"
    "S\0\0\0\x18server_version\0"
    "15.4\0"
    "K\0\0\0\x0c\0\0\x30\x39\0\0\x10\x92"
    "Z\0\0\0\x05I";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tern::fuzz::debug = std::getenv("TERN_FUZZ_DEBUG") != nullptr;
  g_dir = tern::fuzz::make_socket_dir("tern-fuzz-pg", ".s.PGSQL.5432");
  g_loop = new ring::Loop();
  g_listener = new ring::Listener(ring::Listener::bind_unix(*g_loop, g_dir + "/.s.PGSQL.5432"));
  for (const char* name : {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE",
                           "PGAPPNAME", "PGOPTIONS", "PGCHANNELBINDING", "PGCONNECT_TIMEOUT"}) {
    ::unsetenv(name);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  pg::ConnectOptions options;
  options.host = g_dir;
  options.port = 5432;
  options.user = "u";
  options.database = "db";
  options.ssl_mode = pg::SslMode::kDisable;
  if ((flags & 3) != 0) options.password = "pw";
  options.unnamed_statements_only = (flags & 8) != 0;
  if ((flags & 16) != 0) options.channel_binding = pg::ChannelBindingMode::kRequire;
  options.connect_timeout = 10s;
  options.cancel_timeout = 1s;
  // The buffer grows to a message's announced size: inputs are at most 4 KiB (fuzz/run's
  // -max_len), so a 64 KiB cap still lets every message of an input through and tests the
  // cap, without megabyte allocations per input (which made ASan's quarantine and unmapping
  // the harness's main cost).
  options.max_message_size = 64 << 10;

  std::string bytes;
  if ((flags & 4) != 0) bytes.assign(kStartup, sizeof kStartup - 1);
  bytes.append(reinterpret_cast<const char*>(data + 2), size - 2);

  ring::TaskGroup group(*g_loop);
  group.spawn(tern::fuzz::serve_once(*g_listener, std::move(bytes)));
  group.spawn(client(std::move(options), flags, data[1]));
  ring::sync_wait(*g_loop, group.join());
  return 0;
}
