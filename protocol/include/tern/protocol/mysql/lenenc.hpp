// MySQL basic data types: length-encoded integers and strings, NUL-terminated strings and
// rest-of-packet strings, read bounds-checked from a ByteReader and appended to a ByteWriter.
// Integers are little-endian. A length-encoded integer is one byte below 0xFB, or 0xFC + 2 bytes,
// 0xFD + 3 bytes, 0xFE + 8 bytes; 0xFB stands for NULL in a text resultset row; 0xFF is invalid.
// MariaDB: https://mariadb.com/kb/en/protocol-data-types/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html
//        and page_protocol_basic_dt_strings.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tern/protocol/bytes.hpp"

namespace tern::mysql {

using protocol::ByteReader;
using protocol::Bytes;
using protocol::ByteWriter;

/// The first byte of a length-encoded NULL (text resultset rows only).
inline constexpr std::uint8_t kLenencNull = 0xFB;

/// Reads a length-encoded integer that may be NULL (0xFB): nullopt for NULL. Throws
/// ProtocolError(kTruncated) when it runs past the end and ProtocolError(kBadValue) on 0xFF.
std::optional<std::uint64_t> read_lenenc_nullable(ByteReader& r);

/// Reads a length-encoded integer; NULL (0xFB) and 0xFF throw ProtocolError(kBadValue).
std::uint64_t read_lenenc(ByteReader& r);

/// Reads a length-encoded string as a view; its length is checked against the bytes left.
Bytes read_lenenc_bytes(ByteReader& r);
/// Reads a length-encoded string as characters.
inline std::string_view read_lenenc_string(ByteReader& r) {
  return protocol::as_chars(read_lenenc_bytes(r));
}
/// Reads a length-encoded string that may be NULL (0xFB): nullopt for NULL.
std::optional<Bytes> read_lenenc_nullable_bytes(ByteReader& r);

/// Reads a NUL-terminated string (the NUL is consumed, not returned).
inline std::string_view read_cstring(ByteReader& r) {
  return r.cstring();
}
/// Reads the rest of the packet as a string ("string<EOF>").
inline std::string_view read_eof_string(ByteReader& r) {
  return protocol::as_chars(r.bytes(r.remaining()));
}

/// Encoded size of `v` as a length-encoded integer: 1, 3, 4 or 9.
constexpr std::size_t lenenc_size(std::uint64_t v) noexcept {
  return v < 0xFB ? 1 : v <= 0xFFFF ? 3 : v <= 0xFFFFFF ? 4 : 9;
}

/// Appends `v` as a length-encoded integer in its shortest form.
void write_lenenc(ByteWriter& w, std::uint64_t v);
/// Appends a length-encoded string (length, then the bytes).
void write_lenenc_string(ByteWriter& w, std::string_view s);
/// Appends a length-encoded string of bytes.
inline void write_lenenc_string(ByteWriter& w, Bytes b) {
  write_lenenc_string(w, protocol::as_chars(b));
}
/// Appends a NUL-terminated string. `s` must not contain a NUL (ClientError(kInvalidValue)
/// otherwise: the receiver would cut it there).
void write_cstring(ByteWriter& w, std::string_view s);

}  // namespace tern::mysql
