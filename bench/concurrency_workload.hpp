// Workload 2 (the point select under concurrency, one client thread; and the same 32 tasks
// spread over a LoopGroup's threads), what
// pg_concurrency.cpp and mysql_concurrency.cpp share: the sizes, the measured part of a
// benchmark whose workers draw queries from a WorkQueue, and tern's side — 32 or 256 tasks over
// a pool of 8 connections, one statement per connection or pipelined (pipeline_depth), running
// the raw point select through aio_execute or the ORM's BenchAccount::aio_get (the same code on
// both backends). The programs hold the anchors (pg_async.hpp, mysql_async.hpp) and the
// PostgreSQL pipelining on one connection.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common.hpp"
#include "models.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::concurrency_workload {

inline constexpr int kConnections = 8;    // the anchor's connections, tern's pool size
inline constexpr int kTasks = 32;         // tern's tasks sharing the pool (the first case)
inline constexpr int kManyTasks = 256;    // ... and the larger case of the pipelined ones
inline constexpr int kWarmUpPerTask = 8;  // queries per task before the measured loop

/// The pipeline depth that lets `tasks` tasks all have a statement in flight on the pool:
/// tasks / kConnections (4 for 32 tasks, 32 for 256).
constexpr std::size_t depth_for(int tasks) {
  return static_cast<std::size_t>(tasks / kConnections);
}

/// The measured part of a benchmark whose workers take their queries from a WorkQueue:
/// `run(queue)` returns once the queue is empty and every query is done. `warm_up` queries
/// first, unmeasured; then as many as Google Benchmark asks for, with allocations counted.
template <class Run>
void measure_queue(benchmark::State& state, std::int64_t warm_up, Run&& run) {
  WorkQueue warm(warm_up);
  run(warm);
  const AllocCount allocs;
  WorkQueue queue(state);
  run(queue);
  finish(state, static_cast<double>(state.iterations()), allocs);
}

/// The anchors' Source (pg_async.hpp, mysql_async.hpp) of a closed loop: the queries of `queue`,
/// random keys; each row is handed to `check` (which throws on a wrong one).
template <class Check>
class QueueSource {
 public:
  QueueSource(WorkQueue& queue, std::minstd_rand& rng, Check check)
      : queue_(queue), rng_(rng), check_(check) {}
  bool next(std::int64_t& tag, std::int32_t& key) {
    if (!queue_.take()) return false;
    tag = 0;
    key = random_aid(rng_);
    return true;
  }
  void done(std::int64_t /*tag*/, const std::int32_t* columns) { check_(columns); }

 private:
  WorkQueue& queue_;
  std::minstd_rand& rng_;
  Check check_;
};

/// A worker of the raw point select: `select` by a random key through aio_execute.
inline ring::Task<void> execute_worker(AioDatabase& db, std::string_view select, WorkQueue& queue,
                                       std::minstd_rand& rng) {
  while (queue.take()) {
    const ResultSet r = co_await db.aio_execute(select, random_aid(rng));
    if (r.size() != 1) throw std::runtime_error("no row");
    benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
  }
}

/// A worker of the ORM's point get: BenchAccount::aio_get by a random key (on g_db).
inline ring::Task<void> orm_worker(AioDatabase& /*db*/, std::string_view /*select*/,
                                   WorkQueue& queue, std::minstd_rand& rng) {
  while (queue.take()) {
    const auto condition = BenchAccount::c.aid == random_aid(rng);
    const BenchAccount account = co_await BenchAccount::aio_get(condition);
    benchmark::DoNotOptimize(account);
  }
}

using Worker = ring::Task<void> (*)(AioDatabase&, std::string_view, WorkQueue&, std::minstd_rand&);

inline ring::Task<void> run_pool(ring::Loop& loop, Worker worker, int tasks, AioDatabase& db,
                                 std::string_view select, WorkQueue& queue, std::minstd_rand& rng) {
  ring::TaskGroup group(loop);
  for (int i = 0; i < tasks; ++i)
    group.spawn(worker(db, select, queue, rng));
  co_await group.join();
}

/// The pool options of tern's side: kConnections connections, all opened by aio_connect(),
/// each carrying up to `depth` statements at once.
inline DatabaseOptions pool_options(std::size_t depth) {
  DatabaseOptions options;
  options.min_connections = kConnections;
  options.max_connections = kConnections;
  options.pool_params.pipeline_depth = depth;
  return options;
}

/// tern's side: `tasks` tasks running `worker` (execute_worker with `select`, the point select
/// with one parameter, or orm_worker) on the database `open(options)` makes: a pool of
/// kConnections with pipeline_depth `depth`, held in g_db so that the ORM's models use it; the
/// loop runs on `backend` (the epoll rows force the fallback).
template <class Open>
void tern_pool_tasks(benchmark::State& state, Worker worker, int tasks, std::size_t depth,
                     std::string_view select, Open&& open,
                     ring::Backend backend = ring::Backend::automatic) {
  ring::Loop loop(ring::LoopOptions{.backend = backend});
  const CloseDbAtExit close(loop);
  g_db = open(pool_options(depth));
  std::minstd_rand rng(42);
  ring::sync_wait(loop, g_db->aio_connect());
  measure_queue(state, std::int64_t{kWarmUpPerTask} * tasks, [&](WorkQueue& queue) {
    ring::sync_wait(loop, run_pool(loop, worker, tasks, *g_db, select, queue, rng));
  });
}

/// A worker of the raw point select on one loop of several: `select` by a random key while
/// `left` (shared by every loop's workers) has queries to give.
inline ring::Task<void> shared_queue_worker(AioDatabase& db, std::string_view select,
                                            std::atomic<std::int64_t>& left,
                                            std::minstd_rand& rng) {
  while (left.fetch_sub(1, std::memory_order_relaxed) > 0) {
    const ResultSet r = co_await db.aio_execute(select, random_aid(rng));
    if (r.size() != 1) throw std::runtime_error("no row");
    benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
  }
}

/// `per_loop` shared_queue_worker tasks on the calling loop, until `left` is used up.
inline ring::Task<void> run_loop_share(AioDatabase& db, std::string_view select, int per_loop,
                                       std::atomic<std::int64_t>& left, unsigned seed) {
  std::minstd_rand rng(seed);
  ring::TaskGroup group(*ring::Loop::current());
  for (int i = 0; i < per_loop; ++i)
    group.spawn(shared_queue_worker(db, select, left, rng));
  co_await group.join();
}

/// tern's side on `threads` loops (ring::LoopGroup) sharing one database: `tasks` tasks split
/// evenly over the loops, a pool shard of kConnections / threads connections per loop (the
/// same 8 in all), each carrying up to `depth` statements. The loops draw their queries from
/// one atomic counter, a batch at a time; CPU time is the process's (every thread's).
template <class Open>
void tern_loop_group(benchmark::State& state, int threads, int tasks, std::size_t depth,
                     std::string_view select, Open&& open) {
  ring::LoopGroup loops(static_cast<std::size_t>(threads));
  DatabaseOptions options = pool_options(depth);
  options.min_connections = options.max_connections =
      static_cast<std::size_t>(kConnections / threads);
  const std::unique_ptr<AioDatabase> db = open(options);
  const auto run = [&](std::int64_t queries) {
    std::atomic<std::int64_t> left{queries};
    loops.run_on_each([&](std::size_t i) {
      return run_loop_share(*db, select, tasks / threads, left, 42 + static_cast<unsigned>(i));
    });
  };
  run(std::int64_t{kWarmUpPerTask} * tasks);  // also opens every shard
  const AllocCount allocs;
  constexpr std::int64_t kBatch = 4096;
  while (state.KeepRunningBatch(kBatch))
    run(kBatch);
  finish(state, static_cast<double>(state.iterations()), allocs);
  loops.run_on_each([&](std::size_t) { return db->aio_close(); });
}

/// The label of a tern case: "32 tasks, <database> of 8, pipeline_depth 4".
inline std::string tern_side(int tasks, std::size_t depth, const char* database) {
  return std::to_string(tasks) + " tasks, " + database + " of " + std::to_string(kConnections) +
         ", pipeline_depth " + std::to_string(depth);
}

}  // namespace tern::bench::concurrency_workload
