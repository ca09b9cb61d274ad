// Golden-SQL tests of the typed query builders (Select<M>, orm::select, Cte, returning): what
// the builder chains produce, compiled for both dialects. No server: the models' database is
// never connected to.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "tern/orm/compiler.hpp"
#include "tern/orm/prefetch.hpp"
#include "tern/tern.hpp"

namespace {

using tern::Dialect;
using tern::orm::compile;

tern::PostgresqlDatabase db("unused");

struct Item {
  std::int64_t id{};
  std::string name;
  double price = 0;
  std::optional<std::int64_t> parent{};
  TERN_MODEL(Item, db, (id, tern::AutoField{}), (name, tern::CharField{}),
             (price, tern::DoubleField{}), (parent, tern::BigIntegerField{}));
};

template <class Q>
std::string pg(const Q& q) {
  return compile(q.ast(), Dialect::kPostgres).sql;
}
template <class Q>
std::string my(const Q& q) {
  return compile(q.ast(), Dialect::kMysql).sql;
}

constexpr const char* kItemColumns =
    R"("item"."id", "item"."name", "item"."price", "item"."parent")";

TEST(OrmBuilder, SelectFromSubqueryTakesTheModelsTableAsAlias) {
  auto top = Item::select().order_by(Item::c.price.desc()).limit(10);
  auto q = Item::select().from(top).where(Item::c.price > 1.0);
  EXPECT_EQ(pg(q), std::string("SELECT ") + kItemColumns + " FROM (SELECT " + kItemColumns +
                       R"( FROM "item" ORDER BY "item"."price" DESC LIMIT $1) AS "item" )" +
                       R"(WHERE "item"."price" > $2)");
  const auto c = compile(q.ast(), Dialect::kMysql);
  EXPECT_NE(c.sql.find(") AS `item` WHERE `item`.`price` > ?"), std::string::npos) << c.sql;
  ASSERT_EQ(c.params.size(), 2U);  // the LIMIT is bound too
}

TEST(OrmBuilder, CteReadByAModelSelect) {
  tern::orm::Cte dear("dear", Item::select().where(Item::c.price > 100.0));
  auto q = Item::select().with(dear).from(dear).order_by(Item::c.id);
  EXPECT_EQ(pg(q), std::string(R"(WITH "dear" AS (SELECT )") + kItemColumns +
                       R"( FROM "item" WHERE "item"."price" > $1) SELECT )" + kItemColumns +
                       R"( FROM "dear" AS "item" ORDER BY "item"."id")");
}

TEST(OrmBuilder, RecursiveCteWithoutModel) {
  namespace orm = tern::orm;
  const auto n = orm::column<std::int64_t>("t", "n");
  orm::Cte t("t",
             orm::select(orm::value<std::int64_t>(1))
                 .union_all(orm::select(n + 1).from_table("t").where(n < 5)),
             {"n"});
  auto q = orm::select(t.c<std::int64_t>("n")).with(t.recursive()).from(t);
  EXPECT_EQ(pg(q),
            R"(WITH RECURSIVE "t" ("n") AS (SELECT $1 UNION ALL SELECT "t"."n" + $2 FROM "t" )"
            R"(WHERE "t"."n" < $3) SELECT "t"."n" FROM "t")");
  EXPECT_EQ(my(q),
            "WITH RECURSIVE `t` (`n`) AS (SELECT ? UNION ALL SELECT `t`.`n` + ? FROM `t` "
            "WHERE `t`.`n` < ?) SELECT `t`.`n` FROM `t`");
}

TEST(OrmBuilder, JoinSubqueryAndCte) {
  namespace orm = tern::orm;
  auto totals = Item::select(Item::c.parent, orm::fn::count().as("n")).group_by(Item::c.parent);
  const auto n = orm::column<std::int64_t>("totals", "n");
  const auto parent = orm::column<std::int64_t>("totals", "parent");
  auto q = Item::select(Item::c.name, n)
               .join(totals, "totals", parent == Item::c.id, orm::JoinType::kLeft);
  EXPECT_EQ(
      pg(q),
      R"(SELECT "item"."name", "totals"."n" FROM "item" LEFT OUTER JOIN (SELECT "item"."parent", )"
      R"(COUNT(*) AS "n" FROM "item" GROUP BY "item"."parent") AS "totals" ON )"
      R"("totals"."parent" = "item"."id")");
  orm::Cte c("c", totals);
  auto q2 = Item::select(Item::c.name).with(c).join(c, c.c<std::int64_t>("parent") == Item::c.id);
  EXPECT_EQ(pg(q2).substr(pg(q2).find(") SELECT")),
            R"() SELECT "item"."name" FROM "item" INNER JOIN "c" ON "c"."parent" = "item"."id")");
}

TEST(OrmBuilder, SubqueryInFromNeedsAnAliasWithoutAModel) {
  auto q = tern::orm::select(tern::orm::fn::count()).from(Item::select());
  EXPECT_THROW(pg(q), tern::InterfaceError);
  auto named = tern::orm::select(tern::orm::fn::count()).from(Item::select(), "x");
  EXPECT_EQ(pg(named), std::string("SELECT COUNT(*) FROM (SELECT ") + kItemColumns +
                           R"( FROM "item") AS "x")");
}

TEST(OrmBuilder, CompoundOfModelAndPlainSelects) {
  auto q = Item::select(Item::c.id)
               .where(Item::c.price < 1.0)
               .union_(tern::orm::select(Item::c.id).from<Item>().where(Item::c.price > 9.0));
  EXPECT_EQ(pg(q), R"(SELECT "item"."id" FROM "item" WHERE "item"."price" < $1 UNION )"
                   R"(SELECT "item"."id" FROM "item" WHERE "item"."price" > $2)");
}

TEST(OrmBuilder, ReturningOnUpdateAndDelete) {
  auto u = Item::update()
               .set(Item::c.price, 2.0)
               .where(Item::c.id == 1)
               .returning(Item::c.id, Item::c.price);
  EXPECT_EQ(pg(u), R"(UPDATE "item" SET "price" = $1 WHERE "item"."id" = $2 RETURNING )"
                   R"("item"."id", "item"."price")");
  EXPECT_THROW(my(u), tern::NotSupportedError);
  auto d = Item::delete_().where(Item::c.price < 0.0).returning(Item::c.id);
  EXPECT_EQ(pg(d), R"(DELETE FROM "item" WHERE "item"."price" < $1 RETURNING "item"."id")");
  // MariaDB 10.5+ has DELETE ... RETURNING.
  EXPECT_EQ(my(d), "DELETE FROM `item` WHERE `item`.`price` < ? RETURNING `item`.`id`");
}

// returning(Model::c): every field, in order (peewee's returning(Model)).
TEST(OrmBuilder, ReturningEveryFieldOfTheModel) {
  auto d = Item::delete_().where(Item::c.id == 3).returning(Item::c);
  EXPECT_EQ(pg(d),
            std::string(R"(DELETE FROM "item" WHERE "item"."id" = $1 RETURNING )") + kItemColumns);
  EXPECT_EQ(my(d),
            "DELETE FROM `item` WHERE `item`.`id` = ? RETURNING `item`.`id`, "
            "`item`.`name`, `item`.`price`, `item`.`parent`");
  auto u = Item::update().set(Item::c.price, 1.0).returning(Item::c);
  EXPECT_EQ(pg(u), std::string(R"(UPDATE "item" SET "price" = $1 RETURNING )") + kItemColumns);
  // MySQL/MariaDB have no UPDATE ... RETURNING: the message says why.
  try {
    my(u);
    ADD_FAILURE() << "compiled for MySQL";
  } catch (const tern::NotSupportedError& e) {
    EXPECT_NE(
        std::string(e.what()).find("MariaDB (10.5+) returns rows from INSERT and DELETE only"),
        std::string::npos)
        << e.what();
  }
}

struct Part {
  std::int64_t id{};
  std::int64_t item_id{};
  TERN_MODEL(Part, db, (id, tern::AutoField{}), (item_id, tern::ForeignKeyField<Item>{}));
};

TEST(OrmBuilder, PrefetchRestrictsBySubqueryOrJoin) {
  namespace d = tern::orm::detail;
  const auto link = d::prefetch_link(Item::tern_meta(), Part::tern_meta(), /*to_many=*/true);
  const auto owners = Item::select().where(Item::c.price > 1.0).limit(5);
  const auto where = d::prefetch_restrict(Part::select().ast(), Part::tern_meta(), owners.ast(),
                                          Item::tern_meta(), link, tern::PrefetchType::kWhere, 1);
  EXPECT_EQ(
      compile(where, Dialect::kPostgres).sql,
      std::string(R"(SELECT "part"."id", "part"."item_id" FROM "part" WHERE "part"."item_id" )"
                  R"(IN (SELECT DISTINCT "_prefetch_owner1"."id" FROM (SELECT )") +
          kItemColumns +
          R"( FROM "item" WHERE "item"."price" > $1 LIMIT $2) AS "_prefetch_owner1"))");
  const auto join = d::prefetch_restrict(Part::select().ast(), Part::tern_meta(), owners.ast(),
                                         Item::tern_meta(), link, tern::PrefetchType::kJoin, 2);
  const std::string sql = compile(join, Dialect::kMysql).sql;
  EXPECT_EQ(sql.substr(0, sql.find("(SELECT ")),
            "SELECT `part`.`id`, `part`.`item_id` FROM `part` INNER JOIN ");
  EXPECT_NE(sql.find(") AS `_prefetch_keys2` ON `part`.`item_id` = `_prefetch_keys2`.`id`"),
            std::string::npos)
      << sql;
  // No foreign key between them: refused.
  EXPECT_THROW(d::prefetch_link(Part::tern_meta(), Item::tern_meta(), true), tern::InterfaceError);
}

}  // namespace

// What the ORM declares read only (QueryOptions::read_only, which ReadReplicas sends to a
// replica): selects, unless a locking clause or a write hides anywhere in them.
TEST(OrmBuilder, ReadOnlyQueries) {
  namespace orm = tern::orm;
  using orm::detail::is_read_only;
  EXPECT_TRUE(is_read_only(Item::select().where(Item::c.id == 1).ast()));
  EXPECT_TRUE(is_read_only(orm::select(orm::fn::count()).from(Item::select(), "x").ast()));
  EXPECT_TRUE(
      is_read_only(Item::select(Item::c.id).union_(orm::select(Item::c.id).from<Item>()).ast()));
  EXPECT_FALSE(is_read_only(Item::select().for_update().ast()));
  EXPECT_FALSE(is_read_only(Item::update().set(Item::c.price, 2.0).ast()));
  EXPECT_FALSE(is_read_only(Item::delete_().where(Item::c.id == 1).ast()));
  orm::ast::Query insert;
  insert.kind = orm::ast::Query::Kind::kInsert;
  EXPECT_FALSE(is_read_only(insert));
  // A lock in a FROM subquery, a compound part, a WHERE subquery or a join.
  EXPECT_FALSE(
      is_read_only(orm::select(orm::fn::count()).from(Item::select().for_update(), "x").ast()));
  EXPECT_FALSE(is_read_only(
      Item::select(Item::c.id).union_(orm::select(Item::c.id).from<Item>().for_update()).ast()));
  EXPECT_FALSE(is_read_only(
      Item::select().where(Item::c.id.in_(Item::select(Item::c.id).for_update())).ast()));
  const auto parent = orm::column<std::int64_t>("locked", "parent");
  EXPECT_FALSE(is_read_only(
      Item::select().join(Item::select().for_update(), "locked", parent == Item::c.id).ast()));
  // A write in a WITH (PostgreSQL's data-modifying CTE).
  orm::Cte moved("moved", Item::update().set(Item::c.price, 2.0).returning(Item::c.id));
  EXPECT_FALSE(is_read_only(Item::select().with(moved).ast()));
  orm::Cte dear("dear", Item::select().where(Item::c.price > 100.0));
  EXPECT_TRUE(is_read_only(Item::select().with(dear).from(dear).ast()));
}

// AioModel::aio_get's statement (detail::compile_get, whose shape never builds the query) is the
// statement of select().where(condition).limit(1), the first time and from the cache.
TEST(OrmBuilder, ModelGetCompilesAsTheSelectItStandsFor) {
  namespace orm = tern::orm;
  for (const Dialect d : {Dialect::kPostgres, Dialect::kMysql}) {
    for (const std::int64_t key : {std::int64_t{7}, std::int64_t{8}}) {
      const auto condition = Item::c.id == key && Item::c.name.startswith("a%");
      const orm::ast::Compiled expected =
          compile(Item::select().where(condition).limit(1).ast(), d);
      const orm::detail::GetStatement got =
          orm::detail::compile_get(Item::tern_meta(), condition.node(), d);
      EXPECT_EQ(*got.sql, expected.sql);
      EXPECT_EQ(tern::Params(got.params.begin(), got.params.end()), expected.params);
      EXPECT_TRUE(got.read_only);
    }
    // One comparison of a column with a value (the usual aio_get, whose shape is found
    // without writing its signature): every operator, value type and side, twice each (the
    // second time from the cache), and the IS keywords a NULL or boolean value picks.
    std::vector<orm::Expr<bool>> conditions = {
        Item::c.id == std::int64_t{3},
        Item::c.id == std::int64_t{4},
        Item::c.id != std::int64_t{4},
        Item::c.price < 2.5,
        Item::c.price >= 1.0,
        Item::c.name == "x",
        Item::c.name == "y",
        std::int64_t{5} == Item::c.id,
        Item::c.parent == std::int64_t{1},
        orm::Expr<bool>(
            orm::detail::binary("IS", Item::c.parent.node(), orm::detail::param(tern::Value()))),
        orm::Expr<bool>(orm::detail::binary("IS", Item::c.parent.node(), orm::detail::param(true))),
        orm::Expr<bool>(
            orm::detail::binary("IS", Item::c.parent.node(), orm::detail::param(false))),
        orm::Expr<bool>(
            orm::detail::binary("IS", Item::c.parent.node(), orm::detail::param(std::int64_t{2}))),
    };
    for (int round = 0; round < 2; ++round) {
      for (const orm::Expr<bool>& condition : conditions) {
        const orm::ast::Compiled expected =
            compile(Item::select().where(condition).limit(1).ast(), d);
        const orm::detail::GetStatement got =
            orm::detail::compile_get(Item::tern_meta(), condition.node(), d);
        EXPECT_EQ(*got.sql, expected.sql);
        EXPECT_EQ(tern::Params(got.params.begin(), got.params.end()), expected.params);
      }
    }
    // IS NULL from a NULL value: a text that holds for that value only, never reused.
    const orm::Expr<bool> is_null(
        orm::detail::binary("IS", Item::c.parent.node(), orm::detail::param(tern::Value())));
    EXPECT_EQ(*orm::detail::compile_get(Item::tern_meta(), is_null.node(), d).sql,
              compile(Item::select().where(is_null).limit(1).ast(), d).sql);
  }
}
