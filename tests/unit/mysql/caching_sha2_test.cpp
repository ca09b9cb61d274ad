// caching_sha2_password as the real mysql::Connection plays it against a scripted server (no
// MySQL needed): a blocking server on its own thread, on loopback TCP, that sends a MySQL 8.0
// Initial Handshake and then checks every answer of the client byte for byte — the fast path
// (AuthMoreData 0x03), full authentication over TLS (0x04, the password in clear inside TLS;
// the server's certificate and key are made here with OpenSSL), full authentication over RSA
// (0x04, the client asks for the key with 0x02, the server sends a PEM public key made here, and
// decrypts what comes back with the private key), and the guard: on a plain socket full
// authentication never sends the password in clear, whatever the server answers.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "tern/protocol/mysql/auth.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::hex;
using testing::to_hex;

constexpr std::string_view kUser = "alice";
constexpr std::string_view kPassword = "s3cret-Passw0rd";
// The 20-byte scramble (nonce) of the handshake, without NUL bytes.
constexpr std::string_view kScramble = "abcdefghijklmnopqrst";

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string sha256(std::string_view data) {
  unsigned char md[32];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

// What the server expects for the fast path, computed here from the protocol's definition
// (not with tern's own function): SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble).
std::string expected_scramble_response() {
  const std::string h1 = sha256(kPassword);
  const std::string h3 = sha256(sha256(h1) + std::string(kScramble));
  std::string out(32, '\0');
  for (std::size_t i = 0; i < 32; ++i)
    out[i] = static_cast<char>(h1[i] ^ h3[i]);
  return out;
}

Pkey make_rsa_key() {
  Pkey key(EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("EVP_RSA_gen");
  return key;
}

std::string public_key_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) throw std::runtime_error("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// RSA-OAEP (SHA-1, MGF1-SHA-1: what MySQL's server uses) decryption with the private key.
std::string rsa_decrypt(EVP_PKEY* key, std::string_view cipher) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), &EVP_PKEY_CTX_free);
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(cipher.data());
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len, in, cipher.size()) != 1) {
    throw std::runtime_error("RSA decrypt init");
  }
  std::string out(len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                       cipher.size()) != 1) {
    throw std::runtime_error("RSA-OAEP decryption failed");
  }
  out.resize(len);
  return out;
}

// A self-signed certificate for the TLS server (the client runs with ssl-mode REQUIRED, which
// encrypts without verifying, so nothing else is needed).
std::unique_ptr<X509, decltype(&X509_free)> self_signed(EVP_PKEY* key) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign");
  return cert;
}

// A MySQL 8.0.36 Initial Handshake announcing caching_sha2_password (and TLS when `tls`).
std::string initial_handshake(bool tls) {
  std::uint32_t caps = 0x01 | 0x04 | 0x08 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 |
                       0x80000 | 0x100000 | 0x200000 | 0x1000000;  // CLIENT_LONG_PASSWORD...
  if (tls) caps |= 0x800;                                          // CLIENT_SSL
  std::string p = hex("0a") + "8.0.36"s + '\0' + hex("07 00 00 00") +
                  std::string(kScramble.substr(0, 8)) + '\0';
  p += static_cast<char>(caps & 0xff);
  p += static_cast<char>((caps >> 8) & 0xff);
  p += hex("ff 02 00");  // utf8mb4_0900_ai_ci, SERVER_STATUS_AUTOCOMMIT
  p += static_cast<char>((caps >> 16) & 0xff);
  p += static_cast<char>((caps >> 24) & 0xff);
  p += static_cast<char>(21);  // auth data length: 20 + NUL
  p += std::string(10, '\0');
  p += std::string(kScramble.substr(8)) + '\0';
  p += "caching_sha2_password"s + '\0';
  return p;
}

const std::string kOk = hex("00 00 00 02 00 00 00");

// One scripted connection: the server's side of the stream, blocking, with every byte the
// client sent recorded. Protocol surprises throw (ending the script); checks are EXPECTs.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}

  // The next packet's payload; checks its sequence id.
  std::string read_packet() {
    const std::string header = read_exact(4);
    const std::size_t len = static_cast<unsigned char>(header[0]) |
                            (static_cast<unsigned char>(header[1]) << 8) |
                            (static_cast<unsigned char>(header[2]) << 16);
    EXPECT_EQ(static_cast<std::uint8_t>(header[3]), seq_) << "client packet sequence id";
    seq_ = static_cast<std::uint8_t>(header[3] + 1);
    return read_exact(len);
  }
  void write_packet(std::string_view payload) {
    std::string p;
    p += static_cast<char>(payload.size() & 0xff);
    p += static_cast<char>((payload.size() >> 8) & 0xff);
    p += static_cast<char>((payload.size() >> 16) & 0xff);
    p += static_cast<char>(seq_++);
    p += payload;
    write_all(p);
  }
  // Accepts TLS on the stream (after the client's SSLRequest).
  void accept_tls(EVP_PKEY* key) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    const auto cert = self_signed(key);
    SSL_CTX_use_certificate(ctx_, cert.get());
    SSL_CTX_use_PrivateKey(ctx_, key);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_accept(ssl_) != 1) throw std::runtime_error("TLS handshake with the client failed");
  }
  // Reads until the client closes (its COM_QUIT, then end of stream).
  void drain() {
    try {
      for (;;)
        (void)read_exact(1);
    } catch (const std::runtime_error&) {
    }
  }
  bool tls() const { return ssl_ != nullptr; }
  // Everything the client sent, as it travelled (TLS records encrypted).
  const std::string& wire() const { return wire_; }
  ~Peer() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }

 private:
  std::string read_exact(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const long r = ssl_ != nullptr ? SSL_read(ssl_, out.data() + got, static_cast<int>(n - got))
                                     : ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) throw std::runtime_error("the client closed the stream (or 5 s passed)");
      if (ssl_ == nullptr) wire_.append(out, got, static_cast<std::size_t>(r));
      got += static_cast<std::size_t>(r);
    }
    return out;
  }
  void write_all(std::string_view p) {
    if (ssl_ != nullptr) {
      if (SSL_write(ssl_, p.data(), static_cast<int>(p.size())) <= 0) {
        throw std::runtime_error("SSL_write");
      }
      return;
    }
    while (!p.empty()) {
      const long n = ::send(fd_, p.data(), p.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send");
      p.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  int fd_;
  std::uint8_t seq_ = 0;
  std::string wire_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

// Serves one connection on its own thread with `script`, from the handshake response on; the
// Initial Handshake, SSLRequest and TLS come first. Joins in the destructor.
class ScriptedServer {
 public:
  using Script = std::function<void(Peer&, std::string_view auth_response)>;

  ScriptedServer(bool tls, EVP_PKEY* key, Script script) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("listen");
    }
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, tls, key, script = std::move(script)] {
      const int conn = ::accept(fd_, nullptr, nullptr);
      // A bounded wait: a client that stops answering ends the script instead of hanging it.
      const timeval timeout{.tv_sec = 5, .tv_usec = 0};
      ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      {
        Peer peer(conn);
        try {
          peer.write_packet(initial_handshake(tls));
          std::string response = peer.read_packet();
          if (tls) {
            EXPECT_EQ(response.size(), 32u) << "an SSLRequest is the response's 32-byte head";
            peer.accept_tls(key);
            response = peer.read_packet();
          }
          script(peer, parse_handshake_response(response));
        } catch (const std::exception& e) {
          error_ = e.what();
        }
        wire_ = peer.wire();
      }
      ::close(conn);
    });
  }
  ~ScriptedServer() {
    join();
    ::close(fd_);
  }
  // Waits for the script to end.
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }
  // Why the script stopped early ("" when it ran to its end).
  const std::string& error() const { return error_; }
  // Every byte the client sent outside TLS.
  const std::string& wire() const { return wire_; }

 private:
  // HandshakeResponse41: checks user and plugin, returns the auth response.
  static std::string parse_handshake_response(const std::string& p) {
    std::size_t at = 32;  // capabilities, max packet, charset, filler
    const std::size_t user_end = p.find('\0', at);
    EXPECT_EQ(p.substr(at, user_end - at), kUser);
    at = user_end + 1;
    const std::size_t auth_len = static_cast<unsigned char>(p.at(at++));  // < 251: one byte
    std::string auth = p.substr(at, auth_len);
    at += auth_len;
    EXPECT_EQ(p.substr(at, p.find('\0', at) - at), "caching_sha2_password");
    return auth;
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string error_;
  std::string wire_;
};

class CachingSha2Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { key_ = make_rsa_key().release(); }
  static void TearDownTestSuite() {
    EVP_PKEY_free(key_);
    key_ = nullptr;
  }

  ConnectOptions options(std::uint16_t port, SslMode ssl) const {
    ConnectOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.user = std::string(kUser);
    o.password = std::string(kPassword);
    o.ssl_mode = ssl;
    o.connect_timeout = 5s;  // a bound against a stuck script, not a timing assertion
    return o;
  }

  // Connects, checks the connection, and closes it.
  void connect_and_close(std::uint16_t port, SslMode ssl, bool expect_tls) {
    ring::Loop loop;
    ring::sync_wait(loop, [&]() -> ring::Task<void> {
      Connection c = co_await Connection::connect(loop, options(port, ssl));
      EXPECT_TRUE(c.is_usable());
      EXPECT_EQ(c.is_tls(), expect_tls);
      EXPECT_EQ(c.auth_plugin(), "caching_sha2_password");
      co_await c.close();
    }());
  }

  static inline EVP_PKEY* key_ = nullptr;
};

// The fast path: the server has the password's hash cached, checks the scramble response and
// answers 0x01 0x03 (fast auth success), then OK; the client sends nothing more than its quit.
TEST_F(CachingSha2Test, FastPathSendsOnlyTheScrambledHash) {
  ScriptedServer server(false, key_, [&](Peer& peer, std::string_view auth) {
    EXPECT_EQ(to_hex(auth), to_hex(expected_scramble_response()));
    peer.write_packet(hex("01 03"));
    peer.write_packet(kOk);
    peer.drain();
  });
  connect_and_close(server.port(), SslMode::kDisabled, false);
  server.join();
  EXPECT_EQ(server.error(), "");
  EXPECT_EQ(server.wire().find(kPassword), std::string::npos);
}

// Full authentication over TLS: after 0x01 0x04 the client sends the password + NUL, inside
// the TLS stream (which the server decrypts), and none of it on the wire in clear.
TEST_F(CachingSha2Test, FullAuthOverTlsSendsThePasswordInsideTls) {
  std::string got;
  ScriptedServer server(true, key_, [&](Peer& peer, std::string_view auth) {
    EXPECT_TRUE(peer.tls());
    EXPECT_EQ(to_hex(auth), to_hex(expected_scramble_response()));
    peer.write_packet(hex("01 04"));
    got = peer.read_packet();
    peer.write_packet(kOk);
    peer.drain();
  });
  connect_and_close(server.port(), SslMode::kRequired, true);
  server.join();
  EXPECT_EQ(server.error(), "");
  EXPECT_EQ(got, std::string(kPassword) + '\0');
  EXPECT_EQ(server.wire().find(kPassword), std::string::npos);
}

// Full authentication without TLS: the client asks for the public key (0x02), the server sends
// a PEM key, and the client answers RSA-OAEP(password + NUL XOR scramble): decrypted with the
// private key and XORed with the 20-byte scramble, it is the password.
TEST_F(CachingSha2Test, FullAuthWithoutTlsEncryptsThePasswordWithTheServersKey) {
  std::string request;
  std::string plain;
  ScriptedServer server(false, key_, [&](Peer& peer, std::string_view auth) {
    EXPECT_EQ(to_hex(auth), to_hex(expected_scramble_response()));
    peer.write_packet(hex("01 04"));
    request = peer.read_packet();
    peer.write_packet("\x01"s + public_key_pem(key_));
    const std::string cipher = peer.read_packet();
    EXPECT_EQ(cipher.size(), 256u) << "one RSA-2048 block";
    plain = rsa_decrypt(key_, cipher);
    for (std::size_t i = 0; i < plain.size(); ++i)
      plain[i] = static_cast<char>(plain[i] ^ kScramble[i % kScramble.size()]);
    peer.write_packet(kOk);
    peer.drain();
  });
  connect_and_close(server.port(), SslMode::kPreferred, false);  // the server offers no TLS
  server.join();
  EXPECT_EQ(server.error(), "");
  EXPECT_EQ(to_hex(request), "02");
  EXPECT_EQ(plain, std::string(kPassword) + '\0');
  EXPECT_EQ(server.wire().find(kPassword), std::string::npos);
}

// The guard: on a plain socket, full authentication only ever asks for the key; when what
// comes back is not a key, the connection fails with a typed error
// (ProtocolError(kAuthentication)) and the password never went out in clear.
TEST_F(CachingSha2Test, FullAuthOnPlainSocketNeverSendsThePasswordInClear) {
  std::string request;
  ScriptedServer server(false, key_, [&](Peer& peer, std::string_view) {
    peer.write_packet(hex("01 04"));
    request = peer.read_packet();
    peer.write_packet("\x01not a public key"s);
    peer.drain();  // whatever the client sends next is recorded in wire()
  });
  ring::Loop loop;
  try {
    ring::sync_wait(loop, Connection::connect(loop, options(server.port(), SslMode::kDisabled)));
    ADD_FAILURE() << "connected with a server that sent no usable key";
  } catch (const protocol::ProtocolError& e) {
    EXPECT_EQ(e.code(), protocol::ProtocolErrc::kAuthentication) << e.what();
  }
  server.join();
  EXPECT_EQ(server.error(), "");
  EXPECT_EQ(to_hex(request), "02");
  EXPECT_EQ(server.wire().find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace tern::mysql
