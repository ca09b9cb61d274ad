// Model INSERTs without an AST (detail::prepare_insert, behind aio_create, insert(),
// insert_many() and bulk_create): the text of an insert shape is compiled once per thread, and
// every statement must still equal what compiling insert_objects()' AST gives — the same text
// and parameters, or the same exception — whatever the values, the row count, the columns an
// unset auto key leaves out, the dialect, and whether the shape was seen before.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <typeinfo>
#include <vector>

#include "tern/orm/compiler.hpp"
#include "tern/tern.hpp"

namespace {

using tern::Dialect;
using tern::Params;
using tern::Value;
using tern::orm::compile;

tern::PostgresqlDatabase db("unused");

struct Thing {
  std::int64_t id{};
  std::string name{};
  std::optional<double> weight{};
  std::optional<std::string> note{};
  TERN_MODEL(Thing, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 40}),
             (weight, tern::DoubleField{}), (note, tern::TextField{}));
};

// A key the program gives: never left out.
struct Tag {
  std::string code{};
  std::int32_t uses{};
  TERN_MODEL(Tag, db, (code, tern::CharField{.max_length = 8, .primary_key = true}),
             (uses, tern::IntegerField{}));
};

// No key at all: no RETURNING.
struct Log {
  std::string line{};
  TERN_MODEL(Log, db, (line, tern::TextField{}));
};

template <class M>
std::vector<const void*> erased(const std::vector<M>& objects) {
  std::vector<const void*> out;
  for (const M& o : objects)
    out.push_back(&o);
  return out;
}

// prepare_insert() against compiling insert_objects(): the same text and parameters, or the
// same exception type.
template <class M>
void expect_same(const std::vector<M>& objects, Dialect d, bool rowcount) {
  const std::vector<const void*> p = erased(objects);
  std::string expected_error;
  tern::orm::ast::Compiled expected;
  try {
    tern::orm::ast::Query q =
        tern::orm::detail::insert_objects(M::tern_meta(), p.data(), p.size(), d);
    if (rowcount) q.returning.clear();
    expected = compile(q, d);
  } catch (const std::exception& e) {
    expected_error = typeid(e).name();
  }
  std::string error;
  try {
    const tern::orm::detail::InsertStatement s =
        tern::orm::detail::prepare_insert(M::tern_meta(), p.data(), p.size(), d, rowcount);
    ASSERT_TRUE(expected_error.empty()) << "compile() threw " << expected_error;
    EXPECT_EQ(*s.sql, expected.sql);
    EXPECT_EQ(Params(s.params.begin(), s.params.end()), expected.params) << expected.sql;
  } catch (const std::exception& e) {
    error = typeid(e).name();
  }
  EXPECT_EQ(error, expected_error) << expected.sql;
}

template <class M>
void expect_same_everywhere(const std::vector<M>& objects) {
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    for (const bool rowcount : {false, true}) {
      // Twice: compiled, then found in the cache.
      expect_same(objects, d, rowcount);
      expect_same(objects, d, rowcount);
    }
  }
}

TEST(OrmInsert, OneRowAsCompiled) {
  expect_same_everywhere(std::vector<Thing>{{.name = "a", .weight = 1.5, .note = "n"}});
  // Another object of the same shape: the cached text, this object's values.
  expect_same_everywhere(std::vector<Thing>{{.name = "b", .weight = -2, .note = "m"}});
  // NULLs: the same text (values are bound), NULL parameters.
  expect_same_everywhere(std::vector<Thing>{{.name = "c"}});
  // A key already set is sent.
  expect_same_everywhere(std::vector<Thing>{{.id = 7, .name = "d"}});
  expect_same_everywhere(std::vector<Tag>{{.code = "x", .uses = 3}});
  expect_same_everywhere(std::vector<Log>{{.line = "hello"}});
}

TEST(OrmInsert, ManyRowsAsCompiled) {
  std::vector<Thing> things;
  for (int i = 0; i < 5; ++i) {
    things.push_back({.name = "t" + std::to_string(i)});
    if (i % 2 == 0) things.back().weight = i;
    expect_same_everywhere(things);
  }
  // One key set among unset ones: every key is sent.
  things[3].id = 40;
  expect_same_everywhere(things);
  std::vector<Tag> tags{{.code = "a"}, {.code = "b", .uses = 2}};
  expect_same_everywhere(tags);
  std::vector<Log> logs(3, Log{.line = "x"});
  expect_same_everywhere(logs);
}

// The parameters' storage: inline up to kInline values, then a block of its own; moves keep
// every value.
TEST(OrmInsert, StatementParamsKeepTheirValues) {
  using tern::orm::detail::StatementParams;
  for (const std::size_t n : {std::size_t{0}, std::size_t{3}, StatementParams::kInline,
                              StatementParams::kInline + 1, std::size_t{40}}) {
    for (const bool reserve : {false, true}) {
      StatementParams p;
      if (reserve) p.reserve(n);
      Params expected;
      for (std::size_t i = 0; i < n; ++i) {
        const Value v = i % 2 == 0
                            ? Value(static_cast<std::int64_t>(i))
                            : Value("a longer text than any inline buffer " + std::to_string(i));
        p.push_back(v);
        expected.push_back(v);
      }
      EXPECT_EQ(Params(p.begin(), p.end()), expected) << n;
      StatementParams moved(std::move(p));
      EXPECT_EQ(Params(moved.begin(), moved.end()), expected) << n;
      StatementParams assigned;
      assigned.push_back(Value(1.5));
      assigned = std::move(moved);
      const std::span<const Value> view = assigned;
      EXPECT_EQ(Params(view.begin(), view.end()), expected) << n;
    }
  }
}

TEST(OrmInsert, NoRowsFailsAsCompiled) {
  expect_same_everywhere(std::vector<Thing>{});
  expect_same_everywhere(std::vector<Log>{});
}

}  // namespace
