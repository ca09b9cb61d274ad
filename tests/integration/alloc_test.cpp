// "No heap allocation per query" (DESIGN.md, Performance rules), as a count rather than a
// benchmark figure: after a warm-up (statements prepared, buffers grown, the pool's connection
// open, the recycling allocator's free lists filled), N more queries must not call malloc even
// once — on the raw drivers (pg::Connection's prepared point select, mysql::Connection's
// execute), on AioDatabase::aio_execute over either backend, on Model::aio_get and
// Model::aio_create, and per row of Model::insert_many.
//
// The counting shim (bench/malloc_counter.cpp, shared with the benchmarks) replaces the malloc
// family in THIS executable only (never in the library): libtern.so and libstdc++ (operator new
// calls malloc) reach it through the PLT, so every heap allocation of the process is counted,
// on any thread. Only built without
// sanitizers: ASan has its own malloc, and turns the hot path's block recycling off.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "malloc_counter.hpp"
#include "tern/db/database.hpp"
#include "tern/orm/model.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using tern::Dialect;
using tern::bench::allocations;
using tern::ring::Task;

constexpr int kRows = 100;
constexpr int kWarmUp = 200;     // twice over every key: every size class seen, every buffer grown
constexpr int kMeasured = 1000;  // any per-query allocation would count at least 1000

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> g_db;

struct AllocItem {
  std::int64_t id{};
  std::int64_t n{};
  std::string t{};  // short values: within std::string's inline buffer, as in the benchmarks
  static constexpr std::string_view table_name = "alloc_items";
  // clang-format off
  TERN_MODEL(AllocItem, g_db,
    (id, tern::BigAutoField{}),
    (n,  tern::BigIntegerField{}),
    (t,  tern::TextField{}));
  // clang-format on
};

std::int64_t key_of(int i) {
  return i % kRows + 1;
}

// Runs `query(i)` kWarmUp times, then kMeasured times, and returns the allocations of the
// second run. `query` returns the number of wrong results it saw (checked outside the loop:
// a gtest assertion inside it could allocate).
Task<std::uint64_t> measured(const std::function<Task<int>(int)>& query, int& wrong) {
  for (int i = 0; i < kWarmUp; ++i)
    wrong += co_await query(i);
  const std::uint64_t before = allocations();
  for (int i = 0; i < kMeasured; ++i)
    wrong += co_await query(i);
  co_return allocations() - before;
}

class AllocTest : public ::testing::Test {
 protected:
  // alloc_items with kRows rows: id k, n = 2k, t = "t-k", made by the ORM (the model's DDL).
  static void fill(tern::ring::Loop& loop, Dialect dialect) {
    tern::DatabaseOptions pool;
    pool.min_connections = 1;
    pool.max_connections = 1;
    g_db = tern::testing::make_database(dialect, pool);
    tern::ring::sync_wait(loop, [&]() -> Task<void> {
      co_await g_db->aio_execute("DROP TABLE IF EXISTS alloc_items");
      co_await AllocItem::aio_create_table();
      for (int k = 1; k <= kRows; ++k) {
        AllocItem item;
        item.n = 2 * k;
        item.t = "t-" + std::to_string(k);
        co_await AllocItem::aio_create(item);
      }
    }());
  }
  static void close(tern::ring::Loop& loop) {
    tern::ring::sync_wait(loop, g_db->aio_close());
    g_db.reset();
  }
};

// The other tests' zeros mean something only if the shim sees the library's allocations:
// simple_query returns its results in a std::vector allocated inside libtern, once a query.
TEST_F(AllocTest, ShimCountsTheLibrarysAllocations) {
  tern::ring::Loop loop;
  auto conn = tern::ring::sync_wait(
      loop, tern::pg::Connection::connect(loop, tern::testing::pg_url_options()));
  int wrong = 0;
  const std::function<Task<int>(int)> query = [&](int) -> Task<int> {
    const std::vector<tern::pg::Result> r = co_await conn.simple_query("SELECT 1");
    co_return r.size() == 1 ? 0 : 1;
  };
  const std::uint64_t n = tern::ring::sync_wait(loop, measured(query, wrong));
  tern::ring::sync_wait(loop, conn.close());
  EXPECT_EQ(wrong, 0);
  EXPECT_GE(n, static_cast<std::uint64_t>(kMeasured));
}

TEST_F(AllocTest, PgConnectionPreparedPointSelect) {
  tern::ring::Loop loop;
  fill(loop, Dialect::kPostgres);
  close(loop);
  auto conn = tern::ring::sync_wait(
      loop, tern::pg::Connection::connect(loop, tern::testing::pg_url_options()));
  int wrong = 0;
  const std::function<Task<int>(int)> query = [&](int i) -> Task<int> {
    const tern::pg::Params params(key_of(i));
    const tern::pg::Result r =
        co_await conn.execute("SELECT n FROM alloc_items WHERE id = $1", params);
    co_return r.size() == 1 && r.row(0).get<std::int64_t>(0) == 2 * key_of(i) ? 0 : 1;
  };
  const std::uint64_t n = tern::ring::sync_wait(loop, measured(query, wrong));
  tern::ring::sync_wait(loop, conn.close());
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, 0u) << "heap allocations in " << kMeasured << " prepared point selects";
}

TEST_F(AllocTest, MysqlConnectionExecute) {
  tern::ring::Loop loop;
  fill(loop, Dialect::kMysql);
  close(loop);
  auto conn = tern::ring::sync_wait(
      loop, tern::mysql::Connection::connect(loop, tern::testing::mysql_url_options()));
  int wrong = 0;
  const std::function<Task<int>(int)> query = [&](int i) -> Task<int> {
    tern::mysql::Params params;
    params.add(key_of(i));
    const tern::mysql::Result r =
        co_await conn.execute("SELECT n FROM alloc_items WHERE id = ?", params);
    co_return r.size() == 1 && r.row(0).get<std::int64_t>(0) == 2 * key_of(i) ? 0 : 1;
  };
  const std::uint64_t n = tern::ring::sync_wait(loop, measured(query, wrong));
  tern::ring::sync_wait(loop, conn.close());
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, 0u) << "heap allocations in " << kMeasured << " prepared point selects";
}

class AllocDatabaseTest : public AllocTest, public ::testing::WithParamInterface<Dialect> {};

// aio_execute on a warm pool of one connection, its parameters viewed (aio_execute_view) and
// as arguments (held in the statement's frame). (The owned `Params` form copies the values into
// a std::vector: one allocation by design.)
TEST_P(AllocDatabaseTest, AioExecute) {
  tern::ring::Loop loop;
  fill(loop, GetParam());
  const std::string_view sql = GetParam() == Dialect::kPostgres
                                   ? "SELECT n FROM alloc_items WHERE id = $1"
                                   : "SELECT n FROM alloc_items WHERE id = ?";
  const auto check = [](const tern::ResultSet& r, int i) {
    return r.size() == 1 && r.row(0).get<std::int64_t>(0) == 2 * key_of(i) ? 0 : 1;
  };
  const std::function<Task<int>(int)> viewed = [&](int i) -> Task<int> {
    const tern::Value params[1] = {tern::Value(key_of(i))};
    co_return check(co_await g_db->aio_execute_view(sql, std::span(params)), i);
  };
  const std::function<Task<int>(int)> arguments = [&](int i) -> Task<int> {
    co_return check(co_await g_db->aio_execute(sql, key_of(i)), i);
  };
  for (const auto& [query, form] : {std::pair{&viewed, "aio_execute_view(sql, span)"},
                                    std::pair{&arguments, "aio_execute(sql, key)"}}) {
    int wrong = 0;
    const std::uint64_t n = tern::ring::sync_wait(loop, measured(*query, wrong));
    EXPECT_EQ(wrong, 0) << form;
    EXPECT_EQ(n, 0u) << "heap allocations in " << kMeasured << " point selects by " << form;
  }
  close(loop);
}

// Model::aio_get by primary key: the ORM's statement cache, the database layer and the
// driver, with the row decoded into the model (its text within the string's inline buffer).
TEST_P(AllocDatabaseTest, ModelAioGet) {
  tern::ring::Loop loop;
  fill(loop, GetParam());
  int wrong = 0;
  const std::function<Task<int>(int)> query = [&](int i) -> Task<int> {
    const AllocItem item = co_await AllocItem::aio_get(AllocItem::c.id == key_of(i));
    co_return item.n == 2 * key_of(i) && item.t.size() >= 3 ? 0 : 1;
  };
  const std::uint64_t n = tern::ring::sync_wait(loop, measured(query, wrong));
  close(loop);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, 0u) << "heap allocations in " << kMeasured << " aio_get by key";
}

// Model::aio_create: the insert's text found by its shape (the model and the columns it sets),
// the object's values bound, the generated key read back (PG: RETURNING; MySQL: the OK packet).
TEST_P(AllocDatabaseTest, ModelAioCreate) {
  tern::ring::Loop loop;
  fill(loop, GetParam());
  int wrong = 0;
  const std::function<Task<int>(int)> query = [&](int i) -> Task<int> {
    AllocItem item;
    item.n = i;
    item.t = "c-" + std::to_string(i % 100);  // short: within the string's inline buffer
    const AllocItem created = co_await AllocItem::aio_create(item);
    co_return created.id > kRows ? 0 : 1;
  };
  const std::uint64_t n = tern::ring::sync_wait(loop, measured(query, wrong));
  close(loop);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, 0u) << "heap allocations in " << kMeasured << " aio_create";
}

// Model::insert_many of batches of kBatch rows: nothing allocated per row. What a batch may
// allocate: the keys' std::vector it returns (by design; as_rowcount() returns a count), and on
// MySQL the info string of the OK packet ("Records: 50  Duplicates: 0  Warnings: 0", longer than
// a std::string's inline buffer) that mysql::Result keeps.
constexpr int kBatch = 50;

std::uint64_t per_statement(Dialect dialect) {
  return dialect == Dialect::kMysql ? 1 : 0;
}

Task<std::uint64_t> insert_batches(bool rowcount, int& wrong) {
  std::vector<AllocItem> batch(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    batch[i].n = i;
    batch[i].t = "b-" + std::to_string(i);
  }
  const auto run = [&]() -> Task<void> {
    if (rowcount) {
      const auto insert = AllocItem::insert_many(batch).as_rowcount();
      wrong += co_await insert.aio_execute() == kBatch ? 0 : 1;
    } else {
      const auto insert = AllocItem::insert_many(batch);
      const std::vector<std::int64_t> ids = co_await insert.aio_execute();
      wrong += ids.size() == kBatch && ids.front() > kRows ? 0 : 1;
    }
  };
  for (int i = 0; i < kWarmUp / 10; ++i)
    co_await run();
  const std::uint64_t before = allocations();
  for (int i = 0; i < kMeasured / 10; ++i)
    co_await run();
  co_return allocations() - before;
}

TEST_P(AllocDatabaseTest, ModelInsertManyAllocatesOnlyTheKeysVector) {
  tern::ring::Loop loop;
  fill(loop, GetParam());
  int wrong = 0;
  const std::uint64_t n = tern::ring::sync_wait(loop, insert_batches(false, wrong));
  close(loop);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, (1 + per_statement(GetParam())) * (kMeasured / 10))
      << "heap allocations in " << kMeasured / 10 << " insert_many of " << kBatch << " rows";
}

TEST_P(AllocDatabaseTest, ModelInsertManyAsRowcount) {
  tern::ring::Loop loop;
  fill(loop, GetParam());
  int wrong = 0;
  const std::uint64_t n = tern::ring::sync_wait(loop, insert_batches(true, wrong));
  close(loop);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(n, per_statement(GetParam()) * (kMeasured / 10))
      << "heap allocations in " << kMeasured / 10 << " insert_many of " << kBatch
      << " rows (as_rowcount)";
}

INSTANTIATE_TEST_SUITE_P(Backends, AllocDatabaseTest,
                         ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "Mysql";
                         });

}  // namespace
