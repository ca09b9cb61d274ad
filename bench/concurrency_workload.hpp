// Workload 2 (the point select under concurrency, one client thread), what
// pg_concurrency.cpp and mysql_concurrency.cpp share: the sizes, the measured part of a
// benchmark whose workers draw queries from a WorkQueue, and tern's side of "32 tasks over a
// pool of 8 connections" (the same code on both backends). The programs hold the anchors'
// poll() loops and the PostgreSQL pipelining.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>

#include "common.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::concurrency_workload {

inline constexpr int kConnections = 8;  // the anchor's connections, tern's pool size
inline constexpr int kTasks = 32;       // tern's tasks sharing the pool
inline constexpr int kWarmUp = 256;     // queries before the measured loop

/// The measured part of a benchmark whose workers take their queries from a WorkQueue:
/// `run(queue)` returns once the queue is empty and every query is done. kWarmUp queries
/// first, unmeasured; then as many as Google Benchmark asks for, with allocations counted.
template <class Run>
void measure_queue(benchmark::State& state, Run&& run) {
  WorkQueue warm_up(kWarmUp);
  run(warm_up);
  const AllocCount allocs;
  WorkQueue queue(state);
  run(queue);
  finish(state, static_cast<double>(state.iterations()), allocs);
}

inline ring::Task<void> pool_worker(AioDatabase& db, std::string_view select, WorkQueue& queue,
                                    std::minstd_rand& rng) {
  while (queue.take()) {
    const ResultSet r = co_await db.aio_execute(select, random_aid(rng));
    if (r.size() != 1) throw std::runtime_error("no row");
    benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
  }
}

inline ring::Task<void> run_pool(ring::Loop& loop, AioDatabase& db, std::string_view select,
                                 WorkQueue& queue, std::minstd_rand& rng) {
  ring::TaskGroup group(loop);
  for (int i = 0; i < kTasks; ++i)
    group.spawn(pool_worker(db, select, queue, rng));
  co_await group.join();
}

/// tern's side: kTasks tasks running `select` (the point select, one parameter) through
/// aio_execute on the database `open(options)` makes: a pool of kConnections.
template <class Open>
void tern_pool_tasks(benchmark::State& state, std::string_view select, Open&& open) {
  ring::Loop loop;
  DatabaseOptions options;
  options.min_connections = kConnections;
  options.max_connections = kConnections;
  const std::unique_ptr<AioDatabase> db = open(options);
  std::minstd_rand rng(42);
  ring::sync_wait(loop, db->aio_connect());
  measure_queue(state, [&](WorkQueue& queue) {
    ring::sync_wait(loop, run_pool(loop, *db, select, queue, rng));
  });
  ring::sync_wait(loop, db->aio_close());
}

}  // namespace tern::bench::concurrency_workload
