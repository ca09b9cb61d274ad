#include "tern/ring/op.hpp"

#include <cassert>
#include <cerrno>

#include "tern/ring/error.hpp"

namespace tern::ring::detail {

bool OpBase::start(std::coroutine_handle<> waiter, const std::stop_token& stop) {
  if (stop.stop_requested()) {
    cancel_requested_ = true;
    result_ = -ECANCELED;
    return false;
  }
  waiter_ = waiter;
  if (deadline_ != kNoDeadline) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_.time_since_epoch()).count();
    timeout_.tv_sec = ns / 1'000'000'000;
    timeout_.tv_nsec = ns % 1'000'000'000;
  }
  resubmit();
  loop_.op_started();
  // Registered last: if stop was requested meanwhile, the callback runs now and cancels the SQE
  // that is already queued.
  if (stop.stop_possible()) stop_callback_.emplace(stop, CancelOnStop{this});
  return true;
}

void OpBase::resubmit() noexcept {
  const bool timed = deadline_ != kNoDeadline;
  loop_.reserve_sqes(timed ? 2 : 1);
  io_uring_sqe* sqe = loop_.get_sqe();
  prep(sqe);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  if (timed) {
    sqe->flags |= IOSQE_IO_LINK;
    io_uring_sqe* t = loop_.get_sqe();
    io_uring_prep_link_timeout(t, &timeout_, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data(t, nullptr);
  }
  in_flight_ = true;
}

void OpBase::completed(Completion* self, int res, unsigned) noexcept {
  auto& op = static_cast<OpBase&>(*self);
  op.in_flight_ = false;
  if (!op.on_cqe(res)) return;
  op.loop_.op_finished();
  op.stop_callback_.reset();
  op.waiter_.resume();
}

void OpBase::request_cancel() noexcept {
  // Stop must be requested on the loop's thread (see TaskGroup::cancel); SQEs are single-issuer.
  assert(loop_.on_loop_thread());
  cancel_requested_ = true;
  if (!in_flight_) return;
  io_uring_sqe* sqe = loop_.get_sqe();
  io_uring_prep_cancel(sqe, static_cast<Completion*>(this), 0);
  io_uring_sqe_set_data(sqe, nullptr);
}

int OpBase::checked_result() const {
  if (result_ >= 0) return result_;
  if (result_ == -ECANCELED || result_ == -EINTR) {
    if (cancel_requested_) throw CancelledError(what_);
    if (deadline_ != kNoDeadline) throw TimeoutError(what_);
  }
  if (result_ == -ETIME) throw TimeoutError(what_);
  throw_io_error(result_, what_);
}

}  // namespace tern::ring::detail
