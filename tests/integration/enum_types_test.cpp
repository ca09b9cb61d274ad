// Enum and SET types against real PostgreSQL 15 and MariaDB 10.11: EnumField models on both
// servers (create_table makes the PostgreSQL type; inserts, filters, NULL, updates), labels
// read in each format the protocols have (PostgreSQL simple query and extended query text, the
// binary enum_send bytes; MariaDB text and binary protocols), SetField on MariaDB, labels the
// program does not know as TypeError, and PostgreSQL record values split into fields (the
// record_out text and record_send bytes of the server) and written as record_in text.
//
// PgBouncer (transaction pooling) runs this suite too: the enum types are plain database
// objects, made once and kept (create_table leaves them), never session state.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/db/enum.hpp"
#include "tern/orm/model.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/record.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace app {
enum class Color { red, green, blue };
enum class Perm { read, write, admin };
// The server's type has a label more than the program knows.
enum class Shade { light, dark };
}  // namespace app

TERN_ENUM(app::Color, "tern_test_color", red, green, blue)
TERN_ENUM(app::Perm, "tern_test_perm", read, write, admin)
TERN_ENUM(app::Shade, "tern_test_shade", light, dark)

namespace {

using app::Color;
using app::Perm;
using app::Shade;
using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

struct Paint {
  std::int64_t id{};
  std::string name;
  Color color{};
  std::optional<Color> trim{};
  // clang-format off
  TERN_MODEL(Paint, db,
    (id,    tern::AutoField{}),
    (name,  tern::CharField{.max_length = 40}),
    (color, tern::EnumField<Color>{.default_value = Color::red}),
    (trim,  tern::EnumField<Color>{}));
  // clang-format on
};

struct Grant {
  std::int64_t id{};
  std::string user;
  std::set<Perm> perms{};
  // clang-format off
  TERN_MODEL(Grant, db,
    (id,    tern::AutoField{}),
    (user,  tern::CharField{.max_length = 40}),
    (perms, tern::SetField<Perm>{}));
  // clang-format on
};

// `f` throws E with exactly `message`.
template <class E, class F>
void expect_error(F&& f, std::string_view message) {
  const std::optional<E> e = tern::testing::thrown<E>(std::forward<F>(f));
  if (e) {
    EXPECT_EQ(std::string_view(e->what()), message);
  }
}

class Fixture {
 protected:
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  tern::ring::Loop loop;
};

// ---- EnumField models on both servers ----

class EnumModels : public Fixture, public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam(), {.max_connections = 3});
    run(Paint::aio_drop_table());
    run(Paint::aio_create_table());
    run(Paint::aio_create_table());  // again: the type and the table are there already
  }
  void TearDown() override {
    run(Paint::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
};

TEST_P(EnumModels, RoundTripsFiltersAndUpdates) {
  Paint sky{.name = "sky", .color = Color::blue, .trim = Color::green};
  run(Paint::aio_create(sky));
  Paint plain{.name = "plain"};
  run(Paint::aio_create(plain));
  run(Paint::insert(Paint::c.name = "grass", Paint::c.color = Color::green).aio_execute());

  const Paint got = run(Paint::aio_get(Paint::c.name == "sky"));
  EXPECT_EQ(got.color, Color::blue);
  EXPECT_EQ(got.trim, Color::green);
  const Paint p = run(Paint::aio_get(Paint::c.name == "plain"));
  EXPECT_EQ(p.color, Color::red);
  EXPECT_FALSE(p.trim.has_value());

  // Comparisons bind the label; the server casts it to the column's enum.
  const auto greens = run(
      Paint::select(Paint::c.name).where(Paint::c.color == Color::green).aio_tuples<std::string>());
  ASSERT_EQ(greens.size(), 1u);
  EXPECT_EQ(std::get<0>(greens[0]), "grass");
  EXPECT_EQ(run(Paint::select().where(Paint::c.trim.is_null()).aio_count()), 2);

  run(Paint::update(Paint::c.color = Color::green).where(Paint::c.name == "sky").aio_execute());
  EXPECT_EQ(run(Paint::select().where(Paint::c.color == Color::green).aio_count()), 2);

  // Plain parameters and rows.
  const tern::ResultSet r =
      run(db->aio_execute(GetParam() == tern::Dialect::kPostgres
                              ? "SELECT color, trim FROM paint WHERE color = $1 ORDER BY name"
                              : "SELECT color, trim FROM paint WHERE color = ? ORDER BY name",
                          Color::green));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].get<Color>(0), Color::green);
  EXPECT_EQ(r[0].get<std::optional<Color>>(1), std::nullopt);
  EXPECT_EQ(r[1].get<std::optional<Color>>(1), Color::green);
}

TEST_P(EnumModels, TheServerRefusesALabelOutsideTheType) {
  // A label the server lacks (a program ahead of its database): its error, nothing stored.
  const bool pg = GetParam() == tern::Dialect::kPostgres;
  const auto e = tern::testing::thrown<tern::DatabaseError>([&] {
    run(db->aio_execute(pg ? "INSERT INTO paint (name, color) VALUES ('x', $1)"
                           : "INSERT INTO paint (name, color) VALUES ('x', ?)",
                        tern::EnumLabel{"purple"}));
  });
  // PostgreSQL: invalid_text_representation; MariaDB (strict mode): data truncated.
  tern::testing::expect_server_error(e, pg ? "22P02" : "01000", pg ? 0 : 1265);
  EXPECT_EQ(run(Paint::select().aio_count()), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, EnumModels,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         tern::testing::backend_name);

// ---- PostgreSQL: every format, unknown labels ----

class PgEnums : public Fixture, public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.emplace(run(tern::pg::Connection::connect(loop, tern::testing::pg_url_options())));
    // Made once per database and kept: no session state behind PgBouncer.
    run(conn_->simple_query(
        "DO $$ BEGIN CREATE TYPE tern_test_shade AS ENUM ('light', 'dark', 'neon'); "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"));
  }
  void TearDown() override { run(conn_->close()); }

  std::optional<tern::pg::Connection> conn_;
};

TEST_F(PgEnums, LabelsInEveryFormat) {
  // Simple query: text.
  tern::pg::Result simple =
      run(conn_->simple_query("SELECT CAST('dark' AS tern_test_shade), NULL::tern_test_shade"))
          .at(0);
  EXPECT_EQ(tern::Row(simple.row(0)).get<Shade>(0), Shade::dark);
  EXPECT_EQ(tern::Row(simple.row(0)).get<std::optional<Shade>>(1), std::nullopt);
  // Extended query, asking for binary: an enum's OID is the database's, so it comes as text.
  for (const auto format : {tern::pg::Format::kBinary, tern::pg::Format::kText}) {
    tern::pg::Params p;
    p.add(tern::EnumLabel{"light"});
    const tern::pg::Result r =
        run(conn_->execute("SELECT CAST($1 AS tern_test_shade)", p, {.result_format = format}));
    EXPECT_EQ(tern::Row(r.row(0)).get<Shade>(0), Shade::light);
  }
  // The binary form (enum_send) is the label's bytes.
  const tern::pg::Result sent =
      run(conn_->execute("SELECT enum_send(CAST('dark' AS tern_test_shade))", {}));
  const tern::ByteString bytes = sent.row(0).get<tern::ByteString>(0);
  const std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  EXPECT_EQ(tern::pg::Type<tern::EnumLabel>::decode(16384, tern::pg::Format::kBinary,
                                                    tern::protocol::as_bytes(data))
                .label,
            "dark");
}

TEST_F(PgEnums, AnUnknownLabelIsATypeErrorNamingIt) {
  const tern::pg::Result r =
      run(conn_->simple_query("SELECT CAST('neon' AS tern_test_shade)")).at(0);
  expect_error<tern::TypeError>([&] { (void)tern::Row(r.row(0)).get<Shade>(0); },
                                "unknown label 'neon' for enum tern_test_shade");
  // A column of another type is not read as an enum.
  const tern::pg::Result n = run(conn_->execute("SELECT 1", {}));
  EXPECT_THROW(tern::Row(n.row(0)).get<Shade>(0), tern::TypeError);
}

TEST_F(PgEnums, SetsAreMysqlOnly) {
  db = tern::testing::make_database(tern::Dialect::kPostgres, {.max_connections = 1});
  EXPECT_THROW(run(Grant::aio_create_table()), tern::NotSupportedError);
  run(db->aio_close());
  db.reset();
  const tern::pg::Result r = run(conn_->simple_query("SELECT 'read'")).at(0);
  EXPECT_THROW(tern::Row(r.row(0)).get<std::set<Perm>>(0), tern::NotSupportedError);
}

TEST_F(PgEnums, RecordsSplitIntoFields) {
  using tern::pg::RecordField;
  run(
      conn_->simple_query("DO $$ BEGIN CREATE TYPE tern_test_pair AS (n int4, s text); "
                          "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"));
  // record_out's text, through the simple query and the extended one.
  const std::string sql = R"(SELECT ROW(1, 'a b', NULL, '', 'say "hi"', 'back\slash', '(x)'))";
  const std::vector<RecordField> expected{
      {.value = "1"},          {.value = "a b"},         {.value = std::nullopt}, {.value = ""},
      {.value = "say \"hi\""}, {.value = "back\\slash"}, {.value = "(x)"}};
  const tern::pg::Result simple = run(conn_->simple_query(sql)).at(0);
  EXPECT_EQ(tern::pg::decode_record(tern::pg::Format::kText, *simple.row(0).raw(0)), expected);
  const tern::pg::Result extended = run(conn_->execute(sql, {}));
  EXPECT_EQ(tern::pg::decode_record(extended.columns().at(0).format, *extended.row(0).raw(0)),
            expected);
  // record_send's bytes: each field's type and binary value.
  const tern::pg::Result sent =
      run(conn_->execute("SELECT record_send(ROW(7, 'ab'::text, NULL::int4))", {}));
  const tern::ByteString b = sent.row(0).get<tern::ByteString>(0);
  const std::string bytes(reinterpret_cast<const char*>(b.data()), b.size());
  EXPECT_EQ(tern::pg::decode_record(tern::pg::Format::kBinary, tern::protocol::as_bytes(bytes)),
            (std::vector<RecordField>{{tern::pg::oid::kInt4, std::string("\0\0\0\7", 4)},
                                      {tern::pg::oid::kText, "ab"},
                                      {tern::pg::oid::kInt4, std::nullopt}}));
  // record_text is what record_in reads, sent as a parameter of unknown type.
  const std::vector<std::optional<std::string>> fields{"42", "it's \"quoted\", (really)"};
  tern::pg::Params p;
  p.add(tern::EnumLabel{tern::pg::record_text(fields)});
  const tern::pg::Result r = run(
      conn_->execute("SELECT (CAST($1 AS tern_test_pair)).n, (CAST($1 AS tern_test_pair)).s", p));
  EXPECT_EQ(r.row(0).get<std::int32_t>(0), 42);
  EXPECT_EQ(r.row(0).get<std::string>(1), *fields[1]);
}

// ---- MariaDB: both protocols, SET ----

class MysqlEnums : public Fixture, public ::testing::Test {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(tern::Dialect::kMysql, {.max_connections = 3});
    run(Grant::aio_drop_table());
    run(Grant::aio_create_table());
    conn_.emplace(run(tern::mysql::Connection::connect(loop, tern::testing::mysql_url_options())));
  }
  void TearDown() override {
    run(conn_->close());
    run(Grant::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }

  std::optional<tern::mysql::Connection> conn_;
};

TEST_F(MysqlEnums, SetFieldsRoundTrip) {
  Grant admin{.user = "root", .perms = {Perm::admin, Perm::read}};
  run(Grant::aio_create(admin));
  Grant none{.user = "nobody"};
  run(Grant::aio_create(none));
  EXPECT_EQ(run(Grant::aio_get(Grant::c.user == "root")).perms,
            (std::set<Perm>{Perm::read, Perm::admin}));
  EXPECT_EQ(run(Grant::aio_get(Grant::c.user == "nobody")).perms, std::set<Perm>{});
  // FIND_IN_SET over the bound label.
  const auto admins =
      run(db->aio_execute("SELECT user FROM `grant` WHERE FIND_IN_SET(?, perms) > 0", Perm::admin));
  ASSERT_EQ(admins.size(), 1u);
  EXPECT_EQ(admins[0].get<std::string>(0), "root");
  // SET and ENUM columns in the text protocol (COM_QUERY) and the binary one (prepared).
  run(
      conn_->query("CREATE TEMPORARY TABLE shades (s ENUM('light','dark','neon'),"
                   " p SET('read','write','admin'))"));
  run(conn_->query("INSERT INTO shades VALUES ('dark', 'write,read'), ('neon', '')"));
  for (const bool binary : {false, true}) {
    SCOPED_TRACE(binary ? "binary protocol" : "text protocol");
    const tern::mysql::Result r =
        binary ? run(conn_->execute("SELECT s, p FROM shades ORDER BY s"))
               : run(conn_->query("SELECT s, p FROM shades ORDER BY s")).at(0);
    EXPECT_EQ(r.format(), binary ? tern::mysql::Format::kBinary : tern::mysql::Format::kText);
    EXPECT_EQ(tern::Row(r.row(0)).get<Shade>(0), Shade::dark);
    EXPECT_EQ(tern::Row(r.row(0)).get<std::set<Perm>>(1),
              (std::set<Perm>{Perm::read, Perm::write}));
    EXPECT_EQ(tern::Row(r.row(1)).get<std::set<Perm>>(1), std::set<Perm>{});
    expect_error<tern::TypeError>([&] { (void)tern::Row(r.row(1)).get<Shade>(0); },
                                  "unknown label 'neon' for enum tern_test_shade");
  }
}

}  // namespace
