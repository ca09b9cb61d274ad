// OK, ERR and EOF packets, the LOCAL INFILE request, and response classifiers.
// MariaDB: https://mariadb.com/kb/en/ok_packet/, https://mariadb.com/kb/en/err_packet/,
//          https://mariadb.com/kb/en/eof_packet/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html,
//        page_protocol_basic_err_packet.html, page_protocol_basic_eof_packet.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/response.hpp"

#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::as_chars;
using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

constexpr std::size_t kEofMaxSize = 9;  // an EOF packet is shorter than this

std::uint8_t first_byte(Bytes payload, const char* what) {
  if (payload.empty()) {
    throw ProtocolError(ProtocolErrc::kTruncated, std::string(what) + ": empty packet");
  }
  return std::to_integer<std::uint8_t>(payload[0]);
}

void expect_done(const ByteReader& r, const char* what) {
  if (!r.done()) {
    throw ProtocolError(
        ProtocolErrc::kBadLength,
        std::string(what) + ": " + std::to_string(r.remaining()) + " unexpected trailing bytes");
  }
}

}  // namespace

OkPacket parse_ok(Bytes payload, std::uint64_t capabilities) {
  // The common case first (every command's end): one-byte counts, the 4.1 protocol, no session
  // tracking. The general path below reads the same fields the same way.
  if (payload.size() >= 7 &&
      (capabilities & (cap::kProtocol41 | cap::kSessionTrack)) == cap::kProtocol41) {
    const auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>(payload[i]); };
    if ((byte(0) == header::kOk || byte(0) == header::kEof) && byte(1) < kLenencNull &&
        byte(2) < kLenencNull) {
      OkPacket ok;
      ok.affected_rows = byte(1);
      ok.last_insert_id = byte(2);
      ok.status_flags = static_cast<std::uint16_t>(byte(3) | byte(4) << 8);
      ok.warnings = static_cast<std::uint16_t>(byte(5) | byte(6) << 8);
      ok.info = as_chars(payload.subspan(7));
      return ok;
    }
  }
  ByteReader r(payload, "OK packet");
  const std::uint8_t first = r.read_le<std::uint8_t>();
  if (first != header::kOk && first != header::kEof) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "OK packet: bad header");
  }
  OkPacket ok;
  ok.affected_rows = read_lenenc(r);
  ok.last_insert_id = read_lenenc(r);
  if ((capabilities & cap::kProtocol41) != 0) {
    ok.status_flags = r.read_le<std::uint16_t>();
    ok.warnings = r.read_le<std::uint16_t>();
  } else if ((capabilities & cap::kTransactions) != 0) {
    ok.status_flags = r.read_le<std::uint16_t>();
  }
  if ((capabilities & cap::kSessionTrack) != 0) {
    // The info string is omitted when empty and no session state follows.
    if (!r.done()) ok.info = read_lenenc_string(r);
    if ((ok.status_flags & status::kSessionStateChanged) != 0) {
      ok.session_state = read_lenenc_bytes(r);
    }
    expect_done(r, "OK packet");
  } else {
    ok.info = read_eof_string(r);
  }
  return ok;
}

bool is_eof_packet(Bytes payload) noexcept {
  return !payload.empty() && payload[0] == std::byte{header::kEof} && payload.size() < kEofMaxSize;
}

bool is_err_packet(Bytes payload) noexcept {
  return !payload.empty() && payload[0] == std::byte{header::kErr};
}

EofPacket parse_eof(Bytes payload, std::uint64_t capabilities) {
  if (!is_eof_packet(payload)) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "EOF packet: bad header or length");
  }
  ByteReader r(payload.subspan(1), "EOF packet");
  EofPacket eof;
  if ((capabilities & cap::kProtocol41) != 0) {
    eof.warnings = r.read_le<std::uint16_t>();
    eof.status_flags = r.read_le<std::uint16_t>();
  }
  return eof;
}

ServerErrorInfo parse_err(Bytes payload) {
  ByteReader r(payload, "ERR packet");
  if (r.read_le<std::uint8_t>() != header::kErr) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "ERR packet: header is not 0xFF");
  }
  ServerErrorInfo info;
  info.severity = "ERROR";
  info.code = r.read_le<std::uint16_t>();
  if (!r.done() && r.rest()[0] == std::byte{'#'}) {
    r.bytes(1);
    info.sqlstate = std::string(as_chars(r.bytes(5)));
  }
  info.message = std::string(read_eof_string(r));
  return info;
}

ResponseKind classify_response(Bytes payload, std::uint64_t capabilities) {
  switch (first_byte(payload, "response")) {
    case header::kOk:
      return ResponseKind::kOk;
    case header::kErr:
      return ResponseKind::kErr;
    case header::kLocalInfile:
      return ResponseKind::kLocalInfile;
    case header::kEof:
      if (payload.size() < kEofMaxSize) return ResponseKind::kEof;
      if ((capabilities & cap::kDeprecateEof) != 0) return ResponseKind::kOk;
      return ResponseKind::kResultSet;
    default:
      return ResponseKind::kResultSet;
  }
}

RowKind classify_row(Bytes payload) {
  switch (first_byte(payload, "row")) {
    case header::kEof:
      return payload.size() < kMaxPacketPayload ? RowKind::kEnd : RowKind::kRow;
    case header::kErr:
      return RowKind::kErr;
    default:
      return RowKind::kRow;
  }
}

std::uint16_t end_of_rows_status(Bytes payload, std::uint64_t capabilities) {
  if (is_eof_packet(payload) && (capabilities & cap::kDeprecateEof) == 0) {
    return parse_eof(payload, capabilities).status_flags;
  }
  return parse_ok(payload, capabilities).status_flags;
}

AuthKind classify_auth(Bytes payload) {
  switch (first_byte(payload, "authentication response")) {
    case header::kOk:
      return AuthKind::kOk;
    case header::kErr:
      return AuthKind::kErr;
    case header::kEof:  // AuthSwitchRequest
      return AuthKind::kAuthSwitch;
    case header::kAuthMoreData:
      return AuthKind::kMoreData;
    default:
      throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                          "authentication: unexpected packet header " +
                              std::to_string(std::to_integer<int>(payload[0])));
  }
}

std::string_view parse_local_infile_request(Bytes payload) {
  ByteReader r(payload, "LOCAL INFILE request");
  if (r.read_le<std::uint8_t>() != header::kLocalInfile) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "LOCAL INFILE request: bad header");
  }
  return read_eof_string(r);
}

std::uint8_t write_local_infile_refusal(std::string& out, std::uint8_t seq) {
  return write_packets(out, seq, Bytes{});
}

}  // namespace tern::mysql
