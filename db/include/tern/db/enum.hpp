// C++ enums as SQL enums: a `enum class` mapped to its labels by a name table the program
// gives, once per enum, at global scope:
//
//   enum class Color { red, green, blue };
//   TERN_ENUM(Color, "color", red, green, blue)   // labels are the enumerators' names
//
// or, for labels that are not C++ identifiers, the trait it expands to:
//
//   template <> struct tern::EnumTraits<Status> {
//     static constexpr std::string_view name = "status";
//     static constexpr std::array<std::pair<Status, std::string_view>, 2> labels{
//         {{Status::in_progress, "in progress"}, {Status::done, "done"}}};
//   };
//
// A mapped enum is a parameter (sent as its label) and a column type (Row::get<Color>), and a
// std::set of one is MySQL/MariaDB SET text ("red,blue"). A label the table does not have is a
// TypeError naming the label and the enum.
#pragma once

#include <array>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tern {

/// The SQL name and labels of enum E; specialise it (or use TERN_ENUM) for each enum mapped.
/// A specialisation has `static constexpr std::string_view name` (the SQL type's name:
/// PostgreSQL CREATE TYPE) and `static constexpr std::array<std::pair<E, std::string_view>, N>
/// labels` (each value's label, in the order of the SQL type's labels; a C array also does).
template <class E>
struct EnumTraits;

/// E has a name table (EnumTraits<E>).
template <class E>
concept SqlEnum = std::is_enum_v<E> && requires {
  EnumTraits<E>::name;
  EnumTraits<E>::labels;
};

namespace detail {
/// Throws TypeError: `label` is not a label of enum `enum_name`.
[[noreturn]] void throw_unknown_label(std::string_view enum_name, std::string_view label);
/// Throws TypeError: `value` (its integer) has no label in enum `enum_name`.
[[noreturn]] void throw_unlabelled_value(std::string_view enum_name, long long value);
/// The labels of MySQL SET text, split at its commas ("" is the empty set; SET labels never
/// hold a comma, the server refuses them).
std::vector<std::string_view> split_set_text(std::string_view text);
}  // namespace detail

/// The label of `value`; TypeError when the name table lacks it.
template <SqlEnum E>
std::string_view enum_label(E value) {
  for (const auto& [v, label] : EnumTraits<E>::labels) {
    if (v == value) return label;
  }
  detail::throw_unlabelled_value(EnumTraits<E>::name, static_cast<long long>(value));
}

/// The value whose label is `label`; TypeError naming the label and the enum when there is
/// none (a label added on the server but not to the program, say).
template <SqlEnum E>
E enum_from_label(std::string_view label) {
  for (const auto& [v, l] : EnumTraits<E>::labels) {
    if (l == label) return v;
  }
  detail::throw_unknown_label(EnumTraits<E>::name, label);
}

/// The labels of E in order (the SQL type's labels).
template <SqlEnum E>
std::vector<std::string> enum_labels() {
  std::vector<std::string> out;
  out.reserve(std::size(EnumTraits<E>::labels));
  for (const auto& entry : EnumTraits<E>::labels)
    out.emplace_back(entry.second);
  return out;
}

/// MySQL SET text of `values`: their labels joined by commas, in the name table's order.
template <SqlEnum E>
std::string set_text(const std::set<E>& values) {
  std::string out;
  for (const auto& [v, label] : EnumTraits<E>::labels) {
    if (!values.contains(v)) continue;
    if (!out.empty()) out += ',';
    out += label;
  }
  return out;
}

/// The values of MySQL SET text ("red,blue"); TypeError for a label E lacks.
template <SqlEnum E>
std::set<E> set_from_text(std::string_view text) {
  std::set<E> out;
  for (std::string_view label : detail::split_set_text(text))
    out.insert(enum_from_label<E>(label));
  return out;
}

}  // namespace tern

// The pieces of TERN_ENUM: one {Type::x, "x"} entry per enumerator.
#define TERN_ENUM_PARENS ()
#define TERN_ENUM_EXPAND(...) \
  TERN_ENUM_EXPAND3(TERN_ENUM_EXPAND3(TERN_ENUM_EXPAND3(TERN_ENUM_EXPAND3(__VA_ARGS__))))
#define TERN_ENUM_EXPAND3(...) \
  TERN_ENUM_EXPAND2(TERN_ENUM_EXPAND2(TERN_ENUM_EXPAND2(TERN_ENUM_EXPAND2(__VA_ARGS__))))
#define TERN_ENUM_EXPAND2(...) \
  TERN_ENUM_EXPAND1(TERN_ENUM_EXPAND1(TERN_ENUM_EXPAND1(TERN_ENUM_EXPAND1(__VA_ARGS__))))
#define TERN_ENUM_EXPAND1(...) __VA_ARGS__
#define TERN_ENUM_FOR_EACH(Type, ...) \
  __VA_OPT__(TERN_ENUM_EXPAND(TERN_ENUM_STEP(Type, __VA_ARGS__)))
#define TERN_ENUM_STEP(Type, item, ...) \
  {Type::item, #item}, __VA_OPT__(TERN_ENUM_AGAIN TERN_ENUM_PARENS(Type, __VA_ARGS__))
#define TERN_ENUM_AGAIN() TERN_ENUM_STEP

/// Maps enum `Type` to the SQL enum `sql_name` whose labels are the enumerators' names, in
/// the order given: `TERN_ENUM(Color, "color", red, green, blue)`. Use it at global scope (it
/// specialises tern::EnumTraits).
#define TERN_ENUM(Type, sql_name, ...)                              \
  template <>                                                       \
  struct tern::EnumTraits<Type> {                                   \
    /** The SQL type's name. */                                     \
    static constexpr std::string_view name = sql_name;              \
    /** Each value's label. */                                      \
    static constexpr std::pair<Type, std::string_view> labels[] = { \
        TERN_ENUM_FOR_EACH(Type, __VA_ARGS__)};                     \
  };
