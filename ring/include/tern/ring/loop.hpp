// Loop: one io_uring per thread, the scheduler under every tern coroutine.
//
// A loop turn resumes the ready coroutines, submits every SQE they queued with one
// io_uring_enter, and dispatches the completions it reaps. The loop is single-threaded (the ring
// is set up SINGLE_ISSUER | DEFER_TASKRUN when the kernel allows); other threads reach it only
// through post(), which wakes it via an eventfd read kept armed on the ring.
//
// Where io_uring is refused (a container's seccomp profile, kernel.io_uring_disabled, an old
// kernel) the loop runs the same SQEs on an epoll backend instead (Backend::epoll): the
// awaitables do not change, the loop interprets what they prepared with non-blocking syscalls.
#pragma once

#include <liburing.h>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tern::ring {

/// An absolute point on the monotonic clock after which an operation fails with TimeoutError.
using Deadline = std::chrono::steady_clock::time_point;
/// The deadline that never passes.
inline constexpr Deadline kNoDeadline = Deadline::max();

/// Returns the deadline `timeout` from now (saturating to kNoDeadline).
Deadline deadline_after(std::chrono::nanoseconds timeout);

/// The I/O backend a Loop runs on.
enum class Backend {
  /// io_uring where the kernel allows it, else epoll (logged once as a warning); the TERN_RING
  /// environment variable (`uring`, `epoll` or `auto`) decides instead when set.
  automatic,
  /// io_uring only: the Loop throws RingUnavailable where it cannot be set up.
  uring,
  /// The epoll fallback: the same operations emulated with non-blocking syscalls and epoll.
  epoll,
};

/// Ring sizes and set-up flags.
struct LoopOptions {
  /// Which backend to run on; automatic: io_uring, else epoll (see Backend).
  Backend backend = Backend::automatic;
  /// Submission queue entries.
  unsigned sq_entries = 256;
  /// Completion queue entries: large, so that the CQ never overflows under load.
  unsigned cq_entries = 4096;
  /// Ask for SINGLE_ISSUER | DEFER_TASKRUN; the loop falls back silently if refused.
  bool defer_taskrun = true;
  /// Link a round trip's send ahead of its recv where the kernel allows (SendRecvAwaiter); false
  /// sends and receives one after the other, as on kernels without IORING_FEAT_CQE_SKIP.
  bool link_send_recv = true;
};

/// What the kernel offered when the ring was set up (from io_uring_get_probe_ring and the flags
/// io_uring_setup accepted).
struct RingFeatures {
  /// The backend the loop runs on (uring or epoll, never automatic). On epoll the operations
  /// are emulated: links, linked timeouts and CQE_SKIP are; SEND_ZC, MSG_RING, multishot recv
  /// and buffer rings are not (false below).
  Backend backend = Backend::uring;
  bool single_issuer_defer_taskrun = false;  ///< IORING_SETUP_SINGLE_ISSUER + DEFER_TASKRUN (6.1)
  bool op_send_zc = false;                   ///< IORING_OP_SEND_ZC (6.0)
  bool op_msg_ring = false;                  ///< IORING_OP_MSG_RING (5.18)
  bool op_socket = false;                    ///< IORING_OP_SOCKET (5.19)
  bool recv_multishot = false;               ///< multishot recv (6.0)
  bool buf_ring = false;                     ///< provided buffer rings (5.19)
  /// IORING_FEAT_CQE_SKIP (5.17): IOSQE_CQE_SKIP_SUCCESS is honoured, so a send can be linked
  /// ahead of its recv and a round trip costs one io_uring_enter (SendRecvAwaiter).
  bool cqe_skip = false;
  unsigned last_op = 0;  ///< the highest opcode the kernel knows
  /// One line per feature for logs and the demo.
  std::string describe() const;
};

namespace detail {
class EpollBackend;
/// The target of a CQE: its user_data points at one of these. A null user_data means "ignore"
/// (linked timeouts and cancel requests).
struct Completion {
  void (*on_complete)(Completion* self, int res, unsigned flags) noexcept = nullptr;
};
class OpBase;
}  // namespace detail

/// The io_uring event loop. Create one per thread; all tern I/O of that thread goes through it.
class Loop {
 public:
  /// Sets up the ring, or the epoll backend where io_uring is unavailable (options.backend,
  /// TERN_RING); throws RingUnavailable if io_uring is required and cannot be used here.
  explicit Loop(LoopOptions options = {});
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /// Runs until no coroutine is ready and no operation is in flight.
  void run();
  /// Runs until `done` becomes true; throws std::logic_error if the loop runs out of work first
  /// (the awaited task can then never finish).
  void run_until(const bool& done);
  /// One non-blocking turn for embedding in a foreign event loop: resumes ready coroutines,
  /// submits, dispatches available completions. Returns true if work remains (call again when
  /// fd() is readable, or right away if ready coroutines remain).
  bool poll();
  /// A file descriptor that becomes readable when completions are waiting (the ring's fd, or the
  /// epoll backend's epoll fd), for epoll/poll/libuv-style embedding together with poll().
  int fd() const noexcept { return fd_; }
  /// The backend this loop runs on (uring or epoll).
  Backend backend() const noexcept { return features_.backend; }
  /// True while any coroutine is ready or any operation is in flight.
  bool has_work() const noexcept;

  /// Resumes `h` on a coming loop turn. Loop thread only.
  void schedule(std::coroutine_handle<> h);
  /// Resumes `h` once the coroutine the loop resumed last suspends, in this same turn: hands
  /// work on to another task without a loop turn (and without nesting it in the caller's
  /// stack, so the caller's own continuation runs first). Loop thread only.
  void resume_soon(std::coroutine_handle<> h) { soon_.push_back(h); }
  /// Runs `fn` on the loop thread on a coming turn. Safe from any thread.
  void post(std::function<void()> fn);
  /// Declares that another thread will post() work later, so run() keeps waiting for it. Each
  /// call must be paired with exactly one post() made with `expected = true`.
  void expect_post() noexcept;
  /// post() for work announced with expect_post().
  void post_expected(std::function<void()> fn);

  /// What the kernel supports, probed at construction.
  const RingFeatures& features() const noexcept { return features_; }
  /// The loop running the calling coroutine (the one whose turn is in progress on this
  /// thread), or nullptr outside any loop. Lets upper layers bind to "the loop they are used
  /// from" without being handed one.
  static Loop* current() noexcept;
  /// True when called on the thread that created the loop.
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == owner_; }

  /// A free SQE (submitting queued ones first if the queue is full). For awaitables.
  io_uring_sqe* get_sqe();
  /// Guarantees room for `n` consecutive SQEs (linked pairs must not straddle a submit).
  void reserve_sqes(unsigned n);
  /// Submits the queued SQEs now and lets the kernel run its pending task work (which issues
  /// linked requests whose predecessor completed); completions are reaped by the turn as usual.
  void submit_pending() noexcept;
  /// Queues `op`'s SQE to be filled just before the next submission, after every SQE queued
  /// until then: timers go last, so that arming one (slow where reprogramming the timer
  /// interrupt traps, as in VMs) never delays a send queued in the same turn.
  void queue_late(detail::OpBase* op) { late_.push_back(op); }
  /// Book-keeping of in-flight operations, for run()'s termination.
  void op_started() noexcept { ++inflight_; }
  void op_finished() noexcept { --inflight_; }  ///< An operation completed.

 private:
  void turn(bool block, const bool* done);
  void run_ready();
  void reap();
  /// Resumes what resume_soon() queued, in order (and what those queue meanwhile).
  void run_soon() {
    if (!soon_.empty()) [[unlikely]]
      run_queued_soon();
  }
  void run_queued_soon();
  /// Fills the SQEs queue_late() deferred.
  void prep_late() {
    if (!late_.empty()) [[unlikely]]
      prep_late_queued();
  }
  void prep_late_queued();
  void arm_wakeup();
  void drain_posts();
  /// Sets up io_uring; 0, or the errno that makes it unusable here (EOPNOTSUPP: the kernel
  /// lacks an operation the awaitables use).
  int setup_uring(const LoopOptions& options);
  /// The epoll backend's half of a turn: submit, wait, dispatch.
  void turn_epoll(bool block);

  struct Wakeup : detail::Completion {
    Loop* loop = nullptr;
    std::uint64_t value = 0;
  };

  io_uring ring_{};
  // Set on the epoll backend only: every ring entry point tests it once (a branch the CPU
  // predicts), so io_uring pays no indirect call per operation.
  std::unique_ptr<detail::EpollBackend> epoll_;
  int fd_ = -1;
  RingFeatures features_;
  std::thread::id owner_;
  std::vector<std::coroutine_handle<>> ready_, running_, soon_;
  std::vector<detail::OpBase*> late_;
  long inflight_ = 0;
  bool in_turn_ = false;

  int event_fd_ = -1;
  Wakeup wakeup_;
  std::mutex post_mutex_;
  std::vector<std::function<void()>> posts_, posts_running_;
  long expected_posts_ = 0;  // guarded by post_mutex_
};

/// `co_await NextTurn{loop}` resumes the awaiting task on the loop's next turn
/// (Loop::schedule): lets other ready tasks and pending I/O run first, without a timer.
struct NextTurn {
  Loop& loop;                                          ///< the loop to resume on
  bool await_ready() const noexcept { return false; }  ///< Always suspends.
  /// Queues the task for the next turn.
  void await_suspend(std::coroutine_handle<> h) const { loop.schedule(h); }
  void await_resume() const noexcept {}  ///< Nothing to return.
};

}  // namespace tern::ring
