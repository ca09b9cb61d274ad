// Internal: quoting a table or column name as one SQL identifier (the ORM's compiler has its
// own; the database layer cannot see it).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "tern/db/dialect.hpp"

namespace tern::detail {

/// `name` as one quoted identifier of `dialect`: "a""b" (PostgreSQL, SQLite), `a``b` (MySQL).
/// Throws InterfaceError for an empty name or one holding a NUL byte.
std::string quote_identifier(std::string_view name, Dialect dialect);

/// `names`, each quoted by quote_identifier, joined by ", " (a column list).
std::string quote_identifiers(std::span<const std::string> names, Dialect dialect);

}  // namespace tern::detail
