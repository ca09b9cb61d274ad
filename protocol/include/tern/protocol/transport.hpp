// The byte stream a protocol connection talks over: a plain socket, upgraded in place to TLS
// when the server agrees. Both database protocols negotiate TLS inside their own handshake.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "tern/ring/socket.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/tls.hpp"

namespace tern::protocol {

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

  /// Reads at most buf.size() bytes; 0 means the peer closed the stream.
  ring::Task<std::size_t> read(std::span<std::byte> buf, ring::Deadline deadline);
  /// Writes all of buf.
  ring::Task<void> write(std::span<const std::byte> buf, ring::Deadline deadline);
  /// Closes (with a TLS close_notify when encrypted). Never throws for a broken peer.
  ring::Task<void> close();

  /// True while the underlying socket is open.
  bool is_open() const noexcept { return tls_ ? true : socket_.is_open(); }
  /// The socket's descriptor (-1 when closed).
  int fd() const noexcept { return tls_ ? tls_->socket().fd() : socket_.fd(); }
  /// True when the peer has closed the stream or sent bytes nobody asked for: checked without
  /// blocking (MSG_PEEK), for a connection that should be idle.
  bool has_unexpected_input() const noexcept;
  /// True once start_tls() succeeded.
  bool is_tls() const noexcept { return tls_ != nullptr; }
  /// The TLS stream (only when is_tls()): version, cipher, channel binding.
  const ring::TlsStream& tls() const noexcept { return *tls_; }

 private:
  ring::Socket socket_;
  std::unique_ptr<ring::TlsStream> tls_;
};

}  // namespace tern::protocol
