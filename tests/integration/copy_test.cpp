// Bulk load and bulk read through the pooled database (aio_copy_in, aio_copy_out) on every
// backend: a round trip of the common types with hostile text, 100k rows, empty input, a
// duplicate key mid-load (IntegrityError, nothing loaded, the pool healthy), inside a
// transaction (rolled back with it), hostile table and column names, cancellation mid-load;
// and on PostgreSQL (binary COPY) every type its encoder converts, a value its column cannot
// take (TypeError naming table.column and the row, nothing loaded) and an unknown column.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "tern/ring/ring.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"
#include "test_database.hpp"

namespace {

using tern::Params;
using tern::Value;
using tern::ring::Task;
using namespace std::chrono_literals;

tern::ByteString bytes_of(std::string_view s) {
  tern::ByteString out;
  for (const char c : s)
    out.push_back(static_cast<std::byte>(c));
  return out;
}

class Copy : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db_ = tern::testing::make_database(GetParam(), {.min_connections = 1, .max_connections = 2});
    drop();
  }
  void TearDown() override {
    drop();
    run(db_->aio_close());
    db_.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop_, std::move(task));
  }
  bool pg() const { return GetParam() == tern::Dialect::kPostgres; }
  bool mysql() const { return GetParam() == tern::Dialect::kMysql; }
  std::string q(std::string_view name) const {
    const char quote = mysql() ? '`' : '"';
    std::string out(1, quote);
    for (const char c : name) {
      if (c == quote) out += quote;
      out += c;
    }
    return out + quote;
  }
  void drop() {
    run(db_->aio_execute("DROP TABLE IF EXISTS copy_items"));
    run(db_->aio_execute("DROP TABLE IF EXISTS " + q(kOddTable)));
  }
  // copy_items(id primary key, i, f, t, b) plus n, d, ts on the servers.
  void create_items() {
    const std::string sql =
        pg()      ? "CREATE TABLE copy_items (id integer PRIMARY KEY, i bigint, f double "
                    "precision, t text, b bytea, n numeric(20,6), d date, ts timestamp)"
        : mysql() ? "CREATE TABLE copy_items (id int PRIMARY KEY, i bigint, f double, t "
                    "longtext, b longblob, n decimal(20,6), d date, ts datetime(6))"
                  : "CREATE TABLE copy_items (id integer PRIMARY KEY, i integer, f real, t text, "
                    "b blob)";
    run(db_->aio_execute(sql));
  }
  std::vector<std::string> item_columns() const {
    if (GetParam() == tern::Dialect::kSqlite) return {"id", "i", "f", "t", "b"};
    return {"id", "i", "f", "t", "b", "n", "d", "ts"};
  }
  Params item(std::int64_t id, Value i, Value f, Value t, Value b) const {
    Params row{Value(id), std::move(i), std::move(f), std::move(t), std::move(b)};
    if (GetParam() != tern::Dialect::kSqlite) {
      row.emplace_back(tern::Decimal{"-12.345600"});
      row.emplace_back(tern::Date{std::chrono::year{2024} / 2 / 29});
      row.emplace_back(tern::DateTime{std::chrono::local_days{std::chrono::year{1999} / 12 / 31} +
                                      23h + 59min + 58s + 123456us});
    }
    return row;
  }
  std::int64_t count(const std::string& table = "copy_items") {
    return run(db_->aio_execute("SELECT COUNT(*) FROM " + table)).row(0).get<std::int64_t>(0);
  }
  // Loads `n` rows (id 1..n, t "row <id>") into copy_items.
  std::vector<Params> numbered(std::size_t n) const {
    std::vector<Params> rows;
    rows.reserve(n);
    for (std::size_t k = 1; k <= n; ++k) {
      rows.push_back(item(static_cast<std::int64_t>(k), static_cast<std::int64_t>(k) * 3,
                          static_cast<double>(k) / 4, "row " + std::to_string(k), std::nullopt));
    }
    return rows;
  }

  static constexpr std::string_view kOddTable = "copy \"odd` ta;ble";
  tern::ring::Loop loop_;
  std::unique_ptr<tern::AioDatabase> db_;
};

TEST_P(Copy, RoundTripsCommonTypesAndHostileText) {
  create_items();
  const std::string hostile =
      "tab\there\nnew line\r\\back\\slash 'single' \"double\" `tick` \\N ;--";
  std::vector<Params> rows;
  rows.push_back(item(1, std::int64_t{-9'000'000'000}, 1.5, hostile,
                      bytes_of(std::string("\0\x01\xff\\x", 5))));
  rows.push_back(item(2, std::nullopt, std::nullopt, std::nullopt, std::nullopt));
  rows.push_back(item(3, 0, -0.25, "", bytes_of("")));
  EXPECT_EQ(run(db_->aio_copy_in("copy_items", item_columns(), rows)), 3u);

  tern::RowStream stream = run(db_->aio_copy_out("copy_items", item_columns(), 2));
  std::vector<std::vector<std::optional<std::string>>> seen;
  std::size_t n = 0;
  while (std::optional<tern::ResultSet> batch = run(stream.next())) {
    for (const tern::Row row : *batch) {
      const auto id = row.get<std::int64_t>(0);
      ++n;
      if (id == 1) {
        EXPECT_EQ(row.get<std::int64_t>(1), -9'000'000'000);
        EXPECT_EQ(row.get<double>(2), 1.5);
        EXPECT_EQ(row.get<std::string>(3), hostile);
        EXPECT_EQ(row.get<tern::ByteString>(4), bytes_of(std::string("\0\x01\xff\\x", 5)));
        if (GetParam() != tern::Dialect::kSqlite) {
          EXPECT_EQ(row.get<tern::Decimal>(5).value, "-12.345600");
          EXPECT_EQ(row.get<tern::Date>(6), tern::Date{std::chrono::year{2024} / 2 / 29});
          EXPECT_EQ(row.get<tern::DateTime>(7),
                    tern::DateTime{std::chrono::local_days{std::chrono::year{1999} / 12 / 31} +
                                   23h + 59min + 58s + 123456us});
        }
      } else if (id == 2) {
        EXPECT_FALSE(row.get<std::optional<std::int64_t>>(1).has_value());
        EXPECT_FALSE(row.get<std::optional<double>>(2).has_value());
        EXPECT_FALSE(row.get<std::optional<std::string>>(3).has_value());
        EXPECT_FALSE(row.get<std::optional<tern::ByteString>>(4).has_value());
      } else {
        EXPECT_EQ(id, 3);
        EXPECT_EQ(row.get<std::int64_t>(1), 0);
        EXPECT_EQ(row.get<double>(2), -0.25);
        EXPECT_EQ(row.get<std::string>(3), "");
        EXPECT_TRUE(row.get<tern::ByteString>(4).empty());
      }
    }
  }
  EXPECT_EQ(n, 3u);
}

TEST_P(Copy, LoadsHundredThousandRows) {
  create_items();
  const std::vector<Params> rows = numbered(100'000);
  EXPECT_EQ(run(db_->aio_copy_in("copy_items", item_columns(), rows)), 100'000u);
  const tern::ResultSet r =
      run(db_->aio_execute("SELECT COUNT(*), MAX(t) FROM copy_items WHERE i = 3 * id"));
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 100'000);
  EXPECT_EQ(r.row(0).get<std::string>(1), "row 99999");
  // Read back as a stream, in batches.
  tern::RowStream stream = run(db_->aio_copy_out("copy_items", {"id"}, 5000));
  std::int64_t sum = 0;
  while (std::optional<tern::ResultSet> batch = run(stream.next())) {
    EXPECT_LE(batch->size(), 5000u);
    for (const tern::Row row : *batch)
      sum += row.get<std::int64_t>(0);
  }
  EXPECT_EQ(sum, 5'000'050'000);
}

TEST_P(Copy, EmptyInputLoadsNothing) {
  create_items();
  const std::vector<Params> rows;
  EXPECT_EQ(run(db_->aio_copy_in("copy_items", item_columns(), rows)), 0u);
  EXPECT_EQ(count(), 0);
}

TEST_P(Copy, DuplicateKeyMidLoadLoadsNothing) {
  create_items();
  std::vector<Params> rows = numbered(20'000);
  rows.push_back(item(7, 1, 1.0, "duplicate", std::nullopt));  // the last row clashes
  const auto e = tern::testing::thrown<tern::IntegrityError>(
      [&] { run(db_->aio_copy_in("copy_items", item_columns(), rows)); });
  if (pg()) {
    tern::testing::expect_server_error(e, "23505");
  } else if (mysql()) {
    tern::testing::expect_server_error(e, "23000", 1062);
  }
  EXPECT_EQ(count(), 0);
  // The pool is healthy: the connection came back usable (or was replaced) and loads again.
  rows.pop_back();
  EXPECT_EQ(run(db_->aio_copy_in("copy_items", item_columns(), rows)), 20'000u);
  EXPECT_EQ(count(), 20'000);
}

TEST_P(Copy, RollsBackWithTheCallersTransaction) {
  create_items();
  const std::vector<Params> rows = numbered(1000);
  struct Rollback {};
  EXPECT_THROW(
      run(db_->aio_atomic([&]() -> Task<void> {
        const std::uint64_t loaded = co_await db_->aio_copy_in("copy_items", item_columns(), rows);
        EXPECT_EQ(loaded, 1000u);
        // Visible inside the block: the same connection.
        const tern::ResultSet r = co_await db_->aio_execute("SELECT COUNT(*) FROM copy_items");
        EXPECT_EQ(r.row(0).get<std::int64_t>(0), 1000);
        throw Rollback{};
      })),
      Rollback);
  EXPECT_EQ(count(), 0);
  run(db_->aio_atomic(
      [&]() -> Task<void> { co_await db_->aio_copy_in("copy_items", item_columns(), rows); }));
  EXPECT_EQ(count(), 1000);
}

TEST_P(Copy, QuotesHostileTableAndColumnNames) {
  const std::string c1 = "i\"d`";
  const std::string c2 = "va'lue; DROP TABLE copy_items; --";
  run(db_->aio_execute("CREATE TABLE " + q(kOddTable) + " (" + q(c1) + " integer, " + q(c2) +
                       (mysql() ? " text)" : " text)")));
  create_items();  // must survive
  std::vector<Params> rows;
  rows.push_back({Value(1), Value("one")});
  rows.push_back({Value(2), Value("two")});
  EXPECT_EQ(run(db_->aio_copy_in(std::string(kOddTable), {c1, c2}, rows)), 2u);
  EXPECT_EQ(count(q(kOddTable)), 2);
  EXPECT_EQ(count(), 0);
  tern::RowStream stream = run(db_->aio_copy_out(std::string(kOddTable), {c2}));
  std::optional<tern::ResultSet> batch = run(stream.next());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->size(), 2u);
  // All columns, in table order, when none are named.
  EXPECT_EQ(run(db_->aio_copy_in(std::string(kOddTable), {}, rows)), 2u);
  EXPECT_EQ(count(q(kOddTable)), 4);
}

TEST_P(Copy, WrongRowLengthIsATypeErrorAndLoadsNothing) {
  create_items();
  std::vector<Params> rows = numbered(10);
  rows[4].pop_back();
  const auto e = tern::testing::thrown<tern::TypeError>(
      [&] { run(db_->aio_copy_in("copy_items", item_columns(), rows)); });
  if (e) {
    EXPECT_NE(std::string(e->what()).find("row 4"), std::string::npos) << e->what();
  }
  EXPECT_EQ(count(), 0);
}

TEST_P(Copy, CancelledMidLoadLoadsAllOrNothingAndThePoolStaysHealthy) {
  create_items();
  const std::vector<Params> rows = numbered(200'000);
  tern::ring::TaskGroup group(loop_);
  // Whatever the load ends with (CancelledError, most likely) is the pool's business: the
  // outcome is checked below.
  group.spawn([](tern::AioDatabase& db, const std::vector<Params>& r,
                 std::vector<std::string> cols) -> Task<void> {
    try {
      co_await db.aio_copy_in("copy_items", std::move(cols), r);
    } catch (const std::exception&) {
    }
  }(*db_, rows, item_columns()));
  run([](tern::ring::Loop& loop, tern::ring::TaskGroup& g) -> Task<void> {
    co_await tern::ring::sleep_for(loop, 20ms);  // mid-load, most likely; either way below holds
    g.cancel();
    co_await g.join();
  }(loop_, group));
  const std::int64_t n = count();
  EXPECT_TRUE(n == 0 || n == 200'000) << n;
  // The pool serves again: a full load works.
  run(db_->aio_execute("DELETE FROM copy_items"));
  EXPECT_EQ(run(db_->aio_copy_in("copy_items", item_columns(), rows)), 200'000u);
  EXPECT_EQ(count(), 200'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, Copy,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql,
                                           tern::Dialect::kSqlite),
                         tern::testing::backend_name);

// ---- PostgreSQL: binary COPY's type conversions ----

class CopyPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = tern::testing::make_database(tern::Dialect::kPostgres);
    drop();
    run(db_->aio_execute("CREATE TYPE copy_mood AS ENUM ('sad', 'ok', 'happy')"));
    run(db_->aio_execute("CREATE DOMAIN copy_positive AS integer CHECK (VALUE > 0)"));
    run(db_->aio_execute(
        "CREATE TABLE copy_types (s smallint, i integer, b bigint, r real, dp double precision, "
        "n numeric, ok boolean, vc varchar(20), ch char(3), mood copy_mood, pos copy_positive, "
        "u uuid, j json, jb jsonb, tz timestamptz, tm time, iv interval, ia integer[], "
        "ta text[], va varchar[], ba bytea, gen integer GENERATED ALWAYS AS (i * 2) STORED)"));
  }
  void TearDown() override {
    drop();
    run(db_->aio_close());
    db_.reset();
  }
  void drop() {
    run(db_->aio_execute("DROP TABLE IF EXISTS copy_types"));
    run(db_->aio_execute("DROP TYPE IF EXISTS copy_mood"));
    run(db_->aio_execute("DROP DOMAIN IF EXISTS copy_positive"));
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop_, std::move(task));
  }
  std::int64_t count() {
    return run(db_->aio_execute("SELECT COUNT(*) FROM copy_types")).row(0).get<std::int64_t>(0);
  }
  static Params full_row(std::int64_t k) {
    const tern::Instant at = std::chrono::sys_days{std::chrono::year{2020} / 1 / 2} + 3h + 4min +
                             std::chrono::microseconds(5);
    return Params{Value(k),
                  Value(k * 1000),
                  Value(k * 1'000'000'000),
                  Value(0.5),
                  Value(2.25),
                  Value(k),  // an integer into numeric
                  Value(true),
                  Value("vc\t" + std::to_string(k)),
                  Value("ab"),
                  Value(tern::EnumLabel{"happy"}),
                  Value(k),
                  Value(tern::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                  Value(tern::Json{R"({"a": [1, "x\ty"]})"}),
                  Value(std::string(R"({"b": null})")),  // text into jsonb
                  Value(at),
                  Value(tern::TimeOfDay{12h + 30min}),
                  Value(tern::Interval{.months = 1, .days = 2, .microseconds = 3}),
                  Value(std::vector<std::int32_t>{1, 2, 3}),
                  Value(tern::Array<std::string>{"x", std::nullopt, "y,\"z\""}),
                  Value(std::vector<std::string>{"p", "q"}),  // text[] into varchar[]
                  Value(bytes_of("\\x00"))};
  }
  static std::vector<std::string> columns() {
    return {"s", "i", "b",  "r",  "dp", "n",  "ok", "vc", "ch", "mood", "pos",
            "u", "j", "jb", "tz", "tm", "iv", "ia", "ta", "va", "ba"};
  }

  tern::ring::Loop loop_;
  std::unique_ptr<tern::AioDatabase> db_;
};

TEST_F(CopyPostgres, ConvertsEachValueToItsColumnsType) {
  std::vector<Params> rows;
  for (std::int64_t k = 1; k <= 3; ++k)
    rows.push_back(full_row(k));
  Params nulls(columns().size());
  nulls[10] = Value(9);  // the domain's CHECK would pass NULL anyway
  rows.push_back(nulls);
  EXPECT_EQ(run(db_->aio_copy_in("copy_types", columns(), rows)), 4u);
  const tern::ResultSet r = run(db_->aio_execute(
      "SELECT s, i, b, r, dp, n, ok, vc, ch, mood::text, pos, u::text, j::text, jb::text, "
      "tz = '2020-01-02 03:04:00.000005+00', tm::text, iv = interval '1 mon 2 days 0.000003 s' "
      "AND iv::text = (interval '1 mon 2 days 0.000003 s')::text, ia::text, ta::text, va::text, "
      "ba, gen FROM copy_types WHERE s = 2"));
  ASSERT_EQ(r.size(), 1u);
  const tern::Row row = r.row(0);
  EXPECT_EQ(row.get<std::int64_t>(0), 2);
  EXPECT_EQ(row.get<std::int64_t>(1), 2000);
  EXPECT_EQ(row.get<std::int64_t>(2), 2'000'000'000);
  EXPECT_EQ(row.get<double>(3), 0.5);
  EXPECT_EQ(row.get<double>(4), 2.25);
  EXPECT_EQ(row.get<tern::Decimal>(5).value, "2");
  EXPECT_TRUE(row.get<bool>(6));
  EXPECT_EQ(row.get<std::string>(7), "vc\t2");
  EXPECT_EQ(row.get<std::string>(8), "ab ");
  EXPECT_EQ(row.get<std::string>(9), "happy");
  EXPECT_EQ(row.get<std::int64_t>(10), 2);
  EXPECT_EQ(row.get<std::string>(11), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(row.get<std::string>(12), R"({"a": [1, "x\ty"]})");
  EXPECT_EQ(row.get<std::string>(13), R"({"b": null})");
  EXPECT_TRUE(row.get<bool>(14));
  EXPECT_EQ(row.get<std::string>(15), "12:30:00");
  EXPECT_TRUE(row.get<bool>(16));
  EXPECT_EQ(row.get<std::string>(17), "{1,2,3}");
  EXPECT_EQ(row.get<std::string>(18), R"({x,NULL,"y,\"z\""})");
  EXPECT_EQ(row.get<std::string>(19), "{p,q}");
  EXPECT_EQ(row.get<tern::ByteString>(20), bytes_of("\\x00"));
  EXPECT_EQ(row.get<std::int64_t>(21), 4000);  // the generated column
  const tern::ResultSet nullrow =
      run(db_->aio_execute("SELECT COUNT(*) FROM copy_types WHERE s IS NULL AND u IS NULL AND "
                           "ta IS NULL AND pos = 9"));
  EXPECT_EQ(nullrow.row(0).get<std::int64_t>(0), 1);
}

TEST_F(CopyPostgres, AValueItsColumnCannotTakeIsATypeErrorAndLoadsNothing) {
  std::vector<Params> rows;
  for (std::int64_t k = 1; k <= 5000; ++k)
    rows.push_back(full_row(k % 100 + 1));
  rows[4321][1] = Value("not a number");  // text into integer
  auto e = tern::testing::thrown<tern::TypeError>(
      [&] { run(db_->aio_copy_in("copy_types", columns(), rows)); });
  if (e) {
    const std::string what = e->what();
    EXPECT_NE(what.find("copy_types.i"), std::string::npos) << what;
    EXPECT_NE(what.find("row 4321"), std::string::npos) << what;
  }
  EXPECT_EQ(count(), 0);
  // Out of range for smallint.
  rows[4321][1] = Value(1);
  rows[17][0] = Value(70'000);
  e = tern::testing::thrown<tern::TypeError>(
      [&] { run(db_->aio_copy_in("copy_types", columns(), rows)); });
  if (e) {
    EXPECT_NE(std::string(e->what()).find("copy_types.s, row 17"), std::string::npos) << e->what();
  }
  EXPECT_EQ(count(), 0);
  // A composite value: binary COPY needs its members' types, which record text lacks.
  rows[17][0] = Value(1);
  const Value kept = rows[9][0];
  rows[9][0] = Value(tern::RecordText{"pair", "(1,2)"});
  e = tern::testing::thrown<tern::TypeError>(
      [&] { run(db_->aio_copy_in("copy_types", columns(), rows)); });
  if (e) {
    EXPECT_NE(std::string(e->what()).find("composite (pair) cannot be copied in binary"),
              std::string::npos)
        << e->what();
  }
  EXPECT_EQ(count(), 0);
  // The connection stayed usable: the corrected load goes through.
  rows[9][0] = kept;
  EXPECT_EQ(run(db_->aio_copy_in("copy_types", columns(), rows)), 5000u);
  EXPECT_EQ(count(), 5000);
}

TEST_F(CopyPostgres, AServerSideRejectionLoadsNothing) {
  std::vector<Params> rows;
  for (std::int64_t k = 1; k <= 100; ++k)
    rows.push_back(full_row(k));
  rows[50][10] = Value(-1);  // the domain's CHECK fails on the server
  const auto e = tern::testing::thrown<tern::IntegrityError>(
      [&] { run(db_->aio_copy_in("copy_types", columns(), rows)); });
  tern::testing::expect_server_error(e, "23514");
  rows[50][8] = Value("toolong");  // char(3): the server checks the length too
  rows[50][10] = Value(1);
  const auto d = tern::testing::thrown<tern::DataError>(
      [&] { run(db_->aio_copy_in("copy_types", columns(), rows)); });
  tern::testing::expect_server_error(d, "22001");
  EXPECT_EQ(count(), 0);
}

TEST_F(CopyPostgres, AnUnknownColumnOrTableIsAProgrammingError) {
  const std::vector<Params> rows{Params{Value(1)}};
  const auto e = tern::testing::thrown<tern::ProgrammingError>(
      [&] { run(db_->aio_copy_in("copy_types", {"nope"}, rows)); });
  if (e) {
    EXPECT_NE(std::string(e->what()).find("\"nope\""), std::string::npos) << e->what();
  }
  const auto t = tern::testing::thrown<tern::ProgrammingError>(
      [&] { run(db_->aio_copy_in("no_such_table", {"i"}, rows)); });
  tern::testing::expect_server_error(t, "42P01");
  EXPECT_EQ(count(), 0);
}

}  // namespace
