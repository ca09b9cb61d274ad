#include "tern/ring/signal.hpp"

#include <cerrno>
#include <chrono>
#include <optional>

#include "tern/ring/error.hpp"
#include "tern/ring/op.hpp"

namespace tern::ring {

namespace {

// The kernel's timeout takes any time point, but "never" is clearer as a far one.
constexpr auto kFarAway = std::chrono::hours(24 * 365);

}  // namespace

// The wait: one timer on the ring until the deadline, cancelled (not thrown at) by notify()
// or the waiter's stop request. No exception, no stop_source, no extra coroutine: a pool
// waiter woken by a released connection costs two SQEs.
class Signal::WaitOp : public detail::OpBase {
 public:
  WaitOp(Loop& loop, Deadline until, const std::stop_token& stop) noexcept
      : OpBase(loop, kNoDeadline, "wait"), stop_(stop) {
    goes_last_ = true;
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
    when_.tv_sec = ns / 1'000'000'000;
    when_.tv_nsec = ns % 1'000'000'000;
  }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    if (!start(h, std::stop_token())) return false;
    // Registered once the timer is queued: a stop already requested cancels it right away.
    if (stop_.stop_possible()) forward_.emplace(stop_, Wake{this});
    return true;
  }
  /// True when the deadline passed (rather than a wake-up).
  bool await_resume() noexcept {
    forward_.reset();
    return result_ == -ETIME;
  }
  void wake() noexcept { request_cancel(); }

 private:
  // Forwards the waiting task's stop request to the timer.
  struct Wake {
    WaitOp* op;
    void operator()() const noexcept { op->wake(); }
  };
  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_timeout(sqe, &when_, 0, IORING_TIMEOUT_ABS);
  }
  __kernel_timespec when_{};
  const std::stop_token& stop_;
  std::optional<std::stop_callback<Wake>> forward_;
};

Task<bool> Signal::wait(Deadline deadline) {
  if (notified_) co_return true;
  TaskContext& caller = co_await this_task::context();
  if (caller.stop.stop_requested()) throw CancelledError("wait");
  if (deadline == kNoDeadline) deadline = std::chrono::steady_clock::now() + kFarAway;
  bool timed_out = false;
  {
    WaitOp op(loop_, deadline, caller.stop);
    sleeping_ = &op;
    timed_out = co_await op;
    sleeping_ = nullptr;
  }
  if (notified_) co_return true;
  if (timed_out) co_return false;
  throw CancelledError("wait");
}

void Signal::notify() noexcept {
  notified_ = true;
  if (sleeping_ != nullptr) sleeping_->wake();
}

}  // namespace tern::ring
