// Signal: a one-shot wake-up between tasks of one loop, with a deadline. The building block of
// fair queues above the ring (pool waiters, a connection shared by several tasks).
#pragma once

#include <stop_token>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// One task waits (wait()), another wakes it (notify()). notify() before wait() is kept: the
/// wait then returns at once. Loop thread only; not reusable after it fired.
class Signal {
 public:
  /// A signal whose waiter sleeps on `loop`.
  explicit Signal(Loop& loop) noexcept : loop_(loop) {}
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  /// Suspends until notify() (returns true) or `deadline` (returns false). A stop request on
  /// the waiting task throws CancelledError — check notified() then: a notify may have won
  /// the race.
  Task<bool> wait(Deadline deadline);
  /// Wakes the waiter (now or when it starts waiting).
  void notify() noexcept;
  /// True once notify() was called.
  bool notified() const noexcept { return notified_; }

 private:
  class WaitOp;

  Loop& loop_;
  WaitOp* sleeping_ = nullptr;  // the pending wait's timer, cancelled by notify() or a stop
  bool notified_ = false;
};

}  // namespace tern::ring
