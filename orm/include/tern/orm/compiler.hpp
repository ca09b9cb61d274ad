// The SQL compiler: query AST → SQL text + bound parameters for PostgreSQL or MySQL/MariaDB.
// Identifiers are always quoted, values always bound ($1.. / ?), never spliced into the text
// (DDL defaults, which cannot be bound, are written as safely quoted literals).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tern/db/backend.hpp"
#include "tern/orm/ast.hpp"

namespace tern::orm {

/// Compiles a SELECT/INSERT/UPDATE/DELETE/compound query. Throws NotSupportedError for what
/// the dialect lacks (e.g. FULL JOIN or UPDATE ... RETURNING on MySQL) and InterfaceError for
/// a malformed AST.
ast::Compiled compile(const ast::Query& query, Dialect dialect);

/// CREATE TABLE [IF NOT EXISTS] (`safe`), then one CREATE [UNIQUE] INDEX [IF NOT EXISTS] per
/// index.
std::vector<std::string> compile_create_table(const ast::TableDef& table, Dialect dialect,
                                              bool safe);

/// DROP TABLE [IF EXISTS] (`safe`) name [CASCADE (PostgreSQL, when `cascade`)].
std::string compile_drop_table(std::string_view table, Dialect dialect, bool safe,
                               bool cascade = false);

/// Quotes an identifier: "name" (PostgreSQL, with " doubled) or `name` (MySQL, ` doubled).
/// Throws InterfaceError for an empty name or one holding a NUL.
std::string quote_identifier(std::string_view name, Dialect dialect);

}  // namespace tern::orm
