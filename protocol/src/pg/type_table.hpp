// Internal: the built-in PostgreSQL types tern knows, in one table. Every lookup by OID in
// protocol/src/pg is derived from it: a type's name in error texts (detail::oid_name), the
// element type of an array type (detail::array_element_oid), which result columns are fetched in
// binary (query.cpp), which columns read as std::string (types.cpp) and how to_text renders a
// value (text.cpp). Adding a type is one row here, plus its OID constant and its codec when it
// needs a new one.
//
// OIDs, names and array types are the server catalogue's: oid, typname and array_type_oid of
// src/include/catalog/pg_type.dat.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg::detail {

/// What tern does with a value of the type: the codec reading it and how to_text renders it.
enum class TypeKind : std::uint8_t {
  kUnknown,      ///< unknown: no codec of its own (read as a string; binary rendered as hex)
  kBool,         ///< Type<bool>
  kInteger,      ///< Type<std::int64_t> (int2, int4, int8)
  kOid,          ///< Type<OidValue>
  kFloat,        ///< Type<double> (float4, float8)
  kNumeric,      ///< Type<Numeric>
  kString,       ///< Type<std::string>: character types
  kJson,         ///< Type<std::string> too; Type<Json> and Type<Jsonb> read both
  kBytea,        ///< Type<ByteString>
  kUuid,         ///< Type<Uuid>
  kDate,         ///< Type<Date>
  kTime,         ///< Type<Time>
  kTimestamp,    ///< Type<Timestamp>
  kTimestamptz,  ///< Type<Timestamptz>
  kInterval,     ///< Type<Interval>
};

/// One built-in type.
struct TypeInfo {
  Oid oid;
  /// typname, as error texts show it ("int4"; "int4[]" for its array type).
  const char* name;
  /// Its one-dimensional array type, or 0 when tern maps none.
  Oid array_oid;
  /// True when tern decodes its binary format, so result columns (and its array's) are fetched
  /// in binary; the others come as text.
  bool binary;
  TypeKind kind;
};

/// The table (order does not matter; lookups go through kTypeSlots).
inline constexpr TypeInfo kTypes[] = {
    {oid::kUnknown, "unknown", 0, false, TypeKind::kUnknown},
    {oid::kBool, "bool", oid::kBoolArray, true, TypeKind::kBool},
    {oid::kBytea, "bytea", oid::kByteaArray, true, TypeKind::kBytea},
    {oid::kChar, "char", oid::kCharArray, true, TypeKind::kString},
    {oid::kName, "name", oid::kNameArray, true, TypeKind::kString},
    {oid::kInt8, "int8", oid::kInt8Array, true, TypeKind::kInteger},
    {oid::kInt2, "int2", oid::kInt2Array, true, TypeKind::kInteger},
    {oid::kInt4, "int4", oid::kInt4Array, true, TypeKind::kInteger},
    {oid::kText, "text", oid::kTextArray, true, TypeKind::kString},
    {oid::kOid, "oid", oid::kOidArray, true, TypeKind::kOid},
    {oid::kJson, "json", oid::kJsonArray, true, TypeKind::kJson},
    {oid::kFloat4, "float4", oid::kFloat4Array, true, TypeKind::kFloat},
    {oid::kFloat8, "float8", oid::kFloat8Array, true, TypeKind::kFloat},
    {oid::kBpchar, "bpchar", oid::kBpcharArray, true, TypeKind::kString},
    {oid::kVarchar, "varchar", oid::kVarcharArray, true, TypeKind::kString},
    {oid::kDate, "date", oid::kDateArray, true, TypeKind::kDate},
    {oid::kTime, "time", oid::kTimeArray, true, TypeKind::kTime},
    {oid::kTimestamp, "timestamp", oid::kTimestampArray, true, TypeKind::kTimestamp},
    {oid::kTimestamptz, "timestamptz", oid::kTimestamptzArray, true, TypeKind::kTimestamptz},
    {oid::kInterval, "interval", oid::kIntervalArray, true, TypeKind::kInterval},
    {oid::kNumeric, "numeric", oid::kNumericArray, true, TypeKind::kNumeric},
    {oid::kUuid, "uuid", oid::kUuidArray, true, TypeKind::kUuid},
    {oid::kJsonb, "jsonb", oid::kJsonbArray, true, TypeKind::kJson},
};
inline constexpr std::size_t kTypeCount = sizeof(kTypes) / sizeof(kTypes[0]);

/// One past the largest OID in the table (a type or its array type).
inline constexpr Oid kTypeOidLimit = [] {
  Oid limit = 0;
  for (const TypeInfo& t : kTypes) {
    if (t.oid >= limit) limit = t.oid + 1;
    if (t.array_oid >= limit) limit = t.array_oid + 1;
  }
  return limit;
}();

/// In a slot: the array type of the row, not the row's type itself.
inline constexpr std::uint8_t kArraySlot = 0x80;

/// OID -> table row, direct: 0 when the OID is not in the table, else the row's index + 1, with
/// kArraySlot set when the OID is the row's array type. Built-in OIDs are dense and small
/// (under 4000), so one byte per OID buys a lookup of one bounds check and one load, cheaper
/// than the switches it replaced; the compiler checks here that no OID appears twice.
inline constexpr auto kTypeSlots = [] {
  static_assert(kTypeCount < kArraySlot, "a slot holds the row index in 7 bits");
  std::array<std::uint8_t, kTypeOidLimit> slots{};
  const auto put = [&slots](Oid oid, std::uint8_t slot) {
    if (slots[oid] != 0) throw "an OID appears twice in kTypes";  // not a constant: fails to build
    slots[oid] = slot;
  };
  for (std::size_t i = 0; i < kTypeCount; ++i) {
    const auto row = static_cast<std::uint8_t>(i + 1);
    put(kTypes[i].oid, row);
    if (kTypes[i].array_oid != 0) put(kTypes[i].array_oid, row | kArraySlot);
  }
  return slots;
}();

/// The slot of `oid` (see kTypeSlots): 0 when tern does not know it.
constexpr std::uint8_t type_slot(Oid oid) noexcept {
  return oid < kTypeOidLimit ? kTypeSlots[oid] : 0;
}

/// The row of a slot that is not 0.
constexpr const TypeInfo& type_row(std::uint8_t slot) noexcept {
  return kTypes[(slot & ~kArraySlot) - 1];
}

/// The row of a (non-array) type, or nullptr.
constexpr const TypeInfo* find_type(Oid oid) noexcept {
  const std::uint8_t slot = type_slot(oid);
  return slot != 0 && (slot & kArraySlot) == 0 ? &type_row(slot) : nullptr;
}

/// The row of the element type of an array type, or nullptr.
constexpr const TypeInfo* find_array_element(Oid array_oid) noexcept {
  const std::uint8_t slot = type_slot(array_oid);
  return (slot & kArraySlot) != 0 ? &type_row(slot) : nullptr;
}

}  // namespace tern::pg::detail
