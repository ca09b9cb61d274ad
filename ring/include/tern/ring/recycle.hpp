// A per-thread recycling block allocator for the hot path: coroutine frames (Task's promise)
// and the buffers of query results. A steady-state query frees and allocates the same sizes
// over and over; keeping freed blocks on a per-thread free list per size class turns those
// malloc/free pairs into a few instructions and no heap traffic (DESIGN.md: zero heap
// allocations per query in steady state).
//
// Blocks are rounded up to a power of two from 64 bytes to kMaxRecycled; larger ones go straight
// to operator new/delete. Each size class keeps at most ~256 KiB of free blocks (at least one),
// so a burst does not pin memory. A block may be freed on another thread than the one that
// allocated it (it joins that thread's list). Under AddressSanitizer recycling is off (every block
// goes to operator new/delete), so that a use after free is still reported.
#pragma once

#include <cstddef>
#include <limits>
#include <new>

namespace tern::ring {

/// Largest block kept on the free lists (bigger ones are plain operator new/delete).
inline constexpr std::size_t kMaxRecycled = std::size_t{1} << 20;

/// A block of at least `n` bytes (aligned for any fundamental type). Throws std::bad_alloc.
void* recycled_allocate(std::size_t n);
/// Gives back a block from recycled_allocate(n) (same n).
void recycled_deallocate(void* p, std::size_t n) noexcept;

/// A standard allocator over recycled_allocate, for containers on the hot path.
template <class T>
struct RecyclingAllocator {
  using value_type = T;  ///< The element type.
  RecyclingAllocator() noexcept = default;
  template <class U>
  /// Converts from another element type (stateless).
  RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}  // NOLINT: converting, as std's
  /// Room for n elements; throws std::bad_array_new_length when n is too large.
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(recycled_allocate(n * sizeof(T)));
  }
  /// Gives back what allocate(n) returned.
  void deallocate(T* p, std::size_t n) noexcept { recycled_deallocate(p, n * sizeof(T)); }
  template <class U>
  /// Always equal: all share the per-thread pools.
  bool operator==(const RecyclingAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tern::ring
