// Workload 5 on SQLite: the ORM's cost. BenchItem::aio_get by key and BenchItem::aio_create on
// a pool of one connection, against the sqlite3 C API running the SQL the ORM generates
// (prepared, decoded into the same struct, the timestamp parsed from the text tern writes) on
// the benchmark's thread, and against tern's sqlite::Connection running it (the ORM and the
// database layer alone). WAL file or in memory: BENCH_SQLITE, see sqlite_common.hpp.
//
//   BENCH_SQLITE=wal|memory bench/sqlite-orm
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "models.hpp"
#include "orm_workload.hpp"
#include "sqlite_common.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::orm_workload;
using tern::ring::Task;

const std::string kGetSql = get_sql(tern::Dialect::kSqlite);
const std::string kCreateSql = insert_sql<BenchItem>(tern::Dialect::kSqlite, 1);

// A pool of one connection for the ORM, on `loop`.
void open_orm(tern::ring::Loop& loop) {
  orm_workload::open_pool_of_one<tern::SqliteDatabase>(loop, sqlite_path());
}

// The table: created by the ORM, filled once (the timestamps as the text tern writes).
void create_table() {
  orm_workload::create_table(open_orm);
  sqlite3* db = sqlite_open();
  sqlite_exec(db, "DELETE FROM bench_items WHERE id > 100000");  // rows a previous run created
  if (sqlite_scalar(db, "SELECT count(*) FROM bench_items") != kRows) {
    sqlite_exec(db,
                "DELETE FROM bench_items;"
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) "
                "INSERT INTO bench_items (id, n, t, f, ts) SELECT n, n, 'text-' || n, n / 7.0, "
                "strftime('%Y-%m-%d %H:%M:%S', 1704067200 + n, 'unixepoch') FROM g");
  }
  sqlite3_close_v2(db);
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) as an Instant: what the anchor decodes, as tern does.
tern::Instant parse_instant(const unsigned char* text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, us = 0;
  if (std::sscanf(reinterpret_cast<const char*>(text), "%d-%d-%d %d:%d:%d.%d", &y, &mo, &d, &h, &mi,
                  &s, &us) < 6) {
    throw std::runtime_error("not a timestamp");
  }
  const std::chrono::sys_days day = std::chrono::year(y) /
                                    std::chrono::month(static_cast<unsigned>(mo)) /
                                    std::chrono::day(static_cast<unsigned>(d));
  return tern::Instant(std::chrono::duration_cast<std::chrono::microseconds>(
      day.time_since_epoch() + std::chrono::hours(h) + std::chrono::minutes(mi) +
      std::chrono::seconds(s) + std::chrono::microseconds(us)));
}

// ---- aio_get by key ----

void BM_sqlite3_get(benchmark::State& state) {
  sqlite3* db = sqlite_open();
  sqlite3_stmt* s = sqlite_prepare(db, kGetSql);
  const bool limit_is_param = sqlite3_bind_parameter_count(s) == 2;
  std::minstd_rand rng(42);
  measure(state, kWarmUp, [&] {
    sqlite3_bind_int64(s, 1, random_key(rng));
    if (limit_is_param) sqlite3_bind_int64(s, 2, 1);
    if (sqlite3_step(s) != SQLITE_ROW) throw std::runtime_error("no row");
    BenchItem item;
    item.id = sqlite3_column_int64(s, 0);
    item.n = sqlite3_column_int64(s, 1);
    item.t.assign(reinterpret_cast<const char*>(sqlite3_column_text(s, 2)),
                  static_cast<std::size_t>(sqlite3_column_bytes(s, 2)));
    item.f = sqlite3_column_double(s, 3);
    item.ts = parse_instant(sqlite3_column_text(s, 4));
    benchmark::DoNotOptimize(item);
    sqlite3_reset(s);
  });
  sqlite3_finalize(s);
  sqlite3_close_v2(db);
}

// kGetSql's parameters for `key`: one Params refilled (clear() keeps its storage).
const tern::sqlite::Params& get_params(std::int64_t key) {
  static const bool limit_is_param = kGetSql.find('?') != kGetSql.rfind('?');
  static tern::sqlite::Params params;
  params.clear();
  params.add_integer(key);
  if (limit_is_param) params.add_integer(1);
  return params;
}

// ---- aio_create ----

void BM_sqlite3_create(benchmark::State& state) {
  sqlite3* db = sqlite_open();
  sqlite3_stmt* s = sqlite_prepare(db, kCreateSql);
  std::int64_t i = 0;
  std::string ts;
  measure(state, kWarmUp, [&] {
    const BenchItem item = make_row<BenchItem>(++i);
    sqlite_timestamp_text(ts, item.ts);
    sqlite3_bind_int64(s, 1, item.n);
    sqlite3_bind_text64(s, 2, item.t.data(), item.t.size(), SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_double(s, 3, item.f);
    sqlite3_bind_text64(s, 4, ts.data(), ts.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (sqlite3_step(s) != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db));
    benchmark::DoNotOptimize(sqlite3_column_int64(s, 0));  // RETURNING "id"
    sqlite_check(db, sqlite3_step(s), SQLITE_DONE);
    sqlite3_reset(s);
  });
  sqlite3_finalize(s);
  sqlite3_close_v2(db);
}

void BM_tern_driver_create(benchmark::State& state) {
  measure_on_connection<tern_sqlite_connect>(
      state, kWarmUp, [&](TernSqlite& conn, WarmedLoop& rounds) -> Task<void> {
        std::int64_t i = 0;
        tern::sqlite::Params params;
        std::string ts;
        while (rounds.next()) {
          const BenchItem item = make_row<BenchItem>(++i);
          bind_tern_row(params, item, ts);
          const tern::sqlite::Result r = co_await conn.execute(kCreateSql, params);
          if (r.size() != 1) throw std::runtime_error("no id");
          benchmark::DoNotOptimize(r.row(0).get<std::int64_t>(0));
        }
      });
}

}  // namespace

int main(int argc, char** argv) {
  const std::string server = "SQLite (" + sqlite_kind() + ")";
  return orm_workload::run<open_orm>(
      argc, argv, {server.c_str(), "sqlite3", "sqlite::Connection", kGetSql, kCreateSql},
      BM_sqlite3_get, BM_sqlite3_create,
      BM_tern_driver_get<tern_sqlite_connect, get_params, &kGetSql, tern::Instant>,
      BM_tern_driver_create, create_table);
}
