// AsyncMutex: a first-come-first-served lock for tasks of one loop (a connection shared by
// the concurrent child tasks of a transaction: their statements go out one at a time, in the
// order they asked).
#pragma once

#include <deque>

#include "tern/ring/loop.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// A fair, non-recursive lock for coroutines. Loop thread only.
class AsyncMutex {
 public:
  /// A mutex whose waiters sleep on `loop`.
  explicit AsyncMutex(Loop& loop) noexcept : loop_(loop) {}
  AsyncMutex(const AsyncMutex&) = delete;
  AsyncMutex& operator=(const AsyncMutex&) = delete;

  /// Takes the lock, waiting in line for it. Throws CancelledError on a stop request (the
  /// lock is not held then).
  Task<void> lock();
  /// Passes the lock to the next waiter, or frees it.
  void unlock() noexcept;
  /// True while held.
  bool locked() const noexcept { return locked_; }

  /// Holds the lock for a scope: `auto guard = co_await mutex.scoped();`.
  class Guard {
   public:
    /// Takes over a lock already held (scoped() makes it).
    explicit Guard(AsyncMutex* m) noexcept : m_(m) {}
    /// Takes over the lock; `o` holds none after.
    Guard(Guard&& o) noexcept : m_(o.m_) { o.m_ = nullptr; }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (m_ != nullptr) m_->unlock();
    }

   private:
    AsyncMutex* m_;
  };
  /// lock(), then a Guard that unlocks.
  Task<Guard> scoped();

 private:
  Loop& loop_;
  bool locked_ = false;
  std::deque<Signal*> waiters_;
};

}  // namespace tern::ring
