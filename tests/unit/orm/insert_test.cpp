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

// A composite key: RETURNING its columns on PostgreSQL (Insert::aio_execute_key reads them).
struct Line {
  std::int64_t order{};
  std::string sku{};
  static inline const std::vector<std::string> composite_key = {"order", "sku"};
  TERN_MODEL(Line, db, (order, tern::BigIntegerField{}), (sku, tern::CharField{.max_length = 8}));
};

// A counter standing in for uuid4: the values a default_factory makes are predictable here.
std::uint8_t made = 0;
tern::Uuid next_uuid() {
  tern::Uuid u;
  u.bytes[15] = ++made;
  return u;
}

// A key made by default_factory while unset.
struct Doc {
  tern::Uuid id{};
  std::string title{};
  TERN_MODEL(Doc, db, (id, tern::UUIDField{.primary_key = true, .default_factory = next_uuid}),
             (title, tern::TextField{}));
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

TEST(OrmInsert, CompositeKeysAreReturnedOnPostgres) {
  const Line line{.order = 5, .sku = "boots"};
  const void* object = &line;
  const tern::orm::detail::InsertStatement s =
      tern::orm::detail::prepare_insert(Line::tern_meta(), &object, 1, Dialect::kPostgres, false);
  EXPECT_EQ(*s.sql, R"(INSERT INTO "line" ("order", "sku") VALUES ($1, $2) )"
                    R"(RETURNING "line"."order", "line"."sku")");
  const tern::orm::detail::InsertStatement m =
      tern::orm::detail::prepare_insert(Line::tern_meta(), &object, 1, Dialect::kMysql, false);
  EXPECT_EQ(*m.sql, "INSERT INTO `line` (`order`, `sku`) VALUES (?, ?)");
  expect_same_everywhere(std::vector<Line>{line, {.order = 6, .sku = "x"}});
}

// An unset member with a default_factory is sent with a value it made, one per object (the
// cached statement and the AST alike); a set one is sent as it is. The objects are not changed.
TEST(OrmInsert, GeneratedDefaultsAreMadeForUnsetMembers) {
  tern::Uuid given;
  given.bytes[0] = 0xAB;
  const std::vector<Doc> docs{{.title = "a"}, {.id = given, .title = "b"}, {.title = "c"}};
  const std::vector<const void*> p = erased(docs);
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    made = 0;
    const tern::orm::detail::InsertStatement s =
        tern::orm::detail::prepare_insert(Doc::tern_meta(), p.data(), p.size(), d, false);
    const Params sent(s.params.begin(), s.params.end());
    made = 0;
    const tern::orm::ast::Compiled compiled =
        compile(tern::orm::detail::insert_objects(Doc::tern_meta(), p.data(), p.size(), d), d);
    EXPECT_EQ(*s.sql, compiled.sql);
    EXPECT_EQ(sent, compiled.params);
    ASSERT_EQ(sent.size(), 6u);
    EXPECT_EQ(std::get<tern::Uuid>(sent[0].storage()).bytes[15], 1);
    EXPECT_EQ(std::get<tern::Uuid>(sent[2].storage()), given);
    EXPECT_EQ(std::get<tern::Uuid>(sent[4].storage()).bytes[15], 2);
  }
  EXPECT_EQ(docs[0].id, tern::Uuid{});
  // fill_defaults (aio_create, aio_save, aio_bulk_create) stores them in the object instead.
  Doc doc{.title = "d"};
  tern::orm::detail::fill_defaults(Doc::tern_meta(), &doc);
  EXPECT_EQ(doc.id.bytes[15], made);
  const tern::Uuid kept = doc.id;
  tern::orm::detail::fill_defaults(Doc::tern_meta(), &doc);
  EXPECT_EQ(doc.id, kept);
}

TEST(OrmInsert, NoRowsFailsAsCompiled) {
  expect_same_everywhere(std::vector<Thing>{});
  expect_same_everywhere(std::vector<Log>{});
}

}  // namespace
