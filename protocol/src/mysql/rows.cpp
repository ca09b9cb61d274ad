// Text and binary result set rows.
// MariaDB: https://mariadb.com/kb/en/result-set-packets/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_row.html,
//        page_protocol_binary_resultset.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/rows.hpp"

#include "field_types.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

constexpr std::size_t kBinaryRowBitmapOffset = 2;

// Bytes of a fixed-size binary value, or 0 for a length-prefixed one.
std::size_t fixed_size(FieldType type) noexcept {
  return detail::field_type_info(type).binary_size;
}

Bytes temporal(ByteReader& r, FieldType type) {
  const std::size_t len = r.read_le<std::uint8_t>();
  const bool is_time = type == FieldType::kTime;
  const bool ok = is_time ? (len == 0 || len == 8 || len == 12)
                          : (len == 0 || len == 4 || len == 7 || len == 11);
  if (!ok) {
    throw ProtocolError(ProtocolErrc::kBadLength, std::string("binary row: ") +
                                                      field_type_name(type) + " value of " +
                                                      std::to_string(len) + " bytes");
  }
  return r.bytes(len);
}

}  // namespace

void parse_text_row(Bytes payload, std::size_t columns, RowValues& out) {
  out.clear();
  ByteReader r(payload, "text row");
  for (std::size_t i = 0; i < columns; ++i)
    out.push_back(read_lenenc_nullable_bytes(r));
  if (!r.done()) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        "text row: more values than the " + std::to_string(columns) + " columns");
  }
}

void parse_binary_row(Bytes payload, std::span<const FieldType> types, RowValues& out) {
  out.clear();
  ByteReader r(payload, "binary row");
  if (r.read_le<std::uint8_t>() != header::kOk) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "binary row: header is not 0x00");
  }
  const std::size_t columns = types.size();
  const Bytes bitmap = r.bytes(binary_row_null_bitmap_size(columns));
  auto bit = [&](std::size_t pos) {
    return (std::to_integer<unsigned>(bitmap[pos / 8]) >> (pos % 8)) & 1u;
  };
  // The two reserved bits and the padding bits after the last column must be clear: the first
  // byte's low bits and the last byte's high bits (checked a byte at a time, not a bit).
  const std::size_t end_bit = columns + kBinaryRowBitmapOffset;
  const unsigned reserved = (1u << kBinaryRowBitmapOffset) - 1;
  const unsigned padding = end_bit % 8 == 0 ? 0u : (0xFFu << (end_bit % 8)) & 0xFFu;
  if ((std::to_integer<unsigned>(bitmap[0]) & reserved) != 0 ||
      (std::to_integer<unsigned>(bitmap[bitmap.size() - 1]) & padding) != 0) {
    throw ProtocolError(ProtocolErrc::kBadValue, "binary row: NULL bit set outside the columns");
  }
  out.reserve(columns);
  for (std::size_t i = 0; i < columns; ++i) {
    if (bit(i + kBinaryRowBitmapOffset) != 0) {
      out.emplace_back(std::nullopt);
      continue;
    }
    const FieldType t = types[i];
    if (const std::size_t n = fixed_size(t); n != 0) {
      out.emplace_back(r.bytes(n));
    } else if (t == FieldType::kDate || t == FieldType::kDateTime || t == FieldType::kTimestamp ||
               t == FieldType::kTime) {
      out.emplace_back(temporal(r, t));
    } else if (t == FieldType::kNull) {
      throw ProtocolError(ProtocolErrc::kBadValue, "binary row: NULL-typed column not NULL");
    } else {
      out.emplace_back(read_lenenc_bytes(r));
    }
  }
  if (!r.done()) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        "binary row: " + std::to_string(r.remaining()) + " trailing bytes");
  }
}

}  // namespace tern::mysql
