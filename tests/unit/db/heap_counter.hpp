// Counts the test binary's heap allocations (heap_counter.cpp replaces the global operator
// new), for tests of the "no allocation on the warm path" rule.
#pragma once

namespace tern::testing {

/// operator new calls so far, on any thread.
long heap_allocations() noexcept;

}  // namespace tern::testing
