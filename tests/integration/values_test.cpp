// Values are always bound, never spliced: random strings full of quotes, backslashes, comment
// markers, placeholders, LIKE wildcards, control characters, multi-byte UTF-8 and (where the
// type allows it) NUL go through every API — raw queries, streams, the sync path, ORM
// create/get/where/update/insert_many/bulk_update/raw, LIKE helpers — and come back intact, on
// both servers. Identifiers with quotes in them are quoted, not spliced. The seed is printed
// (TERN_VALUES_SEED replays a run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "tern/orm/model.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

struct Echo {
  std::int64_t id{};
  std::string text;
  tern::ByteString bytes{};
  TERN_MODEL(Echo, db, (id, tern::AutoField{}), (text, tern::TextField{}),
             (bytes, tern::BlobField{}));
};

// Table and column names that need quoting in both dialects.
struct Odd {
  static constexpr std::string_view table_name = "odd \"table` name";
  std::int64_t id{};
  std::string value;
  TERN_MODEL(Odd, db, (id, tern::AutoField{.column_name = "i\"d`"}),
             (value, tern::TextField{.column_name = "va'lue; DROP TABLE x; --"}));
};

class Values : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam());
    run(Echo::aio_drop_table());
    run(Echo::aio_create_table());
    const char* seed_text = std::getenv("TERN_VALUES_SEED");
    seed_ = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
    std::printf("values seed: %llu (TERN_VALUES_SEED replays it)\n",
                static_cast<unsigned long long>(seed_));
    rng_.seed(seed_);
  }
  void TearDown() override {
    run(Echo::aio_drop_table());
    run(db->aio_close());
    db.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  bool pg() const { return GetParam() == tern::Dialect::kPostgres; }
  std::string p(int n) const { return pg() ? "$" + std::to_string(n) : "?"; }

  // A random string of the hostile alphabet; NUL only when `nul`.
  std::string hostile(bool nul = false) {
    static const std::vector<std::string> pieces = {"'",
                                                    "''",
                                                    "\"",
                                                    "\\",
                                                    "\\'",
                                                    "`",
                                                    ";",
                                                    "--",
                                                    "/*",
                                                    "*/",
                                                    "$1",
                                                    "?",
                                                    "%",
                                                    "_",
                                                    "\n",
                                                    "\r",
                                                    "\t",
                                                    " ",
                                                    "a",
                                                    "Z",
                                                    "0",
                                                    "é",
                                                    "😀",
                                                    "ß",
                                                    "\x7f",
                                                    "$$",
                                                    "E'",
                                                    "\\x00",
                                                    "0x27",
                                                    "OR 1=1",
                                                    "); DROP TABLE echo; --"};
    std::uniform_int_distribution<std::size_t> length(0, 24);
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> zero(0, 9);
    std::string s;
    const std::size_t n = length(rng_);
    for (std::size_t i = 0; i < n; ++i) {
      if (nul && zero(rng_) == 0) {
        s.push_back('\0');
      } else {
        s += pieces[pick(rng_)];
      }
    }
    return s;
  }
  static tern::ByteString bytes_of(const std::string& s) {
    tern::ByteString out(s.size());
    std::transform(s.begin(), s.end(), out.begin(), [](char c) { return std::byte(c); });
    return out;
  }

  tern::ring::Loop loop;
  std::mt19937_64 rng_;
  std::uint64_t seed_ = 0;
};

constexpr int kRounds = 60;

TEST_P(Values, RawQueriesStreamsAndTheSyncPathKeepEveryByte) {
  for (int round = 0; round < kRounds; ++round) {
    // MySQL's TEXT keeps NUL; PostgreSQL's text cannot hold it (bytea can).
    const std::string text = hostile(/*nul=*/!pg());
    const std::string blob = hostile(/*nul=*/true);
    SCOPED_TRACE(::testing::Message() << "round " << round << " seed " << seed_);
    const tern::ResultSet echo =
        run(db->aio_execute("SELECT " + p(1) + (pg() ? "::text" : ""), text));
    ASSERT_EQ(echo.row(0).get<std::string>(0), text);
    run(db->aio_execute("INSERT INTO echo (text, bytes) VALUES (" + p(1) + ", " + p(2) + ")", text,
                        bytes_of(blob)));
    const tern::ResultSet back = run(db->aio_execute(
        // The newest match: MySQL's collation also equates case and trailing spaces.
        "SELECT text, bytes FROM echo WHERE text = " + p(1) + " AND bytes = " + p(2) +
            " ORDER BY id DESC LIMIT 1",
        text, bytes_of(blob)));
    ASSERT_GE(back.size(), 1u);
    EXPECT_EQ(back.row(0).get<std::string>(0), text);
    EXPECT_EQ(back.row(0).get<tern::ByteString>(1), bytes_of(blob));
  }
  // The same rows through a stream and through the sync path.
  const std::size_t total = run(db->aio_execute("SELECT text FROM echo")).size();
  std::size_t streamed = 0;
  run([](std::size_t& n) -> Task<void> {
    tern::RowStream rows = co_await db->aio_stream("SELECT text, bytes FROM echo", {}, 7);
    while (std::optional<tern::ResultSet> batch = co_await rows.next())
      n += batch->size();
  }(streamed));
  EXPECT_EQ(streamed, total);
  const std::string text = hostile(!pg());
  auto sync = db->allow_sync();
  EXPECT_EQ(db->execute_sql("SELECT " + p(1) + (pg() ? "::text" : ""), {tern::Value(text)})
                .row(0)
                .get<std::string>(0),
            text);
}

TEST_P(Values, WideTimestampsTravelOnBothBackends) {
  // PostgreSQL holds timestamps to 294276 AD, past DateTime; MySQL takes them as DATETIME.
  const tern::WideTimestamp ts =
      pg() ? tern::WideTimestamp::from_civil({294276, 12, 31, 23, 59, 59, 999'999})
           : tern::WideTimestamp::from_civil({2024, 2, 29, 12, 0, 0, 5});
  const tern::WideTimestamptz tz = tern::WideTimestamptz::from_civil_utc({2001, 12, 27, 1, 5, 6});
  const tern::ResultSet r =
      run(db->aio_execute(pg() ? "SELECT $1::timestamp, $2::timestamptz" : "SELECT ?, ?", ts, tz));
  EXPECT_EQ(r.row(0).get<tern::WideTimestamp>(0), ts);
  EXPECT_EQ(r.row(0).get<tern::WideTimestamptz>(1), tz);
  EXPECT_EQ(r.row(0).get<tern::Instant>(1), tz.to_instant());
  if (pg()) {
    EXPECT_THROW(r.row(0).get<tern::DateTime>(0), tern::TypeError);
  } else {
    EXPECT_EQ(r.row(0).get<tern::DateTime>(0), ts.to_datetime());
  }
}

TEST_P(Values, TheOrmBindsEveryValue) {
  std::vector<Echo> created;
  for (int round = 0; round < kRounds; ++round) {
    Echo e{.text = hostile(!pg()), .bytes = bytes_of(hostile(true))};
    SCOPED_TRACE(::testing::Message() << "round " << round << " seed " << seed_);
    e = run(Echo::aio_create(e));
    const Echo by_key = run(Echo::aio_get(Echo::c.id == e.id));
    EXPECT_EQ(by_key.text, e.text);
    EXPECT_EQ(by_key.bytes, e.bytes);
    // WHERE on the value itself, and LIKE helpers whose wildcards must match literally.
    const auto same =
        run(Echo::select().where(Echo::c.text == e.text, Echo::c.id == e.id).aio_execute());
    ASSERT_EQ(same.size(), 1u);
    EXPECT_EQ(run(Echo::select()
                      .where(Echo::c.id == e.id, Echo::c.text.startswith(e.text),
                             Echo::c.text.endswith(e.text))
                      .aio_count()),
              1);
    // UPDATE ... SET with another hostile value.
    const std::string next = hostile(!pg());
    run(Echo::update().set(Echo::c.text, next).where(Echo::c.id == e.id).aio_execute());
    e.text = next;
    EXPECT_EQ(run(Echo::aio_get(Echo::c.id == e.id)).text, next);
    created.push_back(e);
  }
  // A LIKE helper on a value with wildcards matches only itself, never by pattern.
  Echo wild = run(Echo::aio_create(Echo::c.text = "a%_b"));
  run(Echo::aio_create(Echo::c.text = "aXYb"));
  EXPECT_EQ(run(Echo::select().where(Echo::c.text.startswith("a%_")).aio_count()), 1);
  // insert_many, bulk_update and raw() with hostile values.
  std::vector<Echo> many;
  for (int i = 0; i < 20; ++i)
    many.push_back({.text = hostile(!pg()), .bytes = bytes_of(hostile(true))});
  run(Echo::aio_bulk_create(many, 7));
  for (Echo& e : many)
    e.text = hostile(!pg());
  run(Echo::aio_bulk_update(many, 6, Echo::c.text));
  for (const Echo& e : many) {
    const Echo back = run(Echo::aio_get(Echo::c.id == e.id));
    EXPECT_EQ(back.text, e.text);
    EXPECT_EQ(back.bytes, e.bytes);
  }
  const std::string probe = hostile(!pg());
  const auto raw =
      run(Echo::raw("SELECT id, " + p(1) + " AS text, bytes FROM echo WHERE id = " + p(2), probe,
                    wild.id)
              .aio_execute());
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].text, probe);
}

TEST_P(Values, NulInPostgresTextIsATypedErrorAndLosesNothing) {
  const std::string with_nul("a\0b", 3);
  if (pg()) {
    // 22021 character_not_in_repertoire: "invalid byte sequence for encoding UTF8: 0x00".
    tern::testing::expect_server_error(tern::testing::thrown<tern::DataError>(
                                           [&] { run(Echo::aio_create(Echo::c.text = with_nul)); }),
                                       "22021");
    // The connection and the pool go on.
    EXPECT_EQ(run(Echo::aio_create(Echo::c.text = "after")).text, "after");
  } else {
    const Echo e = run(Echo::aio_create(Echo::c.text = with_nul));
    EXPECT_EQ(run(Echo::aio_get(Echo::c.id == e.id)).text, with_nul);
  }
}

TEST_P(Values, IdentifiersAreQuotedNotSpliced) {
  run(Odd::aio_drop_table());
  run(Odd::aio_create_table());
  EXPECT_TRUE(run(Odd::aio_table_exists()));
  const Odd o = run(Odd::aio_create(Odd::c.value = "v"));
  const Odd back = run(Odd::aio_get(Odd::c.id == o.id));
  EXPECT_EQ(back.value, "v");
  run(Odd::update().set(Odd::c.value, "w").where(Odd::c.value == "v").aio_execute());
  EXPECT_EQ(run(Odd::select().where(Odd::c.value == "w").aio_count()), 1);
  run(Odd::aio_drop_table());
  EXPECT_FALSE(run(Odd::aio_table_exists()));
  EXPECT_TRUE(run(Echo::aio_table_exists()));  // nothing else was dropped
}

INSTANTIATE_TEST_SUITE_P(Backends, Values,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == tern::Dialect::kPostgres ? "Postgres"
                                                                               : "MySQL";
                         });

}  // namespace
