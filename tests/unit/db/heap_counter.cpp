// The replacement global operator new / delete that heap_counter.hpp reads. In a file of its
// own: where a call site could inline both, GCC flags the free() of operator new's memory.
#include "heap_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
// Relaxed: a counter read by the same thread that allocates, not a synchronisation point.
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace tern::testing {

long heap_allocations() noexcept {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace tern::testing
