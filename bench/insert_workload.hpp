// Workload 4 (insert throughput), what pg_insert.cpp and mysql_insert.cpp share: the rows and
// their batches, the table made by the ORM, the runs (each on an emptied table) and main().
// The programs hold each driver's inserts.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "models.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::insert_workload {

inline constexpr std::size_t kBatch = 1'000;  // rows per INSERT of the batched benchmarks
inline const std::int64_t kRowCount = env_int("BENCH_INSERT_ROWS", 100'000);

/// The rows to insert, in batches of kBatch (insert_many takes a vector).
inline const std::vector<std::vector<BenchInsert>>& batches() {
  static const std::vector<std::vector<BenchInsert>> all = [] {
    std::vector<std::vector<BenchInsert>> b;
    for (std::int64_t i = 0; i < kRowCount; ++i) {
      if (i % static_cast<std::int64_t>(kBatch) == 0) b.emplace_back().reserve(kBatch);
      b.back().push_back(make_row<BenchInsert>(i + 1));
    }
    return b;
  }();
  return all;
}

/// The same rows as aio_copy_in takes them: one Params of (n, t, f, ts) each.
inline const std::vector<Params>& copy_rows() {
  static const std::vector<Params> all = [] {
    std::vector<Params> rows;
    rows.reserve(static_cast<std::size_t>(kRowCount));
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (const BenchInsert& r : batch)
        rows.push_back(Params{Value(r.n), Value(r.t), Value(r.f), Value(r.ts)});
    }
    return rows;
  }();
  return all;
}

/// The columns aio_copy_in fills.
inline const std::vector<std::string>& copy_columns() {
  static const std::vector<std::string> columns{"n", "t", "f", "ts"};
  return columns;
}

/// The program's database with `options` (not connected yet).
using OpenDb = std::unique_ptr<AioDatabase> (*)(const DatabaseOptions& options);
/// Empties bench_insert, on an anchor connection of its own that it owns (tern's benchmarks
/// truncate through the anchor, outside the timing, as the anchor's do).
using AdminTruncate = std::function<void()> (*)();

/// The runs of one benchmark, each inserting every row into the table that `truncate`
/// empties first, outside the timing:
///
///   Runs runs(state, truncate);
///   while (runs.next()) { ...insert batches()... }
///   runs.finish();
class Runs {
 public:
  Runs(benchmark::State& state, std::function<void()> truncate)
      : state_(state), truncate_(std::move(truncate)) {}
  /// True while another run is to go; the table is empty then.
  bool next() {
    if (!state_.KeepRunning()) return false;
    state_.PauseTiming();
    truncate_();
    state_.ResumeTiming();
    return true;
  }
  /// Records the rows inserted (see bench::finish).
  void finish() const {
    bench::finish(state_, static_cast<double>(state_.iterations() * kRowCount), allocs_);
  }

 private:
  benchmark::State& state_;
  std::function<void()> truncate_;
  AllocCount allocs_;
};

/// The ORM's insert_many of every batch, on a pool of one connection that `open` makes;
/// `truncate` empties the table before each run. `keys`: the statement returns the inserted
/// keys (PostgreSQL: RETURNING id, as the libpq side reads), or only the row count (MySQL: the
/// keys would cost a second round trip, SELECT @@auto_increment_increment, which the
/// libmariadb side does not make).
template <OpenDb open, AdminTruncate truncate, bool keys>
void BM_tern_orm_insert_many(benchmark::State& state) {
  ring::Loop loop;
  const CloseDbAtExit close(loop);
  g_db = open(DatabaseOptions{.min_connections = 1, .max_connections = 1});
  auto body = [&]() -> ring::Task<void> {
    co_await g_db->aio_connect();
    Runs runs(state, truncate());
    while (runs.next()) {
      for (const std::vector<BenchInsert>& batch : batches()) {
        if constexpr (keys) {
          const auto insert = BenchInsert::insert_many(batch);
          const std::vector<std::int64_t> ids = co_await insert.aio_execute();
          benchmark::DoNotOptimize(ids.data());
        } else {
          const auto insert = BenchInsert::insert_many(batch).as_rowcount();
          const std::uint64_t inserted = co_await insert.aio_execute();
          benchmark::DoNotOptimize(inserted);
        }
      }
    }
    runs.finish();
  };
  ring::sync_wait(loop, body());
}

/// AioDatabase::aio_copy_in of every row (binary COPY on PostgreSQL, prepared multi-row
/// INSERTs on MySQL) on a pool of one connection; `truncate` empties the table before each run.
template <OpenDb open, AdminTruncate truncate>
void BM_tern_copy_in(benchmark::State& state) {
  ring::Loop loop;
  const CloseDbAtExit close(loop);
  g_db = open(DatabaseOptions{.min_connections = 1, .max_connections = 1});
  auto body = [&]() -> ring::Task<void> {
    co_await g_db->aio_connect();
    Runs runs(state, truncate());
    while (runs.next()) {
      const std::uint64_t loaded =
          co_await g_db->aio_copy_in("bench_insert", copy_columns(), copy_rows());
      benchmark::DoNotOptimize(loaded);
    }
    runs.finish();
  };
  ring::sync_wait(loop, body());
}

/// The program's benchmarks: the anchor's and tern's single-row INSERTs, the anchor's
/// batches (the ORM's insert_many is BM_tern_orm_insert_many above), and the anchor's bulk
/// load that aio_copy_in is compared with (its name and what it does, for the table).
struct Benchmarks {
  BenchmarkFunction anchor_single_rows, tern_single_rows, anchor_batches;
  BenchmarkFunction anchor_copy = nullptr;
  std::string anchor_copy_name{};
  std::string anchor_copy_what{};
};

/// main(): checks BENCH_INSERT_ROWS, creates bench_insert through the ORM on the database
/// `open` makes, builds the rows before any measurement and runs the benchmarks (one run is
/// the whole data set; bench/run repeats it): `server`'s single-row INSERTs by tern's `driver`
/// against `anchor`, and the ORM's insert_many (`keys`: see BM_tern_orm_insert_many) against
/// `anchor` sending the same SQL.
template <OpenDb open, AdminTruncate truncate, bool keys>
int run(int argc, char** argv, const std::string& server, const std::string& driver,
        const std::string& anchor, const Benchmarks& b) {
  if (kRowCount <= 0 || kRowCount % static_cast<std::int64_t>(kBatch) != 0) {
    std::fprintf(stderr, "BENCH_INSERT_ROWS must be a positive multiple of %zu\n", kBatch);
    return 2;
  }
  const std::string rows = server + ": " + std::to_string(kRowCount);
  const std::string anchor_single_rows = "BM_" + anchor + "_single_rows";
  const std::string anchor_batches = "BM_" + anchor + "_batches";
  std::vector<Case> cases{
      {rows + " single-row INSERTs in one transaction: " + driver + " vs " + anchor + " (prepared)",
       anchor_single_rows.c_str(), b.anchor_single_rows, "BM_tern_single_rows", b.tern_single_rows},
      {rows + " rows in INSERTs of 1,000: ORM insert_many vs " + anchor + " (same SQL, prepared)",
       anchor_batches.c_str(), b.anchor_batches, "BM_tern_orm_insert_many",
       BM_tern_orm_insert_many<open, truncate, keys>}};
  if (b.anchor_copy != nullptr) {
    cases.push_back({rows + " rows bulk-loaded: aio_copy_in vs " + b.anchor_copy_what,
                     b.anchor_copy_name.c_str(), b.anchor_copy, "BM_tern_copy_in",
                     BM_tern_copy_in<open, truncate>});
  }
  return run_cases(argc, argv, "4", "row", 1, cases, [] {
    ring::Loop loop;
    const CloseDbAtExit close(loop);
    g_db = open(DatabaseOptions{.max_connections = 1});
    ring::sync_wait(loop, BenchInsert::aio_create_table());
    batches();  // the data is made before any measurement
    copy_rows();
  });
}

}  // namespace tern::bench::insert_workload
