// PostgreSQL one-dimensional arrays: the non-template walker under Type<std::vector<T>>.
// Binary layout of array_send/array_recv (src/backend/utils/adt/arrayfuncs.c): int32 ndim,
// int32 has-null flag, element type OID, per dimension int32 length and int32 lower bound, then
// per element an int32 length (-1 = NULL) and the element's binary value.
// Text layout of array_out: "{a,b,NULL,\"x y\"}", optionally preceded by "[lb:ub]=" when the
// lower bound is not 1; elements are double-quoted when they contain special characters, with
// '"' and '\' backslash-escaped inside; an unquoted NULL is SQL NULL. Only ',' delimiters (box,
// the one built-in type using ';', is not supported).
#include <cstdint>
#include <limits>
#include <string>

#include "tern/protocol/pg/types.hpp"
#include "type_table.hpp"

namespace tern::pg {

namespace detail {

namespace {

using protocol::as_bytes;
using protocol::as_chars;

[[noreturn]] void array_error(Oid array_type, std::string_view why) {
  throw_type_error(oid_name(array_type).c_str(), why);
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void decode_binary(Oid array_type, Bytes data, bool (*accepts)(Oid), const ArraySink& sink) {
  if (data.size() < 12) array_error(array_type, "binary array header is truncated");
  protocol::ByteReader r(data, "array");
  const std::int32_t ndim = r.i32();
  const std::int32_t flags = r.i32();
  const Oid elem = r.u32();
  if (ndim < 0) array_error(array_type, "negative dimension count");
  if (ndim > 1) {
    array_error(array_type,
                "arrays with " + std::to_string(ndim) + " dimensions are not supported (only one)");
  }
  if (flags != 0 && flags != 1) array_error(array_type, "invalid has-null flag");
  if (const std::optional<Oid> expected = array_element_oid(array_type);
      expected && *expected != elem) {
    array_error(array_type, "element type " + oid_name(elem) + " does not match the array type");
  }
  if (!accepts(elem)) {
    array_error(array_type, "element type " + oid_name(elem) + " is not readable as requested");
  }
  if (ndim == 0) {
    if (!r.done()) array_error(array_type, "trailing bytes after an empty array");
    sink.reserve(sink.self, 0);
    return;
  }
  if (r.remaining() < 8) array_error(array_type, "binary array dimension is truncated");
  const std::int32_t count = r.i32();
  r.i32();  // lower bound: not kept
  if (count < 0) array_error(array_type, "negative element count");
  // Every element needs at least its 4-byte length: bound the count before reserving.
  if (static_cast<std::size_t>(count) > r.remaining() / 4) {
    array_error(array_type, "element count " + std::to_string(count) + " exceeds the value size");
  }
  sink.reserve(sink.self, static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    if (r.remaining() < 4) array_error(array_type, "element length is truncated");
    const std::int32_t len = r.i32();
    if (len == -1) {
      sink.element(sink.self, elem, Format::kBinary, nullptr);
      continue;
    }
    if (len < 0) array_error(array_type, "negative element length");
    if (static_cast<std::size_t>(len) > r.remaining()) {
      array_error(array_type, "element length " + std::to_string(len) + " exceeds the value size");
    }
    const Bytes value = r.bytes(static_cast<std::size_t>(len));
    sink.element(sink.self, elem, Format::kBinary, &value);
  }
  if (!r.done()) array_error(array_type, "trailing bytes after the last element");
}

/// Parses the "[lb:ub]=" prefix; returns the declared element count.
std::int64_t read_dimensions(Oid array_type, std::string_view s, std::size_t& pos) {
  const auto read_int = [&]() -> std::int64_t {
    bool negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
    std::int64_t v = 0;
    std::size_t n = 0;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 11; ++pos, ++n) {
      v = v * 10 + (s[pos] - '0');
    }
    if (n == 0 || n == 11) array_error(array_type, "malformed dimension decoration");
    return negative ? -v : v;
  };
  ++pos;  // '['
  const std::int64_t lower = read_int();
  if (pos >= s.size() || s[pos++] != ':') array_error(array_type, "malformed dimension decoration");
  const std::int64_t upper = read_int();
  if (pos >= s.size() || s[pos++] != ']') array_error(array_type, "malformed dimension decoration");
  if (pos < s.size() && s[pos] == '[') {
    array_error(array_type, "multi-dimensional arrays are not supported (only one dimension)");
  }
  if (pos >= s.size() || s[pos++] != '=') array_error(array_type, "malformed dimension decoration");
  if (upper < lower - 1) array_error(array_type, "invalid dimension bounds");
  return upper - lower + 1;
}

void decode_text(Oid array_type, Bytes data, bool (*accepts)(Oid), const ArraySink& sink) {
  const std::optional<Oid> elem = array_element_oid(array_type);
  if (!elem) array_error(array_type, "unknown array type");
  if (!accepts(*elem)) {
    array_error(array_type, "element type " + oid_name(*elem) + " is not readable as requested");
  }
  const std::string_view s = as_chars(data);
  std::size_t pos = 0;
  std::int64_t declared = -1;
  if (pos < s.size() && s[pos] == '[') declared = read_dimensions(array_type, s, pos);
  if (pos >= s.size() || s[pos] != '{') array_error(array_type, "text does not start with '{'");
  ++pos;
  std::int64_t count = 0;
  std::string scratch;
  const auto skip_space = [&] {
    while (pos < s.size() && is_space(s[pos]))
      ++pos;
  };
  skip_space();
  if (pos < s.size() && s[pos] == '}') {
    ++pos;
  } else {
    for (;;) {
      skip_space();
      if (pos >= s.size()) array_error(array_type, "unterminated array text");
      if (s[pos] == '{') {
        array_error(array_type, "multi-dimensional arrays are not supported (only one dimension)");
      }
      scratch.clear();
      bool is_null = false;
      if (s[pos] == '"') {
        ++pos;
        for (;;) {
          if (pos >= s.size()) array_error(array_type, "unterminated quoted element");
          const char c = s[pos++];
          if (c == '"') break;
          if (c == '\\') {
            if (pos >= s.size()) array_error(array_type, "unterminated quoted element");
            scratch.push_back(s[pos++]);
          } else {
            scratch.push_back(c);
          }
        }
        skip_space();
      } else {
        bool escaped = false;
        std::size_t keep = 0;  // length of scratch up to its last non-space or escaped char
        while (pos < s.size() && s[pos] != ',' && s[pos] != '}') {
          const char c = s[pos++];
          if (c == '"' || c == '{') array_error(array_type, "unexpected character in element");
          if (c == '\\') {
            if (pos >= s.size()) array_error(array_type, "unterminated array text");
            scratch.push_back(s[pos++]);
            escaped = true;
            keep = scratch.size();
          } else {
            scratch.push_back(c);
            if (!is_space(c)) keep = scratch.size();
          }
        }
        scratch.resize(keep);
        if (scratch.empty()) array_error(array_type, "empty unquoted element");
        is_null = !escaped && scratch.size() == 4 && (scratch[0] == 'N' || scratch[0] == 'n') &&
                  (scratch[1] == 'U' || scratch[1] == 'u') &&
                  (scratch[2] == 'L' || scratch[2] == 'l') &&
                  (scratch[3] == 'L' || scratch[3] == 'l');
      }
      if (is_null) {
        sink.element(sink.self, *elem, Format::kText, nullptr);
      } else {
        const Bytes value = as_bytes(scratch);
        sink.element(sink.self, *elem, Format::kText, &value);
      }
      ++count;
      if (pos >= s.size()) array_error(array_type, "unterminated array text");
      if (s[pos] == '}') {
        ++pos;
        break;
      }
      if (s[pos] != ',') array_error(array_type, "expected ',' or '}' after an element");
      ++pos;
    }
  }
  skip_space();
  if (pos != s.size()) array_error(array_type, "trailing characters after '}'");
  if (declared >= 0 && declared != count) {
    array_error(array_type, "element count does not match the dimension decoration");
  }
}

}  // namespace

std::optional<Oid> array_element_oid(Oid array_type) noexcept {
  if (const TypeInfo* elem = find_array_element(array_type)) return elem->oid;
  return std::nullopt;
}

void decode_array(Oid array_type, Format format, Bytes data, bool (*accepts)(Oid),
                  const ArraySink& sink) {
  if (format == Format::kBinary) return decode_binary(array_type, data, accepts, sink);
  decode_text(array_type, data, accepts, sink);
}

void encode_array_header(Oid elem_type, std::size_t count, bool has_null, ByteWriter& out) {
  if (count > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw TypeError("cannot encode array: too many elements");
  }
  out.i32(count == 0 ? 0 : 1);
  out.i32(has_null ? 1 : 0);
  out.u32(elem_type);
  if (count == 0) return;
  out.i32(static_cast<std::int32_t>(count));
  out.i32(1);
}

void throw_null_element(Oid array_type) {
  throw TypeError("cannot decode " + oid_name(array_type) +
                  " value: an element is NULL; read it as std::vector<std::optional<T>>");
}

}  // namespace detail

}  // namespace tern::pg
