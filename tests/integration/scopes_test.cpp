// peewee-async 2.x's connection scopes and transactions on the three backends: aio_connection,
// aio_transaction (never nests), aio_begin / aio_savepoint, transaction options (isolation, read
// only, deferrable), transaction_test_case, the query hook, introspection, cancellation safety,
// and the transaction behaviours of peewee-async's own suite. On SQLite the tests of what it
// lacks (sessions to kill, sleep, concurrent writers) skip, saying so.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "database_fixture.hpp"
#include "expect_error.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;

class Scopes : public Database {
 protected:
  std::int64_t session_id(AioDatabase& db) {
    return run(db.aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  }
  bool pg() const { return GetParam() == Dialect::kPostgres; }
  // Reads row 1 of sc_iso twice in a transaction with `options` while `other` commits
  // `update` in between; returns whether the second read saw it.
  bool second_read_sees_commit(AioDatabase& db, AioDatabase& other, TransactionOptions options,
                               const std::string& update) {
    return run(db.aio_atomic(options, [&]() -> Task<bool> {
      const ResultSet first = co_await db.aio_execute("SELECT v FROM sc_iso WHERE id = 1");
      co_await other.aio_execute(update);
      const ResultSet second = co_await db.aio_execute("SELECT v FROM sc_iso WHERE id = 1");
      co_return first.row(0).get<std::int64_t>(0) != second.row(0).get<std::int64_t>(0);
    }));
  }
};

Task<std::int64_t> session_of(AioDatabase& db, std::string sql) {
  const ResultSet r = co_await db.aio_execute(sql);
  co_return r.row(0).get<std::int64_t>(0);
}

TEST_P(Scopes, ConnectionScopeKeepsOneConnectionAndNests) {
  auto db = make({.min_connections = 0, .max_connections = 4});
  std::vector<std::int64_t> ids;
  run(db->aio_connection([&]() -> Task<void> {
    ids.push_back(co_await session_of(*db, session_id_sql()));
    // Session state survives between the scope's statements.
    // (SQLite's session state: a temporary table, seen by its connection only.)
    co_await db->aio_execute(pg()       ? "SET application_name = 'tern_scope'"
                             : sqlite() ? "CREATE TEMP TABLE sc_scope AS SELECT 'tern_scope' AS v"
                                        : "SET @tern_scope = 'tern_scope'");
    co_await db->aio_connection(
        [&]() -> Task<void> { ids.push_back(co_await session_of(*db, session_id_sql())); });
    const ResultSet r = co_await db->aio_execute(pg() ? "SELECT current_setting('application_name')"
                                                 : sqlite() ? "SELECT v FROM temp.sc_scope"
                                                            : "SELECT @tern_scope");
    EXPECT_EQ(r.row(0).get<std::string>(0), "tern_scope");
    ids.push_back(co_await session_of(*db, session_id_sql()));
    EXPECT_EQ(db->pool_stats().in_use, 1u);
  }));
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0], ids[2]);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_close());
}

TEST_P(Scopes, AtomicInsideAConnectionScopeBeginsOnItsConnection) {
  auto db = make({.min_connections = 0, .max_connections = 4});
  create_table(*db, "sc_atomic");
  auto other = make();
  run(db->aio_connection([&]() -> Task<void> {
    const std::int64_t before = co_await session_of(*db, session_id_sql());
    std::int64_t inside = 0;
    co_await db->aio_atomic([&]() -> Task<void> {
      inside = co_await session_of(*db, session_id_sql());
      co_await db->aio_execute("INSERT INTO sc_atomic VALUES (1, 1)");
      // Not committed yet: another connection does not see it.
      const ResultSet r = co_await other->aio_execute("SELECT COUNT(*) FROM sc_atomic");
      EXPECT_EQ(r.row(0).get<std::int64_t>(0), 0);
    });
    EXPECT_EQ(before, inside);
    try {
      co_await db->aio_atomic([&]() -> Task<void> {
        co_await db->aio_execute("INSERT INTO sc_atomic VALUES (2, 2)");
        throw std::runtime_error("roll back");
      });
    } catch (const std::runtime_error&) {
    }
    // Back in autocommit: visible to others at once.
    co_await db->aio_execute("INSERT INTO sc_atomic VALUES (3, 3)");
    const ResultSet r = co_await other->aio_execute("SELECT COUNT(*) FROM sc_atomic");
    EXPECT_EQ(r.row(0).get<std::int64_t>(0), 2);
  }));
  EXPECT_EQ(count(*db, "sc_atomic"), 2);
  run(db->aio_execute("DROP TABLE sc_atomic"));
  run(db->aio_close());
  run(other->aio_close());
}

TEST_P(Scopes, TransactionNeverNestsAndTheOuterRollsBack) {
  auto db = make();
  create_table(*db, "sc_tx");
  EXPECT_THROW(run(db->aio_transaction([&]() -> Task<void> {
                 co_await db->aio_execute("INSERT INTO sc_tx VALUES (1, 1)");
                 co_await db->aio_transaction([&]() -> Task<void> {
                   co_await db->aio_execute("INSERT INTO sc_tx VALUES (2, 2)");
                 });
               })),
               OperationalError);
  EXPECT_EQ(count(*db, "sc_tx"), 0);
  // aio_atomic inside aio_transaction is a savepoint.
  run(db->aio_transaction([&]() -> Task<void> {
    co_await db->aio_execute("INSERT INTO sc_tx VALUES (1, 1)");
    try {
      co_await db->aio_atomic([&]() -> Task<void> {
        co_await db->aio_execute("INSERT INTO sc_tx VALUES (2, 2)");
        throw std::runtime_error("only the savepoint");
      });
    } catch (const std::runtime_error&) {
    }
  }));
  EXPECT_EQ(count(*db, "sc_tx"), 1);
  // Nor does it nest inside aio_atomic.
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 co_await db->aio_transaction([]() -> Task<void> { co_return; });
               })),
               OperationalError);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_tx"));
  run(db->aio_close());
}

TEST_P(Scopes, ManualBeginAndSavepoints) {
  auto db = make();
  create_table(*db, "sc_manual");
  EXPECT_THROW(run(db->aio_begin()), OperationalError);
  EXPECT_THROW(run(db->aio_savepoint()), OperationalError);
  run(db->aio_connection([&]() -> Task<void> {
    bool refused = false;
    try {
      co_await db->aio_savepoint();  // no transaction yet
    } catch (const OperationalError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    Transaction tx = co_await db->aio_begin();
    co_await db->aio_execute("INSERT INTO sc_manual VALUES (1, 1)");
    refused = false;
    try {
      co_await db->aio_begin();  // already open
    } catch (const OperationalError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    Transaction sp = co_await db->aio_savepoint();
    co_await db->aio_execute("INSERT INTO sc_manual VALUES (2, 2)");
    co_await sp.rollback();
    EXPECT_FALSE(sp.is_active());
    Transaction sp2 = co_await db->aio_savepoint();
    co_await db->aio_execute("INSERT INTO sc_manual VALUES (3, 3)");
    co_await sp2.commit();
    // An aio_atomic block inside the manual transaction is a savepoint, not a second BEGIN.
    co_await db->aio_atomic(
        [&]() -> Task<void> { co_await db->aio_execute("INSERT INTO sc_manual VALUES (4, 4)"); });
    co_await tx.commit();
    refused = false;
    try {
      co_await tx.commit();
    } catch (const InterfaceError&) {
      refused = true;
    }
    EXPECT_TRUE(refused);
    // A transaction left open when the scope ends is rolled back.
    Transaction left = co_await db->aio_begin();
    co_await db->aio_execute("INSERT INTO sc_manual VALUES (5, 5)");
  }));
  const ResultSet r = run(db->aio_execute("SELECT id FROM sc_manual ORDER BY id"));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 1);
  EXPECT_EQ(r.row(1).get<std::int64_t>(0), 3);
  EXPECT_EQ(r.row(2).get<std::int64_t>(0), 4);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_manual"));
  run(db->aio_close());
}

TEST_P(Scopes, TransactionOptionsReachTheServer) {
  auto db = make();
  auto other = make();
  create_table(*db, "sc_iso");
  run(db->aio_execute("INSERT INTO sc_iso VALUES (1, 0)"));
  if (sqlite()) {
    // Every level is serializable: a read-only transaction (BEGIN DEFERRED; a writing one
    // would keep `other` out) reads one snapshot while `other` commits beside it (WAL).
    for (const IsolationLevel level :
         {IsolationLevel::kReadCommitted, IsolationLevel::kRepeatableRead}) {
      EXPECT_FALSE(second_read_sees_commit(*db, *other, {.isolation = level, .read_only = true},
                                           "UPDATE sc_iso SET v = v + 1 WHERE id = 1"));
    }
    // Read only: writes are refused (query_only: SQLITE_READONLY, an OperationalError as
    // Python's sqlite3 says), and the next transaction writes again.
    EXPECT_THROW(run(db->aio_atomic({.read_only = true},
                                    [&]() -> Task<void> {
                                      co_await db->aio_execute("INSERT INTO sc_iso VALUES (2, 0)");
                                    })),
                 OperationalError);
    run(db->aio_atomic(
        [&]() -> Task<void> { co_await db->aio_execute("INSERT INTO sc_iso VALUES (3, 0)"); }));
    EXPECT_EQ(count(*db, "sc_iso"), 2);
  }
  // Behaviour, not settings: READ COMMITTED sees a concurrent commit, REPEATABLE READ does not
  // (on both servers, whatever their default).
  if (!sqlite()) {
    EXPECT_TRUE(second_read_sees_commit(*db, *other, {.isolation = IsolationLevel::kReadCommitted},
                                        "UPDATE sc_iso SET v = 1 WHERE id = 1"));
    EXPECT_FALSE(second_read_sees_commit(*db, *other,
                                         {.isolation = IsolationLevel::kRepeatableRead},
                                         "UPDATE sc_iso SET v = 2 WHERE id = 1"));
    // Read only: writes are refused by the server (25006 read_only_sql_transaction; MariaDB's
    // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, 1792).
    testing::expect_server_error(testing::thrown<InternalError>([&] {
                                   run(db->aio_atomic({.read_only = true}, [&]() -> Task<void> {
                                     co_await db->aio_execute("INSERT INTO sc_iso VALUES (2, 0)");
                                   }));
                                 }),
                                 "25006", pg() ? 0 : 1792);
    EXPECT_EQ(count(*db, "sc_iso"), 1);
  }
  const TransactionOptions deferrable{
      .isolation = IsolationLevel::kSerializable, .read_only = true, .deferrable = true};
  if (pg()) {
    const std::string level = run(db->aio_atomic(deferrable, [&]() -> Task<std::string> {
      const ResultSet r = co_await db->aio_execute("SHOW transaction_isolation");
      co_return r.row(0).get<std::string>(0);
    }));
    EXPECT_EQ(level, "serializable");
  } else {
    EXPECT_THROW(run(db->aio_atomic(deferrable, []() -> Task<void> { co_return; })),
                 NotSupportedError);
  }
  // Options on a block that can only be a savepoint are refused.
  EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                 co_await db->aio_atomic({.read_only = true}, []() -> Task<void> { co_return; });
               })),
               InterfaceError);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_iso"));
  run(db->aio_close());
  run(other->aio_close());
}

TEST_P(Scopes, TransactionTestCaseAlwaysRollsBackAndRefusesTransactions) {
  auto db = make();
  create_table(*db, "sc_testcase");
  const std::int64_t seen = run(db->transaction_test_case([&]() -> Task<std::int64_t> {
    co_await db->aio_execute("INSERT INTO sc_testcase VALUES (1, 1)");
    co_await db->aio_execute("INSERT INTO sc_testcase VALUES (2, 2)");
    for (int which = 0; which < 4; ++which) {
      bool refused = false;
      try {
        if (which == 0) co_await db->aio_atomic([]() -> Task<void> { co_return; });
        if (which == 1) co_await db->aio_transaction([]() -> Task<void> { co_return; });
        if (which == 2) co_await db->aio_begin();
        if (which == 3) co_await db->aio_savepoint();
      } catch (const InterfaceError&) {
        refused = true;
      }
      EXPECT_TRUE(refused) << which;
    }
    const ResultSet r = co_await db->aio_execute("SELECT COUNT(*) FROM sc_testcase");
    co_return r.row(0).get<std::int64_t>(0);
  }));
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(count(*db, "sc_testcase"), 0);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_testcase"));
  run(db->aio_close());
}

TEST_P(Scopes, QueryHookSeesEveryStatementWithValuesRedacted) {
  auto db = make();
  std::vector<std::string> sql;
  std::vector<std::size_t> param_counts;
  std::vector<std::size_t> params_seen;
  std::vector<std::uint64_t> rows;
  int errors = 0;
  db->set_query_hook([&](const QueryEvent& e) {
    sql.emplace_back(e.sql);
    param_counts.push_back(e.param_count);
    params_seen.push_back(e.params.size());
    rows.push_back(e.rows);
    if (e.error) ++errors;
  });
  run(db->aio_execute("SELECT " + p(1) + " UNION ALL SELECT " + p(2), std::string("secret"),
                      std::string("x")));
  EXPECT_THROW(run(db->aio_execute("SELECT * FROM no_such_table_sc")), ProgrammingError);
  run(db->aio_atomic([&]() -> Task<void> { co_await db->aio_execute("SELECT 1"); }));
  ASSERT_EQ(sql.size(), 5u);
  EXPECT_EQ(param_counts[0], 2u);
  EXPECT_EQ(params_seen[0], 0u);  // redacted
  EXPECT_EQ(rows[0], 2u);
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(sql[2], sqlite() ? "BEGIN IMMEDIATE" : "BEGIN");
  EXPECT_EQ(sql[4], "COMMIT");
  // With values, on request; an empty hook turns it off.
  Value first_value;
  db->set_query_hook(
      [&](const QueryEvent& e) {
        if (!e.params.empty()) first_value = e.params[0];
      },
      true);
  run(db->aio_execute("SELECT " + p(1), std::string("visible")));
  EXPECT_EQ(first_value, Value("visible"));
  db->set_query_hook({});
  run(db->aio_execute("SELECT " + p(1), std::string("unseen")));
  EXPECT_EQ(first_value, Value("visible"));
  run(db->aio_close());
}

TEST_P(Scopes, Introspection) {
  auto db = make();
  create_table(*db, "sc_intro_b");
  create_table(*db, "sc_intro_a");
  const std::vector<std::string> tables = run(db->aio_get_tables());
  const auto a = std::find(tables.begin(), tables.end(), "sc_intro_a");
  const auto b = std::find(tables.begin(), tables.end(), "sc_intro_b");
  ASSERT_NE(a, tables.end());
  ASSERT_NE(b, tables.end());
  EXPECT_LT(a, b);
  EXPECT_TRUE(std::is_sorted(tables.begin(), tables.end()));
  EXPECT_TRUE(run(db->aio_table_exists("sc_intro_a")));
  EXPECT_FALSE(run(db->aio_table_exists("sc_intro_none")));
  EXPECT_FALSE(run(db->aio_table_exists("sc_intro_a", "no_such_schema")));
  if (sqlite()) {
    EXPECT_FALSE(run(db->aio_sequence_exists("sc_intro_a")));  // SQLite has no sequences
  } else {
    run(db->aio_execute("DROP SEQUENCE IF EXISTS sc_intro_seq"));
    EXPECT_FALSE(run(db->aio_sequence_exists("sc_intro_seq")));
    run(db->aio_execute("CREATE SEQUENCE sc_intro_seq"));
    EXPECT_TRUE(run(db->aio_sequence_exists("sc_intro_seq")));
    run(db->aio_execute("DROP SEQUENCE sc_intro_seq"));
  }
  run(db->aio_execute("DROP TABLE sc_intro_a"));
  run(db->aio_execute("DROP TABLE sc_intro_b"));
  run(db->aio_close());
}

// peewee-async's test_transaction_error_on_begin/commit/rollback: a BEGIN, COMMIT or ROLLBACK
// that fails raises (ROLLBACK: the block's own error), the block's rows are not there, and the
// connection does not leak. Both servers: the session is killed just before (SQLite has no
// session to kill); PostgreSQL and SQLite also: a deferred constraint fails at COMMIT.
TEST_P(Scopes, FailedBeginCommitOrRollbackLeaksNothing) {
  auto db = make();
  auto killer = make();
  create_table(*db, "sc_commit");
  if (!sqlite()) {
    EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                   co_await db->aio_execute("INSERT INTO sc_commit VALUES (1, 1)");
                   const std::int64_t id = co_await session_of(*db, session_id_sql());
                   co_await killer->aio_execute(kill_sql(id));
                 })),
                 OperationalError);
    EXPECT_EQ(db->pool_stats().in_use, 0u);
    EXPECT_EQ(count(*db, "sc_commit"), 0);
    // BEGIN fails (test_transaction_error_on_begin): the scope's session is gone before it.
    EXPECT_THROW(run(db->aio_connection([&]() -> Task<void> {
                   const std::int64_t id = co_await session_of(*db, session_id_sql());
                   co_await killer->aio_execute(kill_sql(id));
                   co_await db->aio_atomic([]() -> Task<void> { co_return; });
                 })),
                 OperationalError);
    EXPECT_EQ(db->pool_stats().in_use, 0u);
    // ROLLBACK fails (test_transaction_error_on_rollback): the block's own error is the one seen.
    EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                   co_await db->aio_execute("INSERT INTO sc_commit VALUES (2, 2)");
                   const std::int64_t id = co_await session_of(*db, session_id_sql());
                   co_await killer->aio_execute(kill_sql(id));
                   throw std::logic_error("the block's own failure");
                 })),
                 std::logic_error);
    EXPECT_EQ(db->pool_stats().in_use, 0u);
    EXPECT_EQ(count(*db, "sc_commit"), 0);
  }
  if (pg() || sqlite()) {
    run(db->aio_execute("DROP TABLE IF EXISTS sc_child"));
    run(db->aio_execute("DROP TABLE IF EXISTS sc_parent"));
    run(db->aio_execute("CREATE TABLE sc_parent (id INT PRIMARY KEY)"));
    run(
        db->aio_execute("CREATE TABLE sc_child (id INT PRIMARY KEY, parent INT REFERENCES "
                        "sc_parent (id) DEFERRABLE INITIALLY DEFERRED)"));
    EXPECT_THROW(run(db->aio_atomic([&]() -> Task<void> {
                   co_await db->aio_execute("INSERT INTO sc_child VALUES (1, 42)");
                 })),
                 IntegrityError);
    EXPECT_EQ(db->pool_stats().in_use, 0u);
    EXPECT_EQ(count(*db, "sc_child"), 0);
    run(db->aio_execute("DROP TABLE sc_child"));
    run(db->aio_execute("DROP TABLE sc_parent"));
  }
  run(db->aio_execute("DROP TABLE sc_commit"));
  run(db->aio_close());
  run(killer->aio_close());
}

// peewee-async's test_several_transactions: three tasks, each with its own atomic block, at once.
TEST_P(Scopes, ThreeParallelTasksWithTheirOwnBlocks) {
  TERN_SKIP_ON_SQLITE(
      "one writer at a time: a second write transaction waits for the first's lock, so three "
      "cannot be open at once");
  auto db = make({.min_connections = 0, .max_connections = 3});
  create_table(*db, "sc_three");
  ring::TaskGroup tasks(loop);
  // A barrier: no block goes on past its INSERT before all three have made theirs, so the
  // three blocks are open at once.
  int arrived = 0;
  std::vector<std::unique_ptr<ring::Signal>> all_in;
  for (int i = 0; i < 3; ++i)
    all_in.push_back(std::make_unique<ring::Signal>(loop));
  for (int i = 1; i <= 3; ++i) {
    tasks.spawn([](AioDatabase& d, int id, int& in,
                   std::vector<std::unique_ptr<ring::Signal>>& barrier) -> Task<void> {
      co_await d.aio_atomic([&]() -> Task<void> {
        co_await d.aio_execute("INSERT INTO sc_three VALUES (" + std::to_string(id) + ", 0)");
        if (++in == 3) {
          for (auto& s : barrier)
            s->notify();
        }
        const bool all_there =
            co_await barrier[static_cast<std::size_t>(id - 1)]->wait(ring::deadline_after(10s));
        EXPECT_TRUE(all_there);
        co_await d.aio_execute("UPDATE sc_three SET v = 1 WHERE id = " + std::to_string(id));
        if (id == 2) throw std::runtime_error("task 2 rolls back");
      });
    }(*db, i, arrived, all_in));
  }
  EXPECT_THROW(run(tasks.join()), std::runtime_error);
  const ResultSet r = run(db->aio_execute("SELECT id, v FROM sc_three ORDER BY id"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 1);
  EXPECT_EQ(r.row(1).get<std::int64_t>(0), 3);
  EXPECT_EQ(r.row(1).get<std::int64_t>(1), 1);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_three"));
  run(db->aio_close());
}

// peewee-async's test_acid_when_connetion_has_been_broken: the pool closed (its connections
// terminated) and reopened in the middle of a transaction leaves 0 or all of its rows.
TEST_P(Scopes, PoolClosedMidTransactionLeavesAllOrNothing) {
  auto db = make({.min_connections = 0, .max_connections = 2, .close_timeout = 0ms});
  create_table(*db, "sc_acid");
  // The block's own error comes out: the rollback on the closed pool's connection does not
  // replace it.
  const auto e = testing::thrown<std::runtime_error>([&] {
    run(db->aio_atomic([&]() -> Task<void> {
      co_await db->aio_execute("INSERT INTO sc_acid VALUES (1, 1)");
      co_await db->aio_close();  // checked-out connections are closed when returned
      co_await db->aio_connect();
      co_await db->aio_execute("INSERT INTO sc_acid VALUES (2, 2)");
      throw std::runtime_error("broken in the middle");
    }));
  });
  if (e) {
    EXPECT_STREQ(e->what(), "broken in the middle");
  }
  const std::int64_t n = count(*db, "sc_acid");
  EXPECT_TRUE(n == 0 || n == 2) << n;
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  run(db->aio_execute("DROP TABLE sc_acid"));
  run(db->aio_close());
}

// A coroutine cancelled while waiting for a connection, while connecting, or mid-query never
// leaks a connection or poisons the pool.
TEST_P(Scopes, CancellationNeverLeaksAConnection) {
  // One statement per connection: the second task must wait for the pool, not pipeline.
  auto db =
      make({.min_connections = 0, .max_connections = 1, .pool_params = {.pipeline_depth = 1}});
  // SQLite has no sleep(): an endless statement, which the cancellation interrupts.
  const std::string sleep_sql =
      pg()       ? "SELECT pg_sleep(10)"
      : sqlite() ? "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                   "SELECT COUNT(*) FROM r"
                 : "SELECT SLEEP(10)";
  int cancelled = 0;
  ring::TaskGroup group(loop);
  // One task mid-query (holding the only connection), one waiting for it, one inside a block.
  for (int i = 0; i < 3; ++i) {
    group.spawn([](AioDatabase& d, std::string sql, int kind, int& n) -> Task<void> {
      try {
        if (kind == 2) {
          co_await d.aio_atomic([&]() -> Task<void> { co_await d.aio_execute(sql); });
        } else {
          co_await d.aio_execute(sql);
        }
      } catch (const ring::CancelledError&) {
        ++n;
      } catch (const PoolTimeout&) {
        ADD_FAILURE() << "timed out instead of being cancelled";
      }
    }(*db, sleep_sql, i, cancelled));
  }
  // Cancel once they are where the comment says: one holds the connection, two wait for it.
  run([](ring::Loop& l, ring::TaskGroup& g, AioDatabase& d) -> Task<void> {
    for (int polls = 0; !(d.pool_stats().in_use == 1 && d.pool_stats().waiters == 2); ++polls) {
      EXPECT_LT(polls, 2000) << "the three tasks never got there";
      if (polls >= 2000) break;
      co_await ring::sleep_for(l, 5ms);
    }
    g.cancel();
    co_await g.join();
  }(loop, group, *db));
  EXPECT_EQ(cancelled, 3);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  EXPECT_EQ(db->pool_stats().waiters, 0u);
  EXPECT_EQ(run(db->aio_execute("SELECT 7")).row(0).get<std::int64_t>(0), 7);
  // Cancelled while connecting: the connection slot is given back. (min_connections is 0:
  // aio_connect() reopens the closed pool without opening a connection.)
  run(db->aio_close());
  run(db->aio_connect());
  ring::TaskGroup connecting(loop);
  bool stopped = false;
  connecting.spawn([](AioDatabase& d, bool& flag) -> Task<void> {
    try {
      co_await d.aio_execute("SELECT 1");
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*db, stopped));
  connecting.cancel();  // before its first step: it is stopped while opening its connection
  run(connecting.join());
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  EXPECT_EQ(run(db->aio_execute("SELECT 8")).row(0).get<std::int64_t>(0), 8);
  EXPECT_TRUE(stopped);
  EXPECT_LE(db->pool_stats().size, 1u);
  run(db->aio_close());
}

// psycopg-like pool statistics: queued acquires and their wait, connections given back broken,
// failed connection attempts.
TEST_P(Scopes, PoolStatistics) {
  auto db = make({.min_connections = 0, .max_connections = 1});
  auto killer = make();
  run(db->aio_execute("SELECT 1"));
  PoolStats s = db->pool_stats();
  EXPECT_EQ(s.max_connections, 1u);
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.queued, 0u);
  // A second task waits while the first holds the only connection.
  ring::TaskGroup tasks(loop);
  tasks.spawn([](AioDatabase& d, ring::Loop& l) -> Task<void> {
    co_await d.aio_connection([&]() -> Task<void> {
      // Held until the other task is queued for it.
      for (int polls = 0; d.pool_stats().waiters == 0 && polls < 2000; ++polls)
        co_await ring::sleep_for(l, 1ms);
    });
  }(*db, loop));
  tasks.spawn([](AioDatabase& d) -> Task<void> { co_await d.aio_execute("SELECT 2"); }(*db));
  run(tasks.join());
  s = db->pool_stats();
  EXPECT_EQ(s.queued, 1u);
  EXPECT_GT(s.wait_time.count(), 0);
  EXPECT_EQ(s.acquired, 3u);
  // A connection whose session was killed comes back broken: ConnectionLost (PostgreSQL says
  // why, 57P01 admin_shutdown; MariaDB just closes the socket). SQLite has no session to kill.
  if (!sqlite()) {
    const auto killed = testing::thrown<ConnectionLost>([&] {
      run(db->aio_connection([&]() -> Task<void> {
        const std::int64_t id = co_await session_of(*db, session_id_sql());
        co_await killer->aio_execute(kill_sql(id));
        co_await db->aio_execute("SELECT 3");
      }));
    });
    if (killed && pg()) {
      EXPECT_EQ(killed->sqlstate(), "57P01") << killed->what();
    }
    EXPECT_EQ(db->pool_stats().returned_broken, 1u);
  }
  EXPECT_EQ(db->pool_stats().connect_errors, 0u);
  // Nothing listens on port 1 (SQLite: a file in a directory that does not exist): the attempt
  // fails and is counted.
  DatabaseOptions nowhere{.host = "127.0.0.1", .port = 1, .user = "tern"};
  nowhere.ssl_mode = pg() ? "disable" : "DISABLED";
  std::unique_ptr<AioDatabase> lost;
  if (sqlite()) {
    lost = testing::make_database(Dialect::kSqlite, {}, {.via_port = 1});
  } else if (pg()) {
    lost = std::make_unique<PooledPostgresqlDatabase>("tern_test", nowhere);
  } else {
    lost = std::make_unique<PooledMySQLDatabase>("tern_test", nowhere);
  }
  EXPECT_THROW(run(lost->aio_execute("SELECT 1")), ConnectionFailed);  // never up: not "lost"
  EXPECT_EQ(lost->pool_stats().connect_errors, 1u);
  EXPECT_EQ(lost->pool_stats().size, 0u);
  run(db->aio_close());
  run(killer->aio_close());
}

// peewee-async 2.x's names: PostgresqlDatabase / MySQLDatabase and the +pool+async URL schemes.
TEST_P(Scopes, TwoXNamesAndUrlSchemes) {
  static_assert(std::is_base_of_v<PooledPostgresqlDatabase, PostgresqlDatabase>);
  static_assert(std::is_same_v<MySQLDatabase, PooledMySQLDatabase>);
  if (sqlite()) {
    // peewee's form: three slashes, then the (here absolute) path.
    const std::string path = testing::sqlite_test_path();
    std::unique_ptr<AioDatabase> db =
        connect("sqlite+pool+async:///" + path + "?max_connections=3&pool_timeout=5&wal=true");
    EXPECT_EQ(db->dialect(), Dialect::kSqlite);
    EXPECT_EQ(db->database(), path);
    EXPECT_NE(dynamic_cast<SqliteDatabase*>(db.get()), nullptr);
    EXPECT_EQ(run(db->aio_execute("SELECT 5")).row(0).get<std::int64_t>(0), 5);
    EXPECT_EQ(db->pool_stats().max_connections, 3u);
    run(db->aio_close());
    return;
  }
  const std::string host = testing::server_env(pg() ? "TERN_PG_HOST" : "TERN_MYSQL_HOST");
  const std::string port = testing::server_env(pg() ? "TERN_PG_PORT" : "TERN_MYSQL_PORT");
  const std::string name = testing::server_env(pg() ? "TERN_PG_DB" : "TERN_MYSQL_DB");
  const std::string url = std::string(pg() ? "postgresql+pool+async://" : "mysql+pool+async://") +
                          "tern:tern_pw@" + host + ":" + port + "/" + name +
                          (pg() ? "?sslmode=disable&" : "?ssl-mode=DISABLED&") +
                          "max_connections=3&pool_timeout=5&pipeline_depth=4";
  std::unique_ptr<AioDatabase> db = connect(url);
  EXPECT_EQ(db->dialect(), GetParam());
  EXPECT_EQ(db->database(), name);
  if (pg()) {
    EXPECT_NE(dynamic_cast<PostgresqlDatabase*>(db.get()), nullptr);
  }
  EXPECT_EQ(run(db->aio_execute("SELECT 5")).row(0).get<std::int64_t>(0), 5);
  EXPECT_EQ(db->pool_stats().max_connections, 3u);
  EXPECT_EQ(db->pool_stats().pipeline_depth, 4u);
  run(db->aio_close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Scopes,
                         ::testing::Values(Dialect::kPostgres, Dialect::kMysql, Dialect::kSqlite),
                         testing::backend_name);

}  // namespace
}  // namespace tern
