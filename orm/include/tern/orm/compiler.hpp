// The SQL compiler: query AST → SQL text + bound parameters for PostgreSQL or MySQL/MariaDB.
// Identifiers are always quoted, values always bound ($1.. / ?), never spliced into the text
// (DDL defaults, which cannot be bound, are written as safely quoted literals).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/db/dialect.hpp"
#include "tern/orm/ast.hpp"
#include "tern/ring/recycle.hpp"

namespace tern::orm {

/// Compiles a SELECT/INSERT/UPDATE/DELETE/compound query. Throws NotSupportedError for what
/// the dialect lacks (e.g. FULL JOIN or UPDATE ... RETURNING on MySQL) and InterfaceError for
/// a malformed AST.
ast::Compiled compile(const ast::Query& query, Dialect dialect);

/// The parameters of a cached statement, in a vector from the per-thread recycling allocator
/// (no heap traffic per query).
using BoundParams = std::vector<Value, ring::RecyclingAllocator<Value>>;

/// A query compiled through the statement cache: the SQL text (shared with the cache, and kept
/// alive by this object while the query runs) and this query's parameters.
struct CachedStatement {
  std::shared_ptr<const std::string> sql;  ///< The SQL text, shared with the cache.
  BoundParams params;                      ///< This query's values, in placeholder order.
  /// The query only reads (detail::is_read_only), decided once per shape too.
  bool read_only = false;
};

/// compile() through a per-thread cache of compiled query shapes: the text of a shape (the
/// AST without its parameter values) is built once, and later queries of the same shape only
/// gather their values. The same text and parameters as compile(), with the same errors.
/// Shapes whose text depends on a value (`x IS NULL` from a NULL parameter, JSON paths) are
/// compiled every time. Each thread keeps at most 512 shapes.
CachedStatement compile_cached(const ast::Query& query, Dialect dialect);

/// CREATE TABLE [IF NOT EXISTS] (`safe`), then one CREATE [UNIQUE] INDEX [IF NOT EXISTS] per
/// index; on PostgreSQL first one DO block per enum type its columns use, which creates the
/// type unless the database has it.
std::vector<std::string> compile_create_table(const ast::TableDef& table, Dialect dialect,
                                              bool safe);

/// CREATE [UNIQUE] INDEX [IF NOT EXISTS] (`safe`) on `table`; an index without a name is
/// named table_col1_col2.
std::string compile_create_index(std::string_view table, const ast::IndexDef& index,
                                 Dialect dialect, bool safe);

/// ALTER TABLE table ADD COLUMN, with the column written as CREATE TABLE writes it, and its
/// FOREIGN KEY when it references a table (SQLite: REFERENCES on the column).
std::string compile_add_column(std::string_view table, const ast::ColumnDef& column,
                               Dialect dialect);

/// What must exist before `column` can be created: on PostgreSQL, an enum column's type (the
/// DO block create_table runs, a no-op when the type exists); nothing elsewhere.
std::vector<std::string> compile_create_types(const ast::ColumnDef& column, Dialect dialect);

/// A column as CREATE TABLE writes it: name, type, NOT NULL, keys, DEFAULT, CHECK (MySQL's
/// ALTER TABLE ... MODIFY takes it whole).
std::string compile_column_definition(const ast::ColumnDef& column, Dialect dialect);

/// A column's type as CREATE TABLE writes it (VARCHAR(40), BIGINT...).
std::string compile_column_type(const ast::ColumnDef& column, Dialect dialect);

/// A value as a DDL literal, quoted as CREATE TABLE's DEFAULT values are.
std::string compile_literal(const Value& value, Dialect dialect);

/// DROP TABLE [IF EXISTS] (`safe`) name [CASCADE (PostgreSQL, when `cascade`)].
std::string compile_drop_table(std::string_view table, Dialect dialect, bool safe,
                               bool cascade = false);

/// Quotes an identifier: "name" (PostgreSQL, with " doubled) or `name` (MySQL, ` doubled).
/// Throws InterfaceError for an empty name or one holding a NUL.
std::string quote_identifier(std::string_view name, Dialect dialect);

}  // namespace tern::orm
