// Record values split into fields and written as text (record.hpp).
#include "tern/protocol/pg/record.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

#include "tern/protocol/exceptions.hpp"

namespace tern::pg {
namespace {

[[noreturn]] void malformed(std::string_view why) {
  throw_type_error("record", why);
}

std::uint32_t read_u32(Bytes data, std::size_t& pos) {
  if (data.size() - pos < 4) malformed("binary record ends inside a field header");
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<std::uint8_t>(data[pos++]);
  return v;
}

std::vector<RecordField> decode_binary(Bytes data) {
  std::size_t pos = 0;
  const auto count = static_cast<std::int32_t>(read_u32(data, pos));
  if (count < 0) malformed("negative field count");
  // Each field takes at least 8 bytes: a count past what the data can hold is refused before
  // anything is reserved for it.
  if (static_cast<std::size_t>(count) > (data.size() - pos) / 8) {
    malformed("field count exceeds the data");
  }
  std::vector<RecordField> out(static_cast<std::size_t>(count));
  for (RecordField& f : out) {
    f.type = read_u32(data, pos);
    const auto length = static_cast<std::int32_t>(read_u32(data, pos));
    if (length == -1) continue;
    if (length < 0) malformed("negative field length");
    if (data.size() - pos < static_cast<std::size_t>(length)) malformed("field past the end");
    f.value.emplace(reinterpret_cast<const char*>(data.data() + pos),
                    static_cast<std::size_t>(length));
    pos += static_cast<std::size_t>(length);
  }
  if (pos != data.size()) malformed("bytes after the last field");
  return out;
}

std::vector<RecordField> decode_text(std::string_view text) {
  // record_in skips white space around the parentheses.
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  std::size_t i = 0;
  while (i < text.size() && space(text[i]))
    ++i;
  if (i == text.size() || text[i] != '(') malformed("text does not start with '('");
  ++i;
  std::vector<RecordField> out;
  // As record_in: "()" is one NULL field (a record of no fields prints the same).
  for (;;) {
    RecordField& f = out.emplace_back();
    std::string value;
    bool quoted_or_escaped = false;
    bool in_quotes = false;
    for (;;) {
      if (i == text.size()) malformed("text ends inside a field");
      const char c = text[i];
      if (!in_quotes && (c == ',' || c == ')')) break;
      ++i;
      if (c == '\\') {
        if (i == text.size()) malformed("text ends after a backslash");
        value += text[i++];
        quoted_or_escaped = true;
      } else if (c == '"') {
        if (!in_quotes) {
          in_quotes = true;
          quoted_or_escaped = true;
        } else if (i < text.size() && text[i] == '"') {
          value += '"';  // "" inside quotes
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        value += c;
      }
    }
    // An empty field that was neither quoted nor escaped is NULL.
    if (quoted_or_escaped || !value.empty()) f.value = std::move(value);
    if (text[i++] == ')') break;
  }
  while (i < text.size() && space(text[i]))
    ++i;
  if (i != text.size()) malformed("text after ')'");
  return out;
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (const char c : s) {
    if (c == '"' || c == '\\' || c == '(' || c == ')' || c == ',' || c == ' ' || c == '\t' ||
        c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<RecordField> decode_record(Format format, Bytes data) {
  if (format == Format::kBinary) return decode_binary(data);
  return decode_text(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

std::string record_text(std::span<const std::optional<std::string>> fields) {
  std::string out = "(";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    if (!fields[i]) continue;  // NULL: nothing between the commas
    const std::string& v = *fields[i];
    if (!needs_quotes(v)) {
      out += v;
      continue;
    }
    out += '"';
    for (const char c : v) {
      if (c == '"' || c == '\\') out += c;
      out += c;
    }
    out += '"';
  }
  out += ')';
  return out;
}

}  // namespace tern::pg
