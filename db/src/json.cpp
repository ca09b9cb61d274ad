// JSON documents: the writer (tern's own: simdjson only reads) and checking, comparing and DOM
// parsing on simdjson.
//
// Why simdjson: parsing is what a program does with the documents it reads back, and it is
// simdjson's strength. Measured on this project's 2-core machine (GCC 12 -O2, DOM parse of an
// array of small objects with escapes and non-ASCII text, 656 B and 697 KB documents):
// simdjson 3.0.1 ~750-780 MB/s, RapidJSON 1.1.0 ~210 MB/s, nlohmann/json 3.11.2 ~35 MB/s.
// RapidJSON's last release dates from 2016; simdjson and nlohmann/json are maintained, and
// nlohmann/json is 20x slower here. Writing (a 443 KB array of objects, noisy shared machine):
// the Writer below ~250-290 MB/s, RapidJSON's Writer ~450-750 MB/s, nlohmann/json build + dump
// ~45-70 MB/s.
#include "tern/db/json.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <string>

#include "tern/db/json_dom.hpp"
#include "tern/protocol/exceptions.hpp"

// GCC 12 sees simdjson's tape accessors (unique_ptr<uint64_t[]>::operator[], inlined here) as
// a possible null dereference: the tape exists whenever an element does.
#pragma GCC diagnostic ignored "-Wnull-dereference"

namespace tern::json {

namespace {

[[noreturn]] void malformed(simdjson::error_code code) {
  throw DataError(std::string("invalid input syntax for type json: ") +
                  simdjson::error_message(code));
}

simdjson::dom::element checked(simdjson::simdjson_result<simdjson::dom::element> r) {
  if (r.error() != simdjson::SUCCESS) malformed(r.error());
  return r.value_unsafe();
}

// One parser per thread and role: parsers keep their buffers between documents, and equal()
// needs two documents alive at once.
simdjson::dom::parser& thread_parser(int which) {
  thread_local simdjson::dom::parser parsers[2];
  return parsers[which];
}

bool same_number(simdjson::dom::element a, simdjson::dom::element b) {
  using T = simdjson::dom::element_type;
  const T ta = a.type();
  const T tb = b.type();
  if (ta == T::DOUBLE || tb == T::DOUBLE) {
    return a.get_double().value_unsafe() == b.get_double().value_unsafe();
  }
  if (ta == tb) {
    return ta == T::INT64 ? a.get_int64().value_unsafe() == b.get_int64().value_unsafe()
                          : a.get_uint64().value_unsafe() == b.get_uint64().value_unsafe();
  }
  return false;  // an int64 and a uint64 above INT64_MAX
}

bool same_value(simdjson::dom::element a, simdjson::dom::element b) {
  using T = simdjson::dom::element_type;
  const T ta = a.type();
  const T tb = b.type();
  const auto is_number = [](T t) { return t == T::INT64 || t == T::UINT64 || t == T::DOUBLE; };
  if (is_number(ta) && is_number(tb)) return same_number(a, b);
  if (ta != tb) return false;
  switch (ta) {
    case T::NULL_VALUE:
      return true;
    case T::BOOL:
      return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case T::STRING:
      return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case T::ARRAY: {
      const simdjson::dom::array xa = a.get_array().value_unsafe();
      const simdjson::dom::array xb = b.get_array().value_unsafe();
      if (xa.size() != xb.size()) return false;
      auto ib = xb.begin();
      for (simdjson::dom::element ea : xa) {
        if (!same_value(ea, *ib)) return false;
        ++ib;
      }
      return true;
    }
    case T::OBJECT: {
      const simdjson::dom::object oa = a.get_object().value_unsafe();
      const simdjson::dom::object ob = b.get_object().value_unsafe();
      if (oa.size() != ob.size()) return false;
      for (const simdjson::dom::key_value_pair kv : oa) {
        const auto other = ob.at_key(kv.key);
        if (other.error() != simdjson::SUCCESS || !same_value(kv.value, other.value_unsafe())) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;  // numbers were handled above
  }
}

}  // namespace

// ---- writing ----

namespace {

// append_quoted(), telling whether `s` has non-ASCII bytes (which then need a UTF-8 check).
bool append_quoted_ascii(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char high = 0;
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  std::size_t run = 0;  // start of the bytes that need no escape, appended in one go
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    high |= static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);  // UTF-8 goes as it is: JSON text is UTF-8
  out += '"';
  return (high & 0x80) != 0;
}

}  // namespace

void append_quoted(std::string& out, std::string_view s) {
  append_quoted_ascii(out, s);
}

std::string quote(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

namespace detail {

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) throw TypeError("JSON has no NaN or infinity");
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_string(std::string& out, std::string_view s) {
  // The server would reject the document later, far from the mistake: refuse it here. ASCII
  // (the common case) needs no check.
  const std::size_t before = out.size();
  if (append_quoted_ascii(out, s) && !simdjson::validate_utf8(s.data(), s.size())) {
    out.resize(before);
    throw TypeError("a JSON string must be UTF-8");
  }
}

}  // namespace detail

Json object(std::initializer_list<std::pair<std::string_view, Node>> members) {
  Writer w;
  w.begin_object();
  for (const auto& [k, v] : members)
    w.key(k).value(v);
  w.end_object();
  return std::move(w).json();
}

Json object(const std::vector<std::pair<std::string, Node>>& members) {
  Writer w;
  w.begin_object();
  for (const auto& [k, v] : members)
    w.key(k).value(v);
  w.end_object();
  return std::move(w).json();
}

Json array(std::initializer_list<Node> items) {
  Writer w;
  w.begin_array();
  for (const Node& v : items)
    w.value(v);
  w.end_array();
  return std::move(w).json();
}

Json array(const std::vector<Node>& items) {
  Writer w;
  w.begin_array();
  for (const Node& v : items)
    w.value(v);
  w.end_array();
  return std::move(w).json();
}

void Writer::before_value() {
  if (stack_.empty()) {
    if (++top_level_ > 1) throw InterfaceError("json::Writer: more than one top-level value");
    return;
  }
  if (stack_.back()) {
    if (!after_key_) throw InterfaceError("json::Writer: an object member needs a key first");
    after_key_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

Writer& Writer::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back(true);
  first_ = true;
  return *this;
}

Writer& Writer::end_object() {
  if (stack_.empty() || !stack_.back() || after_key_) {
    throw InterfaceError("json::Writer: end_object without an open object");
  }
  out_ += '}';
  stack_.pop_back();
  first_ = false;
  return *this;
}

Writer& Writer::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back(false);
  first_ = true;
  return *this;
}

Writer& Writer::end_array() {
  if (stack_.empty() || stack_.back()) {
    throw InterfaceError("json::Writer: end_array without an open array");
  }
  out_ += ']';
  stack_.pop_back();
  first_ = false;
  return *this;
}

Writer& Writer::key(std::string_view k) {
  if (stack_.empty() || !stack_.back() || after_key_) {
    throw InterfaceError("json::Writer: a key outside an object, or two keys in a row");
  }
  if (!first_) out_ += ',';
  first_ = false;
  detail::append_string(out_, k);  // checked as UTF-8, quoted
  out_ += ':';
  after_key_ = true;
  return *this;
}

Writer& Writer::value(const Node& v) {
  before_value();
  out_ += v.text();
  return *this;
}

Writer& Writer::value(std::nullptr_t) {
  before_value();
  out_ += "null";
  return *this;
}

Writer& Writer::value(std::string_view s) {
  before_value();
  detail::append_string(out_, s);
  return *this;
}

Writer& Writer::value(const Json& doc) {
  before_value();
  out_ += doc.text;
  return *this;
}

Writer& Writer::value(const Jsonb& doc) {
  before_value();
  out_ += doc.text;
  return *this;
}

Json Writer::json() && {
  if (!stack_.empty() || top_level_ != 1) {
    throw InterfaceError("json::Writer: the document is incomplete");
  }
  return Json{std::move(out_)};
}

// ---- reading (simdjson) ----

bool valid(std::string_view text) noexcept {
  return thread_parser(0).parse(text.data(), text.size()).error() == simdjson::SUCCESS;
}

Json parse(std::string_view text) {
  const auto r = thread_parser(0).parse(text.data(), text.size());
  if (r.error() != simdjson::SUCCESS) malformed(r.error());
  return Json{std::string(text)};
}

bool equal(std::string_view a, std::string_view b) {
  const simdjson::dom::element ea = checked(thread_parser(0).parse(a.data(), a.size()));
  const simdjson::dom::element eb = checked(thread_parser(1).parse(b.data(), b.size()));
  return same_value(ea, eb);
}

simdjson::dom::element Parser::parse(const Json& doc) {
  return checked(parser_.parse(doc.text));
}

simdjson::dom::element Parser::parse(const Jsonb& doc) {
  return checked(parser_.parse(doc.text));
}

simdjson::dom::element Parser::parse(std::string_view text) {
  return checked(parser_.parse(text.data(), text.size()));
}

Json to_json(simdjson::dom::element element) {
  return Json{simdjson::to_string(element)};
}

}  // namespace tern::json
