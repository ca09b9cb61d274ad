// Golden-SQL tests of the query compiler: every construct in both dialects, checking the exact
// SQL text and the bound parameters in order. ASTs are built by hand with the helpers below.
#include "tern/orm/compiler.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tern/orm/ast.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern {
// Readable failure output for parameter vectors.
void PrintTo(const Value& v, std::ostream* os) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          *os << "NULL";
        } else if constexpr (std::is_same_v<T, std::string>) {
          *os << '"' << x << '"';
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                             std::is_same_v<T, double>) {
          *os << x;
        } else {
          *os << "<value>";
        }
      },
      v.storage());
}
}  // namespace tern

namespace {

using tern::Dialect;
using tern::InterfaceError;
using tern::NotSupportedError;
using tern::Params;
using tern::Value;
using tern::orm::compile;
using tern::orm::quote_identifier;
using namespace tern::orm::ast;  // NOLINT(google-build-using-namespace)
using K = Expr::Kind;
using Nulls = Expr::Nulls;

// ---- AST helpers ----

std::shared_ptr<Expr> node(K kind, ExprList args = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->args = std::move(args);
  return e;
}
ExprPtr col(std::string table, std::string name) {
  auto e = node(K::kColumn);
  e->table = std::move(table);
  e->name = std::move(name);
  return e;
}
ExprPtr col(std::string name) {
  return col("", std::move(name));
}
ExprPtr param(Value v) {
  auto e = node(K::kParam);
  e->value = std::move(v);
  return e;
}
ExprPtr bin(std::string op, ExprPtr a, ExprPtr b) {
  auto e = node(K::kBinary, {std::move(a), std::move(b)});
  e->op = std::move(op);
  return e;
}
ExprPtr unary(std::string op, ExprPtr a) {
  auto e = node(K::kUnary, {std::move(a)});
  e->op = std::move(op);
  return e;
}
ExprPtr is_null(ExprPtr a, bool negated = false) {
  auto e = node(K::kIsNull, {std::move(a)});
  e->negated = negated;
  return e;
}
ExprPtr between(ExprPtr a, ExprPtr lo, ExprPtr hi, bool negated = false) {
  auto e = node(K::kBetween, {std::move(a), std::move(lo), std::move(hi)});
  e->negated = negated;
  return e;
}
ExprPtr fn(std::string name, ExprList args = {}, bool distinct = false) {
  auto e = node(K::kFunction, std::move(args));
  e->name = std::move(name);
  e->distinct = distinct;
  return e;
}
ExprPtr list(ExprList items) {
  return node(K::kList, std::move(items));
}
ExprPtr alias(ExprPtr a, std::string name) {
  auto e = node(K::kAlias, {std::move(a)});
  e->name = std::move(name);
  return e;
}
ExprPtr star(std::string table = "") {
  auto e = node(K::kStar);
  e->table = std::move(table);
  return e;
}
ExprPtr subquery(Query q) {
  auto e = node(K::kSubquery);
  e->query = std::make_shared<Query>(std::move(q));
  return e;
}
ExprPtr exists(Query q, bool negated = false) {
  auto e = node(K::kExists);
  e->query = std::make_shared<Query>(std::move(q));
  e->negated = negated;
  return e;
}
ExprPtr case_of(ExprList args, bool has_operand, bool has_else) {
  auto e = node(K::kCase, std::move(args));
  e->has_operand = has_operand;
  e->has_else = has_else;
  return e;
}
ExprPtr cast(ExprPtr a, std::string type) {
  auto e = node(K::kCast, {std::move(a)});
  e->name = std::move(type);
  return e;
}
ExprPtr raw(std::string text, ExprList args = {}) {
  auto e = node(K::kRaw, std::move(args));
  e->name = std::move(text);
  return e;
}
ExprPtr ord(ExprPtr a, bool descending = false, Nulls nulls = Nulls::kDefault) {
  auto e = node(K::kOrdering, {std::move(a)});
  e->descending = descending;
  e->nulls = nulls;
  return e;
}
ExprPtr window(ExprPtr a, ExprList partition, ExprList order) {
  auto e = node(K::kWindow, {std::move(a)});
  e->partition = std::move(partition);
  e->order = std::move(order);
  return e;
}

TableRef table(std::string name, std::string alias_name = "") {
  TableRef t;
  t.name = std::move(name);
  t.alias = std::move(alias_name);
  return t;
}
// SELECT columns FROM from.
Query select(ExprList columns, std::string from = "") {
  Query q;
  q.columns = std::move(columns);
  if (!from.empty()) q.from = table(std::move(from));
  return q;
}
QueryPtr ptr(Query q) {
  return std::make_shared<Query>(std::move(q));
}
Query compound(Query lhs, std::string op, Query rhs) {
  Query q;
  q.kind = Query::Kind::kCompound;
  q.compound_op = std::move(op);
  q.lhs = ptr(std::move(lhs));
  q.rhs = ptr(std::move(rhs));
  return q;
}
Join join(Join::Type type, TableRef t, ExprPtr on) {
  Join j;
  j.type = type;
  j.table = std::move(t);
  j.on = std::move(on);
  return j;
}

// ---- golden checks ----

// compile_cached() gives what compile() gives, the first time (a shape compiled and recorded,
// or one an earlier test left with other values) and the second (found in the cache).
void check_cached(const Query& q, Dialect d, const Compiled& expected) {
  for (int pass = 0; pass < 2; ++pass) {
    const tern::orm::CachedStatement c = tern::orm::compile_cached(q, d);
    EXPECT_EQ(*c.sql, expected.sql) << "cached, pass " << pass;
    EXPECT_EQ(Params(c.params.begin(), c.params.end()), expected.params) << "cached, pass " << pass;
  }
}

void check(const Query& q, std::string_view pg_sql, std::string_view my_sql,
           const Params& pg_params, const Params& my_params) {
  const Compiled pg = compile(q, Dialect::kPostgres);
  EXPECT_EQ(pg.sql, pg_sql) << "PostgreSQL";
  EXPECT_EQ(pg.params, pg_params) << "PostgreSQL";
  check_cached(q, Dialect::kPostgres, pg);
  const Compiled my = compile(q, Dialect::kMysql);
  EXPECT_EQ(my.sql, my_sql) << "MySQL";
  EXPECT_EQ(my.params, my_params) << "MySQL";
  check_cached(q, Dialect::kMysql, my);
}
void check(const Query& q, std::string_view pg_sql, std::string_view my_sql,
           const Params& params = {}) {
  check(q, pg_sql, my_sql, params, params);
}
// An expression alone: compiled as `SELECT <e>` with the "SELECT " cut off.
void check_expr(const ExprPtr& e, std::string_view pg_sql, std::string_view my_sql,
                const Params& params = {}) {
  const Query q = select({e});
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    const bool pg = d == Dialect::kPostgres;
    const Compiled c = compile(q, d);
    ASSERT_EQ(c.sql.substr(0, 7), "SELECT ");
    EXPECT_EQ(c.sql.substr(7), pg ? pg_sql : my_sql) << (pg ? "PostgreSQL" : "MySQL");
    EXPECT_EQ(c.params, params) << (pg ? "PostgreSQL" : "MySQL");
    check_cached(q, d, c);
  }
}
// Golden checks report the line of the test, not of the helper.
#define CHECK_SQL(...)         \
  do {                         \
    SCOPED_TRACE("CHECK_SQL"); \
    check(__VA_ARGS__);        \
  } while (0)
#define CHECK_EXPR(...)         \
  do {                          \
    SCOPED_TRACE("CHECK_EXPR"); \
    check_expr(__VA_ARGS__);    \
  } while (0)

// ---- identifiers ----

TEST(OrmCompilerQuote, QuotesPerDialect) {
  EXPECT_EQ(quote_identifier("user", Dialect::kPostgres), "\"user\"");
  EXPECT_EQ(quote_identifier("user", Dialect::kMysql), "`user`");
  EXPECT_EQ(quote_identifier("a\"b", Dialect::kPostgres), "\"a\"\"b\"");
  EXPECT_EQ(quote_identifier("a`b", Dialect::kMysql), "`a``b`");
  // The other dialect's quote character is ordinary text.
  EXPECT_EQ(quote_identifier("a`b", Dialect::kPostgres), "\"a`b\"");
  EXPECT_EQ(quote_identifier("a\"b", Dialect::kMysql), "`a\"b`");
  EXPECT_EQ(quote_identifier("\"\"", Dialect::kPostgres), "\"\"\"\"\"\"");
  EXPECT_EQ(quote_identifier("x.y", Dialect::kPostgres), "\"x.y\"");
}

TEST(OrmCompilerQuote, RejectsEmptyAndNul) {
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    EXPECT_THROW(quote_identifier("", d), InterfaceError);
    EXPECT_THROW(quote_identifier(std::string_view("a\0b", 3), d), InterfaceError);
  }
  EXPECT_THROW(compile(select({col("")}, "t"), Dialect::kPostgres), InterfaceError);
}

TEST(OrmCompilerQuote, HostileIdentifiersInQueries) {
  CHECK_SQL(select({col("t\"1", "a`b")}, "t\"1"), R"(SELECT "t""1"."a`b" FROM "t""1")",
            "SELECT `t\"1`.`a``b` FROM `t\"1`");
  CHECK_SQL(select({alias(col("a"), "x\"; DROP TABLE y; --")}),
            R"(SELECT "a" AS "x""; DROP TABLE y; --")", "SELECT `a` AS `x\"; DROP TABLE y; --`");
}

// ---- expressions ----

TEST(OrmCompilerExpr, ColumnsAndParams) {
  CHECK_EXPR(col("a"), R"("a")", "`a`");
  CHECK_EXPR(col("t", "a"), R"("t"."a")", "`t`.`a`");
  CHECK_EXPR(param(42), "$1", "?", {42});
  const Query q = select({param(1), param("two"), param(nullptr), param(2.5), param(true)});
  CHECK_SQL(q, "SELECT $1, $2, $3, $4, $5", "SELECT ?, ?, ?, ?, ?", {1, "two", nullptr, 2.5, true});
}

TEST(OrmCompilerExpr, InfixOperators) {
  const std::pair<const char*, const char*> ops[] = {
      {"=", "="},   {"<>", "<>"},   {"<", "<"},   {"<=", "<="},     {">", ">"},
      {">=", ">="}, {"+", "+"},     {"-", "-"},   {"*", "*"},       {"/", "/"},
      {"%", "%"},   {"AND", "AND"}, {"OR", "OR"}, {"LIKE", "LIKE"}, {"NOT_LIKE", "NOT LIKE"},
  };
  for (const auto& [op, sql] : ops) {
    SCOPED_TRACE(op);
    CHECK_EXPR(bin(op, col("a"), param(1)), std::string(R"("a" )") + sql + " $1",
               std::string("`a` ") + sql + " ?", {1});
  }
}

TEST(OrmCompilerExpr, IlikeIsLikeOnMysql) {
  CHECK_EXPR(bin("ILIKE", col("name"), param("%ab%")), R"("name" ILIKE $1)", "`name` LIKE ?",
             {"%ab%"});
}

TEST(OrmCompilerExpr, NestedBinaryIsParenthesized) {
  // a = 1 AND (b = 2 OR c = 3)
  const auto e = bin("AND", bin("=", col("a"), param(1)),
                     bin("OR", bin("=", col("b"), param(2)), bin("=", col("c"), param(3))));
  CHECK_EXPR(e, R"(("a" = $1) AND (("b" = $2) OR ("c" = $3)))",
             "(`a` = ?) AND ((`b` = ?) OR (`c` = ?))", {1, 2, 3});
}

TEST(OrmCompilerExpr, ArithmeticPrecedenceIsExplicit) {
  // (a + 1) * 2 and a + (1 * 2) differ only by the parentheses the compiler writes.
  CHECK_EXPR(bin("*", bin("+", col("a"), param(1)), param(2)), R"(("a" + $1) * $2)",
             "(`a` + ?) * ?", {1, 2});
  CHECK_EXPR(bin("+", col("a"), bin("*", param(1), param(2))), R"("a" + ($1 * $2))",
             "`a` + (? * ?)", {1, 2});
}

TEST(OrmCompilerExpr, InList) {
  CHECK_EXPR(bin("IN", col("id"), list({param(1), param(2), param(3)})), R"("id" IN ($1, $2, $3))",
             "`id` IN (?, ?, ?)", {1, 2, 3});
  CHECK_EXPR(bin("NOT_IN", col("id"), list({param("x")})), R"("id" NOT IN ($1))", "`id` NOT IN (?)",
             {"x"});
}

TEST(OrmCompilerExpr, InEmptyListIsConstant) {
  CHECK_EXPR(bin("IN", col("id"), list({})), "(1 = 0)", "(1 = 0)");
  CHECK_EXPR(bin("NOT_IN", col("id"), list({})), "(1 = 1)", "(1 = 1)");
  // Not parenthesized twice when nested; the other operand keeps its parameter.
  CHECK_EXPR(bin("AND", bin("IN", col("id"), list({})), bin("=", col("a"), param(5))),
             R"((1 = 0) AND ("a" = $1))", "(1 = 0) AND (`a` = ?)", {5});
}

TEST(OrmCompilerExpr, InSubquery) {
  Query sub = select({col("u", "id")}, "u");
  sub.where = bin("=", col("u", "active"), param(true));
  CHECK_EXPR(bin("IN", col("t", "uid"), subquery(sub)),
             R"("t"."uid" IN (SELECT "u"."id" FROM "u" WHERE "u"."active" = $1))",
             "`t`.`uid` IN (SELECT `u`.`id` FROM `u` WHERE `u`.`active` = ?)", {true});
}

TEST(OrmCompilerExpr, InOtherExpressionIsParenthesized) {
  CHECK_EXPR(bin("IN", col("a"), raw("SELECT 1")), R"("a" IN (SELECT 1))", "`a` IN (SELECT 1)");
}

TEST(OrmCompilerExpr, IsNullTrueFalse) {
  CHECK_EXPR(bin("IS", col("a"), param(nullptr)), R"("a" IS NULL)", "`a` IS NULL");
  CHECK_EXPR(bin("IS_NOT", col("a"), param(nullptr)), R"("a" IS NOT NULL)", "`a` IS NOT NULL");
  CHECK_EXPR(bin("IS", col("a"), param(true)), R"("a" IS TRUE)", "`a` IS TRUE");
  CHECK_EXPR(bin("IS_NOT", col("a"), param(false)), R"("a" IS NOT FALSE)", "`a` IS NOT FALSE");
}

TEST(OrmCompilerExpr, IsWithValueIsNullSafeComparison) {
  CHECK_EXPR(bin("IS", col("a"), param(3)), R"("a" IS NOT DISTINCT FROM $1)", "`a` <=> ?", {3});
  CHECK_EXPR(bin("IS_NOT", col("a"), col("b")), R"("a" IS DISTINCT FROM "b")", "NOT (`a` <=> `b`)");
}

TEST(OrmCompilerExpr, Concat) {
  CHECK_EXPR(bin("CONCAT", col("a"), param("-")), R"("a" || $1)", "CONCAT(`a`, ?)", {"-"});
  CHECK_EXPR(bin("CONCAT", bin("CONCAT", col("a"), param("-")), col("b")), R"(("a" || $1) || "b")",
             "CONCAT(CONCAT(`a`, ?), `b`)", {"-"});
  CHECK_EXPR(bin("=", bin("CONCAT", col("a"), col("b")), param("ab")), R"(("a" || "b") = $1)",
             "CONCAT(`a`, `b`) = ?", {"ab"});
}

TEST(OrmCompilerExpr, UnaryOperators) {
  CHECK_EXPR(unary("NOT", bin("=", col("a"), param(1))), R"(NOT ("a" = $1))", "NOT (`a` = ?)", {1});
  CHECK_EXPR(unary("NEG", col("a")), R"(-("a"))", "-(`a`)");
  // NOT binds looser than comparisons: as an operand it gets its own parentheses.
  CHECK_EXPR(bin("=", unary("NOT", col("flag")), param(false)), R"((NOT ("flag")) = $1)",
             "(NOT (`flag`)) = ?", {false});
  CHECK_EXPR(bin("*", unary("NEG", col("a")), param(2)), R"(-("a") * $1)", "-(`a`) * ?", {2});
  EXPECT_THROW(compile(select({unary("~", col("a"))}), Dialect::kPostgres), InterfaceError);
}

TEST(OrmCompilerExpr, IsNullNode) {
  CHECK_EXPR(is_null(col("t", "a")), R"("t"."a" IS NULL)", "`t`.`a` IS NULL");
  CHECK_EXPR(is_null(col("a"), true), R"("a" IS NOT NULL)", "`a` IS NOT NULL");
  CHECK_EXPR(bin("OR", is_null(col("a")), bin("=", col("a"), param(0))),
             R"(("a" IS NULL) OR ("a" = $1))", "(`a` IS NULL) OR (`a` = ?)", {0});
  CHECK_EXPR(is_null(bin("+", col("a"), col("b"))), R"(("a" + "b") IS NULL)",
             "(`a` + `b`) IS NULL");
}

TEST(OrmCompilerExpr, Between) {
  CHECK_EXPR(between(col("a"), param(1), param(10)), R"("a" BETWEEN $1 AND $2)",
             "`a` BETWEEN ? AND ?", {1, 10});
  CHECK_EXPR(between(col("a"), param(1), bin("+", param(2), param(3)), true),
             R"("a" NOT BETWEEN $1 AND ($2 + $3))", "`a` NOT BETWEEN ? AND (? + ?)", {1, 2, 3});
  CHECK_EXPR(bin("AND", between(col("a"), param(1), param(2)), col("b")),
             R"(("a" BETWEEN $1 AND $2) AND "b")", "(`a` BETWEEN ? AND ?) AND `b`", {1, 2});
}

TEST(OrmCompilerExpr, Functions) {
  CHECK_EXPR(fn("COUNT"), "COUNT(*)", "COUNT(*)");
  CHECK_EXPR(fn("COUNT", {col("a")}, true), R"(COUNT(DISTINCT "a"))", "COUNT(DISTINCT `a`)");
  CHECK_EXPR(fn("LOWER", {col("t", "name")}), R"(LOWER("t"."name"))", "LOWER(`t`.`name`)");
  CHECK_EXPR(fn("COALESCE", {col("a"), param(0)}), R"(COALESCE("a", $1))", "COALESCE(`a`, ?)", {0});
  CHECK_EXPR(fn("SUM", {bin("*", col("a"), col("b"))}), R"(SUM("a" * "b"))", "SUM(`a` * `b`)");
  CHECK_EXPR(fn("NOW"), "NOW()", "NOW()");
  CHECK_EXPR(fn("pg_catalog.lower", {col("a")}), R"(pg_catalog.lower("a"))",
             "pg_catalog.lower(`a`)");
  for (const char* bad : {"", "f(x); DROP TABLE t; --", "a b", "1f", "a.", ".a", "a..b"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(compile(select({fn(bad, {col("a")})}), Dialect::kPostgres), InterfaceError);
  }
  EXPECT_THROW(compile(select({fn("COUNT", {}, true)}), Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerExpr, AliasAndStar) {
  CHECK_EXPR(alias(fn("COUNT"), "n"), R"(COUNT(*) AS "n")", "COUNT(*) AS `n`");
  CHECK_EXPR(star(), "*", "*");
  CHECK_EXPR(star("t"), R"("t".*)", "`t`.*");
}

TEST(OrmCompilerExpr, SubqueryAndExists) {
  Query sub = select({fn("MAX", {col("b", "x")})}, "b");
  sub.where = bin("=", col("b", "k"), param("k"));
  CHECK_EXPR(subquery(sub), R"((SELECT MAX("b"."x") FROM "b" WHERE "b"."k" = $1))",
             "(SELECT MAX(`b`.`x`) FROM `b` WHERE `b`.`k` = ?)", {"k"});
  CHECK_EXPR(exists(sub), R"(EXISTS (SELECT MAX("b"."x") FROM "b" WHERE "b"."k" = $1))",
             "EXISTS (SELECT MAX(`b`.`x`) FROM `b` WHERE `b`.`k` = ?)", {"k"});
  CHECK_EXPR(bin("AND", exists(select({param(1)}), true), col("a")),
             R"((NOT EXISTS (SELECT $1)) AND "a")", "(NOT EXISTS (SELECT ?)) AND `a`", {1});
}

TEST(OrmCompilerExpr, Case) {
  // Searched CASE with ELSE.
  CHECK_EXPR(case_of({bin(">", col("a"), param(0)), param("pos"), bin("<", col("a"), param(0)),
                      param("neg"), param("zero")},
                     false, true),
             R"(CASE WHEN "a" > $1 THEN $2 WHEN "a" < $3 THEN $4 ELSE $5 END)",
             "CASE WHEN `a` > ? THEN ? WHEN `a` < ? THEN ? ELSE ? END",
             {0, "pos", 0, "neg", "zero"});
  // Simple CASE without ELSE.
  CHECK_EXPR(case_of({col("k"), param(1), param("one")}, true, false),
             R"(CASE "k" WHEN $1 THEN $2 END)", "CASE `k` WHEN ? THEN ? END", {1, "one"});
  // Malformed: no pair, or an odd count.
  EXPECT_THROW(compile(select({case_of({param(1)}, false, true)}), Dialect::kPostgres),
               InterfaceError);
  EXPECT_THROW(
      compile(select({case_of({param(1), param(2), param(3)}, false, false)}), Dialect::kPostgres),
      InterfaceError);
}

TEST(OrmCompilerExpr, CastPerDialect) {
  const struct {
    const char* type;
    const char* pg;
    const char* my;
  } cases[] = {
      {"INTEGER", "INTEGER", "SIGNED"},
      {"BIGINT", "BIGINT", "SIGNED"},
      {"SMALLINT", "SMALLINT", "SIGNED"},
      {"TEXT", "TEXT", "CHAR"},
      {"VARCHAR", "VARCHAR", "CHAR"},
      {"VARCHAR(10)", "VARCHAR(10)", "CHAR(10)"},
      {"NUMERIC", "NUMERIC", "DECIMAL(65,30)"},
      {"NUMERIC(10,2)", "NUMERIC(10,2)", "DECIMAL(10,2)"},
      {"DOUBLE PRECISION", "DOUBLE PRECISION", "DOUBLE"},
      {"DOUBLE", "DOUBLE", "DOUBLE"},
      {"TIMESTAMP", "TIMESTAMP", "DATETIME(6)"},
      {"TIME", "TIME", "TIME(6)"},
      {"DATE", "DATE", "DATE"},
      {"integer", "integer", "SIGNED"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type);
    CHECK_EXPR(cast(col("a"), c.type), std::string(R"(CAST("a" AS )") + c.pg + ")",
               std::string("CAST(`a` AS ") + c.my + ")");
  }
  CHECK_EXPR(cast(param("12"), "INTEGER"), "CAST($1 AS INTEGER)", "CAST(? AS SIGNED)", {"12"});
  EXPECT_THROW(compile(select({cast(col("a"), "INT); DROP TABLE t; --")}), Dialect::kPostgres),
               InterfaceError);
  EXPECT_THROW(compile(select({cast(col("a"), "")}), Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerExpr, Raw) {
  CHECK_EXPR(raw("\"doc\" @> ?::jsonb", {param("{}")}), R"("doc" @> $1::jsonb)",
             "\"doc\" @> ?::jsonb", {"{}"});
  CHECK_EXPR(raw("GREATEST(?, ?)", {param(1), param(2)}), "GREATEST($1, $2)", "GREATEST(?, ?)",
             {1, 2});
  CHECK_EXPR(raw("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP");
  // A raw node is an operand like any other: parenthesized under an operator.
  CHECK_EXPR(bin("*", raw("? + 1", {param(1)}), param(2)), "($1 + 1) * $2", "(? + 1) * ?", {1, 2});
  // A compound argument is parenthesized inside the raw text.
  CHECK_EXPR(raw("ABS(?)", {bin("-", col("a"), col("b"))}), R"(ABS(("a" - "b")))",
             "ABS((`a` - `b`))");
  EXPECT_THROW(compile(select({raw("? ?", {param(1)})}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(select({raw("?", {param(1), param(2)})}), Dialect::kPostgres),
               InterfaceError);
}

TEST(OrmCompilerExpr, Ordering) {
  CHECK_EXPR(ord(col("a")), R"("a" ASC)", "`a` ASC");
  CHECK_EXPR(ord(col("a"), true), R"("a" DESC)", "`a` DESC");
  CHECK_EXPR(ord(col("a"), false, Nulls::kFirst), R"("a" ASC NULLS FIRST)",
             "`a` IS NULL DESC, `a` ASC");
  CHECK_EXPR(ord(col("a"), true, Nulls::kLast), R"("a" DESC NULLS LAST)",
             "`a` IS NULL ASC, `a` DESC");
  CHECK_EXPR(ord(col("a"), true, Nulls::kFirst), R"("a" DESC NULLS FIRST)",
             "`a` IS NULL DESC, `a` DESC");
}

TEST(OrmCompilerExpr, MysqlNullsEmulationRepeatsParams) {
  // The ordering expression appears twice on MySQL, and so does its parameter.
  Query q = select({}, "t");
  q.order_by = {ord(bin("+", col("a"), param(1)), false, Nulls::kLast)};
  CHECK_SQL(q, R"(SELECT * FROM "t" ORDER BY "a" + $1 ASC NULLS LAST)",
            "SELECT * FROM `t` ORDER BY (`a` + ?) IS NULL ASC, `a` + ? ASC", {1}, {1, 1});
}

TEST(OrmCompilerExpr, Window) {
  CHECK_EXPR(window(fn("ROW_NUMBER"), {col("g")}, {ord(col("x"), true)}),
             R"(ROW_NUMBER() OVER (PARTITION BY "g" ORDER BY "x" DESC))",
             "ROW_NUMBER() OVER (PARTITION BY `g` ORDER BY `x` DESC)");
  CHECK_EXPR(window(fn("SUM", {col("v")}), {col("a"), col("b")}, {}),
             R"(SUM("v") OVER (PARTITION BY "a", "b"))", "SUM(`v`) OVER (PARTITION BY `a`, `b`)");
  CHECK_EXPR(window(fn("RANK"), {}, {col("x")}), R"(RANK() OVER (ORDER BY "x"))",
             "RANK() OVER (ORDER BY `x`)");
  CHECK_EXPR(window(fn("COUNT"), {}, {}), "COUNT(*) OVER ()", "COUNT(*) OVER ()");
  CHECK_EXPR(window(fn("LAG", {col("x"), param(1)}), {}, {ord(col("t"), false, Nulls::kFirst)}),
             R"(LAG("x", $1) OVER (ORDER BY "t" ASC NULLS FIRST))",
             "LAG(`x`, ?) OVER (ORDER BY `t` IS NULL DESC, `t` ASC)", {1});
}

TEST(OrmCompilerExpr, MalformedTrees) {
  EXPECT_THROW(compile(select({bin("===", col("a"), col("b"))}), Dialect::kPostgres),
               InterfaceError);
  EXPECT_THROW(compile(select({bin("=", col("a"), nullptr)}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(select({node(K::kBinary, {col("a")})}), Dialect::kMysql), InterfaceError);
  EXPECT_THROW(compile(select({nullptr}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(select({node(K::kSubquery)}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(select({list({})}), Dialect::kPostgres), InterfaceError);
}

// ---- SELECT ----

TEST(OrmCompilerSelect, StarFromTable) {
  CHECK_SQL(select({}, "users"), R"(SELECT * FROM "users")", "SELECT * FROM `users`");
  CHECK_SQL(select({param(1)}), "SELECT $1", "SELECT ?", {1});
}

TEST(OrmCompilerSelect, DistinctAndAlias) {
  Query q = select({col("u", "name")});
  q.distinct = true;
  q.from = table("users", "u");
  CHECK_SQL(q, R"(SELECT DISTINCT "u"."name" FROM "users" AS "u")",
            "SELECT DISTINCT `u`.`name` FROM `users` AS `u`");
}

TEST(OrmCompilerSelect, FullQueryClauseOrder) {
  Query q = select({col("t", "g"), alias(fn("COUNT"), "n")}, "t");
  q.where = bin("AND", bin("=", col("t", "a"), param("x")), bin(">", col("t", "b"), param(2)));
  q.group_by = {col("t", "g")};
  q.having = bin(">", fn("COUNT"), param(3));
  q.order_by = {ord(col("n"), true), col("t", "g")};
  q.limit = 10;
  q.offset = 20;
  CHECK_SQL(q,
            R"(SELECT "t"."g", COUNT(*) AS "n" FROM "t" WHERE ("t"."a" = $1) AND ("t"."b" > $2) )"
            R"(GROUP BY "t"."g" HAVING COUNT(*) > $3 ORDER BY "n" DESC, "t"."g" LIMIT $4 )"
            R"(OFFSET $5)",
            "SELECT `t`.`g`, COUNT(*) AS `n` FROM `t` WHERE (`t`.`a` = ?) AND (`t`.`b` > ?) "
            "GROUP BY `t`.`g` HAVING COUNT(*) > ? ORDER BY `n` DESC, `t`.`g` LIMIT ? OFFSET ?",
            {"x", 2, 3, std::int64_t{10}, std::int64_t{20}});
}

TEST(OrmCompilerSelect, LimitOffset) {
  Query q = select({}, "t");
  q.limit = 5;
  CHECK_SQL(q, R"(SELECT * FROM "t" LIMIT $1)", "SELECT * FROM `t` LIMIT ?", {5});
  q.offset = 0;
  CHECK_SQL(q, R"(SELECT * FROM "t" LIMIT $1 OFFSET $2)", "SELECT * FROM `t` LIMIT ? OFFSET ?",
            {5, 0});
  q.limit.reset();
  q.offset = 7;
  CHECK_SQL(q, R"(SELECT * FROM "t" OFFSET $1)",
            "SELECT * FROM `t` LIMIT 18446744073709551615 OFFSET ?", {7});
  q.offset = -1;
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  q.offset.reset();
  q.limit = -1;
  EXPECT_THROW(compile(q, Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerSelect, ForUpdate) {
  Query q = select({}, "t");
  q.where = bin("=", col("id"), param(1));
  q.limit = 1;
  q.lock = Lock{};
  CHECK_SQL(q, R"(SELECT * FROM "t" WHERE "id" = $1 LIMIT $2 FOR UPDATE)",
            "SELECT * FROM `t` WHERE `id` = ? LIMIT ? FOR UPDATE", {1, 1});
  q.lock->nowait = true;
  CHECK_SQL(q, R"(SELECT * FROM "t" WHERE "id" = $1 LIMIT $2 FOR UPDATE NOWAIT)",
            "SELECT * FROM `t` WHERE `id` = ? LIMIT ? FOR UPDATE NOWAIT", {1, 1});
  q.lock = Lock{.skip_locked = true};
  CHECK_SQL(q, R"(SELECT * FROM "t" WHERE "id" = $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
            "SELECT * FROM `t` WHERE `id` = ? LIMIT ? FOR UPDATE SKIP LOCKED", {1, 1});
  q.lock = Lock{.strength = Lock::Strength::kShare};
  CHECK_SQL(q, R"(SELECT * FROM "t" WHERE "id" = $1 LIMIT $2 FOR SHARE)",
            "SELECT * FROM `t` WHERE `id` = ? LIMIT ? LOCK IN SHARE MODE", {1, 1});
  // PostgreSQL only: OF, NO KEY UPDATE, KEY SHARE.
  q.lock = Lock{.strength = Lock::Strength::kNoKeyUpdate, .nowait = true, .of = {"t", "u"}};
  EXPECT_EQ(compile(q, Dialect::kPostgres).sql,
            R"(SELECT * FROM "t" WHERE "id" = $1 LIMIT $2 FOR NO KEY UPDATE OF "t", "u" NOWAIT)");
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
  q.lock = Lock{.of = {"t"}};
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
  q.lock = Lock{.strength = Lock::Strength::kKeyShare};
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
  q.lock = Lock{.nowait = true, .skip_locked = true};
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
}

TEST(OrmCompilerSelect, Joins) {
  Query q = select({col("a", "x"), col("b", "y")});
  q.from = table("ta", "a");
  const auto on = bin("=", col("a", "id"), col("b", "a_id"));
  q.joins = {join(Join::Type::kInner, table("tb", "b"), on)};
  CHECK_SQL(
      q,
      R"(SELECT "a"."x", "b"."y" FROM "ta" AS "a" INNER JOIN "tb" AS "b" ON "a"."id" = "b"."a_id")",
      "SELECT `a`.`x`, `b`.`y` FROM `ta` AS `a` INNER JOIN `tb` AS `b` ON `a`.`id` = "
      "`b`.`a_id`");
  q.joins = {join(Join::Type::kLeft, table("tb", "b"), on)};
  CHECK_SQL(
      q,
      R"(SELECT "a"."x", "b"."y" FROM "ta" AS "a" LEFT OUTER JOIN "tb" AS "b" ON "a"."id" = "b"."a_id")",
      "SELECT `a`.`x`, `b`.`y` FROM `ta` AS `a` LEFT OUTER JOIN `tb` AS `b` ON `a`.`id` = "
      "`b`.`a_id`");
  q.joins = {join(Join::Type::kRight, table("tb"), on)};
  CHECK_SQL(
      q,
      R"(SELECT "a"."x", "b"."y" FROM "ta" AS "a" RIGHT OUTER JOIN "tb" ON "a"."id" = "b"."a_id")",
      "SELECT `a`.`x`, `b`.`y` FROM `ta` AS `a` RIGHT OUTER JOIN `tb` ON `a`.`id` = "
      "`b`.`a_id`");
  q.joins = {join(Join::Type::kCross, table("tb", "b"), nullptr)};
  CHECK_SQL(q, R"(SELECT "a"."x", "b"."y" FROM "ta" AS "a" CROSS JOIN "tb" AS "b")",
            "SELECT `a`.`x`, `b`.`y` FROM `ta` AS `a` CROSS JOIN `tb` AS `b`");
}

TEST(OrmCompilerSelect, FullJoinIsPostgresOnly) {
  Query q = select({}, "a");
  q.joins = {join(Join::Type::kFull, table("b"), bin("=", col("a", "id"), col("b", "id")))};
  EXPECT_EQ(compile(q, Dialect::kPostgres).sql,
            R"(SELECT * FROM "a" FULL OUTER JOIN "b" ON "a"."id" = "b"."id")");
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
}

TEST(OrmCompilerSelect, MalformedJoins) {
  Query q = select({}, "a");
  q.joins = {join(Join::Type::kInner, table("b"), nullptr)};
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  q.joins = {join(Join::Type::kCross, table("b"), col("x"))};
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  q.from.reset();
  EXPECT_THROW(compile(q, Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerSelect, SubqueryInFrom) {
  Query inner = select({col("x")}, "t");
  inner.where = bin(">", col("x"), param(1));
  Query q = select({col("s", "x")});
  q.from = TableRef{};
  q.from->subquery = ptr(inner);
  q.from->alias = "s";
  q.where = bin("<", col("s", "x"), param(9));
  CHECK_SQL(
      q, R"(SELECT "s"."x" FROM (SELECT "x" FROM "t" WHERE "x" > $1) AS "s" WHERE "s"."x" < $2)",
      "SELECT `s`.`x` FROM (SELECT `x` FROM `t` WHERE `x` > ?) AS `s` WHERE `s`.`x` < ?", {1, 9});
  q.from->alias.clear();
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
}

TEST(OrmCompilerSelect, PlaceholdersNumberAcrossNesting) {
  // CTE, select list, join ON, FROM subquery, WHERE subquery, LIMIT: numbered in text order.
  Cte cte;
  cte.name = "c";
  Query cq = select({col("id")}, "base");
  cq.where = bin("=", col("kind"), param("k1"));
  cte.query = ptr(cq);

  Query inner = select({col("id")}, "z");
  inner.where = bin("=", col("z", "v"), param("k4"));

  Query q = select({col("c", "id"), param("k2")}, "c");
  Query join_sub = select({col("id")}, "j");
  join_sub.where = bin("<>", col("j", "w"), param("k3"));
  TableRef jt;
  jt.subquery = ptr(join_sub);
  jt.alias = "js";
  q.with = {cte};
  q.joins = {join(Join::Type::kInner, jt, bin("=", col("js", "id"), col("c", "id")))};
  q.where = bin("IN", col("c", "id"), subquery(inner));
  q.limit = 3;
  CHECK_SQL(
      q,
      R"(WITH "c" AS (SELECT "id" FROM "base" WHERE "kind" = $1) SELECT "c"."id", $2 FROM "c" )"
      R"(INNER JOIN (SELECT "id" FROM "j" WHERE "j"."w" <> $3) AS "js" ON "js"."id" = "c"."id" )"
      R"(WHERE "c"."id" IN (SELECT "id" FROM "z" WHERE "z"."v" = $4) LIMIT $5)",
      "WITH `c` AS (SELECT `id` FROM `base` WHERE `kind` = ?) SELECT `c`.`id`, ? FROM `c` "
      "INNER JOIN (SELECT `id` FROM `j` WHERE `j`.`w` <> ?) AS `js` ON `js`.`id` = `c`.`id` "
      "WHERE `c`.`id` IN (SELECT `id` FROM `z` WHERE `z`.`v` = ?) LIMIT ?",
      {"k1", "k2", "k3", "k4", 3});
}

TEST(OrmCompilerSelect, InjectionStaysInParams) {
  const std::string evil = "'; DROP TABLE x; --";
  Query q = select({}, "users");
  q.where = bin("AND", bin("=", col("name"), param(evil)), bin("LIKE", col("bio"), param(evil)));
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    const Compiled c = compile(q, d);
    EXPECT_EQ(c.sql.find("DROP"), std::string::npos) << c.sql;
    EXPECT_EQ(c.sql.find('\''), std::string::npos) << c.sql;
    EXPECT_EQ(c.params, (Params{evil, evil}));
  }
  CHECK_SQL(q, R"(SELECT * FROM "users" WHERE ("name" = $1) AND ("bio" LIKE $2))",
            "SELECT * FROM `users` WHERE (`name` = ?) AND (`bio` LIKE ?)", {evil, evil});
}

// ---- compound ----

TEST(OrmCompilerCompound, PlainParts) {
  Query a = select({col("x")}, "a");
  a.where = bin("=", col("k"), param(1));
  Query b = select({col("x")}, "b");
  b.where = bin("=", col("k"), param(2));
  CHECK_SQL(compound(a, "UNION", b),
            R"(SELECT "x" FROM "a" WHERE "k" = $1 UNION SELECT "x" FROM "b" WHERE "k" = $2)",
            "SELECT `x` FROM `a` WHERE `k` = ? UNION SELECT `x` FROM `b` WHERE `k` = ?", {1, 2});
  for (const char* op : {"UNION ALL", "INTERSECT", "EXCEPT"}) {
    SCOPED_TRACE(op);
    CHECK_SQL(compound(select({col("x")}, "a"), op, select({col("x")}, "b")),
              std::string(R"(SELECT "x" FROM "a" )") + op + R"( SELECT "x" FROM "b")",
              std::string("SELECT `x` FROM `a` ") + op + " SELECT `x` FROM `b`");
  }
}

TEST(OrmCompilerCompound, OuterOrderLimitOffset) {
  Query q = compound(select({col("x")}, "a"), "UNION ALL", select({col("x")}, "b"));
  q.order_by = {ord(col("x"), true)};
  q.limit = 10;
  q.offset = 5;
  CHECK_SQL(
      q,
      R"(SELECT "x" FROM "a" UNION ALL SELECT "x" FROM "b" ORDER BY "x" DESC LIMIT $1 OFFSET $2)",
      "SELECT `x` FROM `a` UNION ALL SELECT `x` FROM `b` ORDER BY `x` DESC LIMIT ? OFFSET ?",
      {10, 5});
}

TEST(OrmCompilerCompound, PartsWithOwnOrderLimitAreParenthesized) {
  Query a = select({col("x")}, "a");
  a.order_by = {col("x")};
  a.limit = 1;
  Query b = select({col("x")}, "b");
  b.where = bin(">", col("x"), param(0));
  Query q = compound(a, "UNION", b);
  q.limit = 2;
  CHECK_SQL(
      q,
      R"((SELECT "x" FROM "a" ORDER BY "x" LIMIT $1) UNION SELECT "x" FROM "b" WHERE "x" > $2 LIMIT $3)",
      "(SELECT `x` FROM `a` ORDER BY `x` LIMIT ?) UNION SELECT `x` FROM `b` WHERE `x` > ? "
      "LIMIT ?",
      {1, 0, 2});
}

TEST(OrmCompilerCompound, NestedCompoundIsParenthesized) {
  Query ab = compound(select({col("x")}, "a"), "UNION", select({col("x")}, "b"));
  Query q = compound(ab, "EXCEPT", select({col("x")}, "c"));
  CHECK_SQL(q, R"((SELECT "x" FROM "a" UNION SELECT "x" FROM "b") EXCEPT SELECT "x" FROM "c")",
            "(SELECT `x` FROM `a` UNION SELECT `x` FROM `b`) EXCEPT SELECT `x` FROM `c`");
  // As a subquery.
  CHECK_EXPR(bin("IN", col("x"), subquery(ab)),
             R"("x" IN (SELECT "x" FROM "a" UNION SELECT "x" FROM "b"))",
             "`x` IN (SELECT `x` FROM `a` UNION SELECT `x` FROM `b`)");
}

TEST(OrmCompilerCompound, Malformed) {
  Query q = compound(select({col("x")}, "a"), "UNION; DROP", select({col("x")}, "b"));
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  q.compound_op = "UNION";
  q.rhs.reset();
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  Query del;
  del.kind = Query::Kind::kDelete;
  del.table = "t";
  q.rhs = ptr(del);
  EXPECT_THROW(compile(q, Dialect::kMysql), InterfaceError);
}

// ---- CTE ----

TEST(OrmCompilerCte, Recursive) {
  // WITH RECURSIVE nums(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM nums WHERE n < 10)
  Query base = select({param(1)});
  Query step = select({bin("+", col("n"), param(1))}, "nums");
  step.where = bin("<", col("n"), param(10));
  Cte cte;
  cte.name = "nums";
  cte.columns = {"n"};
  cte.recursive = true;
  cte.query = ptr(compound(base, "UNION ALL", step));
  Cte other;
  other.name = "two";
  other.query = ptr(select({param(2)}));
  Query q = select({fn("SUM", {col("n")})}, "nums");
  q.with = {other, cte};
  CHECK_SQL(q,
            R"(WITH RECURSIVE "two" AS (SELECT $1), "nums" ("n") AS (SELECT $2 UNION ALL )"
            R"(SELECT "n" + $3 FROM "nums" WHERE "n" < $4) SELECT SUM("n") FROM "nums")",
            "WITH RECURSIVE `two` AS (SELECT ?), `nums` (`n`) AS (SELECT ? UNION ALL SELECT `n` + "
            "? FROM `nums` WHERE `n` < ?) SELECT SUM(`n`) FROM `nums`",
            {2, 1, 1, 10});
}

TEST(OrmCompilerCte, NonRecursiveAndMissingQuery) {
  Cte cte;
  cte.name = "c";
  cte.columns = {"a", "b"};
  cte.query = ptr(select({param(1), param(2)}));
  Query q = select({}, "c");
  q.with = {cte};
  CHECK_SQL(q, R"(WITH "c" ("a", "b") AS (SELECT $1, $2) SELECT * FROM "c")",
            "WITH `c` (`a`, `b`) AS (SELECT ?, ?) SELECT * FROM `c`", {1, 2});
  q.with[0].query.reset();
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
}

// ---- INSERT ----

Query insert(std::string table_name, NameList columns, RowList rows) {
  Query q;
  q.kind = Query::Kind::kInsert;
  q.table = std::move(table_name);
  q.insert_columns = std::move(columns);
  q.rows = std::move(rows);
  return q;
}

TEST(OrmCompilerInsert, Values) {
  CHECK_SQL(insert("t", {"a", "b"}, {{param(1), param("x")}}),
            R"(INSERT INTO "t" ("a", "b") VALUES ($1, $2))",
            "INSERT INTO `t` (`a`, `b`) VALUES (?, ?)", {1, "x"});
  CHECK_SQL(insert("t", {"a", "b"}, {{param(1), param("x")}, {param(2), param(nullptr)}}),
            R"(INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $4))",
            "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?)", {1, "x", 2, nullptr});
  CHECK_SQL(insert("t", {}, {{param(1)}}), R"(INSERT INTO "t" VALUES ($1))",
            "INSERT INTO `t` VALUES (?)", {1});
}

TEST(OrmCompilerInsert, DefaultValues) {
  CHECK_SQL(insert("t", {}, {}), R"(INSERT INTO "t" DEFAULT VALUES)",
            "INSERT INTO `t` () VALUES ()");
  Query q = insert("t", {}, {});
  q.returning = {col("id")};
  CHECK_SQL(q, R"(INSERT INTO "t" DEFAULT VALUES RETURNING "id")",
            "INSERT INTO `t` () VALUES () RETURNING `id`");
}

TEST(OrmCompilerInsert, FromSelect) {
  Query q = insert("dst", {"a"}, {});
  Query src = select({col("a")}, "src");
  src.where = bin(">", col("a"), param(5));
  q.source = ptr(src);
  CHECK_SQL(q, R"(INSERT INTO "dst" ("a") SELECT "a" FROM "src" WHERE "a" > $1)",
            "INSERT INTO `dst` (`a`) SELECT `a` FROM `src` WHERE `a` > ?", {5});
}

TEST(OrmCompilerInsert, WithClause) {
  Cte cte;
  cte.name = "c";
  cte.query = ptr(select({param(1)}));
  Query q = insert("dst", {"a"}, {});
  q.source = ptr(select({}, "c"));
  q.with = {cte};
  // PG: WITH before INSERT; MySQL/MariaDB: WITH on the source SELECT.
  CHECK_SQL(q, R"(WITH "c" AS (SELECT $1) INSERT INTO "dst" ("a") SELECT * FROM "c")",
            "INSERT INTO `dst` (`a`) WITH `c` AS (SELECT ?) SELECT * FROM `c`", {1});
  Query values = insert("dst", {"a"}, {{param(2)}});
  values.with = {cte};
  EXPECT_EQ(compile(values, Dialect::kPostgres).sql,
            R"(WITH "c" AS (SELECT $1) INSERT INTO "dst" ("a") VALUES ($2))");
  EXPECT_THROW(compile(values, Dialect::kMysql), NotSupportedError);
}

TEST(OrmCompilerInsert, OnConflictIgnore) {
  Query q = insert("t", {"k"}, {{param("a")}});
  q.on_conflict = OnConflict{};
  CHECK_SQL(q, R"(INSERT INTO "t" ("k") VALUES ($1) ON CONFLICT DO NOTHING)",
            "INSERT IGNORE INTO `t` (`k`) VALUES (?)", {"a"});
  q.on_conflict->target = {"k"};
  CHECK_SQL(q, R"(INSERT INTO "t" ("k") VALUES ($1) ON CONFLICT ("k") DO NOTHING)",
            "INSERT IGNORE INTO `t` (`k`) VALUES (?)", {"a"});
}

TEST(OrmCompilerInsert, OnConflictUpdateWithExcluded) {
  Query q = insert("t", {"k", "v", "n"}, {{param("a"), param("b"), param(1)}});
  OnConflict oc;
  oc.action = OnConflict::Action::kUpdate;
  oc.target = {"k"};
  oc.updates = {{"v", col("EXCLUDED", "v")}, {"n", bin("+", col("t", "n"), param(1))}};
  q.on_conflict = oc;
  q.returning = {col("id")};
  CHECK_SQL(q,
            R"(INSERT INTO "t" ("k", "v", "n") VALUES ($1, $2, $3) ON CONFLICT ("k") DO UPDATE )"
            R"(SET "v" = EXCLUDED."v", "n" = "t"."n" + $4 RETURNING "id")",
            "INSERT INTO `t` (`k`, `v`, `n`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `v` = "
            "VALUES(`v`), `n` = `t`.`n` + ? RETURNING `id`",
            {"a", "b", 1, 1});
}

TEST(OrmCompilerInsert, OnConflictUpdateNeedsTargetOnPostgres) {
  Query q = insert("t", {"k"}, {{param("a")}});
  OnConflict oc;
  oc.action = OnConflict::Action::kUpdate;
  oc.updates = {{"k", col("EXCLUDED", "k")}};
  q.on_conflict = oc;
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  EXPECT_EQ(compile(q, Dialect::kMysql).sql,
            "INSERT INTO `t` (`k`) VALUES (?) ON DUPLICATE KEY UPDATE `k` = VALUES(`k`)");
  q.on_conflict->target = {"k"};
  q.on_conflict->updates.clear();
  EXPECT_THROW(compile(q, Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(q, Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerInsert, Returning) {
  Query q = insert("t", {"a"}, {{param(1)}});
  q.returning = {col("id"), col("a")};
  CHECK_SQL(q, R"(INSERT INTO "t" ("a") VALUES ($1) RETURNING "id", "a")",
            "INSERT INTO `t` (`a`) VALUES (?) RETURNING `id`, `a`", {1});
}

TEST(OrmCompilerInsert, Malformed) {
  EXPECT_THROW(compile(insert("", {"a"}, {{param(1)}}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(insert("t", {"a", "b"}, {{param(1)}}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(insert("t", {"a"}, {{}}), Dialect::kMysql), InterfaceError);
  EXPECT_THROW(compile(insert("t", {"a"}, {}), Dialect::kMysql), InterfaceError);
  Query both = insert("t", {"a"}, {{param(1)}});
  both.source = ptr(select({param(1)}));
  EXPECT_THROW(compile(both, Dialect::kPostgres), InterfaceError);
}

// ---- UPDATE ----

Query update(std::string table_name, std::vector<std::pair<std::string, ExprPtr>> set) {
  Query q;
  q.kind = Query::Kind::kUpdate;
  q.table = std::move(table_name);
  q.assignments = std::move(set);
  return q;
}

TEST(OrmCompilerUpdate, SetWhere) {
  Query q = update("t", {{"a", param(1)}, {"n", bin("+", col("n"), param(2))}});
  q.where = bin("=", col("id"), param(3));
  CHECK_SQL(q, R"(UPDATE "t" SET "a" = $1, "n" = "n" + $2 WHERE "id" = $3)",
            "UPDATE `t` SET `a` = ?, `n` = `n` + ? WHERE `id` = ?", {1, 2, 3});
  CHECK_SQL(update("t", {{"a", param(nullptr)}}), R"(UPDATE "t" SET "a" = $1)",
            "UPDATE `t` SET `a` = ?", {nullptr});
}

TEST(OrmCompilerUpdate, ReturningIsPostgresOnly) {
  Query q = update("t", {{"a", param(1)}});
  q.returning = {col("id")};
  EXPECT_EQ(compile(q, Dialect::kPostgres).sql, R"(UPDATE "t" SET "a" = $1 RETURNING "id")");
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
}

TEST(OrmCompilerUpdate, OrderLimitIsMysqlOnly) {
  Query q = update("t", {{"a", param(1)}});
  q.order_by = {ord(col("id"))};
  q.limit = 3;
  EXPECT_EQ(compile(q, Dialect::kMysql).sql, "UPDATE `t` SET `a` = ? ORDER BY `id` ASC LIMIT ?");
  EXPECT_EQ(compile(q, Dialect::kMysql).params, (Params{1, 3}));
  EXPECT_THROW(compile(q, Dialect::kPostgres), NotSupportedError);
  q.offset = 1;
  EXPECT_THROW(compile(q, Dialect::kMysql), NotSupportedError);
}

TEST(OrmCompilerUpdate, Malformed) {
  EXPECT_THROW(compile(update("", {{"a", param(1)}}), Dialect::kPostgres), InterfaceError);
  EXPECT_THROW(compile(update("t", {}), Dialect::kMysql), InterfaceError);
  EXPECT_THROW(compile(update("t", {{"a", nullptr}}), Dialect::kMysql), InterfaceError);
  Query q = update("t", {{"a", param(1)}});
  q.from = table("u");
  EXPECT_THROW(compile(q, Dialect::kPostgres), NotSupportedError);
}

// ---- DELETE ----

Query remove(std::string table_name) {
  Query q;
  q.kind = Query::Kind::kDelete;
  q.table = std::move(table_name);
  return q;
}

TEST(OrmCompilerDelete, WhereAndReturning) {
  CHECK_SQL(remove("t"), R"(DELETE FROM "t")", "DELETE FROM `t`");
  Query q = remove("t");
  q.where = bin("<", col("ts"), param(100));
  q.returning = {star()};
  CHECK_SQL(q, R"(DELETE FROM "t" WHERE "ts" < $1 RETURNING *)",
            "DELETE FROM `t` WHERE `ts` < ? RETURNING *", {100});
  EXPECT_THROW(compile(remove(""), Dialect::kMysql), InterfaceError);
}

TEST(OrmCompilerDelete, WithSubqueryAndLimit) {
  Query sub = select({col("id")}, "old");
  sub.where = bin("=", col("flag"), param(true));
  Query q = remove("t");
  q.where = bin("IN", col("id"), subquery(sub));
  CHECK_SQL(q, R"(DELETE FROM "t" WHERE "id" IN (SELECT "id" FROM "old" WHERE "flag" = $1))",
            "DELETE FROM `t` WHERE `id` IN (SELECT `id` FROM `old` WHERE `flag` = ?)", {true});
  q.limit = 10;
  EXPECT_EQ(compile(q, Dialect::kMysql).sql,
            "DELETE FROM `t` WHERE `id` IN (SELECT `id` FROM `old` WHERE `flag` = ?) LIMIT ?");
  EXPECT_THROW(compile(q, Dialect::kPostgres), NotSupportedError);
}

// ---- SQLite, the third dialect ----

std::string sqlite_sql(const Query& q) {
  return compile(q, Dialect::kSqlite).sql;
}

TEST(OrmCompilerSqlite, QuotingPlaceholdersAndOperators) {
  EXPECT_EQ(quote_identifier(R"(we"ird)", Dialect::kSqlite), R"("we""ird")");
  Query q = select({col("t", "a"), alias(bin("CONCAT", col("a"), param("x")), "c")}, "t");
  q.where =
      bin("AND", bin("ILIKE", col("a"), param("%x%")), bin("IS_NOT", col("b"), col("t", "c")));
  const Compiled c = compile(q, Dialect::kSqlite);
  EXPECT_EQ(
      c.sql,
      R"(SELECT "t"."a", "a" || ? AS "c" FROM "t" WHERE ("a" LIKE ? ESCAPE '\') AND ("b" IS NOT "t"."c"))");
  EXPECT_EQ(c.params, (Params{"x", "%x%"}));
}

TEST(OrmCompilerSqlite, LimitOffsetAndNulls) {
  Query q = select({}, "t");
  q.order_by = {ord(col("a"), true, Nulls::kLast)};
  q.offset = 7;
  EXPECT_EQ(sqlite_sql(q), R"(SELECT * FROM "t" ORDER BY "a" DESC NULLS LAST LIMIT -1 OFFSET ?)");
  q.limit = 5;
  EXPECT_EQ(sqlite_sql(q), R"(SELECT * FROM "t" ORDER BY "a" DESC NULLS LAST LIMIT ? OFFSET ?)");
}

TEST(OrmCompilerSqlite, RowLocksAreNotSupported) {
  Query q = select({}, "t");
  q.lock = Lock{};
  try {
    compile(q, Dialect::kSqlite);
    ADD_FAILURE() << "FOR UPDATE compiled for SQLite";
  } catch (const NotSupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("BEGIN IMMEDIATE"), std::string::npos) << e.what();
  }
  q.lock = Lock{.strength = Lock::Strength::kShare};
  EXPECT_THROW(compile(q, Dialect::kSqlite), NotSupportedError);
}

TEST(OrmCompilerSqlite, UpsertsAndReturning) {
  Query q = insert("t", {"k", "v"}, {{param("a"), param("b")}});
  q.on_conflict = OnConflict{};
  EXPECT_EQ(sqlite_sql(q), R"(INSERT INTO "t" ("k", "v") VALUES (?, ?) ON CONFLICT DO NOTHING)");
  OnConflict oc;
  oc.action = OnConflict::Action::kUpdate;
  oc.target = {"k"};
  oc.updates = {{"v", col("EXCLUDED", "v")}};
  q.on_conflict = oc;
  q.returning = {col("id")};
  EXPECT_EQ(sqlite_sql(q),
            R"(INSERT INTO "t" ("k", "v") VALUES (?, ?) ON CONFLICT ("k") DO UPDATE SET )"
            R"("v" = EXCLUDED."v" RETURNING "id")");
  // An upsert from a SELECT without WHERE: SQLite would read ON CONFLICT as a join's ON.
  Query from = insert("t", {"k"}, {});
  from.source = ptr(select({col("k")}, "src"));
  from.on_conflict = OnConflict{};
  EXPECT_EQ(sqlite_sql(from), R"(INSERT INTO "t" ("k") SELECT * FROM (SELECT "k" FROM "src") )"
                              R"(WHERE true ON CONFLICT DO NOTHING)");
  Query defaults = insert("t", {}, {});
  EXPECT_EQ(sqlite_sql(defaults), R"(INSERT INTO "t" DEFAULT VALUES)");
}

TEST(OrmCompilerSqlite, UpdateReturningAndNoDmlLimit) {
  Query q;
  q.kind = Query::Kind::kUpdate;
  q.table = "t";
  q.assignments = {{"a", param(1)}};
  q.where = bin("=", col("id"), param(2));
  q.returning = {col("a")};
  EXPECT_EQ(sqlite_sql(q), R"(UPDATE "t" SET "a" = ? WHERE "id" = ? RETURNING "a")");
  q.limit = 1;
  EXPECT_THROW(compile(q, Dialect::kSqlite), NotSupportedError);
}

}  // namespace
