// Client side of the authentication plugins, as pure functions of the password and the
// server's scramble: mysql_native_password, caching_sha2_password (fast path, RSA and TLS full
// authentication; the RSA form also serves sha256_password), mysql_clear_password and MariaDB's
// client_ed25519. Hashing and RSA use OpenSSL 3 EVP; ed25519 uses libsodium.
// MariaDB: https://mariadb.com/kb/en/connection/#authentication-plugins (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html,
//        page_caching_sha2_authentication_exchanges.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"

namespace tern::mysql {

using protocol::Bytes;

/// caching_sha2_password bytes in AuthMoreData and in the client's answer.
namespace sha2 {
inline constexpr std::uint8_t kRequestPublicKey = 0x02,  ///< client: send me your RSA key
    kFastAuthSuccess = 0x03,                             ///< server: cached, an OK follows
    kPerformFullAuthentication = 0x04;                   ///< server: send the password
}  // namespace sha2

/// Length of the scramble of mysql_native_password and caching_sha2_password.
inline constexpr std::size_t kScrambleLength = 20;
/// Length of the client_ed25519 scramble (the message to sign).
inline constexpr std::size_t kEd25519ScrambleLength = 32;

/// mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))), 20 bytes; empty for
/// an empty password. Uses the first 20 bytes of `scramble`; throws
/// ProtocolError(kAuthentication) when it is shorter.
std::string native_password(std::string_view password, Bytes scramble);

/// caching_sha2_password fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble),
/// 32 bytes; empty for an empty password. Uses the first 20 bytes of `scramble`; throws
/// ProtocolError(kAuthentication) when it is shorter.
std::string caching_sha2_password(std::string_view password, Bytes scramble);

/// The full-authentication answer over TLS (and mysql_clear_password): the password + NUL. The
/// connection must only send it over TLS or a Unix socket.
std::string cleartext_password(std::string_view password);

/// The full-authentication answer without TLS (caching_sha2_password and sha256_password):
/// (password + NUL) XOR the repeating scramble, encrypted with RSA-OAEP (SHA-1, MGF1-SHA-1)
/// under the server's public key `pem` ("-----BEGIN PUBLIC KEY-----", or PKCS#1 "BEGIN RSA
/// PUBLIC KEY"). The scramble is used as given (strip a trailing NUL first). Throws
/// ProtocolError(kAuthentication) for an unreadable key, an empty scramble or a password too
/// long for the key.
std::string rsa_encrypted_password(std::string_view password, Bytes scramble, std::string_view pem);

/// MariaDB client_ed25519: the 64-byte Ed25519 signature of the 32-byte `scramble`, with the
/// key derived from the whole password (az = SHA512(password), clamped; the standard
/// RFC 8032 signature otherwise). For a 32-byte password this is standard Ed25519 with the
/// password as seed. Throws ProtocolError(kAuthentication) when the scramble is not 32 bytes.
std::string ed25519_password(std::string_view password, Bytes scramble);

}  // namespace tern::mysql
