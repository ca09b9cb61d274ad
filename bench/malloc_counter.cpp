// A counting malloc shim, linked into executables only (never into the library): the
// executable's malloc family interposes glibc's, counts the call and forwards to glibc's own
// entry points (__libc_malloc...). libtern, libpq and libmariadb call malloc directly and
// libstdc++'s operator new calls malloc through the PLT, so one shim counts every heap
// allocation of the process, on any thread.
#include "malloc_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

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

}  // namespace tern::bench
