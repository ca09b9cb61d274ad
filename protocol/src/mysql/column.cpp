// Column count and ColumnDefinition41 packets.
// MariaDB: https://mariadb.com/kb/en/result-set-packets/#column-definition-packet (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/column.hpp"

#include "field_types.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

const char* field_type_name(FieldType type) noexcept {
  return detail::field_type_info(type).name;
}

ColumnDefinition parse_column_definition(Bytes payload, std::uint64_t capabilities) {
  ByteReader r(payload, "ColumnDefinition41");
  ColumnDefinition c;
  c.catalog = read_lenenc_string(r);
  c.schema = read_lenenc_string(r);
  c.table = read_lenenc_string(r);
  c.org_table = read_lenenc_string(r);
  c.name = read_lenenc_string(r);
  c.org_name = read_lenenc_string(r);
  if ((capabilities & cap::kMariadbExtendedTypeInfo) != 0 &&
      (capabilities & cap::kLongPassword) == 0) {
    c.extended_type_info = read_lenenc_bytes(r);
  }
  const std::uint64_t fixed = read_lenenc(r);
  // 0x0C: charset 2, length 4, type 1, flags 2, decimals 1, filler 2.
  if (fixed < 10 || fixed != r.remaining()) {
    throw ProtocolError(ProtocolErrc::kBadLength, "ColumnDefinition41: fixed-length fields of " +
                                                      std::to_string(fixed) + " bytes with " +
                                                      std::to_string(r.remaining()) + " left");
  }
  c.type.charset = r.read_le<std::uint16_t>();
  c.column_length = r.read_le<std::uint32_t>();
  c.type.type = static_cast<FieldType>(r.read_le<std::uint8_t>());
  c.type.flags = r.read_le<std::uint16_t>();
  c.type.decimals = r.read_le<std::uint8_t>();
  return c;
}

Column Column::from(const ColumnDefinition& def) {
  Column c;
  c.schema = std::string(def.schema);
  c.table = std::string(def.table);
  c.org_table = std::string(def.org_table);
  c.name = std::string(def.name);
  c.org_name = std::string(def.org_name);
  c.column_length = def.column_length;
  c.type = def.type;
  return c;
}

std::size_t parse_column_count(Bytes payload) {
  return parse_column_count(payload, 0).count;
}

ColumnCount parse_column_count(Bytes payload, std::uint64_t capabilities) {
  const bool has_flag = (capabilities & cap::kMariadbCacheMetadata) != 0 &&
                        (capabilities & cap::kLongPassword) == 0;  // MariaDB's extended ones
  // Once per result set: under 251 columns the count is one byte (0 and 0xFB.. are not counts).
  if (payload.size() == (has_flag ? 2u : 1u)) {
    const auto n = std::to_integer<std::uint8_t>(payload[0]);
    const auto follows = has_flag ? std::to_integer<std::uint8_t>(payload[1]) : std::uint8_t{1};
    if (n != 0 && n < 0xFB && follows <= 1) return {n, follows == 1};
  }
  ByteReader r(payload, "column count");
  const std::uint64_t n = read_lenenc(r);
  ColumnCount c;
  if (has_flag) {
    const std::uint8_t follows = r.read_le<std::uint8_t>();
    if (follows > 1) {
      throw ProtocolError(ProtocolErrc::kBadValue,
                          "column count: metadata-follows flag " + std::to_string(follows));
    }
    c.metadata_follows = follows == 1;
  }
  if (!r.done()) {
    throw ProtocolError(ProtocolErrc::kBadLength, "column count: trailing bytes");
  }
  if (n == 0 || n > kMaxColumns) {
    throw ProtocolError(ProtocolErrc::kBadLength, "column count " + std::to_string(n));
  }
  c.count = static_cast<std::size_t>(n);
  return c;
}

}  // namespace tern::mysql
