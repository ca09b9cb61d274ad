#include "tern/ring/loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "epoll_backend.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/log.hpp"
#include "tern/ring/op.hpp"

namespace tern::ring {

Deadline deadline_after(std::chrono::nanoseconds timeout) {
  const auto now = std::chrono::steady_clock::now();
  if (timeout >= kNoDeadline - now) return kNoDeadline;
  return now + timeout;
}

std::string RingFeatures::describe() const {
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  if (backend == Backend::epoll) {
    return absl::StrCat(
        "epoll fallback (io_uring operations emulated with non-blocking syscalls): links, linked "
        "timeouts and cancellation emulated; SEND_ZC no; MSG_RING no; SOCKET ",
        yn(op_socket),
        "; multishot recv no; provided-buffer rings no; CQE_SKIP (one-turn round "
        "trips) ",
        yn(cqe_skip));
  }
  return absl::StrCat("io_uring: last opcode ", last_op, "; SINGLE_ISSUER+DEFER_TASKRUN ",
                      yn(single_issuer_defer_taskrun), "; SEND_ZC ", yn(op_send_zc), "; MSG_RING ",
                      yn(op_msg_ring), "; SOCKET ", yn(op_socket), "; multishot recv ",
                      yn(recv_multishot), "; provided-buffer rings ", yn(buf_ring),
                      "; CQE_SKIP (one-turn round trips) ", yn(cqe_skip));
}

namespace {

int setup_ring(io_uring& ring, const LoopOptions& options, bool& deferred) {
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE;
  params.cq_entries = options.cq_entries;
  if (options.defer_taskrun) {
    io_uring_params p = params;
    p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(options.sq_entries, &ring, &p) == 0) {
      deferred = true;
      return 0;
    }
  }
  deferred = false;
  return io_uring_queue_init_params(options.sq_entries, &ring, &params);
}

RingFeatures probe(io_uring& ring, bool deferred) {
  RingFeatures f;
  f.single_issuer_defer_taskrun = deferred;
  f.cqe_skip = (ring.features & IORING_FEAT_CQE_SKIP) != 0;
  if (io_uring_probe* p = io_uring_get_probe_ring(&ring)) {
    f.last_op = p->last_op;
    auto has = [p](int op) { return io_uring_opcode_supported(p, op) != 0; };
    f.op_send_zc = has(IORING_OP_SEND_ZC);
    f.op_msg_ring = has(IORING_OP_MSG_RING);
    f.op_socket = has(IORING_OP_SOCKET);
    // Multishot recv and buffer rings arrived with the SOCKET opcode (5.19/6.0); probing the
    // opcode set is the only portable signal short of trying them.
    f.recv_multishot = has(IORING_OP_SOCKET);
    f.buf_ring = has(IORING_OP_SOCKET);
    io_uring_free_probe(p);
  }
  return f;
}

// The opcodes the awaitables use: a kernel without one of them cannot run tern on io_uring.
constexpr int kNeededOps[] = {IORING_OP_SEND,        IORING_OP_RECV,    IORING_OP_CONNECT,
                              IORING_OP_ACCEPT,      IORING_OP_READ,    IORING_OP_CLOSE,
                              IORING_OP_POLL_ADD,    IORING_OP_TIMEOUT, IORING_OP_LINK_TIMEOUT,
                              IORING_OP_ASYNC_CANCEL};

bool has_needed_ops(io_uring& ring) {
  io_uring_probe* p = io_uring_get_probe_ring(&ring);
  if (p == nullptr) return false;  // before 5.6: no probe, and no SEND/RECV either
  bool all = true;
  for (int op : kNeededOps)
    all = all && io_uring_opcode_supported(p, op) != 0;
  io_uring_free_probe(p);
  return all;
}

// The backend asked for: the options', else TERN_RING's, else automatic.
Backend requested_backend(const LoopOptions& options) {
  if (options.backend != Backend::automatic) return options.backend;
  const char* env = std::getenv("TERN_RING");
  const std::string_view v = env != nullptr ? env : "";
  if (v.empty() || v == "auto") return Backend::automatic;
  if (v == "uring" || v == "io_uring") return Backend::uring;
  if (v == "epoll") return Backend::epoll;
  throw Error(absl::StrCat("TERN_RING=", std::string(v), ": expected uring, epoll or auto"));
}

// An io_uring_setup refusal that holds for the whole process (seccomp, the sysctl, no syscall):
// later loops go to epoll without asking again. 0 until one is seen.
std::atomic<int> g_refused{0};

void report_fallback(int err) {
  static std::atomic<bool> reported{false};
  if (reported.exchange(true)) return;
  const std::string why = err == EOPNOTSUPP
                              ? std::string("the kernel lacks io_uring operations tern uses")
                              : absl::StrCat("io_uring_setup: ", std::strerror(err));
  log(LogLevel::warning, "ring",
      absl::StrCat("io_uring is unavailable (", why,
                   "; the usual causes: a container's seccomp profile, kernel.io_uring_disabled, "
                   "an old kernel): running on the epoll fallback backend, which costs more CPU "
                   "per operation (TERN_RING=epoll selects it without trying io_uring)"));
}

void report_forced_epoll() {
  static std::atomic<bool> reported{false};
  if (reported.exchange(true)) return;
  log(LogLevel::info, "ring", "running on the epoll backend, as asked (LoopOptions or TERN_RING)");
}

}  // namespace

int Loop::setup_uring(const LoopOptions& options) {
  bool deferred = false;
  if (int rc = setup_ring(ring_, options, deferred); rc < 0) return -rc;
  if (!has_needed_ops(ring_)) {
    io_uring_queue_exit(&ring_);
    return EOPNOTSUPP;
  }
  features_ = probe(ring_, deferred);
  fd_ = ring_.ring_fd;
  return 0;
}

Loop::Loop(LoopOptions options) : owner_(std::this_thread::get_id()) {
  const Backend wanted = requested_backend(options);
  bool use_epoll = wanted == Backend::epoll;
  if (!use_epoll) {
    const int refused = wanted == Backend::automatic ? g_refused.load() : 0;
    const int err = refused != 0 ? refused : setup_uring(options);
    if (err != 0 && wanted == Backend::uring) throw RingUnavailable(err);
    if (err == EPERM || err == EACCES || err == ENOSYS || err == EOPNOTSUPP) g_refused.store(err);
    if (err != 0) report_fallback(err);
    use_epoll = err != 0;
  } else {
    report_forced_epoll();
  }
  if (use_epoll) {
    epoll_ = std::make_unique<detail::EpollBackend>(options.sq_entries);
    fd_ = epoll_->fd();
    features_ = RingFeatures{};
    features_.backend = Backend::epoll;
    features_.op_socket = true;  // emulated (socket(2))
    features_.cqe_skip = true;   // honoured by the emulation's links
  }
  features_.cqe_skip = features_.cqe_skip && options.link_send_recv;
  // The epoll backend reads the eventfd with read(2) when epoll reports it readable.
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | (use_epoll ? EFD_NONBLOCK : 0));
  if (event_fd_ < 0) {
    const int err = errno;
    if (!use_epoll) io_uring_queue_exit(&ring_);
    throw IoError(err, "eventfd");
  }
  wakeup_.loop = this;
  wakeup_.on_complete = [](detail::Completion* c, int res, unsigned) noexcept {
    auto* w = static_cast<Wakeup*>(c);
    if (res != -ECANCELED) w->loop->arm_wakeup();
  };
  arm_wakeup();
  ready_.reserve(64);
  running_.reserve(64);
}

Loop::~Loop() {
  if (epoll_ != nullptr) {
    // The emulation writes into wakeup_.value only inside a turn: nothing to wait for.
    epoll_.reset();
    ::close(event_fd_);
    return;
  }
  // The armed eventfd read writes into wakeup_.value: cancel it and wait for its CQE so the kernel
  // is done with that buffer before the loop's memory goes away.
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_cancel(sqe, &wakeup_, 0);
  io_uring_sqe_set_data(sqe, nullptr);
  io_uring_submit(&ring_);
  for (bool wakeup_done = false; !wakeup_done;) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
    wakeup_done = io_uring_cqe_get_data(cqe) == static_cast<detail::Completion*>(&wakeup_);
    io_uring_cqe_seen(&ring_, cqe);
  }
  io_uring_queue_exit(&ring_);
  ::close(event_fd_);
}

void Loop::arm_wakeup() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, event_fd_, &wakeup_.value, sizeof wakeup_.value, 0);
  io_uring_sqe_set_data(sqe, static_cast<detail::Completion*>(&wakeup_));
  drain_posts();
}

io_uring_sqe* Loop::get_sqe() {
  if (epoll_ != nullptr) [[unlikely]]
    return epoll_->get_sqe();
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Loop::reserve_sqes(unsigned n) {
  if (epoll_ != nullptr) [[unlikely]] {
    epoll_->reserve(n);
    return;
  }
  if (io_uring_sq_space_left(&ring_) < n) io_uring_submit(&ring_);
}

void Loop::prep_late_queued() {
  for (detail::OpBase* op : late_)
    op->prep_late(get_sqe());
  late_.clear();
}

void Loop::submit_pending() noexcept {
  prep_late();
  if (epoll_ != nullptr) [[unlikely]] {
    epoll_->submit();
    return;
  }
  // GETEVENTS without waiting: with DEFER_TASKRUN the kernel runs its task work only then.
  io_uring_submit_and_get_events(&ring_);
}

bool Loop::has_work() const noexcept {
  if (!ready_.empty() || inflight_ > 0) return true;
  std::lock_guard lock(const_cast<std::mutex&>(post_mutex_));
  return expected_posts_ > 0 || !posts_.empty();
}

void Loop::schedule(std::coroutine_handle<> h) {
  ready_.push_back(h);
}

void Loop::run_queued_soon() {
  // By index: a resumed coroutine may queue more.
  for (std::size_t i = 0; i < soon_.size(); ++i)
    soon_[i].resume();
  soon_.clear();
}

// The eventfd is written under the lock: the loop sees the post only after the write, so a
// loop that ends once it has run its last post (a LoopGroup's) never closes the eventfd under
// a poster still writing to it.
void Loop::post(std::function<void()> fn) {
  std::lock_guard lock(post_mutex_);
  posts_.push_back(std::move(fn));
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Loop::expect_post() noexcept {
  std::lock_guard lock(post_mutex_);
  ++expected_posts_;
}

void Loop::post_expected(std::function<void()> fn) {
  std::lock_guard lock(post_mutex_);
  --expected_posts_;
  posts_.push_back(std::move(fn));
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Loop::drain_posts() {
  {
    std::lock_guard lock(post_mutex_);
    posts_running_.swap(posts_);
  }
  for (auto& fn : posts_running_)
    fn();
  posts_running_.clear();
}

void Loop::run_ready() {
  // Coroutines scheduled while this batch runs wait for the next turn, so I/O gets its turn too.
  running_.swap(ready_);
  for (auto h : running_) {
    h.resume();
    run_soon();
  }
  running_.clear();
}

void Loop::reap() {
  // Copy a batch out and mark it seen before dispatching: a dispatched coroutine may submit,
  // and the CQ head must not move under the iteration.
  std::array<io_uring_cqe*, 64> cqes;
  for (;;) {
    const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes.data(), cqes.size());
    if (n == 0) return;
    // Left uninitialised: only the first n entries are written and read (zeroing 64 tuples
    // on every turn was a tenth of a point select's instructions).
    struct Entry {
      detail::Completion* c;
      int res;
      unsigned flags;
    };
    Entry batch[64];
    for (unsigned i = 0; i < n; ++i) {
      batch[i] = {static_cast<detail::Completion*>(io_uring_cqe_get_data(cqes[i])), cqes[i]->res,
                  cqes[i]->flags};
    }
    io_uring_cq_advance(&ring_, n);
    for (unsigned i = 0; i < n; ++i) {
      const Entry e = batch[i];
      if (e.c != nullptr) {
        e.c->on_complete(e.c, e.res, e.flags);
        run_soon();
      }
    }
  }
}

namespace {
// Initial-exec, as the recycler's cache (recycle.cpp): every loop turn sets and restores it,
// and the default model in a shared library made each access a __tls_get_addr call.
__attribute__((tls_model("initial-exec"))) constinit thread_local Loop* current_loop = nullptr;
}  // namespace

Loop* Loop::current() noexcept {
  return current_loop;
}

void Loop::turn(bool block, const bool* done) {
  // Coroutines resumed by this turn find their loop through Loop::current(); a loop driven
  // inside another loop's coroutine (sync mode's private loop) restores the outer one after.
  struct CurrentGuard {
    Loop* previous;
    explicit CurrentGuard(Loop* self) noexcept : previous(std::exchange(current_loop, self)) {}
    ~CurrentGuard() { current_loop = previous; }
  } current_guard(this);
  in_turn_ = true;
  run_soon();  // queued outside any turn (a task started by hand)
  run_ready();
  // Block only for something that will produce a completion, and not once the caller is done.
  block = block && ready_.empty() && !(done != nullptr && *done) && has_work();
  prep_late();
  if (epoll_ != nullptr) [[unlikely]] {
    turn_epoll(block);
    return;
  }
  int rc;
  if (block) {
    rc = io_uring_submit_and_wait(&ring_, 1);
  } else {
    rc = io_uring_submit_and_get_events(&ring_);
  }
  if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EBUSY) {
    in_turn_ = false;
    throw IoError(-rc, "io_uring_enter");
  }
  reap();
  in_turn_ = false;
}

void Loop::turn_epoll(bool block) {
  epoll_->submit();
  if (const int err = epoll_->wait(block); err != 0) {
    in_turn_ = false;
    throw IoError(err, "epoll_wait");
  }
  // As reap(): completions that dispatching queues (a submit_pending) are dispatched too.
  while (const auto* batch = epoll_->take_completions()) {
    for (const detail::EmulatedCqe& e : *batch) {
      auto* c = reinterpret_cast<detail::Completion*>(static_cast<std::uintptr_t>(e.user_data));
      c->on_complete(c, e.res, e.flags);
      run_soon();
    }
  }
  in_turn_ = false;
}

void Loop::run() {
  if (in_turn_) throw std::logic_error("tern::ring::Loop::run called from inside the loop");
  while (has_work())
    turn(true, nullptr);
}

void Loop::run_until(const bool& done) {
  if (in_turn_) {
    throw std::logic_error(
        "tern: sync_wait/run_until called from a coroutine running on the same loop "
        "(a synchronous call inside async code would deadlock)");
  }
  while (!done) {
    if (!has_work()) {
      throw std::logic_error(
          "tern::ring::Loop::run_until: the task is suspended with no I/O in "
          "flight and nothing scheduled; it can never finish");
    }
    turn(true, &done);
  }
}

bool Loop::poll() {
  if (in_turn_) throw std::logic_error("tern::ring::Loop::poll called from inside the loop");
  turn(false, nullptr);
  if (epoll_ != nullptr && epoll_->has_queued()) [[unlikely]] {
    // Requests queued by the completions just dispatched run (and may complete) only on the
    // next turn, which nothing in epoll would announce: the eventfd makes fd() readable.
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
  }
  return has_work();
}

}  // namespace tern::ring
