// SendRecvAwaiter: a round trip's send linked ahead of its recv (one loop turn), and the same
// awaiter unlinked (kernels without IORING_FEAT_CQE_SKIP). Each failure mode must end the pair
// with nothing left in flight: a later read on the same socket must get the bytes a stray recv
// would have stolen.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "socket_helpers.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;

using testing::bytes;
using testing::recv_exactly;

// The outcome of one send_recv.
struct Outcome {
  std::string received;
  std::string error;  // "timeout", "cancelled", "io", or empty
  int errno_value = 0;
  bool send_failed = false;
};

Task<Outcome> exchange(Socket& s, const std::string& request, std::size_t reply_capacity,
                       Deadline deadline = kNoDeadline) {
  Outcome o;
  std::string buf(reply_capacity, '\0');
  SendRecvAwaiter op =
      s.send_recv(bytes(request), std::as_writable_bytes(std::span(buf)), deadline);
  try {
    buf.resize(co_await op);
    o.received = buf;
  } catch (const TimeoutError&) {
    o.error = "timeout";
  } catch (const CancelledError&) {
    o.error = "cancelled";
  } catch (const IoError& e) {
    o.error = "io";
    o.errno_value = e.code().value();
  }
  o.send_failed = op.send_failed();
  co_return o;
}

// Parameter: whether the loop links the send ahead of the recv.
class SendRecvTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client = Socket(loop, fds[0]);
    peer = Socket(loop, fds[1]);
    if (GetParam()) {
      ASSERT_TRUE(loop.features().cqe_skip) << "the kernel lacks IORING_FEAT_CQE_SKIP";
    }
  }
  void TearDown() override {
    sync_wait(loop, peers.join());
    EXPECT_FALSE(loop.has_work()) << "an operation is still in flight";
  }

  // A read on the client after a failed exchange: a stray recv of the pair would take it.
  std::string read_after(const std::string& sent_by_peer) {
    auto t = [](Socket& p, Socket& c, std::string m) -> Task<std::string> {
      co_await p.send_all(bytes(m));
      co_return co_await recv_exactly(c, m.size(), deadline_after(5s));
    };
    return sync_wait(loop, t(peer, client, sent_by_peer));
  }

  // An exchange of `request` on the client whose task is cancelled 20 ms in.
  Outcome exchange_cancelled_later(std::string request) {
    auto run = [](Loop& lp, Socket& c, std::string r) -> Task<Outcome> {
      TaskGroup g(lp);
      Outcome o;
      g.spawn([](Socket& s, const std::string& req, Outcome& out) -> Task<void> {
        out = co_await exchange(s, req, 16, deadline_after(5s));
      }(c, r, o));
      co_await sleep_for(lp, 20ms);
      g.cancel();
      co_await g.join();
      co_return o;
    };
    return sync_wait(loop, run(loop, client, std::move(request)));
  }

  Loop loop{LoopOptions{.link_send_recv = GetParam()}};
  Socket client, peer;
  TaskGroup peers{loop};
};

INSTANTIATE_TEST_SUITE_P(Linking, SendRecvTest, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "Linked" : "Unlinked"; });

// The peer reads a request of `n` bytes whole, then answers with `reply`.
Task<void> answer(Socket& peer, std::size_t n, std::string reply) {
  const std::string got = co_await recv_exactly(peer, n);
  EXPECT_EQ(got.size(), n);
  co_await peer.send_all(bytes(reply));
}

TEST_P(SendRecvTest, RoundTripsSmallAndLarge) {
  for (const std::size_t size :
       {std::size_t{1}, std::size_t{100}, std::size_t{64 * 1024}, std::size_t{4 << 20}}) {
    std::string request(size, 'q');
    peers.spawn(answer(peer, size, "reply " + std::to_string(size)));
    // Larger than the socket buffer: only a send that goes on to the end lets the peer answer.
    const Outcome o = sync_wait(loop, exchange(client, request, 64));
    EXPECT_EQ(o.error, "") << size;
    EXPECT_FALSE(o.send_failed);
    EXPECT_EQ(o.received, "reply " + std::to_string(size));
  }
}

TEST_P(SendRecvTest, EmptyRequestIsAPlainRecv) {
  peers.spawn([](Socket& p) -> Task<void> { co_await p.send_all(bytes(std::string("hi"))); }(peer));
  const Outcome o = sync_wait(loop, exchange(client, "", 16));
  EXPECT_EQ(o.received, "hi");
}

TEST_P(SendRecvTest, PeerGoneBeforeTheSendFailsTheSend) {
  { Socket gone = std::move(peer); }
  const Outcome o = sync_wait(loop, exchange(client, "request", 16));
  EXPECT_EQ(o.error, "io");
  EXPECT_TRUE(o.errno_value == EPIPE || o.errno_value == ECONNRESET) << o.errno_value;
  EXPECT_TRUE(o.send_failed);
}

TEST_P(SendRecvTest, PeerResetDuringALargeSendFailsTheSend) {
  // The peer takes a little of a request too large for the socket buffers, then goes away
  // while the send is still under way.
  peers.spawn([](Socket& p) -> Task<void> {
    co_await recv_exactly(p, 1000);
    co_await p.close();
  }(peer));
  const Outcome o = sync_wait(loop, exchange(client, std::string(8 << 20, 'x'), 16));
  EXPECT_EQ(o.error, "io");
  EXPECT_TRUE(o.errno_value == EPIPE || o.errno_value == ECONNRESET) << o.errno_value;
  EXPECT_TRUE(o.send_failed);
}

TEST_P(SendRecvTest, DeadlineWhileTheRecvIsPendingKeepsTheStream) {
  peers.spawn([](Socket& p) -> Task<void> { co_await recv_exactly(p, 7); }(peer));
  const Outcome o = sync_wait(loop, exchange(client, "request", 16, deadline_after(30ms)));
  EXPECT_EQ(o.error, "timeout");
  EXPECT_FALSE(o.send_failed);  // the request went out whole: the stream is in sync
  EXPECT_EQ(read_after("late reply"), "late reply");
}

TEST_P(SendRecvTest, DeadlineWhileTheSendIsBlockedFailsTheSend) {
  // Nobody reads: the send fills the socket buffers and waits until the deadline.
  const Outcome o =
      sync_wait(loop, exchange(client, std::string(8 << 20, 'x'), 16, deadline_after(50ms)));
  EXPECT_EQ(o.error, "timeout");
  EXPECT_TRUE(o.send_failed);
  EXPECT_EQ(read_after("still there"), "still there");
}

TEST_P(SendRecvTest, CancelWhileTheRecvIsPendingKeepsTheStream) {
  peers.spawn([](Socket& p) -> Task<void> { co_await recv_exactly(p, 7); }(peer));
  const Outcome o = exchange_cancelled_later("request");
  EXPECT_EQ(o.error, "cancelled");
  EXPECT_FALSE(o.send_failed);
  EXPECT_EQ(read_after("after cancel"), "after cancel");
}

TEST_P(SendRecvTest, CancelWhileTheSendIsBlockedFailsTheSend) {
  const Outcome o = exchange_cancelled_later(std::string(8 << 20, 'x'));
  EXPECT_EQ(o.error, "cancelled");
  EXPECT_TRUE(o.send_failed);
  EXPECT_EQ(read_after("after cancel"), "after cancel");
}

TEST_P(SendRecvTest, CancelInTheTurnThatQueuedThePair) {
  // The stop request comes before the pair was submitted: the send completes inline and the
  // kernel issues the recv afterwards, so a cancel in the same submission would find neither.
  peers.spawn([](Socket& p) -> Task<void> { co_await recv_exactly(p, 7); }(peer));
  auto run = [](Loop& lp, Socket& c) -> Task<Outcome> {
    TaskGroup g(lp);
    Outcome o;
    g.spawn([](Socket& s, Outcome& out) -> Task<void> {
      out = co_await exchange(s, "request", 16, deadline_after(5s));
    }(c, o));
    g.spawn([](TaskGroup& group) -> Task<void> {  // runs right after, in the same turn
      group.cancel();
      co_return;
    }(g));
    co_await g.join();
    co_return o;
  };
  const Outcome o = sync_wait(loop, run(loop, client));
  EXPECT_EQ(o.error, "cancelled");  // not "timeout" (5 s later): the cancel was not lost
  EXPECT_FALSE(o.send_failed);
  EXPECT_EQ(read_after("after cancel"), "after cancel");
}

TEST_P(SendRecvTest, PeerClosesAfterTheRequestGivesEndOfStream) {
  peers.spawn([](Socket& p) -> Task<void> {
    co_await recv_exactly(p, 7);
    co_await p.close();
  }(peer));
  const Outcome o = sync_wait(loop, exchange(client, "request", 16, deadline_after(5s)));
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.received, "");
  EXPECT_FALSE(o.send_failed);
}

}  // namespace
}  // namespace tern::ring
