#include "tern/ring/recycle.hpp"

#include <array>
#include <bit>
#include <cstdint>

namespace tern::ring {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

constexpr std::size_t kMinShift = 6;  // 64 bytes
constexpr std::size_t kMaxShift = std::bit_width(kMaxRecycled) - 1;
constexpr std::size_t kClasses = kMaxShift - kMinShift + 1;
constexpr std::size_t kBytesKeptPerClass = 256 * 1024;

struct FreeBlock {
  FreeBlock* next;
};

// The size class of a block of n bytes (n <= kMaxRecycled).
inline std::size_t size_class(std::size_t n) noexcept {
  return n <= (std::size_t{1} << kMinShift) ? 0 : std::bit_width(n - 1) - kMinShift;
}

// How many free blocks class c keeps at most: ~kBytesKeptPerClass of them, at least one.
constexpr std::uint32_t keep(std::size_t c) noexcept {
  const std::size_t size = std::size_t{1} << (c + kMinShift);
  return size >= kBytesKeptPerClass ? 1 : static_cast<std::uint32_t>(kBytesKeptPerClass / size);
}

// Trivially destructible and constant-initialised, so that reaching it is one %fs-relative
// access (initial-exec: no __tls_get_addr call, which cost more than malloc itself; the few
// hundred bytes fit glibc's static TLS surplus even when libtern is dlopen()ed), and so that
// it stays readable while other thread_locals are destroyed.
struct Cache {
  std::array<FreeBlock*, kClasses> heads{};
  // Blocks each class may still keep. Zero until the thread's first block is kept (which
  // registers its Reaper) and again once the thread exits, so that the hot path checks one
  // number and nothing else.
  std::array<std::uint32_t, kClasses> room{};
  bool reaper_armed = false;  // the thread's Reaper is registered
};

__attribute__((tls_model("initial-exec"))) constinit thread_local Cache cache;

// Frees a thread's cached blocks when it exits; registered on the first block kept.
struct Reaper {
  Reaper() noexcept = default;
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;
  ~Reaper() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      cache.room[c] = 0;  // blocks freed from now on go straight to operator delete
      while (FreeBlock* b = cache.heads[c]) {
        cache.heads[c] = b->next;
        ::operator delete(b);
      }
    }
  }
};

thread_local Reaper reaper;

// A block no class had room for: the thread's first (arms its Reaper and opens the classes),
// or one over its class's limit, or one freed while the thread exits.
[[gnu::noinline]] void deallocate_slow(void* p, std::size_t c) noexcept {
  if (!cache.reaper_armed) {
    cache.reaper_armed = true;
    [[maybe_unused]] Reaper* volatile r = &reaper;  // odr-use: constructs and registers it
    for (std::size_t k = 0; k < kClasses; ++k)
      cache.room[k] = keep(k);
    auto* b = static_cast<FreeBlock*>(p);
    b->next = cache.heads[c];
    cache.heads[c] = b;
    --cache.room[c];
    return;
  }
  ::operator delete(p);
}

}  // namespace

void* recycled_allocate(std::size_t n) {
  if (!kRecycle || n > kMaxRecycled) return ::operator new(n);
  const std::size_t c = size_class(n);
  if (FreeBlock* b = cache.heads[c]) {
    cache.heads[c] = b->next;
    ++cache.room[c];
    return b;
  }
  return ::operator new (std::size_t{1} << (c + kMinShift));
}

// Unsized ::operator delete throughout: clang before 19 does not declare the sized one unless
// -fsized-deallocation is given (the fuzz build uses clang).
void recycled_deallocate(void* p, std::size_t n) noexcept {
  if (p == nullptr) return;
  if (!kRecycle || n > kMaxRecycled) {
    ::operator delete(p);
    return;
  }
  const std::size_t c = size_class(n);
  if (cache.room[c] == 0) [[unlikely]] {
    deallocate_slow(p, c);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = cache.heads[c];
  cache.heads[c] = b;
  --cache.room[c];
}

}  // namespace tern::ring
