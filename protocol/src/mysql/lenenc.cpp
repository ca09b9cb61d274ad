// Length-encoded integers and strings, NUL-terminated strings.
// MariaDB: https://mariadb.com/kb/en/protocol-data-types/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/lenenc.hpp"

#include <cstring>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

std::optional<std::uint64_t> read_lenenc_nullable(ByteReader& r) {
  const std::uint8_t first = r.read_le<std::uint8_t>();
  if (first < 0xFB) return first;
  switch (first) {
    case 0xFB:
      return std::nullopt;
    case 0xFC:
      return r.read_le<std::uint16_t>();
    case 0xFD: {
      const std::uint32_t lo = r.read_le<std::uint16_t>();
      const std::uint32_t hi = r.read_le<std::uint8_t>();
      return lo | (hi << 16);
    }
    case 0xFE:
      return r.read_le<std::uint64_t>();
    default:
      throw ProtocolError(ProtocolErrc::kBadValue,
                          "length-encoded integer: invalid first byte 0xFF");
  }
}

std::uint64_t read_lenenc(ByteReader& r) {
  const std::optional<std::uint64_t> v = read_lenenc_nullable(r);
  if (!v) throw ProtocolError(ProtocolErrc::kBadValue, "length-encoded integer: unexpected NULL");
  return *v;
}

namespace {

Bytes read_counted(ByteReader& r, std::uint64_t len) {
  if (len > r.remaining()) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        "length-encoded string: length " + std::to_string(len) + " exceeds the " +
                            std::to_string(r.remaining()) + " bytes left");
  }
  return r.bytes(static_cast<std::size_t>(len));
}

}  // namespace

Bytes read_lenenc_bytes(ByteReader& r) {
  return read_counted(r, read_lenenc(r));
}

std::optional<Bytes> read_lenenc_nullable_bytes(ByteReader& r) {
  const std::optional<std::uint64_t> len = read_lenenc_nullable(r);
  if (!len) return std::nullopt;
  return read_counted(r, *len);
}

void write_lenenc(ByteWriter& w, std::uint64_t v) {
  if (v < 0xFB) {
    w.u8(static_cast<std::uint8_t>(v));
  } else if (v <= 0xFFFF) {
    w.u8(0xFC);
    w.le(v, 2);
  } else if (v <= 0xFFFFFF) {
    w.u8(0xFD);
    w.le(v, 3);
  } else {
    w.u8(0xFE);
    w.le(v, 8);
  }
}

void write_lenenc_string(ByteWriter& w, std::string_view s) {
  write_lenenc(w, s.size());
  w.raw(s);
}

void write_cstring(ByteWriter& w, std::string_view s) {
  if (s.find('\0') != std::string_view::npos) {
    throw ClientError(ClientErrc::kInvalidValue, "a NUL-terminated string contains a NUL byte");
  }
  w.cstring(s);
}

}  // namespace tern::mysql
