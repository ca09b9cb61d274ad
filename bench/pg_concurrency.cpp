// Workload 2 of the benchmark plan (PostgreSQL): the point select of workload 1 under
// concurrency, on one client thread.
//   - 32 tasks over tern's pool of 8 connections, one statement per connection at a time
//     (PooledPostgresqlDatabase, aio_execute, pipeline_depth 1), against libpq's asynchronous
//     API driving 8 connections from one poll() loop: 8 queries in flight on both sides.
//   - Implicit pipelining: 32 and 256 tasks over the pool of 8 with pipeline_depth 4 and 32
//     (tasks / 8: every task has its statement in flight), running the raw point select
//     (aio_execute) and the ORM's BenchAccount::aid point get (BenchAccount::aio_get), against
//     libpq's pipeline mode on 8 connections with 4 or 32 queries in flight on each, running the
//     same SQL (the ORM's, for the ORM).
//   - Pipelining on one connection: tern's pg::Connection::pipeline against libpq's pipeline
//     mode, batches of 64 queries with one Sync each.
//
//   TERN_PG_URL=postgresql://... bench/pg-concurrency     (bench/run sets the URL up)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "concurrency_workload.hpp"
#include "models.hpp"
#include "pg_async.hpp"
#include "pg_common.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::concurrency_workload;
using tern::ring::Task;

constexpr int kPipelineBatch = 64;  // queries per Sync on one connection

const std::string kSelect = kPointSelect;
const std::string kOrmSql = account_get_sql(tern::Dialect::kPostgres);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = kOrmSql.find("$2") != std::string::npos;

// ---- 8 connections: libpq's asynchronous API and pipeline mode ----

// libpq on 8 connections with `depth` queries in flight on each (1: the plain asynchronous
// API; more: pipeline mode), running the point select or (`orm`) the ORM's SQL, the row
// decoded into a BenchAccount as the ORM does.
template <int depth, bool orm>
void BM_libpq(benchmark::State& state) {
  LibpqDriver driver(kConnections, depth, orm ? kOrmSql : kSelect, orm && kLimitIsParam ? 2 : 1);
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
  measure_queue(state, std::int64_t{kWarmUpPerTask} * std::max(kTasks, kConnections * depth),
                [&](WorkQueue& queue) {
                  QueueSource source(queue, rng, check);
                  driver.run(source);
                });
}

std::unique_ptr<tern::AioDatabase> open_pool(const tern::DatabaseOptions& options) {
  return std::make_unique<tern::PooledPostgresqlDatabase>(tern::pg::ConnectOptions::parse(pg_url()),
                                                          options);
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

// ---- pipelining on one connection ----

void BM_libpq_pipeline_64(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "sel", kPointSelect, 1, nullptr));
  if (PQenterPipelineMode(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  std::minstd_rand rng(42);
  const int formats[1] = {1};
  const int lengths[1] = {4};
  const auto batch = [&] {
    for (int i = 0; i < kPipelineBatch; ++i) {
      const std::uint32_t aid = htonl(static_cast<std::uint32_t>(random_aid(rng)));
      const char* values[1] = {reinterpret_cast<const char*>(&aid)};
      PQsendQueryPrepared(c, "sel", 1, values, lengths, formats, 1);
    }
    PQpipelineSync(c);
    for (int i = 0; i < kPipelineBatch; ++i) {
      PGresult* r = PQgetResult(c);
      if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        throw std::runtime_error("unexpected result");
      }
      benchmark::DoNotOptimize(read_be32(PQgetvalue(r, 0, 0)));
      PQclear(r);
      PQclear(PQgetResult(c));  // the NULL that ends each query's results
    }
    PGresult* sync = PQgetResult(c);
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) throw std::runtime_error("no sync");
    PQclear(sync);
  };
  for (int i = 0; i < kWarmUpPerTask * kTasks / kPipelineBatch; ++i)
    batch();
  const AllocCount allocs;
  while (state.KeepRunningBatch(kPipelineBatch))
    batch();
  finish(state, static_cast<double>(state.iterations()), allocs);
  PQfinish(c);
}

void BM_tern_pipeline_64(benchmark::State& state) {
  std::minstd_rand rng(42);
  // The SQL strings are built once; each batch binds new parameters.
  std::vector<tern::pg::PipelineQuery> queries(kPipelineBatch,
                                               tern::pg::PipelineQuery{kPointSelect, {}});
  const auto batches = [&](tern::pg::Connection& conn, WarmedLoop& rounds) -> Task<void> {
    while (rounds.next()) {
      for (tern::pg::PipelineQuery& q : queries)
        q.params = tern::pg::Params(random_aid(rng));
      const std::vector<tern::pg::Result> results = co_await conn.pipeline(queries);
      for (const tern::pg::Result& r : results) {
        if (r.size() != 1) throw std::runtime_error("no row");
        benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
      }
    }
  };
  measure_on_connection<tern_pg_connect>(state, kWarmUpPerTask * kTasks / kPipelineBatch, batches,
                                         kPipelineBatch);
}

// "<tern side> vs libpq pipeline mode, 8 connections x <depth> in flight".
std::string pipelined_label(const char* what, int tasks, std::size_t depth, const char* sql) {
  return std::string("PG ") + what + ": " + tern_side(tasks, depth, "PooledPostgresqlDatabase") +
         " vs libpq pipeline mode, 8 connections x " + std::to_string(depth) + " in flight" + sql;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr std::size_t kDepth = depth_for(kTasks);          // 4
  constexpr std::size_t kManyDepth = depth_for(kManyTasks);  // 32
  return run_cases(
      argc, argv, "2", "q", 0,
      {{"PG: " + tern_side(kTasks, 1, "PooledPostgresqlDatabase") +
            " vs libpq async API, 8 connections, 1 thread",
        "BM_libpq_async_8_connections", BM_libpq<1, false>, "BM_tern_pool_32_tasks",
        BM_tern_execute<kTasks, 1>},
       {"PG: " + tern_side(kTasks, 1, "PooledPostgresqlDatabase") +
            " on the epoll fallback vs libpq async API, 8 connections, 1 thread",
        "BM_libpq_async_8_connections", BM_libpq<1, false>, "BM_tern_pool_32_tasks_epoll",
        BM_tern_execute_epoll<kTasks, 1>},
       {"PG: 32 tasks on 2 loops (LoopGroup, 2 threads), shards of 4, pipeline_depth 1 vs libpq "
        "async API, 8 connections, 1 thread",
        "BM_libpq_async_8_connections", BM_libpq<1, false>, "BM_tern_32_tasks_2_threads",
        BM_tern_execute_threads<2, 1>},
       {"PG: 32 tasks on 2 loops (LoopGroup, 2 threads), shards of 4, pipeline_depth 4 vs libpq "
        "pipeline mode, 8 connections x 4 in flight",
        "BM_libpq_pipeline_8x4", BM_libpq<kDepth, false>, "BM_tern_32_tasks_2_threads_depth_4",
        BM_tern_execute_threads<2, kDepth>},
       {pipelined_label("aio_execute", kTasks, kDepth, ""), "BM_libpq_pipeline_8x4",
        BM_libpq<kDepth, false>, "BM_tern_execute_32_tasks_depth_4",
        BM_tern_execute<kTasks, kDepth>},
       {pipelined_label("aio_execute", kManyTasks, kManyDepth, ""), "BM_libpq_pipeline_8x32",
        BM_libpq<kManyDepth, false>, "BM_tern_execute_256_tasks_depth_32",
        BM_tern_execute<kManyTasks, kManyDepth>},
       {pipelined_label("ORM aio_get", kTasks, kDepth, " (same SQL)"),
        "BM_libpq_orm_sql_pipeline_8x4", BM_libpq<kDepth, true>, "BM_tern_orm_get_32_tasks_depth_4",
        BM_tern_orm_get<kTasks, kDepth>},
       {pipelined_label("ORM aio_get", kManyTasks, kManyDepth, " (same SQL)"),
        "BM_libpq_orm_sql_pipeline_8x32", BM_libpq<kManyDepth, true>,
        "BM_tern_orm_get_256_tasks_depth_32", BM_tern_orm_get<kManyTasks, kManyDepth>},
       {"PG: pg::Connection::pipeline vs libpq pipeline mode, batches of 64",
        "BM_libpq_pipeline_64", BM_libpq_pipeline_64, "BM_tern_pipeline_64", BM_tern_pipeline_64}},
      [] {
        pg_create_accounts();
        std::printf("ORM aio_get SQL: %s\n\n", kOrmSql.c_str());
      });
}
