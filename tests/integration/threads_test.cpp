// One database shared by several threads, each running its own loop (ring::LoopGroup): a pool
// shard per loop, statements, transactions and pool timeouts from every thread at once, and
// nothing left open at close. Built under ThreadSanitizer by the `tsan` test setup.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "database_fixture.hpp"
#include "expect_error.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/loop_group.hpp"
#include "tern/ring/ring.hpp"
#include "tern/ring/root.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;

constexpr std::size_t kThreads = 4;
constexpr std::size_t kTasks = 16;
constexpr int kRounds = 5;

TEST(LoopGroup, RunsEachTaskOnItsLoopsThread) {
  ring::LoopGroup loops(kThreads);
  ASSERT_EQ(loops.size(), kThreads);
  std::vector<std::thread::id> ids(kThreads);
  loops.run_on_each([&](std::size_t i) -> Task<void> {
    EXPECT_EQ(ring::Loop::current(), &loops.loop(i));
    ids[i] = std::this_thread::get_id();
    co_await ring::sleep_for(*ring::Loop::current(), 1ms);
    EXPECT_EQ(ids[i], std::this_thread::get_id());  // resumed on the same thread
  });
  EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), kThreads);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), std::this_thread::get_id()), 0);
}

TEST(LoopGroup, SubmitReturnsTheValueOrTheException) {
  ring::LoopGroup loops(2);
  std::future<int> value = loops.submit(1, []() -> Task<int> { co_return 42; });
  EXPECT_EQ(value.get(), 42);
  std::future<void> failed =
      loops.submit(0, []() -> Task<void> { throw std::runtime_error("boom"); });
  EXPECT_THROW(failed.get(), std::runtime_error);
  EXPECT_THROW(loops.run_on_each([](std::size_t i) -> Task<void> {
    if (i == 1) throw std::runtime_error("one loop failed");
    co_return;
  }),
               std::runtime_error);
  loops.stop();
  EXPECT_THROW(loops.submit(0, []() -> Task<void> { co_return; }), std::logic_error);
}

class Threads : public Database {
 protected:
  void SetUp() override {
    run(setup_db()->aio_execute("DROP TABLE IF EXISTS tern_threads"));
    run(setup_db()->aio_execute("CREATE TABLE tern_threads (id INT PRIMARY KEY, v INT NOT NULL)"));
    for (int id : {0, 1, 2, 3, 100}) {
      run(setup_db()->aio_execute("INSERT INTO tern_threads (id, v) VALUES (" + p(1) + ", 0)", id));
    }
  }
  void TearDown() override {
    if (setup_) {
      run(setup_->aio_execute("DROP TABLE IF EXISTS tern_threads"));
      run(setup_->aio_close());
    }
  }
  AioDatabase* setup_db() {
    if (!setup_) setup_ = make();
    return setup_.get();
  }
  std::int64_t value_of(int id) {
    return run(setup_db()->aio_execute("SELECT v FROM tern_threads WHERE id = " + p(1), id))
        .row(0)
        .get<std::int64_t>(0);
  }

  std::unique_ptr<AioDatabase> setup_;
};

// kThreads loops × kTasks tasks, each running statements and transactions on one database.
TEST_P(Threads, ManyLoopsShareOneDatabase) {
  DatabaseOptions options;
  options.max_connections = 3;  // per shard: tasks queue and pipeline
  const std::unique_ptr<AioDatabase> db = make(options);
  const std::string add_one = "UPDATE tern_threads SET v = v + 1 WHERE id = " + p(1);
  const std::string echo =
      "SELECT " + std::string(GetParam() == Dialect::kPostgres ? "$1::int8" : "CAST(? AS SIGNED)");
  ring::LoopGroup loops(kThreads);
  std::atomic<int> mismatches{0};
  loops.run_on_each([&](std::size_t t) -> Task<void> {
    ring::TaskGroup tasks(*ring::Loop::current());
    for (std::size_t k = 0; k < kTasks; ++k) {
      ring::spawn(tasks, [&, t, k]() -> Task<void> {
        for (int round = 0; round < kRounds; ++round) {
          const std::int64_t mine = static_cast<std::int64_t>(t * 1000 + k * 10 + round);
          const ResultSet echoed = co_await db->aio_execute(echo, mine);
          if (echoed.row(0).get<std::int64_t>(0) != mine) ++mismatches;
          co_await db->aio_atomic([&]() -> Task<void> {
            co_await db->aio_execute(add_one, static_cast<int>(t));
            co_await db->aio_execute(add_one, 100);
          });
        }
      });
    }
    co_await tasks.join();
  });
  EXPECT_EQ(mismatches.load(), 0);
  for (int t = 0; t < static_cast<int>(kThreads); ++t) {
    EXPECT_EQ(value_of(t), static_cast<std::int64_t>(kTasks * kRounds)) << "loop " << t;
  }
  EXPECT_EQ(value_of(100), static_cast<std::int64_t>(kThreads * kTasks * kRounds));

  // One shard per loop, each within its own max_connections; the total sums them.
  const std::vector<PoolStats> shards = db->shard_stats();
  ASSERT_EQ(shards.size(), kThreads);
  PoolStats total = db->pool_stats();
  std::uint64_t acquired = 0;
  for (const PoolStats& s : shards) {
    EXPECT_LE(s.created, 3u + s.discarded);
    EXPECT_GE(s.acquired, kTasks * kRounds * 2);
    acquired += s.acquired;
  }
  EXPECT_EQ(total.acquired, acquired);
  EXPECT_EQ(total.max_connections, 3 * kThreads);
  EXPECT_EQ(total.in_use, 0u);

  // Closed on every loop: nothing stays open.
  loops.run_on_each([&](std::size_t) { return db->aio_close(); });
  total = db->pool_stats();
  EXPECT_EQ(total.size, 0u);
  EXPECT_EQ(total.idle, 0u);
  EXPECT_EQ(total.in_use, 0u);
  EXPECT_FALSE(db->is_connected());
}

// A pool timeout on one loop's shard, while the other loops' shards serve their tasks.
TEST_P(Threads, PoolTimeoutOnEachLoop) {
  DatabaseOptions options;
  options.max_connections = 1;
  options.pool_params.timeout = 50ms;
  const std::unique_ptr<AioDatabase> db = make(options);
  ring::LoopGroup loops(kThreads);
  std::atomic<int> timeouts{0};
  loops.run_on_each([&](std::size_t) -> Task<void> {
    ring::Loop& here = *ring::Loop::current();
    ring::Signal holding(here), waited(here);
    ring::TaskGroup tasks(here);
    // The shard's only connection is held until the other task's wait has timed out.
    ring::spawn(tasks, [&]() -> Task<void> {
      co_await db->aio_connection([&]() -> Task<void> {
        co_await db->aio_execute("SELECT 1");
        holding.notify();
        co_await waited.wait(ring::kNoDeadline);
      });
    });
    ring::spawn(tasks, [&]() -> Task<void> {
      co_await holding.wait(ring::kNoDeadline);
      try {
        co_await db->aio_execute("SELECT 2");
      } catch (const PoolTimeout&) {
        ++timeouts;
      }
      waited.notify();
    });
    co_await tasks.join();
    co_await db->aio_execute("SELECT 3");  // the shard serves again
    co_await db->aio_close();
  });
  EXPECT_EQ(timeouts.load(), static_cast<int>(kThreads));
  EXPECT_EQ(db->pool_stats().timeouts, kThreads);
  EXPECT_EQ(db->pool_stats().size, 0u);
}

// Metrics count every loop's statements into one set of counters.
TEST_P(Threads, MetricsCountEveryLoop) {
  const std::unique_ptr<AioDatabase> db = make();
  db->enable_metrics();
  ring::LoopGroup loops(kThreads);
  loops.run_on_each([&](std::size_t) -> Task<void> {
    for (int i = 0; i < 10; ++i)
      co_await db->aio_execute("SELECT 1");
    co_await db->aio_close();
  });
  const DatabaseMetrics m = db->metrics();
  EXPECT_EQ(m.of(SpanKind::kQuery).count, kThreads * 10);
  EXPECT_EQ(m.pool.created, kThreads);
}

// A statement run where no tern loop is running fails with InterfaceError, not a crash.
TEST_P(Threads, NoLoopIsAnInterfaceError) {
  const std::unique_ptr<AioDatabase> db = make();
  std::exception_ptr error;
  std::thread([&] {
    // Resumed by hand on a thread with no loop, as a foreign executor would.
    ring::detail::Root root = ring::detail::make_root(
        [](AioDatabase& d) -> Task<void> { co_await d.aio_execute("SELECT 1"); }(*db));
    root.handle.promise().on_done = [](void*, ring::detail::Root::promise_type&) noexcept {};
    root.handle.resume();
    error = root.handle.promise().error;
    root.handle.destroy();
  }).join();
  ASSERT_TRUE(error);
  const auto e = testing::thrown<InterfaceError>([&] { std::rethrow_exception(error); });
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e->what()).find("no running tern loop"), std::string::npos) << e->what();
}

INSTANTIATE_TEST_SUITE_P(Backends, Threads, ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "MySQL";
                         });

}  // namespace
}  // namespace tern
