// AioDatabase on the three backends (one parametrized suite): the pool's limits, timeout,
// recycling and recovery from killed backends and a server restart; aio_atomic commit, rollback,
// nested savepoints and isolation; the sync gate; aio_close with connections checked out. On
// SQLite the tests of what only a server has (sessions to kill, a restart, pipelining) skip,
// saying so.
#include "tern/db/database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "database_fixture.hpp"
#include "expect_error.hpp"
#include "tern/db/replicas.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using tern::testing::server_env;

TEST_P(Database, QueriesWithoutConnectingFirst) {
  auto db = make();
  EXPECT_FALSE(db->is_connected());
  const ResultSet r =
      run(db->aio_execute("SELECT " + p(1) + " + 1, " + p(2), {41, std::string("x")}));
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 42);
  EXPECT_EQ(r.row(0).get<std::string>(1), "x");
  EXPECT_TRUE(db->is_connected());
  // Parameters as arguments, inside a coroutine (the form GCC 12 compiles correctly).
  const std::string sql = "SELECT " + p(1) + " * 2, " + p(2);
  EXPECT_EQ(run([](AioDatabase& d, const std::string& q) -> Task<std::int64_t> {
              const ResultSet rows = co_await d.aio_execute(q, 21, std::string("y"));
              co_return rows.row(0).get<std::int64_t>(0);
            }(*db, sql)),
            42);
  run(db->aio_close());
  EXPECT_FALSE(db->is_connected());
}

// The variadic aio_execute keeps up to AioDatabase::kInlineParams values in its frame and puts
// more in a Params: both forms bind every value, in order.
TEST_P(Database, ArgumentsHeldInlineAndBeyond) {
  auto db = make();
  const auto sum_of = [&](int n) {
    std::string sql = "SELECT ";
    for (int i = 1; i <= n; ++i)
      sql += (i > 1 ? " + " : "") + p(i) + " * " + std::to_string(i);
    return sql;
  };
  static_assert(AioDatabase::kInlineParams == 8);
  const std::string eight = sum_of(8), nine = sum_of(9);
  EXPECT_EQ(run([](AioDatabase& d, std::string q) -> Task<std::int64_t> {
              const ResultSet rows = co_await d.aio_execute(q, 1, 2, 3, 4, 5, 6, 7, 8);
              co_return rows.row(0).get<std::int64_t>(0);
            }(*db, eight)),
            204);  // 1*1 + 2*2 + ... + 8*8
  EXPECT_EQ(run([](AioDatabase& d, std::string q) -> Task<std::int64_t> {
              const ResultSet rows = co_await d.aio_execute(q, 1, 2, 3, 4, 5, 6, 7, 8, 9);
              co_return rows.row(0).get<std::int64_t>(0);
            }(*db, nine)),
            285);
  run(db->aio_close());
}

// Runs `f` and checks that it throws the InterfaceError of a database closed by aio_close().
template <class F>
void expect_closed(F&& f) {
  const auto e = testing::thrown<InterfaceError>(std::forward<F>(f));
  if (e) {
    EXPECT_NE(std::string(e->what()).find("database closed; call aio_connect()"), std::string::npos)
        << e->what();
  }
}

// peewee-async: "Terminate pool backend. The pool is closed until you run aio_connect
// manually." Every way to a pooled connection is refused until then; aio_connect() reopens.
TEST_P(Database, ClosedUntilAioConnect) {
  auto db = make({.min_connections = 1, .max_connections = 2});
  EXPECT_EQ(run(db->aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  run(db->aio_close());
  EXPECT_FALSE(db->is_connected());
  expect_closed([&] { run(db->aio_execute("SELECT 2")); });
  expect_closed([&] { run(db->aio_execute("SELECT " + p(1), 3)); });
  expect_closed([&] { run(db->aio_stream("SELECT 4")); });
  expect_closed(
      [&] { run(db->aio_atomic([&]() -> Task<void> { co_await db->aio_execute("SELECT 5"); })); });
  expect_closed([&] {
    run(db->aio_connection([&]() -> Task<void> { co_await db->aio_execute("SELECT 6"); }));
  });
  EXPECT_FALSE(db->is_connected());
  EXPECT_EQ(db->pool_stats().size, 0u);  // nothing was opened by the refused queries
  run(db->aio_close());                  // twice: nothing more to close
  expect_closed([&] { run(db->aio_execute("SELECT 7")); });
  run(db->aio_connect());
  EXPECT_TRUE(db->is_connected());
  EXPECT_EQ(db->pool_stats().size, 1u);  // min_connections, opened again
  EXPECT_EQ(run(db->aio_execute("SELECT 8")).row(0).get<std::int64_t>(0), 8);
  // Closed and reopened again: the cycle repeats.
  run(db->aio_close());
  expect_closed([&] { run(db->aio_execute("SELECT 9")); });
  run(db->aio_connect());
  EXPECT_EQ(run(db->aio_execute("SELECT 10")).row(0).get<std::int64_t>(0), 10);
  run(db->aio_close());
}

// "No need to connect" holds for a database never opened; one closed before its first query
// is closed all the same.
TEST_P(Database, ClosedBeforeFirstUseStaysClosed) {
  auto fresh = make();
  EXPECT_EQ(run(fresh->aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  run(fresh->aio_close());
  auto db = make();
  run(db->aio_close());
  expect_closed([&] { run(db->aio_execute("SELECT 1")); });
  run(db->aio_connect());
  EXPECT_EQ(run(db->aio_execute("SELECT 2")).row(0).get<std::int64_t>(0), 2);
  run(db->aio_close());
}

// The sync path is closed with the database: aio_close() closes its connection too, and
// execute_sql is refused until aio_connect().
TEST_P(Database, SyncQueriesRefusedAfterClose) {
  auto db = make();
  db->set_allow_sync(true);
  const std::string id_sql = session_id_sql();
  const std::int64_t sync_session = db->execute_sql(id_sql).row(0).get<std::int64_t>(0);
  auto admin = make();
  // Whether the sync session is still open, as the server's list of sessions says (SQLite has
  // no such list, its connections being in-process: only the refusal is checked there).
  const auto alive = [&] {
    const std::string sql =
        GetParam() == Dialect::kPostgres
            ? "SELECT count(*) FROM pg_stat_activity WHERE pid = " + p(1)
            : "SELECT count(*) FROM information_schema.processlist WHERE id = " + p(1);
    return run(admin->aio_execute(sql, sync_session)).row(0).get<std::int64_t>(0);
  };
  if (!sqlite()) {
    EXPECT_EQ(alive(), 1);
  }
  run(db->aio_close());
  expect_closed([&] { db->execute_sql("SELECT 1"); });
  // PgBouncer keeps its server connection when a client leaves: the session is seen gone
  // only on a direct connection.
  if (!testing::via_pgbouncer() && !sqlite()) {
    for (int polls = 0; alive() != 0 && polls < 200; ++polls)
      pause(10ms);  // the server notices the closed socket on its own time
    EXPECT_EQ(alive(), 0) << "aio_close() left the sync connection open";
  }
  run(db->aio_connect());
  EXPECT_EQ(db->execute_sql("SELECT 3").row(0).get<std::int64_t>(0), 3);
  run(db->aio_close());
  run(admin->aio_close());
}

// ReadReplicas: the replicas are closed with the primary (reads refused, not routed to the
// primary), and aio_connect() reopens them. The "replica" here is a second pool on the same
// server: what is checked is the routing, not replication (the replicas suite does that).
TEST_P(Database, ReadReplicasClosedUntilAioConnect) {
  std::vector<std::unique_ptr<AioDatabase>> replicas;
  replicas.push_back(make());
  AioDatabase* replica = replicas.back().get();
  std::unique_ptr<AioDatabase> db;
  if (GetParam() == Dialect::kPostgres) {
    db = std::make_unique<ReadReplicas<PooledPostgresqlDatabase>>(
        std::move(replicas), ReplicaOptions{}, testing::pg_url_options(), DatabaseOptions{});
  } else if (sqlite()) {
    db = std::make_unique<ReadReplicas<SqliteDatabase>>(
        std::move(replicas), ReplicaOptions{},
        sqlite::OpenOptions{.path = testing::sqlite_test_path()}, DatabaseOptions{});
  } else {
    db = std::make_unique<ReadReplicas<PooledMySQLDatabase>>(
        std::move(replicas), ReplicaOptions{}, testing::mysql_url_options(), DatabaseOptions{});
  }
  QueryOptions read;
  read.read_only = true;
  EXPECT_EQ(run(db->aio_execute("SELECT 1", {}, read)).row(0).get<std::int64_t>(0), 1);
  EXPECT_EQ(replica->pool_stats().acquired, 1u);
  run(db->aio_close());
  EXPECT_FALSE(replica->is_connected());
  expect_closed([&] { run(db->aio_execute("SELECT 2", {}, read)); });
  expect_closed([&] { run(db->aio_execute("SELECT 3")); });
  run(db->aio_connect());
  EXPECT_EQ(run(db->aio_execute("SELECT 4", {}, read)).row(0).get<std::int64_t>(0), 4);
  EXPECT_EQ(replica->pool_stats().acquired, 2u);  // the read went to the reopened replica
  EXPECT_EQ(run(db->aio_execute("SELECT 5")).row(0).get<std::int64_t>(0), 5);
  run(db->aio_close());
}

TEST_P(Database, FetchResultsCallback) {
  auto db = make();
  const std::size_t n = run(db->aio_execute("SELECT 1 UNION ALL SELECT 2", {},
                                            [](const ResultSet& rows) { return rows.size(); }));
  EXPECT_EQ(n, 2u);
  const std::int64_t sum = run(db->aio_execute("SELECT 3 UNION ALL SELECT 4", {},
                                               [](const ResultSet& rows) -> Task<std::int64_t> {
                                                 std::int64_t s = 0;
                                                 for (const Row row : rows)
                                                   s += row.get<std::int64_t>(0);
                                                 co_return s;
                                               }));
  EXPECT_EQ(sum, 7);
  run(db->aio_close());
}

TEST_P(Database, PoolNeverExceedsMaxUnderAThousandTasks) {
  auto db = make({.min_connections = 2, .max_connections = 5});
  run(db->aio_connect());
  EXPECT_EQ(db->pool_stats().size, 2u);
  std::size_t peak = 0;
  int done = 0;
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 1000; ++i) {
    tasks.spawn([](AioDatabase& d, std::size_t& max_seen, int& finished, int n) -> Task<void> {
      const ResultSet r = co_await d.aio_execute("SELECT " + std::to_string(n));
      max_seen = std::max(max_seen, d.pool_stats().size);
      if (r.row(0).get<std::int64_t>(0) == n) ++finished;
    }(*db, peak, done, i));
  }
  run(tasks.join());
  EXPECT_EQ(done, 1000);
  EXPECT_LE(peak, 5u);
  const PoolStats s = db->pool_stats();
  EXPECT_LE(s.created, 5u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.waiters, 0u);
  EXPECT_EQ(s.acquired, 1000u);
  run(db->aio_close());
}

// Implicit pipelining: many tasks' statements ride two connections, each task still seeing
// its own statements in order.
TEST_P(Database, PipelinedStatementsOfManyTasksShareThePool) {
  auto db =
      make({.min_connections = 0, .max_connections = 2, .pool_params = {.pipeline_depth = 16}});
  int right = 0;
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 300; ++i) {
    tasks.spawn([](AioDatabase& d, std::string sql, int& n, int k) -> Task<void> {
      for (int step = 0; step < 3; ++step) {
        const ResultSet r = co_await d.aio_execute(sql, k, step);
        if (r.row(0).get<std::int64_t>(0) == k * 10 + step) ++n;
      }
    }(*db, "SELECT " + p(1) + " * 10 + " + p(2), right, i));
  }
  run(tasks.join());
  EXPECT_EQ(right, 900);
  const PoolStats s = db->pool_stats();
  EXPECT_LE(s.created, 2u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.shared, 0u);
  EXPECT_EQ(s.acquired, 900u);
  if (sqlite()) {
    EXPECT_EQ(s.pipelined, 0u);  // no pipelining: each connection runs one statement at a time
  } else {
    EXPECT_GT(s.pipelined, 0u);  // both servers pipeline
  }
  run(db->aio_close());
}

// A failing statement among pipelined ones fails only its own caller; the others commit.
TEST_P(Database, PipelinedFailureFailsOnlyItsCaller) {
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pipeline_depth = 8}});
  run(db->aio_execute("DROP TABLE IF EXISTS piped"));
  run(db->aio_execute("CREATE TABLE piped (k INT PRIMARY KEY)"));
  run(db->aio_execute("INSERT INTO piped VALUES (2)"));
  std::vector<std::string> outcome(3);
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 3; ++i) {
    tasks.spawn([](AioDatabase& d, std::string sql, std::string& out, int k) -> Task<void> {
      try {
        co_await d.aio_execute(sql, k + 1);  // 2 is taken
        out = "ok";
      } catch (const IntegrityError&) {
        out = "duplicate";
      }
    }(*db, "INSERT INTO piped VALUES (" + p(1) + ")", outcome[i], i));
  }
  run(tasks.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "duplicate", "ok"}));
  // Each statement with its own parameters, once (on PostgreSQL the others of a failed shared
  // Sync ran again alone, reading their parameters after a suspension).
  const ResultSet keys = run(db->aio_execute("SELECT k FROM piped ORDER BY k"));
  ASSERT_EQ(keys.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(keys.row(i).get<std::int64_t>(0), static_cast<std::int64_t>(i + 1));
  run(db->aio_execute("DROP TABLE piped"));
  run(db->aio_close());
}

TEST_P(Database, AcquireTimeoutIsPoolTimeout) {
  auto db = make({.min_connections = 0, .max_connections = 1, .pool_params = {.timeout = 200ms}});
  ring::TaskGroup tasks(loop);
  ring::Signal held(loop);
  ring::Signal gave_up(loop);
  bool timed_out = false;
  // One task holds the only connection in a transaction until the other, which asks for it
  // only once it is held, has given up waiting.
  tasks.spawn([](AioDatabase& d, ring::Signal& h, ring::Signal& g) -> Task<void> {
    co_await d.aio_atomic([&]() -> Task<void> {
      h.notify();
      co_await g.wait(ring::deadline_after(10s));
    });
  }(*db, held, gave_up));
  tasks.spawn([](AioDatabase& d, ring::Signal& h, ring::Signal& g, bool& flag) -> Task<void> {
    co_await h.wait(ring::deadline_after(10s));
    try {
      co_await d.aio_execute("SELECT 1");
    } catch (const PoolTimeout&) {
      flag = true;
    }
    g.notify();
  }(*db, held, gave_up, timed_out));
  run(tasks.join());
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(db->pool_stats().timeouts, 1u);
  run(db->aio_close());
}

TEST_P(Database, RecycleReplacesOldConnections) {
  if (GetParam() == Dialect::kPostgres) {
    TERN_SKIP_THROUGH_PGBOUNCER(
        "pg_backend_pid() names PgBouncer's server connection of the "
        "moment, not the client connection the pool recycles");
  }
  // Younger than pool_recycle (an hour): reused.
  auto young =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pool_recycle = 1h}});
  const auto kept = run(young->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  EXPECT_EQ(run(young->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0), kept);
  EXPECT_EQ(young->pool_stats().created, 1u);
  run(young->aio_close());
  // Older than pool_recycle: replaced. The connection was made before the first query
  // returned, so once pool_recycle has passed after that it is old enough, however slowly the
  // queries ran (a bound on the clock, not a guess about another party).
  constexpr auto kRecycle = 50ms;
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pool_recycle = kRecycle}});
  const auto first = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  pause(kRecycle);
  EXPECT_NE(run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0), first);
  EXPECT_EQ(db->pool_stats().created, 2u);
  EXPECT_EQ(db->pool_stats().discarded, 1u);
  run(db->aio_close());
}

TEST_P(Database, KilledPooledBackendIsReplaced) {
  if (GetParam() == Dialect::kPostgres) {
    TERN_SKIP_THROUGH_PGBOUNCER(
        "the pool's session is not a server process: PgBouncer hands the "
        "killer the very server connection it kills");
  }
  TERN_SKIP_ON_SQLITE("no session to kill: a connection is a handle in this process");
  auto db = make({.min_connections = 0, .max_connections = 1});
  auto admin = make({.min_connections = 0, .max_connections = 1});
  const auto victim = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  run(admin->aio_execute(kill_sql(victim)));
  // Until the server has ended the session (its FATAL message or its socket shutdown comes
  // before it leaves the process list), so that the pool finds it dead.
  const std::string alive =
      GetParam() == Dialect::kPostgres
          ? "SELECT COUNT(*)::int8 FROM pg_stat_activity WHERE pid = " + std::to_string(victim)
          : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                std::to_string(victim);
  int polls = 0;
  while (run(admin->aio_execute(alive)).row(0).get<std::int64_t>(0) != 0) {
    ASSERT_LT(++polls, 1000) << "session " << victim << " still there after KILL";
    pause(5ms);
  }
  const auto now = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  EXPECT_NE(now, victim);
  EXPECT_GE(db->pool_stats().discarded, 1u);
  run(db->aio_close());
  run(admin->aio_close());
}

// The connection is killed with statements of several tasks in flight on it: each of them
// fails with ConnectionLost (none hangs, none is answered with another's reply), and the pool
// replaces the connection.
TEST_P(Database, KilledConnectionFailsEveryPipelinedStatement) {
  if (GetParam() == Dialect::kPostgres) {
    TERN_SKIP_THROUGH_PGBOUNCER("the pool's session is not a server process behind PgBouncer");
  }
  TERN_SKIP_ON_SQLITE("no session to kill and no pipelining");
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pipeline_depth = 8}});
  auto admin = make({.min_connections = 0, .max_connections = 1});
  const auto victim = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  const std::string sleep =
      GetParam() == Dialect::kPostgres ? "SELECT pg_sleep(30)::text" : "SELECT SLEEP(30)";
  std::vector<std::string> outcome(6);
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 6; ++i) {
    tasks.spawn([](AioDatabase& d, std::string sql, std::string& out) -> Task<void> {
      try {
        co_await d.aio_execute(sql);
        out = "answered";
      } catch (const ConnectionLost&) {
        out = "lost";
      }
    }(*db, sleep, outcome[i]));
  }
  // Until the first sleep runs on the server and the others ride the same connection.
  const std::string running =
      GetParam() == Dialect::kPostgres
          ? "SELECT COUNT(*)::int8 FROM pg_stat_activity WHERE pid = " + std::to_string(victim) +
                " AND state = 'active'"
          : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                std::to_string(victim) + " AND INFO LIKE 'SELECT SLEEP%'";
  int polls = 0;
  while (run(admin->aio_execute(running)).row(0).get<std::int64_t>(0) != 1 ||
         db->pool_stats().pipelined < 5) {
    ASSERT_LT(++polls, 1000) << "the statements never got in flight";
    pause(5ms);
  }
  run(admin->aio_execute(kill_sql(victim)));
  run(tasks.join());
  EXPECT_EQ(outcome, std::vector<std::string>(6, "lost"));
  const auto now = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  EXPECT_NE(now, victim);
  EXPECT_EQ(db->pool_stats().returned_broken, 1u);
  run(db->aio_close());
  run(admin->aio_close());
}

TEST_P(Database, SurvivesAServerRestart) {
  TERN_SKIP_ON_SQLITE("no server to restart");
  auto db = make({.min_connections = 2, .max_connections = 3});
  run(db->aio_connect());
  EXPECT_EQ(run(db->aio_execute("SELECT 1")).row(0).get<std::int64_t>(0), 1);
  const std::string cmd = "tests/servers restart " + server_env("TERN_SERVERS_DIR") + " " +
                          (GetParam() == Dialect::kPostgres ? "pg" : "mysql");
  const std::string script = std::string(TERN_SOURCE_DIR) + "/" + cmd;
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  // The idle connections died with the old server; queries go to new ones.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(run(db->aio_execute("SELECT 2")).row(0).get<std::int64_t>(0), 2);
  }
  run(db->aio_close());
}

TEST_P(Database, AtomicCommitsAndRollsBack) {
  auto db = make();
  create_table(*db, "tx_basic");
  run(db->aio_atomic([&]() -> Task<void> {
    co_await db->aio_execute("INSERT INTO tx_basic VALUES (1, 10)");
    co_await db->aio_execute("INSERT INTO tx_basic VALUES (2, 20)");
  }));
  EXPECT_EQ(count(*db, "tx_basic"), 2);
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 co_await db->aio_execute("INSERT INTO tx_basic VALUES (3, 30)");
                 throw std::runtime_error("changed my mind");
               })),
               std::runtime_error);
  EXPECT_EQ(count(*db, "tx_basic"), 2);
  // A server error inside rolls back too, and the value of a block comes back.
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 co_await db->aio_execute("INSERT INTO tx_basic VALUES (4, 40)");
                 co_await db->aio_execute("INSERT INTO tx_basic VALUES (1, 10)");
               })),
               IntegrityError);
  EXPECT_EQ(count(*db, "tx_basic"), 2);
  const int v = run(db->aio_atomic([&]() -> Task<int> {
    const ResultSet r = co_await db->aio_execute("SELECT v FROM tx_basic WHERE id = 2");
    co_return static_cast<int>(r.row(0).get<std::int64_t>(0));
  }));
  EXPECT_EQ(v, 20);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE tx_basic"));
  run(db->aio_close());
}

TEST_P(Database, NestedSavepointsRollBackPartially) {
  auto db = make();
  create_table(*db, "tx_nested");
  run(db->aio_atomic([&]() -> Task<void> {
    co_await db->aio_execute("INSERT INTO tx_nested VALUES (1, 1)");
    co_await db->aio_atomic([&]() -> Task<void> {
      co_await db->aio_execute("INSERT INTO tx_nested VALUES (2, 2)");
      try {
        co_await db->aio_atomic([&]() -> Task<void> {
          co_await db->aio_execute("INSERT INTO tx_nested VALUES (3, 3)");
          throw std::runtime_error("level 3 fails");
        });
      } catch (const std::runtime_error&) {
      }
      // A helper coroutine awaited inside the block uses the same connection and transaction.
      co_await [](AioDatabase& d) -> Task<void> {
        co_await d.aio_execute("INSERT INTO tx_nested VALUES (4, 4)");
      }(*db);
    });
  }));
  const ResultSet r = run(db->aio_execute("SELECT id FROM tx_nested ORDER BY id"));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 1);
  EXPECT_EQ(r.row(1).get<std::int64_t>(0), 2);
  EXPECT_EQ(r.row(2).get<std::int64_t>(0), 4);
  run(db->aio_execute("DROP TABLE tx_nested"));
  run(db->aio_close());
}

TEST_P(Database, ChildTasksShareTheBlocksConnectionInTurn) {
  auto db = make({.min_connections = 0, .max_connections = 2});
  create_table(*db, "tx_children");
  // Children spawned inside the block run their statements in its transaction, one at a time.
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 ring::TaskGroup children(loop);
                 for (int i = 1; i <= 10; ++i) {
                   co_await spawn(children, [](AioDatabase& d, std::string sql) -> Task<void> {
                     co_await d.aio_execute(sql);
                   }(*db, "INSERT INTO tx_children VALUES (" + std::to_string(i) + ", 0)"));
                 }
                 co_await children.join();
                 const ResultSet r = co_await db->aio_execute("SELECT COUNT(*) FROM tx_children");
                 EXPECT_EQ(r.row(0).get<std::int64_t>(0), 10);
                 throw std::runtime_error("roll them all back");
               })),
               std::runtime_error);
  EXPECT_EQ(count(*db, "tx_children"), 0);
  // A child still running after its block ended gets a clear error, not a pooled connection.
  // The child waits for the block's end (its COMMIT done), signalled explicitly.
  ring::TaskGroup late(loop);
  ring::Signal block_ended(loop);
  bool refused = false;
  run(db->aio_atomic([&]() -> Task<void> {
    co_await spawn(late, [](AioDatabase& d, ring::Signal& ended, bool& flag) -> Task<void> {
      const bool woken = co_await ended.wait(ring::deadline_after(10s));  // (no co_await in macros)
      EXPECT_TRUE(woken);
      try {
        co_await d.aio_execute("INSERT INTO tx_children VALUES (99, 0)");
      } catch (const InterfaceError&) {
        flag = true;
      }
    }(*db, block_ended, refused));
  }));
  block_ended.notify();
  run(late.join());
  EXPECT_TRUE(refused);
  EXPECT_EQ(count(*db, "tx_children"), 0);
  run(db->aio_execute("DROP TABLE tx_children"));
  run(db->aio_close());
}

// Children pipeline their statements on the block's connection, each child's in its own
// order; a stream one of them opens waits until the statements in flight are done, and the
// COMMIT until every child's are.
TEST_P(Database, ChildTasksPipelineOnTheBlocksConnection) {
  auto db = make({.min_connections = 0, .max_connections = 1});
  create_table(*db, "tx_piped");
  std::vector<std::int64_t> last_seen(8, -1);
  std::size_t streamed = 0;
  run(db->aio_atomic([&]() -> Task<void> {
    ring::TaskGroup children(loop);
    for (int c = 0; c < 8; ++c) {
      co_await spawn(children,
                     [](AioDatabase& d, std::string ins, std::string sel, int child,
                        std::int64_t& seen) -> Task<void> {
                       for (int i = 0; i < 5; ++i) {
                         co_await d.aio_execute(ins, child * 10 + i, child);
                         // Its own insert is visible at once: the child's statements keep their
                         // order.
                         const ResultSet r = co_await d.aio_execute(sel, child);
                         seen = r.row(0).get<std::int64_t>(0);
                         if (seen != i + 1) co_return;
                       }
                     }(*db, "INSERT INTO tx_piped VALUES (" + p(1) + ", " + p(2) + ")",
                                            "SELECT COUNT(*) FROM tx_piped WHERE v = " + p(1), c,
                                            last_seen[c]));
    }
    co_await spawn(children, [](AioDatabase& d, std::size_t& n) -> Task<void> {
      RowStream stream = co_await d.aio_stream("SELECT id FROM tx_piped", {}, 10);
      while (std::optional<ResultSet> batch = co_await stream.next())
        n += batch->size();
    }(*db, streamed));
    co_await children.join();
  }));
  EXPECT_EQ(last_seen, std::vector<std::int64_t>(8, 5));
  EXPECT_LE(streamed, 40u);
  EXPECT_EQ(count(*db, "tx_piped"), 40);
  // A child's failing statement aborts the block's transaction: nothing commits.
  EXPECT_THROW(
      run(db->aio_atomic([&]() -> Task<void> {
        ring::TaskGroup children(loop);
        for (int c = 0; c < 4; ++c) {
          co_await spawn(children, [](AioDatabase& d, std::string ins, int id) -> Task<void> {
            co_await d.aio_execute(ins, id, 0);
          }(*db, "INSERT INTO tx_piped VALUES (" + p(1) + ", " + p(2) + ")", c == 2 ? 1 : 100 + c));
        }
        co_await children.join();
      })),
      IntegrityError);
  EXPECT_EQ(count(*db, "tx_piped"), 40);
  run(db->aio_execute("DROP TABLE tx_piped"));
  run(db->aio_close());
}

// With pipelining, a raw BEGIN on a shared connection would put other tasks' statements in its
// transaction, rolled back when the connection returns: those statements fail instead of
// looking committed, and nothing of theirs remains.
TEST_P(Database, StatementsCaughtInARawBeginOnASharedConnectionFail) {
  TERN_SKIP_ON_SQLITE("no pipelining: a connection is never shared by tasks' statements");
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pipeline_depth = 8}});
  create_table(*db, "tx_raw");
  std::vector<std::string> outcome(4);
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 4; ++i) {
    tasks.spawn(
        [](AioDatabase& d, std::string sql,
           std::string& out) -> Task<void> {
          try {
            co_await d.aio_execute(sql);
            out = "ok";
          } catch (const InterfaceError&) {
            out = "refused";
          }
        }(*db,
                             i == 0 ? std::string("BEGIN")
                                    : "INSERT INTO tx_raw VALUES (" + std::to_string(i) + ", 0)",
                             outcome[i]));
  }
  run(tasks.join());
  EXPECT_EQ(outcome, std::vector<std::string>(4, "refused"));
  EXPECT_EQ(count(*db, "tx_raw"), 0);
  run(db->aio_execute("DROP TABLE tx_raw"));
  run(db->aio_close());
}

TEST_P(Database, ConcurrentTransactionsAreIsolated) {
  auto db = make({.min_connections = 0, .max_connections = 4});
  create_table(*db, "tx_iso");
  ring::Signal inserted(loop);
  ring::Signal checked(loop);
  std::int64_t seen_by_other = -1;
  ring::TaskGroup tasks(loop);
  tasks.spawn([](AioDatabase& d, ring::Signal& in, ring::Signal& ch) -> Task<void> {
    co_await d.aio_atomic([&]() -> Task<void> {
      co_await d.aio_execute("INSERT INTO tx_iso VALUES (1, 1)");
      in.notify();
      co_await ch.wait(ring::deadline_after(10s));
    });
  }(*db, inserted, checked));
  tasks.spawn(
      [](AioDatabase& d, ring::Signal& in, ring::Signal& ch, std::int64_t& seen) -> Task<void> {
        co_await in.wait(ring::deadline_after(10s));
        // SQLite has one writer at a time: a second write transaction would wait for the
        // first's lock, which is held until this one ends. A read-only one reads beside it.
        const TransactionOptions options{.read_only = d.dialect() == Dialect::kSqlite};
        co_await d.aio_atomic(options, [&]() -> Task<void> {
          const ResultSet r = co_await d.aio_execute("SELECT COUNT(*) FROM tx_iso");
          seen = r.row(0).get<std::int64_t>(0);
        });
        ch.notify();
      }(*db, inserted, checked, seen_by_other));
  run(tasks.join());
  EXPECT_EQ(seen_by_other, 0);  // not committed yet when the other looked
  EXPECT_EQ(count(*db, "tx_iso"), 1);
  run(db->aio_execute("DROP TABLE tx_iso"));
  run(db->aio_close());
}

TEST_P(Database, ConnectionLeftInATransactionIsRolledBackBeforeReuse) {
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pipeline_depth = 1}});
  create_table(*db, "tx_left");
  run(db->aio_execute("BEGIN"));  // outside aio_atomic: the pool must not hand this on as is
  run(db->aio_execute("INSERT INTO tx_left VALUES (1, 1)"));  // autocommitted
  auto other = make({.min_connections = 0, .max_connections = 1});
  EXPECT_EQ(count(*other, "tx_left"), 1);
  run(db->aio_execute("DROP TABLE tx_left"));
  run(db->aio_close());
  run(other->aio_close());
}

TEST_P(Database, SyncGate) {
  auto db = make();
  try {
    db->execute_sql("SELECT 1");
    FAIL() << "a sync query ran while forbidden";
  } catch (const InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("allow_sync"), std::string::npos);
  }
  {
    auto sync = db->allow_sync();
    EXPECT_EQ(db->execute_sql("SELECT " + p(1) + " * 2", {21}).row(0).get<std::int64_t>(0), 42);
  }
  EXPECT_THROW(db->execute_sql("SELECT 1"), InterfaceError);
  db->set_allow_sync(true);
  EXPECT_EQ(db->execute_sql("SELECT 5").row(0).get<std::int64_t>(0), 5);
  // A sync query inside async code uses its own connection and loop.
  EXPECT_EQ(run([](AioDatabase& d) -> Task<std::int64_t> {
              co_await d.aio_execute("SELECT 1");
              co_return d.execute_sql("SELECT 6").row(0).get<std::int64_t>(0);
            }(*db)),
            6);
  run(db->aio_close());
}

TEST_P(Database, CloseWaitsForCheckedOutConnections) {
  auto db = make({.min_connections = 1, .max_connections = 2});
  run(db->aio_connect());
  bool finished = false;
  ring::TaskGroup tasks(loop);
  ring::Signal in_transaction(loop);
  ring::Signal closing(loop);
  // The transaction goes on only once aio_close has started (it runs up to its wait for the
  // checked-out connection before the notified task resumes: one thread, one loop).
  tasks.spawn([](AioDatabase& d, ring::Signal& in, ring::Signal& cl, bool& flag) -> Task<void> {
    co_await d.aio_atomic([&]() -> Task<void> {
      co_await d.aio_execute("SELECT 1");
      in.notify();
      const bool woken = co_await cl.wait(ring::deadline_after(10s));
      EXPECT_TRUE(woken);
      co_await d.aio_execute("SELECT 2");
    });
    flag = true;
  }(*db, in_transaction, closing, finished));
  run([](AioDatabase& d, ring::Signal& in, ring::Signal& cl) -> Task<void> {
    const bool woken = co_await in.wait(ring::deadline_after(10s));
    EXPECT_TRUE(woken);
    cl.notify();
    co_await d.aio_close();
  }(*db, in_transaction, closing));
  EXPECT_TRUE(finished);  // close waited for the transaction to end
  EXPECT_FALSE(db->is_connected());
  EXPECT_EQ(db->pool_stats().size, 0u);
  run(tasks.join());
}

// The numbers 1..n as rows of one int8 column `n`.
std::string numbers(Dialect d, int n) {
  return d == Dialect::kPostgres
             ? "SELECT x::int8 AS n FROM generate_series(1, " + std::to_string(n) + ") AS x"
         : d == Dialect::kSqlite
             ? "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < " +
                   std::to_string(n) + ") SELECT n FROM s"
             : "SELECT CAST(seq AS SIGNED) AS n FROM seq_1_to_" + std::to_string(n);
}

TEST_P(Database, StreamReadsInBatchesWithoutHoldingTheWhole) {
  auto db = make({.min_connections = 0, .max_connections = 1});
  const std::string sql = numbers(GetParam(), 100000) + " ORDER BY n";
  const auto [n_batches, total, biggest, held] = run(
      [](AioDatabase& d,
         const std::string& q) -> Task<std::tuple<int, std::int64_t, std::size_t, std::size_t>> {
        RowStream rows = co_await d.aio_stream(q, {}, 1000);
        int batches = 0;
        std::int64_t sum = 0;
        std::size_t largest = 0;
        const std::size_t in_use = d.pool_stats().in_use;
        while (std::optional<ResultSet> batch = co_await rows.next()) {
          ++batches;
          largest = std::max(largest, batch->size());
          for (const Row row : *batch)
            sum += row.get<std::int64_t>(0);
        }
        co_return std::tuple(batches, sum, largest, in_use);
      }(*db, sql));
  EXPECT_EQ(total, 100000LL * 100001 / 2);
  EXPECT_LE(biggest, 1000u);
  EXPECT_GE(n_batches, 100);
  EXPECT_EQ(held, 1u);                     // the stream held the connection...
  EXPECT_EQ(db->pool_stats().in_use, 0u);  // ...and gave it back at the end
  EXPECT_EQ(run(db->aio_execute("SELECT 5")).row(0).get<std::int64_t>(0), 5);
  run(db->aio_close());
}

TEST_P(Database, StreamClosedOrDroppedEarlyLeavesThePoolHealthy) {
  auto db = make({.min_connections = 0, .max_connections = 1});
  const std::string sql = numbers(GetParam(), 50000);
  // Closed after one batch.
  run([](AioDatabase& d, const std::string& q) -> Task<void> {
    RowStream rows = co_await d.aio_stream(q, {}, 100);
    const std::optional<ResultSet> first = co_await rows.next();
    EXPECT_EQ(first->size(), 100u);
    co_await rows.aio_close();
    EXPECT_FALSE((co_await rows.next()).has_value());
  }(*db, sql));
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  EXPECT_EQ(run(db->aio_execute("SELECT 6")).row(0).get<std::int64_t>(0), 6);
  // Dropped without a close: the pool cleans the connection up before reusing it.
  run([](AioDatabase& d, const std::string& q) -> Task<void> {
    RowStream rows = co_await d.aio_stream(q, {}, 100);
    co_await rows.next();
  }(*db, sql));
  EXPECT_EQ(run(db->aio_execute("SELECT 7")).row(0).get<std::int64_t>(0), 7);
  const PoolStats s = db->pool_stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_LE(s.created, 1u);  // the same connection all along: cleaned, not discarded
  run(db->aio_close());
}

// A syntax error says where through the database layer too: PostgreSQL's position becomes
// psql's LINE/caret lines (statements and row streams), MySQL's message says "near ...".
TEST_P(Database, SyntaxErrorsSayWhere) {
  auto db = make();
  const bool pg = GetParam() == Dialect::kPostgres;
  const std::string where = pg         ? "\nLINE 1: SELECT * FRM numbers_x\n                 ^"
                            : sqlite() ? "near \"FRM\": syntax error"
                                       : "near 'FRM numbers_x'";
  try {
    run(db->aio_execute("SELECT * FRM numbers_x"));
    ADD_FAILURE() << "no error";
  } catch (const ProgrammingError& e) {
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
  }
  try {
    run(db->aio_stream("SELECT * FRM numbers_x", {}, 10));
    ADD_FAILURE() << "no error";
  } catch (const ProgrammingError& e) {
    EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
  }
  run(db->aio_close());
}

TEST_P(Database, StreamInsideAtomicBlock) {
  auto db = make({.min_connections = 0, .max_connections = 2});
  create_table(*db, "streamed");
  const std::string sql = numbers(GetParam(), 300);
  const std::string insert = "INSERT INTO streamed (id, v) VALUES (" + p(1) + ", " + p(2) + ")";
  const std::int64_t copied = run(db->aio_atomic([&]() -> Task<std::int64_t> {
    RowStream rows = co_await db->aio_stream(sql, {}, 64);
    // Its own statements while its stream holds the block's connection: refused, not a hang.
    bool refused = false;
    try {
      co_await db->aio_execute("SELECT 1");
    } catch (const InterfaceError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    std::vector<std::int64_t> seen;
    while (std::optional<ResultSet> batch = co_await rows.next()) {
      for (const Row row : *batch)
        seen.push_back(row.get<std::int64_t>(0));
    }
    for (const std::int64_t n : seen)
      co_await db->aio_execute(insert, n, n * 2);
    // A stream dropped half-read inside the block: closed before the next statement.
    {
      RowStream again = co_await db->aio_stream(sql, {}, 10);
      co_await again.next();
    }
    const ResultSet c = co_await db->aio_execute("SELECT COUNT(*) FROM streamed");
    co_return c.row(0).get<std::int64_t>(0);
  }));
  EXPECT_EQ(copied, 300);
  EXPECT_EQ(count(*db, "streamed"), 300);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE streamed"));
  run(db->aio_close());
}

TEST_P(Database, StreamErrorMidWayIsTypedAndThePoolRecovers) {
  auto db = make({.min_connections = 0, .max_connections = 1});
  // At row 500 a scalar subquery returns two rows (SQLSTATE 21000; SQLite: a blob past its
  // length limit, SQLITE_TOOBIG): the first batches arrive, then the error.
  const std::string sql =
      GetParam() == Dialect::kPostgres
          ? "SELECT (SELECT 1 FROM generate_series(1, CASE WHEN x = 500 THEN 2 ELSE 1 END)) "
            "FROM generate_series(1, 1000) AS x"
      : sqlite() ? "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 1000) "
                   "SELECT CASE WHEN x = 500 THEN zeroblob(2000000000) ELSE 1 END FROM s"
                 : "SELECT (SELECT 1 FROM seq_1_to_2 WHERE seq <= IF(x.seq = 500, 2, 1)) "
                   "FROM seq_1_to_1000 AS x";
  const int batches_before_error = run([](AioDatabase& d, const std::string& q) -> Task<int> {
    RowStream rows = co_await d.aio_stream(q, {}, 100);
    int batches = 0;
    try {
      while (co_await rows.next())
        ++batches;
    } catch (const DataError&) {
      co_return batches;
    }
    co_return -1;
  }(*db, sql));
  EXPECT_EQ(batches_before_error, 4);
  EXPECT_EQ(run(db->aio_execute("SELECT 8")).row(0).get<std::int64_t>(0), 8);
  EXPECT_EQ(db->pool_stats().created, 1u);  // kept: the stream ended cleanly on the error
  run(db->aio_close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Database,
                         ::testing::Values(Dialect::kPostgres, Dialect::kMysql, Dialect::kSqlite),
                         testing::backend_name);

}  // namespace
}  // namespace tern
