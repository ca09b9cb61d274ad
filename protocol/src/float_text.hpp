// Float text for the servers' output forms (pg::to_text, mysql::to_text): the digits and
// exponent of a value as std::to_chars writes it in scientific form, which both backends then
// lay out in their own notation.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

namespace tern::protocol {

/// A finite value's significant digits (without a point, trailing zeros removed, at least one
/// digit) and decimal exponent: "-1.250e-07" gives {"125", -7}. The sign is the caller's.
struct ScientificDigits {
  std::string digits;
  int exponent = 0;
};

/// Splits to_chars' scientific text ("-d.ddde-XX") into digits and exponent.
inline ScientificDigits split_scientific(std::string_view sci) {
  if (!sci.empty() && sci.front() == '-') sci.remove_prefix(1);
  const std::size_t e = sci.find('e');
  ScientificDigits out;
  for (char c : sci.substr(0, e))
    if (c != '.') out.digits += c;
  while (out.digits.size() > 1 && out.digits.back() == '0')
    out.digits.pop_back();
  if (e != std::string_view::npos) {
    const char* first = sci.data() + e + 1;
    if (first < sci.data() + sci.size() && *first == '+') ++first;
    std::from_chars(first, sci.data() + sci.size(), out.exponent);
  }
  return out;
}

}  // namespace tern::protocol
