// The Migrator against real PostgreSQL and MariaDB, and SQLite: every operation changes the
// schema as it says (columns listed from the catalogue, NOT NULL / UNIQUE / defaults / types
// seen through inserts), a failing migration is all undone on PostgreSQL and SQLite and says
// what stays on MariaDB, and the sync twin runs only under allow_sync.
#include "tern/orm/migrate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "tern/db/enum.hpp"
#include "tern/orm/compiler.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

// An enum for a column added by a migration (TERN_ENUM is used at global scope).
enum class MigMood { calm, busy };
TERN_ENUM(MigMood, "tern_mig_mood", calm, busy)

namespace {

using tern::Dialect;
using tern::ring::Task;
using tern::testing::thrown;

class Migrate : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override { db = tern::testing::make_database(GetParam()); }
  void TearDown() override {
    // Last created first: a referencing table before the one it references.
    for (auto t = dropped.rbegin(); t != dropped.rend(); ++t)
      run(db->aio_execute(tern::orm::compile_drop_table(*t, GetParam(), true)));
    run(db->aio_close());
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  bool mysql() const { return GetParam() == Dialect::kMysql; }
  // The n-th placeholder.
  std::string ph(int n) const {
    return GetParam() == Dialect::kPostgres ? "$" + std::to_string(n) : "?";
  }
  // Creates table `name` (id, title VARCHAR(40) NOT NULL, qty INTEGER NULL), dropped at the end.
  void create(const std::string& name) {
    dropped.push_back(name);
    run(db->aio_execute(tern::orm::compile_drop_table(name, GetParam(), true)));
    const tern::orm::ast::TableDef table{
        .name = name,
        .columns = {tern::orm::detail::make_column("id", tern::AutoField{}),
                    tern::orm::detail::make_column("title", tern::CharField{.max_length = 40}),
                    tern::orm::detail::make_column("qty", tern::IntegerField{.null = true})}};
    for (const std::string& sql : tern::orm::compile_create_table(table, GetParam(), false))
      run(db->aio_execute(sql));
  }
  // The table's columns, in order, from the catalogue.
  std::vector<std::string> columns(const std::string& table) {
    const char* sql =
        GetParam() == Dialect::kPostgres
            ? "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 "
              "AND table_schema = current_schema() ORDER BY ordinal_position"
        : mysql() ? "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_NAME = ? "
                    "AND TABLE_SCHEMA = DATABASE() ORDER BY ORDINAL_POSITION"
                  : "SELECT name FROM pragma_table_info(?) ORDER BY cid";
    std::vector<std::string> out;
    for (const tern::Row& row : run(db->aio_execute(sql, table)))
      out.push_back(row.get<std::string>(0));
    return out;
  }
  // INSERT INTO table (title, <column>) VALUES (title, value).
  void insert(const std::string& table, const std::string& title, const std::string& column,
              tern::Value value) {
    run(db->aio_execute(
        "INSERT INTO " + table + " (title, " + column + ") VALUES (" + ph(1) + ", " + ph(2) + ")",
        title, std::move(value)));
  }
  void insert(const std::string& table, const std::string& title) {
    run(db->aio_execute("INSERT INTO " + table + " (title) VALUES (" + ph(1) + ")", title));
  }
  std::string text(const std::string& sql) {
    return run(db->aio_execute(sql))[0].get<std::string>(0);
  }

  static inline std::unique_ptr<tern::AioDatabase> db;
  tern::ring::Loop loop;
  std::vector<std::string> dropped;
};

TEST_P(Migrate, OperationsShowTheirSqlInTheDialect) {
  tern::Migrator m(*db);
  const auto add = m.add_column(
      "mig_sql", "note",
      tern::CharField{.max_length = 40, .null = true, .default_value = std::string("it's")});
  const auto rename = m.rename_column("mig_sql", "a", "b");
  const auto index = m.add_index("mig_sql", {"a", "b"}, true);
  const auto drop_index = m.drop_index("mig_sql", "mig_sql_a_b");
  switch (GetParam()) {
    case Dialect::kPostgres:
      EXPECT_EQ(add.sql(),
                std::vector<std::string>{
                    R"(ALTER TABLE "mig_sql" ADD COLUMN "note" VARCHAR(40) DEFAULT 'it''s')"});
      EXPECT_EQ(rename.sql()[0], R"(ALTER TABLE "mig_sql" RENAME COLUMN "a" TO "b")");
      EXPECT_EQ(index.sql()[0], R"(CREATE UNIQUE INDEX "mig_sql_a_b" ON "mig_sql" ("a", "b"))");
      EXPECT_EQ(drop_index.sql()[0], R"(DROP INDEX "mig_sql_a_b")");
      EXPECT_EQ(m.add_not_null("mig_sql", "a").sql()[0],
                R"(ALTER TABLE "mig_sql" ALTER COLUMN "a" SET NOT NULL)");
      EXPECT_EQ(m.alter_column_type("mig_sql", "a", tern::BigIntegerField{}, "a::bigint").sql()[0],
                R"(ALTER TABLE "mig_sql" ALTER COLUMN "a" TYPE BIGINT USING a::bigint)");
      break;
    case Dialect::kMysql:
      EXPECT_EQ(add.sql(),
                std::vector<std::string>{
                    "ALTER TABLE `mig_sql` ADD COLUMN `note` VARCHAR(40) DEFAULT 'it''s'"});
      EXPECT_EQ(rename.sql()[0], "ALTER TABLE `mig_sql` RENAME COLUMN `a` TO `b`");
      EXPECT_EQ(drop_index.sql()[0], "DROP INDEX `mig_sql_a_b` ON `mig_sql`");
      // MODIFY restates the column: read from the server when run.
      EXPECT_TRUE(m.add_not_null("mig_sql", "a").sql().empty());
      EXPECT_EQ(m.alter_column_type("mig_sql", "a", tern::BigIntegerField{}).sql()[0],
                "ALTER TABLE `mig_sql` MODIFY `a` BIGINT NOT NULL");
      EXPECT_TRUE(thrown<tern::NotSupportedError>(
          [&] { (void)m.alter_column_type("mig_sql", "a", tern::BigIntegerField{}, "a + 1"); }));
      break;
    case Dialect::kSqlite:
      EXPECT_EQ(add.sql()[0],
                R"(ALTER TABLE "mig_sql" ADD COLUMN "note" VARCHAR(40) DEFAULT 'it''s')");
      EXPECT_EQ(drop_index.sql()[0], R"(DROP INDEX "mig_sql_a_b")");
      for (const auto& why : {
               thrown<tern::NotSupportedError>([&] { (void)m.add_not_null("mig_sql", "a"); }),
               thrown<tern::NotSupportedError>([&] { (void)m.drop_not_null("mig_sql", "a"); }),
               thrown<tern::NotSupportedError>(
                   [&] { (void)m.alter_column_type("mig_sql", "a", tern::BigIntegerField{}); }),
               thrown<tern::NotSupportedError>(
                   [&] { (void)m.add_column_default("mig_sql", "a", tern::Value(1)); }),
               thrown<tern::NotSupportedError>(
                   [&] { (void)m.drop_column_default("mig_sql", "a"); }),
           }) {
        ASSERT_TRUE(why);
        EXPECT_NE(std::string(why->what()).find("table rebuilt"), std::string::npos) << why->what();
      }
      break;
  }
  // Identifiers are quoted, never spliced: a hostile name stays one identifier.
  const std::string hostile = m.rename_table("mig_sql", "x\" ; DROP TABLE y; --").sql()[0];
  EXPECT_EQ(hostile, "ALTER TABLE " + tern::orm::quote_identifier("mig_sql", GetParam()) +
                         " RENAME TO " +
                         tern::orm::quote_identifier("x\" ; DROP TABLE y; --", GetParam()));
}

TEST_P(Migrate, ColumnsAndIndexesAndTables) {
  create("mig_cols");
  insert("mig_cols", "old");
  tern::Migrator m(*db);
  run(m.aio_migrate(
      m.add_column("mig_cols", "note",
                   tern::CharField{.max_length = 20, .default_value = std::string("n/a")}),
      m.rename_column("mig_cols", "title", "name"),
      m.add_index("mig_cols", {"name"}, true, "mig_cols_name")));
  EXPECT_EQ(columns("mig_cols"), (std::vector<std::string>{"id", "name", "qty", "note"}));
  // The NOT NULL column with a default filled the existing row.
  EXPECT_EQ(text("SELECT note FROM mig_cols WHERE name = 'old'"), "n/a");
  // The unique index is in force, then gone.
  run(db->aio_execute("INSERT INTO mig_cols (name) VALUES ('dup')"));
  EXPECT_TRUE(thrown<tern::IntegrityError>(
      [&] { run(db->aio_execute("INSERT INTO mig_cols (name) VALUES ('dup')")); }));
  run(m.aio_migrate(m.drop_index("mig_cols", "mig_cols_name"), m.drop_column("mig_cols", "note")));
  run(db->aio_execute("INSERT INTO mig_cols (name) VALUES ('dup')"));
  EXPECT_EQ(columns("mig_cols"), (std::vector<std::string>{"id", "name", "qty"}));

  dropped.push_back("mig_cols_renamed");
  run(db->aio_execute(tern::orm::compile_drop_table("mig_cols_renamed", GetParam(), true)));
  run(m.aio_migrate(m.rename_table("mig_cols", "mig_cols_renamed")));
  EXPECT_EQ(columns("mig_cols"), std::vector<std::string>{});
  EXPECT_EQ(text("SELECT name FROM mig_cols_renamed WHERE id = 1"), "old");
}

// An enum column added by a migration: on PostgreSQL its type is made first, as create_table
// makes it, and left as it is when it exists.
TEST_P(Migrate, AddsAnEnumColumnWithItsType) {
  create("mig_enum");
  tern::Migrator m(*db);
  const auto add = m.add_column("mig_enum", "mood", tern::EnumField<MigMood>{.null = true});
  ASSERT_EQ(add.sql().size(), GetParam() == Dialect::kPostgres ? 2u : 1u);
  if (GetParam() == Dialect::kPostgres) {
    EXPECT_TRUE(add.sql()[0].starts_with("DO "));
  }
  run(m.aio_migrate(add));
  run(m.aio_migrate(m.add_column("mig_enum", "again", tern::EnumField<MigMood>{.null = true})));
  insert("mig_enum", "t", "mood", tern::Value(MigMood::busy));
  EXPECT_EQ(run(db->aio_execute("SELECT mood FROM mig_enum"))[0].get<MigMood>(0), MigMood::busy);
}

TEST_P(Migrate, AddedForeignKeyIsEnforcedAndIndexed) {
  create("mig_fk_parent");
  create("mig_fk_child");
  insert("mig_fk_parent", "p");
  tern::Migrator m(*db);
  const tern::orm::ast::ColumnDef parent{.name = "parent_id",
                                         .type = tern::orm::ast::ColumnType::kInteger,
                                         .null = true,
                                         .references_table = "mig_fk_parent",
                                         .references_column = "id",
                                         .on_delete = "CASCADE"};
  const auto add = m.add_column("mig_fk_child", parent, /*index=*/true);
  ASSERT_EQ(add.sql().size(), 2u);
  EXPECT_EQ(add.sql()[1], "CREATE INDEX " +
                              tern::orm::quote_identifier("mig_fk_child_parent_id", GetParam()) +
                              " ON " + tern::orm::quote_identifier("mig_fk_child", GetParam()) +
                              " (" + tern::orm::quote_identifier("parent_id", GetParam()) + ")");
  run(m.aio_migrate(add));
  insert("mig_fk_child", "ok", "parent_id", tern::Value(1));
  EXPECT_TRUE(thrown<tern::IntegrityError>(
      [&] { insert("mig_fk_child", "orphan", "parent_id", tern::Value(999)); }));
  // The index exists: dropping it by its name works (MariaDB refuses: the foreign key needs it).
  if (!mysql()) run(m.aio_migrate(m.drop_index("mig_fk_child", "mig_fk_child_parent_id")));
}

// SQLite's ALTER TABLE changes no NOT NULL, type or default: OperationsShowTheirSqlInTheDialect
// checks the NotSupportedError it gets instead.
class MigrateServer : public Migrate {};

TEST_P(MigrateServer, NotNullTypeAndDefault) {
  create("mig_types");
  tern::Migrator m(*db);
  // The default must survive MariaDB's MODIFY.
  run(m.aio_migrate(m.add_column_default("mig_types", "qty", tern::Value(7))));
  insert("mig_types", "a");
  run(m.aio_migrate(m.add_not_null("mig_types", "qty")));
  if (mysql()) {
    const auto sql = run(m.aio_sql(m.add_not_null("mig_types", "qty")));
    ASSERT_EQ(sql.size(), 1u);
    EXPECT_EQ(sql[0], "ALTER TABLE `mig_types` MODIFY `qty` int(11) NOT NULL DEFAULT 7");
  }
  const auto null_refused =
      thrown<tern::IntegrityError>([&] { insert("mig_types", "b", "qty", tern::Value()); });
  if (GetParam() == Dialect::kPostgres) {
    tern::testing::expect_server_error(null_refused, "23502");
  } else {
    tern::testing::expect_server_error(null_refused, "23000", 1048);
  }
  insert("mig_types", "c");  // the default is still there
  EXPECT_EQ(text(mysql() ? "SELECT CAST(qty AS CHAR) FROM mig_types WHERE title = 'c'"
                         : "SELECT qty::text FROM mig_types WHERE title = 'c'"),
            "7");

  // INTEGER → BIGINT: a value past 2^31 fits only then.
  EXPECT_TRUE(thrown<tern::DataError>(
      [&] { insert("mig_types", "big", "qty", tern::Value(std::int64_t{5'000'000'000})); }));
  run(m.aio_migrate(
      m.alter_column_type("mig_types", "qty", tern::BigIntegerField{.default_value = 7})));
  insert("mig_types", "big", "qty", tern::Value(std::int64_t{5'000'000'000}));
  run(m.aio_migrate(m.drop_not_null("mig_types", "qty"),
                    m.drop_column_default("mig_types", "qty")));
  insert("mig_types", "null", "qty", tern::Value());
  insert("mig_types", "no default");
  EXPECT_EQ(run(db->aio_execute("SELECT qty FROM mig_types WHERE title IN ('null', 'no default') "
                                "AND qty IS NULL"))
                .size(),
            2u);
}

TEST_P(Migrate, FailingMigrationIsUndoneOrSaysWhatStays) {
  create("mig_fail");
  tern::Migrator m(*db);
  const auto e = thrown<tern::MigrationError>([&] {
    run(m.aio_migrate(m.add_column("mig_fail", "note", tern::TextField{.null = true}),
                      m.rename_column("mig_fail", "nope", "x"),  // no such column
                      m.drop_column("mig_fail", "qty")));
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->failed_index(), 1u);
  ASSERT_TRUE(e->cause());
  EXPECT_TRUE(thrown<tern::DatabaseError>([&] { std::rethrow_exception(e->cause()); }));
  const std::string what = e->what();
  EXPECT_NE(what.find("operation 2 of 3 (rename_column mig_fail.nope)"), std::string::npos) << what;
  if (mysql()) {
    // MariaDB committed the first ALTER TABLE on its own: it stays, and the error says so.
    EXPECT_EQ(e->applied(), std::vector<std::string>{"add_column mig_fail.note"});
    EXPECT_NE(what.find("took effect and stay: add_column mig_fail.note"), std::string::npos)
        << what;
    EXPECT_EQ(columns("mig_fail"), (std::vector<std::string>{"id", "title", "qty", "note"}));
  } else {
    EXPECT_TRUE(e->applied().empty());
    EXPECT_NE(what.find("rolled back"), std::string::npos) << what;
    EXPECT_EQ(columns("mig_fail"), (std::vector<std::string>{"id", "title", "qty"}));
  }
}

// Inside a transaction: PostgreSQL and SQLite make the migration part of it (a savepoint, rolled
// back with the block); MariaDB would commit the block's work, so the migration is refused.
TEST_P(Migrate, InsideATransaction) {
  create("mig_tx");
  tern::Migrator m(*db);
  struct Abort {};
  const auto body = [&]() -> Task<void> {
    EXPECT_TRUE(co_await db->aio_in_transaction());
    co_await db->aio_execute("INSERT INTO mig_tx (title) VALUES ('in block')");
    co_await m.aio_migrate(m.rename_column("mig_tx", "qty", "amount"));
    throw Abort{};
  };
  if (mysql()) {
    const auto e = thrown<tern::InterfaceError>([&] { run(db->aio_atomic(body)); });
    ASSERT_TRUE(e);
    EXPECT_NE(std::string(e->what()).find("commit an open transaction"), std::string::npos)
        << e->what();
  } else {
    EXPECT_THROW(run(db->aio_atomic(body)), Abort);
  }
  EXPECT_FALSE(run(db->aio_in_transaction()));
  // Nothing of the block stays, the migration neither.
  EXPECT_EQ(columns("mig_tx"), (std::vector<std::string>{"id", "title", "qty"}));
  EXPECT_TRUE(run(db->aio_execute("SELECT id FROM mig_tx")).empty());
}

TEST_P(Migrate, SyncTwinOnlyUnderAllowSync) {
  create("mig_sync");
  tern::Migrator m(*db);
  EXPECT_TRUE(thrown<tern::InterfaceError>(
      [&] { m.migrate(m.rename_column("mig_sync", "qty", "amount")); }));
  EXPECT_EQ(columns("mig_sync"), (std::vector<std::string>{"id", "title", "qty"}));
  {
    auto sync = db->allow_sync();
    m.migrate(
        m.rename_column("mig_sync", "qty", "amount"),
        m.add_column("mig_sync", "flag", tern::BooleanField{.index = true, .default_value = true}));
  }
  EXPECT_EQ(columns("mig_sync"), (std::vector<std::string>{"id", "title", "amount", "flag"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, Migrate,
                         ::testing::Values(Dialect::kPostgres, Dialect::kMysql, Dialect::kSqlite),
                         tern::testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, MigrateServer,
                         ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         tern::testing::backend_name);

}  // namespace
