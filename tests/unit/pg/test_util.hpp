// Helpers shared by the PostgreSQL codec unit tests: big-endian integers and backend messages,
// written independently of the library's ByteWriter.
#pragma once

#include <cstdint>
#include <string>

namespace tern::pg::testing {

/// `v` as 4 big-endian bytes.
inline std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

/// A whole backend message: type byte, length (body + 4), body.
inline std::string msg(char type, const std::string& body) {
  return std::string(1, type) + be32(static_cast<std::uint32_t>(body.size() + 4)) + body;
}

}  // namespace tern::pg::testing
