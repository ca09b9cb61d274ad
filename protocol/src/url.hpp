// Internal: the pieces of URL parsing both connection-string parsers share.
#pragma once

#include <string>
#include <string_view>

#include "tern/protocol/errors.hpp"

namespace tern::protocol {

/// Decodes %XX escapes of a URL component. A bad escape throws InterfaceError(`error_prefix` +
/// "bad percent escape in the " + `what`): the component's text is never shown, since it may
/// be a password.
inline std::string percent_decode(std::string_view s, const char* what, const char* error_prefix) {
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
    const int lo = hi >= 0 ? hex(s[i + 2]) : -1;
    if (lo < 0) {
      throw InterfaceError(std::string(error_prefix) + "bad percent escape in the " + what);
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace tern::protocol
