// Workload 5 of the benchmark plan (PostgreSQL): the ORM's cost. `BenchItem::aio_get(
// BenchItem::c.id == k)` by key on a 100k-row table and `BenchItem::aio_create(item)`, one at a
// time on a pool of one connection, against libpq running exactly the SQL the ORM generates
// (prepared, binary) and decoding into the same struct — and against tern's own
// pg::Connection running that SQL, which isolates the ORM + database layer from the driver.
// Heap allocations per operation are workload 6.
//
//   TERN_PG_URL=postgresql://... bench/pg-orm     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "models.hpp"
#include "pg_common.hpp"
#include "ratio_reporter.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using tern::ring::Task;

constexpr std::int64_t kRows = 100'000;
constexpr int kWarmUp = 100;  // operations before the measured loop
const std::string kGetSql = get_sql(tern::Dialect::kPostgres);
const std::string kCreateSql = insert_sql<BenchItem>(tern::Dialect::kPostgres, 1);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = kGetSql.find("$2") != std::string::npos;

std::int64_t random_key(std::minstd_rand& rng) {
  return static_cast<std::int64_t>(rng() % kRows + 1);
}

// The table: created by the ORM (so that its DDL is what is measured against), filled once.
void create_table() {
  tern::ring::Loop loop;
  tern::DatabaseOptions pool;
  pool.max_connections = 1;
  g_db = std::make_unique<tern::PooledPostgresqlDatabase>(tern::pg::ConnectOptions::parse(pg_url()),
                                                          pool);
  tern::ring::sync_wait(loop, BenchItem::aio_create_table());
  tern::ring::sync_wait(loop, g_db->aio_close());
  g_db.reset();
  PGconn* c = libpq_connect();
  libpq_exec(c, "DELETE FROM bench_items WHERE id > 100000");  // rows a previous run created
  if (std::stoll(libpq_scalar(c, "SELECT count(*) FROM bench_items")) != kRows) {
    libpq_exec(c,
               "TRUNCATE bench_items;"
               "INSERT INTO bench_items (id, n, t, f, ts) SELECT g, g, 'text-' || g, "
               "g / 7.0::float8, timestamptz '2024-01-01 00:00:00+00' + g * interval "
               "'1.000001 second' FROM generate_series(1, 100000) g");
    libpq_exec(c, "VACUUM ANALYZE bench_items");  // alone: VACUUM refuses a transaction block
  }
  libpq_exec(c, "SELECT setval(pg_get_serial_sequence('bench_items', 'id'), 100000)");
  PQfinish(c);
}

// A pool of one connection for the ORM, on `loop`.
void open_orm(tern::ring::Loop& loop) {
  tern::DatabaseOptions pool;
  pool.min_connections = 1;
  pool.max_connections = 1;
  g_db = std::make_unique<tern::PooledPostgresqlDatabase>(tern::pg::ConnectOptions::parse(pg_url()),
                                                          pool);
  tern::ring::sync_wait(loop, g_db->aio_connect());
}
void close_orm(tern::ring::Loop& loop) {
  tern::ring::sync_wait(loop, g_db->aio_close());
  g_db.reset();
}

tern::Instant instant_of_pg(const char* p) {
  return tern::Instant(std::chrono::microseconds(read_be64(p) + kPgEpochUs));
}

// ---- aio_get by key ----

void BM_libpq_get(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "get", kGetSql.c_str(), 0, nullptr));
  std::minstd_rand rng(42);
  const std::uint64_t one = be64(1);
  const int lengths[2] = {8, 8};
  const int formats[2] = {1, 1};
  const auto get = [&] {
    const std::uint64_t key = be64(static_cast<std::uint64_t>(random_key(rng)));
    const char* values[2] = {reinterpret_cast<const char*>(&key),
                             reinterpret_cast<const char*>(&one)};
    PGresult* r = PQexecPrepared(c, "get", kLimitIsParam ? 2 : 1, values, lengths, formats, 1);
    if (PQntuples(r) != 1) throw std::runtime_error("no row");
    BenchItem item;
    item.id = read_be64(PQgetvalue(r, 0, 0));
    item.n = read_be64(PQgetvalue(r, 0, 1));
    item.t.assign(PQgetvalue(r, 0, 2), static_cast<std::size_t>(PQgetlength(r, 0, 2)));
    item.f = read_be_double(PQgetvalue(r, 0, 3));
    item.ts = instant_of_pg(PQgetvalue(r, 0, 4));
    benchmark::DoNotOptimize(item);
    PQclear(r);
  };
  for (int i = 0; i < kWarmUp; ++i)
    get();
  const AllocCount allocs;
  for (auto _ : state)
    get();
  finish(state, static_cast<double>(state.iterations()), allocs);
  PQfinish(c);
}

void BM_tern_driver_get(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  std::minstd_rand rng(42);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    while (rounds.next()) {
      tern::pg::Params params(random_key(rng));
      if (kLimitIsParam) params.add(std::int64_t{1});
      const tern::pg::Result r = co_await conn.execute(kGetSql, params);
      if (r.size() != 1) throw std::runtime_error("no row");
      const tern::pg::Row row = r.row(0);
      BenchItem item;
      item.id = row.get<std::int64_t>(0);
      item.n = row.get<std::int64_t>(1);
      item.t = row.get<std::string>(2);
      item.f = row.get<double>(3);
      item.ts = row.get<tern::pg::Timestamptz>(4);
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

void BM_libpq_create(benchmark::State& state) {
  PGconn* c = libpq_connect();
  // The types tern binds: int8, text, float8, timestamptz.
  const Oid types[4] = {20, 25, 701, 1184};
  PQclear(PQprepare(c, "create", kCreateSql.c_str(), 4, types));
  std::int64_t i = 0;
  const int formats[4] = {1, 1, 1, 1};
  const auto create = [&] {
    const BenchItem item = make_row<BenchItem>(++i);
    const std::uint64_t n = be64(static_cast<std::uint64_t>(item.n));
    std::uint64_t f;
    std::memcpy(&f, &item.f, 8);
    f = be64(f);
    const std::uint64_t ts =
        be64(static_cast<std::uint64_t>(item.ts.time_since_epoch().count() - kPgEpochUs));
    const char* values[4] = {reinterpret_cast<const char*>(&n), item.t.data(),
                             reinterpret_cast<const char*>(&f), reinterpret_cast<const char*>(&ts)};
    const int lengths[4] = {8, static_cast<int>(item.t.size()), 8, 8};
    PGresult* r = PQexecPrepared(c, "create", 4, values, lengths, formats, 1);
    if (PQntuples(r) != 1) throw std::runtime_error(PQerrorMessage(c));
    benchmark::DoNotOptimize(read_be64(PQgetvalue(r, 0, 0)));
    PQclear(r);
  };
  for (int w = 0; w < kWarmUp; ++w)
    create();
  const AllocCount allocs;
  for (auto _ : state)
    create();
  finish(state, static_cast<double>(state.iterations()), allocs);
  PQfinish(c);
}

void BM_tern_driver_create(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  auto body = [&]() -> Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    std::int64_t i = 0;
    while (rounds.next()) {
      const BenchItem item = make_row<BenchItem>(++i);
      const tern::pg::Params params(item.n, item.t, item.f, item.ts);
      const tern::pg::Result r = co_await conn.execute(kCreateSql, params);
      if (r.size() != 1) throw std::runtime_error("no id");
      benchmark::DoNotOptimize(r.row(0).get<std::int64_t>(0));
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

BENCHMARK(BM_libpq_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_driver_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_orm_get)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_libpq_create)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_driver_create)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_orm_create)->MinTime(1.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  create_table();
  std::printf("aio_get SQL:    %s\naio_create SQL: %s\n\n", kGetSql.c_str(), kCreateSql.c_str());
  RatioReporter reporter("5", {{.label = "PG aio_get by key: ORM vs libpq (same SQL, prepared)",
                                .anchor = "BM_libpq_get",
                                .ours = "BM_tern_orm_get",
                                .unit = "op"},
                               {.label = "PG aio_get by key: ORM vs tern pg::Connection (same SQL)",
                                .anchor = "BM_tern_driver_get",
                                .ours = "BM_tern_orm_get",
                                .unit = "op"},
                               {.label = "PG aio_create: ORM vs libpq (same SQL, prepared)",
                                .anchor = "BM_libpq_create",
                                .ours = "BM_tern_orm_create",
                                .unit = "op"},
                               {.label = "PG aio_create: ORM vs tern pg::Connection (same SQL)",
                                .anchor = "BM_tern_driver_create",
                                .ours = "BM_tern_orm_create",
                                .unit = "op"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
