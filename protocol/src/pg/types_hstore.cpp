// hstore codec: the binary layout of hstore_send/hstore_recv and the text layout of
// hstore_out/hstore_in (contrib/hstore/hstore_io.c).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tern/protocol/pg/hstore.hpp"

namespace tern::pg {

namespace {

// Extension types get OIDs from FirstNormalObjectId up; built-in ones are below it.
constexpr Oid kFirstNormalObjectId = 16384;

[[noreturn]] void fail(std::string_view why) {
  detail::throw_type_error("hstore", why);
}

// The server keeps lengths in 31 bits (HS_ENDPOS); anything longer could not be stored.
std::int32_t checked_length(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    fail("a key or value is too long");
  }
  return static_cast<std::int32_t>(n);
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Reads hstore_in's words: quoted ("..." with \-escapes) or bare (up to whitespace or a
// delimiter, \-escapes allowed too).
class TextReader {
 public:
  explicit TextReader(std::string_view text) noexcept : s_(text) {}

  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_]))
      ++pos_;
  }
  bool at_end() const noexcept { return pos_ == s_.size(); }
  char peek() const noexcept { return s_[pos_]; }
  void expect(std::string_view token) {
    if (s_.substr(pos_, token.size()) != token) {
      fail("expected \"" + std::string(token) + "\" at offset " + std::to_string(pos_));
    }
    pos_ += token.size();
  }
  void advance() noexcept { ++pos_; }

  // A word. `quoted` tells whether it was in quotes (a bare NULL is SQL NULL, "NULL" is not).
  // A bare key ends at '=' (of "=>"), a bare value at ','.
  std::string word(bool& quoted, char delimiter) {
    std::string out;
    quoted = pos_ < s_.size() && s_[pos_] == '"';
    if (quoted) {
      ++pos_;
      while (true) {
        if (pos_ >= s_.size()) fail("unterminated quoted string");
        const char c = s_[pos_++];
        if (c == '"') return out;
        if (c == '\\') {
          if (pos_ >= s_.size()) fail("unterminated quoted string");
          out += s_[pos_++];
        } else {
          out += c;
        }
      }
    }
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (is_space(c) || c == delimiter) break;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) fail("a backslash ends the text");
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      out += c;
      ++pos_;
    }
    if (out.empty()) fail("expected a key or value at offset " + std::to_string(pos_));
    return out;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

bool is_null_word(std::string_view w) {
  if (w.size() != 4) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    const char c = static_cast<char>(w[i] | 0x20);  // ASCII lower case
    if (c != "null"[i]) return false;
  }
  return true;
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

namespace hstore {

void encode_binary(const Hstore& value, ByteWriter& out) {
  out.i32(checked_length(value.size()));
  for (const auto& [key, val] : value) {
    out.i32(checked_length(key.size()));
    out.raw(key);
    if (val) {
      out.i32(checked_length(val->size()));
      out.raw(*val);
    } else {
      out.i32(-1);
    }
  }
}

Hstore decode_binary(Bytes data) {
  protocol::ByteReader r(data, "hstore");
  Hstore out;
  try {
    const std::int32_t count = r.i32();
    if (count < 0) fail("negative pair count");
    // Each pair takes at least 8 bytes: a count larger than that is corrupt, not a reason to
    // loop for long.
    if (static_cast<std::size_t>(count) > r.remaining() / 8) fail("pair count exceeds the data");
    for (std::int32_t i = 0; i < count; ++i) {
      const std::int32_t key_len = r.i32();
      if (key_len < 0) fail("NULL key");
      std::string key(protocol::as_chars(r.bytes(static_cast<std::size_t>(key_len))));
      const std::int32_t val_len = r.i32();
      std::optional<std::string> val;
      if (val_len >= 0) {
        val.emplace(protocol::as_chars(r.bytes(static_cast<std::size_t>(val_len))));
      } else if (val_len != -1) {
        fail("negative value length");
      }
      out.emplace(std::move(key), std::move(val));  // a repeated key keeps its first value
    }
  } catch (const protocol::ProtocolError&) {
    fail("truncated");
  }
  if (!r.done()) fail("trailing bytes");
  return out;
}

Hstore parse_text(std::string_view text) {
  Hstore out;
  TextReader r(text);
  r.skip_space();
  while (!r.at_end()) {
    bool quoted = false;
    std::string key = r.word(quoted, '=');
    r.skip_space();
    r.expect("=>");
    r.skip_space();
    if (r.at_end()) fail("a key has no value");
    std::string val = r.word(quoted, ',');
    if (!quoted && is_null_word(val)) {
      out.emplace(std::move(key), std::nullopt);
    } else {
      out.emplace(std::move(key), std::move(val));
    }
    r.skip_space();
    if (r.at_end()) break;
    r.expect(",");
    r.skip_space();  // a trailing comma is fine, as for the server
  }
  return out;
}

std::string to_text(const Hstore& value) {
  // hstore_out prints the pairs in the order hstore keeps them: shorter keys first, then by
  // their bytes (hstoreUniquePairs' comparison), not std::map's lexicographic order.
  std::vector<const Hstore::value_type*> pairs;
  pairs.reserve(value.size());
  for (const auto& pair : value)
    pairs.push_back(&pair);
  std::sort(pairs.begin(), pairs.end(), [](const auto* a, const auto* b) {
    return a->first.size() != b->first.size() ? a->first.size() < b->first.size()
                                              : a->first < b->first;
  });
  std::string out;
  for (const auto* pair : pairs) {
    const auto& [key, val] = *pair;
    if (!out.empty()) out += ", ";
    append_quoted(out, key);
    out += "=>";
    if (val) {
      append_quoted(out, *val);
    } else {
      out += "NULL";
    }
  }
  return out;
}

}  // namespace hstore

bool Type<Hstore>::accepts(Oid type) noexcept {
  return type >= kFirstNormalObjectId || type == oid::kText || type == oid::kVarchar ||
         type == oid::kBpchar || type == oid::kUnknown;
}

void Type<Hstore>::encode(const Hstore& value, ByteWriter& out) {
  hstore::encode_binary(value, out);
}

Hstore Type<Hstore>::decode(Oid type, Format format, Bytes data) {
  // Text columns always hold the text form, whatever the result format.
  if (format == Format::kText || type < kFirstNormalObjectId) {
    return hstore::parse_text(protocol::as_chars(data));
  }
  return hstore::decode_binary(data);
}

}  // namespace tern::pg
