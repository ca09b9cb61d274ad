// Helpers shared by the MySQL codec unit tests: hex fixtures and byte views.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"

namespace tern::mysql::testing {

/// "0a 35 2e" -> the bytes 0x0a 0x35 0x2e (spaces and newlines ignored).
inline std::string hex(std::string_view h) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  std::string out;
  int pending = -1;
  for (char c : h) {
    if (c == ' ' || c == '\n') continue;
    if (pending < 0) {
      pending = digit(c);
    } else {
      out.push_back(static_cast<char>(pending * 16 + digit(c)));
      pending = -1;
    }
  }
  EXPECT_EQ(pending, -1) << "odd number of hex digits";
  return out;
}

/// The bytes as lower-case hex without spaces.
inline std::string to_hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}
/// The bytes as lower-case hex without spaces.
inline std::string to_hex(protocol::Bytes b) {
  return to_hex(protocol::as_chars(b));
}

/// A view of a string's bytes.
inline protocol::Bytes B(const std::string& s) {
  return protocol::as_bytes(s);
}

/// Prepends a packet header (3-byte length, sequence id) to a payload under 16 MiB.
inline std::string packet(std::uint8_t seq, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(payload.size() & 0xff));
  out.push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  out.push_back(static_cast<char>((payload.size() >> 16) & 0xff));
  out.push_back(static_cast<char>(seq));
  out.append(payload);
  return out;
}

}  // namespace tern::mysql::testing
