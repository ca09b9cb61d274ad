// Fault injection against the real servers, both backends: a FaultProxy between the pool and
// the server stalls, cuts and corrupts the stream at chosen points (startup, mid-result, on
// COMMIT); backends are killed while busy and idle; a server restarts under a running query.
// Every failure must be typed, the broken connection discarded, and the pool healthy after.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fault_proxy.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using tern::testing::Direction;
using tern::testing::FaultAction;
using tern::testing::FaultProxy;
using tern::testing::server_env;
using tern::testing::server_port;

class Faults : public ::testing::TestWithParam<Dialect> {
 public:  // the test bodies' coroutines reach these through a Faults&
  bool pg() const { return GetParam() == Dialect::kPostgres; }

  void SetUp() override {
    proxy = std::make_unique<FaultProxy>(server_env(pg() ? "TERN_PG_HOST" : "TERN_MYSQL_HOST"),
                                         server_port(pg() ? "TERN_PG_PORT" : "TERN_MYSQL_PORT"));
  }

  // A database whose connections go through the proxy (plain TCP, so faults can match
  // bytes), with a short cancel budget: a stalled connection is given up after 1 s.
  std::unique_ptr<AioDatabase> via_proxy(DatabaseOptions pool) { return make(pool, proxy->port()); }
  // A database connected straight to the server.
  std::unique_ptr<AioDatabase> direct(DatabaseOptions pool) { return make(pool, 0); }

  std::unique_ptr<AioDatabase> make(DatabaseOptions pool, std::uint16_t proxy_port) {
    return testing::make_database(GetParam(), pool, {.via_port = proxy_port, .cancel_timeout = 1s});
  }

  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  void pause(std::chrono::milliseconds d) {
    run([](ring::Loop& l, std::chrono::milliseconds t) -> Task<void> {
      co_await ring::sleep_for(l, t);
    }(loop, d));
  }
  std::int64_t scalar(AioDatabase& db, const std::string& sql) {
    return run(db.aio_execute(sql)).row(0).get<std::int64_t>(0);
  }
  // Polls `sql` (one integer) until it yields `want`; false after 30 s.
  bool eventually(AioDatabase& db, const std::string& sql, std::int64_t want) {
    for (int i = 0; i < 300; ++i) {
      if (scalar(db, sql) == want) return true;
      pause(100ms);
    }
    return false;
  }
  std::string session_id_sql() const {
    return pg() ? "SELECT pg_backend_pid()::int8" : "SELECT CAST(CONNECTION_ID() AS SIGNED)";
  }
  std::string session_alive_sql(std::int64_t id) const {
    return pg() ? "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = " + std::to_string(id)
                : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                      std::to_string(id);
  }
  // Rows 1..n of one BIGINT column (MariaDB: its SEQUENCE engine).
  std::string series_sql(int n) const {
    return pg() ? "SELECT generate_series(1, " + std::to_string(n) + ")::int8"
                : "SELECT CAST(seq AS SIGNED) FROM seq_1_to_" + std::to_string(n);
  }
  std::string sleep_sql() const { return pg() ? "SELECT pg_sleep(60)" : "SELECT SLEEP(60)"; }
  void create_table(AioDatabase& db, const std::string& table) {
    run(db.aio_execute("DROP TABLE IF EXISTS " + table));
    run(db.aio_execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, v INT)"));
  }
  // No connection checked out, none waiting, the pool within its bounds.
  static void expect_settled(AioDatabase& db, std::size_t max) {
    const PoolStats s = db.pool_stats();
    EXPECT_EQ(s.in_use, 0u);
    EXPECT_EQ(s.waiters, 0u);
    EXPECT_LE(s.size, max);
    EXPECT_LE(s.idle, s.size);
  }

  ring::Loop loop;
  std::unique_ptr<FaultProxy> proxy;
};

// ---- the proxy itself ----

TEST_P(Faults, DelaysBreakNothing) {
  proxy->set_delay(Direction::kToServer, 2ms);
  proxy->set_delay(Direction::kToClient, 2ms);
  auto db = via_proxy({.min_connections = 0, .max_connections = 3});
  create_table(*db, "fault_delay");
  int checked = 0;
  ring::TaskGroup tasks(loop);
  for (int i = 1; i <= 12; ++i) {
    tasks.spawn([](Faults& t, AioDatabase& d, int id, int& ok) -> Task<void> {
      const std::string insert = "INSERT INTO fault_delay (id, v) VALUES (" + std::to_string(id) +
                                 ", " + std::to_string(id * 2) + ")";
      co_await d.aio_atomic([&]() -> Task<void> { co_await d.aio_execute(insert); });
      const ResultSet r =
          co_await d.aio_execute("SELECT v FROM fault_delay WHERE id = " + std::to_string(id));
      if (r.row(0).get<std::int64_t>(0) == id * 2) ++ok;
      // A stream read in several batches.
      RowStream rows = co_await d.aio_stream(t.series_sql(3000), {}, 500);
      std::int64_t sum = 0;
      while (std::optional<ResultSet> batch = co_await rows.next()) {
        for (const Row row : *batch)
          sum += row.get<std::int64_t>(0);
      }
      if (sum == 3000 * 3001 / 2) ++ok;
    }(*this, *db, i, checked));
  }
  run(tasks.join());
  EXPECT_EQ(checked, 24);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM fault_delay"), 12);
  EXPECT_EQ(db->pool_stats().discarded, 0u);
  expect_settled(*db, 3);
  run(db->aio_close());
}

// ---- stalls, cuts, corruption ----

TEST_P(Faults, StallHitsTheQueryDeadlineAndThePoolRecovers) {
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  EXPECT_EQ(scalar(*db, "SELECT 1"), 1);
  for (const Direction direction : {Direction::kToClient, Direction::kToServer}) {
    proxy->arm({.direction = direction, .action = FaultAction::kStall});
    const QueryOptions soon{.deadline = ring::deadline_after(300ms)};
    EXPECT_THROW(run(db->aio_execute("SELECT 2", {}, soon)), QueryTimeout);
    EXPECT_EQ(proxy->armed(), 0u);  // the stall did fire
    // The stalled connection is gone; the next query gets a new one.
    EXPECT_EQ(scalar(*db, "SELECT 3"), 3);
  }
  EXPECT_GE(db->pool_stats().discarded, 2u);
  expect_settled(*db, 1);
  proxy->resume_all();
  run(db->aio_close());
}

TEST_P(Faults, CutMidResultIsConnectionLostAndTheConnectionIsReplaced) {
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  const auto first = scalar(*db, session_id_sql());
  for (const bool reset : {false, true}) {
    proxy->arm({.direction = Direction::kToClient,
                .action = FaultAction::kCut,
                .after_bytes = 100'000,
                .reset = reset});
    EXPECT_THROW(run(db->aio_execute(series_sql(200'000))), ConnectionLost) << reset;
    EXPECT_EQ(proxy->armed(), 0u);
    EXPECT_NE(scalar(*db, session_id_sql()), first);
  }
  EXPECT_GE(db->pool_stats().discarded, 2u);
  expect_settled(*db, 1);
  run(db->aio_close());
}

TEST_P(Faults, CutDuringStartupAndAuthenticationIsConnectionFailed) {
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  // Inside the server's first message (PostgreSQL's authentication request, MySQL's
  // handshake).
  proxy->arm({.direction = Direction::kToClient, .action = FaultAction::kCut, .after_bytes = 3});
  EXPECT_THROW(run(db->aio_execute("SELECT 1")), ConnectionFailed);
  // At the client's authentication answer (SCRAM's initial response, MySQL's handshake
  // response naming its plugin).
  proxy->arm({.direction = Direction::kToServer,
              .action = FaultAction::kCut,
              .contains = pg() ? "SCRAM-SHA-256" : "_password"});
  EXPECT_THROW(run(db->aio_execute("SELECT 1")), ConnectionFailed);
  EXPECT_EQ(proxy->armed(), 0u);
  EXPECT_EQ(scalar(*db, "SELECT 4"), 4);
  expect_settled(*db, 1);
  run(db->aio_close());
}

TEST_P(Faults, CorruptedServerBytesAreAProtocolErrorAndTheConnectionIsDiscarded) {
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  EXPECT_EQ(scalar(*db, "SELECT 1"), 1);
  // PostgreSQL: the reply's first message type becomes 0x01; MySQL: the first packet's
  // sequence id becomes 0x42.
  proxy->arm({.direction = Direction::kToClient,
              .action = FaultAction::kCorrupt,
              .offset = pg() ? 0u : 3u,
              .value = pg() ? std::uint8_t{0x01} : std::uint8_t{0x42}});
  const QueryOptions generous{.deadline = ring::deadline_after(20s)};
  EXPECT_THROW(run(db->aio_execute("SELECT 1", {}, generous)), protocol::ProtocolError);
  EXPECT_EQ(proxy->armed(), 0u);
  EXPECT_EQ(db->pool_stats().discarded, 1u);
  EXPECT_EQ(scalar(*db, "SELECT 5"), 5);
  if (pg()) {
    // A length field announcing 256 MiB: over the default cap, refused at once (with a cap
    // of 1 GiB the client would wait for the bytes until the deadline).
    proxy->arm({.direction = Direction::kToClient,
                .action = FaultAction::kCorrupt,
                .offset = 1,
                .value = 0x10});
    const QueryOptions later{.deadline = ring::deadline_after(20s)};
    try {
      run(db->aio_execute("SELECT 1", {}, later));
      ADD_FAILURE() << "a corrupted length went unnoticed";
    } catch (const protocol::ProtocolError& e) {
      EXPECT_EQ(e.code(), protocol::ProtocolErrc::kBadLength) << e.what();
    }
    EXPECT_EQ(scalar(*db, "SELECT 6"), 6);
  }
  expect_settled(*db, 1);
  run(db->aio_close());
}

// A cancel the server did not confirm in time may still arrive later: the connection it was
// meant for must not be reused, or the late cancel hits an innocent later query.
TEST_P(Faults, UnconfirmedCancelDoesNotHitALaterQuery) {
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  EXPECT_EQ(scalar(*db, "SELECT 1"), 1);
  // The CancelRequest (PostgreSQL: length 16, code 80877102) or KILL QUERY (MySQL, on a side
  // connection) is held for 2 s: past the 1 s cancel budget, then delivered.
  const std::string cancel_request =
      pg() ? std::string("\x00\x00\x00\x10\x04\xd2\x16\x2e", 8) : std::string("KILL QUERY");
  proxy->arm({.direction = Direction::kToServer,
              .action = FaultAction::kStall,
              .contains = cancel_request,
              .stall_for = 2s});
  // The query outlives its deadline but ends by itself within the drain budget.
  const QueryOptions soon{.deadline = ring::deadline_after(100ms)};
  EXPECT_THROW(run(db->aio_execute(pg() ? "SELECT pg_sleep(0.3)" : "SELECT SLEEP(0.3)", {}, soon)),
               QueryTimeout);
  EXPECT_EQ(proxy->armed(), 0u);  // the cancel was held
  // Runs while the held cancel is delivered: neither cancelled (PostgreSQL) nor cut short
  // (MySQL's SLEEP returns 1 when killed).
  EXPECT_EQ(
      scalar(*db, pg() ? "SELECT 0::int8 FROM pg_sleep(3)" : "SELECT CAST(SLEEP(3) AS SIGNED)"), 0);
  EXPECT_GE(db->pool_stats().discarded, 1u);
  expect_settled(*db, 1);
  run(db->aio_close());
}

// ---- COMMIT in flight ----

TEST_P(Faults, ConnectionLostDuringCommitIsOutcomeUnknown) {
  auto admin = direct({.min_connections = 0, .max_connections = 1});
  create_table(*admin, "fault_tx");
  auto db = via_proxy({.min_connections = 0, .max_connections = 1});
  auto insert = [&](int id) {
    return db->aio_atomic([&db, id]() -> Task<void> {
      co_await db->aio_execute("INSERT INTO fault_tx (id, v) VALUES (" + std::to_string(id) +
                               ", 0)");
    });
  };

  // COMMIT reaches the server, its reply never comes back: committed, but the caller is told
  // it cannot know.
  proxy->arm({.direction = Direction::kToServer,
              .action = FaultAction::kCutAfterChunk,
              .contains = "COMMIT"});
  EXPECT_THROW(run(insert(1)), TransactionOutcomeUnknown);
  EXPECT_EQ(proxy->armed(), 0u);
  EXPECT_TRUE(eventually(*admin, "SELECT COUNT(*) FROM fault_tx WHERE id = 1", 1));

  // COMMIT never reaches the server: rolled back, and the caller is told the same thing.
  std::int64_t session = 0;
  proxy->arm(
      {.direction = Direction::kToServer, .action = FaultAction::kCut, .contains = "COMMIT"});
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 const ResultSet r = co_await db->aio_execute(session_id_sql());
                 session = r.row(0).get<std::int64_t>(0);
                 co_await db->aio_execute("INSERT INTO fault_tx (id, v) VALUES (2, 0)");
               })),
               TransactionOutcomeUnknown);
  ASSERT_NE(session, 0);
  EXPECT_TRUE(eventually(*admin, session_alive_sql(session), 0));
  EXPECT_EQ(scalar(*admin, "SELECT COUNT(*) FROM fault_tx WHERE id = 2"), 0);

  // A connection lost before COMMIT is plain ConnectionLost: nothing was committed.
  proxy->arm(
      {.direction = Direction::kToServer, .action = FaultAction::kCut, .contains = "INSERT"});
  try {
    run(insert(3));
    ADD_FAILURE() << "the cut INSERT succeeded";
  } catch (const TransactionOutcomeUnknown& e) {
    ADD_FAILURE() << "a transaction lost before COMMIT is not of unknown outcome: " << e.what();
  } catch (const ConnectionLost&) {
  }
  EXPECT_EQ(proxy->armed(), 0u);

  // The pool is healthy: the next block commits.
  run(insert(4));
  EXPECT_EQ(scalar(*admin, "SELECT COUNT(*) FROM fault_tx"), 2);  // 1 and 4
  EXPECT_GE(db->pool_stats().discarded, 3u);
  expect_settled(*db, 1);
  run(db->aio_close());
  run(admin->aio_close());
}

// ---- killed backends, a restarted server ----

// Kills every session of user tern but the caller's and waits until they are gone; returns
// how many. (A pooled connection whose session is still dying would fail its next query:
// the pool's liveness check cannot see a termination that has not happened yet.)
Task<int> kill_other_sessions(AioDatabase& admin, bool pg) {
  if (pg) {
    const ResultSet r = co_await admin.aio_execute(
        "SELECT COUNT(pg_terminate_backend(pid, 10000))::int8 FROM pg_stat_activity WHERE "
        "usename = 'tern' AND pid <> pg_backend_pid()");
    co_return static_cast<int>(r.row(0).get<std::int64_t>(0));
  }
  const ResultSet ids = co_await admin.aio_execute(
      "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE USER = 'tern' AND ID "
      "<> CONNECTION_ID()");
  int killed = 0;
  for (const Row row : ids) {
    const std::string kill = "KILL CONNECTION " + std::to_string(row.get<std::int64_t>(0));
    co_await admin.aio_execute(kill);
    ++killed;
  }
  for (int i = 0; i < 300; ++i) {
    const ResultSet left = co_await admin.aio_execute(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'tern' AND ID <> "
        "CONNECTION_ID()");
    if (left.row(0).get<std::int64_t>(0) == 0) break;
    co_await ring::sleep_for(*ring::Loop::current(), 100ms);
  }
  co_return killed;
}

// Waits until the server shows a running sleep_sql() (30 s at most).
Task<bool> sleeper_running(ring::Loop& loop, AioDatabase& admin, bool pg) {
  const std::string sql =
      pg ? "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND "
           "state = 'active'"
         : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT "
           "SLEEP(60)%'";
  for (int i = 0; i < 300; ++i) {
    const ResultSet r = co_await admin.aio_execute(sql);
    if (r.row(0).get<std::int64_t>(0) > 0) co_return true;
    co_await ring::sleep_for(loop, 100ms);
  }
  co_return false;
}

// Runs sleep_sql() and records how it failed: 1 typed (OperationalError), 2 anything else,
// 3 it did not fail.
Task<void> sleeper(AioDatabase& db, std::string sql, int& outcome) {
  try {
    co_await db.aio_execute(sql);
    outcome = 3;
  } catch (const OperationalError&) {
    outcome = 1;
  } catch (...) {
    outcome = 2;
  }
}

TEST_P(Faults, KilledBusyAndIdleBackendsAreTypedErrorsAndReplaced) {
  auto db = direct({.min_connections = 3, .max_connections = 4});
  auto admin = direct({.min_connections = 0, .max_connections = 1});
  run(db->aio_connect());
  int outcome = 0;
  int killed = 0;
  ring::TaskGroup tasks(loop);
  tasks.spawn(sleeper(*db, sleep_sql(), outcome));
  tasks.spawn([](Faults& t, AioDatabase& a, int& n) -> Task<void> {
    if (co_await sleeper_running(t.loop, a, t.pg())) n = co_await kill_other_sessions(a, t.pg());
  }(*this, *admin, killed));
  run(tasks.join());
  EXPECT_GE(killed, 3);  // the busy one and the idle ones
  EXPECT_EQ(outcome, 1) << "the killed query's error was not typed (2) or missing (3)";
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(scalar(*db, "SELECT 7"), 7);
  EXPECT_GE(db->pool_stats().discarded, 3u);
  expect_settled(*db, 4);
  run(db->aio_close());
  EXPECT_EQ(db->pool_stats().size, 0u);
  run(admin->aio_close());
}

TEST_P(Faults, ServerRestartWithBusyAndIdleConnections) {
  auto db = direct({.min_connections = 3, .max_connections = 4});
  auto admin = direct({.min_connections = 0, .max_connections = 1});
  run(db->aio_connect());
  int outcome = 0;
  std::atomic<int> restart_status{-1};
  std::thread restarter;
  ring::TaskGroup tasks(loop);
  tasks.spawn(sleeper(*db, sleep_sql(), outcome));
  tasks.spawn(
      [](Faults& t, AioDatabase& a, std::atomic<int>& status, std::thread& thread) -> Task<void> {
        if (!co_await sleeper_running(t.loop, a, t.pg())) co_return;
        const std::string script = std::string(TERN_SOURCE_DIR) + "/tests/servers restart " +
                                   server_env("TERN_SERVERS_DIR") + (t.pg() ? " pg" : " mysql");
        thread = std::thread([script, &status] { status = std::system(script.c_str()); });
      }(*this, *admin, restart_status, restarter));
  run(tasks.join());
  ASSERT_TRUE(restarter.joinable()) << "the sleeping query never showed up";
  restarter.join();
  ASSERT_EQ(restart_status.load(), 0);
  EXPECT_EQ(outcome, 1) << "the interrupted query's error was not typed (2) or missing (3)";
  // The idle connections died with the old server: queries get new ones.
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(scalar(*db, "SELECT 8"), 8);
  expect_settled(*db, 4);
  run(db->aio_close());
  EXPECT_EQ(db->pool_stats().size, 0u);
  run(admin->aio_close());
}

// A server that asks for a LOCAL INFILE although the client did not offer CLIENT_LOCAL_FILES
// (the proxy sets the flag in the client's handshake response, so MariaDB asks): the client
// refuses with a typed error, sends no file, and the connection stays usable.
TEST(FaultsMysql, LocalInfileRequestIsRefusedByTheClient) {
  FaultProxy proxy(server_env("TERN_MYSQL_HOST"), server_port("TERN_MYSQL_PORT"));
  mysql::ConnectOptions o = mysql::ConnectOptions::parse(server_env("TERN_MYSQL_URL"));
  o.host = "127.0.0.1";
  o.port = proxy.port();
  o.ssl_mode = mysql::SslMode::kDisabled;
  ASSERT_FALSE(o.allow_local_infile);
  // The handshake response's capability flags start right after its 4-byte header;
  // CLIENT_LOCAL_FILES is bit 7 of their first byte.
  proxy.arm({.direction = Direction::kToServer,
             .action = FaultAction::kCorrupt,
             .offset = 4,
             .value = 0x80,
             .set_bits = true});
  ring::Loop loop;
  mysql::Connection c = ring::sync_wait(loop, mysql::Connection::connect(loop, o));
  EXPECT_EQ(proxy.armed(), 0u);
  ring::sync_wait(loop, c.query("CREATE TEMPORARY TABLE li (a TEXT)"));
  try {
    ring::sync_wait(loop, c.query("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE li"));
    ADD_FAILURE() << "LOAD DATA LOCAL INFILE was not refused";
  } catch (const mysql::ClientError& e) {
    EXPECT_EQ(e.code(), mysql::ClientErrc::kLocalInfileRefused) << e.what();
  }
  EXPECT_TRUE(c.is_usable());
  const auto rows = ring::sync_wait(loop, c.query("SELECT COUNT(*) FROM li"));
  const std::optional<protocol::Bytes> count = rows.at(0).row(0).raw(0);
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(std::string(protocol::as_chars(*count)), "0");
  ring::sync_wait(loop, c.close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Faults, ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "MySQL";
                         });

}  // namespace
}  // namespace tern
