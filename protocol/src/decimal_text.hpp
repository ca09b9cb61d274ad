// Reading an exact decimal's text as an integer: SUM() of integer columns comes back as
// NUMERIC (PostgreSQL) or DECIMAL (MySQL), and callers rightly expect to read it as int64.
#pragma once

#include <optional>
#include <string_view>

namespace tern::protocol {

/// The integer part of decimal text ("-12" of "-12.000") when its fraction is all zeros;
/// nullopt when the value has a non-zero fraction (or is not plain decimal text).
inline std::optional<std::string_view> integral_decimal(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return text;
  for (const char c : text.substr(dot + 1)) {
    if (c != '0') return std::nullopt;
  }
  return text.substr(0, dot);
}

}  // namespace tern::protocol
