// Golden-SQL tests of the DDL compiler: CREATE TABLE / CREATE INDEX / DROP TABLE in both
// dialects, every column type, and DEFAULT literals — including hostile ones.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tern/orm/ast.hpp"
#include "tern/orm/compiler.hpp"
#include "tern/protocol/exceptions.hpp"

namespace {

using tern::Dialect;
using tern::InterfaceError;
using tern::Value;
using tern::orm::compile_create_table;
using tern::orm::compile_create_types;
using tern::orm::compile_drop_table;
using tern::orm::ast::ColumnDef;
using tern::orm::ast::ColumnType;
using tern::orm::ast::IndexDef;
using tern::orm::ast::TableDef;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

ColumnDef column(std::string name, ColumnType type) {
  ColumnDef c;
  c.name = std::move(name);
  c.type = type;
  return c;
}
TableDef table(std::string name, std::vector<ColumnDef> columns) {
  TableDef t;
  t.name = std::move(name);
  t.columns = std::move(columns);
  return t;
}
// The CREATE TABLE statement alone.
std::string create(const TableDef& t, Dialect d, bool safe = false) {
  const auto stmts = compile_create_table(t, d, safe);
  EXPECT_EQ(stmts.size(), 1 + t.indexes.size());
  return stmts.empty() ? std::string() : stmts[0];
}
// The column definition of a one-column table `t`.
std::string column_sql(const ColumnDef& c, Dialect d) {
  const std::string sql = create(table("t", {c}), d);
  const std::string prefix = d == Dialect::kMysql ? "CREATE TABLE `t` (" : "CREATE TABLE \"t\" (";
  EXPECT_EQ(sql.substr(0, prefix.size()), prefix);
  EXPECT_EQ(sql.back(), ')');
  return sql.substr(prefix.size(), sql.size() - prefix.size() - 1);
}
// The DEFAULT literal of a nullable integer column holding `v`.
std::string default_sql(const Value& v, Dialect d) {
  ColumnDef c = column("c", ColumnType::kInteger);
  c.null = true;
  c.default_value = v;
  const std::string sql = column_sql(c, d);
  const std::string prefix =
      d == Dialect::kPostgres ? "\"c\" INTEGER DEFAULT " : "`c` INT DEFAULT ";
  EXPECT_EQ(sql.substr(0, prefix.size()), prefix);
  return sql.substr(prefix.size());
}

TEST(OrmCompilerDdl, EveryColumnType) {
  const struct {
    ColumnType type;
    const char* pg;
    const char* my;
    const char* lite;  // SQLite
  } cases[] = {
      {ColumnType::kAuto, "SERIAL", "INT AUTO_INCREMENT", "INTEGER"},
      {ColumnType::kBigAuto, "BIGSERIAL", "BIGINT AUTO_INCREMENT", "INTEGER"},
      {ColumnType::kSmallInt, "SMALLINT", "SMALLINT", "SMALLINT"},
      {ColumnType::kInteger, "INTEGER", "INT", "INTEGER"},
      {ColumnType::kBigInt, "BIGINT", "BIGINT", "BIGINT"},
      {ColumnType::kBoolean, "BOOLEAN", "BOOL", "INTEGER"},
      {ColumnType::kFloat, "REAL", "FLOAT", "REAL"},
      {ColumnType::kDouble, "DOUBLE PRECISION", "DOUBLE", "REAL"},
      {ColumnType::kDecimal, "NUMERIC(10,5)", "DECIMAL(10,5)", "DECIMAL(10,5)"},
      {ColumnType::kChar, "VARCHAR(255)", "VARCHAR(255)", "VARCHAR(255)"},
      {ColumnType::kText, "TEXT", "LONGTEXT", "TEXT"},
      {ColumnType::kBlob, "BYTEA", "LONGBLOB", "BLOB"},
      {ColumnType::kDate, "DATE", "DATE", "DATE"},
      {ColumnType::kTime, "TIME", "TIME(6)", "TIME"},
      {ColumnType::kDateTime, "TIMESTAMP", "DATETIME(6)", "DATETIME"},
      {ColumnType::kTimestampTz, "TIMESTAMPTZ", "DATETIME(6)", "DATETIME"},
      {ColumnType::kUuid, "UUID", "CHAR(36)", "TEXT"},
      {ColumnType::kJson, "JSON", "JSON", "TEXT"},
      {ColumnType::kJsonb, "JSONB", "JSON", "TEXT"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.pg);
    EXPECT_EQ(column_sql(column("c", c.type), Dialect::kPostgres),
              std::string("\"c\" ") + c.pg + " NOT NULL");
    EXPECT_EQ(column_sql(column("c", c.type), Dialect::kMysql),
              std::string("`c` ") + c.my + " NOT NULL");
    EXPECT_EQ(column_sql(column("c", c.type), Dialect::kSqlite),
              std::string("\"c\" ") + c.lite + " NOT NULL");
  }
}

TEST(OrmCompilerDdl, SqliteLacksThePostgresTypesAndKeepsBackslashes) {
  for (const ColumnType t : {ColumnType::kInterval, ColumnType::kHStore, ColumnType::kArray}) {
    EXPECT_THROW(create(table("t", {column("c", t)}), Dialect::kSqlite), tern::NotSupportedError);
  }
  ColumnDef c = column("c", ColumnType::kText);
  c.default_value = Value(R"(a\b'c)");
  EXPECT_EQ(column_sql(c, Dialect::kSqlite), R"("c" TEXT NOT NULL DEFAULT 'a\b''c')");
  ColumnDef id = column("id", ColumnType::kAuto);
  id.primary_key = true;
  EXPECT_EQ(column_sql(id, Dialect::kSqlite), R"("id" INTEGER NOT NULL PRIMARY KEY)");
  EXPECT_EQ(compile_drop_table("t", Dialect::kSqlite, true, true), R"(DROP TABLE IF EXISTS "t")");
}

TEST(OrmCompilerDdl, SizedTypes) {
  ColumnDef c = column("c", ColumnType::kChar);
  c.max_length = 40;
  EXPECT_EQ(column_sql(c, Dialect::kPostgres), "\"c\" VARCHAR(40) NOT NULL");
  c.max_length = 0;
  EXPECT_THROW(compile_create_table(table("t", {c}), Dialect::kMysql, false), InterfaceError);
  ColumnDef d = column("d", ColumnType::kDecimal);
  d.max_digits = 12;
  d.decimal_places = 2;
  EXPECT_EQ(column_sql(d, Dialect::kPostgres), "\"d\" NUMERIC(12,2) NOT NULL");
  EXPECT_EQ(column_sql(d, Dialect::kMysql), "`d` DECIMAL(12,2) NOT NULL");
  d.decimal_places = 13;
  EXPECT_THROW(compile_create_table(table("t", {d}), Dialect::kPostgres, false), InterfaceError);
}

TEST(OrmCompilerDdl, ConstraintsAndSafe) {
  ColumnDef id = column("id", ColumnType::kAuto);
  id.primary_key = true;
  ColumnDef key = column("key", ColumnType::kChar);
  key.max_length = 40;
  key.unique = true;
  ColumnDef text = column("text", ColumnType::kText);
  text.default_value = Value("");
  ColumnDef note = column("note", ColumnType::kText);
  note.null = true;
  const TableDef t = table("page_block", {id, key, text, note});
  EXPECT_EQ(create(t, Dialect::kPostgres, true),
            R"(CREATE TABLE IF NOT EXISTS "page_block" ("id" SERIAL NOT NULL PRIMARY KEY, )"
            R"("key" VARCHAR(40) NOT NULL UNIQUE, "text" TEXT NOT NULL DEFAULT '', "note" TEXT))");
  EXPECT_EQ(create(t, Dialect::kMysql, true),
            "CREATE TABLE IF NOT EXISTS `page_block` (`id` INT AUTO_INCREMENT NOT NULL PRIMARY "
            "KEY, `key` VARCHAR(40) NOT NULL UNIQUE, `text` LONGTEXT NOT NULL DEFAULT '', `note` "
            "LONGTEXT)");
  EXPECT_EQ(create(t, Dialect::kPostgres, false).substr(0, 27), R"(CREATE TABLE "page_block" ()");
  EXPECT_THROW(compile_create_table(table("t", {}), Dialect::kPostgres, false), InterfaceError);
  EXPECT_THROW(compile_create_table(table("", {id}), Dialect::kPostgres, false), InterfaceError);
}

TEST(OrmCompilerDdl, CheckConstraint) {
  ColumnDef price = column("price", ColumnType::kDouble);
  price.check = "price >= 0";
  EXPECT_EQ(create(table("item", {price}), Dialect::kPostgres, false),
            R"(CREATE TABLE "item" ("price" DOUBLE PRECISION NOT NULL CHECK (price >= 0)))");
  EXPECT_EQ(create(table("item", {price}), Dialect::kMysql, false),
            "CREATE TABLE `item` (`price` DOUBLE NOT NULL CHECK (price >= 0))");
}

TEST(OrmCompilerDdl, CompositePrimaryKey) {
  TableDef t =
      table("m2m", {column("a_id", ColumnType::kBigInt), column("b_id", ColumnType::kBigInt)});
  t.primary_key = {"a_id", "b_id"};
  EXPECT_EQ(create(t, Dialect::kPostgres),
            R"(CREATE TABLE "m2m" ("a_id" BIGINT NOT NULL, "b_id" BIGINT NOT NULL, )"
            R"(PRIMARY KEY ("a_id", "b_id")))");
  EXPECT_EQ(create(t, Dialect::kMysql),
            "CREATE TABLE `m2m` (`a_id` BIGINT NOT NULL, `b_id` BIGINT NOT NULL, PRIMARY KEY "
            "(`a_id`, `b_id`))");
  t.columns[0].primary_key = true;
  EXPECT_THROW(compile_create_table(t, Dialect::kPostgres, false), InterfaceError);
}

TEST(OrmCompilerDdl, ForeignKeys) {
  ColumnDef owner = column("owner_id", ColumnType::kBigInt);
  owner.references_table = "user";
  owner.references_column = "id";
  owner.on_delete = "CASCADE";
  owner.on_update = "SET NULL";
  ColumnDef parent = column("parent_id", ColumnType::kInteger);
  parent.null = true;
  parent.references_table = "node";
  parent.references_column = "id";
  const TableDef t = table("node", {column("id", ColumnType::kInteger), owner, parent});
  EXPECT_EQ(create(t, Dialect::kPostgres),
            R"(CREATE TABLE "node" ("id" INTEGER NOT NULL, "owner_id" BIGINT NOT NULL, )"
            R"("parent_id" INTEGER, FOREIGN KEY ("owner_id") REFERENCES "user" ("id") ON DELETE )"
            R"(CASCADE ON UPDATE SET NULL, FOREIGN KEY ("parent_id") REFERENCES "node" ("id")))");
  EXPECT_EQ(create(t, Dialect::kMysql),
            "CREATE TABLE `node` (`id` INT NOT NULL, `owner_id` BIGINT NOT NULL, `parent_id` "
            "INT, FOREIGN KEY (`owner_id`) REFERENCES `user` (`id`) ON DELETE CASCADE ON UPDATE "
            "SET NULL, FOREIGN KEY (`parent_id`) REFERENCES `node` (`id`))");
  for (const char* action : {"RESTRICT", "NO ACTION", "SET DEFAULT"}) {
    ColumnDef c = owner;
    c.on_delete = action;
    EXPECT_NE(create(table("x", {c}), Dialect::kPostgres).find(std::string("ON DELETE ") + action),
              std::string::npos);
  }
  ColumnDef bad = owner;
  bad.on_delete = "CASCADE; DROP TABLE user";
  EXPECT_THROW(compile_create_table(table("x", {bad}), Dialect::kPostgres, false), InterfaceError);
  bad = owner;
  bad.references_column.clear();
  EXPECT_THROW(compile_create_table(table("x", {bad}), Dialect::kMysql, false), InterfaceError);
  bad = column("c", ColumnType::kInteger);
  bad.on_delete = "CASCADE";
  EXPECT_THROW(compile_create_table(table("x", {bad}), Dialect::kMysql, false), InterfaceError);
}

TEST(OrmCompilerDdl, Indexes) {
  TableDef t = table("ev", {column("a", ColumnType::kInteger), column("b", ColumnType::kText)});
  IndexDef plain;
  plain.columns = {"a", "b"};
  IndexDef uniq;
  uniq.name = "ev_b_key";
  uniq.columns = {"b"};
  uniq.unique = true;
  t.indexes = {plain, uniq};
  const auto pg = compile_create_table(t, Dialect::kPostgres, false);
  ASSERT_EQ(pg.size(), 3U);
  EXPECT_EQ(pg[1], R"(CREATE INDEX "ev_a_b" ON "ev" ("a", "b"))");
  EXPECT_EQ(pg[2], R"(CREATE UNIQUE INDEX "ev_b_key" ON "ev" ("b"))");
  const auto my = compile_create_table(t, Dialect::kMysql, true);
  ASSERT_EQ(my.size(), 3U);
  EXPECT_EQ(my[0], "CREATE TABLE IF NOT EXISTS `ev` (`a` INT NOT NULL, `b` LONGTEXT NOT NULL)");
  EXPECT_EQ(my[1], "CREATE INDEX IF NOT EXISTS `ev_a_b` ON `ev` (`a`, `b`)");
  EXPECT_EQ(my[2], "CREATE UNIQUE INDEX IF NOT EXISTS `ev_b_key` ON `ev` (`b`)");
  t.indexes = {IndexDef{}};
  EXPECT_THROW(compile_create_table(t, Dialect::kPostgres, false), InterfaceError);
}

TEST(OrmCompilerDdl, DefaultScalars) {
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    EXPECT_EQ(default_sql(Value(), d), "NULL");
    EXPECT_EQ(default_sql(true, d), "TRUE");
    EXPECT_EQ(default_sql(false, d), "FALSE");
    EXPECT_EQ(default_sql(0, d), "0");
    EXPECT_EQ(default_sql(-42, d), "-42");
    EXPECT_EQ(default_sql(std::numeric_limits<std::int64_t>::min(), d), "-9223372036854775808");
    EXPECT_EQ(default_sql(0.1, d), "0.1");
    EXPECT_EQ(default_sql(-2.5, d), "-2.5");
    EXPECT_EQ(default_sql(1e300, d), "1e+300");
    EXPECT_EQ(default_sql(0.30000000000000004, d), "0.30000000000000004");
    EXPECT_THROW(default_sql(std::numeric_limits<double>::infinity(), d), InterfaceError);
    EXPECT_THROW(default_sql(std::numeric_limits<double>::quiet_NaN(), d), InterfaceError);
  }
}

TEST(OrmCompilerDdl, DefaultStringsAreQuotedSafely) {
  EXPECT_EQ(default_sql("plain", Dialect::kPostgres), "'plain'");
  EXPECT_EQ(default_sql("plain", Dialect::kMysql), "'plain'");
  EXPECT_EQ(default_sql("it's", Dialect::kPostgres), "'it''s'");
  EXPECT_EQ(default_sql("it's", Dialect::kMysql), "'it''s'");
  // A backslash: MySQL escapes it; PG switches to E'' where it is escaped too.
  EXPECT_EQ(default_sql("a\\b", Dialect::kPostgres), "E'a\\\\b'");
  EXPECT_EQ(default_sql("a\\b", Dialect::kMysql), "'a\\\\b'");
  // The classic: a backslash before a quote must not escape the quote.
  EXPECT_EQ(default_sql("\\'; DROP TABLE t; --", Dialect::kPostgres),
            "E'\\\\''; DROP TABLE t; --'");
  EXPECT_EQ(default_sql("\\'; DROP TABLE t; --", Dialect::kMysql), "'\\\\''; DROP TABLE t; --'");
  EXPECT_EQ(default_sql("'; DROP TABLE t; --", Dialect::kMysql), "'''; DROP TABLE t; --'");
  EXPECT_EQ(default_sql("\"`", Dialect::kPostgres), "'\"`'");
  EXPECT_EQ(default_sql("", Dialect::kMysql), "''");
  EXPECT_EQ(default_sql("h\xc3\xa9", Dialect::kMysql), "'h\xc3\xa9'");
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    EXPECT_THROW(default_sql(std::string("a\0b", 3), d), InterfaceError);
  }
}

TEST(OrmCompilerDdl, DefaultBytes) {
  const tern::ByteString bytes{std::byte{0x00}, std::byte{0xff}, std::byte{0x27}, std::byte{0x5c}};
  EXPECT_EQ(default_sql(bytes, Dialect::kPostgres), "E'\\\\x00ff275c'::bytea");
  EXPECT_EQ(default_sql(bytes, Dialect::kMysql), "X'00ff275c'");
  EXPECT_EQ(default_sql(tern::ByteString{}, Dialect::kPostgres), "E'\\\\x'::bytea");
  EXPECT_EQ(default_sql(tern::ByteString{}, Dialect::kMysql), "X''");
}

TEST(OrmCompilerDdl, DefaultDecimal) {
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    EXPECT_EQ(default_sql(tern::Decimal{"12.3400"}, d), "12.3400");
    EXPECT_EQ(default_sql(tern::Decimal{"-7"}, d), "-7");
    EXPECT_EQ(default_sql(tern::Decimal{"+0.5"}, d), "+0.5");
    for (const char* bad : {"", "-", "1.", ".5", "1e5", "1.2.3", "1; DROP TABLE t", "NaN", "1 "}) {
      SCOPED_TRACE(bad);
      EXPECT_THROW(default_sql(tern::Decimal{bad}, d), InterfaceError);
    }
  }
}

TEST(OrmCompilerDdl, DefaultDatesAndTimes) {
  using std::chrono::local_days;
  using std::chrono::sys_days;
  const tern::Date date = sys_days{std::chrono::year{2024} / 1 / 2};
  const tern::DateTime dt = local_days{std::chrono::year{2024} / 1 / 2} + 3h + 4min + 5s + 6us;
  const tern::DateTime whole = local_days{std::chrono::year{1999} / 12 / 31} + 23h + 59min + 59s;
  const tern::Instant instant = sys_days{std::chrono::year{2024} / 1 / 2} + 3h + 4min + 5s;
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    EXPECT_EQ(default_sql(date, d), "'2024-01-02'");
    EXPECT_EQ(default_sql(dt, d), "'2024-01-02 03:04:05.000006'");
    EXPECT_EQ(default_sql(whole, d), "'1999-12-31 23:59:59'");
    EXPECT_EQ(default_sql(tern::TimeOfDay{3h + 4min + 5s + 120ms}, d), "'03:04:05.120000'");
    EXPECT_EQ(default_sql(tern::TimeOfDay{0}, d), "'00:00:00'");
    EXPECT_EQ(default_sql(tern::TimeOfDay{-(838h + 59min + 59s)}, d), "'-838:59:59'");
    EXPECT_THROW(default_sql(tern::Date{sys_days{std::chrono::year{10000} / 1 / 1}}, d),
                 InterfaceError);
    EXPECT_THROW(default_sql(tern::Date{sys_days{std::chrono::year{0} / 12 / 31}}, d),
                 InterfaceError);
  }
  // An instant carries its UTC offset on PG; MySQL stores instants as UTC DATETIME.
  EXPECT_EQ(default_sql(instant, Dialect::kPostgres), "'2024-01-02 03:04:05+00'");
  EXPECT_EQ(default_sql(instant, Dialect::kMysql), "'2024-01-02 03:04:05'");
}

TEST(OrmCompilerDdl, DropTable) {
  EXPECT_EQ(compile_drop_table("t", Dialect::kPostgres, false), R"(DROP TABLE "t")");
  EXPECT_EQ(compile_drop_table("t", Dialect::kPostgres, true), R"(DROP TABLE IF EXISTS "t")");
  EXPECT_EQ(compile_drop_table("t", Dialect::kPostgres, true, true),
            R"(DROP TABLE IF EXISTS "t" CASCADE)");
  EXPECT_EQ(compile_drop_table("t", Dialect::kMysql, false), "DROP TABLE `t`");
  EXPECT_EQ(compile_drop_table("t", Dialect::kMysql, true, true), "DROP TABLE IF EXISTS `t`");
  EXPECT_EQ(compile_drop_table("a\"b`c", Dialect::kPostgres, false), R"(DROP TABLE "a""b`c")");
  EXPECT_EQ(compile_drop_table("a\"b`c", Dialect::kMysql, false), "DROP TABLE `a\"b``c`");
  EXPECT_THROW(compile_drop_table("", Dialect::kMysql, false), InterfaceError);
}

// ---- enum and SET columns ----

ColumnDef enum_column(ColumnType type, std::vector<std::string> labels) {
  ColumnDef c = column("c", type);
  c.enum_name = "mood";
  c.labels = std::move(labels);
  return c;
}

TEST(OrmCompilerDdl, EnumColumnsCreateThePostgresTypeFirst) {
  ColumnDef c = enum_column(ColumnType::kEnum, {"sad", "it's ok", "happy"});
  c.default_value = Value(tern::EnumLabel{"sad"});
  ColumnDef again = c;  // a second column of the same enum: one CREATE TYPE
  again.name = "d";
  again.null = true;
  again.default_value.reset();
  const auto pg = compile_create_table(table("t", {c, again}), Dialect::kPostgres, true);
  ASSERT_EQ(pg.size(), 2u);
  EXPECT_EQ(pg[0],
            "DO $tern_enum$ BEGIN CREATE TYPE \"mood\" AS ENUM ('sad', 'it''s ok', 'happy'); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $tern_enum$");
  EXPECT_EQ(pg[1],
            "CREATE TABLE IF NOT EXISTS \"t\" (\"c\" \"mood\" NOT NULL DEFAULT 'sad', \"d\" "
            "\"mood\")");
  const auto my = compile_create_table(table("t", {c}), Dialect::kMysql, false);
  ASSERT_EQ(my.size(), 1u);
  EXPECT_EQ(my[0],
            "CREATE TABLE `t` (`c` ENUM('sad', 'it''s ok', 'happy') NOT NULL DEFAULT 'sad')");
  EXPECT_EQ(column_sql(enum_column(ColumnType::kEnum, {"a"}), Dialect::kSqlite),
            "\"c\" TEXT NOT NULL");
}

TEST(OrmCompilerDdl, SetColumnsAreMysqlOnly) {
  EXPECT_EQ(column_sql(enum_column(ColumnType::kSet, {"read", "write"}), Dialect::kMysql),
            "`c` SET('read', 'write') NOT NULL");
  for (const Dialect d : {Dialect::kPostgres, Dialect::kSqlite}) {
    EXPECT_THROW(compile_create_table(table("t", {enum_column(ColumnType::kSet, {"a"})}), d, true),
                 tern::NotSupportedError);
  }
  // The server's SET text separates labels with commas: a label cannot hold one.
  EXPECT_THROW(create(table("t", {enum_column(ColumnType::kSet, {"a,b"})}), Dialect::kMysql),
               InterfaceError);
}

TEST(OrmCompilerDdl, EnumLabelsCannotEndTheDoBlock) {
  EXPECT_THROW(compile_create_table(table("t", {enum_column(ColumnType::kEnum, {"$tern_enum$"})}),
                                    Dialect::kPostgres, true),
               InterfaceError);
  EXPECT_THROW(compile_create_table(table("t", {enum_column(ColumnType::kEnum, {})}),
                                    Dialect::kPostgres, true),
               InterfaceError);
}

// ---- composite columns ----

ColumnDef composite_column() {
  ColumnDef c = column("home", ColumnType::kComposite);
  c.composite_types = {{.name = "point", .attributes = {{.name = "x", .type = "integer"}}},
                       {.name = "addr\"ess",
                        .attributes = {{.name = "street", .type = "text"},
                                       {.name = "at", .type = "point", .user_type = true},
                                       {.name = "mood", .type = "my mood", .user_type = true}}}};
  return c;
}

TEST(OrmCompilerDdl, CompositeColumnsCreateTheirTypesFirst) {
  ColumnDef c = composite_column();
  ColumnDef again = c;  // a second column of the same type: its types once
  again.name = "work";
  again.null = true;
  const auto pg = compile_create_table(table("t", {c, again}), Dialect::kPostgres, true);
  ASSERT_EQ(pg.size(), 3u);
  EXPECT_EQ(pg[0],
            "DO $tern_type$ BEGIN CREATE TYPE \"point\" AS (\"x\" integer); "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $tern_type$");
  EXPECT_EQ(pg[1],
            "DO $tern_type$ BEGIN CREATE TYPE \"addr\"\"ess\" AS (\"street\" text, \"at\" "
            "\"point\", \"mood\" \"my mood\"); EXCEPTION WHEN duplicate_object OR "
            "unique_violation THEN NULL; END $tern_type$");
  EXPECT_EQ(pg[2],
            "CREATE TABLE IF NOT EXISTS \"t\" (\"home\" \"addr\"\"ess\" NOT NULL, "
            "\"work\" \"addr\"\"ess\")");
  EXPECT_EQ(compile_create_types(c, Dialect::kPostgres).size(), 2u);
  EXPECT_TRUE(compile_create_types(c, Dialect::kMysql).empty());
  for (const Dialect d : {Dialect::kMysql, Dialect::kSqlite}) {
    EXPECT_THROW(compile_create_table(table("t", {c}), d, true), tern::NotSupportedError);
  }
}

TEST(OrmCompilerDdl, CompositeNamesCannotEndTheDoBlock) {
  ColumnDef c = composite_column();
  c.composite_types.back().name = "x$tern_type$";
  EXPECT_THROW(compile_create_table(table("t", {c}), Dialect::kPostgres, true), InterfaceError);
  c.composite_types.clear();
  EXPECT_THROW(compile_create_table(table("t", {c}), Dialect::kPostgres, true), InterfaceError);
}

}  // namespace
