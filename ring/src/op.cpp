#include "tern/ring/op.hpp"

#include <cassert>
#include <cerrno>
#include <chrono>

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
  if (goes_last_) {
    unfilled_ = true;
    in_flight_ = true;
    loop_.queue_late(this);
  } else {
    resubmit();
  }
  loop_.op_started();
  // Registered last: if stop was requested meanwhile, the callback runs now and cancels the SQE
  // that is already queued.
  if (stop.stop_possible()) stop_callback_.emplace(stop, CancelOnStop{this});
  return true;
}

void OpBase::queue_link_timeout(bool more_links) noexcept {
  io_uring_sqe* t = loop_.get_sqe();
  io_uring_prep_link_timeout(t, &timeout_, IORING_TIMEOUT_ABS);
  io_uring_sqe_set_data(t, nullptr);
  // A linked timeout may itself link on: the chain goes on past it once the SQE it guards
  // succeeded (its own CQE, -ECANCELED or -ETIME, is ignored: null user_data).
  if (more_links) t->flags |= IOSQE_IO_LINK;
}

void OpBase::resubmit() noexcept {
  const bool timed = deadline_ != kNoDeadline;
  const unsigned per_sqe = timed ? 2 : 1;
  loop_.reserve_sqes(head_ != nullptr ? 2 * per_sqe : per_sqe);
  if (head_ != nullptr) {
    // The head posts no CQE on success, and on failure fails the operation without one: the
    // pair ends with exactly one CQE, so nothing is left in flight when the waiter resumes.
    io_uring_sqe* h = loop_.get_sqe();
    prep_head(h);
    io_uring_sqe_set_data(h, head_);
    h->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    if (timed) queue_link_timeout(true);
  }
  io_uring_sqe* sqe = loop_.get_sqe();
  prep(sqe);
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
  if (timed) {
    sqe->flags |= IOSQE_IO_LINK;
    queue_link_timeout(false);
  }
  in_flight_ = true;
}

void OpBase::prep_late(io_uring_sqe* sqe) noexcept {
  unfilled_ = false;
  if (cancel_requested_) {
    // Stopped before the kernel saw it: a NOP ends it on this turn (as cancelled).
    io_uring_prep_nop(sqe);
    skipped_ = true;
  } else {
    prep(sqe);
  }
  io_uring_sqe_set_data(sqe, static_cast<Completion*>(this));
}

void OpBase::finish(bool done) noexcept {
  if (!done) return;
  loop_.op_finished();
  stop_callback_.reset();
  waiter_.resume();
}

void OpBase::completed(Completion* self, int res, unsigned) noexcept {
  auto& op = static_cast<OpBase&>(*self);
  op.in_flight_ = false;
  if (op.skipped_) [[unlikely]] {
    op.skipped_ = false;
    res = -ECANCELED;
  }
  op.finish(op.on_cqe(res));
}

void OpBase::head_completed(Completion* self, int res, unsigned) noexcept {
  OpBase& op = *static_cast<HeadCompletion*>(self)->op;
  op.in_flight_ = false;  // the linked operation was failed without a CQE
  op.finish(op.on_head_cqe(res));
}

bool OpBase::deadline_passed() const noexcept {
  return deadline_ != kNoDeadline && std::chrono::steady_clock::now() >= deadline_;
}

void OpBase::request_cancel() noexcept {
  // Stop must be requested on the loop's thread (see TaskGroup::cancel); SQEs are single-issuer.
  assert(loop_.on_loop_thread());
  cancel_requested_ = true;
  if (!in_flight_ || unfilled_) return;  // unfilled: prep_late() sends a NOP instead
  if (head_ != nullptr) {
    // A linked operation is issued by the kernel only after its head succeeded (task work):
    // cancels submitted in the same batch as a head that completes inline would find neither.
    // Submit what is queued and let the kernel issue the link first.
    loop_.submit_pending();
  }
  loop_.reserve_sqes(head_ != nullptr ? 2 : 1);
  io_uring_sqe* sqe = loop_.get_sqe();
  io_uring_prep_cancel(sqe, static_cast<Completion*>(this), 0);
  io_uring_sqe_set_data(sqe, nullptr);
  if (head_ != nullptr) {
    // Whichever of the pair is in flight is cancelled; the other cancel finds nothing.
    sqe = loop_.get_sqe();
    io_uring_prep_cancel(sqe, head_, 0);
    io_uring_sqe_set_data(sqe, nullptr);
  }
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
