// Sleeping on the ring (IORING_OP_TIMEOUT on the monotonic clock).
#pragma once

#include <chrono>

#include "tern/ring/op.hpp"

namespace tern::ring {

/// Awaitable that completes at a point in time; throws CancelledError if the task is stopped.
class SleepAwaiter : public detail::OpBase {
 public:
  /// Sleeps on `loop` until `until`.
  SleepAwaiter(Loop& loop, Deadline until) noexcept;
  /// Returns once the time has come; throws CancelledError on a stop request.
  void await_resume() const;

 private:
  void prep(io_uring_sqe* sqe) noexcept override;
  __kernel_timespec when_{};
};

/// `co_await sleep_until(loop, t)` suspends the task until the monotonic clock reaches `t`.
inline SleepAwaiter sleep_until(Loop& loop, Deadline until) noexcept {
  return {loop, until};
}

/// `co_await sleep_for(loop, d)` suspends the task for `d`.
inline SleepAwaiter sleep_for(Loop& loop, std::chrono::nanoseconds d) noexcept {
  return {loop, deadline_after(d)};
}

}  // namespace tern::ring
