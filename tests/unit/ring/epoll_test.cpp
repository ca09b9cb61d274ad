// The epoll fallback backend specifically (LoopOptions::backend = epoll, whatever TERN_RING
// says): selection, timers in deadline order with removals, linked round trips through
// EAGAIN, deadlines and cancellation of a waiting chain, a peer closing, a descriptor closed
// behind the loop's back and its number reused, posts from other threads, embedding.
// The whole ring suite also runs on this backend under `meson test --setup epoll`.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "socket_helpers.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;
using testing::bytes;
using testing::recv_exactly;

constexpr LoopOptions kEpoll{.backend = Backend::epoll};

// A connected pair of Unix stream sockets on `loop`.
std::pair<Socket, Socket> socket_pair(Loop& loop) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {Socket(loop, fds[0]), Socket(loop, fds[1])};
}

Task<void> send_text(Socket& s, std::string text) {
  co_await s.send_all(bytes(text));
}

Task<std::size_t> recv_some(Socket& s, Deadline deadline) {
  std::byte buf[64];
  co_return co_await s.recv(buf, deadline);
}

// Sets TERN_RING for one scope and puts the previous value back.
class ScopedEnv {
 public:
  explicit ScopedEnv(const char* value) {
    if (const char* old = std::getenv("TERN_RING")) old_ = old;
    ::setenv("TERN_RING", value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv("TERN_RING", old_->c_str(), 1);
    } else {
      ::unsetenv("TERN_RING");
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(Epoll, ReportsWhatItEmulates) {
  Loop loop(kEpoll);
  EXPECT_EQ(loop.backend(), Backend::epoll);
  const RingFeatures& f = loop.features();
  EXPECT_FALSE(f.op_send_zc);
  EXPECT_FALSE(f.op_msg_ring);
  EXPECT_FALSE(f.recv_multishot);
  EXPECT_FALSE(f.buf_ring);
  EXPECT_TRUE(f.cqe_skip);  // links with IOSQE_CQE_SKIP_SUCCESS are emulated
  EXPECT_NE(f.describe().find("epoll"), std::string::npos);
  Loop unlinked(LoopOptions{.backend = Backend::epoll, .link_send_recv = false});
  EXPECT_FALSE(unlinked.features().cqe_skip);
}

TEST(Epoll, TernRingChoosesTheBackendOfAnAutomaticLoop) {
  {
    ScopedEnv env("epoll");
    EXPECT_EQ(Loop().backend(), Backend::epoll);
    // An explicit choice in the options wins over the environment.
    EXPECT_EQ(Loop(LoopOptions{.backend = Backend::uring}).backend(), Backend::uring);
  }
  {
    ScopedEnv env("uring");
    EXPECT_EQ(Loop().backend(), Backend::uring);
  }
  ScopedEnv env("kqueue");
  try {
    Loop loop;
    FAIL() << "TERN_RING=kqueue was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TERN_RING=kqueue"), std::string::npos) << e.what();
  }
}

// Timers leave the heap in deadline order, also when others are taken out of its middle
// (Signal::notify cancels a waiter's timer).
TEST(Epoll, TimersFireInDeadlineOrderAroundRemovals) {
  Loop loop(kEpoll);
  std::mt19937 random(42);
  std::vector<int> delays(300);
  for (std::size_t i = 0; i < delays.size(); ++i)
    delays[i] = static_cast<int>(i);
  std::shuffle(delays.begin(), delays.end(), random);
  std::vector<std::unique_ptr<Signal>> signals;
  std::vector<int> fired, woken;
  TaskGroup group(loop);
  const Deadline base = deadline_after(20ms);
  for (int d : delays) {
    signals.push_back(std::make_unique<Signal>(loop));
    group.spawn([](Signal& s, Deadline until, int id, std::vector<int>& f,
                   std::vector<int>& w) -> Task<void> {
      if (co_await s.wait(until)) {
        w.push_back(id);
      } else {
        f.push_back(id);
      }
    }(*signals.back(), base + std::chrono::microseconds(100 * d), d, fired, woken));
  }
  // Wake every third one before its deadline, from a task, in the shuffled order.
  group.spawn([](Loop& l, std::vector<std::unique_ptr<Signal>>& s) -> Task<void> {
    co_await sleep_for(l, 1ms);
    for (std::size_t i = 0; i < s.size(); i += 3)
      s[i]->notify();
  }(loop, signals));
  sync_wait(loop, group.join());
  EXPECT_EQ(woken.size(), 100u);
  EXPECT_EQ(fired.size(), 200u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
  EXPECT_FALSE(loop.has_work());
}

// A request larger than the socket buffers: the linked send waits for writability (EAGAIN)
// several times before the recv behind it may start.
TEST(Epoll, LinkedRoundTripThroughEagain) {
  Loop loop(kEpoll);
  auto [client, server] = socket_pair(loop);
  std::string request(4 << 20, '\0');
  for (std::size_t i = 0; i < request.size(); ++i)
    request[i] = static_cast<char>(i * 7 % 253);
  TaskGroup peer(loop);
  peer.spawn([](Socket& s, std::size_t n) -> Task<void> {
    std::string got = co_await recv_exactly(s, n);
    co_await s.send_all(bytes("reply:" + std::to_string(got.size())));
  }(server, request.size()));
  auto round_trip = [](Socket& s, const std::string& out) -> Task<std::string> {
    std::string in(64, '\0');
    SendRecvAwaiter op =
        s.send_recv(bytes(out), std::as_writable_bytes(std::span(in)), deadline_after(10s));
    in.resize(co_await op);
    co_return in;
  };
  EXPECT_EQ(sync_wait(loop, round_trip(client, request)), "reply:" + std::to_string(4 << 20));
  sync_wait(loop, peer.join());
  EXPECT_FALSE(loop.has_work());
}

// The deadline of a chain whose send cannot finish (the peer reads nothing): the send is cut
// with what it wrote, the recv never starts, and a later read still gets the peer's bytes.
TEST(Epoll, DeadlineCutsALinkedSendThatCannotFinish) {
  Loop loop(kEpoll);
  auto [client, server] = socket_pair(loop);
  const std::string request(8 << 20, 'q');
  auto attempt = [](Socket& s, const std::string& out) -> Task<std::pair<bool, bool>> {
    std::string in(16, '\0');
    SendRecvAwaiter op =
        s.send_recv(bytes(out), std::as_writable_bytes(std::span(in)), deadline_after(50ms));
    try {
      co_await op;
    } catch (const TimeoutError&) {
      co_return std::pair{true, op.send_failed()};
    }
    co_return std::pair{false, op.send_failed()};
  };
  const auto [timed_out, send_failed] = sync_wait(loop, attempt(client, request));
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(send_failed);
  EXPECT_FALSE(loop.has_work());
  sync_wait(loop, send_text(server, "still here"));
  EXPECT_EQ(sync_wait(loop, recv_exactly(client, 10, deadline_after(5s))), "still here");
}

// A stop request while the recv of a linked pair waits for the reply.
TEST(Epoll, CancellingTheWaitingRecvOfAPair) {
  Loop loop(kEpoll);
  auto [client, server] = socket_pair(loop);
  TaskGroup group(loop);
  std::string outcome;
  group.spawn([](Socket& s, std::string& o) -> Task<void> {
    std::string in(16, '\0');
    try {
      co_await s.send_recv(bytes(std::string("ping")), std::as_writable_bytes(std::span(in)));
      o = "replied";
    } catch (const CancelledError&) {
      o = "cancelled";
    }
  }(client, outcome));
  // The request arrives; then the waiting recv is cancelled.
  EXPECT_EQ(sync_wait(loop, recv_exactly(server, 4, deadline_after(5s))), "ping");
  group.cancel();
  sync_wait(loop, group.join());
  EXPECT_EQ(outcome, "cancelled");
  EXPECT_FALSE(loop.has_work());
  // Nothing of the pair is left to steal the next bytes.
  sync_wait(loop, send_text(server, "next"));
  EXPECT_EQ(sync_wait(loop, recv_exactly(client, 4, deadline_after(5s))), "next");
}

TEST(Epoll, PeerClosingWakesAWaitingRecvWithEndOfStream) {
  Loop loop(kEpoll);
  auto [client, server] = socket_pair(loop);
  TaskGroup group(loop);
  group.spawn([](Loop& l, Socket& s) -> Task<void> {
    co_await sleep_for(l, 10ms);
    co_await s.close();
  }(loop, server));
  EXPECT_EQ(sync_wait(loop, recv_some(client, deadline_after(5s))), 0u);
  sync_wait(loop, group.join());
  try {
    sync_wait(loop, send_text(client, "anyone?"));
    FAIL() << "a send to a closed peer succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code().value(), EPIPE) << e.what();
  }
}

// A socket whose recv timed out (so its descriptor was watched) is closed without the loop
// (Socket's destructor) and the number comes back for a new socket: the new one is watched.
TEST(Epoll, ADescriptorNumberReusedAfterAPlainCloseIsWatchedAgain) {
  Loop loop(kEpoll);
  int reused = -1;
  {
    auto [a, b] = socket_pair(loop);
    EXPECT_THROW(sync_wait(loop, recv_some(a, deadline_after(5ms))), TimeoutError);
    reused = a.fd();
  }
  auto [c, d] = socket_pair(loop);
  ASSERT_TRUE(c.fd() == reused || d.fd() == reused) << "the kernel gave other numbers";
  Socket& reader = c.fd() == reused ? c : d;
  Socket& writer = c.fd() == reused ? d : c;
  TaskGroup group(loop);
  group.spawn([](Loop& l, Socket& w) -> Task<void> {
    co_await sleep_for(l, 10ms);
    co_await w.send_all(bytes(std::string("seen")));
  }(loop, writer));
  EXPECT_EQ(sync_wait(loop, recv_exactly(reader, 4, deadline_after(5s))), "seen");
  sync_wait(loop, group.join());
}

TEST(Epoll, ListenerAcceptsAndConnectsOverTcp) {
  Loop loop(kEpoll);
  Listener listener = Listener::bind_tcp(loop, "127.0.0.1");
  TaskGroup group(loop);
  group.spawn([](Listener& l) -> Task<void> {
    Socket s = co_await l.accept(deadline_after(5s));
    std::string got = co_await recv_exactly(s, 5, deadline_after(5s));
    co_await s.send_all(bytes(got));
  }(listener));
  auto client = [](Loop& l, std::uint16_t port) -> Task<std::string> {
    Socket s = co_await Socket::connect_tcp(l, "127.0.0.1", port, deadline_after(5s));
    std::string in(5, '\0');
    in.resize(co_await s.send_recv(bytes(std::string("hello")),
                                   std::as_writable_bytes(std::span(in)), deadline_after(5s)));
    co_return in;
  };
  EXPECT_EQ(sync_wait(loop, client(loop, listener.port())), "hello");
  sync_wait(loop, group.join());
  Listener gone = Listener::bind_tcp(loop, "127.0.0.1");
  const std::uint16_t port = gone.port();
  { Listener closed = std::move(gone); }
  try {
    sync_wait(loop, Socket::connect_tcp(loop, "127.0.0.1", port, deadline_after(5s)));
    FAIL() << "connected to a closed port";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
  }
}

TEST(Epoll, PostsFromOtherThreadsAllRun) {
  Loop loop(kEpoll);
  constexpr int kThreads = 4, kPosts = 500;
  int ran = 0;
  for (int i = 0; i < kThreads; ++i)
    loop.expect_post();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPosts - 1; ++i)
        loop.post([&] { ++ran; });
      loop.post_expected([&] { ++ran; });
    });
  }
  loop.run();  // returns once every expected post ran
  for (auto& t : threads)
    t.join();
  loop.run();  // posts made after the expected ones
  EXPECT_EQ(ran, kThreads * kPosts);
}

// Loop::fd() is the epoll descriptor: a timer alone makes it readable (the timerfd is in it).
TEST(Epoll, EmbeddingWakesForATimer) {
  Loop loop(kEpoll);
  bool done = false;
  TaskGroup group(loop);
  group.spawn([](Loop& l, bool& d) -> Task<void> {
    co_await sleep_for(l, 20ms);
    d = true;
  }(loop, done));
  int wakeups = 0;
  while (loop.poll()) {
    pollfd p{loop.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the loop's fd never turned readable";
    ++wakeups;
  }
  EXPECT_TRUE(done);
  EXPECT_GE(wakeups, 1);
}

}  // namespace
}  // namespace tern::ring
