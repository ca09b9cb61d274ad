// The Ext types against real PostgreSQL 15 and MariaDB 10.11: JSON/JSONB round trips (nested
// documents, unicode, escapes), path queries and containment filters on both servers; hstore
// (with NULL values), arrays (int, text, double, with NULL elements) and intervals on
// PostgreSQL, and NotSupportedError for them on MariaDB.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "expect_error.hpp"
#include "tern/db/json.hpp"
#include "tern/db/json_dom.hpp"
#include "tern/orm/model.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using tern::ring::Task;
namespace json = tern::json;

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> db;

// JSON on both servers.
struct Note {
  std::int64_t id{};
  std::string title;
  tern::Json body{};
  std::optional<tern::Jsonb> meta{};
  // clang-format off
  TERN_MODEL(Note, db,
    (id,    tern::AutoField{}),
    (title, tern::CharField{.max_length = 40}),
    (body,  tern::JSONField{.default_value = tern::Json{"{}"}}),
    (meta,  tern::BinaryJSONField{}));
  // clang-format on
};

// The PostgreSQL-only types.
struct Bag {
  std::int64_t id{};
  std::string name;
  tern::HStore attrs{};
  std::optional<tern::HStore> extra{};
  std::vector<std::int32_t> ints{};
  std::vector<std::optional<std::string>> tags{};
  std::vector<std::optional<double>> scores{};
  tern::Interval wait{};
  // clang-format off
  TERN_MODEL(Bag, db,
    (id,     tern::AutoField{}),
    (name,   tern::CharField{.max_length = 40}),
    (attrs,  tern::HStoreField{}),
    (extra,  tern::HStoreField{}),
    (ints,   tern::ArrayField<tern::IntegerField>{.default_value = std::vector<std::int32_t>{}}),
    (tags,   tern::ArrayField<tern::CharField>{.element = {.max_length = 20}}),
    (scores, tern::ArrayField<tern::DoubleField>{}),
    (wait,   tern::IntervalField{.default_value = tern::Interval{.days = 1}}));
  // clang-format on
};

class Fixture {
 protected:
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  std::int64_t add(const Note& n) { return *run(Note::insert(n).aio_execute()); }
  std::int64_t add(const Bag& b) { return *run(Bag::insert(b).aio_execute()); }
  std::vector<std::string> titles(const tern::orm::Expr<bool>& condition) {
    std::vector<std::string> out;
    for (const auto& [t] : run(Note::select(Note::c.title)
                                   .where(condition)
                                   .order_by(Note::c.title)
                                   .aio_tuples<std::string>())) {
      out.push_back(t);
    }
    return out;
  }
  std::vector<std::string> names(const tern::orm::Expr<bool>& condition) {
    std::vector<std::string> out;
    for (const auto& [n] : run(Bag::select(Bag::c.name)
                                   .where(condition)
                                   .order_by(Bag::c.name)
                                   .aio_tuples<std::string>())) {
      out.push_back(n);
    }
    return out;
  }

  tern::ring::Loop loop;
};

// ---- JSON on both servers ----

class OrmJson : public Fixture, public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    pg_ = GetParam() == tern::Dialect::kPostgres;
    db = tern::testing::make_database(GetParam(), {.max_connections = 3});
    run(Note::aio_drop_table());
    run(Note::aio_create_table());
  }
  void TearDown() override {
    run(Note::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
  // Three notes with nested documents; returns the first one.
  Note seed() {
    Note a{.title = "a",
           .body = json::object({{"user", json::object({{"name", "Zoë"}, {"age", 41}})},
                                 {"tags", json::array({"x", "y", "z"})},
                                 {"quote", "say \"hi\"\n\\ ✓"}}),
           .meta = tern::Jsonb{R"({"kind": "post", "n": [1, 2], "deep": {"x": true}})"}};
    Note b{.title = "b",
           .body = json::object(
               {{"user", json::object({{"name", "Bob"}})}, {"tags", json::array({"y"})}}),
           .meta = tern::Jsonb{R"({"kind": "page", "n": [3]})"}};
    Note c{.title = "c", .body = tern::Json{"[]"}};  // meta NULL
    add(a);
    add(b);
    add(c);
    return a;
  }

  bool pg_ = false;
};

TEST_P(OrmJson, RoundTripsNestedDocumentsUnicodeAndEscapes) {
  const Note a = seed();
  const Note back = run(Note::aio_get(Note::c.title == "a"));
  // json keeps the text as written (PostgreSQL json, MariaDB's JSON); jsonb is normalised.
  EXPECT_EQ(back.body, a.body);
  ASSERT_TRUE(back.meta.has_value());
  EXPECT_TRUE(json::equal(*back.meta, *a.meta)) << back.meta->text;
  if (pg_) {
    EXPECT_EQ(back.meta->text, R"({"n": [1, 2], "deep": {"x": true}, "kind": "post"})");
  }
  json::Parser parser;
  const simdjson::dom::element root = parser.parse(back.body);
  EXPECT_EQ(std::string_view(root["user"]["name"].get_string().value()), "Zoë");
  EXPECT_EQ(std::string_view(root["quote"].get_string().value()), "say \"hi\"\n\\ ✓");

  const Note c = run(Note::aio_get(Note::c.title == "c"));
  EXPECT_EQ(c.body.text, "[]");
  EXPECT_FALSE(c.meta.has_value());

  // Updates and a DEFAULT document.
  EXPECT_EQ(run(Note::update()
                    .set(Note::c.meta, tern::Jsonb{R"({"edited": "ü"})"})
                    .where(Note::c.title == "c")
                    .aio_execute()),
            1u);
  EXPECT_TRUE(
      json::equal(*run(Note::aio_get(Note::c.title == "c")).meta, tern::Json{R"({"edited":"ü"})"}));
  run(db->aio_execute(
      pg_ ? "INSERT INTO note (title) VALUES ($1)" : "INSERT INTO note (title) VALUES (?)", "d"));
  EXPECT_EQ(run(Note::aio_get(Note::c.title == "d")).body.text, "{}");
}

TEST_P(OrmJson, MalformedDocumentsAreRefusedByTheServer) {
  Note bad{.title = "bad", .body = tern::Json{"{not json"}};
  // PostgreSQL: invalid input syntax for type json (22P02, a DataError); MariaDB: its
  // json_valid CHECK constraint (ER_CONSTRAINT_FAILED, 4025: an IntegrityError).
  if (pg_) {
    tern::testing::expect_server_error(tern::testing::thrown<tern::DataError>([&] { add(bad); }),
                                       "22P02");
  } else {
    tern::testing::expect_server_error(
        tern::testing::thrown<tern::IntegrityError>([&] { add(bad); }), "23000", 4025);
  }
}

TEST_P(OrmJson, PathQueries) {
  seed();
  EXPECT_EQ(titles(Note::c.body["user"]["name"].as_text() == "Zoë"), std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.body.path("tags", 0).as_text() == "y"), std::vector<std::string>{"b"});
  EXPECT_EQ(titles(Note::c.body["tags"][2].as_text() == "z"), std::vector<std::string>{"a"});
  if (pg_) {
    // From the end: PostgreSQL only (MariaDB applies the first row's [last] to every row).
    EXPECT_EQ(titles(Note::c.body["tags"][-1].as_text() == "y"), std::vector<std::string>{"b"});
    EXPECT_EQ(titles(Note::c.body["tags"][-1].as_text() == "z"), std::vector<std::string>{"a"});
  } else {
    EXPECT_THROW(titles(Note::c.body["tags"][-1].as_text() == "y"), tern::NotSupportedError);
  }
  EXPECT_EQ(titles(Note::c.meta["kind"].as_text().startswith("p")),
            (std::vector<std::string>{"a", "b"}));
  // Paths in the SELECT list: JSON and text.
  const auto rows =
      run(Note::select(Note::c.body["user"], Note::c.body["quote"].as_text(), Note::c.meta["n"][1])
              .where(Note::c.title == "a")
              .aio_tuples<tern::Json, std::string, tern::Jsonb>());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(json::equal(std::get<0>(rows[0]), json::object({{"name", "Zoë"}, {"age", 41}})));
  EXPECT_EQ(std::get<1>(rows[0]), "say \"hi\"\n\\ ✓");
  EXPECT_EQ(std::get<2>(rows[0]).text, "2");
  // A missing path is NULL.
  EXPECT_EQ(run(Note::select(Note::c.body["nope"]["deeper"].as_text())
                    .where(Note::c.title == "a")
                    .aio_scalar<std::string>()),
            std::nullopt);
  // Keys that look like path syntax are plain keys.
  Note odd{.title = "odd", .body = json::object({{"a.b", 1}, {"we\"ird[0]", json::array({7})}})};
  add(odd);
  EXPECT_EQ(titles(Note::c.body["a.b"].as_text() == "1"), std::vector<std::string>{"odd"});
  EXPECT_EQ(titles(Note::c.body["we\"ird[0]"][0].as_text() == "7"),
            std::vector<std::string>{"odd"});
}

TEST_P(OrmJson, ContainmentAndKeys) {
  seed();
  EXPECT_EQ(titles(Note::c.meta.contains(json::object({{"kind", "post"}}))),
            std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.meta.contains(tern::Jsonb{R"({"n": [2]})"})),
            std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.meta.contains(tern::Json{R"({"deep": {"x": true}})"})),
            std::vector<std::string>{"a"});
  // A json (not jsonb) column: PostgreSQL compares it as jsonb.
  EXPECT_EQ(titles(Note::c.body.contains(json::object({{"tags", json::array({"y"})}}))),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(
      titles(Note::c.meta.contained_by(tern::Json{R"({"kind": "page", "n": [3, 4], "other": 1})"})),
      std::vector<std::string>{"b"});
  EXPECT_EQ(titles(Note::c.meta.has_key("deep")), std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.body["user"].has_key("age")), std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.meta.has_any_key({"deep", "missing"})), std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.meta.has_all_keys({"kind", "n"})), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(titles(Note::c.meta.has_all_keys({"kind", "deep"})), std::vector<std::string>{"a"});
  EXPECT_EQ(titles(Note::c.meta.has_key("kind") && !Note::c.meta.has_key("deep")),
            std::vector<std::string>{"b"});
}

TEST_P(OrmJson, DocumentsAsPlainParameters) {
  // Json/Jsonb values bind anywhere a parameter goes, and read back from any row.
  const tern::ResultSet r =
      run(db->aio_execute(pg_ ? "SELECT CAST($1 AS jsonb), $2" : "SELECT ?, ?",
                          tern::Jsonb{R"({"b": 1, "a": "é"})"}, tern::Json{"[1, 2]"}));
  EXPECT_TRUE(json::equal(r[0].get<tern::Jsonb>(0), tern::Json{R"({"a":"é","b":1})"}));
  EXPECT_EQ(r[0].get<tern::Json>(1).text, "[1, 2]");
}

INSTANTIATE_TEST_SUITE_P(Backends, OrmJson,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == tern::Dialect::kPostgres ? "Postgres"
                                                                               : "MySQL";
                         });

// ---- hstore, arrays, intervals on PostgreSQL ----

class OrmPgExt : public Fixture, public ::testing::Test {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(tern::Dialect::kPostgres, {.max_connections = 3},
                                      {.register_hstore = true});
    // The test user is a superuser: it may create the extension (postgresql-15 ships it).
    run(db->aio_execute("CREATE EXTENSION IF NOT EXISTS hstore"));
    run(Bag::aio_drop_table());
    run(Bag::aio_create_table());
  }
  void TearDown() override {
    run(Bag::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
  void seed() {
    Bag a{.name = "a",
          .attrs = {{"color", "red"}, {"size", std::nullopt}, {"quote\"d", "back\\slash é"}},
          .ints = {1, 2, 3},
          .tags = {"x", std::nullopt, "y"},
          .scores = {0.5, std::nullopt, -1e300},
          .wait = {.months = 14, .days = -3, .microseconds = 3'723'000'001}};
    Bag b{.name = "b",
          .attrs = {{"color", "blue"}},
          .extra = tern::HStore{},
          .ints = {3, 4},
          .tags = {"y"},
          .scores = {}};
    Bag c{.name = "c", .attrs = {}, .ints = {}, .tags = {}};
    add(a);
    add(b);
    add(c);
  }
};

TEST_F(OrmPgExt, RoundTrips) {
  seed();
  const Bag a = run(Bag::aio_get(Bag::c.name == "a"));
  EXPECT_EQ(a.attrs, (tern::HStore{
                         {"color", "red"}, {"size", std::nullopt}, {"quote\"d", "back\\slash é"}}));
  EXPECT_FALSE(a.extra.has_value());
  EXPECT_EQ(a.ints, (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(a.tags, (std::vector<std::optional<std::string>>{"x", std::nullopt, "y"}));
  EXPECT_EQ(a.scores, (std::vector<std::optional<double>>{0.5, std::nullopt, -1e300}));
  EXPECT_EQ(a.wait, (tern::Interval{.months = 14, .days = -3, .microseconds = 3'723'000'001}));

  const Bag b = run(Bag::aio_get(Bag::c.name == "b"));
  ASSERT_TRUE(b.extra.has_value());
  EXPECT_TRUE(b.extra->empty());  // an empty hstore is not NULL
  EXPECT_TRUE(b.scores.empty());
  EXPECT_EQ(b.wait, tern::Interval{});
  // The columns' DEFAULTs: an empty array, one day.
  run(db->aio_execute("INSERT INTO bag (name, attrs, tags, scores) VALUES ($1, $2, $3, $4)", "d",
                      tern::HStore{}, std::vector<std::string>{}, std::vector<double>{}));
  const Bag d = run(Bag::aio_get(Bag::c.name == "d"));
  EXPECT_TRUE(d.ints.empty());
  EXPECT_EQ(d.wait, tern::Interval{.days = 1});
  run(Bag::delete_().where(Bag::c.name == "d").aio_execute());

  // Updates of each type.
  EXPECT_EQ(run(Bag::update()
                    .set(Bag::c.attrs, tern::HStore{{"k", std::nullopt}})
                    .set(Bag::c.ints, std::vector<std::int32_t>{-7})
                    .set(Bag::c.tags, std::vector<std::optional<std::string>>{std::nullopt})
                    .set(Bag::c.wait, tern::Interval{.microseconds = -1})
                    .where(Bag::c.name == "c")
                    .aio_execute()),
            1u);
  const Bag c = run(Bag::aio_get(Bag::c.name == "c"));
  EXPECT_EQ(c.attrs, (tern::HStore{{"k", std::nullopt}}));
  EXPECT_EQ(c.ints, std::vector<std::int32_t>{-7});
  EXPECT_EQ(c.tags, std::vector<std::optional<std::string>>{std::nullopt});
  EXPECT_EQ(c.wait, tern::Interval{.microseconds = -1});
  // A NULL element read into std::vector<T> is a TypeError, not a silent default.
  EXPECT_THROW(run(Bag::select(Bag::c.tags)
                       .where(Bag::c.name == "c")
                       .aio_tuples<std::vector<std::string>>()),
               tern::TypeError);
}

TEST_F(OrmPgExt, HstoreFilters) {
  seed();
  EXPECT_EQ(names(Bag::c.attrs["color"] == "red"), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.attrs.has_key("size")), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.attrs["size"].is_null()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(Bag::c.attrs.contains({{"color", "blue"}})), std::vector<std::string>{"b"});
  EXPECT_EQ(names(Bag::c.attrs.contains({{"size", std::nullopt}})), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.attrs.contained_by({{"color", "blue"}, {"x", "y"}})),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names(Bag::c.attrs.has_any_key({"size", "nope"})), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.attrs.has_all_keys({"color", "size"})), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.extra.is_null()), (std::vector<std::string>{"a", "c"}));

  const auto kv = run(
      Bag::select(Bag::c.attrs.keys(), Bag::c.attrs.values(), Bag::c.attrs.slice({"color", "nope"}))
          .where(Bag::c.name == "a")
          .aio_tuples<std::vector<std::string>, std::vector<std::optional<std::string>>,
                      tern::HStore>());
  ASSERT_EQ(kv.size(), 1u);
  const auto& [keys, values, slice] = kv[0];
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_EQ(values.size(), 3u);
  EXPECT_EQ(slice, (tern::HStore{{"color", "red"}}));
}

TEST_F(OrmPgExt, HstoreAsPlainParametersAndText) {
  // Bound in binary with the OID looked up; read back in the text form the server sends.
  const tern::HStore h{{"a", "1"}, {"b", std::nullopt}, {"c=>d", "e, f"}};
  const tern::ResultSet r = run(db->aio_execute("SELECT $1::hstore, $1::hstore::text", h));
  EXPECT_EQ(r[0].get<tern::HStore>(0), h);
  EXPECT_EQ(r[0].get<tern::HStore>(1), h);  // a text column holding hstore's text form
  EXPECT_EQ(r[0].get<std::string>(1), R"("a"=>"1", "b"=>NULL, "c=>d"=>"e, f")");
}

TEST_F(OrmPgExt, HstoreNeedsRegistering) {
  tern::PooledPostgresqlDatabase plain(tern::testing::pg_url_options(), {.max_connections = 3});
  const tern::HStore h{{"a", "1"}};
  EXPECT_THROW(run(plain.aio_execute("SELECT $1::hstore", h)), tern::InterfaceError);
  // Reading needs no OID: the text form is parsed.
  const tern::ResultSet r = run(plain.aio_execute("SELECT 'a=>1'::hstore"));
  EXPECT_EQ(r[0].get<tern::HStore>(0), h);
  run(plain.aio_close());
}

TEST_F(OrmPgExt, ArrayFilters) {
  seed();
  EXPECT_EQ(names(Bag::c.ints.contains({3})), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(Bag::c.ints.contains({1, 3})), std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.ints.contained_by({1, 2, 3, 4})),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(Bag::c.ints.overlap({4, 9})), std::vector<std::string>{"b"});
  EXPECT_EQ(names(Bag::c.tags.overlap({"x"})), std::vector<std::string>{"a"});  // varchar[]
  EXPECT_EQ(names(Bag::c.tags.contains({"y"})), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(Bag::c.tags.contained_by({"y", "z"})), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names(Bag::c.tags.any("y")), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(Bag::c.ints[1] == 3), std::vector<std::string>{"b"});
  EXPECT_EQ(names(Bag::c.tags[2].is_null() && Bag::c.tags.length() == 3),
            std::vector<std::string>{"a"});
  EXPECT_EQ(names(Bag::c.ints.length() == 0), std::vector<std::string>{"c"});
  EXPECT_EQ(names(Bag::c.scores.any(0.5)), std::vector<std::string>{"a"});
  EXPECT_EQ(run(Bag::select(Bag::c.ints[3]).where(Bag::c.name == "a").aio_scalar<std::int32_t>()),
            3);
  EXPECT_EQ(run(Bag::select(Bag::c.ints[9]).where(Bag::c.name == "a").aio_scalar<std::int32_t>()),
            std::nullopt);  // out of range: NULL
}

TEST_F(OrmPgExt, ArraysAndIntervalsAsPlainParameters) {
  const std::vector<std::int64_t> big{1, -2, 9'000'000'000};
  const std::vector<std::optional<std::string>> text{"a\"b", std::nullopt, "{,}", ""};
  const tern::Interval i{.months = -1, .days = 40, .microseconds = 1};
  const tern::ResultSet r =
      run(db->aio_execute("SELECT $1, $2, $3, $4 + interval '1 day'", big, text, i, i));
  EXPECT_EQ(r[0].get<std::vector<std::int64_t>>(0), big);
  EXPECT_EQ(r[0].get<std::vector<std::optional<std::string>>>(1), text);
  EXPECT_EQ(r[0].get<tern::Interval>(2), i);
  EXPECT_EQ(r[0].get<tern::Interval>(3),
            (tern::Interval{.months = -1, .days = 41, .microseconds = 1}));
}

// ---- MariaDB: what it lacks ----

class OrmMysqlExt : public Fixture, public ::testing::Test {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(tern::Dialect::kMysql, {.max_connections = 3});
  }
  void TearDown() override {
    run(db->aio_close());
    db.reset();
  }
};

TEST_F(OrmMysqlExt, PostgresOnlyTypesAreNotSupported) {
  EXPECT_THROW(run(Bag::aio_create_table()), tern::NotSupportedError);
  EXPECT_THROW(run(db->aio_execute("SELECT ?", tern::HStore{{"a", "1"}})), tern::NotSupportedError);
  EXPECT_THROW(run(db->aio_execute("SELECT ?", std::vector<std::int32_t>{1})),
               tern::NotSupportedError);
  EXPECT_THROW(run(db->aio_execute("SELECT ?", tern::Interval{.days = 1})),
               tern::NotSupportedError);
  const tern::ResultSet r = run(db->aio_execute("SELECT 'x'"));
  EXPECT_THROW(r[0].get<tern::HStore>(0), tern::NotSupportedError);
  EXPECT_THROW(r[0].get<std::vector<std::string>>(0), tern::NotSupportedError);
  EXPECT_THROW(r[0].get<tern::Interval>(0), tern::NotSupportedError);
  // The connection is still fine.
  EXPECT_EQ(run(db->aio_execute("SELECT 1"))[0].get<std::int64_t>(0), 1);
}

}  // namespace
