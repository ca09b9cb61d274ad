// Workload 7 (latency under load, open loop), what pg_latency.cpp and mysql_latency.cpp share.
//
// The point select of workload 1 is offered at a fixed rate: query i is due at start + i / rate
// and is sent then whatever the earlier ones are doing (an open loop), and its latency runs from
// that due time to its last row — so that time spent queueing in the client (a busy connection,
// a late loop) counts, instead of being hidden by a closed loop that only sends when an answer
// came back (coordinated omission). The rate is a share (BENCH_LATENCY_LOAD, default 50%) of the
// anchor's maximum, measured first in the same process: the anchor's asynchronous API on 8
// connections in a closed loop (workload 2's first case).
//
// tern: a pool of 8 connections with pipeline_depth 32 (BENCH_LATENCY_DEPTH); one task sleeps on
// the ring until each due time (ring::sleep_until, a timer on the loop) and spawns the query's
// task. The anchor: its non-blocking API on 8 connections, one query in flight on each, from a
// ppoll() loop whose timeout is the next due time; a query due while all 8 are busy waits for one
// (its latency still counts from its due time). Both sides run BENCH_LATENCY_SECONDS (default 5) in
// all, in BENCH_LATENCY_SLICES (default 25) alternating slices, so that load from elsewhere on the
// machine hits both alike. Latencies go to preallocated vectors; percentiles are computed after.
//
// Output: a table on stdout, and with BENCH_TSV set the lines of RatioReporter's format under
// workload 7, which bench/run turns into RESULTS.md's latency table and plot.
#pragma once

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "concurrency_workload.hpp"
#include "models.hpp"
#include "ratio_reporter.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::latency_workload {

using Clock = std::chrono::steady_clock;

inline constexpr int kConnections = 8;      // tern's pool, the anchor's connections
inline constexpr std::int64_t kDepth = 32;  // tern's pipeline_depth: up to 256 in flight
inline constexpr int kWarmUp = 2048;        // queries before anything is measured
inline constexpr double kCalibrateSeconds = 2;

/// When each query is due: query i (0 <= i < count) at start + i / rate.
class Schedule {
 public:
  Schedule(double rate, std::int64_t count)
      : rate_(rate), count_(count), start_(Clock::now() + std::chrono::milliseconds(10)) {}
  ring::Deadline at(std::int64_t i) const {
    return start_ + std::chrono::nanoseconds(
                        static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate_));
  }
  std::int64_t count() const noexcept { return count_; }

 private:
  double rate_;
  std::int64_t count_;
  ring::Deadline start_;
};

/// One side's latencies over all its slices, in nanoseconds; allocated before any is run.
struct Latencies {
  explicit Latencies(std::size_t count) : ns(count, -1) {}
  std::vector<std::int64_t> ns;
  std::size_t filled = 0;  // queries of the slices run so far
  Clock::duration busy{};  // wall time of the slices: first due time to last answer
  double cpu_seconds = 0;  // the process's CPU time (user + kernel) in the slices
};

/// The process's CPU time so far (user + kernel, every thread), in seconds.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Nanoseconds from `due` to now.
inline std::int64_t since(ring::Deadline due) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - due).count();
}

/// The anchors' Source (pg_async.hpp, mysql_async.hpp) of an open loop: query i when its time
/// has come; its latency goes to `out[i]`.
class OpenLoopSource {
 public:
  OpenLoopSource(const Schedule& schedule, std::int64_t* out, std::minstd_rand& rng)
      : schedule_(schedule), out_(out), rng_(rng) {}
  bool next(std::int64_t& tag, std::int32_t& key) {
    if (all_sent() || Clock::now() < schedule_.at(next_)) return false;
    tag = next_++;
    key = random_aid(rng_);
    return true;
  }
  void done(std::int64_t tag, const std::int32_t* columns) {
    out_[tag] = since(schedule_.at(tag));
    benchmark::DoNotOptimize(columns[0]);
  }
  bool all_sent() const noexcept { return next_ == schedule_.count(); }
  ring::Deadline next_due() const { return schedule_.at(next_); }

 private:
  const Schedule& schedule_;
  std::int64_t* out_;
  std::minstd_rand& rng_;
  std::int64_t next_ = 0;
};

/// A Source of a closed loop that runs until a point in time; counts what it handed out.
class UntilSource {
 public:
  explicit UntilSource(ring::Deadline end, std::minstd_rand& rng) : end_(end), rng_(rng) {}
  bool next(std::int64_t& tag, std::int32_t& key) {
    if (Clock::now() >= end_) return false;
    tag = 0;
    key = random_aid(rng_);
    ++sent_;
    return true;
  }
  void done(std::int64_t /*tag*/, const std::int32_t* columns) {
    benchmark::DoNotOptimize(columns[0]);
  }
  std::int64_t sent() const noexcept { return sent_; }

 private:
  ring::Deadline end_;
  std::minstd_rand& rng_;
  std::int64_t sent_ = 0;
};

/// The anchor's maximum: q/s of a closed loop of kCalibrateSeconds on `driver`.
template <class Driver>
double anchor_max_rate(Driver& driver, std::minstd_rand& rng) {
  const auto start = Clock::now();
  UntilSource source(start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(kCalibrateSeconds)),
                     rng);
  driver.run(source);
  const std::chrono::duration<double> took = Clock::now() - start;
  return static_cast<double>(source.sent()) / took.count();
}

/// One slice of the anchor's open loop: `count` queries at `rate` on `driver`.
template <class Driver>
void anchor_slice(Driver& driver, double rate, std::int64_t count, Latencies& out,
                  std::minstd_rand& rng) {
  const double cpu = process_cpu_seconds();
  const Schedule schedule(rate, count);
  OpenLoopSource source(schedule, out.ns.data() + out.filled, rng);
  for (;;) {
    // (A query may complete inside fill(): libmariadb reads the answer at once when it is
    // already there.)
    driver.fill(source);
    if (source.all_sent() && driver.in_flight() == 0) break;
    // Woken by an answer, or by the next due time when a connection could send it.
    driver.step(source,
                !source.all_sent() && driver.has_room() ? source.next_due() : ring::kNoDeadline);
  }
  out.busy += Clock::now() - schedule.at(0);
  out.filled += static_cast<std::size_t>(count);
  out.cpu_seconds += process_cpu_seconds() - cpu;
}

inline ring::Task<void> timed_query(AioDatabase& db, std::string_view select, std::int32_t key,
                                    ring::Deadline due, std::int64_t& out) {
  const ResultSet r = co_await db.aio_execute(select, key);
  if (r.size() != 1) throw std::runtime_error("no row");
  benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
  out = since(due);
}

/// tern's open loop: each query's task spawned at its due time (the loop sleeps until then).
inline ring::Task<void> offer(ring::Loop& loop, AioDatabase& db, std::string_view select,
                              const Schedule& schedule, std::int64_t* out, std::minstd_rand& rng) {
  ring::TaskGroup group(loop);
  for (std::int64_t i = 0; i < schedule.count(); ++i) {
    const ring::Deadline due = schedule.at(i);
    if (Clock::now() < due) co_await ring::sleep_until(loop, due);
    group.spawn(timed_query(db, select, random_aid(rng), due, out[i]));
  }
  co_await group.join();
}

/// One slice of tern's open loop: `count` queries at `rate` on `db`.
inline void tern_slice(ring::Loop& loop, AioDatabase& db, std::string_view select, double rate,
                       std::int64_t count, Latencies& out, std::minstd_rand& rng) {
  const double cpu = process_cpu_seconds();
  const Schedule schedule(rate, count);
  ring::sync_wait(loop, offer(loop, db, select, schedule, out.ns.data() + out.filled, rng));
  out.busy += Clock::now() - schedule.at(0);
  out.filled += static_cast<std::size_t>(count);
  out.cpu_seconds += process_cpu_seconds() - cpu;
}

/// What is reported of one side.
struct Summary {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double achieved = 0;  // answers per second of the slices' wall time
  double cpu_us = 0;    // client CPU per query
};

/// The nearest-rank percentiles of `l` (sorted in place).
inline Summary summarize(Latencies& l) {
  std::vector<std::int64_t>& v = l.ns;
  if (v.empty() || std::any_of(v.begin(), v.end(), [](std::int64_t x) { return x < 0; })) {
    throw std::runtime_error("a query has no latency");
  }
  std::sort(v.begin(), v.end());
  const auto rank = [&](double q) {
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return static_cast<double>(v[std::clamp<std::size_t>(i, 1, v.size()) - 1]) / 1e3;
  };
  return {.p50_us = rank(0.50),
          .p99_us = rank(0.99),
          .p999_us = rank(0.999),
          .max_us = static_cast<double>(v.back()) / 1e3,
          .achieved = static_cast<double>(v.size()) / std::chrono::duration<double>(l.busy).count(),
          .cpu_us = l.cpu_seconds * 1e6 / static_cast<double>(v.size())};
}

/// What a program brings: its server, its anchor's driver and tern's database.
template <class Driver>
struct Backend {
  const char* server;    ///< "PG", "MariaDB"
  const char* anchor;    ///< e.g. "libpq async API"
  const char* database;  ///< tern's, e.g. "PooledPostgresqlDatabase"
  std::string_view select;
  std::function<std::unique_ptr<Driver>()> make_driver;  ///< kConnections, the point select
  std::function<std::unique_ptr<AioDatabase>(const DatabaseOptions&)> open;
  void (*setup)();
};

/// main(): calibrates, runs both sides' slices in turn, prints the comparison and appends it
/// to BENCH_TSV. Returns main()'s exit status (1 when anything failed).
template <class Driver>
int run(const Backend<Driver>& b) {
  // ppoll()'s timeouts would otherwise be rounded up by the default 50 us of timer slack;
  // io_uring's timers (tern's side) are not.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  const double seconds = static_cast<double>(env_int("BENCH_LATENCY_SECONDS", 5));
  const double load = static_cast<double>(env_int("BENCH_LATENCY_LOAD", 50)) / 100;
  const int slices =
      static_cast<int>(std::max<std::int64_t>(1, env_int("BENCH_LATENCY_SLICES", 25)));
  const auto depth =
      static_cast<std::size_t>(std::max<std::int64_t>(1, env_int("BENCH_LATENCY_DEPTH", kDepth)));
  try {
    b.setup();
    std::minstd_rand rng(42);
    const std::unique_ptr<Driver> driver = b.make_driver();
    {
      WorkQueue warm_up(kWarmUp);
      concurrency_workload::QueueSource source(warm_up, rng, [](const std::int32_t*) {});
      driver->run(source);
    }
    const double max_rate = anchor_max_rate(*driver, rng);
    const double rate = max_rate * load;
    const auto per_slice = static_cast<std::int64_t>(rate * seconds / slices);
    if (per_slice < 1) throw std::runtime_error("no query to offer");
    const auto total = static_cast<std::size_t>(per_slice * slices);
    std::printf(
        "%s: %s maximum (closed loop, %g s): %.0f q/s; offering %.0f q/s (%.0f%%) for "
        "%g s in %d slices per side\n",
        b.server, b.anchor, kCalibrateSeconds, max_rate, rate, load * 100, seconds, slices);

    ring::Loop loop;
    const CloseDbAtExit close(loop);  // also when a slice throws
    g_db = b.open(concurrency_workload::pool_options(depth));
    AioDatabase& db = *g_db;
    ring::sync_wait(loop, db.aio_connect());
    {
      Latencies warm_up(kWarmUp);
      tern_slice(loop, db, b.select, 1e9, kWarmUp, warm_up, rng);
    }
    Latencies anchor(total);
    Latencies ours(total);
    for (int s = 0; s < slices; ++s) {
      if (s % 2 == 0) {
        tern_slice(loop, db, b.select, rate, per_slice, ours, rng);
        anchor_slice(*driver, rate, per_slice, anchor, rng);
      } else {
        anchor_slice(*driver, rate, per_slice, anchor, rng);
        tern_slice(loop, db, b.select, rate, per_slice, ours, rng);
      }
    }

    const Summary a = summarize(anchor);
    const Summary t = summarize(ours);
    const std::string label =
        std::string(b.server) + ": " + format_number(rate) + " q/s offered (" +
        format_number(load * 100) + "% of " + b.anchor + "'s maximum, " + format_number(max_rate) +
        " q/s) for " + format_number(seconds) + " s: " + b.database + " of 8, pipeline_depth " +
        std::to_string(depth) + " vs " + b.anchor + ", 8 connections";
    std::FILE* tsv = nullptr;
    if (const char* path = std::getenv("BENCH_TSV"); path != nullptr && *path != '\0') {
      tsv = std::fopen(path, "a");
    }
    std::printf("\n%s\n", label.c_str());
    const auto line = [&](const char* metric, double anchor_value, double ours_value) {
      const std::string x = format_number(anchor_value);
      const std::string y = format_number(ours_value);
      const std::string ratio =
          anchor_value > 0 ? format_number(ours_value / anchor_value) + "x" : "-";
      std::printf("  %-24s anchor %12s  tern %12s  tern/anchor %s\n", metric, x.c_str(), y.c_str(),
                  ratio.c_str());
      if (tsv != nullptr) {
        std::fprintf(tsv, "7\t%s\t%s\t%s\t%s\t%s\n", label.c_str(), metric, x.c_str(), y.c_str(),
                     ratio.c_str());
      }
    };
    line("latency p50 (us)", a.p50_us, t.p50_us);
    line("latency p99 (us)", a.p99_us, t.p99_us);
    line("latency p99.9 (us)", a.p999_us, t.p999_us);
    line("latency max (us)", a.max_us, t.max_us);
    line("answered (q/s)", a.achieved, t.achieved);
    line("client CPU (us/q)", a.cpu_us, t.cpu_us);
    if (tsv != nullptr) std::fclose(tsv);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s latency: failed: %s\n", b.server, e.what());
    return 1;
  }
}

}  // namespace tern::bench::latency_workload
