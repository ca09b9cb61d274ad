// Workload 3 (one large result decoded into DecodedRow), what pg_large_result.cpp and
// mysql_large_result.cpp share: the table's size and query, and the bookkeeping of each run
// (the RSS high-water mark, the row count, the checksum and allocation counters). The programs
// hold the table's set-up and each driver's decoding.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>

#include "common.hpp"

namespace tern::bench::large_result_workload {

/// Rows of bench_large (the table is rebuilt when the count differs).
inline const std::int64_t kRows = env_int("BENCH_LARGE_ROWS", 1'000'000);
inline constexpr const char* kSelect = "SELECT id, t, f, ts FROM bench_large";

/// The runs of one benchmark: construct it right before the measured loop (the allocation
/// count starts there), call begin() first in each run and end() once the run's result is
/// decoded but still held, then report() after the loop.
class Runs {
 public:
  explicit Runs(benchmark::State& state) noexcept : state_(state) {}

  /// A new RSS measurement, outside the timing.
  void begin() {
    state_.PauseTiming();
    rss_.reset();
    state_.ResumeTiming();
  }
  /// The run's peak RSS, with the whole result in memory; `rows` decoded.
  void end(std::int64_t rows) {
    peak_ = std::max(peak_, rss_.delta_mib());
    if (rows != kRows) state_.SkipWithError("wrong row count");
  }
  /// Records the rows, allocations, peak RSS and the checksum of the decoded values (`sum` of
  /// DecodedRow::fold over every run) that RatioReporter compares.
  void report(std::int64_t sum) const {
    benchmark::DoNotOptimize(sum);
    finish(state_, static_cast<double>(state_.iterations() * kRows), allocs_);
    state_.counters["peak_rss_MiB"] = peak_;
    state_.counters["checksum"] = static_cast<double>(sum / state_.iterations());
  }

 private:
  benchmark::State& state_;
  PeakRss rss_;
  double peak_ = 0;
  AllocCount allocs_;
};

}  // namespace tern::bench::large_result_workload
