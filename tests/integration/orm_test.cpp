// The ORM core against real PostgreSQL and MariaDB: models, DDL, insert/select/update/delete
// with the typed query builder, joins, and values that try to inject SQL.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "tern/orm/model.hpp"
#include "tern/orm/prefetch.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using tern::ring::Task;

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> db;

struct Category {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Category, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 40, .unique = true}));
};

struct Item {
  std::int64_t id{};
  std::string name;
  double price = 0;
  std::optional<std::string> note;
  std::int64_t category_id{};
  tern::Date added{};
  bool active = true;
  static inline const std::vector<tern::Index> indexes = {
      {.columns = {"name", "category_id"}, .unique = true}};
  TERN_MODEL(Item, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 100, .index = true}),
             (price, tern::DoubleField{.default_value = 0.0, .check = "price >= 0"}),
             (note, tern::TextField{}),
             (category_id, tern::ForeignKeyField<Category>{.on_delete = "CASCADE"}),
             (added, tern::DateField{}), (active, tern::BooleanField{.default_value = true}));
};

struct Token {
  std::int64_t id{};
  tern::Uuid value{};
  std::optional<tern::Uuid> parent{};
  // clang-format off
  TERN_MODEL(Token, db,
    (id,     tern::AutoField{}),
    (value,  tern::UUIDField{.unique = true}),
    (parent, tern::UUIDField{}));
  // clang-format on
};

struct Membership {
  std::int64_t user_id{};
  std::int64_t group_id{};
  std::string role{};
  static inline const std::vector<std::string> composite_key = {"user_id", "group_id"};
  // clang-format off
  TERN_MODEL(Membership, db,
    (user_id,  tern::BigIntegerField{}),
    (group_id, tern::BigIntegerField{}),
    (role,     tern::CharField{.max_length = 20}));
  // clang-format on
};

// A chain for recursive deletes: Owner <- Pet <- Toy (required references) and Owner <- Tag
// (a nullable one). No ON DELETE actions: the ORM does the work.
struct Owner {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Owner, db, (id, tern::AutoField{}), (name, tern::CharField{}));
};
struct Pet {
  std::int64_t id{};
  std::int64_t owner_id{};
  TERN_MODEL(Pet, db, (id, tern::AutoField{}), (owner_id, tern::ForeignKeyField<Owner>{}));
};
struct Toy {
  std::int64_t id{};
  std::int64_t pet_id{};
  TERN_MODEL(Toy, db, (id, tern::AutoField{}), (pet_id, tern::ForeignKeyField<Pet>{}));
};
struct Tag {
  std::int64_t id{};
  std::optional<std::int64_t> owner_id{};
  TERN_MODEL(Tag, db, (id, tern::AutoField{}), (owner_id, tern::ForeignKeyField<Owner>{}));
};

// For aio_prefetch: Author <- Book <- Review, with members receiving the related rows.
struct Book;
struct Review;
struct Author {
  std::int64_t id{};
  std::string name;
  std::vector<Book> books;  // filled by aio_prefetch, not a column (no `{}`: Book is incomplete)
  TERN_MODEL(Author, db, (id, tern::AutoField{}), (name, tern::CharField{}));
};
struct Book {
  std::int64_t id{};
  std::int64_t author_id{};
  std::string title;
  std::shared_ptr<const Author> author{};  // filled by aio_prefetch
  std::vector<Review> reviews;             // filled by aio_prefetch (Review is incomplete)
  TERN_MODEL(Book, db, (id, tern::AutoField{}), (author_id, tern::ForeignKeyField<Author>{}),
             (title, tern::CharField{}));
};
struct Review {
  std::int64_t id{};
  std::int64_t book_id{};
  int stars{};
  TERN_MODEL(Review, db, (id, tern::AutoField{}), (book_id, tern::ForeignKeyField<Book>{}),
             (stars, tern::IntegerField{}));
};

class Orm : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam());
    run(Item::aio_drop_table());
    run(Category::aio_drop_table());
    run(Category::aio_create_table());
    run(Item::aio_create_table());
  }
  void TearDown() override {
    run(Item::aio_drop_table());
    run(Category::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  bool pg() const { return GetParam() == tern::Dialect::kPostgres; }
  std::int64_t add_category(const std::string& name) {
    Category c;
    c.name = name;
    return *run(Category::insert(c).aio_execute());
  }

  tern::ring::Loop loop;
};

TEST_P(Orm, TableNamesAndSafeCreate) {
  EXPECT_EQ(Item::tern_meta().table, "item");
  EXPECT_EQ(Category::tern_meta().table, "category");
  run(Item::aio_create_table(true));  // exists already: safe
  // 42P07 duplicate_table; MariaDB's ER_TABLE_EXISTS_ERROR (1050, 42S01); SQLITE_ERROR (1).
  const bool lite = GetParam() == tern::Dialect::kSqlite;
  tern::testing::expect_server_error(
      tern::testing::thrown<tern::ProgrammingError>([&] { run(Item::aio_create_table(false)); }),
      pg()   ? "42P07"
      : lite ? "42000"
             : "42S01",
      pg()   ? 0
      : lite ? 1
             : 1050);
}

TEST_P(Orm, InsertSelectUpdateDelete) {
  const std::int64_t tools = add_category("tools");
  EXPECT_GT(tools, 0);
  std::vector<Item> items;
  for (int i = 1; i <= 5; ++i) {
    Item it;
    it.name = "item " + std::to_string(i);
    it.price = i * 1.5;
    it.category_id = tools;
    it.added = tern::Date(2024y / March / i);
    if (i % 2 == 0) it.note = "even";
    items.push_back(it);
  }
  run(Item::insert_many(items).aio_execute());
  Item one;
  one.name = "single";
  one.price = 100;
  one.category_id = tools;
  one.added = tern::Date(2020y / January / 1);
  const std::int64_t id = *run(Item::insert(one).aio_execute());
  EXPECT_GT(id, 0);

  std::vector<Item> cheap = run(Item::select()
                                    .where(Item::c.price < 5.0 && Item::c.category_id == tools)
                                    .order_by(Item::c.price.desc())
                                    .aio_execute());
  ASSERT_EQ(cheap.size(), 3u);
  EXPECT_EQ(cheap[0].name, "item 3");
  EXPECT_EQ(cheap[0].added, tern::Date(2024y / March / 3));
  EXPECT_FALSE(cheap[0].note.has_value());
  EXPECT_EQ(cheap[1].note, std::optional<std::string>("even"));

  const auto page2 = run(Item::select().order_by(Item::c.id).paginate(2, 2).aio_execute());
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].name, "item 3");

  const auto notes = run(Item::select().where(Item::c.note.is_null()).aio_execute());
  EXPECT_EQ(notes.size(), 4u);  // items 1, 3, 5 and "single"
  const auto named = run(Item::select()
                             .where(Item::c.name.startswith("item") &&
                                    Item::c.id.in_({id, std::int64_t{1}, std::int64_t{2}}))
                             .aio_execute());
  EXPECT_EQ(named.size(), 2u);

  EXPECT_EQ(run(Item::update()
                    .set(Item::c.price, 9.5)
                    .set(Item::c.active, false)
                    .where(Item::c.name == "single")
                    .aio_execute()),
            1u);
  const auto single = run(Item::select().where(Item::c.id == id).aio_execute());
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].price, 9.5);
  EXPECT_FALSE(single[0].active);

  EXPECT_EQ(run(Item::delete_().where(Item::c.price > 5.0).aio_execute()), 3u);  // 6, 7.5, 9.5
  EXPECT_EQ(run(Item::select().aio_execute()).size(), 3u);
}

TEST_P(Orm, JoinsFilterOnRelatedTables) {
  const std::int64_t tools = add_category("tools");
  const std::int64_t food = add_category("food");
  for (const auto& [name, category] : std::vector<std::pair<std::string, std::int64_t>>{
           {"hammer", tools}, {"apple", food}, {"saw", tools}}) {
    Item it;
    it.name = name;
    it.category_id = category;
    it.added = tern::Date(2024y / January / 1);
    run(Item::insert(it).aio_execute());
  }
  const auto found = run(Item::select()
                             .join<Category>(Item::c.category_id == Category::c.id)
                             .where(Category::c.name == "tools")
                             .order_by(Item::c.name)
                             .aio_execute());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "hammer");
  EXPECT_EQ(found[1].name, "saw");
  // The same join found from the foreign key.
  EXPECT_EQ(
      run(Item::select().join<Category>().where(Category::c.name == "tools").aio_execute()).size(),
      2u);
  // The two-column unique index holds.
  Item twin;
  twin.name = "saw";
  twin.category_id = tools;
  twin.added = tern::Date(2024y / January / 2);
  EXPECT_THROW(run(Item::insert(twin).aio_execute()), tern::IntegrityError);
  // The joined model comes back with each row.
  const auto pairs = run(Item::select()
                             .join<Category>(Item::c.category_id == Category::c.id)
                             .order_by(Item::c.name)
                             .aio_models<Category>());
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(std::get<0>(pairs[0]).name, "apple");
  EXPECT_EQ(std::get<1>(pairs[0]).name, "food");
  EXPECT_EQ(std::get<1>(pairs[0]).id, food);
  EXPECT_EQ(std::get<1>(pairs[1]).name, "tools");
  // ON DELETE CASCADE from the foreign key.
  run(Category::delete_().where(Category::c.id == tools).aio_execute());
  EXPECT_EQ(run(Item::select().aio_execute()).size(), 1u);
}

TEST_P(Orm, ColumnsAggregatesSubqueriesAndUnions) {
  using tern::orm::exists;
  namespace fn = tern::orm::fn;
  const std::int64_t tools = add_category("tools");
  const std::int64_t food = add_category("food");
  std::vector<Item> items;
  for (int i = 1; i <= 6; ++i) {
    Item it;
    it.name = "n" + std::to_string(i);
    it.price = i;
    it.category_id = i <= 4 ? tools : food;
    it.added = tern::Date(2024y / January / i);
    items.push_back(it);
  }
  run(Item::insert_many(items).aio_execute());

  const auto pairs = run(Item::select(Item::c.name, Item::c.price)
                             .where(Item::c.price >= 5.0)
                             .order_by(Item::c.price)
                             .aio_tuples<std::string, double>());
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], std::make_tuple(std::string("n5"), 5.0));
  EXPECT_EQ(run(Item::select(fn::count()).aio_scalar<std::int64_t>()), 6);
  EXPECT_EQ(run(Item::select(fn::max(Item::c.price)).aio_scalar<double>()), 6.0);
  EXPECT_EQ(run(Item::select().where(Item::c.price > 2.0).limit(3).aio_count()), 3);
  EXPECT_TRUE(run(Item::select().where(Item::c.name == "n1").aio_exists()));
  EXPECT_FALSE(run(Item::select().where(Item::c.name == "nope").aio_exists()));

  // Items in the categories named "food": IN (subquery), and the same with EXISTS.
  auto food_ids = Category::select(Category::c.id).where(Category::c.name == "food");
  EXPECT_EQ(run(Item::select().where(Item::c.category_id.in_(food_ids)).aio_execute()).size(), 2u);
  auto same_category =
      Category::select(Category::c.id)
          .where(Category::c.id == Item::c.category_id && Category::c.name == "tools");
  EXPECT_EQ(run(Item::select().where(exists(same_category)).aio_execute()).size(), 4u);

  // GROUP BY / HAVING.
  const auto groups = run(Item::select(Item::c.category_id, fn::count())
                              .group_by(Item::c.category_id)
                              .having(fn::count() > 2)
                              .aio_tuples<std::int64_t, std::int64_t>());
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], std::make_tuple(tools, std::int64_t{4}));

  // A window function: rank within each category by price.
  using tern::orm::Window;
  const auto ranked =
      run(Item::select(
              Item::c.name,
              fn::call<std::int64_t>("ROW_NUMBER")
                  .over(Window().partition_by(Item::c.category_id).order_by(Item::c.price.desc())))
              .order_by(Item::c.name)
              .aio_tuples<std::string, std::int64_t>());
  ASSERT_EQ(ranked.size(), 6u);
  EXPECT_EQ(ranked[0], std::make_tuple(std::string("n1"), std::int64_t{4}));  // cheapest tool
  EXPECT_EQ(ranked[5], std::make_tuple(std::string("n6"), std::int64_t{1}));  // dearest food
  // UNION of two selects, then an outer ORDER BY.
  auto cheap = Item::select(Item::c.name).where(Item::c.price < 2.0);
  auto dear = Item::select(Item::c.name).where(Item::c.price > 5.0);
  const auto names = run(cheap.union_(dear).order_by(Item::c.name).aio_tuples<std::string>());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(std::get<0>(names[0]), "n1");
  EXPECT_EQ(std::get<0>(names[1]), "n6");
  EXPECT_THROW(run(Item::select(Item::c.name).aio_execute()), tern::InterfaceError);
}

TEST_P(Orm, UpsertCaseCastAndInsertFromSelect) {
  using tern::orm::Case;
  using tern::orm::cast;
  Category tools;
  tools.name = "tools";
  run(Category::insert(tools).aio_execute());
  // Inserting the same unique name again updates instead (the id stays).
  Category again;
  again.name = "tools";
  run(Category::insert(again)
          .on_conflict_target(Category::c.name)
          .on_conflict_update(Category::c.name)
          .aio_execute());
  EXPECT_EQ(run(Category::select(tern::orm::fn::count()).aio_scalar<std::int64_t>()), 1);
  EXPECT_EQ(run(Category::insert(again).on_conflict_ignore().aio_execute()), std::nullopt);

  const std::int64_t c = run(Category::aio_get(Category::c.name == "tools")).id;
  std::vector<Item> items;
  for (int i = 1; i <= 3; ++i) {
    Item it;
    it.name = "p" + std::to_string(i);
    it.price = i * 10 + 0.5;
    it.category_id = c;
    it.added = tern::Date(2024y / January / i);
    items.push_back(it);
  }
  run(Item::insert_many(items).aio_execute());
  const auto labels =
      run(Item::select(Item::c.name,
                       Case<std::string>().when(Item::c.price > 20.0, "dear").else_("cheap"),
                       cast<std::int64_t>(Item::c.price, "INTEGER"))
              .order_by(Item::c.name)
              .aio_tuples<std::string, std::string, std::int64_t>());
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(std::get<1>(labels[0]), "cheap");
  EXPECT_EQ(std::get<1>(labels[2]), "dear");
  EXPECT_EQ(std::get<2>(labels[0]), 10);  // 10.5 cast to an integer rounds on both servers
  // INSERT ... SELECT: copy the cheap items into another category.
  const std::int64_t other = add_category("other");
  const auto copies =
      run(Item::insert_from(
              Item::select(Item::c.name, Item::c.price, tern::orm::value(other), Item::c.added)
                  .where(Item::c.price < 20.0),
              Item::c.name, Item::c.price, Item::c.category_id, Item::c.added)
              .aio_execute());
  EXPECT_EQ(copies, 1u);
  EXPECT_TRUE(
      run(Item::select().where(Item::c.name == "p1" && Item::c.category_id == other).aio_exists()));
}

TEST_P(Orm, UuidFields) {
  run(Token::aio_drop_table());
  run(Token::aio_create_table());
  const tern::Uuid a = tern::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  const tern::Uuid b = tern::Uuid::parse("00000000-0000-0000-0000-0000000000ff");
  Token t{.value = a, .parent = b};
  const std::int64_t id = *run(Token::insert(t).aio_execute());
  Token u{.value = b};
  run(Token::insert(u).aio_execute());
  const Token back = run(Token::aio_get(Token::c.value == a));
  EXPECT_EQ(back.id, id);
  EXPECT_EQ(back.parent, std::optional<tern::Uuid>(b));
  EXPECT_FALSE(run(Token::aio_get(Token::c.value == b)).parent.has_value());
  run(Token::aio_drop_table());
}

TEST_P(Orm, CompositePrimaryKey) {
  run(Membership::aio_drop_table());
  run(Membership::aio_create_table());
  Membership a{.user_id = 1, .group_id = 7, .role = "member"};
  Membership b{.user_id = 2, .group_id = 7, .role = "owner"};
  run(Membership::aio_create(a));
  run(Membership::aio_create(b));
  EXPECT_THROW(run(Membership::aio_create(a)), tern::IntegrityError);  // same (user, group)
  a.role = "admin";
  EXPECT_EQ(run(a.aio_save()), 1u);  // UPDATE ... WHERE user_id = 1 AND group_id = 7
  EXPECT_EQ(run(Membership::aio_get(Membership::c.user_id == 1)).role, "admin");
  EXPECT_EQ(run(Membership::aio_get(Membership::c.user_id == 2)).role, "owner");
  EXPECT_EQ(run(b.aio_delete_instance()), 1u);
  EXPECT_EQ(run(Membership::select().aio_count()), 1);
  run(Membership::aio_drop_table());
}

TEST_P(Orm, AioModelShortcuts) {
  const std::int64_t c = add_category("c");
  Item draft;
  draft.name = "widget";
  draft.category_id = c;
  draft.added = tern::Date(2024y / June / 1);
  Item created = run(Item::aio_create(draft));
  EXPECT_GT(created.id, 0);
  Item got = run(Item::aio_get(Item::c.name == "widget"));
  EXPECT_EQ(got.id, created.id);
  got.price = 42;
  EXPECT_EQ(run(got.aio_save()), 1u);
  EXPECT_EQ(run(Item::aio_get(Item::c.id == created.id)).price, 42.0);
  EXPECT_FALSE(run(Item::aio_get_or_none(Item::c.name == "gadget")).has_value());
  EXPECT_THROW(run(Item::aio_get(Item::c.name == "gadget")), Item::DoesNotExist);
  EXPECT_EQ(run(got.aio_delete_instance()), 1u);
  EXPECT_THROW(run(Item::aio_get(Item::c.id == created.id)), tern::DoesNotExist);
}

TEST_P(Orm, ValuesCannotInjectSql) {
  const std::int64_t c = add_category("x");
  const std::vector<std::string> hostile = {
      "'; DROP TABLE item; --",    "\\'; DROP TABLE item; --", "\" OR 1=1 --", "` OR 1=1 --",
      std::string("nul\0byte", 8), "100% _wild_ \\ card"};
  for (const std::string& text : hostile) {
    if (GetParam() == tern::Dialect::kPostgres && text.find('\0') != std::string::npos) {
      continue;  // PostgreSQL text cannot hold NUL at all (a server-side rule, not ours)
    }
    Item it;
    it.name = text.substr(0, 100);
    it.note = text;
    it.category_id = c;
    it.added = tern::Date(2024y / January / 1);
    const std::int64_t id = *run(Item::insert(it).aio_execute());
    const auto back = run(Item::select().where(Item::c.name == text).aio_execute());
    ASSERT_EQ(back.size(), 1u) << text;
    EXPECT_EQ(back[0].id, id);
    EXPECT_EQ(back[0].note, std::optional<std::string>(text));
    // startswith escapes LIKE wildcards: only the literal prefix matches.
    EXPECT_EQ(run(Item::select().where(Item::c.name.startswith(text)).aio_execute()).size(), 1u)
        << text;
  }
  EXPECT_EQ(run(Item::select().where(Item::c.name.startswith("100%")).aio_execute()).size(), 1u);
  EXPECT_EQ(run(Item::select().where(Item::c.name.startswith("100_")).aio_execute()).size(), 0u);
}

TEST_P(Orm, CtesSubqueriesInFromLazyRowsRawAndReturning) {
  namespace orm = tern::orm;
  const bool pg = GetParam() == tern::Dialect::kPostgres;
  const std::int64_t tools = add_category("tools");
  std::vector<Item> items;
  for (int i = 1; i <= 6; ++i) {
    Item it;
    it.name = "i" + std::to_string(i);
    it.price = i;
    it.category_id = tools;
    it.added = tern::Date(2024y / May / i);
    items.push_back(it);
  }
  run(Item::insert_many(items).aio_execute());

  // A model select over a subquery: the three dearest, then filtered and re-ordered outside.
  const auto top = Item::select().order_by(Item::c.price.desc()).limit(3);
  const auto dear = run(
      Item::select().from(top).where(Item::c.price < 6.0).order_by(Item::c.price).aio_execute());
  ASSERT_EQ(dear.size(), 2u);
  EXPECT_EQ(dear[0].name, "i4");
  EXPECT_EQ(dear[1].name, "i5");

  // A CTE read as the model, and joined.
  orm::Cte cheap("cheap", Item::select().where(Item::c.price <= 2.0));
  EXPECT_EQ(run(Item::select().with(cheap).from(cheap).aio_count()), 2);
  const auto names = run(Item::select(Item::c.name)
                             .with(cheap)
                             .join(cheap, cheap.c<std::int64_t>("id") == Item::c.id)
                             .order_by(Item::c.name)
                             .aio_tuples<std::string>());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(std::get<0>(names[1]), "i2");

  // A recursive CTE without a model: 1..5 summed on the server.
  const auto n = orm::column<std::int64_t>("t", "n");
  orm::Cte t("t",
             orm::select(orm::cast<std::int64_t>(orm::value<std::int64_t>(1), "BIGINT"))
                 .union_all(orm::select(n + 1).from_table("t").where(n < 5)),
             {"n"});
  t.recursive();
  EXPECT_EQ(run(orm::select(orm::fn::sum(t.c<std::int64_t>("n")))
                    .with(t)
                    .from(t)
                    .aio_scalar<std::int64_t>(*db)),
            15);

  // Lazy rows: models built one at a time while iterating.
  const orm::ModelRows<Item> rows = run(Item::select().order_by(Item::c.id).aio_iterator());
  ASSERT_EQ(rows.size(), 6u);
  double total = 0;
  for (const Item it : rows)
    total += it.price;
  EXPECT_EQ(total, 21.0);

  // Streamed: batches of two models, never the whole result at once.
  const double streamed = run([]() -> Task<double> {
    auto stream = co_await Item::select().order_by(Item::c.id).aio_stream(2);
    double sum = 0;
    std::size_t batches = 0;
    while (auto batch = co_await stream.next()) {
      ++batches;
      EXPECT_LE(batch->size(), 2u);
      for (const Item it : *batch)
        sum += it.price;
    }
    EXPECT_GE(batches, 3u);
    co_return sum;
  }());
  EXPECT_EQ(streamed, 21.0);

  // Raw SQL mapped by column name; the value is bound.
  const std::string sql = pg ? "SELECT name, id, price FROM item WHERE price > $1 ORDER BY id"
                             : "SELECT name, id, price FROM item WHERE price > ? ORDER BY id";
  const auto raw = run(Item::raw(sql, 4.5).aio_execute());
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0].name, "i5");
  EXPECT_EQ(raw[0].price, 5.0);
  EXPECT_GT(raw[0].id, 0);
  EXPECT_EQ(raw[0].category_id, 0);  // not selected: left at its default

  // UPDATE ... RETURNING: PostgreSQL and SQLite (MariaDB returns rows from INSERT and DELETE
  // only).
  auto bump = Item::update().set(Item::c.price, Item::c.price * 10).where(Item::c.price > 5.0);
  bump.returning(Item::c.name, Item::c.price);
  if (GetParam() != tern::Dialect::kMysql) {
    const tern::ResultSet back = run(bump.aio_rows());
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back.row(0).get<std::string>(0), "i6");
    EXPECT_EQ(back.row(0).get<double>(1), 60.0);
    auto gone = Item::delete_().where(Item::c.price > 50.0);
    gone.returning(Item::c.name);
    EXPECT_EQ(run(gone.aio_rows()).row(0).get<std::string>(0), "i6");
  } else {
    EXPECT_THROW(run(bump.aio_rows()), tern::NotSupportedError);
  }
}

TEST_P(Orm, BackrefsAndCheckConstraints) {
  const std::int64_t tools = add_category("tools");
  const std::int64_t food = add_category("food");
  for (const auto& [name, category] : std::vector<std::pair<std::string, std::int64_t>>{
           {"saw", tools}, {"apple", food}, {"hammer", tools}}) {
    Item it;
    it.name = name;
    it.category_id = category;
    run(Item::insert(it).aio_execute());
  }
  const Category tools_row = run(Category::aio_get(Category::c.id == tools));
  const auto in_tools =
      run(tern::backref<Item>(tools_row).order_by(Item::c.name.desc()).aio_execute());
  ASSERT_EQ(in_tools.size(), 2u);
  EXPECT_EQ(in_tools[0].name, "saw");
  EXPECT_EQ(in_tools[1].name, "hammer");
  EXPECT_THROW(tern::backref<Category>(in_tools[0]), tern::InterfaceError);  // no FK that way

  // The CHECK in the model's DDL is enforced by the server: a typed IntegrityError.
  Item negative;
  negative.name = "refund";
  negative.price = -1;
  negative.category_id = food;
  EXPECT_THROW(run(Item::insert(negative).aio_execute()), tern::IntegrityError);
}

TEST_P(Orm, AioModelSelectApi) {
  const std::int64_t tools = add_category("tools");
  for (int i = 1; i <= 5; ++i) {
    Item it;
    it.name = "n" + std::to_string(i);
    it.price = i;
    it.category_id = tools;
    run(Item::insert(it).aio_execute());
  }
  // aio_get with several conditions (ANDed), and DoesNotExist, also through the base class.
  EXPECT_EQ(run(Item::aio_get(Item::c.price > 2.0, Item::c.price < 4.0)).name, "n3");
  EXPECT_THROW(run(Item::aio_get(Item::c.name == "none")), Item::DoesNotExist);
  EXPECT_THROW(run(Item::aio_get(Item::c.name == "none")), tern::DoesNotExist);
  EXPECT_FALSE(run(Item::aio_get_or_none(Item::c.name == "none")).has_value());
  // Select's aio_get / aio_first / aio_peek.
  const auto by_price = Item::select().order_by(Item::c.price.desc());
  EXPECT_EQ(run(by_price.aio_get()).name, "n5");
  EXPECT_EQ(run(by_price.aio_first())->name, "n5");
  ASSERT_EQ(run(by_price.aio_first(2)).size(), 2u);
  EXPECT_EQ(run(by_price.aio_first(2))[1].name, "n4");
  EXPECT_EQ(run(by_price.aio_peek())->name, "n5");
  EXPECT_EQ(run(by_price.aio_peek(3)).size(), 3u);
  EXPECT_THROW(run(Item::select().where(Item::c.price > 9.0).aio_get()), Item::DoesNotExist);
  // aio_count with and without clear_limit.
  const auto page = Item::select().order_by(Item::c.id).limit(2).offset(1);
  EXPECT_EQ(run(page.aio_count()), 2);
  EXPECT_EQ(run(page.aio_count(/*clear_limit=*/true)), 5);
  // aio_scalar, one value or the first row as a tuple.
  EXPECT_EQ(run(Item::select(tern::orm::fn::max(Item::c.price)).aio_scalar<double>()), 5.0);
  const auto first = run(Item::select(Item::c.name, Item::c.price)
                             .order_by(Item::c.price)
                             .aio_scalar<std::string, double>());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(std::get<0>(*first), "n1");
  EXPECT_EQ(std::get<1>(*first), 1.0);
  EXPECT_FALSE(run(Item::select(Item::c.name, Item::c.price)
                       .where(Item::c.price > 9.0)
                       .aio_scalar<std::string, double>())
                   .has_value());
}

// DoesNotExist says what was asked, as peewee's does: the model, the SQL and the parameters,
// these redacted unless the query hook was installed with them (it said only "Item instance
// matching query does not exist").
TEST_P(Orm, DoesNotExistShowsTheStatementAndItsParameters) {
  const auto message = [&](Task<Item> task) -> std::string {
    try {
      run(std::move(task));
    } catch (const Item::DoesNotExist& e) {
      return e.what();
    }
    ADD_FAILURE() << "no DoesNotExist";
    return {};
  };
  std::string m = message(Item::aio_get(Item::c.name == "private-name"));
  EXPECT_TRUE(m.starts_with("Item instance matching query does not exist:\nSQL: SELECT ")) << m;
  EXPECT_NE(m.find(" WHERE "), std::string::npos) << m;
  EXPECT_NE(m.find("\nParams: "), std::string::npos) << m;
  EXPECT_NE(m.find(" (redacted: set_query_hook(hook, true) shows them)"), std::string::npos) << m;
  EXPECT_EQ(m.find("private-name"), std::string::npos) << m;

  db->set_query_hook([](const tern::QueryEvent&) {}, /*with_params=*/true);
  m = message(Item::aio_get(Item::c.name == "private-name"));
  EXPECT_NE(m.find("\nParams: ['private-name'"), std::string::npos) << m;
  m = message(Item::select().where(Item::c.price > 9.5).aio_get());  // Select::aio_get
  EXPECT_NE(m.find("LIMIT"), std::string::npos) << m;
  EXPECT_NE(m.find("\nParams: [9.5"), std::string::npos) << m;
  db->set_query_hook({});
}

// A connection that was never made reaches the ORM as ConnectionFailed, "could not connect to
// server ...", not as ConnectionLost (which it was), kept for a connection that was up.
TEST_P(Orm, UnreachableServerIsConnectionFailed) {
  std::unique_ptr<tern::AioDatabase> reachable = std::move(db);
  tern::testing::TestConnection how;
  how.via_port = 1;  // nothing listens there
  db = tern::testing::make_database(GetParam(), {}, how);
  std::string what;
  try {
    run(Item::aio_get(Item::c.id == 1));
    ADD_FAILURE() << "connected to port 1";
  } catch (const tern::ConnectionLost& e) {
    ADD_FAILURE() << "ConnectionLost: " << e.what();
  } catch (const tern::ConnectionFailed& e) {
    what = e.what();
  }
  EXPECT_TRUE(what.starts_with(GetParam() == tern::Dialect::kSqlite
                                   ? "could not connect to server: SQLite cannot open"
                                   : "could not connect to server at 127.0.0.1:1: "))
      << what;
  run(db->aio_close());
  db = std::move(reachable);
}

TEST_P(Orm, SaveOnlyChosenFields) {
  const std::int64_t tools = add_category("tools");
  Item it;
  it.name = "before";
  it.price = 1;
  it.category_id = tools;
  run(it.aio_save());
  ASSERT_GT(it.id, 0);
  it.name = "after";
  it.price = 2;
  EXPECT_EQ(run(it.aio_save(false, Item::c.price)), 1u);
  const Item back = run(Item::aio_get(Item::c.id == it.id));
  EXPECT_EQ(back.name, "before");  // not in `only`: left as it was
  EXPECT_EQ(back.price, 2.0);
  EXPECT_EQ(run(it.aio_save()), 1u);  // every field
  EXPECT_EQ(run(Item::aio_get(Item::c.id == it.id)).name, "after");
}

TEST_P(Orm, GetOrCreateUnderFiftyConcurrentCallers) {
  std::vector<std::pair<Category, bool>> results(50);
  tern::ring::TaskGroup tasks(loop);
  for (auto& result : results) {
    tasks.spawn([](std::pair<Category, bool>& out) -> Task<void> {
      Category wanted;
      wanted.name = "shared";
      out = co_await Category::aio_get_or_create(wanted, Category::c.name);
    }(result));
  }
  run(tasks.join());
  int created = 0;
  for (const auto& [category, was_created] : results) {
    created += was_created ? 1 : 0;
    EXPECT_EQ(category.id, results.front().first.id);
    EXPECT_EQ(category.name, "shared");
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(run(Category::select().aio_count()), 1);
  EXPECT_EQ(db->pool_stats().in_use, 0u);
  // Found the second time round.
  Category again;
  again.name = "shared";
  const auto [found, was_created] = run(Category::aio_get_or_create(again, Category::c.name));
  EXPECT_FALSE(was_created);
  EXPECT_EQ(found.id, results.front().first.id);
}

TEST_P(Orm, RecursiveDeleteFollowsForeignKeys) {
  const auto reset = [&] {
    run(Toy::aio_drop_table());
    run(Pet::aio_drop_table());
    run(Tag::aio_drop_table());
    run(Owner::aio_drop_table());
    run(Owner::aio_create_table());
    run(Pet::aio_create_table());
    run(Toy::aio_create_table());
    run(Tag::aio_create_table());
  };
  const auto populate = [&] {
    Owner keep;
    keep.name = "keep";
    Owner gone;
    gone.name = "gone";
    keep = run(Owner::aio_create(keep));
    gone = run(Owner::aio_create(gone));
    for (const Owner& o : {keep, gone}) {
      for (int p = 0; p < 2; ++p) {
        Pet pet;
        pet.owner_id = o.id;
        pet = run(Pet::aio_create(pet));
        Toy toy;
        toy.pet_id = pet.id;
        run(Toy::aio_create(toy));
      }
      Tag tag;
      tag.owner_id = o.id;
      run(Tag::aio_create(tag));
    }
    return gone;
  };
  reset();
  Owner gone = populate();
  // Without recursive, the references stop it (and nothing is lost).
  EXPECT_THROW(run(gone.aio_delete_instance()), tern::IntegrityError);
  EXPECT_EQ(run(Toy::select().aio_count()), 4);
  // Recursive: pets and their toys deleted, the nullable tag detached.
  EXPECT_EQ(run(gone.aio_delete_instance(/*recursive=*/true)), 1u);
  EXPECT_EQ(run(Owner::select().aio_count()), 1);
  EXPECT_EQ(run(Pet::select().aio_count()), 2);
  EXPECT_EQ(run(Toy::select().aio_count()), 2);
  EXPECT_EQ(run(Tag::select().aio_count()), 2);
  EXPECT_EQ(run(Tag::select().where(Tag::c.owner_id.is_null()).aio_count()), 1);
  // delete_nullable: the tag goes too.
  reset();
  gone = populate();
  EXPECT_EQ(run(gone.aio_delete_instance(true, /*delete_nullable=*/true)), 1u);
  EXPECT_EQ(run(Tag::select().aio_count()), 1);
  EXPECT_EQ(run(Toy::select().aio_count()), 2);
  run(Tag::aio_drop_table());
  run(Toy::aio_drop_table());
  run(Pet::aio_drop_table());
  run(Owner::aio_drop_table());
}

TEST_P(Orm, PrefetchAttachesRelatedRowsInOneQueryPerLevel) {
  run(Review::aio_drop_table());
  run(Book::aio_drop_table());
  run(Author::aio_drop_table());
  run(Author::aio_create_table());
  run(Book::aio_create_table());
  run(Review::aio_create_table());
  // a: 2 books (2 and 0 reviews); b: 1 book (1 review); c: 1 book, filtered out below.
  const auto author = [&](const std::string& name) {
    Author a;
    a.name = name;
    return run(Author::aio_create(a)).id;
  };
  const auto book = [&](std::int64_t author_id, const std::string& title) {
    Book b;
    b.author_id = author_id;
    b.title = title;
    return run(Book::aio_create(b)).id;
  };
  const auto review = [&](std::int64_t book_id, int stars) {
    Review r;
    r.book_id = book_id;
    r.stars = stars;
    run(Review::aio_create(r));
  };
  const std::int64_t a = author("a");
  const std::int64_t b = author("b");
  const std::int64_t c = author("c");
  const std::int64_t a2 = book(a, "a2");
  book(a, "a1");
  const std::int64_t b1 = book(b, "b1");
  review(book(c, "c1"), 1);
  review(a2, 5);
  review(a2, 4);
  review(b1, 3);

  // Every statement the database runs, to count them.
  std::vector<std::string> statements;
  db->set_query_hook([&](const tern::QueryEvent& e) { statements.emplace_back(e.sql); });
  const auto all_statements = [&] {
    std::string out;
    for (const std::string& sql : statements)
      out += "\n  " + sql;
    return out;
  };
  for (const tern::PrefetchType type : {tern::PrefetchType::kWhere, tern::PrefetchType::kJoin}) {
    statements.clear();
    const std::vector<Author> authors = run(tern::aio_prefetch(
        type, Author::select().where(Author::c.name != "c").order_by(Author::c.name),
        tern::into(&Author::books, Book::select().order_by(Book::c.title)),
        tern::into(&Book::reviews, Review::select().order_by(Review::c.stars.desc())),
        tern::into(&Book::author, Author::select())));
    ASSERT_EQ(authors.size(), 2u);
    ASSERT_EQ(authors[0].books.size(), 2u);
    EXPECT_EQ(authors[0].books[0].title, "a1");
    EXPECT_EQ(authors[0].books[1].title, "a2");
    EXPECT_TRUE(authors[0].books[0].reviews.empty());
    ASSERT_EQ(authors[0].books[1].reviews.size(), 2u);
    EXPECT_EQ(authors[0].books[1].reviews[0].stars, 5);
    ASSERT_NE(authors[0].books[1].author, nullptr);
    EXPECT_EQ(authors[0].books[1].author->name, "a");  // many to one, the other way
    ASSERT_EQ(authors[1].books.size(), 1u);
    ASSERT_EQ(authors[1].books[0].reviews.size(), 1u);
    EXPECT_EQ(authors[1].books[0].reviews[0].stars, 3);
    // One query per level: authors, their books, the books' reviews, the books' authors.
    EXPECT_EQ(statements.size(), 4u) << all_statements();
  }
  // A limited owner query (MySQL refuses LIMIT inside IN: the derived table avoids it).
  statements.clear();
  const std::vector<Author> first =
      run(tern::aio_prefetch(Author::select().order_by(Author::c.name).limit(1),
                             tern::into(&Author::books, Book::select())));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].books.size(), 2u);
  EXPECT_EQ(statements.size(), 2u) << all_statements();
  db->set_query_hook({});
  // An owner that is not an earlier query's model is refused.
  EXPECT_THROW(
      run(tern::aio_prefetch(Author::select(), tern::into(&Book::reviews, Review::select()))),
      tern::InterfaceError);
  run(Review::aio_drop_table());
  run(Book::aio_drop_table());
  run(Author::aio_drop_table());
}

TEST_P(Orm, SyncTableCreationAsInTheSeed) {
  run(Item::aio_drop_table());
  EXPECT_THROW(Item::create_table(true), tern::InterfaceError);  // sync is forbidden by default
  {
    auto sync = db->allow_sync();
    Item::create_table(true);
  }
  EXPECT_EQ(run(Item::select().aio_execute()).size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, Orm,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql,
                                           tern::Dialect::kSqlite),
                         tern::testing::backend_name);

}  // namespace
