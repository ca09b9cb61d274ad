// The runtime alone (docs/loops-and-threads.md): a loop, a task that talks to a server over a
// socket, and work posted to the loop from another thread. No SQL: the task asks a PostgreSQL
// server whether it speaks TLS (SSLRequest, one byte back), the smallest round trip it answers.
//   build/examples/docs/runtime 127.0.0.1 5432
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tern/ring/ring.hpp>
#include <thread>

/// [runtime]
using namespace tern::ring;

Task<char> ask_for_tls(Loop& loop, std::string host, std::uint16_t port) {
  const Deadline deadline = deadline_after(std::chrono::seconds(2));  // every operation takes one
  Socket s = co_await Socket::connect_tcp(loop, host, port, deadline);
  // SSLRequest: length 8, code 80877103; the server answers 'S' (TLS offered) or 'N'.
  const std::array<std::byte, 8> request = {std::byte{0},    std::byte{0},    std::byte{0},
                                            std::byte{8},    std::byte{0x04}, std::byte{0xd2},
                                            std::byte{0x16}, std::byte{0x2f}};
  co_await s.send_all(request, deadline);
  std::array<std::byte, 1> answer{};
  co_await s.recv(answer, deadline);
  co_await s.close();
  co_return static_cast<char>(answer[0]);
}

int main(int argc, char** argv) {
  if (argc != 3) return 64;
  Loop loop;  // one io_uring, owned by this thread
  const char answer = sync_wait(loop, ask_for_tls(loop, argv[1], std::atoi(argv[2])));
  std::printf("the server answered '%c'\n", answer);

  // Loop::post is the one thread-safe entry point: fn runs on the loop's thread.
  loop.expect_post();  // run() keeps waiting for the announced post
  std::thread other(
      [&loop] { loop.post_expected([] { std::puts("posted from another thread"); }); });
  loop.run();
  other.join();
}
/// [runtime]
