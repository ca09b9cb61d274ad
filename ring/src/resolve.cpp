#include "tern/ring/resolve.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"
#include "tern/ring/op.hpp"

namespace tern::ring {

std::string Endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (addr.ss_family) {
    case AF_INET: {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
      return absl::StrCat(buf, ":", ntohs(a->sin_port));
    }
    case AF_INET6: {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
      return absl::StrCat("[", buf, "]:", ntohs(a->sin6_port));
    }
    case AF_UNIX:
      return reinterpret_cast<const sockaddr_un*>(&addr)->sun_path;
    default:
      return "<unknown address family>";
  }
}

bool parse_numeric_host(const std::string& host, std::uint16_t port, Endpoint& out) {
  out = Endpoint{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    return true;
  }
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

namespace {

class ResolverCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "c-ares"; }
  std::string message(int status) const override { return ares_strerror(status); }
};

// Waits until the epoll fd holding a lookup's sockets has one ready (IORING_OP_POLL_ADD): one
// ring operation whatever the number of sockets, with the operations' deadline and
// cancellation.
class PollAwaiter : public detail::OpBase {
 public:
  PollAwaiter(Loop& loop, int fd, Deadline deadline) noexcept
      : OpBase(loop, deadline, "resolve"), fd_(fd) {}
  void await_resume() const { checked_result(); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override { io_uring_prep_poll_add(sqe, fd_, POLLIN); }
  int fd_;
};

// One lookup: a c-ares channel of its own, so that ending the lookup early (cancelled, timed
// out) ends its queries and closes its sockets at once, and an epoll fd the channel's sockets
// are registered in as c-ares opens, watches and closes them.
class Lookup {
 public:
  Lookup(const std::string& host, std::uint16_t port, const std::string& servers) {
    static const int library = ares_library_init(ARES_LIB_INIT_ALL);
    if (library != ARES_SUCCESS) throw ResolveError(library, host);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw IoError(errno, "epoll_create1");
    ares_options options{};
    options.sock_state_cb = &Lookup::socket_state;
    options.sock_state_cb_data = this;
    if (const int rc = ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB);
        rc != ARES_SUCCESS) {
      ::close(epoll_);
      throw ResolveError(rc, host);
    }
    if (!servers.empty()) {
      if (const int rc = ares_set_servers_ports_csv(channel_, servers.c_str());
          rc != ARES_SUCCESS) {
        destroy();
        throw ResolveError(rc, host);
      }
    }
    ares_addrinfo_hints hints{};
    hints.ai_flags = ARES_AI_NUMERICSERV;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const std::string service = std::to_string(port);
    // May answer at once (a name from /etc/hosts): answered() runs before this returns.
    ares_getaddrinfo(channel_, host.c_str(), service.c_str(), &hints, &Lookup::answered, this);
  }
  Lookup(const Lookup&) = delete;
  Lookup& operator=(const Lookup&) = delete;
  ~Lookup() { destroy(); }

  bool done() const noexcept { return done_; }
  int epoll_fd() const noexcept { return epoll_; }

  // When c-ares next wants to retry or give up on a server (kNoDeadline: nothing pending).
  Deadline next_timeout() {
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) return kNoDeadline;
    return std::chrono::steady_clock::now() + std::chrono::seconds(tv.tv_sec) +
           std::chrono::microseconds(tv.tv_usec);
  }

  // Lets c-ares read and write the sockets epoll reports ready, and handle its timeouts.
  void process() {
    epoll_event events[8];
    const int n = ::epoll_wait(epoll_, events, 8, 0);
    if (n <= 0) {
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts only
      return;
    }
    for (int i = 0; i < n && !done_; ++i) {
      const int fd = events[i].data.fd;
      const bool in = (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
      const bool out = (events[i].events & EPOLLOUT) != 0;
      ares_process_fd(channel_, in ? fd : ARES_SOCKET_BAD, out ? fd : ARES_SOCKET_BAD);
    }
  }

  // The addresses, or ResolveError with c-ares's reason.
  std::vector<Endpoint> take(const std::string& host) {
    if (status_ != ARES_SUCCESS) throw ResolveError(status_, host);
    return std::move(endpoints_);
  }

 private:
  void destroy() noexcept {
    if (channel_ != nullptr) {
      ares_destroy(channel_);  // closes its sockets (socket_state) and ends its queries
      channel_ = nullptr;
    }
    if (epoll_ >= 0) {
      ::close(epoll_);
      epoll_ = -1;
    }
  }

  static void socket_state(void* self, ares_socket_t fd, int readable, int writable) {
    auto* l = static_cast<Lookup*>(self);
    if (!readable && !writable) {
      ::epoll_ctl(l->epoll_, EPOLL_CTL_DEL, fd, nullptr);
      return;
    }
    epoll_event ev{};
    ev.events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (::epoll_ctl(l->epoll_, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT) {
      ::epoll_ctl(l->epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  static void answered(void* self, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto* l = static_cast<Lookup*>(self);
    l->done_ = true;
    l->status_ = status;
    if (result == nullptr) return;
    for (const ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
      Endpoint e;
      std::memcpy(&e.addr, n->ai_addr, n->ai_addrlen);
      e.len = n->ai_addrlen;
      l->endpoints_.push_back(e);
    }
    ares_freeaddrinfo(result);
  }

  ares_channel channel_ = nullptr;
  int epoll_ = -1;
  bool done_ = false;
  int status_ = ARES_SUCCESS;
  std::vector<Endpoint> endpoints_;
};

}  // namespace

const std::error_category& resolver_category() noexcept {
  static const ResolverCategory category;
  return category;
}

ResolveError::ResolveError(int status, const std::string& host)
    : IoError(std::error_code(status, resolver_category()),
              "could not translate host name \"" + host +
                  "\" to address: " + resolver_category().message(status)) {}

Task<std::vector<Endpoint>> resolve(Loop& loop, std::string host, std::uint16_t port,
                                    Deadline deadline, std::string servers) {
  Endpoint numeric;
  if (parse_numeric_host(host, port, numeric)) co_return std::vector<Endpoint>{numeric};
  Lookup lookup(host, port, servers);
  while (!lookup.done()) {
    const Deadline wake = std::min(deadline, lookup.next_timeout());
    try {
      PollAwaiter ready(loop, lookup.epoll_fd(), wake);
      co_await ready;
    } catch (const TimeoutError&) {
      // c-ares's own timeout (a server to retry) is not the caller's deadline.
      if (std::chrono::steady_clock::now() >= deadline) {
        throw TimeoutError(absl::StrCat("resolving ", host));
      }
    }
    lookup.process();
  }
  co_return lookup.take(host);
}

}  // namespace tern::ring
