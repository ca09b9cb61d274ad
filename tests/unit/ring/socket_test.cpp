// Sockets over loopback TCP (v4, v6, by name) and Unix sockets: echo, deadlines, cancellation,
// peer close, large partial sends, connection errors.
#include "tern/ring/socket.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "socket_helpers.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;

using testing::bytes;
using testing::recv_exactly;

Task<void> echo_once(Listener& listener) {
  Socket peer = co_await listener.accept();
  std::vector<std::byte> buf(64 * 1024);
  while (const std::size_t n = co_await peer.recv(buf)) {
    co_await peer.send_all(std::span(buf.data(), n));
  }
  co_await peer.close();
}

Task<std::string> round_trip(Socket s, std::string msg) {
  co_await s.send_all(bytes(msg));
  std::string back = co_await recv_exactly(s, msg.size());
  s.shutdown_write();
  co_await s.close();
  co_return back;
}

class SocketTest : public ::testing::Test {
 protected:
  Loop loop;
  TaskGroup servers{loop};
  void TearDown() override { sync_wait(loop, servers.join()); }
};

TEST_F(SocketTest, EchoOverTcpIpv4) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  servers.spawn(echo_once(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<std::string> {
    co_return co_await round_trip(co_await Socket::connect_tcp(lp, "127.0.0.1", port), "ping v4");
  };
  EXPECT_EQ(sync_wait(loop, client(loop, l.port())), "ping v4");
}

TEST_F(SocketTest, EchoOverTcpIpv6) {
  Listener l = [&] {
    try {
      return Listener::bind_tcp(loop, "::1");
    } catch (const IoError& e) {
      // Only acceptable on a machine without IPv6 loopback; the failure says why.
      ADD_FAILURE() << "IPv6 loopback unavailable: " << e.what();
      throw;
    }
  }();
  servers.spawn(echo_once(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<std::string> {
    co_return co_await round_trip(co_await Socket::connect_tcp(lp, "::1", port), "ping v6");
  };
  EXPECT_EQ(sync_wait(loop, client(loop, l.port())), "ping v6");
}

TEST_F(SocketTest, EchoOverTcpByHostName) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  servers.spawn(echo_once(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<std::string> {
    // "localhost" may resolve to ::1 first; connect_tcp falls through to 127.0.0.1.
    co_return co_await round_trip(co_await Socket::connect_tcp(lp, "localhost", port),
                                  "ping by name");
  };
  EXPECT_EQ(sync_wait(loop, client(loop, l.port())), "ping by name");
}

TEST_F(SocketTest, EchoOverUnixSocket) {
  const std::string path = "/tmp/tern-ring-test-" + std::to_string(::getpid()) + ".sock";
  Listener l = Listener::bind_unix(loop, path);
  servers.spawn(echo_once(l));
  auto client = [](Loop& lp, std::string p) -> Task<std::string> {
    co_return co_await round_trip(co_await Socket::connect_unix(lp, p), "ping unix");
  };
  EXPECT_EQ(sync_wait(loop, client(loop, path)), "ping unix");
  ::unlink(path.c_str());
}

TEST_F(SocketTest, LargeSendsCompleteAcrossPartialWrites) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  servers.spawn(echo_once(l));
  std::string big(8 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 131 % 251);
  auto client = [](Loop& lp, std::uint16_t port, const std::string& msg) -> Task<std::string> {
    Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", port);
    // Send and receive concurrently: the echo cannot buffer 8 MiB in the kernel.
    TaskGroup g(lp);
    g.spawn([](Socket& so, const std::string& m) -> Task<void> { co_await so.send_all(bytes(m)); }(
                                                     s, msg));
    std::string back = co_await recv_exactly(s, msg.size());
    co_await g.join();
    co_await s.close();
    co_return back;
  };
  EXPECT_TRUE(sync_wait(loop, client(loop, l.port(), big)) == big);
}

TEST_F(SocketTest, RecvDeadlineFiresAndTheSocketStaysUsable) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  auto late_writer = [](Listener& lst) -> Task<void> {
    Socket peer = co_await lst.accept();
    co_await sleep_for(peer.loop(), 100ms);
    co_await peer.send_all(bytes(std::string("late")));
    co_await recv_exactly(peer, 1);  // wait for the client to finish
  };
  servers.spawn(late_writer(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<std::string> {
    Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", port);
    bool timed_out = false;
    try {
      co_await recv_exactly(s, 4, deadline_after(20ms));
    } catch (const TimeoutError& e) {
      timed_out = std::string(e.what()).find("recv") != std::string::npos &&
                  e.code() == std::errc::timed_out;
    }
    EXPECT_TRUE(timed_out);
    std::string got = co_await recv_exactly(s, 4, deadline_after(5s));
    co_await s.send_all(bytes(std::string("x")));
    co_return got;
  };
  EXPECT_EQ(sync_wait(loop, client(loop, l.port())), "late");
}

TEST_F(SocketTest, CancellingAPendingRecvKeepsTheSocketUsable) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  servers.spawn(echo_once(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<std::string> {
    Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", port);
    TaskGroup readers(lp);
    bool cancelled = false;
    readers.spawn([](Socket& so, bool& c) -> Task<void> {
      std::byte b[16];
      try {
        co_await so.recv(b);
      } catch (const CancelledError&) {
        c = true;
      }
    }(s, cancelled));
    co_await sleep_for(lp, 10ms);
    readers.cancel();
    co_await readers.join();
    EXPECT_TRUE(cancelled);
    co_return co_await round_trip(std::move(s), "after cancel");
  };
  EXPECT_EQ(sync_wait(loop, client(loop, l.port())), "after cancel");
}

TEST_F(SocketTest, PeerCloseGivesEndOfStreamThenEpipe) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  servers.spawn([](Listener& lst) -> Task<void> {
    Socket peer = co_await lst.accept();
    co_await peer.close();
  }(l));
  auto client = [](Loop& lp, std::uint16_t port) -> Task<int> {
    Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", port);
    std::byte b[16];
    EXPECT_EQ(co_await s.recv(b), 0u);
    const std::string chunk(64 * 1024, 'x');
    try {
      for (int i = 0; i < 100; ++i)
        co_await s.send_all(bytes(chunk));  // no SIGPIPE
    } catch (const IoError& e) {
      co_return e.code().value();
    }
    co_return 0;
  };
  const int err = sync_wait(loop, client(loop, l.port()));
  EXPECT_TRUE(err == EPIPE || err == ECONNRESET) << err;
}

TEST_F(SocketTest, ConnectionRefusedNamesTheAddress) {
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  const std::uint16_t port = l.port();
  { Listener gone = std::move(l); }  // nobody listens there any more
  try {
    sync_wait(loop, Socket::connect_tcp(loop, "127.0.0.1", port));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  }
}

TEST_F(SocketTest, UnresolvableHostIsAClearError) {
  try {
    sync_wait(loop, Socket::connect_tcp(loop, "no-such-host.invalid", 5432, deadline_after(10s)));
    FAIL();
  } catch (const TimeoutError&) {
    FAIL() << "resolution should fail, not time out";
  } catch (const ResolveError& e) {
    // The resolver's own code and words (EAI_NONAME, or EAI_AGAIN without a DNS server),
    // never an errno made up for it (it said "No route to host").
    EXPECT_EQ(&e.code().category(), &resolver_category());
    EXPECT_EQ(
        std::string(e.what()),
        "could not translate host name \"no-such-host.invalid\" to address: " + e.code().message());
    EXPECT_NE(e.code().message(), std::error_code(EHOSTUNREACH, std::generic_category()).message());
  }
}

// A lookup waits on the ring like any I/O (c-ares's sockets are polled by it; no thread): a
// stop request ends it at once while its DNS server has not answered, and nothing is left.
TEST_F(SocketTest, PendingLookupIsCancelled) {
  // A "DNS server" that takes the query and never answers.
  const int dns = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(dns, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(dns, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::getsockname(dns, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  TaskGroup lookups(loop);
  bool cancelled = false;
  spawn(lookups, [&]() -> Task<void> {
    try {
      co_await resolve(loop, "db.example.test", 5432, kNoDeadline, server);
      ADD_FAILURE() << "resolved without an answer";
    } catch (const CancelledError&) {
      cancelled = true;
    }
  });
  // Once the query has reached the server, the lookup is waiting for its answer: cancel it.
  const auto cancel_when_asked = [](Loop& l, TaskGroup& g, int fd) -> Task<std::size_t> {
    std::vector<std::byte> query(512);
    RecvAwaiter asked(l, fd, query, kNoDeadline);  // named: see GCC 12's co_await temporaries
    const std::size_t n = co_await asked;
    g.cancel();
    co_await g.join();
    co_return n;
  };
  EXPECT_GT(sync_wait(loop, cancel_when_asked(loop, lookups, dns)), 12u);  // a DNS header
  EXPECT_TRUE(cancelled);
  ::close(dns);
}

TEST_F(SocketTest, LookupTimesOutAtItsDeadline) {
  const int dns = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(dns, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(dns, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::getsockname(dns, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  EXPECT_THROW(
      sync_wait(loop, resolve(loop, "db.example.test", 5432, deadline_after(50ms), server)),
      TimeoutError);
  ::close(dns);
}

}  // namespace
}  // namespace tern::ring
