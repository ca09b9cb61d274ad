// Security limits against the real servers, both backends: a server message over the size cap
// is a typed error raised before the message is buffered (the default cap and a configured
// one); passwords never appear in the errors of bad URLs, refused connections, failed
// authentication or failed TLS verification.
// (Elsewhere: TLS verify-full / untrusted CA in pg- and mysql-connection, LOCAL INFILE refusal
// in mysql-connection, SCRAM server-signature mismatch in the pg auth unit tests.)
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using tern::testing::server_env;
using tern::testing::server_port;

constexpr const char* kSecret = "Hunter2Secret";

// The process's peak resident set size (VmHWM) in bytes.
std::size_t peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

class Security : public ::testing::TestWithParam<Dialect> {
 protected:
  bool pg() const { return GetParam() == Dialect::kPostgres; }

  std::unique_ptr<AioDatabase> make(std::size_t max_message) {
    return testing::make_database(GetParam(), {.min_connections = 0, .max_connections = 1},
                                  {.max_message_size = max_message});
  }
  std::string repeat_sql(std::size_t bytes) const {
    return std::string(pg() ? "SELECT repeat('x', " : "SELECT REPEAT('x', ") +
           std::to_string(bytes) + ")";
  }
  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  // The message of what `task` throws (a tern::Error, ProtocolError included); "" if nothing.
  std::string error_of(Task<ResultSet> task) {
    try {
      run(std::move(task));
    } catch (const Error& e) {
      return e.what();
    }
    return {};
  }
  // Expects `sql` to fail with ProtocolError(kBadLength); the connection is discarded and the
  // next query works.
  void expect_too_big(AioDatabase& db, const std::string& sql) {
    const std::size_t discarded = db.pool_stats().discarded;
    try {
      run(db.aio_execute(sql));
      ADD_FAILURE() << "an oversized message was accepted: " << sql.substr(0, 40);
    } catch (const protocol::ProtocolError& e) {
      EXPECT_EQ(e.code(), protocol::ProtocolErrc::kBadLength) << e.what();
    }
    EXPECT_EQ(db.pool_stats().discarded, discarded + 1);
    EXPECT_EQ(run(db.aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  }

  ring::Loop loop;
};

TEST_P(Security, ConfiguredMessageCapIsEnforced) {
  auto db = make(1 << 20);
  EXPECT_EQ(run(db->aio_execute(repeat_sql(512 << 10))).row(0).get<std::string>(0).size(),
            512u << 10);
  expect_too_big(*db, repeat_sql(2 << 20));
  run(db->aio_close());
}

// PostgreSQL sends a value of up to 1 GiB as one message; the default cap (64 MiB) refuses a
// 65 MiB one from its header, before buffering it.
TEST_P(Security, DefaultCapRefusesAHugeMessageWithoutBufferingIt) {
  if (!pg()) {
    // MariaDB's max_allowed_packet (16 MiB here) keeps it from sending more than the cap; its
    // reassembly cap is covered with a configured limit above.
    EXPECT_EQ(pg::ConnectOptions{}.max_message_size, std::size_t{64} << 20);
    EXPECT_EQ(mysql::ConnectOptions{}.max_payload_size, std::size_t{64} << 20);
    return;
  }
  auto db = make(0);
  EXPECT_EQ(run(db->aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  const std::size_t before = peak_rss();
  expect_too_big(*db, repeat_sql(std::size_t{65} << 20));
  // Had the 65 MiB been buffered, the peak would have grown by at least that.
  EXPECT_LT(peak_rss(), before + (std::size_t{32} << 20));
  run(db->aio_close());
}

TEST_P(Security, PasswordsNeverAppearInErrors) {
  const std::string host = server_env(pg() ? "TERN_PG_HOST" : "TERN_MYSQL_HOST");
  const std::string port = std::to_string(server_port(pg() ? "TERN_PG_PORT" : "TERN_MYSQL_PORT"));
  const std::string scheme = pg() ? "postgresql" : "mysql";
  const std::string ssl_off = pg() ? "sslmode=disable" : "ssl-mode=DISABLED";
  const std::string ssl_full =
      pg() ? "sslmode=verify-full&sslrootcert=" : "ssl-mode=VERIFY_IDENTITY&ssl-ca=";
  // Bad URLs: tern::connect() throws InterfaceError.
  for (const std::string& url : {
           scheme + "://tern:" + kSecret + "@" + host + ":" + port + "/db?min_connections=x",
           scheme + "://tern:" + kSecret + "@" + host + ":notaport/db",
           scheme + "://tern:" + kSecret + "/x@" + host + "/db",
           scheme + "://tern:" + kSecret + "?x@" + host + "/db",
           scheme + "://tern:ab?" + kSecret + "@" + host + "/db",
           scheme + "://tern:ab?" + kSecret + "=1@" + host + "/db",
           scheme + "://tern:" + kSecret + "@" + host + "/db?" + (pg() ? "sslmode" : "ssl-mode") +
               "=bogus",
       }) {
    try {
      auto db = tern::connect(url);
      run(db->aio_execute("SELECT 1"));
      ADD_FAILURE() << "accepted: " << url;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos)
          << url << " -> " << e.what();
    }
  }
  // Connections that fail: refused port, wrong password, unknown database, untrusted CA.
  const std::string db_name = server_env(pg() ? "TERN_PG_DB" : "TERN_MYSQL_DB");
  for (const std::string& url : {
           scheme + "://tern:" + kSecret + "@" + host + ":1/" + db_name + "?" + ssl_off,
           scheme + "://tern:" + kSecret + "@" + host + ":" + port + "/" + db_name + "?" + ssl_off,
           scheme + "://tern:" + kSecret + "@" + host + ":" + port + "/no_such_db?" + ssl_off,
           scheme + "://tern:" + kSecret + "@" + host + ":" + port + "/" + db_name + "?" +
               ssl_full + server_env("TERN_TLS_OTHER_CA"),
       }) {
    auto db = tern::connect(url);
    const std::string message = error_of(db->aio_execute("SELECT 1"));
    EXPECT_FALSE(message.empty()) << url;
    EXPECT_EQ(message.find(kSecret), std::string::npos) << url << " -> " << message;
    run(db->aio_close());
  }
}

// A configurable row cap (max_result_rows / max-result-rows, here from the URL): a result with
// more rows is ResultTooLarge, the rest is read and dropped, and the same connection goes on.
// Streams are bounded by their batch size instead.
TEST_P(Security, RowCapIsConfigurableAndKeepsTheConnection) {
  const std::string url =
      server_env(pg() ? "TERN_PG_URL" : "TERN_MYSQL_URL") +
      (pg() ? "?sslmode=disable&max_result_rows=100" : "?ssl-mode=DISABLED&max-result-rows=100") +
      "&max_connections=1";
  std::unique_ptr<AioDatabase> db = connect(url);
  const auto series = [&](int n) {
    return pg() ? "SELECT generate_series(1, " + std::to_string(n) + ")::int8"
                : "SELECT CAST(seq AS SIGNED) FROM seq_1_to_" + std::to_string(n);
  };
  EXPECT_EQ(run(db->aio_execute(series(100))).size(), 100u);
  EXPECT_THROW(run(db->aio_execute(series(5000))), ResultTooLarge);
  EXPECT_EQ(run(db->aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  EXPECT_EQ(db->pool_stats().created, 1u);  // the same connection throughout
  EXPECT_EQ(db->pool_stats().discarded, 0u);
  std::size_t streamed = 0;
  run([](AioDatabase& d, std::string sql, std::size_t& n) -> Task<void> {
    RowStream rows = co_await d.aio_stream(sql, {}, 50);
    while (std::optional<ResultSet> batch = co_await rows.next())
      n += batch->size();
  }(*db, series(500), streamed));
  EXPECT_EQ(streamed, 500u);
  run(db->aio_close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Security, ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "MySQL";
                         });

}  // namespace
}  // namespace tern
