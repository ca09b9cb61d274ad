// The byte stream a protocol connection talks over: a plain socket, upgraded in place to TLS
// when the server agrees. Both database protocols negotiate TLS inside their own handshake.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <utility>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/tls.hpp"

namespace tern::protocol {

/// The awaitable of one Transport read or write: on a plain socket the ring operation itself
/// (no coroutine frame between the caller and the ring), on TLS the stream's task. Not movable:
/// await it where it is made (co_await transport.read(...)).
template <class Op, class T>
class TransportAwaiter {
 public:
  /// Awaits the operation `make()` returns (constructed in place: ring operations do not move).
  template <class Make>
  TransportAwaiter(std::in_place_t, Make make) : is_op_(true) {
    ::new (static_cast<void*>(storage_)) Op(make());
  }
  /// Awaits a task.
  explicit TransportAwaiter(ring::Task<T> task) noexcept : task_(std::move(task)) {}
  TransportAwaiter(const TransportAwaiter&) = delete;
  TransportAwaiter& operator=(const TransportAwaiter&) = delete;
  ~TransportAwaiter() {
    if (is_op_) op().~Op();
  }

  /// Coroutine protocol: as the operation or task.
  bool await_ready() const noexcept { return is_op_ && op().await_ready(); }
  template <class P>
  /// Coroutine protocol: starts the operation or task.
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    if (!is_op_) return task_.operator co_await().await_suspend(h);
    if (op().await_suspend(h)) return std::noop_coroutine();
    return h;  // not submitted (stop already requested): await_resume reports it
  }
  /// Its result, or its exception.
  T await_resume() {
    if (!is_op_) return task_.operator co_await().await_resume();
    return op().await_resume();
  }

 private:
  Op& op() noexcept { return *std::launder(reinterpret_cast<Op*>(storage_)); }
  const Op& op() const noexcept { return *std::launder(reinterpret_cast<const Op*>(storage_)); }

  alignas(Op) unsigned char storage_[sizeof(Op)];
  bool is_op_ = false;
  ring::Task<T> task_;
};

/// A transform of a connection's byte stream that its protocol switches on during start-up
/// (MySQL's compressed protocol: mysql::CompressedPackets). Sans-I/O: the Transport moves the
/// bytes; every write goes out encoded, and reads see the decoded stream.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  /// Appends the wire form of `plain` to `wire`.
  virtual void encode(Bytes plain, std::string& wire) = 0;
  /// Free space (at least 1 byte) to read wire bytes into.
  virtual std::span<std::byte> wire_space() = 0;
  /// `n` wire bytes were read into wire_space().
  virtual void wire_received(std::size_t n) = 0;
  /// Moves up to out.size() decoded bytes into `out`; returns how many, 0 when more wire bytes
  /// are needed. Throws ProtocolError for wire bytes the filter cannot decode.
  virtual std::size_t decode(std::span<std::byte> out) = 0;
  /// True while bytes are held (decoded and not taken, or an incomplete unit of the wire form).
  virtual bool buffered() const noexcept = 0;
};

/// A connected socket, plain or TLS. Move-only. One read and one write may be pending at once.
class Transport {
 public:
  Transport() = default;
  /// Wraps a connected plain socket.
  explicit Transport(ring::Socket socket) noexcept : socket_(std::move(socket)) {}

  /// Performs the TLS handshake over the plain socket (after the protocol's TLS request was
  /// accepted); from then on reads and writes are encrypted. Throws ring::TlsError.
  ring::Task<void> start_tls(std::shared_ptr<const ring::TlsContext> context, std::string host,
                             ring::Deadline deadline);

  using ReadAwaiter = TransportAwaiter<ring::RecvAwaiter, std::size_t>;  ///< What read() returns.
  using WriteAwaiter = TransportAwaiter<ring::SendAllAwaiter, void>;     ///< What write() returns.

  /// From now on, filters everything written and read through `filter` (after the protocol's
  /// handshake agreed on it, with nothing unread in flight).
  void set_filter(std::unique_ptr<StreamFilter> filter) noexcept { filter_ = std::move(filter); }
  /// The filter in use, or null.
  const StreamFilter* filter() const noexcept { return filter_.get(); }

  /// Reads at most buf.size() bytes; 0 means the peer closed the stream.
  ReadAwaiter read(std::span<std::byte> buf, ring::Deadline deadline) {
    if (filter_) return ReadAwaiter(read_filtered(buf, deadline));
    if (tls_) return ReadAwaiter(tls_->read(buf, deadline));
    return ReadAwaiter(std::in_place, [&] { return socket_.recv(buf, deadline); });
  }
  /// Writes all of buf.
  WriteAwaiter write(std::span<const std::byte> buf, ring::Deadline deadline) {
    if (filter_) return WriteAwaiter(write_filtered(buf, deadline));
    if (tls_) return WriteAwaiter(tls_->write_all(buf, deadline));
    return WriteAwaiter(std::in_place, [&] { return socket_.send_all(buf, deadline); });
  }
  /// True when exchange() may be used: a plain socket without a filter (TLS and filters keep
  /// separate writes and reads).
  bool can_exchange() const noexcept { return !tls_ && !filter_; }
  /// Writes all of `out`, then reads at most buf.size() bytes, as one ring operation: one loop
  /// turn per round trip where the kernel allows (ring::SendRecvAwaiter). Plain sockets only.
  ring::SendRecvAwaiter exchange(std::span<const std::byte> out, std::span<std::byte> buf,
                                 ring::Deadline deadline) noexcept {
    return socket_.send_recv(out, buf, deadline);
  }
  /// Shuts both directions down at once (no close_notify): pending reads and writes end. For a
  /// stream found out of sync.
  void shutdown() noexcept;
  /// Closes (with a TLS close_notify when encrypted). Never throws for a broken peer.
  ring::Task<void> close();

  /// True while the underlying socket is open.
  bool is_open() const noexcept { return tls_ ? true : socket_.is_open(); }
  /// The socket's descriptor (-1 when closed).
  int fd() const noexcept { return tls_ ? tls_->socket().fd() : socket_.fd(); }
  /// True when the peer has closed the stream or sent bytes nobody asked for (the filter holds
  /// some, or they wait in the socket): checked without blocking (MSG_PEEK), for a connection
  /// that should be idle.
  bool has_unexpected_input() const noexcept;
  /// True once start_tls() succeeded.
  bool is_tls() const noexcept { return tls_ != nullptr; }
  /// The TLS stream (only when is_tls()): version, cipher, channel binding.
  const ring::TlsStream& tls() const noexcept { return *tls_; }

 private:
  ring::Task<std::size_t> read_filtered(std::span<std::byte> buf, ring::Deadline deadline);
  ring::Task<void> write_filtered(std::span<const std::byte> buf, ring::Deadline deadline);

  ring::Socket socket_;
  std::unique_ptr<ring::TlsStream> tls_;
  std::unique_ptr<StreamFilter> filter_;
  std::string encoded_;  // the filtered form of the write in flight
};

/// Sorts out why opening a connection to `target` threw `e` (name resolution, socket, TLS,
/// handshake, authentication), the same for both backends: throws ConnectionFailed("could not
/// connect to server at <target>: <why>") for a failure to reach or keep the server (a
/// timeout after `connect_timeout`, a resolver, TLS or I/O failure, the peer closing during
/// start-up) and for the server's own refusal (a ConnectionLost for which `server_said_why` is
/// true, whose fields it keeps); rethrows `e` as it is otherwise: a stop request
/// (ring::CancelledError) or any other error (e.g. a client-side refusal to authenticate).
[[noreturn]] void throw_startup_failure(std::exception_ptr e, const std::string& target,
                                        std::chrono::milliseconds connect_timeout,
                                        bool (*server_said_why)(const ConnectionLost&));

}  // namespace tern::protocol
