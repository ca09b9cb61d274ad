// Helpers shared by the MySQL type codec sources (types.cpp, types_datetime.cpp); not
// installed. Protocol: https://mariadb.com/kb/en/clientserver-protocol/ and
// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/types.hpp"

namespace tern::mysql::detail {

/// Throws TypeError("cannot decode <type_name> value: <why>"): tern::throw_type_error.
using tern::throw_type_error;
/// "LONG UNSIGNED", "BLOB (binary)": a column type for error texts.
std::string column_type_name(const ColumnType& column);
/// True for the string, TEXT/BLOB, ENUM, SET and JSON types.
bool is_string_like(FieldType type) noexcept;
/// Throws TypeError unless a binary value has exactly `n` bytes.
void expect_size(const char* name, Bytes data, std::size_t n);
/// Reads an unsigned little-endian integer of up to 8 bytes.
std::uint64_t load_le(Bytes data) noexcept;

}  // namespace tern::mysql::detail
