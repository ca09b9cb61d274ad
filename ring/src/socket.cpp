#include "tern/ring/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"

namespace tern::ring {

void RecvAwaiter::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_recv(sqe, fd_, buf_.data(), buf_.size(), 0);
}

void SendAllAwaiter::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_send(sqe, fd_, rest_.data(), rest_.size(), MSG_NOSIGNAL);
}

bool SendAllAwaiter::on_cqe(int res) noexcept {
  result_ = res;
  if (res <= 0) return true;
  rest_ = rest_.subspan(static_cast<std::size_t>(res));
  if (rest_.empty()) return true;
  resubmit();  // partial send: keep going without waking the coroutine
  return false;
}

SendRecvAwaiter::SendRecvAwaiter(Loop& loop, int fd, std::span<const std::byte> out,
                                 std::span<std::byte> in, Deadline deadline) noexcept
    : OpBase(loop, deadline, "send"), fd_(fd), rest_(out), in_(in) {
  // Linking needs CQE_SKIP (5.17) and a send that waits for all under MSG_WAITALL (5.18: a
  // kernel that let a short send succeed would start the recv behind half a request). The
  // latter has no flag of its own: IORING_OP_SOCKET (5.19) stands for it, as for multishot.
  if (rest_.empty()) {
    what_ = "recv";
  } else if (loop.features().cqe_skip && loop.features().op_socket) {
    head_ = &send_completion_;
  }
}

void SendRecvAwaiter::prep_head(io_uring_sqe* sqe) noexcept {
  // MSG_WAITALL: all or a failure that breaks the link, never a short success the recv follows.
  io_uring_prep_send(sqe, fd_, rest_.data(), rest_.size(), MSG_NOSIGNAL | MSG_WAITALL);
}

void SendRecvAwaiter::prep(io_uring_sqe* sqe) noexcept {
  if (head_ == nullptr && !rest_.empty()) {  // unlinked: the send first, on its own
    io_uring_prep_send(sqe, fd_, rest_.data(), rest_.size(), MSG_NOSIGNAL);
    return;
  }
  io_uring_prep_recv(sqe, fd_, in_.data(), in_.size(), 0);
}

bool SendRecvAwaiter::sent(int res) noexcept {
  if (res < 0) {
    result_ = res;
    return true;
  }
  rest_ = rest_.subspan(std::min(static_cast<std::size_t>(res), rest_.size()));
  if (rest_.empty()) what_ = "recv";
  // Short: a stop request or the deadline cut it (the kernel reports the bytes it sent), or
  // the kernel does not wait for all. Unlinked and sent whole: the recv is yet to be queued.
  // Either way go on unless stopped or late.
  if (cancel_requested() || deadline_passed()) {
    result_ = cancel_requested() ? -ECANCELED : -ETIME;
    return true;
  }
  return false;
}

bool SendRecvAwaiter::on_head_cqe(int res) noexcept {
  // The linked send posts a CQE only when it failed or fell short; its recv was failed
  // without one, so nothing of the pair is in flight now.
  if (sent(res)) return true;
  resubmit();  // the rest of the send, and the recv linked behind it again
  return false;
}

bool SendRecvAwaiter::on_cqe(int res) noexcept {
  if (head_ != nullptr || rest_.empty()) {
    // The recv: in the linked pair it ran only because the send succeeded in full.
    rest_ = {};
    what_ = "recv";
    result_ = res;
    return true;
  }
  // Unlinked: the send's own CQE; the recv follows once all of it is out.
  if (sent(res)) return true;
  resubmit();
  return false;
}

namespace {

class ConnectAwaiter : public detail::OpBase {
 public:
  ConnectAwaiter(Loop& loop, int fd, const Endpoint& e, Deadline deadline) noexcept
      : OpBase(loop, deadline, "connect"), fd_(fd), endpoint_(e) {}
  void await_resume() const { checked_result(); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&endpoint_.addr),
                          endpoint_.len);
  }
  int fd_;
  const Endpoint& endpoint_;
};

class CloseAwaiter : public detail::OpBase {
 public:
  CloseAwaiter(Loop& loop, int fd) noexcept : OpBase(loop, kNoDeadline, "close"), fd_(fd) {}
  void await_resume() const { checked_result(); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override { io_uring_prep_close(sqe, fd_); }
  int fd_;
};

class AcceptAwaiter : public detail::OpBase {
 public:
  AcceptAwaiter(Loop& loop, int fd, Deadline deadline) noexcept
      : OpBase(loop, deadline, "accept"), fd_(fd) {}
  int await_resume() const { return checked_result(); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  int fd_;
};

int new_socket(int family) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw IoError(errno, "socket");
  return fd;
}

}  // namespace

Socket::Socket(Socket&& other) noexcept : loop_(other.loop_), fd_(std::exchange(other.fd_, -1)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    loop_ = other.loop_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Task<Socket> Socket::connect(Loop& loop, const Endpoint& endpoint, Deadline deadline) {
  Socket s(loop, new_socket(endpoint.family()));
  try {
    co_await ConnectAwaiter(loop, s.fd_, endpoint, deadline);
  } catch (const TimeoutError&) {
    throw TimeoutError(absl::StrCat("connect to ", endpoint.to_string()));
  } catch (const CancelledError&) {
    throw;
  } catch (const IoError& e) {
    throw IoError(e.code().value(), absl::StrCat("connect to ", endpoint.to_string()));
  }
  if (endpoint.family() != AF_UNIX) {
    const int one = 1;
    ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  co_return s;
}

Task<Socket> Socket::connect_tcp(Loop& loop, std::string host, std::uint16_t port,
                                 Deadline deadline) {
  const std::vector<Endpoint> endpoints = co_await resolve(loop, host, port, deadline);
  std::string failures;
  int last_errno = EHOSTUNREACH;
  for (const Endpoint& e : endpoints) {
    try {
      co_return co_await connect(loop, e, deadline);
    } catch (const TimeoutError&) {
      throw;
    } catch (const CancelledError&) {
      throw;
    } catch (const IoError& err) {
      if (endpoints.size() == 1) throw;  // its message says it all
      last_errno = err.code().value();
      absl::StrAppend(&failures, failures.empty() ? "" : "; ", err.what());
    }
  }
  throw IoError(last_errno, absl::StrCat("connect to ", host, ":", port,
                                         " failed on every address (", failures, ")"));
}

Task<Socket> Socket::connect_unix(Loop& loop, std::string path, Deadline deadline) {
  Endpoint e;
  auto* un = reinterpret_cast<sockaddr_un*>(&e.addr);
  if (path.size() >= sizeof un->sun_path) {
    throw IoError(ENAMETOOLONG, absl::StrCat("unix socket path too long: ", path));
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  e.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  co_return co_await connect(loop, e, deadline);
}

void Socket::shutdown_write() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

Listener Listener::bind_tcp(Loop& loop, const std::string& host, std::uint16_t port) {
  Endpoint e;
  if (!parse_numeric_host(host, port, e))
    throw IoError(EINVAL, "listen: not a numeric host: " + host);
  Socket s(loop, new_socket(e.family()));
  const int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&e.addr), e.len) != 0 ||
      ::listen(s.fd(), SOMAXCONN) != 0) {
    throw IoError(errno, absl::StrCat("listen on ", e.to_string()));
  }
  return Listener(std::move(s));
}

Listener Listener::bind_unix(Loop& loop, const std::string& path) {
  sockaddr_un un{};
  if (path.size() >= sizeof un.sun_path) throw IoError(ENAMETOOLONG, "unix socket path: " + path);
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  ::unlink(path.c_str());
  Socket s(loop, new_socket(AF_UNIX));
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&un), sizeof un) != 0 ||
      ::listen(s.fd(), SOMAXCONN) != 0) {
    throw IoError(errno, "listen on " + path);
  }
  return Listener(std::move(s));
}

Task<Socket> Listener::accept(Deadline deadline) {
  const int fd = co_await AcceptAwaiter(socket_.loop(), socket_.fd(), deadline);
  co_return Socket(socket_.loop(), fd);
}

std::uint16_t Listener::port() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(socket_.fd(), reinterpret_cast<sockaddr*>(&addr), &len);
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

Task<void> Socket::close() {
  if (fd_ < 0) co_return;
  const int fd = std::exchange(fd_, -1);
  co_await CloseAwaiter(*loop_, fd);
}

}  // namespace tern::ring
