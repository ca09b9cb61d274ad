// Prints Google Benchmark's table, then tern against its anchor: throughput and client CPU per
// query, and their ratios (the numbers bench/run collects).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace tern::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  /// Compares benchmark `ours` with benchmark `anchor` (function names), under `label`.
  RatioReporter(std::string label, std::string anchor, std::string ours)
      : ConsoleReporter(OO_Tabular),  // no colours: bench/run greps the table
        label_(std::move(label)),
        anchor_(std::move(anchor)),
        ours_(std::move(ours)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const double iterations = static_cast<double>(r.iterations);
      results_[r.run_name.function_name] = {iterations / r.real_accumulated_time,
                                            r.cpu_accumulated_time / iterations * 1e6};
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const Numbers& a = results_[anchor_];
    const Numbers& o = results_[ours_];
    std::printf(
        "\n%s: %s %.0f q/s, %.2f us CPU/q; tern %.0f q/s, %.2f us CPU/q\n"
        "ratio tern/%s: throughput %.2fx, client CPU %.2fx\n",
        label_.c_str(), anchor_.c_str(), a.qps, a.cpu_us, o.qps, o.cpu_us, anchor_.c_str(),
        o.qps / a.qps, o.cpu_us / a.cpu_us);
  }

 private:
  struct Numbers {
    double qps = 0;
    double cpu_us = 0;
  };
  std::string label_, anchor_, ours_;
  std::map<std::string, Numbers> results_;
};

}  // namespace tern::bench
