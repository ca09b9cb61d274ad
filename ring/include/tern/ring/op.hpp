// The awaitable behind every ring operation: one SQE, an optional linked timeout for the
// deadline, and a stop callback that turns a stop request into IORING_OP_ASYNC_CANCEL.
//
// Lifetime rule: the awaiter lives in the suspended coroutine's frame and is only resumed by its
// own CQE, so a cancelled or timed-out operation always completes its SQE before its frame dies.
//
// An operation may be preceded by a linked "head" SQE (SendRecvAwaiter: a send ahead of its
// recv) submitted as IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS: the operation starts only once the
// head succeeded, and exactly one of the two posts a CQE — the head's when it fails (the kernel
// then fails the operation without a CQE), else the operation's. So one CQE still ends the pair.
//
// Timers (sleeps, Signal's wait) go last: their SQE is filled just before the turn's submission,
// after every other operation's (Loop::queue_late), so that arming a timer never delays a send.
// A timer stopped before that gets a NOP instead, which ends it as cancelled.
#pragma once

#include <coroutine>
#include <optional>
#include <stop_token>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring::detail {

/// Base of ring awaitables. Subclasses fill the SQE in `prep` and read the outcome in
/// await_resume through checked_result().
class OpBase : public Completion {
 protected:
  /// The completion target of a linked head SQE: routes its CQE to the operation.
  struct HeadCompletion : Completion {
    explicit HeadCompletion(OpBase* o) noexcept : op(o) { on_complete = &OpBase::head_completed; }
    OpBase* op;
  };

 public:
  OpBase(Loop& loop, Deadline deadline, const char* what) noexcept
      : loop_(loop), what_(what), deadline_(deadline) {
    on_complete = &OpBase::completed;
  }
  OpBase(const OpBase&) = delete;
  OpBase& operator=(const OpBase&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return start(h, context_of(h).stop);
  }
  /// Fills the SQE of an operation that goes last (Loop::queue_late), just before it is
  /// submitted.
  void prep_late(io_uring_sqe* sqe) noexcept;

 protected:
  /// Submits the operation; false (resume at once) if stop was already requested.
  bool start(std::coroutine_handle<> waiter, const std::stop_token& stop);
  /// Queues the SQE (and its linked timeout) again, for operations that continue (partial send).
  void resubmit() noexcept;
  /// The result, or throws TimeoutError / CancelledError / IoError naming the operation.
  int checked_result() const;
  /// Fills the operation's SQE (everything but user_data and link flags).
  virtual void prep(io_uring_sqe* sqe) noexcept = 0;
  /// Called with each CQE; returns false to stay suspended (the operation resubmitted itself).
  virtual bool on_cqe(int res) noexcept {
    result_ = res;
    return true;
  }
  virtual ~OpBase() = default;
  /// Asks the kernel to cancel the operation if it is in flight (as a stop request does).
  void request_cancel() noexcept;
  /// True once a stop request was seen.
  bool cancel_requested() const noexcept { return cancel_requested_; }
  /// True when the operation has a deadline and it has passed.
  bool deadline_passed() const noexcept;

  /// Fills the linked head SQE (only called while head_ is set).
  virtual void prep_head(io_uring_sqe*) noexcept {}
  /// Called with the head's CQE (it posts one only when it failed or fell short); returns false
  /// to stay suspended (the pair resubmitted itself).
  virtual bool on_head_cqe(int res) noexcept {
    result_ = res;
    return true;
  }

  Loop& loop_;
  int result_ = 0;
  /// What a failure names ("send", "recv"...).
  const char* what_;
  /// The head's completion target; null for an operation without a linked head.
  Completion* head_ = nullptr;
  /// Set by timers: their SQE is filled after the rest of the turn's (Loop::queue_late). Only
  /// for an operation without a head or a deadline.
  bool goes_last_ = false;

 private:
  struct CancelOnStop {
    OpBase* op;
    void operator()() const noexcept { op->request_cancel(); }
  };
  static void completed(Completion* self, int res, unsigned flags) noexcept;
  static void head_completed(Completion* self, int res, unsigned flags) noexcept;
  void finish(bool done) noexcept;
  void queue_link_timeout(bool more_links) noexcept;

  Deadline deadline_;
  std::coroutine_handle<> waiter_;
  __kernel_timespec timeout_{};
  std::optional<std::stop_callback<CancelOnStop>> stop_callback_;
  bool cancel_requested_ = false;
  bool in_flight_ = false;
  bool unfilled_ = false;  // gone last, its SQE not filled yet
  bool skipped_ = false;   // stopped before its SQE was filled: a NOP went instead
};

}  // namespace tern::ring::detail
