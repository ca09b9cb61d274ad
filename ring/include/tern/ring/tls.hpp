// TLS client streams: OpenSSL runs over memory BIOs and the ring moves the ciphertext, so TLS
// shares the loop's batching, deadlines and cancellation with plain sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tern/ring/socket.hpp"
#include "tern/ring/task.hpp"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using BIO = struct bio_st;

namespace tern::ring {

/// How much of the server's identity to check (libpq's sslmode names in the comments).
enum class TlsVerify {
  kNone,  ///< encrypt only (sslmode=require)
  kCa,    ///< the chain must lead to a trusted CA (verify-ca)
  kFull,  ///< ... and the certificate must name the host (verify-full)
};

/// Client TLS settings. The same TlsContext can serve every connection of a pool.
struct TlsConfig {
  TlsVerify verify = TlsVerify::kFull;  ///< how much of the peer to check
  /// PEM file of trusted CAs; empty means the system's default trust store.
  std::string ca_file{};
  /// Optional client certificate and key (PEM).
  std::string cert_file{};
  std::string key_file{};  ///< the client certificate's key
};

/// An OpenSSL client context built from a TlsConfig (TLS 1.2 minimum). Thread-safe to share.
class TlsContext {
 public:
  /// Builds the context; throws TlsError if a file cannot be loaded.
  explicit TlsContext(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// The configuration it was built from.
  const TlsConfig& config() const noexcept { return config_; }
  /// The OpenSSL context (for the stream).
  SSL_CTX* native() const noexcept { return ctx_; }

 private:
  TlsConfig config_;
  SSL_CTX* ctx_ = nullptr;
};

/// A TLS client stream over a connected Socket. At most one read and one write may be pending
/// at a time (one of each concurrently is fine: full duplex).
class TlsStream {
 public:
  /// Runs the client handshake over `socket` (already connected, and past any plaintext
  /// preamble such as PostgreSQL's SSLRequest). `host` is sent as SNI when it is a name and is
  /// checked against the certificate under TlsVerify::kFull (names and IP addresses both).
  /// Throws TlsError naming the verification failure, IoError/TimeoutError on transport errors.
  static Task<TlsStream> handshake(Socket socket, std::shared_ptr<const TlsContext> context,
                                   std::string host, Deadline deadline = kNoDeadline);

  /// Takes over the session; `other` is left empty.
  TlsStream(TlsStream&& other) noexcept;
  /// Frees this session, then takes over the other.
  TlsStream& operator=(TlsStream&& other) noexcept;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;
  ~TlsStream();

  /// Reads up to buf.size() plaintext bytes; 0 at end of stream (close_notify or TCP close).
  Task<std::size_t> read(std::span<std::byte> buf, Deadline deadline = kNoDeadline);
  /// Encrypts and sends all of `buf`.
  Task<void> write_all(std::span<const std::byte> buf, Deadline deadline = kNoDeadline);
  /// Sends close_notify (does not wait for the peer's) and closes the socket.
  Task<void> close(Deadline deadline = kNoDeadline);

  /// tls-server-end-point channel-binding data (RFC 5929): the hash of the server certificate
  /// with its signature's digest (SHA-256 for MD5/SHA-1). Empty when undefined for the
  /// certificate's algorithm (then SCRAM-PLUS cannot be used).
  std::vector<std::uint8_t> server_end_point() const;
  /// Negotiated protocol version, e.g. "TLSv1.3".
  std::string version() const;
  /// Negotiated cipher suite name.
  std::string cipher() const;
  /// The underlying socket.
  Socket& socket() noexcept { return socket_; }
  /// The underlying socket (read-only).
  const Socket& socket() const noexcept { return socket_; }

 private:
  TlsStream(Socket socket, SSL* ssl) noexcept;
  /// Drives one OpenSSL call that returned `rc`: flushes output, feeds input; true to retry the
  /// call, false if the call succeeded; throws on failure. Sets `eof_` on a clean end.
  Task<bool> pump(int rc, Deadline deadline, const char* what);
  Task<void> flush(Deadline deadline);
  Task<bool> fill(Deadline deadline);

  Socket socket_;
  SSL* ssl_ = nullptr;
  BIO* in_bio_ = nullptr;   // ciphertext from the server, fed by us
  BIO* out_bio_ = nullptr;  // ciphertext to the server, drained by us
  std::vector<std::byte> in_buf_, out_buf_;
  bool flushing_ = false;
  bool eof_ = false;
};

}  // namespace tern::ring
