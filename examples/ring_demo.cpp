// The ring demo: what io_uring offers on this machine, then an echo round trip over loopback TCP
// and 1,000 concurrent tasks on one loop. (The PageBlock example replaces it once the ORM lands.)
#include <chrono>
#include <cstdio>
#include <string_view>

#include "tern/tern.hpp"

using namespace std::chrono_literals;
namespace ring = tern::ring;

namespace {

ring::Task<void> echo_server(ring::Listener& listener) {
  ring::Socket peer = co_await listener.accept();
  std::byte buf[4096];
  while (std::size_t n = co_await peer.recv(buf)) {
    co_await peer.send_all(std::span(buf, n));
  }
}

ring::Task<void> client(ring::Loop& loop, std::uint16_t port) {
  ring::Socket s =
      co_await ring::Socket::connect_tcp(loop, "localhost", port, ring::deadline_after(2s));
  constexpr std::string_view msg = "hello from tern over io_uring";
  co_await s.send_all(std::as_bytes(std::span(msg)));
  char buf[64] = {};
  std::size_t got = 0;
  while (got < msg.size()) {
    got += co_await s.recv(std::as_writable_bytes(std::span(buf + got, sizeof buf - got)));
  }
  std::printf("echoed: %.*s\n", static_cast<int>(got), buf);
  co_await s.close();
}

ring::Task<void> many_sleepers(ring::Loop& loop) {
  ring::TaskGroup group(loop);
  int done = 0;
  for (int i = 0; i < 1000; ++i) {
    group.spawn([](ring::Loop& l, int& d) -> ring::Task<void> {
      co_await ring::sleep_for(l, 10ms);
      ++d;
    }(loop, done));
  }
  co_await group.join();
  std::printf("1000 concurrent tasks slept 10 ms each: %d finished\n", done);
}

}  // namespace

int main() {
  try {
    ring::Loop loop;
    std::printf("%s\n", loop.features().describe().c_str());
    ring::Listener listener = ring::Listener::bind_tcp(loop, "127.0.0.1");
    ring::TaskGroup server(loop);
    server.spawn(echo_server(listener));
    const auto start = std::chrono::steady_clock::now();
    ring::sync_wait(loop, client(loop, listener.port()));
    ring::sync_wait(loop, server.join());
    ring::sync_wait(loop, many_sleepers(loop));
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    std::printf("done in %lld us\n", static_cast<long long>(us.count()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ring-demo: %s\n", e.what());
    return 1;
  }
}
