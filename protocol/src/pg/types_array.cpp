// PostgreSQL arrays: the non-template walker under Type<std::vector<T>> and Type<Array<T>>.
// Binary layout of array_send/array_recv (src/backend/utils/adt/arrayfuncs.c): int32 ndim,
// int32 has-null flag, element type OID, per dimension int32 length and int32 lower bound, then
// per element (row-major) an int32 length (-1 = NULL) and the element's binary value.
// Text layout of array_out: "{{a,b},{NULL,\"x y\"}}", one brace level per dimension, preceded by
// "[lb:ub][lb:ub]=" when a lower bound is not 1; elements are double-quoted when they contain
// special characters, with '"' and '\' backslash-escaped inside; an unquoted NULL is SQL NULL.
// Only ',' delimiters (box, the one built-in type using ';', is not supported).
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

/// Checks one dimension's length and lower bound as array_recv does (ArrayCheckBounds: the
/// upper bound must not overflow int32).
void check_dimension(Oid array_type, std::int64_t length, std::int64_t lower) {
  if (length < 0) array_error(array_type, "negative dimension length");
  if (lower + length - 1 > std::numeric_limits<std::int32_t>::max()) {
    array_error(array_type, "array upper bound is too large");
  }
}

ArrayShape decode_binary(Oid array_type, Bytes data, bool (*accepts)(Oid), const ArraySink& sink) {
  if (data.size() < 12) array_error(array_type, "binary array header is truncated");
  protocol::ByteReader r(data, "array");
  const std::int32_t ndim = r.i32();
  const std::int32_t flags = r.i32();
  const Oid elem = r.u32();
  if (ndim < 0) array_error(array_type, "negative dimension count");
  if (ndim > ArrayShape::kMaxDims) {
    array_error(array_type, "number of dimensions (" + std::to_string(ndim) +
                                ") exceeds the maximum allowed (6)");
  }
  if (flags != 0 && flags != 1) array_error(array_type, "invalid has-null flag");
  if (const std::optional<Oid> expected = array_element_oid(array_type);
      expected && *expected != elem) {
    array_error(array_type, "element type " + oid_name(elem) + " does not match the array type");
  }
  if (!accepts(elem)) {
    array_error(array_type, "element type " + oid_name(elem) + " is not readable as requested");
  }
  ArrayShape shape;
  shape.ndim = ndim;
  if (r.remaining() < 8 * static_cast<std::size_t>(ndim)) {
    array_error(array_type, "binary array dimensions are truncated");
  }
  std::size_t count = ndim == 0 ? 0 : 1;
  for (std::size_t d = 0; d < static_cast<std::size_t>(ndim); ++d) {
    shape.lengths[d] = r.i32();
    shape.lower_bounds[d] = r.i32();
    check_dimension(array_type, shape.lengths[d], shape.lower_bounds[d]);
    // Every element needs at least its 4-byte length: bounding each factor by the value size
    // keeps the product from overflowing and the count from outgrowing the value.
    count *= static_cast<std::size_t>(shape.lengths[d]);
    if (count > data.size() / 4) {
      array_error(array_type, "element count exceeds the value size");
    }
  }
  sink.reserve(sink.self, count);
  for (std::size_t i = 0; i < count; ++i) {
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
  // A dimension of length 0 makes the array empty, which has no dimensions (as array_recv
  // makes it).
  return count == 0 ? ArrayShape{} : shape;
}

/// Parses the "[lb:ub][lb:ub]...=" prefix into `shape` (its lengths and lower bounds).
void read_dimensions(Oid array_type, std::string_view s, std::size_t& pos, ArrayShape& shape) {
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
  while (pos < s.size() && s[pos] == '[') {
    if (shape.ndim == ArrayShape::kMaxDims) {
      array_error(array_type, "number of dimensions exceeds the maximum allowed (6)");
    }
    ++pos;  // '['
    const std::int64_t lower = read_int();
    if (pos >= s.size() || s[pos++] != ':') {
      array_error(array_type, "malformed dimension decoration");
    }
    const std::int64_t upper = read_int();
    if (pos >= s.size() || s[pos++] != ']') {
      array_error(array_type, "malformed dimension decoration");
    }
    if (lower < std::numeric_limits<std::int32_t>::min() ||
        upper > std::numeric_limits<std::int32_t>::max() || upper < lower) {
      array_error(array_type, "invalid dimension bounds");
    }
    const auto d = static_cast<std::size_t>(shape.ndim++);
    shape.lower_bounds[d] = static_cast<std::int32_t>(lower);
    shape.lengths[d] = static_cast<std::int32_t>(upper - lower + 1);
  }
  if (pos >= s.size() || s[pos++] != '=') array_error(array_type, "malformed dimension decoration");
}

/// Reads one element (quoted or not) at `pos` into `scratch`; returns true for an unquoted NULL.
bool read_element(Oid array_type, std::string_view s, std::size_t& pos, std::string& scratch) {
  scratch.clear();
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
    return false;
  }
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
  return !escaped && scratch.size() == 4 && (scratch[0] == 'N' || scratch[0] == 'n') &&
         (scratch[1] == 'U' || scratch[1] == 'u') && (scratch[2] == 'L' || scratch[2] == 'l') &&
         (scratch[3] == 'L' || scratch[3] == 'l');
}

ArrayShape decode_text(Oid array_type, Bytes data, bool (*accepts)(Oid), const ArraySink& sink) {
  const std::optional<Oid> elem = array_element_oid(array_type);
  if (!elem) array_error(array_type, "unknown array type");
  if (!accepts(*elem)) {
    array_error(array_type, "element type " + oid_name(*elem) + " is not readable as requested");
  }
  const std::string_view s = as_chars(data);
  std::size_t pos = 0;
  ArrayShape declared;
  const bool decorated = pos < s.size() && s[pos] == '[';
  if (decorated) read_dimensions(array_type, s, pos, declared);
  const auto skip_space = [&] {
    while (pos < s.size() && is_space(s[pos]))
      ++pos;
  };
  skip_space();
  if (pos >= s.size() || s[pos] != '{') array_error(array_type, "text does not start with '{'");
  ++pos;
  // Brace nesting: depth is the number of open braces; count[d] the items (elements or
  // sub-arrays) seen so far at depth d + 1; every sub-array at a depth must have the same
  // length, which the first one to close fixes.
  ArrayShape shape;
  std::array<std::int64_t, ArrayShape::kMaxDims> count{};
  std::array<bool, ArrayShape::kMaxDims> fixed{};
  std::int32_t depth = 1;
  bool item_expected = true;  // after '{' or ','
  std::string scratch;
  while (depth > 0) {
    skip_space();
    if (pos >= s.size()) array_error(array_type, "unterminated array text");
    const auto d = static_cast<std::size_t>(depth - 1);
    if (item_expected) {
      if (s[pos] == '{') {
        if (shape.ndim != 0 && depth >= shape.ndim) array_error(array_type, "unexpected '{'");
        if (depth == ArrayShape::kMaxDims) {
          array_error(array_type, "number of dimensions exceeds the maximum allowed (6)");
        }
        count[d + 1] = 0;
        ++depth;
        ++pos;
        continue;
      }
      if (s[pos] == '}' && count[d] == 0 && depth == 1 && shape.ndim == 0) {
        ++pos;  // "{}": an empty array
        break;
      }
      if (shape.ndim == 0) shape.ndim = depth;
      if (depth != shape.ndim) {
        array_error(array_type,
                    "multidimensional arrays must have sub-arrays with matching "
                    "dimensions");
      }
      if (read_element(array_type, s, pos, scratch)) {
        sink.element(sink.self, *elem, Format::kText, nullptr);
      } else {
        const Bytes value = as_bytes(scratch);
        sink.element(sink.self, *elem, Format::kText, &value);
      }
      ++count[d];
      item_expected = false;
      continue;
    }
    if (s[pos] == ',') {
      ++pos;
      item_expected = true;
      continue;
    }
    if (s[pos] != '}') array_error(array_type, "expected ',' or '}' after an element");
    ++pos;
    if (!fixed[d]) {
      if (count[d] > std::numeric_limits<std::int32_t>::max()) {
        array_error(array_type, "too many elements");
      }
      shape.lengths[d] = static_cast<std::int32_t>(count[d]);
      fixed[d] = true;
    } else if (shape.lengths[d] != count[d]) {
      array_error(array_type,
                  "multidimensional arrays must have sub-arrays with matching dimensions");
    }
    --depth;
    if (depth > 0) ++count[d - 1];
  }
  skip_space();
  if (pos != s.size()) array_error(array_type, "trailing characters after '}'");
  for (std::size_t d = 0; d < static_cast<std::size_t>(shape.ndim); ++d)
    shape.lower_bounds[d] = 1;
  if (decorated) {
    bool match = declared.ndim == shape.ndim;
    for (std::size_t d = 0; match && d < static_cast<std::size_t>(shape.ndim); ++d)
      match = declared.lengths[d] == shape.lengths[d];
    if (!match) {
      array_error(array_type, "array dimensions do not match the dimension decoration");
    }
    shape = declared;
  }
  return shape;
}

}  // namespace

std::optional<Oid> array_element_oid(Oid array_type) noexcept {
  if (const TypeInfo* elem = find_array_element(array_type)) return elem->oid;
  return std::nullopt;
}

ArrayShape decode_array(Oid array_type, Format format, Bytes data, bool (*accepts)(Oid),
                        const ArraySink& sink) {
  if (format == Format::kBinary) return decode_binary(array_type, data, accepts, sink);
  return decode_text(array_type, data, accepts, sink);
}

void encode_array_header(Oid elem_type, const ArrayShape& shape, std::size_t count, bool has_null,
                         ByteWriter& out) {
  if (count > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw TypeError("cannot encode array: too many elements");
  }
  if (shape.ndim < 0 || shape.ndim > ArrayShape::kMaxDims) {
    throw TypeError("cannot encode array: the number of dimensions must be 0..6");
  }
  for (std::size_t d = 0; d < static_cast<std::size_t>(shape.ndim); ++d) {
    if (shape.lengths[d] < 0 || std::int64_t{shape.lower_bounds[d]} + shape.lengths[d] - 1 >
                                    std::numeric_limits<std::int32_t>::max()) {
      throw TypeError("cannot encode array: invalid dimension length or lower bound");
    }
  }
  if (shape.element_count() != count) {
    throw TypeError("cannot encode array: " + std::to_string(count) +
                    " elements do not fill its dimensions (" +
                    std::to_string(shape.element_count()) + ")");
  }
  out.i32(shape.ndim);
  out.i32(has_null ? 1 : 0);
  out.u32(elem_type);
  for (std::size_t d = 0; d < static_cast<std::size_t>(shape.ndim); ++d) {
    out.i32(shape.lengths[d]);
    out.i32(shape.lower_bounds[d]);
  }
}

void throw_null_element(Oid array_type) {
  throw TypeError("cannot decode " + oid_name(array_type) +
                  " value: an element is NULL; read it as std::vector<std::optional<T>>");
}

void throw_multi_dimensional(Oid array_type, std::int32_t ndim) {
  throw TypeError("cannot decode " + oid_name(array_type) + " value: it has " +
                  std::to_string(ndim) + " dimensions; read it as pg::Array<T>, which keeps them");
}

}  // namespace detail

}  // namespace tern::pg
