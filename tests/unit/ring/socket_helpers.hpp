// What the socket tests share: a string's bytes, and a read of exactly n bytes.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "tern/ring/loop.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring::testing {

inline std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s));
}

// Receives exactly n bytes (or fewer at end of stream).
inline Task<std::string> recv_exactly(Socket& s, std::size_t n, Deadline deadline = kNoDeadline) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const std::size_t k =
        co_await s.recv(std::as_writable_bytes(std::span(out.data() + got, n - got)), deadline);
    if (k == 0) break;
    got += k;
  }
  out.resize(got);
  co_return out;
}

}  // namespace tern::ring::testing
