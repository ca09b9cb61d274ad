// SqliteDatabase end to end, with no server: values of every type through bound parameters and
// back, transactions and savepoints, errors, the shared in-memory database, URLs, introspection,
// deadlines and cancellation, sync mode, and a loop whose timers keep ticking while 1,000 tasks
// query SQLite.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using testing::thrown;

class Sqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-sqlite-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  ResultSet sql(AioDatabase& db, std::string text, Params params = {}) {
    return run(db.aio_execute(text, std::move(params)));
  }

  ring::Loop loop;
  std::filesystem::path dir_;
};

TEST_F(Sqlite, ValuesRoundTripThroughBoundParameters) {
  SqliteDatabase db(file("values.db"));
  sql(db,
      "CREATE TABLE v (b INTEGER, i INTEGER, f REAL, t TEXT, y BLOB, d DECIMAL(10, 2), "
      "day DATE, at DATETIME, tod TIME, ts TIMESTAMP, u TEXT, j TEXT, n TEXT)");
  const Date day = std::chrono::sys_days(std::chrono::year(2024) / 2 / 29);
  const DateTime at =
      std::chrono::local_days(std::chrono::year(1999) / 12 / 31) + 23h + 59min + 58s + 123456us;
  const Instant ts = std::chrono::sys_days(std::chrono::year(2030) / 1 / 2) + 3h + 4s;
  const Uuid u = Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  const ByteString bytes{std::byte{0}, std::byte{0xff}, std::byte{'x'}};
  const ResultSet ins =
      sql(db, "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {true, INT64_MIN, 2.5, "é'\"; DROP TABLE v; --", bytes, Decimal{"12.34"}, day, at,
           TimeOfDay(13h + 14min), ts, u, Json{R"({"a": [1, 2]})"}, nullptr});
  EXPECT_EQ(ins.rows_affected(), 1u);
  EXPECT_EQ(ins.last_insert_id(), 1u);
  const ResultSet r = sql(db, "SELECT * FROM v");
  ASSERT_EQ(r.size(), 1u);
  const Row row = r.row(0);
  EXPECT_EQ(row.get<bool>("b"), true);
  EXPECT_EQ(row.get<std::int64_t>("i"), INT64_MIN);
  EXPECT_EQ(row.get<double>("f"), 2.5);
  EXPECT_EQ(row.get<std::string>("t"), "é'\"; DROP TABLE v; --");
  EXPECT_EQ(row.get<ByteString>("y"), bytes);
  EXPECT_EQ(row.get<Decimal>("d").value, "12.34");
  EXPECT_EQ(row.get<Date>("day"), day);
  EXPECT_EQ(row.get<DateTime>("at"), at);
  EXPECT_EQ(row.get<TimeOfDay>("tod"), TimeOfDay(13h + 14min));
  EXPECT_EQ(row.get<Instant>("ts"), ts);
  EXPECT_EQ(row.get<Uuid>("u"), u);
  EXPECT_EQ(row.get<Json>("j").text, R"({"a": [1, 2]})");
  EXPECT_EQ(row.get<std::optional<std::string>>("n"), std::nullopt);
  EXPECT_TRUE(row.is_null(12));
  // SQLite's own date functions read what tern wrote.
  EXPECT_EQ(sql(db, "SELECT date(at, '+1 day') FROM v").row(0).get<Date>(0),
            std::chrono::sys_days(std::chrono::year(2000) / 1 / 1));
  // A value out of the C++ type's range, and a storage class the type cannot come from.
  thrown<TypeError>([&] { (void)row.get<std::int32_t>("i"); });
  thrown<TypeError>([&] { (void)row.get<std::int64_t>("t"); });
  thrown<TypeError>([&] { (void)row.get<std::string>("n"); });
  thrown<NotSupportedError>([&] { sql(db, "SELECT ?", {Interval{1, 0, 0}}); });
}

TEST_F(Sqlite, ErrorsAreTyped) {
  SqliteDatabase db(file("errors.db"));
  sql(db, "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)");
  sql(db, "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))");
  sql(db, "INSERT INTO parent (name) VALUES (?)", {"a"});
  testing::expect_server_error(
      thrown<IntegrityError>([&] { sql(db, "INSERT INTO parent (name) VALUES (?)", {"a"}); }),
      "23505", 2067);  // SQLITE_CONSTRAINT_UNIQUE
  // foreign_keys is on for every connection (peewee-async leaves SQLite's default, off).
  testing::expect_server_error(
      thrown<IntegrityError>([&] { sql(db, "INSERT INTO child (parent_id) VALUES (?)", {42}); }),
      "23503", 787);  // SQLITE_CONSTRAINT_FOREIGNKEY
  thrown<ProgrammingError>([&] { sql(db, "SELEC 1"); });
  thrown<ProgrammingError>([&] { sql(db, "SELECT * FROM missing"); });
  thrown<ProgrammingError>([&] { sql(db, "SELECT ?, ?", {1}); });
  thrown<ProgrammingError>([&] { sql(db, "SELECT 1; SELECT 2"); });
  // Nothing was lost: the database still answers.
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM parent").row(0).get<std::int64_t>(0), 1);
}

TEST_F(Sqlite, TransactionsCommitRollBackAndNestAsSavepoints) {
  SqliteDatabase db(file("tx.db"), {.max_connections = 2});
  sql(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
  run(db.aio_atomic([&]() -> Task<void> {
    co_await db.aio_execute("INSERT INTO t (v) VALUES (?)", 1);
    try {
      co_await db.aio_atomic([&]() -> Task<void> {
        co_await db.aio_execute("INSERT INTO t (v) VALUES (?)", 2);
        throw std::runtime_error("roll the savepoint back");
      });
    } catch (const std::runtime_error&) {
    }
    co_await db.aio_execute("INSERT INTO t (v) VALUES (?)", 3);
  }));
  EXPECT_EQ(sql(db, "SELECT group_concat(v) FROM t").row(0).get<std::string>(0), "1,3");
  thrown<std::runtime_error>([&] {
    run(db.aio_atomic([&]() -> Task<void> {
      co_await db.aio_execute("DELETE FROM t");
      throw std::runtime_error("roll back");
    }));
  });
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM t").row(0).get<std::int64_t>(0), 2);
  // A read-only transaction refuses writes; the connection takes writes again afterwards.
  thrown<OperationalError>([&] {
    run(db.aio_atomic({.read_only = true},
                      [&]() -> Task<void> { co_await db.aio_execute("DELETE FROM t"); }));
  });
  sql(db, "INSERT INTO t (v) VALUES (?)", {4});
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM t").row(0).get<std::int64_t>(0), 3);
  thrown<NotSupportedError>(
      [&] { run(db.aio_atomic({.deferrable = true}, [&]() -> Task<void> { co_return; })); });
}

TEST_F(Sqlite, MemoryDatabaseIsSharedByThePoolAndPrivateToTheObject) {
  SqliteDatabase db(":memory:", {.min_connections = 3, .max_connections = 3});
  SqliteDatabase other(":memory:");
  run(db.aio_connect());
  sql(db, "CREATE TABLE m (v INTEGER)");
  ring::TaskGroup tasks(loop);
  for (int i = 0; i < 30; ++i) {
    tasks.spawn([](AioDatabase& d, int v) -> Task<void> {
      co_await d.aio_execute("INSERT INTO m VALUES (?)", v);
    }(db, i));
  }
  run(tasks.join());
  EXPECT_EQ(db.pool_stats().size, 3u);
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM m").row(0).get<std::int64_t>(0), 30);
  EXPECT_FALSE(run(other.aio_table_exists("m")));
  run(db.aio_close());
  run(other.aio_close());
}

TEST_F(Sqlite, UrlsIntrospectionAndSyncMode) {
  const auto db = connect("sqlite+pool+async:///" + file("url.db") +
                          "?max_connections=2&busy_timeout=1.5&foreign_keys=true");
  ASSERT_EQ(db->dialect(), Dialect::kSqlite);
  sql(*db, "CREATE TABLE b (id INTEGER PRIMARY KEY)");
  sql(*db, "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT)");  // makes sqlite_sequence
  sql(*db, "CREATE VIEW c AS SELECT * FROM a");
  EXPECT_EQ(run(db->aio_get_tables()), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(run(db->aio_table_exists("a")));
  EXPECT_FALSE(run(db->aio_table_exists("c")));
  EXPECT_FALSE(run(db->aio_sequence_exists("a")));
  EXPECT_EQ(sql(*db, "PRAGMA journal_mode").row(0).get<std::string>(0), "wal");
  EXPECT_EQ(sql(*db, "PRAGMA foreign_keys").row(0).get<std::int64_t>(0), 1);
  {
    auto sync = db->allow_sync();
    EXPECT_EQ(db->execute_sql("SELECT COUNT(*) FROM a").row(0).get<std::int64_t>(0), 0);
  }
  thrown<InterfaceError>([] { (void)connect("sqlite:///" + std::string() + "?x=1"); });
  thrown<InterfaceError>([&] { (void)connect("sqlite:///" + file("u.db") + "?wal=maybe"); });
  run(db->aio_close());
}

// An endless statement: only an interrupt ends it.
constexpr const char* kEndless =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r";

TEST_F(Sqlite, StatementPastItsDeadlineIsInterrupted) {
  SqliteDatabase db(file("deadline.db"));
  thrown<QueryTimeout>([&] {
    run(db.aio_execute(kEndless, {}, QueryOptions{.deadline = ring::deadline_after(50ms)}));
  });
  EXPECT_EQ(sql(db, "SELECT 7").row(0).get<std::int64_t>(0), 7);
}

// Cancelling the task interrupts its statement on the worker (sqlite3_interrupt): the task gets
// ring::CancelledError, not the safety deadline's QueryTimeout, and the connection goes back
// to the pool usable.
TEST_F(Sqlite, CancellingATaskInterruptsItsStatement) {
  SqliteDatabase db(file("cancel.db"), {.min_connections = 1, .max_connections = 1});
  ring::TaskGroup group(loop);
  std::string outcome = "not run";
  group.spawn([](AioDatabase& d, std::string& out) -> Task<void> {
    try {
      co_await d.aio_execute(kEndless, {}, QueryOptions{.deadline = ring::deadline_after(60s)});
      out = "finished";
    } catch (const ring::CancelledError&) {
      out = "cancelled";
    } catch (const QueryTimeout&) {
      out = "ran to its safety deadline: not interrupted";
    }
  }(db, outcome));
  run([](ring::Loop& l, ring::TaskGroup& g, AioDatabase& d) -> Task<void> {
    for (int polls = 0; d.pool_stats().in_use == 0 && polls < 5000; ++polls)
      co_await ring::sleep_for(l, 1ms);
    EXPECT_EQ(d.pool_stats().in_use, 1u) << "the statement never started";
    co_await ring::sleep_for(l, 20ms);  // well into the statement
    g.cancel();
    co_await g.join();
  }(loop, group, db));
  EXPECT_EQ(outcome, "cancelled");
  EXPECT_EQ(db.pool_stats().in_use, 0u);
  EXPECT_EQ(sql(db, "SELECT 7").row(0).get<std::int64_t>(0), 7);
  EXPECT_EQ(db.pool_stats().size, 1u);  // the same connection, kept
  run(db.aio_close());
}

// A stop request that comes as a call ends never interrupts the connection's next statement:
// tasks cancelled at every point of a short query, each followed by a query of its own.
TEST_F(Sqlite, ACancellationNeverHitsTheNextStatement) {
  SqliteDatabase db(file("race.db"), {.min_connections = 1, .max_connections = 1});
  sql(db, "CREATE TABLE t (v INTEGER)");
  int cancelled = 0;
  for (int i = 0; i < 300; ++i) {
    ring::TaskGroup group(loop);
    group.spawn([](AioDatabase& d, int& n) -> Task<void> {
      try {
        co_await d.aio_execute("INSERT INTO t (v) SELECT COUNT(*) FROM t");
      } catch (const ring::CancelledError&) {
        ++n;
      }
    }(db, cancelled));
    run([](ring::Loop& l, ring::TaskGroup& g, int spins) -> Task<void> {
      for (int k = 0; k < spins; ++k)
        co_await ring::sleep_for(l, 0ms);
      g.cancel();
      co_await g.join();
    }(loop, group, i % 4));
    EXPECT_EQ(sql(db, "SELECT 1").row(0).get<std::int64_t>(0), 1) << "after round " << i;
  }
  std::printf("cancelled %d of 300 short statements\n", cancelled);
  run(db.aio_close());
}

// SQLite rolls a transaction back when a write inside it is interrupted. The block must not go
// on in autocommit mode: what follows fails with TransactionRollback until the block ends, and
// nothing of the transaction is committed, even by a block that swallowed the errors.
TEST_F(Sqlite, AnInterruptedWriteFailsItsTransaction) {
  SqliteDatabase db(file("tx.db"), {.min_connections = 1, .max_connections = 1});
  sql(db, "CREATE TABLE t (v INTEGER)");
  std::vector<std::string> seen;
  thrown<TransactionRollback>([&] {
    run(db.aio_atomic([&d = db, &out = seen]() -> Task<void> {
      co_await d.aio_execute("INSERT INTO t (v) VALUES (1)");
      try {
        co_await d.aio_execute(
            "INSERT INTO t (v) SELECT n FROM (WITH RECURSIVE r(n) AS "
            "(SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r)",
            {}, QueryOptions{.deadline = ring::deadline_after(50ms)});
      } catch (const QueryTimeout&) {
        out.emplace_back("timeout");
      }
      try {
        co_await d.aio_execute("INSERT INTO t (v) VALUES (2)");
      } catch (const TransactionRollback&) {
        out.emplace_back("rolled back");
      }
    }));  // its COMMIT fails: TransactionRollback
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"timeout", "rolled back"}));
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM t").row(0).get<std::int64_t>(0), 0);
  sql(db, "INSERT INTO t (v) VALUES (3)");  // the connection is back in autocommit mode
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM t").row(0).get<std::int64_t>(0), 1);
  run(db.aio_close());
}

TEST_F(Sqlite, RowStreamsReadInBatches) {
  SqliteDatabase db(file("stream.db"));
  sql(db, "CREATE TABLE s (v INTEGER)");
  sql(db,
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2500) "
      "INSERT INTO s SELECT n FROM r");
  const std::int64_t total = run([](AioDatabase& d) -> Task<std::int64_t> {
    Params params;
    params.emplace_back(0);
    RowStream stream =
        co_await d.aio_stream("SELECT v FROM s WHERE v > ?", std::move(params), 1000);
    std::int64_t sum = 0;
    while (auto batch = co_await stream.next()) {
      EXPECT_LE(batch->size(), 1000u);
      for (const Row row : *batch)
        sum += row.get<std::int64_t>(0);
    }
    co_return sum;
  }(db));
  EXPECT_EQ(total, 2500 * 2501 / 2);
}

// The issue's property: SQLite's calls never block the loop. 1,000 tasks write and read through
// a pool of 4, and one runs a statement that computes until its 1.5 s deadline, while a timer
// ticks every 5 ms; the worst lateness of a tick is bounded loosely (a loop that ran SQLite's
// calls itself would be late by at least the 1.5 s statement).
TEST_F(Sqlite, AThousandTasksNeverStallATimer) {
  SqliteDatabase db(file("stall.db"), {.max_connections = 4});
  sql(db, "CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT)");
  bool done = false;
  std::chrono::steady_clock::duration worst{};
  int ticks = 0;
  ring::TaskGroup tasks(loop);
  tasks.spawn([](ring::Loop& l, const bool& stop, std::chrono::steady_clock::duration& late,
                 int& n) -> Task<void> {
    while (!stop) {
      const auto due = std::chrono::steady_clock::now() + 5ms;
      co_await ring::sleep_for(l, 5ms);
      late = std::max(late, std::chrono::steady_clock::now() - due);
      ++n;
    }
  }(loop, done, worst, ticks));
  ring::TaskGroup work(loop);
  bool slow_timed_out = false;
  work.spawn([](AioDatabase& d, bool& timed_out) -> Task<void> {
    try {
      co_await d.aio_execute(
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
          {}, QueryOptions{.deadline = ring::deadline_after(1500ms)});
    } catch (const QueryTimeout&) {
      timed_out = true;
    }
  }(db, slow_timed_out));
  int finished = 0;
  for (int i = 0; i < 1000; ++i) {
    work.spawn([](AioDatabase& d, int k, int& n) -> Task<void> {
      co_await d.aio_atomic([&d, k]() -> Task<void> {
        co_await d.aio_execute("INSERT INTO k (id, v) VALUES (?, ?)", k, std::to_string(k));
      });
      const ResultSet r = co_await d.aio_execute("SELECT v FROM k WHERE id = ?", k);
      if (r.row(0).get<std::string>(0) == std::to_string(k)) ++n;
    }(db, i, finished));
  }
  run([](ring::TaskGroup& w, bool& stop) -> Task<void> {
    co_await w.join();
    stop = true;
  }(work, done));
  run(tasks.join());
  EXPECT_EQ(finished, 1000);
  EXPECT_TRUE(slow_timed_out);
  const auto worst_ms = std::chrono::duration_cast<std::chrono::milliseconds>(worst).count();
  std::printf("timer ticks: %d, worst lateness: %lld ms\n", ticks,
              static_cast<long long>(worst_ms));
  EXPECT_GT(ticks, 0);
  EXPECT_LT(worst, 1s);
  run(db.aio_close());
}

}  // namespace
}  // namespace tern
