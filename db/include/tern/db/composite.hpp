// C++ structs as PostgreSQL composite types (CREATE TYPE name AS (...)): a struct mapped to
// its SQL name and members by a table the program gives, once per struct, at global scope,
// listing the members as a model lists its fields:
//
//   struct Address { std::string street; std::optional<std::string> city; std::int32_t zip; };
//   TERN_COMPOSITE(Address, "address", street, city, zip)
//
// The members' C++ types give the SQL types (std::string text, std::int32_t integer, ...; a
// std::optional member may be NULL; an enum with EnumTraits or another composite is named by
// its SQL type). A mapped struct is a parameter (sent as record text typed by the composite's
// OID, which each connection looks up by name once) and a column type
// (Row::get<Address>, std::optional<Address>) in either result format. A record whose field
// count or a field's type does not match is a TypeError naming the composite and the member.
// PostgreSQL only: MySQL/MariaDB and SQLite refuse it with NotSupportedError.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/db/enum.hpp"
#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/record.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern {

/// The SQL name and members of struct C; specialise it with TERN_COMPOSITE. A specialisation
/// has `static constexpr std::string_view name` (the composite type's name) and `static
/// constexpr auto members`, a std::tuple of detail::CompositeMember, in the SQL type's order.
template <class C>
struct CompositeTraits;

/// C has a member table (CompositeTraits<C>).
template <class C>
concept SqlComposite = std::is_class_v<C> && requires {
  CompositeTraits<C>::name;
  CompositeTraits<C>::members;
};

/// One member of a composite, as create_table writes it: `name sql_type`.
struct CompositeMemberType {
  std::string_view name;      ///< the member's (and the SQL attribute's) name
  std::string_view sql_type;  ///< a built-in type's SQL spelling, or a user type's name
  bool user_type = false;     ///< sql_type names an enum or composite (quoted as an identifier)
};

namespace detail {

/// One member of composite C: its name and the pointer to it.
template <class C, class M>
struct CompositeMember {
  using member_type = M;  ///< the member's declared type
  std::string_view name;  ///< the member's name
  M C::*pointer;          ///< the member
};

/// A CompositeMember (TERN_COMPOSITE's entries).
template <class C, class M>
constexpr CompositeMember<C, M> composite_member(std::string_view name, M C::*pointer) noexcept {
  return {name, pointer};
}

template <class T>
inline constexpr bool kIsOptionalMember = false;
template <class T>
inline constexpr bool kIsOptionalMember<std::optional<T>> = true;
template <class T>
struct OptionalValue {
  using type = T;
};
template <class T>
struct OptionalValue<std::optional<T>> {
  using type = T;
};

/// The fields of record `data` of composite `composite`, which has `members` members;
/// TypeError naming the composite when the count differs or the record is malformed.
std::vector<pg::RecordField> split_composite(std::string_view composite, std::size_t members,
                                             pg::Format format, pg::Bytes data);
/// Throws TypeError: member `member` of `composite` is NULL but its type is not optional.
[[noreturn]] void throw_composite_null(std::string_view composite, std::string_view member);
/// Throws TypeError: member `member` of `composite` arrived as type `type` (binary format).
[[noreturn]] void throw_composite_type(std::string_view composite, std::string_view member,
                                       pg::Oid type);
/// Throws TypeError naming the composite and the member for a member's own decode error.
[[noreturn]] void throw_composite_member(std::string_view composite, std::string_view member,
                                         std::string_view why);
/// The text form record_in reads of a value encoded by pg::Type (type OID, format).
std::string composite_value_text(pg::Oid type, pg::Format format, std::string_view encoded);
/// The SQL spelling of built-in type `type` in CREATE TYPE (text, integer, ...).
std::string_view composite_sql_type(pg::Oid type);

template <SqlComposite C>
C decode_composite(pg::Format format, pg::Bytes data);
template <SqlComposite C>
std::string composite_text(const C& value);

/// Member `member` of `composite` (type M, maybe std::optional) from its record field.
template <class M>
M decode_composite_member(std::string_view composite, std::string_view member, pg::Format format,
                          const pg::RecordField& field) {
  if constexpr (kIsOptionalMember<M>) {
    if (!field.value) return std::nullopt;
    return decode_composite_member<typename M::value_type>(composite, member, format, field);
  } else {
    if (!field.value) throw_composite_null(composite, member);
    const pg::Bytes bytes = protocol::as_bytes(*field.value);
    if constexpr (!SqlComposite<M> && !SqlEnum<M>) {
      if (format == pg::Format::kBinary && !pg::Type<M>::accepts(field.type))
        throw_composite_type(composite, member, field.type);
    }
    try {
      if constexpr (SqlComposite<M>) {
        return decode_composite<M>(format, bytes);
      } else if constexpr (SqlEnum<M>) {
        return enum_from_label<M>(*field.value);
      } else {
        static_assert(pg::PgValue<M>, "a composite member needs a PostgreSQL type");
        // Text names no types: each member's own text decoder reads it as its type.
        return pg::Type<M>::decode(format == pg::Format::kBinary ? field.type : pg::Type<M>::kOid,
                                   format, bytes);
      }
    } catch (const TypeError& e) {
      throw_composite_member(composite, member, e.what());
    }
  }
}

/// The record text field of a member (nullopt: NULL).
template <class M>
std::optional<std::string> composite_member_text(const M& value) {
  if constexpr (kIsOptionalMember<M>) {
    if (!value) return std::nullopt;
    return composite_member_text(*value);
  } else if constexpr (std::is_same_v<M, std::string>) {
    return value;
  } else if constexpr (SqlEnum<M>) {
    return std::string(enum_label(value));
  } else if constexpr (SqlComposite<M>) {
    return composite_text(value);
  } else {
    static_assert(pg::PgValue<M>, "a composite member needs a PostgreSQL type");
    std::string encoded;
    protocol::ByteWriter w(encoded);
    pg::Type<M>::encode(value, w);
    return composite_value_text(pg::Type<M>::kOid, pg::Type<M>::kFormat, encoded);
  }
}

/// How create_table spells a member of type M.
template <class M>
CompositeMemberType composite_member_type(std::string_view name) {
  using V = typename OptionalValue<M>::type;
  if constexpr (SqlComposite<V>) {
    return {name, CompositeTraits<V>::name, true};
  } else if constexpr (SqlEnum<V>) {
    return {name, EnumTraits<V>::name, true};
  } else {
    static_assert(pg::PgValue<V>, "a composite member needs a PostgreSQL type");
    return {name, composite_sql_type(pg::Type<V>::kOid), false};
  }
}

/// A composite's value from its record (either format).
template <SqlComposite C>
C decode_composite(pg::Format format, pg::Bytes data) {
  constexpr auto& members = CompositeTraits<C>::members;
  constexpr std::string_view kName = CompositeTraits<C>::name;
  const std::vector<pg::RecordField> fields = split_composite(
      kName, std::tuple_size_v<std::remove_cvref_t<decltype(members)>>, format, data);
  C out{};
  std::size_t i = 0;
  std::apply(
      [&](const auto&... m) {
        ((out.*m.pointer =
              decode_composite_member<typename std::remove_cvref_t<decltype(m)>::member_type>(
                  kName, m.name, format, fields[i++])),
         ...);
      },
      members);
  return out;
}

/// A composite's value as record text (what record_in reads).
template <SqlComposite C>
std::string composite_text(const C& value) {
  std::vector<std::optional<std::string>> fields;
  fields.reserve(std::tuple_size_v<std::remove_cvref_t<decltype(CompositeTraits<C>::members)>>);
  std::apply(
      [&](const auto&... m) { (fields.push_back(composite_member_text(value.*m.pointer)), ...); },
      CompositeTraits<C>::members);
  return pg::record_text(fields);
}

}  // namespace detail

/// The members of composite C as create_table writes them, in order.
template <SqlComposite C>
std::vector<CompositeMemberType> composite_member_types() {
  std::vector<CompositeMemberType> out;
  std::apply(
      [&](const auto&... m) {
        (out.push_back(
             detail::composite_member_type<typename std::remove_cvref_t<decltype(m)>::member_type>(
                 m.name)),
         ...);
      },
      CompositeTraits<C>::members);
  return out;
}

}  // namespace tern

// The pieces of TERN_COMPOSITE: one composite_member("x", &Type::x) entry per member.
#define TERN_COMPOSITE_FOR_EACH(Type, ...) \
  __VA_OPT__(TERN_ENUM_EXPAND(TERN_COMPOSITE_STEP(Type, __VA_ARGS__)))
#define TERN_COMPOSITE_STEP(Type, item, ...)           \
  ::tern::detail::composite_member(#item, &Type::item) \
      __VA_OPT__(, TERN_COMPOSITE_AGAIN TERN_ENUM_PARENS(Type, __VA_ARGS__))
#define TERN_COMPOSITE_AGAIN() TERN_COMPOSITE_STEP

/// Maps struct `Type` to the PostgreSQL composite type `sql_name` whose attributes are the
/// members listed, in that order, each named as its member:
/// `TERN_COMPOSITE(Address, "address", street, city, zip)`. Use it at global scope (it
/// specialises tern::CompositeTraits).
#define TERN_COMPOSITE(Type, sql_name, ...)                                                      \
  template <>                                                                                    \
  struct tern::CompositeTraits<Type> {                                                           \
    /** The SQL type's name. */                                                                  \
    static constexpr std::string_view name = sql_name;                                           \
    /** The members, in order. */                                                                \
    static constexpr auto members = std::make_tuple(TERN_COMPOSITE_FOR_EACH(Type, __VA_ARGS__)); \
  };
