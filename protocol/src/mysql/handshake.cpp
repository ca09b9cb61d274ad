// Connection phase: Initial Handshake v10, HandshakeResponse41, SSLRequest, AuthSwitchRequest,
// AuthMoreData.
// MariaDB: https://mariadb.com/kb/en/connection/ (in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html,
//        page_protocol_connection_phase_packets_protocol_handshake_response.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/handshake.hpp"

#include <algorithm>
#include <cstring>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::as_bytes;
using protocol::as_chars;
using protocol::ByteReader;
using protocol::ByteWriter;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

constexpr std::string_view kMariadbVersionPrefix = "5.5.5-";
constexpr std::size_t kScramblePart1 = 8;
constexpr std::size_t kMinScramblePart2 = 13;

// The fixed 32-byte head shared by HandshakeResponse41 and SSLRequest.
void write_response_head(ByteWriter& w, std::uint64_t caps, std::uint32_t max_packet,
                         std::uint8_t charset) {
  w.le(static_cast<std::uint32_t>(caps & 0xFFFFFFFFu));
  w.le(max_packet);
  w.u8(charset);
  w.raw(std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 19));
  // MariaDB reads its extended capabilities here when the client clears CLIENT_MYSQL.
  const std::uint32_t extended =
      (caps & cap::kLongPassword) == 0 ? static_cast<std::uint32_t>(caps >> 32) : 0;
  w.le(extended);
}

}  // namespace

bool InitialHandshake::is_mariadb() const noexcept {
  return server_version.find("MariaDB") != std::string_view::npos ||
         (capabilities & cap::kLongPassword) == 0;
}

std::string_view InitialHandshake::version() const noexcept {
  std::string_view v = server_version;
  if (is_mariadb() && v.starts_with(kMariadbVersionPrefix))
    v.remove_prefix(kMariadbVersionPrefix.size());
  return v;
}

InitialHandshake parse_initial_handshake(Bytes payload) {
  ByteReader r(payload, "Initial Handshake");
  InitialHandshake h;
  h.protocol_version = r.read_le<std::uint8_t>();
  if (h.protocol_version == header::kErr) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        "Initial Handshake: got an ERR packet (parse it with parse_err)");
  }
  if (h.protocol_version != 10) {
    throw ProtocolError(ProtocolErrc::kUnsupported, "Initial Handshake: protocol version " +
                                                        std::to_string(h.protocol_version) +
                                                        " (only 10 is supported)");
  }
  h.server_version = r.cstring();
  h.connection_id = r.read_le<std::uint32_t>();
  const Bytes part1 = r.bytes(kScramblePart1);
  r.read_le<std::uint8_t>();  // filler
  h.capabilities = r.read_le<std::uint16_t>();
  h.auth_plugin_data.assign(as_chars(part1));
  if (r.done()) return h;  // a pre-4.1 server stops here
  h.charset = r.read_le<std::uint8_t>();
  h.status_flags = r.read_le<std::uint16_t>();
  h.capabilities |= std::uint64_t{r.read_le<std::uint16_t>()} << 16;
  const std::size_t auth_data_len = r.read_le<std::uint8_t>();
  ByteReader reserved(r.bytes(10), "Initial Handshake");
  if ((h.capabilities & cap::kLongPassword) == 0) {  // MariaDB: extended capabilities
    reserved.bytes(6);
    h.capabilities |= std::uint64_t{reserved.read_le<std::uint32_t>()} << 32;
  }
  if ((h.capabilities & cap::kSecureConnection) != 0) {
    const std::size_t len2 =
        std::max(kMinScramblePart2,
                 auth_data_len > kScramblePart1 ? auth_data_len - kScramblePart1 : std::size_t{0});
    Bytes part2 = r.bytes(len2);
    if (!part2.empty() && part2.back() == std::byte{0}) part2 = part2.first(part2.size() - 1);
    h.auth_plugin_data.append(as_chars(part2));
  }
  if ((h.capabilities & cap::kPluginAuth) != 0) {
    // NUL-terminated, but some servers (MySQL bug #59453) end it with the packet instead.
    const std::string_view rest = as_chars(r.rest());
    const std::size_t nul = rest.find('\0');
    h.auth_plugin = rest.substr(0, nul);
  }
  return h;
}

std::uint8_t write_handshake_response(std::string& out, std::uint8_t seq,
                                      const HandshakeResponse& response) {
  const std::uint64_t caps = response.capabilities;
  const std::size_t rollback = out.size();
  try {
    PacketBuilder p(out, seq);
    ByteWriter& w = p.body();
    write_response_head(w, caps, response.max_packet_size, response.charset);
    write_cstring(w, response.user);
    if ((caps & cap::kPluginAuthLenencClientData) != 0) {
      write_lenenc_string(w, response.auth_response);
    } else if ((caps & cap::kSecureConnection) != 0) {
      if (response.auth_response.size() > 255) {
        throw ClientError(ClientErrc::kInvalidValue,
                          "auth response longer than 255 bytes without "
                          "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA");
      }
      w.u8(static_cast<std::uint8_t>(response.auth_response.size()));
      w.raw(response.auth_response);
    } else {
      write_cstring(w, response.auth_response);
    }
    if ((caps & cap::kConnectWithDb) != 0) write_cstring(w, response.database);
    if ((caps & cap::kPluginAuth) != 0) write_cstring(w, response.auth_plugin);
    if ((caps & cap::kConnectAttrs) != 0) {
      std::string attrs;
      ByteWriter aw(attrs);
      for (const auto& [key, value] : response.attributes) {
        write_lenenc_string(aw, key);
        write_lenenc_string(aw, value);
      }
      write_lenenc_string(w, attrs);
    }
    return p.finish();
  } catch (...) {
    out.resize(rollback);
    throw;
  }
}

std::uint8_t write_ssl_request(std::string& out, std::uint8_t seq, std::uint64_t capabilities,
                               std::uint32_t max_packet_size, std::uint8_t charset) {
  PacketBuilder p(out, seq);
  write_response_head(p.body(), capabilities | cap::kSsl, max_packet_size, charset);
  return p.finish();
}

Bytes AuthSwitchRequest::scramble() const noexcept {
  // Only the 20-byte scramble of the native and sha2 plugins is NUL-terminated. ed25519's
  // 32 random bytes are not, and end in a zero byte one time in 256: that byte is data.
  constexpr std::size_t kTerminatedScramble = 21;
  if (data.size() == kTerminatedScramble && data.back() == std::byte{0}) return data.first(20);
  return data;
}

AuthSwitchRequest parse_auth_switch_request(Bytes payload) {
  ByteReader r(payload, "AuthSwitchRequest");
  if (r.read_le<std::uint8_t>() != header::kEof) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "AuthSwitchRequest: header is not 0xFE");
  }
  if (r.done()) {
    throw ProtocolError(ProtocolErrc::kUnsupported,
                        "AuthSwitchRequest: pre-4.1 authentication (mysql_old_password) is not "
                        "supported");
  }
  AuthSwitchRequest a;
  a.plugin = r.cstring();
  a.data = r.rest();
  return a;
}

Bytes parse_auth_more_data(Bytes payload) {
  ByteReader r(payload, "AuthMoreData");
  if (r.read_le<std::uint8_t>() != header::kAuthMoreData) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "AuthMoreData: header is not 0x01");
  }
  return r.rest();
}

std::uint8_t write_auth_data(std::string& out, std::uint8_t seq, Bytes data) {
  return write_packets(out, seq, data);
}

std::uint8_t write_auth_data(std::string& out, std::uint8_t seq, std::string_view data) {
  return write_packets(out, seq, as_bytes(data));
}

}  // namespace tern::mysql
