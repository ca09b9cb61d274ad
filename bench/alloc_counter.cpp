// The benchmarks' measured-region marks (AllocCount over the malloc shim of
// malloc_counter.cpp, callgrind collection) and PeakRss.
#include <malloc.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT  // no valgrind headers: no callgrind pass either
#endif

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "common.hpp"

namespace tern::bench {

namespace {
bool g_collecting = false;  // callgrind has only a toggle: track its state
double g_measured_items = 0;
}  // namespace

void AllocCount::start() noexcept {
  start_ = allocations();
  if (!g_collecting) {
    CALLGRIND_TOGGLE_COLLECT;  // a no-op outside valgrind
    g_collecting = true;
  }
}

double end_measured_region(double items) noexcept {
  if (g_collecting) {
    CALLGRIND_TOGGLE_COLLECT;
    g_collecting = false;
  }
  g_measured_items += items;
  return g_measured_items;
}

namespace {
// A "Vm...:  1234 kB" line of /proc/self/status.
long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::strtol(line.c_str() + n + 1, nullptr, 10);
    }
  }
  return 0;
}
}  // namespace

void PeakRss::reset() {
  malloc_trim(0);  // what the previous run freed must not count as this run's baseline
  // "5" resets VmHWM to the current RSS (Linux >= 4.0).
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
  base_kib_ = status_kib("VmRSS");
}

double PeakRss::delta_mib() const {
  return static_cast<double>(status_kib("VmHWM") - base_kib_) / 1024.0;
}

}  // namespace tern::bench
