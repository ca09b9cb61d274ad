// Golden-SQL tests of the Ext types in the ORM: JSON/JSONB paths, containment and key tests,
// hstore and array operators, their DDL and DEFAULT literals, in both dialects (with
// NotSupportedError where MySQL/MariaDB lacks the type). Values are always bound: each test
// checks the parameters too (compiler_test.cpp's PrintTo prints them).
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tern/orm/compiler.hpp"
#include "tern/tern.hpp"

namespace {

using tern::Array;
using tern::Dialect;
using tern::Json;
using tern::Jsonb;
using tern::NotSupportedError;
using tern::Params;
using tern::Value;
using tern::orm::compile;

tern::PostgresqlDatabase db("unused");

struct Doc {
  std::int64_t id{};
  tern::Json data{};
  tern::Jsonb meta{};
  std::optional<tern::Jsonb> extra{};
  tern::HStore attrs{};
  std::vector<std::int32_t> ints{};
  std::vector<std::optional<std::string>> tags{};
  tern::Interval wait{};
  // clang-format off
  TERN_MODEL(Doc, db,
    (id,    tern::AutoField{}),
    (data,  tern::JSONField{}),
    (meta,  tern::BinaryJSONField{}),
    (extra, tern::BinaryJSONField{}),
    (attrs, tern::HStoreField{}),
    (ints,  tern::ArrayField<tern::IntegerField>{}),
    (tags,  tern::ArrayField<tern::CharField>{.element = {.max_length = 20}}),
    (wait,  tern::IntervalField{}));
  // clang-format on
};

// A MySQL-friendly model: JSON columns only.
struct Note {
  std::int64_t id{};
  tern::Json body{};
  std::optional<tern::Jsonb> tags{};
  TERN_MODEL(Note, db, (id, tern::AutoField{}),
             (body, tern::JSONField{.default_value = tern::Json{R"({"v": 1})"}}),
             (tags, tern::BinaryJSONField{}));
};

// The WHERE clause of `SELECT id FROM doc WHERE condition` and its parameters.
struct Where {
  std::string sql;
  Params params;
};
Where where(const tern::orm::Expr<bool>& condition, Dialect d) {
  const auto q = Doc::select(Doc::c.id).where(condition);
  auto c = compile(q.ast(), d);
  const std::string prefix = d == Dialect::kPostgres ? R"(SELECT "doc"."id" FROM "doc" WHERE )"
                                                     : "SELECT `doc`.`id` FROM `doc` WHERE ";
  EXPECT_EQ(c.sql.substr(0, prefix.size()), prefix) << c.sql;
  return {c.sql.substr(std::min(prefix.size(), c.sql.size())), std::move(c.params)};
}
Where pg(const tern::orm::Expr<bool>& condition) {
  return where(condition, Dialect::kPostgres);
}
Where my(const tern::orm::Expr<bool>& condition) {
  return where(condition, Dialect::kMysql);
}
// The SELECT list of `SELECT expr FROM doc`.
template <class V>
std::string select_pg(const tern::orm::Expr<V>& e) {
  const auto c = compile(Doc::select(e).ast(), Dialect::kPostgres);
  return c.sql.substr(7, c.sql.size() - 7 - std::string(R"( FROM "doc")").size());
}

Array<std::string> text_array(std::vector<std::string> v) {
  return Array<std::string>(v.begin(), v.end());
}

// ---- JSON paths ----

TEST(OrmJson, PathIsOneBoundTextArrayOnPostgres) {
  const auto w = pg(Doc::c.meta["a"]["b"] == Jsonb{"1"});
  EXPECT_EQ(w.sql, R"(("doc"."meta" #> $1) = $2)");
  EXPECT_EQ(w.params, (Params{text_array({"a", "b"}), Jsonb{"1"}}));
}

TEST(OrmJson, PathIsOneBoundPathOnMysql) {
  const auto w = my(Doc::c.meta["a"]["b"] == Jsonb{"1"});
  EXPECT_EQ(w.sql, "JSON_EXTRACT(`doc`.`meta`, ?) = ?");
  EXPECT_EQ(w.params, (Params{R"($."a"."b")", Jsonb{"1"}}));
}

TEST(OrmJson, PathWithIndexesAndHostileKeys) {
  const auto e = Doc::c.data.path("a", 0, -1, -3, "we\"ird.$[*]");
  const auto p = pg(e == Json{"2"});
  EXPECT_EQ(p.sql, R"(("doc"."data" #> $1) = $2)");
  EXPECT_EQ(p.params[0], Value(text_array({"a", "0", "-1", "-3", "we\"ird.$[*]"})));
  // Keys are quoted path steps (no wildcard or member syntax gets through).
  const auto m = my(Doc::c.data.path("a", 0, 12, "we\"ird.$[*]") == Json{"2"});
  EXPECT_EQ(m.params[0], Value(R"($."a"[0][12]."we\"ird.$[*]")"));
  // MariaDB resolves [last] against the first row only: refused rather than wrong.
  EXPECT_THROW(my(e == Json{"2"}), NotSupportedError);
}

TEST(OrmJson, ChainedLookupsAreOnePath) {
  const auto chained = pg(Doc::c.meta["a"][1]["b"] == Jsonb{"1"});
  const auto path = pg(Doc::c.meta.path("a", 1, "b") == Jsonb{"1"});
  EXPECT_EQ(chained.sql, path.sql);
  EXPECT_EQ(chained.params, path.params);
  EXPECT_EQ(chained.params.size(), 2u);
}

TEST(OrmJson, AsText) {
  const auto p = pg(Doc::c.data["name"].as_text() == "x");
  EXPECT_EQ(p.sql, R"(("doc"."data" #>> $1) = $2)");
  EXPECT_EQ(p.params, (Params{text_array({"name"}), "x"}));
  const auto m = my(Doc::c.data["name"].as_text() == "x");
  EXPECT_EQ(m.sql, "JSON_UNQUOTE(JSON_EXTRACT(`doc`.`data`, ?)) = ?");
  EXPECT_EQ(m.params, (Params{R"($."name")", "x"}));
  // A whole document as text: the empty path.
  EXPECT_EQ(select_pg(Doc::c.meta.as_text()), R"("doc"."meta" #>> $1)");
  const auto whole = compile(Doc::select(Doc::c.meta.as_text()).ast(), Dialect::kMysql);
  EXPECT_EQ(whole.sql, "SELECT JSON_UNQUOTE(JSON_EXTRACT(`doc`.`meta`, ?)) FROM `doc`");
  EXPECT_EQ(whole.params, (Params{"$"}));
  // Text compares with text, in LIKE too.
  EXPECT_EQ(pg(Doc::c.meta["n"].as_text().startswith("a%")).params[1], Value("a\\%%"));
}

TEST(OrmJson, SelectingAPath) {
  EXPECT_EQ(select_pg(Doc::c.meta["a"]), R"("doc"."meta" #> $1)");
  EXPECT_EQ(select_pg(Doc::c.meta["a"].as("a")), R"("doc"."meta" #> $1 AS "a")");
}

// ---- containment and keys ----

TEST(OrmJson, ContainsAndContainedBy) {
  const Json doc{R"({"a": [1]})"};
  auto p = pg(Doc::c.meta.contains(doc));
  EXPECT_EQ(p.sql, R"("doc"."meta" @> $1)");
  EXPECT_EQ(p.params, (Params{Jsonb{doc.text}}));  // always sent as jsonb
  p = pg(Doc::c.meta.contained_by(Jsonb{doc.text}));
  EXPECT_EQ(p.sql, R"("doc"."meta" <@ $1)");
  auto m = my(Doc::c.meta.contains(doc));
  EXPECT_EQ(m.sql, "JSON_CONTAINS(`doc`.`meta`, ?)");
  m = my(Doc::c.meta.contained_by(doc));
  EXPECT_EQ(m.sql, "JSON_CONTAINS(?, `doc`.`meta`)");
  EXPECT_EQ(m.params, (Params{Jsonb{doc.text}}));
}

TEST(OrmJson, JsonOperandsAreCastToJsonbOnPostgres) {
  // json has no @>, ? ...: the json column is converted; MySQL has one JSON type.
  EXPECT_EQ(pg(Doc::c.data.contains(Json{"{}"})).sql, R"(CAST("doc"."data" AS JSONB) @> $1)");
  EXPECT_EQ(pg(Doc::c.data["a"].has_key("b")).sql, R"(CAST("doc"."data" #> $1 AS JSONB) ? $2)");
  EXPECT_EQ(my(Doc::c.data.contains(Json{"{}"})).sql, "JSON_CONTAINS(`doc`.`data`, ?)");
}

TEST(OrmJson, HasKeys) {
  auto p = pg(Doc::c.meta.has_key("k"));
  EXPECT_EQ(p.sql, R"("doc"."meta" ? $1)");
  EXPECT_EQ(p.params, (Params{"k"}));
  p = pg(Doc::c.meta.has_any_key({"a", "b"}));
  EXPECT_EQ(p.sql, R"("doc"."meta" ?| $1)");
  EXPECT_EQ(p.params, (Params{text_array({"a", "b"})}));
  EXPECT_EQ(pg(Doc::c.meta.has_all_keys({"a"})).sql, R"("doc"."meta" ?& $1)");

  auto m = my(Doc::c.meta.has_key("k\"x"));
  EXPECT_EQ(m.sql, "JSON_CONTAINS_PATH(`doc`.`meta`, 'one', ?)");
  EXPECT_EQ(m.params, (Params{R"($."k\"x")"}));
  m = my(Doc::c.meta.has_any_key({"a", "b"}));
  EXPECT_EQ(m.sql, "JSON_CONTAINS_PATH(`doc`.`meta`, 'one', ?, ?)");
  EXPECT_EQ(m.params, (Params{R"($."a")", R"($."b")"}));
  EXPECT_EQ(my(Doc::c.meta.has_all_keys({"a", "b"})).sql,
            "JSON_CONTAINS_PATH(`doc`.`meta`, 'all', ?, ?)");
  // No keys: none of them is there, all of them are (as PostgreSQL answers).
  EXPECT_EQ(my(Doc::c.meta.has_any_key({})).sql, "(1 = 0)");
  EXPECT_EQ(my(Doc::c.meta.has_all_keys({})).sql, "(1 = 1)");
}

TEST(OrmJson, OperatorsAreParenthesizedInConditions) {
  const auto p =
      pg(Doc::c.meta.has_key("a") && !Doc::c.meta.contains(Json{"{}"}) && Doc::c.extra.is_null());
  EXPECT_EQ(p.sql, R"((("doc"."meta" ? $1) AND (NOT ("doc"."meta" @> $2))) AND )"
                   R"(("doc"."extra" IS NULL))");
}

TEST(OrmJson, UpdateAndInsertBindDocuments) {
  const auto u = Doc::update().set(Doc::c.meta, Jsonb{R"({"x":1})"}).where(Doc::c.id == 1);
  const auto c = compile(u.ast(), Dialect::kPostgres);
  EXPECT_EQ(c.sql, R"(UPDATE "doc" SET "meta" = $1 WHERE "doc"."id" = $2)");
  EXPECT_EQ(c.params[0], Value(Jsonb{R"({"x":1})"}));

  Doc d;
  d.data = Json{"[]"};
  d.meta = Jsonb{"{}"};
  d.attrs = {{"k", "v"}, {"n", std::nullopt}};
  d.ints = {1, 2};
  d.tags = {"a", std::nullopt};
  d.wait = tern::Interval{.months = 1, .days = 2, .microseconds = 3};
  const void* objects[] = {&d};
  const auto ins =
      compile(tern::orm::detail::insert_objects(Doc::tern_meta(), objects, 1, Dialect::kPostgres),
              Dialect::kPostgres);
  EXPECT_EQ(ins.sql,
            R"(INSERT INTO "doc" ("data", "meta", "extra", "attrs", "ints", "tags", "wait") )"
            R"(VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "doc"."id")");
  EXPECT_EQ(ins.params,
            (Params{Json{"[]"}, Jsonb{"{}"}, Value(), tern::HStore{{"k", "v"}, {"n", std::nullopt}},
                    Array<std::int32_t>{1, 2}, Array<std::string>{"a", std::nullopt},
                    tern::Interval{.months = 1, .days = 2, .microseconds = 3}}));
}

// ---- hstore ----

TEST(OrmHstore, Operators) {
  auto p = pg(Doc::c.attrs["k"] == "v");
  EXPECT_EQ(p.sql, R"(("doc"."attrs" -> $1) = $2)");
  EXPECT_EQ(p.params, (Params{"k", "v"}));
  EXPECT_EQ(pg(Doc::c.attrs.has_key("k")).sql, R"("doc"."attrs" ? $1)");
  p = pg(Doc::c.attrs.contains({{"k", "v"}}));
  EXPECT_EQ(p.sql, R"("doc"."attrs" @> $1)");
  EXPECT_EQ(p.params, (Params{tern::HStore{{"k", "v"}}}));
  EXPECT_EQ(pg(Doc::c.attrs.contained_by({{"k", std::nullopt}})).sql, R"("doc"."attrs" <@ $1)");
  EXPECT_EQ(pg(Doc::c.attrs.has_any_key({"a", "b"})).sql, R"("doc"."attrs" ?| $1)");
  EXPECT_EQ(pg(Doc::c.attrs.has_all_keys({"a", "b"})).sql, R"("doc"."attrs" ?& $1)");
  EXPECT_EQ(select_pg(Doc::c.attrs.keys()), R"(akeys("doc"."attrs"))");
  EXPECT_EQ(select_pg(Doc::c.attrs.values()), R"(avals("doc"."attrs"))");
  EXPECT_EQ(select_pg(Doc::c.attrs.slice({"a"})), R"(slice("doc"."attrs", $1))");
  // Its results are ordinary expressions: a text value, a text array.
  EXPECT_EQ(pg(Doc::c.attrs["k"].is_null()).sql, R"(("doc"."attrs" -> $1) IS NULL)");
}

TEST(OrmHstore, NotSupportedOnMysql) {
  EXPECT_THROW(my(Doc::c.attrs["k"] == "v"), NotSupportedError);
  EXPECT_THROW(my(Doc::c.attrs.has_key("k")), NotSupportedError);
  EXPECT_THROW(my(Doc::c.attrs.contains({})), NotSupportedError);
  EXPECT_THROW(compile(Doc::select(Doc::c.attrs.keys()).ast(), Dialect::kMysql), NotSupportedError);
}

// ---- arrays ----

TEST(OrmArray, Operators) {
  auto p = pg(Doc::c.ints.contains({1, 2}));
  EXPECT_EQ(p.sql, R"("doc"."ints" @> $1)");
  EXPECT_EQ(p.params, (Params{Array<std::int32_t>{1, 2}}));  // int4[], as the column
  EXPECT_EQ(pg(Doc::c.ints.contained_by({1, 2, 3})).sql, R"("doc"."ints" <@ $1)");
  p = pg(Doc::c.tags.overlap({"a", std::nullopt}));
  // varchar[] has no && with text[]: the column is compared as text[].
  EXPECT_EQ(p.sql, R"(CAST("doc"."tags" AS TEXT[]) && $1)");
  EXPECT_EQ(p.params, (Params{Array<std::string>{"a", std::nullopt}}));
  p = pg(Doc::c.ints[1] == 5);
  EXPECT_EQ(p.sql, R"("doc"."ints"[$1] = $2)");
  EXPECT_EQ(p.params, (Params{1, 5}));
  p = pg(Doc::c.tags.any("x"));
  EXPECT_EQ(p.sql, R"($1 = ANY("doc"."tags"))");
  EXPECT_EQ(p.params, (Params{"x"}));
  p = pg(Doc::c.ints.length() > 2);
  EXPECT_EQ(p.sql, R"(cardinality("doc"."ints") > $1)");
  EXPECT_EQ(pg(Doc::c.tags.any("x") || Doc::c.ints.length() == 0).sql,
            R"(($1 = ANY("doc"."tags")) OR (cardinality("doc"."ints") = $2))");
  // An element is typed as the element: a text element compares with text.
  EXPECT_EQ(pg(Doc::c.tags[2].startswith("a")).sql, R"("doc"."tags"[$1] LIKE $2)");
}

TEST(OrmArray, SubscriptOfAnExpressionIsParenthesized) {
  namespace orm = tern::orm;
  const auto sorted =
      orm::fn::call<std::vector<std::int32_t>>("array_cat", Doc::c.ints, Doc::c.ints);
  EXPECT_EQ(select_pg(sorted[1]), R"((array_cat("doc"."ints", "doc"."ints"))[$1])");
}

TEST(OrmArray, NotSupportedOnMysql) {
  EXPECT_THROW(my(Doc::c.ints.contains({1})), NotSupportedError);
  EXPECT_THROW(my(Doc::c.ints.overlap({1})), NotSupportedError);
  EXPECT_THROW(my(Doc::c.ints[1] == 1), NotSupportedError);
  EXPECT_THROW(my(Doc::c.tags.any("x")), NotSupportedError);
  EXPECT_THROW(my(Doc::c.ints.length() == 1), NotSupportedError);
}

TEST(OrmInterval, ComparesAsAValue) {
  const tern::Interval day{.days = 1};
  const auto p = pg(Doc::c.wait > day);
  EXPECT_EQ(p.sql, R"("doc"."wait" > $1)");
  EXPECT_EQ(p.params, (Params{day}));
}

// ---- DDL ----

TEST(OrmExtDdl, PostgresColumnTypes) {
  const auto stmts =
      tern::orm::compile_create_table(Doc::tern_meta().table_def(), Dialect::kPostgres, false);
  ASSERT_EQ(stmts.size(), 1u);
  EXPECT_EQ(stmts[0],
            R"(CREATE TABLE "doc" ("id" SERIAL NOT NULL PRIMARY KEY, "data" JSON NOT NULL, )"
            R"("meta" JSONB NOT NULL, "extra" JSONB, "attrs" HSTORE NOT NULL, )"
            R"("ints" INTEGER[] NOT NULL, "tags" VARCHAR(20)[] NOT NULL, )"
            R"("wait" INTERVAL NOT NULL))");
}

TEST(OrmExtDdl, MysqlRefusesPostgresOnlyTypes) {
  try {
    tern::orm::compile_create_table(Doc::tern_meta().table_def(), Dialect::kMysql, false);
    FAIL() << "no NotSupportedError";
  } catch (const NotSupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("hstore"), std::string::npos) << e.what();
  }
  using tern::orm::ast::ColumnDef;
  using tern::orm::ast::ColumnType;
  for (ColumnType t : {ColumnType::kInterval, ColumnType::kArray, ColumnType::kHStore}) {
    tern::orm::ast::TableDef table;
    table.name = "t";
    table.columns.push_back(ColumnDef{.name = "c", .type = t});
    EXPECT_THROW(tern::orm::compile_create_table(table, Dialect::kMysql, false), NotSupportedError);
  }
}

TEST(OrmExtDdl, MysqlJsonColumns) {
  const auto stmts =
      tern::orm::compile_create_table(Note::tern_meta().table_def(), Dialect::kMysql, false);
  EXPECT_EQ(stmts[0],
            "CREATE TABLE `note` (`id` INT AUTO_INCREMENT NOT NULL PRIMARY KEY, "
            "`body` JSON NOT NULL DEFAULT ('{\"v\": 1}'), `tags` JSON)");
  const auto pg_stmts =
      tern::orm::compile_create_table(Note::tern_meta().table_def(), Dialect::kPostgres, false);
  EXPECT_EQ(pg_stmts[0], R"(CREATE TABLE "note" ("id" SERIAL NOT NULL PRIMARY KEY, )"
                         R"("body" JSON NOT NULL DEFAULT '{"v": 1}', "tags" JSONB))");
}

// The DEFAULT literal of a PostgreSQL column of `type` holding `v`.
std::string default_pg(tern::orm::ast::ColumnType type, const Value& v,
                       tern::orm::ast::ColumnType element = tern::orm::ast::ColumnType::kInteger) {
  tern::orm::ast::TableDef table;
  table.name = "t";
  table.columns.push_back(
      {.name = "c", .type = type, .null = true, .default_value = v, .element_type = element});
  const std::string sql = tern::orm::compile_create_table(table, Dialect::kPostgres, false)[0];
  const auto at = sql.find(" DEFAULT ");
  return at == std::string::npos ? sql : sql.substr(at + 9, sql.size() - at - 10);
}

TEST(OrmExtDdl, DefaultLiterals) {
  using tern::orm::ast::ColumnType;
  EXPECT_EQ(default_pg(ColumnType::kJsonb, Jsonb{R"({"it's": "\\"})"}), R"(E'{"it''s": "\\\\"}')");
  EXPECT_EQ(default_pg(ColumnType::kInterval,
                       tern::Interval{.months = -1, .days = 2, .microseconds = 3'000'000}),
            "'-1 months 2 days 3000000 microseconds'");
  // hstore_out's order: shorter keys first.
  EXPECT_EQ(default_pg(ColumnType::kHStore, tern::HStore{{"a'", "1"}, {"b", std::nullopt}}),
            R"('"b"=>NULL, "a''"=>"1"')");
  EXPECT_EQ(default_pg(ColumnType::kArray, std::vector<std::int32_t>{}), "'{}'");
  EXPECT_EQ(default_pg(ColumnType::kArray, Array<std::int64_t>{1, std::nullopt, -3}),
            "ARRAY[1, NULL, -3]");
  EXPECT_EQ(default_pg(ColumnType::kArray, std::vector<std::string>{"a", "b'c"}, ColumnType::kText),
            "ARRAY['a', 'b''c']");
}

}  // namespace
