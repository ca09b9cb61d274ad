// The counting malloc shim (malloc_counter.cpp): linked into an executable, never into the
// library, it counts every heap allocation the process makes. The benchmarks (alloc_counter.cpp)
// and the allocation test (tests/integration/alloc_test.cpp) both link it.
#pragma once

#include <cstdint>

namespace tern::bench {

/// Heap allocations (malloc, calloc, realloc, memalign...: operator new goes through malloc)
/// made by the whole process so far.
std::uint64_t allocations() noexcept;

}  // namespace tern::bench
