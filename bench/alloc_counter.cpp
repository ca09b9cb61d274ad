// A counting malloc shim, linked into the benchmark binaries only (never into the library):
// the executable's malloc family interposes glibc's, counts the call and forwards to glibc's
// own entry points (__libc_malloc...). libpq and libmariadb call malloc directly and
// libstdc++'s operator new calls malloc through the PLT, so one shim counts tern and the
// anchors alike. Also the measured-region marks (AllocCount, callgrind collection) and PeakRss.
#include <malloc.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT  // no valgrind headers: no callgrind pass either
#endif

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "common.hpp"

namespace {
// Relaxed: a counter, not a synchronisation point; ~1 ns beside a ~30 us query.
std::atomic<std::uint64_t> g_allocations{0};
inline void count() noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void* p) {
  __libc_free(p);
}
void* memalign(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  count();
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}

namespace tern::bench {

std::uint64_t allocations() noexcept {
  return g_allocations.load(std::memory_order_relaxed);
}

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
