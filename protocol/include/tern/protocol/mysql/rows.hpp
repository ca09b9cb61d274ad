// Result set rows: the text protocol row (COM_QUERY: one length-encoded string per column,
// 0xFB for NULL) and the binary protocol row (COM_STMT_EXECUTE: 0x00, a NULL bitmap with an
// offset of 2, then the non-NULL values laid out by column type). Both parse into views.
// MariaDB: https://mariadb.com/kb/en/result-set-packets/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_row.html,
//        page_protocol_binary_resultset.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/mysql/column.hpp"

namespace tern::mysql {

using protocol::Bytes;

/// One row's values as views into the row packet; nullopt is SQL NULL. Reuse one vector per
/// result set: parsing clears it but keeps its capacity.
using RowValues = std::vector<std::optional<Bytes>>;

/// Parses a text protocol row of `columns` values into `out`. Throws ProtocolError when a
/// length runs past the packet or the value count differs from `columns`.
void parse_text_row(Bytes payload, std::size_t columns, RowValues& out);

/// Parses a binary protocol row into `out`, one value per entry of `types` (the result set's
/// column types in order). Values are the bytes after any length prefix:
///   TINY 1 byte; SHORT/YEAR 2; LONG/INT24/FLOAT 4; LONGLONG/DOUBLE 8 (little-endian);
///   DATE/DATETIME/TIMESTAMP 0, 4, 7 or 11 bytes; TIME 0, 8 or 12 bytes;
///   everything else a length-encoded string.
/// Throws ProtocolError for a bad header, a short packet, a bad date/time length, trailing
/// bytes, or NULL bits set past the last column.
void parse_binary_row(Bytes payload, std::span<const FieldType> types, RowValues& out);

/// Size of the NULL bitmap of a binary row of `columns` columns ((columns + 7 + 2) / 8).
constexpr std::size_t binary_row_null_bitmap_size(std::size_t columns) noexcept {
  return (columns + 7 + 2) / 8;
}

}  // namespace tern::mysql
