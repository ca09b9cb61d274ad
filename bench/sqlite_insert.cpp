// Workload 4 on SQLite: insert throughput of rows of (int8, text, float8, timestamp) into an
// empty table, on a WAL file or in memory (BENCH_SQLITE, see sqlite_common.hpp).
//   - 100k single-row INSERTs in one transaction, one at a time: tern's sqlite::Connection
//     (a worker-thread hop per row) against the sqlite3 C API on the benchmark's thread (both
//     prepared; the timestamp bound as the text tern writes).
//   - The same rows in INSERTs of 1,000 rows each: the ORM's `BenchInsert::insert_many(batch)`
//     against the C API running the very statement the ORM generates (4,000 parameters,
//     RETURNING the ids), prepared.
//
//   BENCH_SQLITE=wal|memory bench/sqlite-insert          BENCH_INSERT_ROWS=10000 for a quicker run
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "insert_workload.hpp"
#include "models.hpp"
#include "sqlite_common.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::insert_workload;
using tern::ring::Task;

const std::string kInsertOne = "INSERT INTO bench_insert (n, t, f, ts) VALUES (?, ?, ?, ?)";

std::unique_ptr<tern::AioDatabase> open_db(const tern::DatabaseOptions& options) {
  return std::make_unique<tern::SqliteDatabase>(sqlite_path(), options);
}

// Empties the table between runs, on a connection of its own, closed with the last copy.
std::function<void()> admin_truncate() {
  const std::shared_ptr<sqlite3> db(sqlite_open(), sqlite3_close_v2);
  return [db] { sqlite_exec(db.get(), "DELETE FROM bench_insert"); };
}

// Binds `r` to parameters `first`.. of `s`; the timestamp's text goes to `ts` (kept by the
// caller while the statement runs).
void bind_row(sqlite3_stmt* s, int first, const BenchInsert& r, std::string& ts) {
  sqlite_timestamp_text(ts, r.ts);
  sqlite3_bind_int64(s, first, r.n);
  sqlite3_bind_text64(s, first + 1, r.t.data(), r.t.size(), SQLITE_STATIC, SQLITE_UTF8);
  sqlite3_bind_double(s, first + 2, r.f);
  sqlite3_bind_text64(s, first + 3, ts.data(), ts.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// ---- single-row inserts in one transaction ----

void BM_sqlite3_single_rows(benchmark::State& state) {
  sqlite3* db = sqlite_open();
  sqlite3_stmt* s = sqlite_prepare(db, kInsertOne);
  std::string ts;
  Runs runs(state, admin_truncate());
  while (runs.next()) {
    sqlite_exec(db, "BEGIN IMMEDIATE");
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (const BenchInsert& row : batch) {
        bind_row(s, 1, row, ts);
        sqlite_check(db, sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
      }
    }
    sqlite_exec(db, "COMMIT");
  }
  runs.finish();
  sqlite3_finalize(s);
  sqlite3_close_v2(db);
}

void BM_tern_single_rows(benchmark::State& state) {
  tern::ring::Loop loop;
  TernSqlite conn = tern_sqlite_connect(loop);
  auto body = [&]() -> Task<void> {
    // One Params and one timestamp text for every row: clear() keeps the storage.
    tern::sqlite::Params params;
    std::string ts;
    Runs runs(state, admin_truncate());
    while (runs.next()) {
      co_await conn.conn.exec("BEGIN IMMEDIATE", tern::ring::kNoDeadline);
      for (const std::vector<BenchInsert>& batch : batches()) {
        for (const BenchInsert& row : batch) {
          bind_tern_row(params, row, ts);
          co_await conn.execute(kInsertOne, params);
        }
      }
      co_await conn.conn.exec("COMMIT", tern::ring::kNoDeadline);
    }
    runs.finish();
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

// ---- batches of 1,000 rows ----

void BM_sqlite3_batches(benchmark::State& state) {
  sqlite3* db = sqlite_open();
  sqlite3_stmt* s = sqlite_prepare(db, insert_sql<BenchInsert>(tern::Dialect::kSqlite, kBatch));
  std::string ts;
  Runs runs(state, admin_truncate());
  while (runs.next()) {
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (std::size_t i = 0; i < batch.size(); ++i)
        bind_row(s, static_cast<int>(4 * i + 1), batch[i], ts);
      std::size_t ids = 0;
      int rc = 0;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        benchmark::DoNotOptimize(sqlite3_column_int64(s, 0));  // RETURNING "id"
        ++ids;
      }
      sqlite_check(db, rc, SQLITE_DONE);
      if (ids != batch.size()) throw std::runtime_error("missing ids");
      sqlite3_reset(s);
    }
  }
  runs.finish();
  sqlite3_finalize(s);
  sqlite3_close_v2(db);
}

}  // namespace

int main(int argc, char** argv) {
  return insert_workload::run<open_db, admin_truncate, /*keys=*/true>(
      argc, argv, "SQLite (" + sqlite_kind() + ")", "sqlite::Connection", "sqlite3",
      {BM_sqlite3_single_rows, BM_tern_single_rows, BM_sqlite3_batches});
}
