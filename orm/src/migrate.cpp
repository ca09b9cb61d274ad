// The Migrator: each operation's ALTER TABLE / CREATE INDEX / DROP INDEX in the database's
// dialect, and running a list of them (one transaction where the server's DDL is
// transactional, one statement after another where it commits itself).
#include "tern/orm/migrate.hpp"

#include <iterator>
#include <optional>
#include <vector>

#include "tern/orm/compiler.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern {
namespace {

std::string describe(std::string_view what, std::string_view table, std::string_view column) {
  std::string d(what);
  d += ' ';
  d += table;
  if (!column.empty()) {
    d += '.';
    d += column;
  }
  return d;
}

// A collation name from information_schema goes into the text unquoted: letters, digits, _.
bool plain_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// MySQL/MariaDB have no ALTER COLUMN SET/DROP NOT NULL: MODIFY restates the whole column. It is
// rebuilt from information_schema (type, default, collation, auto_increment, ON UPDATE,
// comment) with the nullability changed.
ring::Task<std::string> mysql_modify_null(AioDatabase& db, std::string table, std::string column,
                                          bool null) {
  const ResultSet rows = co_await db.aio_execute(
      "SELECT COLUMN_TYPE, COLUMN_DEFAULT, COLLATION_NAME, EXTRA, COLUMN_COMMENT, "
      "VERSION() LIKE '%MariaDB%' FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
      table, column);
  if (rows.empty()) {
    throw ProgrammingError("Migrator: no column " + column + " in table " + table);
  }
  const Row row = rows[0];
  const auto type = row.get<std::string>(0);
  const auto default_value = row.get<std::optional<std::string>>(1);
  const auto collation = row.get<std::optional<std::string>>(2);
  const auto extra = row.get<std::string>(3);
  const auto comment = row.get<std::string>(4);
  const bool mariadb = row.get<std::int64_t>(5) != 0;
  if (extra.find("VIRTUAL GENERATED") != std::string::npos ||
      extra.find("STORED GENERATED") != std::string::npos) {
    throw NotSupportedError("Migrator: column " + column + " of " + table +
                            " is a generated column (" + extra + ")");
  }
  std::string sql = "ALTER TABLE " + orm::quote_identifier(table, Dialect::kMysql) + " MODIFY " +
                    orm::quote_identifier(column, Dialect::kMysql) + ' ' + type;
  if (collation && plain_name(*collation)) sql += " COLLATE " + *collation;
  sql += null ? " NULL" : " NOT NULL";
  // MariaDB (10.2.7+) gives the default as an SQL expression (a quoted literal, NULL, a
  // function); MySQL 8 gives a literal's bare value, or an expression flagged
  // DEFAULT_GENERATED in EXTRA.
  if (default_value && !(mariadb && *default_value == "NULL")) {
    sql += " DEFAULT ";
    if (mariadb) {
      sql += *default_value;
    } else if (extra.find("DEFAULT_GENERATED") != std::string::npos) {
      sql += '(' + *default_value + ')';
    } else {
      sql += orm::compile_literal(Value(*default_value), Dialect::kMysql);
    }
  }
  std::string lower = extra;
  for (char& c : lower)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  if (lower.find("auto_increment") != std::string::npos) sql += " AUTO_INCREMENT";
  if (const auto on_update = lower.find("on update "); on_update != std::string::npos) {
    sql += ' ';
    sql += extra.substr(on_update);
  }
  if (!comment.empty()) sql += " COMMENT " + orm::compile_literal(Value(comment), Dialect::kMysql);
  co_return sql;
}

}  // namespace

MigrationOperation Migrator::make(std::string description, std::string statement) const {
  MigrationOperation op;
  op.description_ = std::move(description);
  op.statements_.push_back(std::move(statement));
  return op;
}

void Migrator::sqlite_cannot(std::string_view what) const {
  if (db_.dialect() != Dialect::kSqlite) return;
  throw NotSupportedError("Migrator: SQLite's ALTER TABLE cannot " + std::string(what) +
                          ": it needs the table rebuilt (create a new one, copy the rows, drop, "
                          "rename), which the Migrator does not do");
}

std::string Migrator::alter_table(std::string_view table) const {
  return "ALTER TABLE " + orm::quote_identifier(table, db_.dialect()) + ' ';
}

MigrationOperation Migrator::add_column(std::string_view table, const orm::ast::ColumnDef& column,
                                        bool index) const {
  MigrationOperation op = make(describe("add_column", table, column.name),
                               orm::compile_add_column(table, column, db_.dialect()));
  // A PostgreSQL enum column's type first (made when missing, as create_table makes it).
  std::vector<std::string> types = orm::compile_create_types(column, db_.dialect());
  op.statements_.insert(op.statements_.begin(), std::make_move_iterator(types.begin()),
                        std::make_move_iterator(types.end()));
  if (index) {
    op.statements_.push_back(orm::compile_create_index(
        table, orm::ast::IndexDef{.columns = {column.name}}, db_.dialect(), false));
  }
  return op;
}

MigrationOperation Migrator::drop_column(std::string_view table, std::string_view column,
                                         bool cascade) const {
  std::string sql =
      alter_table(table) + "DROP COLUMN " + orm::quote_identifier(column, db_.dialect());
  if (cascade && db_.dialect() == Dialect::kPostgres) sql += " CASCADE";
  return make(describe("drop_column", table, column), std::move(sql));
}

MigrationOperation Migrator::rename_column(std::string_view table, std::string_view old_name,
                                           std::string_view new_name) const {
  return make(describe("rename_column", table, old_name),
              alter_table(table) + "RENAME COLUMN " +
                  orm::quote_identifier(old_name, db_.dialect()) + " TO " +
                  orm::quote_identifier(new_name, db_.dialect()));
}

MigrationOperation Migrator::set_null(std::string_view what, std::string_view table,
                                      std::string_view column, bool null) const {
  sqlite_cannot("change a column's NOT NULL");
  if (db_.dialect() == Dialect::kMysql) {
    MigrationOperation op;
    op.description_ = describe(what, table, column);
    op.table_ = table;
    op.column_ = column;
    op.lookup_ = true;
    op.null_ = null;
    return op;
  }
  return make(describe(what, table, column), alter_table(table) + "ALTER COLUMN " +
                                                 orm::quote_identifier(column, db_.dialect()) +
                                                 (null ? " DROP NOT NULL" : " SET NOT NULL"));
}

MigrationOperation Migrator::add_not_null(std::string_view table, std::string_view column) const {
  return set_null("add_not_null", table, column, false);
}

MigrationOperation Migrator::drop_not_null(std::string_view table, std::string_view column) const {
  return set_null("drop_not_null", table, column, true);
}

MigrationOperation Migrator::alter_column_type(std::string_view table,
                                               const orm::ast::ColumnDef& column,
                                               std::string_view using_expr) const {
  sqlite_cannot("change a column's type");
  std::string sql = alter_table(table);
  if (db_.dialect() == Dialect::kMysql) {
    if (!using_expr.empty()) {
      throw NotSupportedError("Migrator: alter_column_type's USING expression is PostgreSQL's");
    }
    sql += "MODIFY " + orm::compile_column_definition(column, Dialect::kMysql);
  } else {
    sql += "ALTER COLUMN " + orm::quote_identifier(column.name, db_.dialect()) + " TYPE " +
           orm::compile_column_type(column, db_.dialect());
    if (!using_expr.empty()) {
      sql += " USING ";
      sql += using_expr;
    }
  }
  return make(describe("alter_column_type", table, column.name), std::move(sql));
}

MigrationOperation Migrator::add_column_default(std::string_view table, std::string_view column,
                                                const Value& value) const {
  sqlite_cannot("change a column's default");
  return make(describe("add_column_default", table, column),
              alter_table(table) + "ALTER COLUMN " + orm::quote_identifier(column, db_.dialect()) +
                  " SET DEFAULT " + orm::compile_literal(value, db_.dialect()));
}

MigrationOperation Migrator::drop_column_default(std::string_view table,
                                                 std::string_view column) const {
  sqlite_cannot("change a column's default");
  return make(describe("drop_column_default", table, column),
              alter_table(table) + "ALTER COLUMN " + orm::quote_identifier(column, db_.dialect()) +
                  " DROP DEFAULT");
}

MigrationOperation Migrator::rename_table(std::string_view old_name,
                                          std::string_view new_name) const {
  return make(
      describe("rename_table", old_name, {}),
      alter_table(old_name) + "RENAME TO " + orm::quote_identifier(new_name, db_.dialect()));
}

MigrationOperation Migrator::add_index(std::string_view table, std::vector<std::string> columns,
                                       bool unique, std::string_view name) const {
  const orm::ast::IndexDef index{
      .name = std::string(name), .columns = std::move(columns), .unique = unique};
  return make(describe("add_index", table, name),
              orm::compile_create_index(table, index, db_.dialect(), false));
}

MigrationOperation Migrator::drop_index(std::string_view table, std::string_view name) const {
  std::string sql = "DROP INDEX " + orm::quote_identifier(name, db_.dialect());
  if (db_.dialect() == Dialect::kMysql)
    sql += " ON " + orm::quote_identifier(table, Dialect::kMysql);
  return make(describe("drop_index", table, name), std::move(sql));
}

ring::Task<std::vector<std::string>> Migrator::aio_sql(MigrationOperation operation) const {
  if (!operation.lookup_) co_return std::move(operation.statements_);
  std::vector<std::string> out;
  out.push_back(
      co_await mysql_modify_null(db_, operation.table_, operation.column_, operation.null_));
  co_return out;
}

ring::Task<void> Migrator::run_each(std::vector<MigrationOperation> operations) const {
  std::size_t done = 0;
  try {
    for (; done < operations.size(); ++done) {
      const std::vector<std::string> statements = co_await aio_sql(operations[done]);
      for (const std::string& sql : statements) {
        co_await db_.aio_execute(sql);
      }
    }
  } catch (const std::exception& e) {
    // Fall through with `done` the failing operation.
    std::vector<std::string> applied;
    const bool transactional = db_.dialect() != Dialect::kMysql;
    if (!transactional) {
      for (std::size_t i = 0; i < done; ++i)
        applied.push_back(operations[i].description());
    }
    std::string what = "Migrator: operation " + std::to_string(done + 1) + " of " +
                       std::to_string(operations.size()) + " (" + operations[done].description() +
                       ") failed: " + e.what();
    if (transactional) {
      what += "; the migration was rolled back, no operation took effect";
    } else if (applied.empty()) {
      what += "; no operation took effect";
    } else {
      what += "; MySQL/MariaDB commit each DDL statement, so these took effect and stay: ";
      for (std::size_t i = 0; i < applied.size(); ++i) {
        if (i > 0) what += ", ";
        what += applied[i];
      }
    }
    throw MigrationError(what, done, std::move(applied), std::current_exception());
  }
}

ring::Task<void> Migrator::aio_migrate(std::vector<MigrationOperation> operations) const {
  if (db_.dialect() == Dialect::kMysql) {
    // The server would commit the open transaction before the first statement: the caller's
    // block could no longer roll back what it did.
    if (co_await db_.aio_in_transaction()) {
      throw InterfaceError(
          "Migrator: MySQL/MariaDB commit an open transaction before any DDL statement; run "
          "aio_migrate outside aio_atomic / aio_transaction, whose work it would commit");
    }
    co_await run_each(std::move(operations));
    co_return;
  }
  // PostgreSQL and SQLite: DDL is transactional, so the whole migration is one transaction.
  co_await db_.aio_atomic([&]() -> ring::Task<void> { co_await run_each(std::move(operations)); });
}

}  // namespace tern
