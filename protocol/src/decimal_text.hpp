// Reading integer and float text, and an exact decimal's text as an integer: SUM() of integer
// columns comes back as NUMERIC (PostgreSQL) or DECIMAL (MySQL), and callers rightly expect to read
// it as int64.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "tern/protocol/exceptions.hpp"

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

/// Parses whole decimal integer text ("-123") as I; throws TypeError naming `type_name` when
/// it is out of I's range or not plain integer text.
template <class I>
I parse_integer_text(const char* type_name, std::string_view text) {
  I v{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range) throw_type_error(type_name, "out of range");
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw_type_error(type_name,
                     "malformed integer text \"" + std::string(text.substr(0, 40)) + "\"");
  }
  return v;
}

/// Parses float text ("1.5", "-2e-07") as F; throws TypeError naming `type_name` when it is
/// out of F's range or not plain float text (NaN and infinities are the caller's to spell).
template <class F>
F parse_float_text(const char* type_name, std::string_view text) {
  F v{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) throw_type_error(type_name, "out of range");
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw_type_error(type_name, "malformed float text \"" + std::string(text.substr(0, 40)) + "\"");
  }
  return v;
}

}  // namespace tern::protocol
