// Generic response packets: OK (0x00, or 0xFE ending a result set under DEPRECATE_EOF), ERR
// (0xFF), EOF (0xFE, under 9 bytes), the LOCAL INFILE request (0xFB), and classifiers for the
// first byte of a response in each phase.
// MariaDB: https://mariadb.com/kb/en/ok_packet/, https://mariadb.com/kb/en/err_packet/,
//          https://mariadb.com/kb/en/eof_packet/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::mysql {

using protocol::Bytes;

/// The first byte of a response packet, which tells what the packet is (classify_response,
/// classify_row and classify_auth read it in context).
namespace header {
/// OK; also COM_STMT_PREPARE_OK's status byte and a binary row's header byte.
inline constexpr std::uint8_t kOk = 0x00;
/// AuthMoreData (caching_sha2_password and sha256_password steps).
inline constexpr std::uint8_t kAuthMoreData = 0x01;
/// LOCAL INFILE request (the length-encoded NULL byte, which no column count starts with).
inline constexpr std::uint8_t kLocalInfile = 0xFB;
/// EOF (a packet under 9 bytes); the OK that ends a result set under CLIENT_DEPRECATE_EOF;
/// AuthSwitchRequest during authentication.
inline constexpr std::uint8_t kEof = 0xFE;
/// ERR.
inline constexpr std::uint8_t kErr = 0xFF;
}  // namespace header

/// An OK packet. Views point into the payload.
struct OkPacket {
  std::uint64_t affected_rows = 0;   ///< rows changed (or matched, with CLIENT_FOUND_ROWS)
  std::uint64_t last_insert_id = 0;  ///< the AUTO_INCREMENT value generated, 0 if none
  std::uint16_t status_flags = 0;    ///< SERVER_* status flags (status::)
  std::uint16_t warnings = 0;        ///< number of warnings
  std::string_view info;  ///< human-readable information ("Rows matched: 1  Changed: 1 ...")
  /// Session state changes (CLIENT_SESSION_TRACK with SERVER_SESSION_STATE_CHANGED): raw,
  /// a sequence of (type, lenenc data) entries, left for the connection to interpret.
  Bytes session_state;
};

/// Parses an OK packet (header 0x00, or 0xFE for the OK that ends a result set under
/// CLIENT_DEPRECATE_EOF) given the negotiated capabilities. Throws ProtocolError.
OkPacket parse_ok(Bytes payload, std::uint64_t capabilities);

/// An EOF packet (without CLIENT_DEPRECATE_EOF it ends column definitions and rows).
struct EofPacket {
  std::uint16_t warnings = 0;      ///< number of warnings
  std::uint16_t status_flags = 0;  ///< SERVER_* status flags (status::)
};
/// Parses an EOF packet (0xFE, under 9 bytes). Throws ProtocolError.
EofPacket parse_eof(Bytes payload, std::uint64_t capabilities);

/// True when `payload` is an EOF packet: 0xFE and under 9 bytes.
bool is_eof_packet(Bytes payload) noexcept;
/// True when `payload` is an ERR packet (0xFF).
bool is_err_packet(Bytes payload) noexcept;

/// Parses an ERR packet into the server's fields: `code` = error number, `sqlstate` (empty
/// when the server sent no '#' marker, e.g. before the handshake completes), `message`;
/// `severity` is "ERROR". Throws ProtocolError for a malformed packet.
ServerErrorInfo parse_err(Bytes payload);

/// What a packet is, by its first byte, in reply to a command (COM_QUERY, COM_STMT_EXECUTE,
/// COM_PING, ...).
enum class ResponseKind {
  kOk,           ///< 0x00 (or 0xFE ≥ 9 bytes under DEPRECATE_EOF): parse_ok
  kErr,          ///< 0xFF: parse_err
  kEof,          ///< 0xFE under 9 bytes (COM_SET_OPTION; an EOF where an OK was due)
  kLocalInfile,  ///< 0xFB: parse_local_infile_request (the connection refuses unless allowed)
  kResultSet,    ///< anything else: a column count (parse_column_count)
};
/// Classifies the first packet of a command response. Throws ProtocolError(kTruncated) for an
/// empty payload.
ResponseKind classify_response(Bytes payload, std::uint64_t capabilities);

/// What a packet is while reading rows of a result set.
enum class RowKind {
  kRow,  ///< a text or binary row
  kEnd,  ///< the end: an EOF (parse_eof), or under DEPRECATE_EOF an OK with 0xFE (parse_ok);
         ///< its status flags tell whether more result sets follow
  kErr,  ///< 0xFF: the query failed while sending rows
};
/// Classifies a packet in the row stream: 0xFE with a payload under 0xFFFFFF bytes ends the
/// result set (a text row starting with 0xFE is a string of 16 MiB or more, so it is larger).
/// Throws ProtocolError(kTruncated) for an empty payload.
RowKind classify_row(Bytes payload);

/// Status flags of the packet that ended a result set (kEnd), EOF or OK form alike.
std::uint16_t end_of_rows_status(Bytes payload, std::uint64_t capabilities);

/// What a packet is during authentication (after the HandshakeResponse or an auth answer).
enum class AuthKind {
  kOk,          ///< 0x00: authenticated
  kErr,         ///< 0xFF: refused
  kAuthSwitch,  ///< 0xFE: parse_auth_switch_request
  kMoreData,    ///< 0x01: parse_auth_more_data
};
/// Classifies an authentication-phase packet. Throws ProtocolError(kUnexpectedMessage) for
/// anything else and ProtocolError(kTruncated) for an empty payload.
AuthKind classify_auth(Bytes payload);

/// Parses a LOCAL INFILE request (0xFB + file name) and returns the file name. The connection
/// must refuse it (write_local_infile_refusal) unless the user allowed LOCAL INFILE.
std::string_view parse_local_infile_request(Bytes payload);

/// Appends the empty packet that ends (or refuses) a LOCAL INFILE transfer; the server then
/// answers OK or ERR. Returns the next sequence id.
std::uint8_t write_local_infile_refusal(std::string& out, std::uint8_t seq);

}  // namespace tern::mysql
