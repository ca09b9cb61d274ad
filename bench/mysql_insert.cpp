// Workload 4 of the benchmark plan (MySQL/MariaDB): insert throughput of rows of (BIGINT,
// TEXT, DOUBLE, DATETIME(6)) into an empty InnoDB table.
//   - 100k single-row INSERTs in one transaction, one at a time: tern's mysql::Connection
//     against libmariadb (both prepared statements).
//   - The same rows in INSERTs of 1,000 rows each: the ORM's `BenchInsert::insert_many(batch)`
//     against libmariadb executing the very statement the ORM generates (4,000 bound
//     parameters) as a prepared statement.
//   - The same rows bulk-loaded: AioDatabase::aio_copy_in (prepared multi-row INSERTs in one
//     transaction) against libmariadb's INSERTs of 1,000.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-insert
//   BENCH_INSERT_ROWS=10000 for a quicker run.
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "insert_workload.hpp"
#include "models.hpp"
#include "mysql_common.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::insert_workload;
using tern::ring::Task;

constexpr const char* kInsertOne = "INSERT INTO bench_insert (n, t, f, ts) VALUES (?, ?, ?, ?)";

std::unique_ptr<tern::AioDatabase> open_db(const tern::DatabaseOptions& options) {
  return std::make_unique<tern::PooledMySQLDatabase>(mysql_options(), options);
}

// Empties the table between runs.
std::function<void()> truncate(MYSQL* c) {
  return [c] { anchor_query(c, "TRUNCATE bench_insert"); };
}
// The same on a connection of its own, closed with the last copy of the function.
std::function<void()> admin_truncate() {
  const std::shared_ptr<MYSQL> c(anchor_connect(), mysql_close);
  return [c] { anchor_query(c.get(), "TRUNCATE bench_insert"); };
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
  Runs runs(state, truncate(c));
  while (runs.next()) {
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
  runs.finish();
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_single_rows(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect(loop);
  auto body = [&]() -> Task<void> {
    tern::mysql::Params params;
    Runs runs(state, admin_truncate());
    while (runs.next()) {
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
    runs.finish();
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

// ---- batches of 1,000 rows ----

void BM_libmariadb_batches(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, insert_sql<BenchInsert>(tern::Dialect::kMysql, kBatch));
  std::vector<MYSQL_BIND> binds(4 * kBatch);
  std::vector<unsigned long> lengths(kBatch);
  std::vector<MYSQL_TIME> times(kBatch);
  Runs runs(state, truncate(c));
  while (runs.next()) {
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (std::size_t i = 0; i < batch.size(); ++i)
        bind_row(batch[i], &binds[4 * i], &lengths[i], &times[i]);
      mysql_stmt_bind_param(stmt, binds.data());
      if (mysql_stmt_execute(stmt) != 0) throw std::runtime_error(mysql_stmt_error(stmt));
      benchmark::DoNotOptimize(mysql_stmt_insert_id(stmt));
    }
  }
  runs.finish();
  mysql_stmt_close(stmt);
  mysql_close(c);
}

}  // namespace

int main(int argc, char** argv) {
  return insert_workload::run<open_db, admin_truncate, /*keys=*/false>(
      argc, argv, "MariaDB", "mysql::Connection", "libmariadb",
      {BM_libmariadb_single_rows, BM_tern_single_rows, BM_libmariadb_batches, BM_libmariadb_batches,
       "BM_libmariadb_batches",
       "libmariadb INSERTs of 1,000 rows (prepared; MariaDB has no binary COPY, and LOAD DATA "
       "LOCAL INFILE is not used)"});
}
