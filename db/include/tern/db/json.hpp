// Building, checking and comparing JSON documents (tern::Json / tern::Jsonb hold their text).
//
//   tern::Json doc = tern::json::object({{"name", "Zoë"}, {"tags", tern::json::array({"a", 1})},
//                                        {"owner", nullptr}});
//   bool ok = tern::json::valid(text);
//   tern::Json checked = tern::json::parse(user_text);       // DataError when malformed
//   bool same = tern::json::equal(doc, from_the_server);      // member order, spacing ignored
//
// Checking and comparing run on simdjson (libsimdjson-dev), the fastest JSON parser Debian
// ships: several times faster than RapidJSON and an order of magnitude faster than nlohmann/json
// on the documents measured (see json.cpp), and actively maintained. simdjson only reads JSON,
// so documents are written by the small writer here. To walk a document, use simdjson's DOM
// through tern/db/json_dom.hpp.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/db/value.hpp"

namespace tern::json {

/// Appends `s` as a JSON string literal: quoted, with `"`, `\` and control characters escaped.
/// The bytes are not checked for UTF-8 (Node does that).
void append_quoted(std::string& out, std::string_view s);
/// `s` as a JSON string literal (see append_quoted).
std::string quote(std::string_view s);

namespace detail {
/// Appends a number / a checked UTF-8 string in JSON form (what Node and Writer write).
void append_number(std::string& out, std::int64_t v);
void append_number(std::string& out, std::uint64_t v);
void append_number(std::string& out, double v);
void append_string(std::string& out, std::string_view s);
/// An integer as JSON.
template <class I>
void append_integer(std::string& out, I i) {
  if constexpr (std::is_signed_v<I>) {
    append_number(out, static_cast<std::int64_t>(i));
  } else {
    append_number(out, static_cast<std::uint64_t>(i));
  }
}
/// Integers, without bool and char (a char is more likely text than a number).
template <class I>
concept Integer = std::integral<I> && !std::same_as<I, bool> && !std::same_as<I, char>;
}  // namespace detail

/// One JSON value being built, already in its text form: null, a bool, a number, a string,
/// or a whole document (Json/Jsonb, embedded as it is).
class Node {
 public:
  /// null.
  Node(std::nullptr_t) : text_("null") {}  // NOLINT(google-explicit-constructor)
  /// true / false.
  template <class B>
  requires std::same_as<B, bool> Node(B b)  // NOLINT(google-explicit-constructor)
      : text_(b ? "true" : "false") {}
  /// An integer.
  template <detail::Integer I>
  Node(I i) {  // NOLINT(google-explicit-constructor)
    detail::append_integer(text_, i);
  }
  /// A finite number (the shortest form that reads back exactly); NaN and infinities throw
  /// TypeError, as JSON has none.
  template <std::floating_point F>
  Node(F f) {  // NOLINT(google-explicit-constructor)
    detail::append_number(text_, static_cast<double>(f));
  }
  /// A string; bytes that are not UTF-8 throw TypeError.
  Node(std::string_view s) {  // NOLINT(google-explicit-constructor)
    detail::append_string(text_, s);
  }
  /// A string.
  Node(const char* s) : Node(std::string_view(s)) {}  // NOLINT(google-explicit-constructor)
  /// A string.
  Node(const std::string& s)  // NOLINT(google-explicit-constructor)
      : Node(std::string_view(s)) {}
  /// A document, embedded as it is (not re-checked).
  Node(const Json& doc) : text_(doc.text) {}  // NOLINT(google-explicit-constructor)
  /// A document, embedded as it is (not re-checked).
  Node(const Jsonb& doc) : text_(doc.text) {}  // NOLINT(google-explicit-constructor)

  /// The value's JSON text.
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
};

/// An object: `object({{"a", 1}, {"b", "x"}})` is {"a":1,"b":"x"} (members in the given
/// order; keys must be UTF-8).
Json object(std::initializer_list<std::pair<std::string_view, Node>> members);
/// An object from pairs built at run time.
Json object(const std::vector<std::pair<std::string, Node>>& members);
/// An array: `array({1, "two", nullptr})`.
Json array(std::initializer_list<Node> items);
/// An array from values built at run time.
Json array(const std::vector<Node>& items);

/// Writes a document piece by piece, for documents built in loops:
///   json::Writer w;
///   w.begin_object().key("ids").begin_array();
///   for (int id : ids) w.value(id);
///   w.end_array().end_object();
///   tern::Json doc = std::move(w).json();
class Writer {
 public:
  /// {
  Writer& begin_object();
  /// }
  Writer& end_object();
  /// [
  Writer& begin_array();
  /// ]
  Writer& end_array();
  /// The next member's key (inside an object).
  Writer& key(std::string_view k);
  /// A value built as a Node (or a whole document).
  Writer& value(const Node& v);
  /// null.
  Writer& value(std::nullptr_t);
  /// true / false.
  template <class B>
  requires std::same_as<B, bool> Writer& value(B b) {
    before_value();
    out_ += b ? "true" : "false";
    return *this;
  }
  /// An integer.
  template <detail::Integer I>
  Writer& value(I i) {
    before_value();
    detail::append_integer(out_, i);
    return *this;
  }
  /// A finite number (see Node).
  template <std::floating_point F>
  Writer& value(F f) {
    before_value();
    detail::append_number(out_, static_cast<double>(f));
    return *this;
  }
  /// A string (UTF-8, see Node).
  Writer& value(std::string_view s);
  /// A string.
  Writer& value(const char* s) { return value(std::string_view(s)); }
  /// A string.
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  /// A document, embedded as it is.
  Writer& value(const Json& doc);
  /// A document, embedded as it is.
  Writer& value(const Jsonb& doc);
  /// The document; throws InterfaceError when an object or array is still open, or when
  /// nothing or more than one top-level value was written.
  Json json() &&;

 private:
  void before_value();

  std::string out_;
  // Per open container: true for an object. `first_` tells whether it has no item yet.
  std::vector<bool> stack_;
  bool first_ = true;
  bool after_key_ = false;
  int top_level_ = 0;
};

/// True when `text` is one well-formed JSON document (RFC 8259, UTF-8).
bool valid(std::string_view text) noexcept;
/// `text` as a Json after checking it; throws DataError (as the server would: invalid input
/// syntax for type json) when it is not well-formed.
Json parse(std::string_view text);
/// True when both texts are the same JSON value: object members in any order, any spacing,
/// numbers equal by value (1.0 == 1), strings compared after unescaping. Throws DataError when
/// either is malformed. What PostgreSQL's jsonb normalises (member order, spacing, duplicate
/// keys: the last wins there, here the first match) or MariaDB keeps as written compare equal.
bool equal(std::string_view a, std::string_view b);
/// Json or Jsonb.
template <class T>
concept Document = std::same_as<T, Json> || std::same_as<T, Jsonb>;
/// Same as equal() on the documents' text.
template <Document A, Document B>
bool equal(const A& a, const B& b) {
  return equal(std::string_view(a.text), std::string_view(b.text));
}

}  // namespace tern::json
