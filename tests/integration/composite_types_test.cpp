// PostgreSQL composite types mapped to C++ structs (TERN_COMPOSITE) against real PostgreSQL 15:
// CompositeField models (create_table makes the types, nested ones first; inserts, filters,
// NULL, updates), values as parameters and rows in the text format (simple query, extended
// query) and the binary one (the server's record_send bytes), members holding quotes, commas,
// parentheses, backslashes and spaces, NULL members and NULL composites, records that do not
// fit as TypeError naming the composite and the member, a hostile type name kept one
// identifier, and MariaDB and SQLite refusing composites with NotSupportedError.
//
// PgBouncer (transaction pooling) runs this suite too: the types are plain database objects,
// made once and kept (create_table leaves them), never session state.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/db/composite.hpp"
#include "tern/db/enum.hpp"
#include "tern/orm/migrate.hpp"
#include "tern/orm/model.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace app {
enum class Mood { happy, sad };
struct Address {
  std::string street{};
  std::optional<std::string> city{};
  std::int32_t zip{};
  friend bool operator==(const Address&, const Address&) = default;
};
struct Place {
  std::string name{};
  Address address{};
  std::optional<Mood> mood{};
  std::optional<double> rating{};
  friend bool operator==(const Place&, const Place&) = default;
};
struct Odd {
  std::int64_t n{};
  friend bool operator==(const Odd&, const Odd&) = default;
};
}  // namespace app

TERN_ENUM(app::Mood, "tern_test_cmood", happy, sad)
TERN_COMPOSITE(app::Address, "tern_test_address", street, city, zip)
TERN_COMPOSITE(app::Place, "tern_test_place", name, address, mood, rating)
// A type name that would end a quoted identifier and the DO block's dollar quote if spliced.
TERN_COMPOSITE(app::Odd, "tern_test_\"odd\"; DROP TABLE x; $$", n)

namespace {

using app::Address;
using app::Mood;
using app::Odd;
using app::Place;
using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

struct Customer {
  std::int64_t id{};
  std::string name{};
  Address home{};
  std::optional<Address> work{};
  std::optional<Place> favourite{};
  // clang-format off
  TERN_MODEL(Customer, db,
    (id,        tern::AutoField{}),
    (name,      tern::CharField{.max_length = 40}),
    (home,      tern::CompositeField<Address>{}),
    (work,      tern::CompositeField<Address>{}),
    (favourite, tern::CompositeField<Place>{}));
  // clang-format on
};

struct Oddity {
  std::int64_t id{};
  Odd odd{};
  // clang-format off
  TERN_MODEL(Oddity, db,
    (id,  tern::AutoField{}),
    (odd, tern::CompositeField<Odd>{}));
  // clang-format on
};

// `f` throws E whose message holds `part`.
template <class E, class F>
void expect_error_with(F&& f, std::string_view part) {
  const std::optional<E> e = tern::testing::thrown<E>(std::forward<F>(f));
  if (e) {
    EXPECT_NE(std::string_view(e->what()).find(part), std::string_view::npos) << e->what();
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

const Address kHostile{.street = R"(1 "Quote" St, (Flat 2) \ back\\slash)", .city = "", .zip = 7};

// ---- PostgreSQL: models ----

class PgComposites : public Fixture, public ::testing::Test {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(tern::Dialect::kPostgres, {.max_connections = 3});
    // The enum a Place member uses must exist (create_table makes composite types, not the
    // enums their members use); made once per database and kept.
    run(
        db->aio_execute("DO $$ BEGIN CREATE TYPE tern_test_cmood AS ENUM ('happy', 'sad'); "
                        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"));
    run(Customer::aio_drop_table());
    run(Customer::aio_create_table());
    run(Customer::aio_create_table());  // again: the types and the table are there already
  }
  void TearDown() override {
    run(Customer::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
};

TEST_F(PgComposites, ModelsRoundTripFilterAndUpdate) {
  Customer ann{.name = "ann",
               .home = {.street = "Main St 1", .city = "Springfield", .zip = 12345},
               .work = kHostile,
               .favourite = Place{.name = "pier, (north)",
                                  .address = {.street = "Harbour", .city = std::nullopt, .zip = 9},
                                  .mood = Mood::happy,
                                  .rating = 4.25}};
  run(Customer::aio_create(ann));
  Customer bob{.name = "bob", .home = {.street = "", .city = std::nullopt, .zip = 0}};
  run(Customer::aio_create(bob));

  const Customer got = run(Customer::aio_get(Customer::c.name == "ann"));
  EXPECT_EQ(got.home, ann.home);
  EXPECT_EQ(got.work, kHostile);
  EXPECT_EQ(got.favourite, ann.favourite);
  const Customer b = run(Customer::aio_get(Customer::c.name == "bob"));
  EXPECT_EQ(b.home, bob.home);
  EXPECT_FALSE(b.work.has_value());
  EXPECT_FALSE(b.favourite.has_value());

  // Filters bind the record text; the server casts it to the column's type.
  EXPECT_EQ(run(Customer::aio_get(Customer::c.work == kHostile)).name, "ann");
  EXPECT_EQ(run(Customer::select().where(Customer::c.home == bob.home).aio_count()), 1);
  EXPECT_EQ(run(Customer::select().where(Customer::c.work.is_null()).aio_count()), 1);

  const Address moved{.street = "New Rd (2)", .city = "Shelbyville", .zip = 2};
  run(Customer::update(Customer::c.home = moved).where(Customer::c.name == "bob").aio_execute());
  EXPECT_EQ(run(Customer::aio_get(Customer::c.name == "bob")).home, moved);

  // A member read on the server: the attributes are typed as the members.
  const tern::ResultSet r = run(db->aio_execute(
      "SELECT (home).zip, (favourite).address.street, (favourite).mood FROM customer "
      "WHERE name = $1",
      "ann"));
  EXPECT_EQ(r[0].get<std::int32_t>(0), 12345);
  EXPECT_EQ(r[0].get<std::string>(1), "Harbour");
  EXPECT_EQ(r[0].get<Mood>(2), Mood::happy);
}

TEST_F(PgComposites, TheTypesAreCreatedWithTheirAttributes) {
  const tern::ResultSet r = run(db->aio_execute(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
      "JOIN pg_type t ON t.typrelid = a.attrelid WHERE t.typname = $1 ORDER BY a.attnum",
      "tern_test_place"));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].get<std::string>(1), "text");
  EXPECT_EQ(r[1].get<std::string>(1), "tern_test_address");
  EXPECT_EQ(r[2].get<std::string>(1), "tern_test_cmood");
  EXPECT_EQ(r[3].get<std::string>(0), "rating");
  EXPECT_EQ(r[3].get<std::string>(1), "double precision");
}

TEST_F(PgComposites, AHostileTypeNameStaysOneIdentifier) {
  run(Oddity::aio_drop_table());
  run(Oddity::aio_create_table());
  Oddity o{.odd = {.n = 42}};
  run(Oddity::aio_create(o));
  EXPECT_EQ(run(Oddity::aio_get(Oddity::c.odd == Odd{.n = 42})).odd.n, 42);
  const tern::ResultSet r = run(db->aio_execute("SELECT count(*) FROM pg_type WHERE typname = $1",
                                                std::string(tern::CompositeTraits<Odd>::name)));
  EXPECT_EQ(r[0].get<std::int64_t>(0), 1);
  run(Oddity::aio_drop_table());
  run(db->aio_execute(R"(DROP TYPE "tern_test_""odd""; DROP TABLE x; $$")"));
}

TEST_F(PgComposites, MigratorAddsACompositeColumn) {
  run(db->aio_execute("DROP TABLE IF EXISTS tern_test_mig_composite"));
  run(db->aio_execute("CREATE TABLE tern_test_mig_composite (id integer)"));
  tern::Migrator m(*db);
  // Built outside the co_await (no braced temporary inside one).
  const auto add =
      m.add_column("tern_test_mig_composite", "spot", tern::CompositeField<Place>{.null = true});
  ASSERT_EQ(add.sql().size(), 3u);  // the address type, the place type, the column
  run(m.aio_migrate(add));
  const Place pier{.name = "pier", .address = {.street = "s", .zip = 1}, .mood = Mood::sad};
  run(db->aio_execute("INSERT INTO tern_test_mig_composite VALUES (1, $1)", pier));
  const tern::ResultSet r = run(db->aio_execute("SELECT spot FROM tern_test_mig_composite"));
  EXPECT_EQ(r[0].get<Place>(0), pier);
  run(db->aio_execute("DROP TABLE tern_test_mig_composite"));
}

// ---- PostgreSQL: formats, NULL, records that do not fit ----

TEST_F(PgComposites, ParametersAndRowsInEveryFormat) {
  // Extended query: the parameter as record text, the composite back as text (its OID is the
  // database's own, so the connection asks for text).
  const tern::ResultSet r = run(db->aio_execute(
      "SELECT CAST($1 AS tern_test_address), CAST(NULL AS tern_test_address)", kHostile));
  EXPECT_EQ(r[0].get<Address>(0), kHostile);
  EXPECT_EQ(r[0].get<std::optional<Address>>(0), kHostile);
  EXPECT_EQ(r[0].get<std::optional<Address>>(1), std::nullopt);
  expect_error_with<tern::TypeError>([&] { (void)r[0].get<Address>(1); },
                                     "composite tern_test_address column is NULL");

  // Simple query: text.
  auto conn = run(tern::pg::Connection::connect(loop, tern::testing::pg_url_options()));
  const std::vector<tern::pg::Result> simple = run(conn.simple_query(
      "SELECT ROW('a \"b\" (c), \\d', NULL, -3)::tern_test_address, "
      "ROW('x', ROW('y', 'z', 1)::tern_test_address, 'sad', NULL)::tern_test_place"));
  const tern::Row row(simple.at(0).row(0));
  EXPECT_EQ(row.get<Address>(0),
            (Address{.street = "a \"b\" (c), \\d", .city = std::nullopt, .zip = -3}));
  EXPECT_EQ(row.get<Place>(1), (Place{.name = "x",
                                      .address = {.street = "y", .city = "z", .zip = 1},
                                      .mood = Mood::sad,
                                      .rating = std::nullopt}));

  // Binary: the server's record_send bytes, each field with its type OID.
  const tern::pg::Result sent = run(conn.execute(
      "SELECT record_send(ROW('a,b', NULL, 5)::tern_test_address), "
      "record_send(ROW('p', ROW('q', NULL, 2)::tern_test_address, 'happy', 0.5)::tern_test_place), "
      "record_send(ROW('a'::text, 'b'::text, 'c'::text))",
      {}));
  const auto bytes = [&](std::size_t i) {
    const tern::ByteString b = sent.row(0).get<tern::ByteString>(i);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  };
  const std::string address = bytes(0);
  EXPECT_EQ(tern::detail::decode_composite<Address>(tern::pg::Format::kBinary,
                                                    tern::protocol::as_bytes(address)),
            (Address{.street = "a,b", .city = std::nullopt, .zip = 5}));
  const std::string place = bytes(1);
  EXPECT_EQ(tern::detail::decode_composite<Place>(tern::pg::Format::kBinary,
                                                  tern::protocol::as_bytes(place)),
            (Place{.name = "p",
                   .address = {.street = "q", .city = std::nullopt, .zip = 2},
                   .mood = Mood::happy,
                   .rating = 0.5}));
  // zip arrives as text: its OID is checked against the member's type.
  const std::string wrong = bytes(2);
  expect_error_with<tern::TypeError>(
      [&] {
        (void)tern::detail::decode_composite<Address>(tern::pg::Format::kBinary,
                                                      tern::protocol::as_bytes(wrong));
      },
      "composite tern_test_address member zip");
  run(conn.close());
}

TEST_F(PgComposites, RecordsThatDoNotFitAreTypeErrors) {
  const tern::ResultSet r =
      run(db->aio_execute("SELECT ROW(1, 2), ROW('a', 'b', 'not a number'), ROW(NULL, 'b', 1), "
                          "ROW('p', ROW('q', NULL, 2), 'angry', NULL)"));
  expect_error_with<tern::TypeError>([&] { (void)r[0].get<Address>(0); },
                                     "composite tern_test_address has 3 members, the record has 2");
  expect_error_with<tern::TypeError>([&] { (void)r[0].get<Address>(1); },
                                     "composite tern_test_address member zip: ");
  expect_error_with<tern::TypeError>([&] { (void)r[0].get<Address>(2); },
                                     "composite tern_test_address member street is NULL");
  expect_error_with<tern::TypeError>([&] { (void)r[0].get<Place>(3); },
                                     "composite tern_test_place member mood: ");
  // The pool stays healthy.
  EXPECT_EQ(run(db->aio_execute("SELECT 1"))[0].get<std::int32_t>(0), 1);
}

// ---- MariaDB and SQLite: no composite types ----

class NoComposites : public Fixture, public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override { db = tern::testing::make_database(GetParam(), {.max_connections = 2}); }
  void TearDown() override {
    run(db->aio_close());
    db.reset();
  }
};

TEST_P(NoComposites, AreRefused) {
  expect_error_with<tern::NotSupportedError>([&] { run(Customer::aio_create_table()); },
                                             "has no composite type (column home");
  expect_error_with<tern::NotSupportedError>([&] { run(db->aio_execute("SELECT ?", kHostile)); },
                                             "has no composite type");
  const tern::ResultSet r = run(db->aio_execute("SELECT 'x'"));
  expect_error_with<tern::NotSupportedError>([&] { (void)r[0].get<Address>(0); },
                                             "has no composite types");
  expect_error_with<tern::NotSupportedError>([&] { (void)r[0].get<std::optional<Address>>(0); },
                                             "has no composite types");
  EXPECT_EQ(run(db->aio_execute("SELECT 1"))[0].get<std::int64_t>(0), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, NoComposites,
                         ::testing::Values(tern::Dialect::kMysql, tern::Dialect::kSqlite),
                         tern::testing::backend_name);

}  // namespace
