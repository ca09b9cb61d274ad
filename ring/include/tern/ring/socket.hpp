// Stream sockets on the ring: connect (TCP v4/v6 by name or address, Unix), send-all, recv, close.
//
// Every operation takes an optional absolute Deadline (a linked timeout on the ring) and honours
// the running task's stop token. After a recv timeout or cancellation the socket stays usable and
// no byte is lost (the recv did not happen). After a send_all timeout or cancellation an unknown
// prefix of the buffer may have been sent, so the stream is out of sync: close the socket.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "tern/ring/op.hpp"
#include "tern/ring/resolve.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

class Socket;

/// Awaitable recv into a caller's buffer; yields the byte count, 0 at end of stream.
class RecvAwaiter : public detail::OpBase {
 public:
  /// A recv on `fd` into `buf`, bounded by `deadline`.
  RecvAwaiter(Loop& loop, int fd, std::span<std::byte> buf, Deadline deadline) noexcept
      : OpBase(loop, deadline, "recv"), fd_(fd), buf_(buf) {}
  /// The number of bytes received (0 means the peer closed its side).
  std::size_t await_resume() const { return static_cast<std::size_t>(checked_result()); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override;
  int fd_;
  std::span<std::byte> buf_;
};

/// Awaitable that sends a whole buffer, resubmitting after partial sends without resuming the
/// coroutine in between (no allocation, one awaiter for the whole buffer).
class SendAllAwaiter : public detail::OpBase {
 public:
  /// Sends all of `buf` on `fd` before `deadline`.
  SendAllAwaiter(Loop& loop, int fd, std::span<const std::byte> buf, Deadline deadline) noexcept
      : OpBase(loop, deadline, "send"), fd_(fd), rest_(buf) {}
  bool await_ready() const noexcept { return rest_.empty(); }  ///< Nothing to send: done at once.
  /// Returns when every byte was handed to the kernel.
  void await_resume() const { checked_result(); }

 private:
  void prep(io_uring_sqe* sqe) noexcept override;
  bool on_cqe(int res) noexcept override;
  int fd_;
  std::span<const std::byte> rest_;
};

/// Awaitable round trip: sends all of `out`, then receives up to `in.size()` bytes; yields the
/// byte count received (0: the peer closed its side).
///
/// Where the kernel honours IOSQE_CQE_SKIP_SUCCESS (RingFeatures::cqe_skip) the send goes out
/// linked ahead of the recv in one submission, so the coroutine is resumed once, by the reply,
/// after one io_uring_enter. The send carries MSG_WAITALL: on a stream socket the kernel (5.18+)
/// keeps sending until all is out, and anything less breaks the link (the recv is then failed
/// without a CQE); a short send that was neither stopped nor timed out is sent on again with
/// its recv (older kernels stop at partial sends). Elsewhere the send and the recv run one after
/// the other, as send_all() then recv() would.
///
/// The deadline covers both halves; a stop request cancels whichever is in flight. After a
/// failure, send_failed() tells which half failed: a failed send (or one never made) leaves an
/// unknown prefix on the wire, a failed recv leaves the stream intact (the request was sent).
class SendRecvAwaiter : public detail::OpBase {
 public:
  /// Sends all of `out` on `fd`, then receives into `in`, before `deadline`.
  SendRecvAwaiter(Loop& loop, int fd, std::span<const std::byte> out, std::span<std::byte> in,
                  Deadline deadline) noexcept;
  /// The number of bytes received (0 means the peer closed its side).
  std::size_t await_resume() const { return static_cast<std::size_t>(checked_result()); }
  /// True unless every byte of `out` was handed to the kernel.
  bool send_failed() const noexcept { return !rest_.empty(); }

 private:
  void prep_head(io_uring_sqe* sqe) noexcept override;
  void prep(io_uring_sqe* sqe) noexcept override;
  bool on_head_cqe(int res) noexcept override;
  bool on_cqe(int res) noexcept override;
  /// Takes a send result; true when the send is over (done or failed for good).
  bool sent(int res) noexcept;

  HeadCompletion send_completion_{this};
  int fd_;
  std::span<const std::byte> rest_;
  std::span<std::byte> in_;
};

/// A connected stream socket bound to a Loop. Move-only; the destructor closes the descriptor
/// synchronously if close() was not awaited.
class Socket {
 public:
  Socket() noexcept = default;
  /// Adopts a connected descriptor.
  Socket(Loop& loop, int fd) noexcept : loop_(&loop), fd_(fd) {}
  /// Takes over the descriptor; `other` is left closed.
  Socket(Socket&& other) noexcept;
  /// Closes this socket, then takes over the other.
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  /// Resolves `host` without blocking the loop and connects to the first address that accepts,
  /// trying them in resolver order; TCP_NODELAY is set. The deadline covers resolution and all
  /// attempts.
  static Task<Socket> connect_tcp(Loop& loop, std::string host, std::uint16_t port,
                                  Deadline deadline = kNoDeadline);
  /// Connects to one resolved endpoint.
  static Task<Socket> connect(Loop& loop, const Endpoint& endpoint,
                              Deadline deadline = kNoDeadline);
  /// Connects to a Unix-domain stream socket at `path`.
  static Task<Socket> connect_unix(Loop& loop, std::string path, Deadline deadline = kNoDeadline);

  /// Receives up to `buf.size()` bytes.
  RecvAwaiter recv(std::span<std::byte> buf, Deadline deadline = kNoDeadline) noexcept {
    return {*loop_, fd_, buf, deadline};
  }
  /// Sends all of `buf` (MSG_NOSIGNAL: a closed peer is an IoError EPIPE, not a signal).
  SendAllAwaiter send_all(std::span<const std::byte> buf,
                          Deadline deadline = kNoDeadline) noexcept {
    return {*loop_, fd_, buf, deadline};
  }
  /// Sends all of `out`, then receives into `in` (see SendRecvAwaiter: one loop turn and one
  /// io_uring_enter per round trip where the kernel allows).
  SendRecvAwaiter send_recv(std::span<const std::byte> out, std::span<std::byte> in,
                            Deadline deadline = kNoDeadline) noexcept {
    return {*loop_, fd_, out, in, deadline};
  }
  /// Shuts down the write side (the peer reads end of stream).
  void shutdown_write() noexcept;
  /// Closes the descriptor through the ring.
  Task<void> close();

  /// The descriptor, or -1.
  int fd() const noexcept { return fd_; }
  /// True while a descriptor is held.
  bool is_open() const noexcept { return fd_ >= 0; }
  /// The loop this socket's operations run on.
  Loop& loop() const noexcept { return *loop_; }

 private:
  Loop* loop_ = nullptr;
  int fd_ = -1;
};

/// A listening stream socket; tern is a client library, this serves tests, proxies and demos.
class Listener {
 public:
  /// Listens on a numeric `host` ("127.0.0.1", "::1") and `port` (0 picks a free port).
  static Listener bind_tcp(Loop& loop, const std::string& host, std::uint16_t port = 0);
  /// Listens on a Unix-domain socket at `path` (an existing file there is replaced).
  static Listener bind_unix(Loop& loop, const std::string& path);

  /// Accepts one connection.
  Task<Socket> accept(Deadline deadline = kNoDeadline);
  /// The bound port (TCP).
  std::uint16_t port() const;
  /// The listening descriptor.
  int fd() const noexcept { return socket_.fd(); }

 private:
  explicit Listener(Socket s) noexcept : socket_(std::move(s)) {}
  Socket socket_;
};

}  // namespace tern::ring
