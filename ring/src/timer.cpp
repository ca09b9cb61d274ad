#include "tern/ring/timer.hpp"

#include <cerrno>

namespace tern::ring {

SleepAwaiter::SleepAwaiter(Loop& loop, Deadline until) noexcept
    : OpBase(loop, kNoDeadline, "sleep") {
  goes_last_ = true;
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count();
  when_.tv_sec = ns / 1'000'000'000;
  when_.tv_nsec = ns % 1'000'000'000;
}

void SleepAwaiter::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_timeout(sqe, &when_, 0, IORING_TIMEOUT_ABS);
}

void SleepAwaiter::await_resume() const {
  if (result_ == -ETIME) return;  // the timer fired: the normal outcome
  checked_result();
}

}  // namespace tern::ring
