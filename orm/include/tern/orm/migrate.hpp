// Schema migrations in the spirit of peewee's playhouse.migrate: a Migrator builds operations
// (add/drop/rename a column, add/drop NOT NULL, change a column's type or default, rename a
// table, add/drop an index) in its database's dialect, and runs them in order:
//
//   tern::Migrator m(db);
//   // Built outside the co_await: GCC 12 mishandles braced temporaries inside one.
//   auto note = m.add_column("item", "note", tern::CharField{.max_length = 40, .null = true});
//   auto index = m.add_index("item", {"name"});
//   co_await m.aio_migrate(note, m.rename_column("item", "title", "name"), index);
//   m.migrate(...);   // the same, sync (allow_sync)
//
// PostgreSQL and SQLite run all the operations of one aio_migrate in one transaction: all or
// nothing. MySQL/MariaDB commit each DDL statement on their own (and commit an open transaction
// first), so there a failing operation leaves the ones before it in effect: MigrationError says
// which.
#pragma once

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/db/database.hpp"
#include "tern/db/value.hpp"
#include "tern/orm/ast.hpp"
#include "tern/orm/field.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/task.hpp"

namespace tern {

/// One operation of a migration, built by a Migrator for its database's dialect.
class MigrationOperation {
 public:
  /// What the operation does, for messages: "add_column item.note".
  const std::string& description() const noexcept { return description_; }
  /// The statements it runs, in order (a dry run). Empty for MySQL/MariaDB's add_not_null and
  /// drop_not_null, whose ALTER TABLE ... MODIFY repeats the column's current definition, read
  /// from the server when the operation runs (Migrator::aio_sql shows it).
  const std::vector<std::string>& sql() const noexcept { return statements_; }

 private:
  friend class Migrator;
  std::string description_;
  std::vector<std::string> statements_;
  // MySQL's add_not_null / drop_not_null: the column whose definition is read when run, and
  // the nullability to give it.
  std::string table_;
  std::string column_;
  bool lookup_ = false;
  bool null_ = false;
};

/// A migration failed. PostgreSQL and SQLite: the transaction was rolled back and no operation
/// took effect. MySQL/MariaDB: the operations before the failing one took effect (their DDL
/// committed itself) and stay: applied() lists them, what() says so.
class MigrationError : public Error {
 public:
  /// A failure of operation `failed` (0-based) after `applied` took effect, caused by `cause`.
  MigrationError(const std::string& what, std::size_t failed, std::vector<std::string> applied,
                 std::exception_ptr cause)
      : Error(what), failed_(failed), applied_(std::move(applied)), cause_(std::move(cause)) {}
  /// The index of the operation that failed.
  std::size_t failed_index() const noexcept { return failed_; }
  /// The descriptions of the operations that took effect and stay (always empty on
  /// PostgreSQL and SQLite).
  const std::vector<std::string>& applied() const noexcept { return applied_; }
  /// The error the failing operation threw (rethrow it to catch it by its class).
  const std::exception_ptr& cause() const noexcept { return cause_; }

 private:
  std::size_t failed_;
  std::vector<std::string> applied_;
  std::exception_ptr cause_;
};

/// Builds and runs schema changes on a database, in its dialect (peewee's SchemaMigrator,
/// PostgresqlMigrator, MySQLMigrator and SqliteMigrator in one). Identifiers are quoted;
/// defaults are written as CREATE TABLE writes them. SQLite's ALTER TABLE can add, drop and
/// rename columns and rename tables only: the NOT NULL, type and default changes throw
/// NotSupportedError there (they need the table rebuilt, which the Migrator does not do).
class Migrator {
 public:
  /// A migrator for `db` (which must outlive it), in db's dialect.
  explicit Migrator(AioDatabase& db) noexcept : db_(db) {}

  /// ALTER TABLE ADD COLUMN: `column` described by a field type as models declare it
  /// (`tern::IntegerField{.default_value = 0}`), plus its index when the field asks for one
  /// (`.index`, a ForeignKeyField). A NOT NULL column needs a default when the table has rows.
  template <class Spec>
  MigrationOperation add_column(std::string_view table, std::string_view column,
                                const Spec& field) const {
    const bool index = orm::detail::HasTarget<Spec> || field.index;  // as make_field
    return add_column(table, orm::detail::make_column(column, field), index);
  }
  /// add_column from a column description; `index`: CREATE INDEX table_column as well.
  MigrationOperation add_column(std::string_view table, const orm::ast::ColumnDef& column,
                                bool index = false) const;
  /// ALTER TABLE DROP COLUMN (PostgreSQL: CASCADE when `cascade`, as peewee, dropping what
  /// depends on the column).
  MigrationOperation drop_column(std::string_view table, std::string_view column,
                                 bool cascade = true) const;
  /// ALTER TABLE RENAME COLUMN old TO new.
  MigrationOperation rename_column(std::string_view table, std::string_view old_name,
                                   std::string_view new_name) const;
  /// Makes a column NOT NULL (fails when it holds NULLs).
  MigrationOperation add_not_null(std::string_view table, std::string_view column) const;
  /// Lets a column hold NULL.
  MigrationOperation drop_not_null(std::string_view table, std::string_view column) const;
  /// Changes a column's type to the field's (PostgreSQL: ALTER COLUMN TYPE, `using_expr` being
  /// its USING expression, SQL from the program; MySQL: MODIFY with the whole field, its
  /// nullability and default included).
  template <class Spec>
  MigrationOperation alter_column_type(std::string_view table, std::string_view column,
                                       const Spec& field, std::string_view using_expr = {}) const {
    return alter_column_type(table, orm::detail::make_column(column, field), using_expr);
  }
  /// alter_column_type from a column description (its name is the column's).
  MigrationOperation alter_column_type(std::string_view table, const orm::ast::ColumnDef& column,
                                       std::string_view using_expr = {}) const;
  /// ALTER COLUMN SET DEFAULT: the value as CREATE TABLE writes a default.
  MigrationOperation add_column_default(std::string_view table, std::string_view column,
                                        const Value& value) const;
  /// ALTER COLUMN DROP DEFAULT.
  MigrationOperation drop_column_default(std::string_view table, std::string_view column) const;
  /// ALTER TABLE old RENAME TO new.
  MigrationOperation rename_table(std::string_view old_name, std::string_view new_name) const;
  /// CREATE [UNIQUE] INDEX over `columns`; named table_col1_col2 unless `name` is given.
  MigrationOperation add_index(std::string_view table, std::vector<std::string> columns,
                               bool unique = false, std::string_view name = {}) const;
  /// DROP INDEX (MySQL/MariaDB: DROP INDEX name ON table).
  MigrationOperation drop_index(std::string_view table, std::string_view name) const;

  /// Runs `operations` in order (peewee's migrate(...)): in one transaction on PostgreSQL and
  /// SQLite; on MySQL/MariaDB each commits itself. Throws MigrationError naming the failing
  /// operation and those that took effect.
  ring::Task<void> aio_migrate(std::vector<MigrationOperation> operations) const;
  /// The same with the operations as arguments: `aio_migrate(m.add_column(...), ...)`.
  template <class... Ops>
  requires(sizeof...(Ops) > 0 && (std::is_same_v<std::decay_t<Ops>, MigrationOperation> &&
                                  ...)) ring::Task<void> aio_migrate(Ops&&... operations)
  const { return aio_migrate(as_vector(std::forward<Ops>(operations)...)); }
  /// aio_migrate, synchronously (AioDatabase::run_sync: allowed only under allow_sync).
  template <class... Ops>
  requires(sizeof...(Ops) > 0 && (std::is_same_v<std::decay_t<Ops>, MigrationOperation> &&
                                  ...)) void migrate(Ops&&... operations) const {
    db_.run_sync(aio_migrate(as_vector(std::forward<Ops>(operations)...)));
  }
  /// migrate() of a vector of operations.
  void migrate(std::vector<MigrationOperation> operations) const {
    db_.run_sync(aio_migrate(std::move(operations)));
  }

  /// The statements `operation` would run now, without running them (MySQL's add_not_null
  /// and drop_not_null read the column's definition from the server).
  ring::Task<std::vector<std::string>> aio_sql(MigrationOperation operation) const;

 private:
  template <class... Ops>
  static std::vector<MigrationOperation> as_vector(Ops&&... operations) {
    std::vector<MigrationOperation> v;
    v.reserve(sizeof...(Ops));
    (v.push_back(std::forward<Ops>(operations)), ...);
    return v;
  }
  // An operation of one statement.
  MigrationOperation make(std::string description, std::string statement) const;
  // "ALTER TABLE <table> ".
  std::string alter_table(std::string_view table) const;
  // add_not_null / drop_not_null.
  MigrationOperation set_null(std::string_view what, std::string_view table,
                              std::string_view column, bool null) const;
  // NotSupportedError on SQLite, whose ALTER TABLE cannot `what`.
  void sqlite_cannot(std::string_view what) const;
  // Runs the operations one after another; MigrationError when one fails.
  ring::Task<void> run_each(std::vector<MigrationOperation> operations) const;

  AioDatabase& db_;
};

}  // namespace tern
