// Prints Google Benchmark's table, then each comparison of tern against its anchor:
// throughput, client CPU per item (the process's: user + kernel, every thread), heap
// allocations per item and peak RSS where measured, and their ratios; "**Failed**" for a
// comparison whose benchmark reported an error. With --benchmark_repetitions (bench/run
// interleaves them at random, so that load from elsewhere hits both sides alike) each metric
// is the median over the repetitions. With BENCH_TSV set it also appends one line per metric
// to that file, which bench/run turns into the tables of RESULTS.md:
//   workload <TAB> case <TAB> metric <TAB> anchor value <TAB> tern value <TAB> tern/anchor
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace tern::bench {

/// Three significant digits, without exponent for the ranges that occur here.
inline std::string format_number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 10'000) {  // 1,234,567 (appending: GCC 12 warns falsely on string::insert)
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string digits;
    for (const char* p = buf; *p != '\0'; ++p) {
      digits += *p;
      const std::size_t left = std::strlen(p + 1);
      if (*p != '-' && left > 0 && left % 3 == 0) digits += ',';
    }
    return digits;
  }
  if (a >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (a >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (a >= 1) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else if (a >= 0.01) {
    std::snprintf(buf, sizeof buf, "%.3f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g", v);
  }
  return buf;
}

/// One line of comparison: benchmark `ours` against benchmark `anchor` (function names).
struct Comparison {
  std::string label;       ///< the table's case column, e.g. "PG: pg::Connection vs libpq"
  std::string anchor;      ///< the anchor's benchmark function
  std::string ours;        ///< tern's benchmark function
  std::string unit = "q";  ///< what one item is: q (query), row, op...
};

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  /// Compares under `workload` (the section of RESULTS.md the lines go to).
  RatioReporter(std::string workload, std::vector<Comparison> comparisons)
      : ConsoleReporter(OO_Tabular),  // no colours: the output goes to a log
        workload_(std::move(workload)),
        comparisons_(std::move(comparisons)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) {
        failed_.insert(r.run_name.function_name);
        errors_.push_back(r.benchmark_name() + ": " + r.error_message);
        continue;
      }
      if (r.run_type != Run::RT_Iteration) continue;  // no aggregates
      Numbers n;
      // Every benchmark here uses real time, so items_per_second is items / real seconds. Its
      // CPU time is the process's (MeasureProcessCPUTime, see program.hpp): user + kernel, all
      // threads.
      const auto items = r.counters.find("items_per_second");
      n.items = items != r.counters.end() ? items->second.value * r.real_accumulated_time
                                          : static_cast<double>(r.iterations);
      n.per_second = n.items / r.real_accumulated_time;
      n.cpu_us = r.cpu_accumulated_time / n.items * 1e6;
      if (const auto a = r.counters.find("allocs/item"); a != r.counters.end()) {
        n.allocs = a->second.value;
      }
      if (const auto m = r.counters.find("peak_rss_MiB"); m != r.counters.end()) {
        n.rss_mib = m->second.value;
      }
      if (const auto s = r.counters.find("checksum"); s != r.counters.end()) {
        n.checksum = s->second.value;
      }
      results_[r.run_name.function_name].push_back(n);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::FILE* tsv = nullptr;
    if (const char* path = std::getenv("BENCH_TSV"); path != nullptr && *path != '\0') {
      tsv = std::fopen(path, "a");
    }
    std::map<std::string, double> instructions = read_instructions();
    std::printf("\n");
    for (const Comparison& c : comparisons_) {
      const auto text_line = [&](const std::string& metric, const std::string& anchor,
                                 const std::string& ours, const std::string& ratio) {
        std::printf("  %-24s anchor %12s  tern %12s  tern/anchor %s\n", metric.c_str(),
                    anchor.c_str(), ours.c_str(), ratio.c_str());
        if (tsv != nullptr) {
          std::fprintf(tsv, "%s\t%s\t%s\t%s\t%s\t%s\n", workload_.c_str(), c.label.c_str(),
                       metric.c_str(), anchor.c_str(), ours.c_str(), ratio.c_str());
        }
      };
      // A failed side: the comparison says so rather than vanishing from the tables.
      const bool anchor_failed = failed_.count(c.anchor) != 0;
      const bool ours_failed = failed_.count(c.ours) != 0;
      if (anchor_failed || ours_failed) {
        std::printf("%s\n", c.label.c_str());
        text_line("**Failed**", anchor_failed ? "failed" : "ok", ours_failed ? "failed" : "ok",
                  "-");
        continue;
      }
      const auto a = results_.find(c.anchor);
      const auto o = results_.find(c.ours);
      if (a == results_.end() || o == results_.end()) continue;  // filtered out
      std::printf("%s\n", c.label.c_str());
      const auto line = [&](const std::string& metric, double anchor, double ours) {
        text_line(metric, fmt(anchor), fmt(ours), anchor > 0 ? fmt(ours / anchor) + "x" : "-");
      };
      const Numbers x = median(a->second);
      const Numbers y = median(o->second);
      line("throughput (" + c.unit + "/s)", x.per_second, y.per_second);
      line("client CPU (us/" + c.unit + ")", x.cpu_us, y.cpu_us);
      if (x.allocs >= 0 && y.allocs >= 0) line("allocs/" + c.unit, x.allocs, y.allocs);
      if (x.rss_mib >= 0 && y.rss_mib >= 0) line("peak RSS delta (MiB)", x.rss_mib, y.rss_mib);
      if (instructions.count(c.anchor) != 0 && instructions.count(c.ours) != 0) {
        line("instructions (Ir/" + c.unit + ", callgrind)", instructions[c.anchor],
             instructions[c.ours]);
      }
      // Both sides decoded the same data: a different checksum means a broken benchmark.
      if (x.checksum != y.checksum) line("CHECKSUM MISMATCH", x.checksum, y.checksum);
    }
    if (tsv != nullptr) std::fclose(tsv);
    // For bench/run's callgrind pass (one benchmark per process): what its loops measured.
    std::printf("measured items, all runs: %.0f\n", end_measured_region(0));
  }

  /// "benchmark: message" of every run that reported an error (SkipWithError).
  const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  struct Numbers {
    double items = 0;
    double per_second = 0;
    double cpu_us = 0;
    double allocs = -1;   // -1: not measured
    double rss_mib = -1;  // -1: not measured
    double checksum = 0;  // of the decoded values, where the benchmark computes one
  };
  // BENCH_IR: "function<TAB>instructions per item" lines from bench/run's callgrind pass.
  static std::map<std::string, double> read_instructions() {
    std::map<std::string, double> out;
    const char* path = std::getenv("BENCH_IR");
    std::FILE* f = path != nullptr && *path != '\0' ? std::fopen(path, "r") : nullptr;
    if (f == nullptr) return out;
    char name[256];
    double ir = 0;
    while (std::fscanf(f, "%255s %lf", name, &ir) == 2)
      out[name] = ir;
    std::fclose(f);
    return out;
  }
  // The median of each metric on its own.
  static Numbers median(std::vector<Numbers> runs) {
    const auto mid = [&](double Numbers::*field) {
      std::vector<double> v;
      for (const Numbers& n : runs)
        v.push_back(n.*field);
      std::sort(v.begin(), v.end());
      const std::size_t h = v.size() / 2;
      return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    };
    Numbers m;
    for (double Numbers::*f : {&Numbers::items, &Numbers::per_second, &Numbers::cpu_us,
                               &Numbers::allocs, &Numbers::rss_mib, &Numbers::checksum}) {
      m.*f = mid(f);
    }
    return m;
  }
  static std::string fmt(double v) { return format_number(v); }

  std::string workload_;
  std::vector<Comparison> comparisons_;
  std::map<std::string, std::vector<Numbers>> results_;  // per function, one per repetition
  std::set<std::string> failed_;                         // functions with a failed run
  std::vector<std::string> errors_;
};

}  // namespace tern::bench
