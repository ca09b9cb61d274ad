// Where the integration suites find their servers: the TERN_* variables that tests/servers
// exports. A missing variable is a test failure, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tern/protocol/pg/conninfo.hpp"

namespace tern::testing {

/// The value of environment variable `name`; throws (failing the test) when it is unset.
inline std::string server_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the integration tests through `meson test` or "
                             "`tests/servers exec -- ...`");
  }
  return value;
}

/// server_env() parsed as a TCP port.
inline std::uint16_t server_port(const char* name) {
  return static_cast<std::uint16_t>(std::stoul(server_env(name)));
}

/// True when TERN_PG_URL leads through PgBouncer in transaction pooling mode
/// (`tests/servers exec --via-pgbouncer`).
inline bool via_pgbouncer() {
  const char* value = std::getenv("TERN_PG_PGBOUNCER");
  return value != nullptr && std::string_view(value) == "1";
}

/// The connection options of TERN_PG_URL (PostgreSQL itself, or PgBouncer with pgbouncer=true
/// under --via-pgbouncer), without TLS: what the pooled-database suites connect with.
inline pg::ConnectOptions pg_url_options() {
  pg::ConnectOptions o = pg::ConnectOptions::parse(server_env("TERN_PG_URL"));
  o.ssl_mode = pg::SslMode::kDisable;
  o.connect_timeout = std::chrono::seconds(10);
  return o;
}

}  // namespace tern::testing

/// Skips, visibly and with the reason, a test of a feature that needs what a transaction-pooling
/// PgBouncer does not keep: a server session of one's own (the server connection may change
/// after every transaction). Only under --via-pgbouncer; everywhere else the test runs.
#define TERN_SKIP_THROUGH_PGBOUNCER(why)                                              \
  if (::tern::testing::via_pgbouncer())                                               \
  GTEST_SKIP() << "needs a server session of its own, which PgBouncer's transaction " \
                  "pooling does not give: "                                           \
               << (why)
