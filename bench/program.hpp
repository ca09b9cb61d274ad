// The main() of every benchmark program: registers its benchmarks with the settings they all
// share, makes its tables, runs them through a RatioReporter and fails (exit status 1) when the
// set-up or any benchmark failed, so that bench/run lists the program as failed instead of
// printing a table with the failed benchmark's rows silently missing.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ratio_reporter.hpp"

namespace tern::bench {

using BenchmarkFunction = void (*)(benchmark::State&);

/// Registers `fn` as benchmark `name`:
///   - real time: every rate is items per wall-clock second (the driver waits on the server);
///   - the process's CPU time, not the calling thread's: the client CPU of RatioReporter's
///     tables then includes the kernel work of the ring and any thread a driver starts
///     (io_uring's io-wq workers, the resolver), i.e. all the CPU the client costs;
///   - an exception from the benchmark (a failed query, a lost connection) becomes
///     SkipWithError: the run is reported as failed and the program's other benchmarks still
///     run, where an escaping exception would terminate the process mid-table.
inline benchmark::internal::Benchmark* add(const char* name, BenchmarkFunction fn) {
  return benchmark::RegisterBenchmark(name,
                                      [fn](benchmark::State& state) {
                                        try {
                                          fn(state);
                                        } catch (const std::exception& e) {
                                          state.SkipWithError(e.what());
                                        }
                                      })
      ->UseRealTime()
      ->MeasureProcessCPUTime();
}

/// A benchmark that runs as long as Google Benchmark needs for a stable rate (1 s at least).
inline void add_timed(const char* name, BenchmarkFunction fn) {
  add(name, fn)->MinTime(1.0);
}
/// A benchmark of `iterations` long runs (a whole data set each), in milliseconds.
inline void add_runs(const char* name, BenchmarkFunction fn, int iterations) {
  add(name, fn)->Iterations(iterations)->Unit(benchmark::kMillisecond);
}

/// Runs the registered benchmarks after `setup` and returns main()'s exit status: 0, or 1 when
/// the set-up threw or any benchmark reported an error.
inline int run_program(int argc, char** argv, std::string workload,
                       std::vector<Comparison> comparisons, const std::function<void()>& setup) {
  benchmark::Initialize(&argc, argv);
  try {
    setup();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "set-up failed: %s\n", e.what());
    return 1;
  }
  RatioReporter reporter(std::move(workload), std::move(comparisons));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!reporter.errors().empty()) {
    std::fprintf(stderr, "%zu benchmark run(s) failed:\n", reporter.errors().size());
    for (const std::string& e : reporter.errors())
      std::fprintf(stderr, "  %s\n", e.c_str());
    return 1;
  }
  return 0;
}

/// One comparison of a program and the two benchmarks it compares.
struct Case {
  std::string label;  ///< the table's case column
  const char* anchor;
  BenchmarkFunction anchor_fn;
  const char* ours;
  BenchmarkFunction ours_fn;
};

/// main() of a program of `iterations` long runs per benchmark (0: timed, see add_timed):
/// registers both sides of every case (each once, in order) and runs them after `setup`.
inline int run_cases(int argc, char** argv, std::string workload, const char* unit, int iterations,
                     const std::vector<Case>& cases, const std::function<void()>& setup) {
  std::vector<Comparison> comparisons;
  std::set<std::string> registered;
  for (const Case& c : cases) {
    for (const auto& [name, fn] :
         {std::pair(c.anchor, c.anchor_fn), std::pair(c.ours, c.ours_fn)}) {
      if (!registered.insert(name).second) continue;
      if (iterations > 0) {
        add_runs(name, fn, iterations);
      } else {
        add_timed(name, fn);
      }
    }
    comparisons.push_back({.label = c.label, .anchor = c.anchor, .ours = c.ours, .unit = unit});
  }
  return run_program(argc, argv, std::move(workload), std::move(comparisons), setup);
}

}  // namespace tern::bench
