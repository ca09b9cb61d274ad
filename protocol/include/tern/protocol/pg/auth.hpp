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
/// Throws protocol::ProtocolError(kAuthentication) if OpenSSL cannot compute MD5 (e.g. a
/// FIPS-only provider).
std::string md5_password(std::string_view user, std::string_view password,
                         std::span<const std::uint8_t, 4> salt);

/// A password as SCRAM hashes it: SASLprep (RFC 4013, by GNU Libidn) applied as libpq applies
/// it. ASCII passwords are used as they are; others are mapped (non-ASCII spaces to a space,
/// soft hyphens and zero-width characters to nothing), NFKC-normalised and checked as stored
/// strings; a password that is not UTF-8, or that SASLprep refuses (prohibited or unassigned
/// code points, bad bidirectional text), is used as it is, as the server then stores it.
std::string sasl_prep(std::string_view password);

/// How the client uses channel binding (the GS2 header's first letter).
enum class ChannelBinding {
  kNone,                 ///< "n": no TLS, or the client does not support binding
  kSupportedNotOffered,  ///< "y": TLS without -PLUS from the server (detects a downgrade)
  kTlsServerEndPoint,    ///< "p=tls-server-end-point": SCRAM-SHA-256-PLUS
};

/// One SCRAM-SHA-256 exchange, client side. Usage: client_first() → send in SASLInitialResponse;
/// client_final(server-first) → send in SASLResponse; verify_server_final(server-final).
/// Failures caused by the server's messages throw protocol::ProtocolError(kAuthentication) with
/// a clear reason; calling the steps out of order throws InterfaceError.
///
/// Password preparation: sasl_prep(), as libpq and the server do it.
///
/// The password and derived keys are wiped (OPENSSL_cleanse) as soon as they are no longer
/// needed and on destruction. Not copyable; movable.
class ScramClient {
 public:
  /// Limit on the server's iteration count (a hostile server could ask for billions).
  static constexpr std::uint32_t kMaxIterations = 1'000'000;

  /// `cb_data` is the tls-server-end-point hash when `binding` is kTlsServerEndPoint (it must
  /// then be non-empty; it is ignored otherwise). `client_nonce` is for tests; empty means 18
  /// random bytes, base64-encoded. `user` is the SCRAM user name put in client-first-message;
  /// PostgreSQL ignores it (it uses the startup packet's user), so it is empty by default; tests
  /// set it to reproduce RFC vectors. Throws InterfaceError for an empty `cb_data` with
  /// kTlsServerEndPoint or a `client_nonce` with characters outside printable ASCII or ','.
  ScramClient(std::string password, ChannelBinding binding, std::vector<std::uint8_t> cb_data = {},
              std::string client_nonce = {}, std::string user = {});
  /// Wipes the password and the expected server signature.
  ~ScramClient();
  ScramClient(const ScramClient&) = delete;
  ScramClient& operator=(const ScramClient&) = delete;
  /// Moves the exchange state (the source is left empty).
  ScramClient(ScramClient&&) noexcept = default;
  /// Moves the exchange state (the source is left empty).
  ScramClient& operator=(ScramClient&&) noexcept = default;

  /// The SASL mechanism name to announce: "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS".
  const char* mechanism() const noexcept;
  /// client-first-message: the GS2 header followed by "n=<user>,r=<client nonce>".
  std::string client_first();
  /// client-final-message, from the server-first-message (checks the nonce, salt and
  /// iteration count). Must follow client_first(), once.
  std::string client_final(std::string_view server_first);
  /// Checks the server-final-message's signature (constant-time) or error attribute. Throws
  /// ProtocolError(kAuthentication) unless the server proved it knows the password.
  void verify_server_final(std::string_view server_final) const;

 private:
  enum class State { kInitial, kFirstSent, kFinalSent };

  std::string password_;
  ChannelBinding binding_;
  std::vector<std::uint8_t> cb_data_;
  std::string client_nonce_;
  std::string user_;
  std::string client_first_bare_;
  std::vector<std::uint8_t> server_signature_;
  State state_ = State::kInitial;
};

}  // namespace tern::pg
