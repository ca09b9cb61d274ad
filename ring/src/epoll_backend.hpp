// The epoll fallback: runs the SQEs the awaitables prepared without io_uring, for machines that
// refuse io_uring_setup (container seccomp profiles, kernel.io_uring_disabled, old kernels).
//
// The awaitables stay as they are: Loop::get_sqe() hands out entries of a staging array instead
// of the ring's, and submit() interprets them as the kernel would. Each operation is tried at once
// with a non-blocking syscall; one that would block waits for its descriptor's readiness in epoll
// (one-shot interest, re-armed per wait, so a descriptor closed and reused behind tern's back is
// never left unwatched) and is retried when ready. Completions carry the SQE's user_data, result
// and flags, so Loop dispatches them as it does CQEs. Emulated: links (a failure cancels the rest,
// IOSQE_CQE_SKIP_SUCCESS silences a success and, as in the kernel, the links a skipped request's
// failure cancels), linked timeouts, absolute and relative timeouts (a heap on one timerfd, so that
// Loop::fd() turns readable for timers too), ASYNC_CANCEL by user_data, MSG_WAITALL sends and
// receives, and the socket opcode. Not offered: SEND_ZC, MSG_RING, multishot, buffer rings.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tern::ring::detail {

/// A completion of the emulation: what a CQE would carry.
struct EmulatedCqe {
  std::uint64_t user_data;
  int res;
  unsigned flags;
};

class EpollBackend {
 public:
  /// Creates the epoll set and its timerfd; `sq_entries` SQEs are staged between submits.
  explicit EpollBackend(unsigned sq_entries);
  ~EpollBackend();
  EpollBackend(const EpollBackend&) = delete;
  EpollBackend& operator=(const EpollBackend&) = delete;

  /// The epoll descriptor: readable when a watched descriptor or a timer is ready.
  int fd() const noexcept { return epoll_fd_; }
  /// A staging entry (the staged ones are submitted first when all are taken).
  io_uring_sqe* get_sqe() noexcept {
    if (staged_count_ == staged_.size()) [[unlikely]]
      submit();
    return &staged_[staged_count_++];
  }
  /// True when entries are staged or completions queued: work no descriptor will announce.
  bool has_queued() const noexcept { return staged_count_ != 0 || !cq_.empty(); }
  /// Submits the staged entries first unless `n` more fit.
  void reserve(unsigned n) noexcept {
    if (staged_.size() - staged_count_ < n) submit();
  }
  /// Runs the staged entries: what completes at once is queued for take_completions().
  void submit() noexcept;
  /// Waits for readiness and timers (blocking only if `block` and nothing is queued) and runs
  /// what became ready. Returns 0 or an errno of epoll_wait.
  int wait(bool block) noexcept;
  /// The queued completions, taken out of the queue (so that dispatching them may queue more);
  /// null when there are none. Valid until the next call.
  const std::vector<EmulatedCqe>* take_completions() noexcept {
    taken_.clear();
    if (cq_.empty()) return nullptr;
    taken_.swap(cq_);
    return &taken_;
  }

 private:
  struct Req;
  // A descriptor's waiters and the one-shot interest armed for them.
  struct FdState {
    Req* waiters = nullptr;
    std::uint32_t armed = 0;  // events armed in epoll; 0: none known to be armed
    bool added = false;       // registered (EPOLL_CTL_ADD done) as far as this backend knows
    bool dirty = false;       // in dirty_: interest to (re)arm before the next epoll_wait
  };

  Req* make_req(const io_uring_sqe& sqe);
  void release(Req* r) noexcept;
  void start(Req* r) noexcept;
  int attempt(Req& r) noexcept;
  void retry(Req* r) noexcept;
  void finish(Req* r, int res) noexcept;
  void post(std::uint64_t user_data, int res) noexcept;
  int cancel(std::uint64_t user_data) noexcept;
  int cancelled_result(const Req& r) const noexcept;
  void wait_fd(Req* r) noexcept;
  void unwait(Req* r) noexcept;
  FdState& state(int fd);
  void forget_fd(int fd) noexcept;
  void arm_dirty() noexcept;
  void on_ready(int fd, std::uint32_t events) noexcept;
  void timer_push(Req* r) noexcept;
  void timer_remove(Req* r) noexcept;
  void timer_sift(std::size_t i) noexcept;
  void timer_place(std::size_t i) noexcept;
  void fire_timers() noexcept;

  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  std::int64_t timer_armed_at_;  // the timerfd's expiry (ns), INT64_MAX when not armed
  std::vector<io_uring_sqe> staged_;
  std::size_t staged_count_ = 0;
  std::vector<EmulatedCqe> cq_, taken_;
  std::vector<FdState> fds_;
  std::vector<int> dirty_;
  std::vector<Req*> heap_;  // timers, a binary min-heap on Req::when
  // Waiting requests by user_data, for ASYNC_CANCEL: open addressing on the pointer's
  // Fibonacci hash, linear probing, deletion by backward shift (no tombstones). Every waiting
  // request goes in and out, so it must cost little: absl's map cost ~100 instructions a query.
  class PendingTable {
   public:
    PendingTable();
    void insert(std::uint64_t key, Req* r);
    Req* find(std::uint64_t key) const noexcept;
    void erase(std::uint64_t key) noexcept;

   private:
    struct Slot {
      std::uint64_t key = 0;  // 0: empty (a null user_data is never pending)
      Req* req = nullptr;
    };
    std::size_t home(std::uint64_t key) const noexcept {
      return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    unsigned shift_;
  };
  PendingTable pending_;
  std::vector<std::unique_ptr<Req[]>> chunks_;
  Req* free_ = nullptr;
};

}  // namespace tern::ring::detail
