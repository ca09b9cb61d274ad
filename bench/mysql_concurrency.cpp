// Workload 2 of the benchmark plan (MySQL/MariaDB): the point select of workload 1 under
// concurrency, on one client thread.
//   - 32 tasks over tern's pool of 8 connections, one statement per connection at a time
//     (PooledMySQLDatabase, aio_execute, pipeline_depth 1), against libmariadb's non-blocking
//     API (_start/_cont) driving 8 connections with prepared statements from one poll() loop:
//     8 queries in flight on both sides.
//   - Implicit pipelining: 32 and 256 tasks over the pool of 8 with pipeline_depth 4 and 32
//     (tasks / 8), running the raw point select (aio_execute) and the ORM's point get
//     (BenchAccount::aio_get), against the same libmariadb loop of 8 connections running the same
//     SQL (the ORM's, for the ORM): libmariadb has no pipeline mode, so it keeps 8 in flight.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-concurrency     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "common.hpp"
#include "concurrency_workload.hpp"
#include "models.hpp"
#include "mysql_async.hpp"
#include "mysql_common.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::concurrency_workload;

const std::string kSelect = kPointSelect;
const std::string kOrmSql = account_get_sql(tern::Dialect::kMysql);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = std::count(kOrmSql.begin(), kOrmSql.end(), '?') == 2;

// libmariadb's non-blocking API on 8 connections, running the point select or (`orm`) the
// ORM's SQL, the row decoded into a BenchAccount as the ORM does.
template <bool orm>
void BM_libmariadb(benchmark::State& state) {
  MariadbDriver driver(kConnections, orm ? kOrmSql : kSelect, orm && kLimitIsParam ? 2 : 1);
  std::minstd_rand rng(42);
  const auto check = [](const std::int32_t* columns) {
    if constexpr (orm) {
      BenchAccount account;
      account.aid = columns[0];
      account.bid = columns[1];
      account.abalance = columns[2];
      benchmark::DoNotOptimize(account);
    } else {
      benchmark::DoNotOptimize(columns[0]);
    }
  };
  measure_queue(state, std::int64_t{kWarmUpPerTask} * kTasks, [&](WorkQueue& queue) {
    QueueSource source(queue, rng, check);
    driver.run(source);
  });
}

std::unique_ptr<tern::AioDatabase> open_pool(const tern::DatabaseOptions& options) {
  return std::make_unique<tern::PooledMySQLDatabase>(mysql_options(), options);
}

template <int tasks, std::size_t depth>
void BM_tern_execute(benchmark::State& state) {
  tern_pool_tasks(state, execute_worker, tasks, depth, kSelect, open_pool);
}

// BM_tern_execute on the epoll fallback backend.
template <int tasks, std::size_t depth>
void BM_tern_execute_epoll(benchmark::State& state) {
  tern_pool_tasks(state, execute_worker, tasks, depth, kSelect, open_pool,
                  tern::ring::Backend::epoll);
}

// BM_tern_execute on `threads` loops sharing one database (a pool shard of 8 / threads each).
template <int threads, std::size_t depth>
void BM_tern_execute_threads(benchmark::State& state) {
  tern_loop_group(state, threads, kTasks, depth, kSelect, open_pool);
}

template <int tasks, std::size_t depth>
void BM_tern_orm_get(benchmark::State& state) {
  tern_pool_tasks(state, orm_worker, tasks, depth, kSelect, open_pool);
}

// "<tern side> vs libmariadb non-blocking API, 8 connections".
std::string label(const char* what, int tasks, std::size_t depth, const char* sql) {
  return std::string("MariaDB ") + what + ": " + tern_side(tasks, depth, "PooledMySQLDatabase") +
         " vs libmariadb non-blocking API, 8 connections" + sql;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::size_t kDepth = depth_for(kTasks);          // 4
  constexpr std::size_t kManyDepth = depth_for(kManyTasks);  // 32
  return run_cases(
      argc, argv, "2", "q", 0,
      {{"MariaDB: " + tern_side(kTasks, 1, "PooledMySQLDatabase") +
            " vs libmariadb non-blocking API, 8 connections, 1 thread",
        "BM_libmariadb_async_8_connections", BM_libmariadb<false>, "BM_tern_pool_32_tasks",
        BM_tern_execute<kTasks, 1>},
       {"MariaDB: " + tern_side(kTasks, 1, "PooledMySQLDatabase") +
            " on the epoll fallback vs libmariadb non-blocking API, 8 connections, 1 thread",
        "BM_libmariadb_async_8_connections", BM_libmariadb<false>, "BM_tern_pool_32_tasks_epoll",
        BM_tern_execute_epoll<kTasks, 1>},
       {"MariaDB: 32 tasks on 2 loops (LoopGroup, 2 threads), shards of 4, pipeline_depth 1 vs "
        "libmariadb non-blocking API, 8 connections, 1 thread",
        "BM_libmariadb_async_8_connections", BM_libmariadb<false>, "BM_tern_32_tasks_2_threads",
        BM_tern_execute_threads<2, 1>},
       {"MariaDB: 32 tasks on 2 loops (LoopGroup, 2 threads), shards of 4, pipeline_depth 4 vs "
        "libmariadb non-blocking API, 8 connections, 1 thread",
        "BM_libmariadb_async_8_connections", BM_libmariadb<false>,
        "BM_tern_32_tasks_2_threads_depth_4", BM_tern_execute_threads<2, kDepth>},
       {label("aio_execute", kTasks, kDepth, ""), "BM_libmariadb_async_8_connections",
        BM_libmariadb<false>, "BM_tern_execute_32_tasks_depth_4", BM_tern_execute<kTasks, kDepth>},
       {label("aio_execute", kManyTasks, kManyDepth, ""), "BM_libmariadb_async_8_connections",
        BM_libmariadb<false>, "BM_tern_execute_256_tasks_depth_32",
        BM_tern_execute<kManyTasks, kManyDepth>},
       {label("ORM aio_get", kTasks, kDepth, " (same SQL)"),
        "BM_libmariadb_orm_sql_async_8_connections", BM_libmariadb<true>,
        "BM_tern_orm_get_32_tasks_depth_4", BM_tern_orm_get<kTasks, kDepth>},
       {label("ORM aio_get", kManyTasks, kManyDepth, " (same SQL)"),
        "BM_libmariadb_orm_sql_async_8_connections", BM_libmariadb<true>,
        "BM_tern_orm_get_256_tasks_depth_32", BM_tern_orm_get<kManyTasks, kManyDepth>}},
      [] {
        mysql_create_accounts();
        std::printf("ORM aio_get SQL: %s\n\n", kOrmSql.c_str());
      });
}
