#include "epoll_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "tern/ring/error.hpp"

namespace tern::ring::detail {

namespace {

constexpr int kWait = INT_MIN;  // attempt(): the request waits (readiness or a timer)
constexpr std::size_t kNotInHeap = SIZE_MAX;
constexpr std::uint64_t kTimerTag = UINT64_MAX;  // epoll data of the timerfd
constexpr std::int64_t kNever = INT64_MAX;
constexpr std::size_t kChunk = 64;

std::int64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t to_ns(const __kernel_timespec& ts) noexcept {
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool set_nonblocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return (flags & O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

bool is_transfer(std::uint8_t opcode) noexcept {
  return opcode == IORING_OP_SEND || opcode == IORING_OP_RECV;
}

}  // namespace

// One SQE being run: the fields the opcodes use, and its place in a chain, an fd's waiters and
// the timer heap.
struct EpollBackend::Req {
  std::uint64_t user_data;
  std::uint64_t addr;  // buffer, sockaddr, timespec, or the user_data to cancel
  std::uint64_t off;   // connect's address length, accept's length pointer, timeout's count
  int fd;
  std::uint32_t len;
  std::uint32_t op_flags;  // msg_flags, accept_flags, timeout_flags, poll events
  std::uint8_t opcode;
  std::uint8_t sqe_flags;
  bool poll_first;        // wait for readiness before the first try (a recv behind its send)
  bool connecting;        // connect() said EINPROGRESS
  bool fired;             // a linked timeout that expired
  bool on_fd;             // in its descriptor's waiters
  bool in_pending;        // in pending_
  std::uint32_t done;     // bytes of a MSG_WAITALL transfer moved so far
  std::uint32_t want;     // epoll events waited for
  std::uint32_t revents;  // events seen by the last readiness report
  Req* next;              // the request linked after this one
  Req* guard;             // the linked timeout guarding this request
  Req* target;            // of a linked timeout: the request it guards
  Req* fd_prev;
  Req* fd_next;
  std::int64_t when;  // a timer's expiry (ns on CLOCK_MONOTONIC)
  std::size_t heap_index;
};

EpollBackend::EpollBackend(unsigned sq_entries)
    : timer_armed_at_(kNever), staged_(sq_entries < 8 ? 8 : sq_entries) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw IoError(errno, "epoll_create1");
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerTag;
  if (timer_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev) != 0) {
    const int err = errno;
    if (timer_fd_ >= 0) ::close(timer_fd_);
    ::close(epoll_fd_);
    throw IoError(err, "timerfd");
  }
  cq_.reserve(256);
  taken_.reserve(256);
  dirty_.reserve(64);
  heap_.reserve(256);
}

EpollBackend::~EpollBackend() {
  ::close(timer_fd_);
  ::close(epoll_fd_);
}

EpollBackend::Req* EpollBackend::make_req(const io_uring_sqe& sqe) {
  if (free_ == nullptr) {
    chunks_.push_back(std::make_unique<Req[]>(kChunk));
    for (std::size_t i = 0; i < kChunk; ++i) {
      chunks_.back()[i].next = free_;
      free_ = &chunks_.back()[i];
    }
  }
  Req* r = free_;
  free_ = r->next;
  *r = Req{};
  r->user_data = sqe.user_data;
  r->addr = sqe.addr;
  r->off = sqe.off;
  r->fd = sqe.fd;
  r->len = sqe.len;
  r->op_flags = sqe.opcode == IORING_OP_POLL_ADD ? sqe.poll32_events : sqe.rw_flags;
  r->opcode = sqe.opcode;
  r->sqe_flags = sqe.flags;
  r->heap_index = kNotInHeap;
  return r;
}

void EpollBackend::release(Req* r) noexcept {
  if (r == nullptr) return;
  r->next = free_;
  free_ = r;
}

void EpollBackend::submit() noexcept {
  // Chains as the kernel forms them: IOSQE_IO_LINK ties an entry to the next; a LINK_TIMEOUT
  // guards the entry before it and carries the chain on when it is linked itself.
  std::size_t i = 0;
  while (i < staged_count_) {
    Req* head = nullptr;
    Req* last = nullptr;
    bool linked = true;
    while (linked && i < staged_count_) {
      const io_uring_sqe& sqe = staged_[i++];
      linked = (sqe.flags & IOSQE_IO_LINK) != 0;
      Req* r = make_req(sqe);
      if (sqe.opcode == IORING_OP_LINK_TIMEOUT && last != nullptr && last->guard == nullptr) {
        last->guard = r;
        r->target = last;
        continue;
      }
      if (last != nullptr) {
        last->next = r;
      } else {
        head = r;
      }
      last = r;
    }
    start(head);
  }
  staged_count_ = 0;
}

void EpollBackend::start(Req* r) noexcept {
  const int res = attempt(*r);
  if (res != kWait) {
    finish(r, res);
    return;
  }
  if (r->want != 0) {
    if (r->fd < 0) {
      finish(r, -EBADF);
      return;
    }
    wait_fd(r);
  }
  if (r->guard != nullptr) {
    const Req& g = *r->guard;
    r->guard->when = (g.op_flags & IORING_TIMEOUT_ABS) != 0
                         ? to_ns(*reinterpret_cast<const __kernel_timespec*>(g.addr))
                         : now_ns() + to_ns(*reinterpret_cast<const __kernel_timespec*>(g.addr));
    timer_push(r->guard);
  }
  if (r->user_data != 0) {
    pending_.insert(r->user_data, r);
    r->in_pending = true;
  }
}

int EpollBackend::attempt(Req& r) noexcept {
  switch (r.opcode) {
    case IORING_OP_SEND:
    case IORING_OP_RECV: {
      const bool send = r.opcode == IORING_OP_SEND;
      r.want = send ? EPOLLOUT : EPOLLIN;
      if (r.poll_first) {
        r.poll_first = false;
        return kWait;
      }
      const bool all = (r.op_flags & MSG_WAITALL) != 0;
      const int flags = static_cast<int>(r.op_flags & ~std::uint32_t{MSG_WAITALL}) | MSG_DONTWAIT;
      for (;;) {
        auto* p = reinterpret_cast<char*>(r.addr) + r.done;
        const std::size_t n = r.len - r.done;
        const ssize_t got = send ? ::send(r.fd, p, n, flags) : ::recv(r.fd, p, n, flags);
        if (got > 0 && all && r.done + got < r.len) {
          r.done += static_cast<std::uint32_t>(got);
          continue;
        }
        if (got >= 0) return static_cast<int>(r.done + got);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return kWait;
        // What moved before the error is reported, as the kernel does (a short, failed result).
        return r.done > 0 ? static_cast<int>(r.done) : -errno;
      }
    }
    case IORING_OP_READ: {
      r.want = EPOLLIN;
      for (;;) {
        const ssize_t got = ::read(r.fd, reinterpret_cast<void*>(r.addr), r.len);
        if (got >= 0) return static_cast<int>(got);
        if (errno == EINTR) continue;
        return errno == EAGAIN ? kWait : -errno;
      }
    }
    case IORING_OP_CONNECT: {
      r.want = EPOLLOUT;
      if (r.connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(r.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -errno;
        if (err != 0) return -err;
      } else if (!set_nonblocking(r.fd)) {
        return -errno;
      }
      // Again once writable: 0 or EISCONN says connected; a spurious wake-up says EALREADY.
      if (::connect(r.fd, reinterpret_cast<const sockaddr*>(r.addr),
                    static_cast<socklen_t>(r.off)) == 0 ||
          (r.connecting && errno == EISCONN)) {
        return 0;
      }
      if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR) {
        r.connecting = true;
        return kWait;
      }
      return errno == EAGAIN ? kWait : -errno;  // EAGAIN: a Unix socket's backlog is full
    }
    case IORING_OP_ACCEPT: {
      r.want = EPOLLIN;
      if (!set_nonblocking(r.fd)) return -errno;
      const int fd = ::accept4(r.fd, reinterpret_cast<sockaddr*>(r.addr),
                               reinterpret_cast<socklen_t*>(r.off), static_cast<int>(r.op_flags));
      if (fd >= 0) return fd;
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kWait : -errno;
    }
    case IORING_OP_POLL_ADD: {
      const std::uint32_t mask = r.op_flags | POLLERR | POLLHUP;
      if ((r.revents & mask) != 0) return static_cast<int>(r.revents & mask);
      r.want = r.op_flags;
      return kWait;
    }
    case IORING_OP_CLOSE:
      forget_fd(r.fd);
      return ::close(r.fd) == 0 ? 0 : -errno;
    case IORING_OP_SOCKET: {
      const int fd = ::socket(r.fd, static_cast<int>(r.off), static_cast<int>(r.len));
      return fd >= 0 ? fd : -errno;
    }
    case IORING_OP_TIMEOUT: {
      const auto& ts = *reinterpret_cast<const __kernel_timespec*>(r.addr);
      r.when = (r.op_flags & IORING_TIMEOUT_ABS) != 0 ? to_ns(ts) : now_ns() + to_ns(ts);
      r.want = 0;
      timer_push(&r);
      return kWait;
    }
    case IORING_OP_ASYNC_CANCEL:
      return cancel(r.addr);
    case IORING_OP_NOP:
      return 0;
    default:
      return -EINVAL;
  }
}

void EpollBackend::retry(Req* r) noexcept {
  const int res = attempt(*r);
  if (res == kWait) {
    if (r->want != 0) wait_fd(r);
    return;
  }
  finish(r, res);
}

void EpollBackend::finish(Req* r, int res) noexcept {
  unwait(r);
  if (r->in_pending) pending_.erase(r->user_data);
  // A short MSG_WAITALL transfer fails its link, as a negative result does.
  const bool failed = res < 0 || (is_transfer(r->opcode) && (r->op_flags & MSG_WAITALL) != 0 &&
                                  static_cast<std::uint32_t>(res) < r->len);
  if (Req* g = r->guard) {
    timer_remove(g);
    post(g->user_data, g->fired ? -ETIME : -ECANCELED);
    release(g);
  }
  const bool skip = (r->sqe_flags & IOSQE_CQE_SKIP_SUCCESS) != 0;
  if (failed || !skip) post(r->user_data, res);
  Req* next = r->next;
  const bool after_send = r->opcode == IORING_OP_SEND;
  release(r);
  if (next == nullptr) return;
  if (!failed) {
    // A recv behind its send waits for the reply rather than trying for it at once.
    next->poll_first = after_send && next->opcode == IORING_OP_RECV;
    start(next);
    return;
  }
  // The rest of the chain is cancelled; silently when the failed request skipped its success
  // CQE (IOSQE_CQE_SKIP_SUCCESS: the kernel then posts none for the links it cancels).
  while (next != nullptr) {
    Req* after = next->next;
    if (!skip) {
      post(next->user_data, -ECANCELED);
      if (next->guard != nullptr) post(next->guard->user_data, -ECANCELED);
    }
    release(next->guard);
    release(next);
    next = after;
  }
}

void EpollBackend::post(std::uint64_t user_data, int res) noexcept {
  // A null user_data is "ignore" to Loop: no entry at all.
  if (user_data != 0) cq_.push_back({user_data, res, 0});
}

int EpollBackend::cancelled_result(const Req& r) const noexcept {
  // A transfer cut short reports what it moved, as the kernel's does.
  return r.done > 0 ? static_cast<int>(r.done) : -ECANCELED;
}

int EpollBackend::cancel(std::uint64_t user_data) noexcept {
  Req* r = pending_.find(user_data);
  if (r == nullptr) return -ENOENT;
  finish(r, cancelled_result(*r));
  return 0;
}

EpollBackend::PendingTable::PendingTable() : slots_(512), shift_(64 - 9) {}

void EpollBackend::PendingTable::insert(std::uint64_t key, Req* r) {
  if (2 * (size_ + 1) > slots_.size()) {  // at most half full: probes stay short
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    --shift_;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != 0) insert(s.key, s.req);
    }
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (slots_[i].key != 0 && slots_[i].key != key)
    i = (i + 1) & mask;
  if (slots_[i].key == 0) ++size_;
  slots_[i] = {key, r};
}

EpollBackend::Req* EpollBackend::PendingTable::find(std::uint64_t key) const noexcept {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(key); slots_[i].key != 0; i = (i + 1) & mask) {
    if (slots_[i].key == key) return slots_[i].req;
  }
  return nullptr;
}

void EpollBackend::PendingTable::erase(std::uint64_t key) noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = home(key);
  while (slots_[hole].key != key) {
    if (slots_[hole].key == 0) return;
    hole = (hole + 1) & mask;
  }
  --size_;
  // Backward shift: an entry after the hole moves into it unless its home lies cyclically in
  // (hole, j], where it would no longer be found.
  for (std::size_t j = (hole + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    const std::size_t h = home(slots_[j].key);
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
}

EpollBackend::FdState& EpollBackend::state(int fd) {
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) + 64);
  return fds_[static_cast<std::size_t>(fd)];
}

void EpollBackend::wait_fd(Req* r) noexcept {
  FdState& s = state(r->fd);
  r->fd_prev = nullptr;
  r->fd_next = s.waiters;
  if (s.waiters != nullptr) s.waiters->fd_prev = r;
  s.waiters = r;
  r->on_fd = true;
  if (!s.dirty) {
    s.dirty = true;
    dirty_.push_back(r->fd);
  }
}

void EpollBackend::unwait(Req* r) noexcept {
  if (r->on_fd) {
    FdState& s = fds_[static_cast<std::size_t>(r->fd)];
    if (r->fd_prev != nullptr) {
      r->fd_prev->fd_next = r->fd_next;
    } else {
      s.waiters = r->fd_next;
    }
    if (r->fd_next != nullptr) r->fd_next->fd_prev = r->fd_prev;
    r->on_fd = false;
    // Nobody waits: the next waiter re-arms with a syscall, so a descriptor closed and reused
    // meanwhile is registered again rather than trusted.
    if (s.waiters == nullptr) s.armed = 0;
  }
  timer_remove(r);
}

void EpollBackend::forget_fd(int fd) noexcept {
  if (fd >= 0 && static_cast<std::size_t>(fd) < fds_.size()) {
    FdState& s = fds_[static_cast<std::size_t>(fd)];
    s.added = false;
    s.armed = 0;
  }
}

void EpollBackend::arm_dirty() noexcept {
  // By index: failing a waiter may start its chain's next request, which may add to dirty_.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    const int fd = dirty_[i];
    FdState& s = fds_[static_cast<std::size_t>(fd)];
    s.dirty = false;
    std::uint32_t want = 0;
    for (Req* r = s.waiters; r != nullptr; r = r->fd_next)
      want |= r->want;
    if (want == 0 || want == s.armed) continue;
    epoll_event ev{};
    ev.events = want | EPOLLONESHOT;
    ev.data.u64 = static_cast<std::uint64_t>(fd);
    int rc = ::epoll_ctl(epoll_fd_, s.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
    if (rc != 0 && errno == ENOENT) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    if (rc == 0) {
      s.added = true;
      s.armed = want;
      continue;
    }
    // Not pollable (or gone): the waiters fail with the reason.
    const int err = errno;
    while (Req* r = fds_[static_cast<std::size_t>(fd)].waiters)
      finish(r, -err);
  }
  dirty_.clear();
}

void EpollBackend::on_ready(int fd, std::uint32_t events) noexcept {
  if (static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& s = fds_[static_cast<std::size_t>(fd)];
  s.armed = 0;  // one-shot: disarmed by this report
  Req* r = s.waiters;
  s.waiters = nullptr;
  // The detached waiters are retried; those still blocked join the list again (wait_fd), as do
  // requests their completions start.
  while (r != nullptr) {
    Req* after = r->fd_next;
    r->on_fd = false;
    r->revents = events;
    if ((events & (r->want | EPOLLERR | EPOLLHUP)) != 0) {
      retry(r);
    } else {
      wait_fd(r);
    }
    r = after;
  }
}

void EpollBackend::timer_push(Req* r) noexcept {
  r->heap_index = heap_.size();
  heap_.push_back(r);
  timer_sift(r->heap_index);
}

void EpollBackend::timer_sift(std::size_t i) noexcept {
  Req* r = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (heap_[parent]->when <= r->when) break;
    heap_[i] = heap_[parent];
    heap_[i]->heap_index = i;
    i = parent;
  }
  heap_[i] = r;
  r->heap_index = i;
}

void EpollBackend::timer_place(std::size_t i) noexcept {
  Req* r = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->when < heap_[child]->when) ++child;
    if (heap_[child]->when >= r->when) break;
    heap_[i] = heap_[child];
    heap_[i]->heap_index = i;
    i = child;
  }
  heap_[i] = r;
  r->heap_index = i;
}

void EpollBackend::timer_remove(Req* r) noexcept {
  const std::size_t i = r->heap_index;
  if (i == kNotInHeap) return;
  r->heap_index = kNotInHeap;
  Req* last = heap_.back();
  heap_.pop_back();
  if (last == r) return;
  heap_[i] = last;
  last->heap_index = i;
  timer_sift(i);
  timer_place(last->heap_index);
}

void EpollBackend::fire_timers() noexcept {
  std::uint64_t expirations = 0;
  [[maybe_unused]] auto n = ::read(timer_fd_, &expirations, sizeof expirations);
  timer_armed_at_ = kNever;
  const std::int64_t now = now_ns();
  while (!heap_.empty() && heap_.front()->when <= now) {
    Req* r = heap_.front();
    timer_remove(r);
    if (r->opcode == IORING_OP_LINK_TIMEOUT) {
      // The guarded request is cancelled; finish() posts this timeout's -ETIME.
      r->fired = true;
      finish(r->target, cancelled_result(*r->target));
    } else {
      finish(r, -ETIME);
    }
  }
}

int EpollBackend::wait(bool block) noexcept {
  arm_dirty();
  if (!heap_.empty() && heap_.front()->when < timer_armed_at_) {
    // Armed only when a timer earlier than the armed expiry comes: a later one is taken up by
    // the (then early) expiry, which re-arms for the earliest left.
    timer_armed_at_ = heap_.front()->when;
    itimerspec spec{};
    spec.it_value.tv_sec = timer_armed_at_ / 1'000'000'000;
    spec.it_value.tv_nsec = timer_armed_at_ % 1'000'000'000;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }
  epoll_event events[64];
  const int n = ::epoll_wait(epoll_fd_, events, 64, block && cq_.empty() ? -1 : 0);
  if (n < 0) return errno == EINTR ? 0 : errno;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kTimerTag) {
      fire_timers();
    } else {
      on_ready(static_cast<int>(events[i].data.u64), events[i].events);
    }
  }
  return 0;
}

}  // namespace tern::ring::detail
