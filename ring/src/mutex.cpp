#include "tern/ring/mutex.hpp"

#include <algorithm>
#include <exception>

namespace tern::ring {

Task<void> AsyncMutex::lock() {
  if (!locked_) {
    locked_ = true;
    co_return;
  }
  Signal turn(loop_);
  waiters_.push_back(&turn);
  std::exception_ptr cancelled;
  try {
    co_await turn.wait(kNoDeadline);
  } catch (...) {
    cancelled = std::current_exception();
  }
  if (!cancelled) co_return;  // unlock() handed the lock to us
  if (turn.notified()) {
    unlock();  // handed over as we were cancelled: pass it on
  } else {
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &turn));
  }
  std::rethrow_exception(cancelled);
}

void AsyncMutex::unlock() noexcept {
  if (waiters_.empty()) {
    locked_ = false;
    return;
  }
  Signal* next = waiters_.front();
  waiters_.pop_front();
  next->notify();  // stays locked: ownership moves to the waiter
}

Task<AsyncMutex::Guard> AsyncMutex::scoped() {
  co_await lock();
  co_return Guard(this);
}

}  // namespace tern::ring
