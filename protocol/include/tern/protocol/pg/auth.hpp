// PostgreSQL password authentication: MD5 and SCRAM-SHA-256(-PLUS) client side.
// Protocol: https://www.postgresql.org/docs/15/sasl-authentication.html, RFC 5802, RFC 7677.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tern::pg {

/// The answer to AuthenticationMD5Password: "md5" + hex(md5(hex(md5(password + user)) + salt)).
std::string md5_password(std::string_view user, std::string_view password,
                         std::span<const std::uint8_t, 4> salt);

/// How the client uses channel binding (the GS2 header's first letter).
enum class ChannelBinding {
  kNone,                 ///< "n": no TLS, or the client does not support binding
  kSupportedNotOffered,  ///< "y": TLS without -PLUS from the server (detects a downgrade)
  kTlsServerEndPoint,    ///< "p=tls-server-end-point": SCRAM-SHA-256-PLUS
};

/// One SCRAM-SHA-256 exchange, client side. Usage: client_first() → send in SASLInitialResponse;
/// client_final(server-first) → send in SASLResponse; verify_server_final(server-final).
/// Failures throw protocol::ProtocolError(kAuthentication) with a clear reason.
class ScramClient {
 public:
  /// Limit on the server's iteration count (a hostile server could ask for billions).
  static constexpr std::uint32_t kMaxIterations = 1'000'000;

  /// `cb_data` is the tls-server-end-point hash when `binding` is kTlsServerEndPoint.
  /// `client_nonce` is for tests; empty means 18 random bytes, base64-encoded.
  ScramClient(std::string password, ChannelBinding binding, std::vector<std::uint8_t> cb_data = {},
              std::string client_nonce = {});

  /// The SASL mechanism name to announce: "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS".
  const char* mechanism() const noexcept;
  /// client-first-message.
  std::string client_first();
  /// client-final-message, from the server-first-message (checks the nonce, salt and
  /// iteration count).
  std::string client_final(std::string_view server_first);
  /// Checks the server-final-message's signature (constant-time) or error attribute.
  void verify_server_final(std::string_view server_final) const;

 private:
  std::string password_;
  ChannelBinding binding_;
  std::vector<std::uint8_t> cb_data_;
  std::string client_nonce_;
  std::string client_first_bare_;
  std::vector<std::uint8_t> server_signature_;
};

}  // namespace tern::pg
