// The statement cache (compile_cached): a query's text is compiled once per shape and reused
// with the values of later queries of that shape. Every result must equal compile()'s: checked
// on hand-picked cases (values that choose the text, a value reached from two places, LIMIT
// checks) and on thousands of random ASTs, each compiled with several sets of values.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "tern/orm/ast.hpp"
#include "tern/orm/compiler.hpp"
#include "tern/protocol/exceptions.hpp"

namespace {

using tern::Dialect;
using tern::Params;
using tern::Value;
using tern::orm::compile;
using tern::orm::compile_cached;
using namespace tern::orm::ast;  // NOLINT(google-build-using-namespace)
using K = Expr::Kind;

ExprPtr col(std::string table, std::string name) {
  auto e = std::make_shared<Expr>();
  e->kind = K::kColumn;
  e->table = std::move(table);
  e->name = std::move(name);
  return e;
}
ExprPtr param(Value v) {
  auto e = std::make_shared<Expr>();
  e->kind = K::kParam;
  e->value = std::move(v);
  return e;
}
ExprPtr bin(std::string op, ExprPtr a, ExprPtr b) {
  auto e = std::make_shared<Expr>();
  e->kind = K::kBinary;
  e->op = std::move(op);
  e->args = {std::move(a), std::move(b)};
  return e;
}
Query select_from(std::string table, ExprList columns) {
  Query q;
  q.columns = std::move(columns);
  q.from = TableRef{.name = std::move(table)};
  return q;
}

Params params_of(const tern::orm::CachedStatement& c) {
  return Params(c.params.begin(), c.params.end());
}

// compile_cached(q) against compile(q): the same text and values, or the same exception type.
void expect_same(const Query& q, Dialect d) {
  std::string expected_error;
  tern::orm::ast::Compiled expected;
  try {
    expected = compile(q, d);
  } catch (const std::exception& e) {
    expected_error = typeid(e).name();
  }
  std::string error;
  try {
    const tern::orm::CachedStatement c = compile_cached(q, d);
    ASSERT_TRUE(expected_error.empty()) << "compile() threw " << expected_error;
    EXPECT_EQ(*c.sql, expected.sql);
    EXPECT_EQ(params_of(c), expected.params) << expected.sql;
  } catch (const std::exception& e) {
    error = typeid(e).name();
  }
  EXPECT_EQ(error, expected_error) << expected.sql;
}

TEST(StatementCache, SameShapeSharesTheTextWithItsOwnValues) {
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    Query a = select_from("t", {col("t", "a")});
    a.where = bin("=", col("t", "id"), param(Value(std::int64_t{1})));
    a.limit = 1;
    Query b = select_from("t", {col("t", "a")});
    b.where = bin("=", col("t", "id"), param(Value(std::int64_t{2})));
    b.limit = 5;
    const auto first = compile_cached(a, d);
    const auto second = compile_cached(b, d);
    EXPECT_EQ(first.sql.get(), second.sql.get()) << "one text for the shape";
    EXPECT_EQ(params_of(first), (Params{std::int64_t{1}, std::int64_t{1}}));
    EXPECT_EQ(params_of(second), (Params{std::int64_t{2}, std::int64_t{5}}));
    EXPECT_TRUE(first.read_only);
  }
}

TEST(StatementCache, ParameterTypesArePartOfTheShape) {
  Query a = select_from("t", {col("t", "a")});
  a.where = bin("=", col("t", "id"), param(Value(std::int64_t{1})));
  Query b = select_from("t", {col("t", "a")});
  b.where = bin("=", col("t", "id"), param(Value(std::string("x"))));
  const auto first = compile_cached(a, Dialect::kPostgres);
  const auto second = compile_cached(b, Dialect::kPostgres);
  EXPECT_NE(first.sql.get(), second.sql.get());
  EXPECT_EQ(params_of(second), (Params{std::string("x")}));
}

TEST(StatementCache, ValuesThatChooseTheTextAreNotReused) {
  // `x IS NULL`, `x IS TRUE`, `x IS FALSE`: the value is spelled as a keyword.
  for (const Value& v : {Value(), Value(true), Value(false), Value(std::int64_t{3})}) {
    Query q = select_from("t", {col("t", "a")});
    q.where = bin("IS", col("t", "x"), param(v));
    expect_same(q, Dialect::kPostgres);
    expect_same(q, Dialect::kMysql);
  }
}

TEST(StatementCache, NegativeLimitIsRefusedOnAHitToo) {
  Query q = select_from("t", {col("t", "a")});
  q.limit = 10;
  q.offset = 0;
  (void)compile_cached(q, Dialect::kPostgres);
  q.offset = -1;
  EXPECT_THROW((void)compile_cached(q, Dialect::kPostgres), tern::InterfaceError);
  q.offset = 3;
  EXPECT_EQ(params_of(compile_cached(q, Dialect::kPostgres)),
            (Params{std::int64_t{10}, std::int64_t{3}}));
}

TEST(StatementCache, AValueReachedFromTwoPlacesKeepsEachPlacesValueLater) {
  // The first query uses one node at both places; a later one of the same shape has two.
  const ExprPtr shared = param(Value(std::int64_t{7}));
  Query a = select_from("t", {col("t", "a")});
  a.where = bin("AND", bin("=", col("t", "x"), shared), bin("<", col("t", "y"), shared));
  (void)compile_cached(a, Dialect::kPostgres);
  Query b = select_from("t", {col("t", "a")});
  b.where = bin("AND", bin("=", col("t", "x"), param(Value(std::int64_t{1}))),
                bin("<", col("t", "y"), param(Value(std::int64_t{2}))));
  EXPECT_EQ(params_of(compile_cached(b, Dialect::kPostgres)),
            (Params{std::int64_t{1}, std::int64_t{2}}));
  expect_same(a, Dialect::kPostgres);
}

TEST(StatementCache, JsonPathsAreCompiledWithTheirValues) {
  for (const char* key : {"a", "b"}) {
    auto path = std::make_shared<Expr>();
    path->kind = K::kTypeOp;
    path->op = "json_path_text";
    path->args = {col("t", "doc"), param(Value(std::string(key))), param(Value(std::int64_t{0}))};
    Query q = select_from("t", {col("t", "a")});
    q.where = bin("=", path, param(Value(std::string("v"))));
    expect_same(q, Dialect::kPostgres);
    expect_same(q, Dialect::kMysql);
  }
}

// ---- random ASTs ----

// Builds a random query whose shape is fixed by `shape_seed` and whose values come from
// `value_seed`: the same shape seed with other value seeds gives queries of one shape.
class RandomQuery {
 public:
  RandomQuery(std::uint32_t shape_seed, std::uint32_t value_seed)
      : shape_(shape_seed), values_(value_seed) {}

  Query query(int depth) {
    Query q;
    if (depth > 0 && pick(8) == 0) {
      q.kind = Query::Kind::kCompound;
      q.compound_op = pick(2) == 0 ? "UNION" : "UNION ALL";
      q.lhs = std::make_shared<Query>(query(depth - 1));
      q.rhs = std::make_shared<Query>(query(depth - 1));
    } else {
      const int columns = 1 + pick(3);
      for (int i = 0; i < columns; ++i)
        q.columns.push_back(expr(depth));
      q.from = TableRef{.name = pick(2) == 0 ? "t" : "u"};
      q.distinct = pick(6) == 0;
      if (pick(3) != 0) q.where = condition(depth);
      if (pick(4) == 0) q.group_by.push_back(leaf());
      if (pick(5) == 0) q.having = condition(0);
    }
    if (pick(3) == 0) q.order_by.push_back(leaf());
    if (pick(2) == 0) q.limit = count();
    if (pick(3) == 0) q.offset = count();
    return q;
  }

 private:
  int pick(int n) { return static_cast<int>(shape_() % static_cast<std::uint32_t>(n)); }
  std::int64_t count() { return static_cast<std::int64_t>(values_() % 100); }

  Value value() {
    switch (pick(4)) {
      case 0:
        return Value(static_cast<std::int64_t>(values_() % 1000) - 500);
      case 1:
        return Value("s" + std::to_string(values_() % 1000));
      case 2:
        return Value(static_cast<double>(values_() % 1000) / 8);
      default:
        return Value(
            tern::Array<std::int64_t>{std::int64_t{1}, static_cast<std::int64_t>(values_())});
    }
  }
  ExprPtr leaf() {
    if (pick(3) == 0) {
      if (!params_.empty() && pick(4) == 0) return params_[pick(static_cast<int>(params_.size()))];
      params_.push_back(param(value()));
      return params_.back();
    }
    static const char* const kNames[] = {"a", "b", "c", "id"};
    return col(pick(2) == 0 ? "t" : "u", kNames[pick(4)]);
  }
  ExprPtr expr(int depth) {
    if (depth <= 0 || pick(2) == 0) return leaf();
    static const char* const kOps[] = {"+", "-", "*", "CONCAT"};
    return bin(kOps[pick(4)], expr(depth - 1), expr(depth - 1));
  }
  ExprPtr condition(int depth) {
    static const char* const kCompare[] = {"=", "<>", "<", ">=", "LIKE"};
    switch (depth > 0 ? pick(6) : pick(3)) {
      case 0:
        return bin(kCompare[pick(5)], expr(depth), expr(depth));
      case 1: {
        auto list = std::make_shared<Expr>();
        list->kind = K::kList;
        const int n = pick(4);
        for (int i = 0; i < n; ++i)
          list->args.push_back(leaf());
        return bin(pick(2) == 0 ? "IN" : "NOT_IN", leaf(), list);
      }
      case 2: {
        auto e = std::make_shared<Expr>();
        e->kind = K::kIsNull;
        e->negated = pick(2) == 0;
        e->args = {leaf()};
        return e;
      }
      case 3:
        return bin(pick(2) == 0 ? "AND" : "OR", condition(depth - 1), condition(depth - 1));
      case 4: {
        auto e = std::make_shared<Expr>();
        e->kind = K::kSubquery;
        e->query = std::make_shared<Query>(query(depth - 1));
        return bin("IN", leaf(), e);
      }
      default: {
        auto e = std::make_shared<Expr>();
        e->kind = K::kBetween;
        e->args = {leaf(), leaf(), leaf()};
        return e;
      }
    }
  }

  std::minstd_rand shape_;
  std::minstd_rand values_;
  std::vector<ExprPtr> params_;  // reused now and then: one node at two places
};

TEST(StatementCache, RandomQueriesCompileAsWithoutTheCache) {
  for (std::uint32_t shape = 1; shape <= 3000; ++shape) {
    for (std::uint32_t values = 1; values <= 3; ++values) {
      const Query q = RandomQuery(shape, values * 7919).query(2);
      SCOPED_TRACE("shape seed " + std::to_string(shape) + ", value seed " +
                   std::to_string(values));
      expect_same(q, Dialect::kPostgres);
      expect_same(q, Dialect::kMysql);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
