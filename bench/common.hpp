// What every benchmark binary shares: the servers' URLs (TLS off on both sides, so that tern
// and its anchor do the same work), the heap-allocation counter (alloc_counter.cpp), peak-RSS
// measurement, and the counters RatioReporter reads.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "malloc_counter.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

/// `name` from the environment, or the default; bench/run sets the URLs.
inline std::string env(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::move(fallback);
}
/// An integer from the environment (e.g. BENCH_LARGE_ROWS), or the default.
inline std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : fallback;
}

/// `url` with one more query parameter.
inline std::string with_param(std::string url, std::string_view param) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += param;
  return url;
}

/// TERN_PG_URL with TLS off: libpq and tern both default to sslmode=prefer, and the test
/// server offers TLS; a benchmark of the drivers should not measure OpenSSL.
inline std::string pg_url() {
  const std::string u = env("TERN_PG_URL");
  if (u.empty()) throw std::runtime_error("TERN_PG_URL is not set (run through bench/run)");
  return with_param(u, "sslmode=disable");
}
/// TERN_MYSQL_URL with TLS off (tern's default ssl-mode is PREFERRED; libmariadb 3.3 does not
/// use TLS unless asked).
inline std::string mysql_url() {
  const std::string u = env("TERN_MYSQL_URL");
  if (u.empty()) throw std::runtime_error("TERN_MYSQL_URL is not set (run through bench/run)");
  return with_param(u, "ssl-mode=DISABLED");
}

/// Peak resident set size of one run, as a delta over the RSS when reset() was called: resets
/// the kernel's high-water mark (/proc/self/clear_refs) so that each run is measured alone
/// rather than reading ru_maxrss, which only ever grows over the process.
class PeakRss {
 public:
  /// Returns freed memory to the OS and starts a new measurement.
  void reset();
  /// Peak RSS since reset() minus the RSS at reset(), in MiB.
  double delta_mib() const;

 private:
  long base_kib_ = 0;
};

/// Marks the measured loop: counts the heap allocations made in it and, under
/// `valgrind --tool=callgrind --collect-atstart=no`, has callgrind collect only there (bench/run's
/// instructions-per-query section). Construct it right before the loop (or construct it with
/// kLater and start() it after a warm-up); finish() ends the region.
class AllocCount {
 public:
  enum Later { kLater };
  AllocCount() noexcept { start(); }
  explicit AllocCount(Later) noexcept {}
  AllocCount(const AllocCount&) = delete;
  AllocCount& operator=(const AllocCount&) = delete;
  void start() noexcept;
  std::uint64_t so_far() const noexcept { return allocations() - start_; }

 private:
  std::uint64_t start_ = 0;
};

/// Ends the measured region (callgrind stops collecting) and returns the items measured so far
/// by every run of the process; bench/run divides callgrind's instruction count by it.
double end_measured_region(double items) noexcept;

/// The accounts table of workloads 1 and 2 (pgbench's shape): keys 1..kAccounts.
inline constexpr int kAccounts = 100'000;
/// A random key of the accounts table.
inline std::int32_t random_aid(std::minstd_rand& rng) {
  return static_cast<std::int32_t>(rng() % kAccounts + 1);
}

/// Hands out the queries of a benchmark to concurrent workers (tasks or connections) on one
/// thread: a fixed number (warm-up), or as many as Google Benchmark asks for, in batches, so
/// that the workers keep running across batches and only the last one stops them.
class WorkQueue {
 public:
  /// `count` queries, outside any measurement.
  explicit WorkQueue(std::int64_t count) noexcept : left_(count) {}
  /// As many as `state` wants; the timer starts at the first take().
  explicit WorkQueue(benchmark::State& state, std::int64_t batch = 64) noexcept
      : state_(&state), batch_(batch) {}

  /// True when the caller should run one more query.
  bool take() {
    if (left_ == 0 && state_ != nullptr && !done_) {
      if (state_->KeepRunningBatch(batch_)) {
        left_ = batch_;
      } else {
        done_ = true;  // KeepRunningBatch must not be called again after it said no
      }
    }
    if (left_ == 0) return false;
    --left_;
    return true;
  }

 private:
  benchmark::State* state_ = nullptr;
  std::int64_t batch_ = 0;
  std::int64_t left_ = 0;
  bool done_ = false;
};

/// One decoded row of the large-result workload (int8, text, float8, timestamp): tern and the
/// anchors decode into the same struct, so that both do the same work per row.
struct DecodedRow {
  std::int64_t id = 0;
  std::string text;
  double real = 0;
  std::int64_t micros = 0;  // since the Unix epoch

  /// Folds the row into a checksum, so that nothing is optimised away.
  std::int64_t fold() const noexcept {
    return id + static_cast<std::int64_t>(text.size()) + static_cast<std::int64_t>(real) +
           micros % 1'000'003;
  }
};

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil-from-days
/// algorithm, inverted).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Parses the anchors' text timestamps, "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]" (PostgreSQL's
/// timestamptz output, MySQL's DATETIME(6)), to microseconds since the Unix epoch in UTC. A
/// minimal parser for the benchmark's data, not a general one.
inline std::int64_t parse_timestamp_us(const char* p, std::size_t n) {
  const auto num = [&](std::size_t at, std::size_t len) {
    std::int64_t v = 0;
    for (std::size_t i = at; i < at + len && i < n; ++i)
      v = v * 10 + (p[i] - '0');
    return v;
  };
  if (n < 19) throw std::runtime_error("short timestamp");
  std::int64_t us = (days_from_civil(num(0, 4), static_cast<unsigned>(num(5, 2)),
                                     static_cast<unsigned>(num(8, 2))) *
                         86400 +
                     num(11, 2) * 3600 + num(14, 2) * 60 + num(17, 2)) *
                    1'000'000;
  std::size_t i = 19;
  if (i < n && p[i] == '.') {
    std::int64_t frac = 0;
    int digits = 0;
    for (++i; i < n && p[i] >= '0' && p[i] <= '9'; ++i, ++digits)
      frac = frac * 10 + (p[i] - '0');
    for (; digits < 6; ++digits)
      frac *= 10;
    us += frac;
  }
  if (i < n && (p[i] == '+' || p[i] == '-')) {
    const std::int64_t sign = p[i] == '+' ? 1 : -1;
    std::int64_t offset = num(i + 1, 2) * 3600;
    if (i + 3 < n && p[i + 3] == ':') offset += num(i + 4, 2) * 60;
    us -= sign * offset * 1'000'000;
  }
  return us;
}

/// Records what RatioReporter compares: `items` (queries, rows...) processed in the measured
/// loop and the heap allocations made meanwhile, per item.
inline void finish(benchmark::State& state, double items, const AllocCount& allocs) {
  const auto n = static_cast<double>(allocs.so_far());
  end_measured_region(items);
  state.SetItemsProcessed(static_cast<std::int64_t>(items));
  state.counters["allocs/item"] = items > 0 ? n / items : 0;
}

/// The measured loop of a benchmark that runs one operation (or one batch of `batch`) per
/// round: `warm_up` unmeasured rounds first, then the allocation count starts and Google
/// Benchmark decides how many more. The same code runs both, so the warm-up is representative.
///
///   WarmedLoop rounds(state, kWarmUp);
///   while (rounds.next()) { ... }
///   rounds.finish(static_cast<double>(state.iterations()));
class WarmedLoop {
 public:
  WarmedLoop(benchmark::State& state, std::int64_t warm_up, std::int64_t batch = 1) noexcept
      : state_(state), warm_up_(warm_up), batch_(batch), allocs_(AllocCount::kLater) {}
  /// True while another round is to run.
  bool next() {
    if (warm_up_ > 0) {
      --warm_up_;
      return true;
    }
    if (!measuring_) {
      measuring_ = true;
      allocs_.start();
    }
    return state_.KeepRunningBatch(batch_);
  }
  /// Records the items processed by the measured rounds (see finish() above).
  void finish(double items) const { tern::bench::finish(state_, items, allocs_); }

 private:
  benchmark::State& state_;
  std::int64_t warm_up_;
  std::int64_t batch_;
  AllocCount allocs_;
  bool measuring_ = false;
};

/// The measured loop of a blocking benchmark (the anchors'): `warm_up` unmeasured calls of
/// `op` (statements prepared, buffers grown), then Google Benchmark's loop with the heap
/// allocations counted; one item per call.
template <class Op>
void measure(benchmark::State& state, int warm_up, Op&& op) {
  for (int i = 0; i < warm_up; ++i)
    op();
  const AllocCount allocs;
  for (auto _ : state)
    op();
  finish(state, static_cast<double>(state.iterations()), allocs);
}

/// The measured loop of a tern benchmark, on `loop`: `rounds_of(rounds)` is a coroutine
/// running `while (rounds.next()) { ... }` (a WarmedLoop of `warm_up` rounds of `batch` items).
/// The whole loop runs inside one task, so that what is measured is the driver, not
/// sync_wait; one item per round's batch member.
template <class Rounds>
void measure_rounds(ring::Loop& loop, benchmark::State& state, std::int64_t warm_up,
                    Rounds&& rounds_of, std::int64_t batch = 1) {
  auto body = [&]() -> ring::Task<void> {
    WarmedLoop rounds(state, warm_up, batch);
    co_await rounds_of(rounds);
    rounds.finish(static_cast<double>(state.iterations()));
  };
  ring::sync_wait(loop, body());
}

/// measure_rounds on a ring and connection of its own: `connect(loop)` makes the connection,
/// `rounds_of(conn, rounds)` is the coroutine running the rounds, and the connection is closed
/// after them. The loop runs on `backend` (the epoll rows force the fallback).
template <auto connect, class Rounds>
void measure_on_connection(benchmark::State& state, std::int64_t warm_up, Rounds&& rounds_of,
                           std::int64_t batch = 1,
                           ring::Backend backend = ring::Backend::automatic) {
  ring::Loop loop(ring::LoopOptions{.backend = backend});
  auto conn = connect(loop);
  measure_rounds(
      loop, state, warm_up, [&](WarmedLoop& rounds) { return rounds_of(conn, rounds); }, batch);
  ring::sync_wait(loop, conn.close());
}

}  // namespace tern::bench
