#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tern::testing {

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string("fault proxy: ") + what);
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Waits until `fd` is ready for `events`; false when `wake` fired first (the connection is cut).
bool wait_fd(int fd, short events, int wake) {
  pollfd fds[2] = {{.fd = fd, .events = events, .revents = 0},
                   {.fd = wake, .events = POLLIN, .revents = 0}};
  for (;;) {
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

// Sends all of [data, data + size); false when the peer is gone or the connection was cut.
bool send_all(int fd, const char* data, std::size_t size, int wake) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(fd, POLLOUT, wake)) return false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

int connect_upstream(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  return fd;
}

std::size_t index_of(Direction d) {
  return d == Direction::kToServer ? 0 : 1;
}

}  // namespace

// One relayed connection: the client's socket, the server's, and the two relay threads.
struct FaultProxy::Conn {
  int client = -1;
  int server = -1;
  int wake = -1;       // eventfd written by cut(): every wait of both relays ends
  bool cut = false;    // guarded by mu_
  bool reset = false;  // close with RST
  int running = 2;     // relays still running; the last one closes the sockets
  bool done = false;   // both relays finished (join them)
  // Set before the last bytes of a cut go out: the other relay forwards nothing more, so a
  // reply to those bytes (the server's OK to a COMMIT) never reaches the client.
  std::atomic<bool> cutting{false};
  std::thread threads[2];
};

// What a relay does with the chunk it just received.
struct FaultProxy::Decision {
  std::chrono::milliseconds delay{0};
  std::size_t first = 0;  // bytes forwarded before the action
  enum class Then { kForward, kCut, kStall } then = Then::kForward;
  bool reset = false;
  std::chrono::milliseconds stall_for{0};
  std::uint64_t epoch = 0;
};

FaultProxy::FaultProxy(std::string upstream_host, std::uint16_t upstream_port)
    : upstream_host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
  if (::listen(listen_fd_, 128) != 0) fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    fail("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) fail("eventfd");
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_fd_, &one, sizeof one);
  acceptor_.join();
  std::list<std::shared_ptr<Conn>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& c : conns_)
      cut(*c, false);
    all.swap(conns_);
  }
  for (const auto& c : all) {
    for (std::thread& t : c->threads)
      t.join();
  }
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void FaultProxy::accept_loop() {
  for (;;) {
    if (!wait_fd(listen_fd_, POLLIN, wake_fd_)) return;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    {
      std::list<std::shared_ptr<Conn>> finished;
      {
        std::lock_guard lock(mu_);
        for (auto it = conns_.begin(); it != conns_.end();) {
          if ((*it)->done) {
            finished.push_back(std::move(*it));
            it = conns_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (const auto& c : finished) {
        for (std::thread& t : c->threads)
          t.join();
      }
    }
    if (client < 0) continue;
    const int server = connect_upstream(upstream_host_, upstream_port_);
    if (server < 0) {  // the server is down: the client sees its connection closed
      ::close(client);
      continue;
    }
    const int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(client);
    set_nonblocking(server);
    auto conn = std::make_shared<Conn>();
    conn->client = client;
    conn->server = server;
    conn->wake = ::eventfd(0, EFD_CLOEXEC);
    std::lock_guard lock(mu_);
    ++stats_.accepted;
    ++stats_.open;
    conns_.push_back(conn);
    conn->threads[0] = std::thread([this, conn] { relay(conn, Direction::kToServer); });
    conn->threads[1] = std::thread([this, conn] { relay(conn, Direction::kToClient); });
  }
}

FaultProxy::Decision FaultProxy::decide(Direction direction, char* data, std::size_t size) {
  std::lock_guard lock(mu_);
  const std::size_t d = index_of(direction);
  Decision decision;
  decision.delay = delay_[d];
  decision.first = size;
  const std::uint64_t start = total_[d];
  total_[d] += size;
  for (auto armed = faults_.begin(); armed != faults_.end(); ++armed) {
    const Fault* it = &armed->fault;
    if (it->direction != direction) continue;
    const std::uint64_t point = armed->base + it->after_bytes;
    const std::size_t earliest = point > start ? static_cast<std::size_t>(point - start) : 0;
    if (earliest >= size) continue;
    std::size_t at = earliest;
    if (!it->contains.empty()) {
      at = std::string_view(data, size).find(it->contains, earliest);
      if (at == std::string_view::npos) continue;
    }
    switch (it->action) {
      case FaultAction::kCorrupt:
        if (at + it->offset >= size) continue;  // the byte is not in this chunk
        data[at + it->offset] = static_cast<char>(
            it->set_bits ? static_cast<std::uint8_t>(data[at + it->offset]) | it->value
                         : it->value);
        break;
      case FaultAction::kCut:
        decision.first = at;
        decision.then = Decision::Then::kCut;
        break;
      case FaultAction::kCutAfterChunk:
        decision.then = Decision::Then::kCut;
        break;
      case FaultAction::kStall:
        decision.first = at;
        decision.then = Decision::Then::kStall;
        decision.stall_for = it->stall_for;
        decision.epoch = resume_epoch_;
        break;
    }
    decision.reset = it->reset;
    ++stats_.fired;
    faults_.erase(armed);
    break;  // one fault per chunk
  }
  return decision;
}

void FaultProxy::relay(const std::shared_ptr<Conn>& conn, Direction direction) {
  const int from = direction == Direction::kToServer ? conn->client : conn->server;
  const int to = direction == Direction::kToServer ? conn->server : conn->client;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    if (!wait_fd(from, POLLIN, conn->wake)) break;
    const ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) break;  // the peer closed or reset: the whole connection ends
    const auto size = static_cast<std::size_t>(n);
    const Decision d = decide(direction, buffer.data(), size);
    if (d.then == Decision::Then::kCut) conn->cutting = true;
    if (conn->cutting && d.then != Decision::Then::kCut) continue;  // dropped: the cut ends it
    if (d.delay.count() > 0) {
      std::unique_lock lock(mu_);
      if (changed_.wait_for(lock, d.delay, [&] { return conn->cut; })) break;
    }
    if (!send_all(to, buffer.data(), d.first, conn->wake)) break;
    if (d.then == Decision::Then::kCut) {
      std::lock_guard lock(mu_);
      cut(*conn, d.reset);
      break;
    }
    if (d.then == Decision::Then::kStall) {
      std::unique_lock lock(mu_);
      const auto over = [&] { return conn->cut || resume_epoch_ != d.epoch; };
      if (d.stall_for.count() > 0) {
        changed_.wait_for(lock, d.stall_for, over);
      } else {
        changed_.wait(lock, over);
      }
      if (conn->cut) break;
    }
    if (!send_all(to, buffer.data() + d.first, size - d.first, conn->wake)) break;
  }
  std::lock_guard lock(mu_);
  if (!conn->cut) {
    conn->cut = true;  // one side ended: so does the other (no half-closed sessions)
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t w = ::write(conn->wake, &one, sizeof one);
    changed_.notify_all();
  }
  if (--conn->running == 0) {
    if (conn->reset) {
      const linger abort{.l_onoff = 1, .l_linger = 0};
      ::setsockopt(conn->client, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
      ::setsockopt(conn->server, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    }
    ::close(conn->client);
    ::close(conn->server);
    ::close(conn->wake);
    --stats_.open;
    conn->done = true;
  }
}

void FaultProxy::cut(Conn& conn, bool reset) {
  if (conn.cut) return;
  conn.cut = true;
  conn.reset = reset;
  ++stats_.cuts;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(conn.wake, &one, sizeof one);
  changed_.notify_all();
}

void FaultProxy::set_delay(Direction direction, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  delay_[index_of(direction)] = delay;
}

void FaultProxy::arm(Fault fault) {
  std::lock_guard lock(mu_);
  const std::uint64_t base = total_[index_of(fault.direction)];
  faults_.push_back({std::move(fault), base});
}

void FaultProxy::disarm_all() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

std::size_t FaultProxy::armed() const {
  std::lock_guard lock(mu_);
  return faults_.size();
}

void FaultProxy::resume_all() {
  std::lock_guard lock(mu_);
  ++resume_epoch_;
  changed_.notify_all();
}

void FaultProxy::cut_all(bool reset) {
  std::lock_guard lock(mu_);
  for (const auto& c : conns_)
    cut(*c, reset);
}

bool FaultProxy::cut_one(std::size_t pick, bool reset) {
  std::lock_guard lock(mu_);
  std::vector<Conn*> live;
  for (const auto& c : conns_) {
    if (!c->cut) live.push_back(c.get());
  }
  if (live.empty()) return false;
  cut(*live[pick % live.size()], reset);
  return true;
}

ProxyStats FaultProxy::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace tern::testing
