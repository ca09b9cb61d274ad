// TlsStream against an in-test OpenSSL server (blocking, on its own thread) using a CA and a
// server certificate made by the openssl command line in a temp dir.
#include "tern/ring/tls.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "tern/ring/error.hpp"
#include "tern/ring/sync_wait.hpp"

namespace tern::ring {
namespace {

namespace fs = std::filesystem;

fs::path g_dir;

void run(const std::string& cmd) {
  ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
}

// A CA, a server certificate for localhost/127.0.0.1 signed by it, and an unrelated CA.
void make_certs() {
  char tmpl[] = "/tmp/tern-tls-XXXXXX";
  g_dir = ::mkdtemp(tmpl);
  const std::string d = g_dir.string();
  run("cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
      "-days 2 -subj '/CN=tern test CA'");
  run("cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key "
      "-out other.crt -days 2 -subj '/CN=other CA'");
  run("cd " + d +
      " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj '/CN=localhost'");
  run("cd " + d +
      " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext && "
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
      "-out server.crt -days 2 -sha256 -extfile san.ext");
}

// Serves one TLS connection on its own thread: echoes until the client closes.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EchoServer() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  bool handshake_failed() const { return handshake_failed_; }

 private:
  void serve() {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx, (g_dir / "server.crt").c_str());
    SSL_CTX_use_PrivateKey_file(ctx, (g_dir / "server.key").c_str(), SSL_FILETYPE_PEM);
    const int conn = ::accept(fd_, nullptr, nullptr);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, conn);
    if (SSL_accept(ssl) == 1) {
      char buf[16384];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0)
        SSL_write(ssl, buf, n);
      SSL_shutdown(ssl);
    } else {
      handshake_failed_ = true;
    }
    SSL_free(ssl);
    ::close(conn);
    SSL_CTX_free(ctx);
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  bool handshake_failed_ = false;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { make_certs(); }
  static void TearDownTestSuite() { fs::remove_all(g_dir); }

  std::shared_ptr<const TlsContext> context(TlsVerify verify, const char* ca = "ca.crt") {
    return std::make_shared<TlsContext>(
        TlsConfig{.verify = verify, .ca_file = (g_dir / ca).string()});
  }

  // Connects to the server, handshakes as `host`, echoes `msg`, returns what came back.
  std::string echo(std::shared_ptr<const TlsContext> ctx, const std::string& host,
                   const std::string& msg, std::vector<std::uint8_t>* binding = nullptr) {
    auto body = [&](Loop& lp) -> Task<std::string> {
      Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", server.port());
      TlsStream tls = co_await TlsStream::handshake(std::move(s), ctx, host,
                                                    deadline_after(std::chrono::seconds(10)));
      if (binding != nullptr) *binding = tls.server_end_point();
      EXPECT_EQ(tls.version(), "TLSv1.3");
      co_await tls.write_all(std::as_bytes(std::span(msg)));
      std::string back(msg.size(), '\0');
      std::size_t got = 0;
      while (got < msg.size()) {
        const std::size_t n = co_await tls.read(
            std::as_writable_bytes(std::span(back.data() + got, msg.size() - got)));
        if (n == 0) break;
        got += n;
      }
      back.resize(got);
      co_await tls.close();
      co_return back;
    };
    return sync_wait(loop, body(loop));
  }

  Loop loop;
  EchoServer server;
};

TEST_F(TlsTest, VerifyFullByName) {
  EXPECT_EQ(echo(context(TlsVerify::kFull), "localhost", "hello tls"), "hello tls");
}

TEST_F(TlsTest, VerifyFullByIpAddress) {
  EXPECT_EQ(echo(context(TlsVerify::kFull), "127.0.0.1", "hello ip"), "hello ip");
}

TEST_F(TlsTest, LargeTransfersSpanManyRecords) {
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i % 253);
  EXPECT_TRUE(echo(context(TlsVerify::kFull), "localhost", big) == big);
}

TEST_F(TlsTest, ChannelBindingIsTheSha256OfTheServerCertificate) {
  std::vector<std::uint8_t> binding;
  echo(context(TlsVerify::kFull), "localhost", "cb", &binding);
  FILE* f = std::fopen((g_dir / "server.crt").c_str(), "r");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  std::vector<std::uint8_t> expected(32);
  unsigned out_len = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), expected.data(), &out_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  X509_free(cert);
  EXPECT_EQ(binding, expected);
}

TEST_F(TlsTest, WrongCaFailsVerification) {
  try {
    echo(context(TlsVerify::kFull, "other.crt"), "localhost", "x");
    FAIL();
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verification failed"), std::string::npos)
        << e.what();
  }
}

TEST_F(TlsTest, HostNameMismatchFailsOnlyUnderVerifyFull) {
  try {
    echo(context(TlsVerify::kFull), "db.example.com", "x");
    FAIL();
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos) << e.what();
  }
}

TEST_F(TlsTest, VerifyCaIgnoresTheHostName) {
  EXPECT_EQ(echo(context(TlsVerify::kCa), "db.example.com", "ca only"), "ca only");
}

TEST_F(TlsTest, VerifyNoneAcceptsAnUntrustedServer) {
  EXPECT_EQ(echo(context(TlsVerify::kNone, "other.crt"), "localhost", "none"), "none");
}

TEST(TlsContext, MissingCaFileIsAClearError) {
  try {
    TlsContext ctx(TlsConfig{.ca_file = "/nonexistent/ca.crt"});
    FAIL();
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.crt"), std::string::npos);
  }
}

TEST(TlsStreamHandshake, ServerClosingDuringTheHandshakeIsATlsError) {
  Loop loop;
  Listener l = Listener::bind_tcp(loop, "127.0.0.1");
  auto body = [](Loop& lp, Listener& lst) -> Task<void> {
    Socket s = co_await Socket::connect_tcp(lp, "127.0.0.1", lst.port());
    Socket peer = co_await lst.accept();
    co_await peer.close();
    auto ctx = std::make_shared<TlsContext>(TlsConfig{.verify = TlsVerify::kNone});
    co_await TlsStream::handshake(std::move(s), ctx, "localhost");
  };
  try {
    sync_wait(loop, body(loop, l));
    FAIL();
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  } catch (const IoError& e) {
    EXPECT_EQ(e.code().value(), ECONNRESET) << e.what();
  }
}

}  // namespace
}  // namespace tern::ring
