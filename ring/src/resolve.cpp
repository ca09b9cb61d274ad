#include "tern/ring/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"

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

// Shared between the awaiting coroutine, the helper thread and the deadline timer. Everything but
// the helper's writes to `error`/`endpoints` (published by Loop::post's lock) runs on the loop.
struct Lookup : detail::Completion, std::enable_shared_from_this<Lookup> {
  Loop* loop = nullptr;
  std::coroutine_handle<> waiter;
  bool finished = false;  // the waiter was resumed
  enum { kPending, kDone, kTimedOut, kCancelled } outcome = kPending;
  int gai_error = 0;
  std::vector<Endpoint> endpoints;
  __kernel_timespec when{};
  std::shared_ptr<Lookup> timer_keepalive;  // held while the deadline timer's CQE is due
  std::optional<std::stop_callback<std::function<void()>>> on_stop;

  void settle(decltype(outcome) how) {
    if (finished) return;
    finished = true;
    outcome = how;
    on_stop.reset();
    if (timer_keepalive && how != kTimedOut) {
      io_uring_sqe* sqe = loop->get_sqe();
      io_uring_prep_timeout_remove(
          sqe, reinterpret_cast<std::uintptr_t>(static_cast<detail::Completion*>(this)), 0);
      io_uring_sqe_set_data(sqe, nullptr);
    }
    loop->schedule(waiter);
  }
};

struct LookupAwaiter {
  std::shared_ptr<Lookup> lookup;
  std::string host;
  std::uint16_t port;
  Deadline deadline;

  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    start(h, detail::context_of(h).stop);
  }
  void start(std::coroutine_handle<> h, const std::stop_token& stop);
  void await_resume() const {
    switch (lookup->outcome) {
      case Lookup::kTimedOut:
        throw TimeoutError(absl::StrCat("resolving ", host));
      case Lookup::kCancelled:
        throw CancelledError(absl::StrCat("resolving ", host));
      default:
        break;
    }
    if (lookup->gai_error != 0) throw ResolveError(lookup->gai_error, host);
  }
};

void LookupAwaiter::start(std::coroutine_handle<> h, const std::stop_token& stop) {
  Loop& loop = *lookup->loop;
  lookup->waiter = h;
  if (deadline != kNoDeadline) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    lookup->when = {ns / 1'000'000'000, ns % 1'000'000'000};
    lookup->on_complete = [](detail::Completion* c, int res, unsigned) noexcept {
      auto* l = static_cast<Lookup*>(c);
      if (res == -ETIME) l->settle(Lookup::kTimedOut);
      l->loop->op_finished();
      l->timer_keepalive.reset();  // may free *l: last statement
    };
    lookup->timer_keepalive = lookup;
    io_uring_sqe* sqe = loop.get_sqe();
    io_uring_prep_timeout(sqe, &lookup->when, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data(sqe, static_cast<detail::Completion*>(lookup.get()));
    loop.op_started();
  }
  if (stop.stop_possible()) {
    std::weak_ptr<Lookup> weak = lookup;
    lookup->on_stop.emplace(stop, [weak] {
      if (auto l = weak.lock()) l->settle(Lookup::kCancelled);
    });
  }
  loop.expect_post();
  std::thread([l = lookup, host = host, port = port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    l->gai_error = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
      Endpoint e;
      std::memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
      e.len = ai->ai_addrlen;
      l->endpoints.push_back(e);
    }
    if (list != nullptr) freeaddrinfo(list);
    l->loop->post_expected([l] { l->settle(Lookup::kDone); });
  }).detach();
}

}  // namespace

Task<std::vector<Endpoint>> resolve(Loop& loop, std::string host, std::uint16_t port,
                                    Deadline deadline) {
  Endpoint numeric;
  if (parse_numeric_host(host, port, numeric)) co_return std::vector<Endpoint>{numeric};
  auto lookup = std::make_shared<Lookup>();
  lookup->loop = &loop;
  // A named awaiter: GCC 12 double-destroys brace-initialised temporaries inside co_await.
  LookupAwaiter awaiter{lookup, host, port, deadline};
  co_await awaiter;
  co_return std::move(lookup->endpoints);
}

}  // namespace tern::ring
