// What the ORM's writes give back, against real PostgreSQL and MariaDB: keys of any type
// (get_id(), UUIDField's default_factory, insert results typed by the key) and RETURNING
// read as models, tuples and name -> value maps.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tern/db/uuid.hpp"
#include "tern/orm/model.hpp"
#include "tern/orm/schema.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using tern::ring::Task;

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> db;

// An auto key.
struct Author {
  std::int64_t id{};
  std::string name{};
  TERN_MODEL(Author, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 40, .unique = true}));
};

// A UUID key made by uuid4 when left unset, as peewee's `default=uuid.uuid4`.
struct Doc {
  tern::Uuid id{};
  std::string title{};
  TERN_MODEL(Doc, db, (id, tern::UUIDField{.primary_key = true, .default_factory = tern::uuid4}),
             (title, tern::CharField{.max_length = 40, .unique = true}));
};

// A text key the program gives.
struct Sku {
  std::string code{};
  std::int32_t stock{};
  TERN_MODEL(Sku, db, (code, tern::CharField{.max_length = 20, .primary_key = true}),
             (stock, tern::IntegerField{}));
};

// An integer key that is not auto-increment.
struct Ticket {
  std::int64_t number{};
  std::string subject{};
  TERN_MODEL(Ticket, db, (number, tern::BigIntegerField{.primary_key = true}),
             (subject, tern::TextField{}));
};

// A composite key (peewee's CompositeKey): get_id() is (5, "boots").
struct OrderLine {
  std::int64_t order_id{};
  std::string sku{};
  std::int32_t qty{};
  static inline const std::vector<std::string> composite_key = {"order_id", "sku"};
  TERN_MODEL(OrderLine, db, (order_id, tern::BigIntegerField{}),
             (sku, tern::CharField{.max_length = 20}), (qty, tern::IntegerField{}));
};

class OrmWrites : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam(), {.max_connections = 2});
    run(tern::aio_drop_tables<Author, Doc, Sku, Ticket, OrderLine>());
    run(tern::aio_create_tables<Author, Doc, Sku, Ticket, OrderLine>());
  }
  void TearDown() override {
    run(tern::aio_drop_tables<Author, Doc, Sku, Ticket, OrderLine>());
    run(db->aio_close());
    db.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  bool pg() const { return GetParam() == tern::Dialect::kPostgres; }

  tern::ring::Loop loop;
};

// A version 4 UUID (RFC 4122): what uuid4 makes.
bool is_uuid4(const tern::Uuid& u) {
  return (u.bytes[6] >> 4) == 4 && (u.bytes[8] & 0xC0) == 0x80;
}

TEST_P(OrmWrites, GetIdOfEveryKindOfKey) {
  const Author a = run(Author::aio_create(Author::c.name = "a"));
  EXPECT_EQ(a.get_id(), a.id);
  static_assert(std::is_same_v<decltype(a.get_id()), std::int64_t>);
  const Doc d = run(Doc::aio_create(Doc::c.title = "d"));
  EXPECT_EQ(d.get_id<tern::Uuid>(), d.id);
  const Sku s{.code = "boots", .stock = 3};
  EXPECT_EQ(s.get_id<std::string>(), "boots");
  const OrderLine line{.order_id = 5, .sku = "boots", .qty = 1};
  EXPECT_EQ((line.get_id<std::int64_t, std::string>()), std::make_tuple(5, std::string("boots")));
  // Types that are not the key's: refused, naming the key's members.
  EXPECT_THROW(s.get_id<std::int64_t>(), tern::InterfaceError);
  EXPECT_THROW((line.get_id<std::string, std::int64_t>()), tern::InterfaceError);
  try {
    (void)line.get_id<std::int64_t>();
    ADD_FAILURE() << "one type for a two-column key";
  } catch (const tern::InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("(order_id, sku)"), std::string::npos) << e.what();
  }
}

TEST_P(OrmWrites, UuidKeysAreGeneratedOnInsert) {
  // aio_create and aio_save store the generated key in the object.
  const Doc created = run(Doc::aio_create(Doc::c.title = "created"));
  EXPECT_TRUE(is_uuid4(created.id)) << created.id.to_string();
  EXPECT_EQ(run(Doc::aio_get(Doc::c.id == created.id)).title, "created");
  Doc saved{.title = "saved"};
  EXPECT_EQ(run(saved.aio_save()), 1u);  // an unset generated key: a new row
  EXPECT_TRUE(is_uuid4(saved.id));
  EXPECT_NE(saved.id, created.id);
  saved.title = "saved again";
  EXPECT_EQ(run(saved.aio_save()), 1u);  // the key set: an UPDATE
  EXPECT_EQ(run(Doc::select().aio_count()), 2);
  EXPECT_EQ(run(Doc::aio_get(Doc::c.id == saved.id)).title, "saved again");
  // A key the program gives is kept.
  const tern::Uuid mine = tern::uuid4();
  EXPECT_EQ(run(Doc::aio_create(Doc::c.id = mine, Doc::c.title = "mine")).id, mine);
  // insert() takes a const object: the key sent comes back typed.
  const std::optional<tern::Uuid> key =
      run(Doc::insert(Doc::c.title = "inserted").aio_execute_key<tern::Uuid>());
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE(is_uuid4(*key));
  EXPECT_EQ(run(Doc::aio_get(Doc::c.id == *key)).title, "inserted");
  const std::vector<Doc> many{{.title = "m1"}, {.title = "m2"}};
  const std::vector<tern::Uuid> keys = run(Doc::insert_many(many).aio_execute_key<tern::Uuid>());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_EQ(run(Doc::aio_get(Doc::c.id == keys[0])).title, "m1");
  EXPECT_EQ(run(Doc::aio_get(Doc::c.id == keys[1])).title, "m2");
  // aio_bulk_create fills each object's key.
  std::vector<Doc> bulk{{.title = "b1"}, {.title = "b2"}, {.title = "b3"}};
  EXPECT_EQ(run(Doc::aio_bulk_create(bulk, 2)), 3u);
  for (const Doc& d : bulk) {
    EXPECT_TRUE(is_uuid4(d.id));
    EXPECT_EQ(run(Doc::aio_get(Doc::c.id == d.id)).title, d.title);
  }
  // A conflict ignored inserts nothing: no key.
  EXPECT_EQ(
      run(Doc::insert(Doc::c.title = "m1").on_conflict_ignore().aio_execute_key<tern::Uuid>()),
      std::nullopt);
}

TEST_P(OrmWrites, InsertResultsAreTypedByTheKey) {
  // An auto key: the typed form without template arguments.
  const std::optional<std::int64_t> author =
      run(Author::insert(Author::c.name = "x").aio_execute_key());
  ASSERT_TRUE(author.has_value());
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "x")).id, *author);
  const std::vector<Author> authors{{.name = "y"}, {.name = "z"}};
  const std::vector<std::int64_t> author_keys = run(Author::insert_many(authors).aio_execute_key());
  ASSERT_EQ(author_keys.size(), 2u);
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "z")).id, author_keys[1]);
  // A text key.
  EXPECT_EQ(
      run(Sku::insert(Sku::c.code = "boots", Sku::c.stock = 2).aio_execute_key<std::string>()),
      "boots");
  // A composite key: tuples in the key's column order.
  EXPECT_EQ(run(OrderLine::insert(OrderLine::c.order_id = 5, OrderLine::c.sku = "boots",
                                  OrderLine::c.qty = 1)
                    .aio_execute_key<std::int64_t, std::string>()),
            std::make_tuple(5, std::string("boots")));
  const std::vector<OrderLine> lines{{.order_id = 6, .sku = "a"}, {.order_id = 6, .sku = "b"}};
  using LineKey = std::tuple<std::int64_t, std::string>;
  EXPECT_EQ(run(OrderLine::insert_many(lines).aio_execute_key<std::int64_t, std::string>()),
            (std::vector<LineKey>{{6, "a"}, {6, "b"}}));
  // An upsert that updated a row: PostgreSQL returns that row's key; on MySQL nothing was
  // inserted (2 rows affected) and which row was updated is not said: no key.
  const Sku more{.code = "boots", .stock = 5};  // the insert points at it: a named object
  auto upsert = Sku::insert(more);
  upsert.on_conflict_target(Sku::c.code).on_conflict_update(Sku::c.stock);
  EXPECT_EQ(run(upsert.aio_execute_key<std::string>()),
            pg() ? std::optional<std::string>("boots") : std::nullopt);
  EXPECT_EQ(run(Sku::aio_get(Sku::c.code == "boots")).stock, 5);
  // Several rows: MySQL's affected count cannot tell inserted from updated ones.
  const std::vector<Sku> both{{.code = "boots", .stock = 6}, {.code = "socks", .stock = 1}};
  auto upsert_many = Sku::insert_many(both);
  upsert_many.on_conflict_target(Sku::c.code).on_conflict_update(Sku::c.stock);
  if (pg()) {
    EXPECT_EQ(run(upsert_many.aio_execute_key<std::string>()),
              (std::vector<std::string>{"boots", "socks"}));
  } else {
    EXPECT_THROW(run(upsert_many.aio_execute_key<std::string>()), tern::NotSupportedError);
    EXPECT_FALSE(run(Sku::aio_get_or_none(Sku::c.code == "socks")).has_value());  // not run
  }
  // Types that are not the key's: refused before anything is sent.
  EXPECT_THROW(run(Sku::insert(Sku::c.code = "x").aio_execute_key<std::int64_t>()),
               tern::InterfaceError);
  EXPECT_FALSE(run(Sku::aio_get_or_none(Sku::c.code == "x")).has_value());
}

// An integer key that is not auto-increment: aio_execute() returns the key the row was
// inserted with on both backends (MariaDB's OK packet has no key for it: it is the one sent).
TEST_P(OrmWrites, IntegerKeysThatAreNotGeneratedAreReturned) {
  EXPECT_EQ(run(Ticket::insert(Ticket::c.number = 42, Ticket::c.subject = "a").aio_execute()), 42);
  EXPECT_EQ(run(Ticket::insert(Ticket::c.number = 43, Ticket::c.subject = "b")
                    .aio_execute_key<std::int64_t>()),
            43);
  const std::vector<Ticket> many{{.number = 44}, {.number = 45}};
  EXPECT_EQ(run(Ticket::insert_many(many).aio_execute()), (std::vector<std::int64_t>{44, 45}));
  // A conflict ignored: nullopt, as for an auto key.
  EXPECT_EQ(run(Ticket::insert(Ticket::c.number = 42).on_conflict_ignore().aio_execute()),
            std::nullopt);
  EXPECT_EQ(run(Ticket::select().aio_count()), 4);
  // An upsert that updated a row: PostgreSQL returns that row's key; on MySQL nothing was
  // inserted (2 rows affected), and which row it updated is not said: no key.
  const Ticket again{.number = 42, .subject = "again"};
  auto upsert = Ticket::insert(again);
  upsert.on_conflict_target(Ticket::c.number).on_conflict_update(Ticket::c.subject);
  EXPECT_EQ(run(upsert.aio_execute()), pg() ? std::optional<std::int64_t>(42) : std::nullopt);
  EXPECT_EQ(run(Ticket::aio_get(Ticket::c.number == 42)).subject, "again");
}

// RETURNING read as models, tuples and name -> value maps: INSERT and DELETE on both servers
// (MariaDB 10.5+ has them), UPDATE on PostgreSQL (MariaDB has none: NotSupportedError).
TEST_P(OrmWrites, ReturningAsModelsTuplesAndDicts) {
  // returning(Model::c): every field, as peewee's returning(Model).
  const Author one{.name = "one"};
  const std::vector<Author> created = run(Author::insert(one).returning(Author::c).aio_models());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_GT(created[0].id, 0);
  EXPECT_EQ(created[0].name, "one");
  const std::vector<Author> more{{.name = "two"}, {.name = "three"}};
  auto insert = Author::insert_many(more);
  insert.returning(Author::c.name, Author::c.id);
  const auto rows = run(insert.aio_tuples<std::string, std::int64_t>());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::get<0>(rows[0]), "two");
  EXPECT_EQ(std::get<0>(rows[1]), "three");
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "three")).id, std::get<1>(rows[1]));
  // Dicts: each value typed as its expression (a field: its member's type).
  const Doc doc{.title = "doc"};
  auto insert_doc = Doc::insert(doc);
  insert_doc.returning(Doc::c.id, Doc::c.title);
  const std::vector<tern::orm::Dict> docs = run(insert_doc.aio_dicts());
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].size(), 2u);
  EXPECT_EQ(docs[0].at("title"), tern::Value("doc"));
  EXPECT_TRUE(is_uuid4(std::get<tern::Uuid>(docs[0].at("id").storage())));
  // Models from chosen columns: the others keep their defaults.
  auto gone = Author::delete_().where(Author::c.name == "two");
  gone.returning(Author::c.name);
  const std::vector<Author> deleted = run(gone.aio_models());
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].name, "two");
  EXPECT_EQ(deleted[0].id, 0);
  EXPECT_FALSE(run(Author::aio_get_or_none(Author::c.name == "two")).has_value());
  auto gone_too = Author::delete_().where(Author::c.name == "three");
  gone_too.returning(Author::c.id, (Author::c.id * 10).as("tenfold"));
  const std::vector<tern::orm::Dict> dicts = run(gone_too.aio_dicts());
  ASSERT_EQ(dicts.size(), 1u);
  EXPECT_EQ(dicts[0].at("tenfold"), tern::Value(std::get<1>(rows[1]) * 10));
  // UPDATE ... RETURNING.
  auto rename =
      Author::update().set(Author::c.name, std::string("ONE")).where(Author::c.name == "one");
  rename.returning(Author::c);
  if (pg()) {
    const std::vector<Author> renamed = run(rename.aio_models());
    ASSERT_EQ(renamed.size(), 1u);
    EXPECT_EQ(renamed[0].id, created[0].id);
    EXPECT_EQ(renamed[0].name, "ONE");
  } else {
    try {
      run(rename.aio_models());
      ADD_FAILURE() << "UPDATE ... RETURNING ran on MariaDB";
    } catch (const tern::NotSupportedError& e) {
      EXPECT_NE(std::string(e.what()).find("INSERT and DELETE only"), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(run(Author::aio_get(Author::c.id == created[0].id)).name, "one");  // not run
  }
}

// Selects as name -> value maps too (peewee's .dicts()): a model select's fields typed as
// their members, chosen columns as their expressions.
TEST_P(OrmWrites, SelectsAsDicts) {
  const Author ann{.name = "ann"};
  const std::int64_t id = *run(Author::insert(ann).aio_execute());
  const std::vector<tern::orm::Dict> rows = run(Author::select().aio_dicts());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (tern::orm::Dict{{"id", tern::Value(id)}, {"name", tern::Value("ann")}}));
  const auto counted =
      run(Author::select(Author::c.name, tern::orm::fn::count(Author::c.id).as("n"))
              .group_by(Author::c.name)
              .aio_dicts());
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_EQ(counted[0].at("n"), tern::Value(std::int64_t{1}));
  EXPECT_EQ(counted[0].at("name"), tern::Value("ann"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OrmWrites,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == tern::Dialect::kPostgres ? "Postgres"
                                                                               : "MySQL";
                         });

}  // namespace
