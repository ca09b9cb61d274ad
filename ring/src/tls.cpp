#include "tern/ring/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"

namespace tern::ring {

namespace {

constexpr std::size_t kRecordBuffer = 17 * 1024;  // one full TLS record plus header

// Drains OpenSSL's error queue into one readable string.
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

bool is_ip_address(const std::string& host) {
  Endpoint e;
  return parse_numeric_host(host, 0, e);
}

}  // namespace

TlsContext::TlsContext(const TlsConfig& config) : config_(config) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw TlsError("SSL_CTX_new: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  auto fail = [this](const std::string& what) {
    std::string msg = absl::StrCat(what, ": ", openssl_errors());
    SSL_CTX_free(ctx_);
    throw TlsError(msg);
  };
  if (config.verify != TlsVerify::kNone) {
    if (!config.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx_, config.ca_file.c_str(), nullptr) != 1) {
        fail("loading CA file " + config.ca_file);
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
      fail("loading the system trust store");
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  if (!config.cert_file.empty() &&
      SSL_CTX_use_certificate_chain_file(ctx_, config.cert_file.c_str()) != 1) {
    fail("loading client certificate " + config.cert_file);
  }
  if (!config.key_file.empty() &&
      SSL_CTX_use_PrivateKey_file(ctx_, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail("loading client key " + config.key_file);
  }
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsStream::TlsStream(Socket socket, SSL* ssl) noexcept
    : socket_(std::move(socket)),
      ssl_(ssl),
      in_bio_(SSL_get_rbio(ssl)),
      out_bio_(SSL_get_wbio(ssl)),
      in_buf_(kRecordBuffer) {}

TlsStream::TlsStream(TlsStream&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      in_bio_(other.in_bio_),
      out_bio_(other.out_bio_),
      in_buf_(std::move(other.in_buf_)),
      out_buf_(std::move(other.out_buf_)),
      eof_(other.eof_) {}

TlsStream& TlsStream::operator=(TlsStream&& other) noexcept {
  if (this != &other) {
    if (ssl_ != nullptr) SSL_free(ssl_);
    socket_ = std::move(other.socket_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    in_bio_ = other.in_bio_;
    out_bio_ = other.out_bio_;
    in_buf_ = std::move(other.in_buf_);
    out_buf_ = std::move(other.out_buf_);
    eof_ = other.eof_;
  }
  return *this;
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // frees both BIOs too
}

Task<TlsStream> TlsStream::handshake(Socket socket, std::shared_ptr<const TlsContext> context,
                                     std::string host, Deadline deadline) {
  SSL* ssl = SSL_new(context->native());
  if (ssl == nullptr) throw TlsError("SSL_new: " + openssl_errors());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  // An empty input BIO means "want more", not end of stream.
  BIO_ctrl(in, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nullptr);
  SSL_set_bio(ssl, in, out);
  TlsStream stream(std::move(socket), ssl);

  const bool ip = is_ip_address(host);
  if (!ip && !host.empty()) {
    // SSL_set_tlsext_host_name, spelled out: the macro casts in C style.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host.c_str()));
  }
  if (context->config().verify == TlsVerify::kFull) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (ok != 1) throw TlsError("invalid host name for verification: " + host);
  }
  SSL_set_connect_state(ssl);
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) break;
    if (SSL_get_verify_result(ssl) != X509_V_OK) {
      throw TlsError(absl::StrCat("TLS handshake with ", host,
                                  ": certificate verification failed: ",
                                  X509_verify_cert_error_string(SSL_get_verify_result(ssl))));
    }
    if (!co_await stream.pump(rc, deadline, "TLS handshake") || stream.eof_) {
      throw TlsError(
          absl::StrCat("TLS handshake with ", host, ": the server closed the connection"));
    }
  }
  co_await stream.flush(deadline);
  co_return std::move(stream);
}

Task<bool> TlsStream::pump(int rc, Deadline deadline, const char* what) {
  // Plain ifs, not a switch: GCC 12 miscompiles co_await inside switch cases (SIGILL).
  const int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_ZERO_RETURN) {
    eof_ = true;
    co_return false;
  }
  if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
    throw TlsError(absl::StrCat(what, ": ", openssl_errors()));
  }
  co_await flush(deadline);
  if (error != SSL_ERROR_WANT_READ) co_return error == SSL_ERROR_WANT_WRITE;
  const bool filled = co_await fill(deadline);
  if (!filled) eof_ = true;
  co_return filled;
}

Task<void> TlsStream::flush(Deadline deadline) {
  // One flusher at a time; a concurrent caller's bytes are picked up by the running loop.
  if (flushing_) co_return;
  flushing_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{flushing_};
  while (const std::size_t pending = BIO_ctrl_pending(out_bio_)) {
    out_buf_.resize(pending);
    BIO_read(out_bio_, out_buf_.data(), static_cast<int>(pending));
    co_await socket_.send_all(out_buf_, deadline);
  }
}

Task<bool> TlsStream::fill(Deadline deadline) {
  const std::size_t n = co_await socket_.recv(in_buf_, deadline);
  if (n == 0) co_return false;
  BIO_write(in_bio_, in_buf_.data(), static_cast<int>(n));
  co_return true;
}

Task<std::size_t> TlsStream::read(std::span<std::byte> buf, Deadline deadline) {
  while (!eof_) {
    ERR_clear_error();
    std::size_t n = 0;
    const int rc = SSL_read_ex(ssl_, buf.data(), buf.size(), &n);
    if (rc == 1) co_return n;
    if (!co_await pump(rc, deadline, "TLS read")) break;
  }
  co_return 0;
}

Task<void> TlsStream::write_all(std::span<const std::byte> buf, Deadline deadline) {
  while (!buf.empty()) {
    ERR_clear_error();
    std::size_t n = 0;
    const int rc = SSL_write_ex(ssl_, buf.data(), buf.size(), &n);
    if (rc == 1) {
      buf = buf.subspan(n);
      continue;
    }
    if (!co_await pump(rc, deadline, "TLS write") && eof_) {
      throw IoError(EPIPE, "TLS write: the server closed the connection");
    }
  }
  co_await flush(deadline);
}

Task<void> TlsStream::close(Deadline deadline) {
  if (ssl_ != nullptr && socket_.is_open()) {
    SSL_shutdown(ssl_);
    try {
      co_await flush(deadline);
    } catch (const IoError&) {
      // The peer may already be gone; closing is all that is left to do.
    } catch (const CancelledError&) {
      // Swallowed as before CancelledError left the IoError family: the socket is closed below
      // either way, and close() is what a cancelled task's clean-up calls.
    }
  }
  co_await socket_.close();
}

std::vector<std::uint8_t> TlsStream::server_end_point() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  int md_nid = NID_undef;
  if (X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) != 1) return {};
  if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;  // RFC 5929 section 4.1
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  if (md == nullptr) return {};
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  if (X509_digest(cert, md, out.data(), &len) != 1) return {};
  out.resize(len);
  return out;
}

std::string TlsStream::version() const {
  return SSL_get_version(ssl_);
}

std::string TlsStream::cipher() const {
  return SSL_get_cipher_name(ssl_);
}

}  // namespace tern::ring
