// The non-template parts of enum mapping (enum.hpp): its errors and the SET text splitter.
#include "tern/db/enum.hpp"

#include <string>

#include "tern/protocol/exceptions.hpp"

namespace tern::detail {

void throw_unknown_label(std::string_view enum_name, std::string_view label) {
  // The label came from the server: escaped and cut short, so that a message stays readable.
  constexpr std::size_t kMaxShown = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string message = "unknown label '";
  for (const char c : label.substr(0, kMaxShown)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      message += "\\n";
    } else if (c == '\\' || c == '\'') {
      message += '\\';
      message += c;
    } else if (u < 0x20 || u == 0x7f) {
      message += "\\x";
      message += kHex[u >> 4];
      message += kHex[u & 15];
    } else {
      message += c;  // printable ASCII and UTF-8 bytes as they are
    }
  }
  if (label.size() > kMaxShown) message += "...";
  message += "' for enum ";
  message += enum_name;
  throw TypeError(message);
}

void throw_unlabelled_value(std::string_view enum_name, long long value) {
  throw TypeError("value " + std::to_string(value) + " of enum " + std::string(enum_name) +
                  " has no label");
}

std::vector<std::string_view> split_set_text(std::string_view text) {
  std::vector<std::string_view> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

}  // namespace tern::detail
