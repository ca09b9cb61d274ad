// Workload 4 of the benchmark plan (MySQL/MariaDB): insert throughput of rows of (BIGINT,
// TEXT, DOUBLE, DATETIME(6)) into an empty InnoDB table.
//   - 100k single-row INSERTs in one transaction, one at a time: tern's mysql::Connection
//     against libmariadb (both prepared statements).
//   - The same rows in INSERTs of 1,000 rows each: the ORM's `BenchInsert::insert_many(batch)`
//     against libmariadb executing the very statement the ORM generates (4,000 bound
//     parameters) as a prepared statement.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-insert
//   BENCH_INSERT_ROWS=10000 for a quicker run.
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "models.hpp"
#include "mysql_common.hpp"
#include "ratio_reporter.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using tern::ring::Task;

constexpr std::size_t kBatch = 1'000;
const std::int64_t kRowCount = env_int("BENCH_INSERT_ROWS", 100'000);
constexpr const char* kInsertOne = "INSERT INTO bench_insert (n, t, f, ts) VALUES (?, ?, ?, ?)";

// The rows to insert, in batches of kBatch (insert_many takes a vector).
const std::vector<std::vector<BenchInsert>>& batches() {
  static const std::vector<std::vector<BenchInsert>> all = [] {
    std::vector<std::vector<BenchInsert>> b;
    for (std::int64_t i = 0; i < kRowCount; ++i) {
      if (i % static_cast<std::int64_t>(kBatch) == 0) b.emplace_back().reserve(kBatch);
      b.back().push_back(make_row<BenchInsert>(i + 1));
    }
    return b;
  }();
  return all;
}

void create_table() {
  tern::ring::Loop loop;
  g_db = std::make_unique<tern::PooledMySQLDatabase>(mysql_options(),
                                                     tern::DatabaseOptions{.max_connections = 1});
  tern::ring::sync_wait(loop, BenchInsert::aio_create_table());
  tern::ring::sync_wait(loop, g_db->aio_close());
  g_db.reset();
}

// Empties the table between runs, outside the measurement.
void truncate(benchmark::State& state, MYSQL* c) {
  state.PauseTiming();
  anchor_query(c, "TRUNCATE bench_insert");
  state.ResumeTiming();
}

MYSQL_TIME mysql_time_of(tern::Instant ts) {
  const auto days = std::chrono::floor<std::chrono::days>(ts);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss<std::chrono::microseconds> hms(ts - days);
  MYSQL_TIME t{};
  t.year = static_cast<unsigned>(static_cast<int>(ymd.year()));
  t.month = static_cast<unsigned>(ymd.month());
  t.day = static_cast<unsigned>(ymd.day());
  t.hour = static_cast<unsigned>(hms.hours().count());
  t.minute = static_cast<unsigned>(hms.minutes().count());
  t.second = static_cast<unsigned>(hms.seconds().count());
  t.second_part = static_cast<unsigned long>(hms.subseconds().count());
  t.time_type = MYSQL_TIMESTAMP_DATETIME;
  return t;
}

// Binds one row's values (4 MYSQL_BINDs); `length` and `time` keep what the binds point at.
void bind_row(const BenchInsert& r, MYSQL_BIND* b, unsigned long* length, MYSQL_TIME* time) {
  *length = r.t.size();
  *time = mysql_time_of(r.ts);
  b[0].buffer_type = MYSQL_TYPE_LONGLONG;
  b[0].buffer = const_cast<std::int64_t*>(&r.n);
  b[1].buffer_type = MYSQL_TYPE_STRING;
  b[1].buffer = const_cast<char*>(r.t.data());
  b[1].length = length;
  b[2].buffer_type = MYSQL_TYPE_DOUBLE;
  b[2].buffer = const_cast<double*>(&r.f);
  b[3].buffer_type = MYSQL_TYPE_DATETIME;
  b[3].buffer = time;
}

// ---- single-row inserts in one transaction ----

void BM_libmariadb_single_rows(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kInsertOne);
  MYSQL_BIND binds[4]{};
  unsigned long length = 0;
  MYSQL_TIME time{};
  const AllocCount allocs;
  for (auto _ : state) {
    truncate(state, c);
    anchor_query(c, "BEGIN");
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (const BenchInsert& row : batch) {
        bind_row(row, binds, &length, &time);
        mysql_stmt_bind_param(stmt, binds);
        if (mysql_stmt_execute(stmt) != 0) throw std::runtime_error(mysql_stmt_error(stmt));
      }
    }
    anchor_query(c, "COMMIT");
  }
  finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_single_rows(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect(loop);
  MYSQL* admin = anchor_connect();
  auto body = [&]() -> Task<void> {
    tern::mysql::Params params;
    const AllocCount allocs;
    for (auto _ : state) {
      truncate(state, admin);
      co_await conn.query("BEGIN");
      for (const std::vector<BenchInsert>& batch : batches()) {
        for (const BenchInsert& row : batch) {
          params.clear();
          params.add(row.n);
          params.add(std::string_view(row.t));
          params.add(row.f);
          params.add(tern::mysql::DateTime(row.ts.time_since_epoch()));
          co_await conn.execute(kInsertOne, params);
        }
      }
      co_await conn.query("COMMIT");
    }
    finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
  mysql_close(admin);
}

// ---- batches of 1,000 rows ----

void BM_libmariadb_batches(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, insert_sql<BenchInsert>(tern::Dialect::kMysql, kBatch));
  std::vector<MYSQL_BIND> binds(4 * kBatch);
  std::vector<unsigned long> lengths(kBatch);
  std::vector<MYSQL_TIME> times(kBatch);
  const AllocCount allocs;
  for (auto _ : state) {
    truncate(state, c);
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (std::size_t i = 0; i < batch.size(); ++i)
        bind_row(batch[i], &binds[4 * i], &lengths[i], &times[i]);
      mysql_stmt_bind_param(stmt, binds.data());
      if (mysql_stmt_execute(stmt) != 0) throw std::runtime_error(mysql_stmt_error(stmt));
      benchmark::DoNotOptimize(mysql_stmt_insert_id(stmt));
    }
  }
  finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_orm_insert_many(benchmark::State& state) {
  tern::ring::Loop loop;
  g_db = std::make_unique<tern::PooledMySQLDatabase>(
      mysql_options(), tern::DatabaseOptions{.min_connections = 1, .max_connections = 1});
  MYSQL* admin = anchor_connect();
  auto body = [&]() -> Task<void> {
    co_await g_db->aio_connect();
    const AllocCount allocs;
    for (auto _ : state) {
      truncate(state, admin);
      for (const std::vector<BenchInsert>& batch : batches()) {
        // The row count, as the libmariadb side reads: the list of keys would cost MySQL a
        // second round trip (SELECT @@auto_increment_increment).
        const auto insert = BenchInsert::insert_many(batch).as_rowcount();
        const std::uint64_t inserted = co_await insert.aio_execute();
        benchmark::DoNotOptimize(inserted);
      }
    }
    finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
    co_await g_db->aio_close();
  };
  tern::ring::sync_wait(loop, body());
  g_db.reset();
  mysql_close(admin);
}

// One run is the whole data set; bench/run repeats it.
BENCHMARK(BM_libmariadb_single_rows)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tern_single_rows)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_libmariadb_batches)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tern_orm_insert_many)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (kRowCount <= 0 || kRowCount % static_cast<std::int64_t>(kBatch) != 0) {
    std::fprintf(stderr, "BENCH_INSERT_ROWS must be a positive multiple of %zu\n", kBatch);
    return 2;
  }
  create_table();
  batches();  // the data is made before any measurement
  const std::string rows = std::to_string(kRowCount);
  RatioReporter reporter(
      "4", {{.label = "MariaDB: " + rows +
                      " single-row INSERTs in one transaction: mysql::Connection vs libmariadb "
                      "(prepared)",
             .anchor = "BM_libmariadb_single_rows",
             .ours = "BM_tern_single_rows",
             .unit = "row"},
            {.label = "MariaDB: " + rows +
                      " rows in INSERTs of 1,000: ORM insert_many vs libmariadb (same SQL, "
                      "prepared)",
             .anchor = "BM_libmariadb_batches",
             .ours = "BM_tern_orm_insert_many",
             .unit = "row"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
