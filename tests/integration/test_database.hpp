// The suites' databases: a pooled AioDatabase on the test server of either backend, built from
// TERN_PG_URL / TERN_MYSQL_URL (so that the PostgreSQL suites also run through PgBouncer under
// `tests/servers exec --via-pgbouncer`), TLS off; or a SqliteDatabase on one file per test
// process (every database of the process sees the same tables, as on a server), removed at
// exit.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "server_env.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/mysql/conninfo.hpp"
#include "tern/protocol/pg/conninfo.hpp"

namespace tern::testing {

/// Connection-level settings a suite may change.
struct TestConnection {
  /// Non-zero: connect to 127.0.0.1 on this port (a FaultProxy) instead of the server.
  std::uint16_t via_port = 0;
  /// Non-zero: how long a cancel may take before the connection is given up.
  std::chrono::milliseconds cancel_timeout{0};
  /// Non-zero: the cap on one server message (PG max_message_size, MySQL max_payload_size).
  std::size_t max_message_size = 0;
  /// PostgreSQL: look up the hstore OID (PooledPostgresqlExtDatabase's register_hstore).
  bool register_hstore = false;
};

/// The test user's MySQL connection options (TERN_MYSQL_URL, TLS off).
inline mysql::ConnectOptions mysql_url_options() {
  mysql::ConnectOptions o = mysql::ConnectOptions::parse(server_env("TERN_MYSQL_URL"));
  o.ssl_mode = mysql::SslMode::kDisabled;
  o.connect_timeout = std::chrono::seconds(10);
  return o;
}

/// The name of a suite's backend parameter: Postgres, MySQL, Sqlite.
inline std::string backend_name(const ::testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::kPostgres ? "Postgres"
         : info.param == Dialect::kMysql  ? "MySQL"
                                          : "Sqlite";
}

/// In a test of a backend-parametrized suite: skips it on SQLite, printing `why` (what SQLite
/// lacks that the test needs).
#define TERN_SKIP_ON_SQLITE(why) \
  if (GetParam() == ::tern::Dialect::kSqlite) GTEST_SKIP() << "SQLite: " << (why)

/// The SQLite file of this test process (and its -wal and -shm files), removed at exit.
inline const std::string& sqlite_test_path() {
  // Never destroyed: the atexit handler, registered while it is made, would run after its
  // destructor.
  static const std::string& path = *[] {
    auto* p = new std::string((std::filesystem::temp_directory_path() /
                               ("tern-test-" + std::to_string(::getpid()) + ".db"))
                                  .string());
    std::atexit([] {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::error_code ignored;
        std::filesystem::remove(sqlite_test_path() + suffix, ignored);
      }
    });
    return p;
  }();
  return path;
}

/// A pooled database of `dialect` for the test user, sized by `pool`.
inline std::unique_ptr<AioDatabase> make_database(Dialect dialect, DatabaseOptions pool = {},
                                                  TestConnection how = {}) {
  if (dialect == Dialect::kSqlite) {
    // "Unreachable" for SQLite: a file in a directory that does not exist.
    sqlite::OpenOptions o{.path = how.via_port != 0 ? "/nonexistent-tern-dir/x.db"
                                                    : sqlite_test_path()};
    return std::make_unique<SqliteDatabase>(std::move(o), pool);
  }
  if (dialect == Dialect::kPostgres) {
    pg::ConnectOptions c = pg_url_options();
    if (how.via_port != 0) {
      c.host = "127.0.0.1";
      c.port = how.via_port;
    }
    if (how.cancel_timeout.count() > 0) c.cancel_timeout = how.cancel_timeout;
    if (how.max_message_size != 0) c.max_message_size = how.max_message_size;
    return std::make_unique<PostgresqlDatabase>(c, pool, how.register_hstore);
  }
  mysql::ConnectOptions c = mysql_url_options();
  if (how.via_port != 0) {
    c.host = "127.0.0.1";
    c.port = how.via_port;
  }
  if (how.cancel_timeout.count() > 0) c.cancel_timeout = how.cancel_timeout;
  if (how.max_message_size != 0) c.max_payload_size = how.max_message_size;
  return std::make_unique<MySQLDatabase>(c, pool);
}

}  // namespace tern::testing
