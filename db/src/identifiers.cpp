// Quoting identifiers for the statements the database layer writes itself (aio_copy_in).
#include "identifiers.hpp"

#include "tern/protocol/exceptions.hpp"

namespace tern::detail {

std::string quote_identifier(std::string_view name, Dialect dialect) {
  if (name.empty()) throw InterfaceError("an empty table or column name");
  if (name.find('\0') != std::string_view::npos) {
    throw InterfaceError("a table or column name holds a NUL byte");
  }
  const char quote = dialect == Dialect::kMysql ? '`' : '"';
  std::string out;
  out.reserve(name.size() + 2);
  out += quote;
  for (const char c : name) {
    if (c == quote) out += quote;  // doubled: the name stays one identifier
    out += c;
  }
  out += quote;
  return out;
}

std::string quote_identifiers(std::span<const std::string> names, Dialect dialect) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_identifier(names[i], dialect);
  }
  return out;
}

}  // namespace tern::detail
