// The awaitable behind every ring operation: one SQE, an optional linked timeout for the
// deadline, and a stop callback that turns a stop request into IORING_OP_ASYNC_CANCEL.
//
// Lifetime rule: the awaiter lives in the suspended coroutine's frame and is only resumed by its
// own CQE, so a cancelled or timed-out operation always completes its SQE before its frame dies.
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
 public:
  OpBase(Loop& loop, Deadline deadline, const char* what) noexcept
      : loop_(loop), deadline_(deadline), what_(what) {
    on_complete = &OpBase::completed;
  }
  OpBase(const OpBase&) = delete;
  OpBase& operator=(const OpBase&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return start(h, context_of(h).stop);
  }

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

  Loop& loop_;
  int result_ = 0;

 private:
  struct CancelOnStop {
    OpBase* op;
    void operator()() const noexcept { op->request_cancel(); }
  };
  static void completed(Completion* self, int res, unsigned flags) noexcept;

  Deadline deadline_;
  const char* what_;
  std::coroutine_handle<> waiter_;
  __kernel_timespec timeout_{};
  std::optional<std::stop_callback<CancelOnStop>> stop_callback_;
  bool cancel_requested_ = false;
  bool in_flight_ = false;
};

}  // namespace tern::ring::detail
