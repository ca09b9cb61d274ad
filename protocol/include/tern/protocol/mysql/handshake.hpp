// Connection phase messages: Initial Handshake v10 (server), HandshakeResponse41 and the
// SSLRequest (client), AuthSwitchRequest and AuthMoreData (server), and the client's raw
// authentication data packets.
// MariaDB: https://mariadb.com/kb/en/connection/ (in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/mysql/capabilities.hpp"

namespace tern::mysql {

using protocol::Bytes;

/// Names of the authentication plugins tern implements.
namespace plugin {
inline constexpr std::string_view kNativePassword = "mysql_native_password",  ///< SHA-1 scramble
    kCachingSha2Password = "caching_sha2_password",  ///< MySQL 8's default (SHA-256)
    kSha256Password = "sha256_password",             ///< the older SHA-256 plugin
    kClearPassword = "mysql_clear_password",         ///< the password in clear (TLS, Unix socket)
    kEd25519 = "client_ed25519";                     ///< MariaDB's Ed25519 signature
}  // namespace plugin

/// The server's Initial Handshake (protocol version 10). Views point into the payload.
struct InitialHandshake {
  std::uint8_t protocol_version = 10;  ///< always 10
  std::string_view server_version;     ///< e.g. "8.0.36" or "5.5.5-10.11.6-MariaDB-0+deb12u1"
  std::uint32_t connection_id = 0;     ///< the thread id (KILL takes it)
  /// auth-plugin-data parts 1 and 2 joined, without part 2's trailing NUL: the 20-byte scramble
  /// of mysql_native_password and caching_sha2_password.
  std::string auth_plugin_data;
  /// Capability flags; MariaDB's extended capabilities in bits 32..63.
  std::uint64_t capabilities = 0;
  std::uint8_t charset = 0;        ///< the server's default collation id
  std::uint16_t status_flags = 0;  ///< SERVER_* status flags
  std::string_view auth_plugin;    ///< the plugin the scramble is for (empty without PLUGIN_AUTH)

  /// True for MariaDB (its version string says so, or it announced extended capabilities).
  bool is_mariadb() const noexcept;
  /// The version without MariaDB's "5.5.5-" replication prefix ("10.11.6-MariaDB-0+deb12u1").
  std::string_view version() const noexcept;
};

/// Parses an Initial Handshake payload. The caller first checks for an ERR packet (first byte
/// 0xFF: e.g. "Too many connections" or "Host is blocked"), which this rejects with
/// ProtocolError(kUnexpectedMessage). Throws ProtocolError(kUnsupported) for a protocol version
/// other than 10 and ProtocolError(kTruncated/kBadLength) for malformed packets.
InitialHandshake parse_initial_handshake(Bytes payload);

/// The client's HandshakeResponse41 fields.
struct HandshakeResponse {
  std::uint64_t capabilities = 0;                     ///< from choose_capabilities()
  std::uint32_t max_packet_size = 1u << 24;           ///< the largest packet the client will send
  std::uint8_t charset = charset::kUtf8mb4GeneralCi;  ///< the connection's collation
  std::string_view user;                              ///< user name
  std::string_view auth_response;  ///< the plugin's answer to the scramble (bytes)
  std::string_view database;       ///< sent when capabilities has CONNECT_WITH_DB
  std::string_view auth_plugin;    ///< sent when capabilities has PLUGIN_AUTH
  /// Connection attributes (key, value), sent when capabilities has CONNECT_ATTRS.
  std::span<const std::pair<std::string_view, std::string_view>> attributes;
};

/// Appends a HandshakeResponse41 packet with sequence id `seq` (1, or 2 after an SSLRequest);
/// returns the next sequence id. MariaDB's extended capabilities (bits 32..63) go in the
/// reserved bytes when CLIENT_MYSQL (cap::kLongPassword) is clear. Throws
/// ClientError(kInvalidValue) for a user, database or plugin name holding a NUL, or an auth
/// response too long for the encoding the capabilities select.
std::uint8_t write_handshake_response(std::string& out, std::uint8_t seq,
                                      const HandshakeResponse& response);

/// Appends an SSLRequest (the 32-byte head of a HandshakeResponse41) with sequence id `seq`
/// (normally 1); returns the next sequence id. `capabilities` must include cap::kSsl. The TLS
/// handshake follows; the HandshakeResponse41 is then sent over TLS with the returned id.
std::uint8_t write_ssl_request(std::string& out, std::uint8_t seq, std::uint64_t capabilities,
                               std::uint32_t max_packet_size = 1u << 24,
                               std::uint8_t charset = charset::kUtf8mb4GeneralCi);

/// AuthSwitchRequest (0xFE): the server asks for another plugin.
struct AuthSwitchRequest {
  std::string_view plugin;  ///< the plugin name
  Bytes data;               ///< its data, as sent (often the scramble plus a trailing NUL)
  /// The scramble: the data without the NUL that ends a 20-byte scramble (native and sha2
  /// plugins); other data (ed25519's 32 bytes) as sent, even when its last byte is zero.
  Bytes scramble() const noexcept;
};
/// Parses an AuthSwitchRequest payload. The pre-4.1 form (0xFE alone, for mysql_old_password)
/// throws ProtocolError(kUnsupported).
AuthSwitchRequest parse_auth_switch_request(Bytes payload);

/// Parses an AuthMoreData payload (0x01 + plugin data) and returns the data.
Bytes parse_auth_more_data(Bytes payload);

/// Appends a packet holding raw authentication data (AuthSwitchResponse, the answer to
/// AuthMoreData, the public key request of caching_sha2_password...); returns the next
/// sequence id.
std::uint8_t write_auth_data(std::string& out, std::uint8_t seq, Bytes data);
/// The same for data held as characters.
std::uint8_t write_auth_data(std::string& out, std::uint8_t seq, std::string_view data);

}  // namespace tern::mysql
