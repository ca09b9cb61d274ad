// Internal: the MySQL/MariaDB column types (enum_field_types) in one table, from which the
// lookups by type are derived: a type's name in error texts (field_type_name), the size of its
// value in a binary row (parse_binary_row) and whether it holds a string (the codecs). Adding a
// type is one row here, plus its FieldType enumerator.
// Names, codes and binary sizes: MySQL's include/field_types.h and
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
// (MariaDB: https://mariadb.com/kb/en/resultset-row/).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tern/protocol/mysql/column.hpp"

namespace tern::mysql::detail {

/// One column type.
struct FieldTypeInfo {
  FieldType type;
  /// The name without its MYSQL_TYPE_ prefix, as error texts show it.
  const char* name;
  /// Bytes of its value in a binary row when fixed, else 0 (length-prefixed, or a temporal
  /// value with its own length byte).
  std::uint8_t binary_size;
  /// True when its values are strings (character or binary): VARCHAR, the BLOBs, ENUM, SET,
  /// JSON...
  bool string_like;
};

/// The table (order does not matter; lookups go through kFieldTypeSlots).
inline constexpr FieldTypeInfo kFieldTypes[] = {
    {FieldType::kDecimal, "DECIMAL", 0, false},
    {FieldType::kTiny, "TINY", 1, false},
    {FieldType::kShort, "SHORT", 2, false},
    {FieldType::kLong, "LONG", 4, false},
    {FieldType::kFloat, "FLOAT", 4, false},
    {FieldType::kDouble, "DOUBLE", 8, false},
    {FieldType::kNull, "NULL", 0, false},
    {FieldType::kTimestamp, "TIMESTAMP", 0, false},
    {FieldType::kLongLong, "LONGLONG", 8, false},
    {FieldType::kInt24, "INT24", 4, false},  // MEDIUMINT: sent in 4 bytes
    {FieldType::kDate, "DATE", 0, false},
    {FieldType::kTime, "TIME", 0, false},
    {FieldType::kDateTime, "DATETIME", 0, false},
    {FieldType::kYear, "YEAR", 2, false},
    {FieldType::kNewDate, "NEWDATE", 0, false},
    {FieldType::kVarchar, "VARCHAR", 0, true},
    {FieldType::kBit, "BIT", 0, false},
    {FieldType::kTimestamp2, "TIMESTAMP2", 0, false},
    {FieldType::kDateTime2, "DATETIME2", 0, false},
    {FieldType::kTime2, "TIME2", 0, false},
    {FieldType::kVector, "VECTOR", 0, false},
    {FieldType::kJson, "JSON", 0, true},
    {FieldType::kNewDecimal, "NEWDECIMAL", 0, false},
    {FieldType::kEnum, "ENUM", 0, true},
    {FieldType::kSet, "SET", 0, true},
    {FieldType::kTinyBlob, "TINY_BLOB", 0, true},
    {FieldType::kMediumBlob, "MEDIUM_BLOB", 0, true},
    {FieldType::kLongBlob, "LONG_BLOB", 0, true},
    {FieldType::kBlob, "BLOB", 0, true},
    {FieldType::kVarString, "VAR_STRING", 0, true},
    {FieldType::kString, "STRING", 0, true},
    {FieldType::kGeometry, "GEOMETRY", 0, false},
};

/// The row of an unknown type code (a newer server's): no fixed size, not a string.
inline constexpr FieldTypeInfo kUnknownFieldType = {FieldType::kNull, "unknown type", 0, false};

/// Type code -> row, direct (codes are one byte): the row's index + 1, 0 for codes not in the
/// table. Built at compile time, which also refuses a code listed twice.
inline constexpr auto kFieldTypeSlots = [] {
  std::array<std::uint8_t, 256> slots{};
  for (std::size_t i = 0; i < std::size(kFieldTypes); ++i) {
    auto& slot = slots[static_cast<std::uint8_t>(kFieldTypes[i].type)];
    if (slot != 0) throw "a type code appears twice in kFieldTypes";  // fails to build
    slot = static_cast<std::uint8_t>(i + 1);
  }
  return slots;
}();

/// The row of `type`, or kUnknownFieldType.
constexpr const FieldTypeInfo& field_type_info(FieldType type) noexcept {
  const std::uint8_t slot = kFieldTypeSlots[static_cast<std::uint8_t>(type)];
  return slot == 0 ? kUnknownFieldType : kFieldTypes[slot - 1];
}

}  // namespace tern::mysql::detail
