// Workload 5 of the benchmark plan (MySQL/MariaDB): the ORM's cost. `BenchItem::aio_get(
// BenchItem::c.id == k)` by key on a 100k-row table and `BenchItem::aio_create(item)`, one at a
// time on a pool of one connection, against libmariadb running exactly the SQL the ORM
// generates (prepared statements, bound buffers) and decoding into the same struct — and
// against tern's own mysql::Connection running that SQL, which isolates the ORM + database
// layer from the driver. Heap allocations per operation are workload 6.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-orm     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

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

constexpr std::int64_t kRows = 100'000;
constexpr int kWarmUp = 100;  // operations before the measured loop
const std::string kGetSql = get_sql(tern::Dialect::kMysql);
const std::string kCreateSql = insert_sql<BenchItem>(tern::Dialect::kMysql, 1);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = std::count(kGetSql.begin(), kGetSql.end(), '?') == 2;

std::int64_t random_key(std::minstd_rand& rng) {
  return static_cast<std::int64_t>(rng() % kRows + 1);
}

void open_orm(tern::ring::Loop& loop) {
  tern::DatabaseOptions pool;
  pool.min_connections = 1;
  pool.max_connections = 1;
  g_db = std::make_unique<tern::PooledMySQLDatabase>(mysql_options(), pool);
  tern::ring::sync_wait(loop, g_db->aio_connect());
}
void close_orm(tern::ring::Loop& loop) {
  tern::ring::sync_wait(loop, g_db->aio_close());
  g_db.reset();
}

// The table: created by the ORM, filled once.
void create_table() {
  tern::ring::Loop loop;
  open_orm(loop);
  tern::ring::sync_wait(loop, BenchItem::aio_create_table());
  close_orm(loop);
  MYSQL* c = anchor_connect();
  anchor_query(c, "DELETE FROM bench_items WHERE id > 100000");  // rows a previous run created
  if (std::stoll(anchor_scalar(c, "SELECT COUNT(*) FROM bench_items")) != kRows) {
    anchor_query(c, "TRUNCATE bench_items");
    anchor_query(c,
                 "INSERT INTO bench_items (id, n, t, f, ts) SELECT seq, seq, CONCAT('text-', "
                 "seq), seq / 7e0, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1000001 "
                 "MICROSECOND FROM seq_1_to_100000");
  }
  anchor_query(c, "ALTER TABLE bench_items AUTO_INCREMENT = 100001");
  mysql_close(c);
}

tern::Instant instant_of(const MYSQL_TIME& t) {
  return tern::Instant(std::chrono::microseconds(
      (days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second) *
          1'000'000 +
      t.second_part));
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

// ---- aio_get by key ----

void BM_libmariadb_get(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kGetSql);
  std::int64_t key = 0;
  std::int64_t limit = 1;
  MYSQL_BIND in[2]{};
  in[0].buffer_type = MYSQL_TYPE_LONGLONG;
  in[0].buffer = &key;
  in[1].buffer_type = MYSQL_TYPE_LONGLONG;
  in[1].buffer = &limit;
  mysql_stmt_bind_param(stmt, in);
  BenchItem item;
  char text[64];
  unsigned long text_length = 0;
  MYSQL_TIME ts{};
  MYSQL_BIND out[5]{};
  out[0].buffer_type = MYSQL_TYPE_LONGLONG;
  out[0].buffer = &item.id;
  out[1].buffer_type = MYSQL_TYPE_LONGLONG;
  out[1].buffer = &item.n;
  out[2].buffer_type = MYSQL_TYPE_STRING;
  out[2].buffer = text;
  out[2].buffer_length = sizeof text;
  out[2].length = &text_length;
  out[3].buffer_type = MYSQL_TYPE_DOUBLE;
  out[3].buffer = &item.f;
  out[4].buffer_type = MYSQL_TYPE_DATETIME;
  out[4].buffer = &ts;
  mysql_stmt_bind_result(stmt, out);
  std::minstd_rand rng(42);
  const auto get = [&] {
    key = random_key(rng);
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_fetch(stmt) != 0) {
      throw std::runtime_error("no row");
    }
    item.t.assign(text, text_length);
    item.ts = instant_of(ts);
    while (mysql_stmt_fetch(stmt) == 0) {
    }
    benchmark::DoNotOptimize(item);
  };
  for (int i = 0; i < kWarmUp; ++i)
    get();
  const AllocCount allocs;
  for (auto _ : state)
    get();
  finish(state, static_cast<double>(state.iterations()), allocs);
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_driver_get(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect(loop);
  std::minstd_rand rng(42);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    tern::mysql::Params params;
    while (rounds.next()) {
      params.clear();
      params.add(random_key(rng));
      if (kLimitIsParam) params.add(std::int64_t{1});
      const tern::mysql::Result r = co_await conn.execute(kGetSql, params);
      if (r.size() != 1) throw std::runtime_error("no row");
      const tern::mysql::Row row = r.row(0);
      BenchItem item;
      item.id = row.get<std::int64_t>(0);
      item.n = row.get<std::int64_t>(1);
      item.t = row.get<std::string>(2);
      item.f = row.get<double>(3);
      item.ts = tern::Instant(row.get<tern::mysql::DateTime>(4).time_since_epoch());
      benchmark::DoNotOptimize(item);
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

void BM_tern_orm_get(benchmark::State& state) {
  tern::ring::Loop loop;
  open_orm(loop);
  std::minstd_rand rng(42);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    while (rounds.next()) {
      const auto condition = BenchItem::c.id == random_key(rng);
      const BenchItem item = co_await BenchItem::aio_get(condition);
      benchmark::DoNotOptimize(item);
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  close_orm(loop);
}

// ---- aio_create ----

void BM_libmariadb_create(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kCreateSql);
  BenchItem item;
  unsigned long text_length = 0;
  MYSQL_TIME ts{};
  MYSQL_BIND in[4]{};
  in[0].buffer_type = MYSQL_TYPE_LONGLONG;
  in[0].buffer = &item.n;
  in[1].buffer_type = MYSQL_TYPE_STRING;
  in[1].length = &text_length;
  in[2].buffer_type = MYSQL_TYPE_DOUBLE;
  in[2].buffer = &item.f;
  in[3].buffer_type = MYSQL_TYPE_DATETIME;
  in[3].buffer = &ts;
  std::int64_t i = 0;
  const auto create = [&] {
    item = make_row<BenchItem>(++i);
    in[1].buffer = item.t.data();
    text_length = item.t.size();
    ts = mysql_time_of(item.ts);
    mysql_stmt_bind_param(stmt, in);  // the text's buffer moves with each item
    if (mysql_stmt_execute(stmt) != 0) throw std::runtime_error(mysql_stmt_error(stmt));
    benchmark::DoNotOptimize(mysql_stmt_insert_id(stmt));
  };
  for (int w = 0; w < kWarmUp; ++w)
    create();
  const AllocCount allocs;
  for (auto _ : state)
    create();
  finish(state, static_cast<double>(state.iterations()), allocs);
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_driver_create(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect(loop);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    std::int64_t i = 0;
    tern::mysql::Params params;
    while (rounds.next()) {
      const BenchItem item = make_row<BenchItem>(++i);
      params.clear();
      params.add(item.n);
      params.add(std::string_view(item.t));
      params.add(item.f);
      params.add(tern::mysql::DateTime(item.ts.time_since_epoch()));
      const tern::mysql::Result r = co_await conn.execute(kCreateSql, params);
      benchmark::DoNotOptimize(r.last_insert_id());
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

void BM_tern_orm_create(benchmark::State& state) {
  tern::ring::Loop loop;
  open_orm(loop);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    std::int64_t i = 0;
    while (rounds.next()) {
      const BenchItem item = make_row<BenchItem>(++i);
      const BenchItem created = co_await BenchItem::aio_create(item);
      benchmark::DoNotOptimize(created.id);
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  close_orm(loop);
}

BENCHMARK(BM_libmariadb_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_driver_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_orm_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_libmariadb_create)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_driver_create)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_orm_create)->MinTime(1.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  create_table();
  std::printf("aio_get SQL:    %s\naio_create SQL: %s\n\n", kGetSql.c_str(), kCreateSql.c_str());
  RatioReporter reporter(
      "5", {{.label = "MariaDB aio_get by key: ORM vs libmariadb (same SQL, prepared)",
             .anchor = "BM_libmariadb_get",
             .ours = "BM_tern_orm_get",
             .unit = "op"},
            {.label = "MariaDB aio_get by key: ORM vs tern mysql::Connection (same SQL)",
             .anchor = "BM_tern_driver_get",
             .ours = "BM_tern_orm_get",
             .unit = "op"},
            {.label = "MariaDB aio_create: ORM vs libmariadb (same SQL, prepared)",
             .anchor = "BM_libmariadb_create",
             .ours = "BM_tern_orm_create",
             .unit = "op"},
            {.label = "MariaDB aio_create: ORM vs tern mysql::Connection (same SQL)",
             .anchor = "BM_tern_driver_create",
             .ours = "BM_tern_orm_create",
             .unit = "op"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
