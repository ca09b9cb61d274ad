// The bytes of a result's rows, as both protocols' Result classes keep them: back to back in
// chunks, from the per-thread recycling allocator.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tern/ring/recycle.hpp"

namespace tern::protocol {

/// Row bytes in chunks. A chunk is not grown past kChunkSize (a row bigger than that gets a
/// chunk of its own): a big result never copies what it holds as it grows, and is never held
/// twice while one buffer doubles into another (with glibc the buffers it doubled out of also
/// stayed resident). A point select's row takes one small block of chunk 0; a steady-state
/// query reuses the blocks of the previous one instead of reaching malloc.
class RowChunks {
 public:
  /// Where bytes sit: their chunk's index << 32 | their offset in that chunk. Bytes appended
  /// together stay in one chunk, so a place plus a length below that chunk's end is a place.
  using Place = std::uint64_t;
  /// The size past which a chunk is not grown.
  static constexpr std::size_t kChunkSize = std::size_t{1} << 20;

  /// Appends a copy of `bytes` (under 4 GiB); returns where it starts.
  Place append(std::string_view bytes) {
    Chunk& c = chunk_for(bytes.size());
    const Place at = place_in(c);
    c.append(bytes);
    return at;
  }
  /// Appends `n` bytes (under 4 GiB) for the caller to write at the pointer returned, and sets
  /// `at` to where they start.
  char* grow(std::size_t n, Place& at) {
    Chunk& c = chunk_for(n);
    at = place_in(c);
    c.resize(c.size() + n);
    return c.data() + (at & kOffsetMask);
  }
  /// The place where the chunk holding `at` starts.
  static Place chunk_start(Place at) noexcept { return at & ~kOffsetMask; }
  /// The bytes at `at` (a place returned by append() or grow(), or inside what they added).
  const char* at(Place at) const noexcept {
    const std::size_t i = at >> 32;
    return (i == 0 ? first_ : more_[i - 1]).data() + (at & kOffsetMask);
  }

 private:
  using Chunk = std::basic_string<char, std::char_traits<char>, ring::RecyclingAllocator<char>>;
  static constexpr Place kOffsetMask = 0xFFFFFFFFu;

  // The chunk that takes the next `n` bytes: the last one, or a new one when they would grow
  // it past kChunkSize.
  Chunk& chunk_for(std::size_t n) {
    Chunk* c = more_.empty() ? &first_ : &more_.back();
    if (!c->empty() && c->size() + n > kChunkSize) {
      c = &more_.emplace_back();
      c->reserve(std::max(kChunkSize, n));
    }
    return *c;
  }
  Place place_in(const Chunk& c) const noexcept { return Place{more_.size()} << 32 | c.size(); }

  Chunk first_;                                               // chunk 0
  std::vector<Chunk, ring::RecyclingAllocator<Chunk>> more_;  // chunks 1...
};

}  // namespace tern::protocol
