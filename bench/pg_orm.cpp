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
#include "orm_workload.hpp"
#include "pg_common.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::orm_workload;
using tern::ring::Task;

const std::string kGetSql = get_sql(tern::Dialect::kPostgres);
const std::string kCreateSql = insert_sql<BenchItem>(tern::Dialect::kPostgres, 1);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = kGetSql.find("$2") != std::string::npos;

// A pool of one connection for the ORM, on `loop`.
void open_orm(tern::ring::Loop& loop) {
  orm_workload::open_pool_of_one<tern::PooledPostgresqlDatabase>(
      loop, tern::pg::ConnectOptions::parse(pg_url()));
}

// The table: created by the ORM, filled once.
void create_table() {
  orm_workload::create_table(open_orm);
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
  measure(state, kWarmUp, [&] {
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
  });
  PQfinish(c);
}

// kGetSql's parameters for `key`.
tern::pg::Params get_params(std::int64_t key) {
  tern::pg::Params params(key);
  if (kLimitIsParam) params.add(std::int64_t{1});
  return params;
}

// ---- aio_create ----

void BM_libpq_create(benchmark::State& state) {
  PGconn* c = libpq_connect();
  // The types tern binds: int8, text, float8, timestamptz.
  const Oid types[4] = {20, 25, 701, 1184};
  PQclear(PQprepare(c, "create", kCreateSql.c_str(), 4, types));
  std::int64_t i = 0;
  const int formats[4] = {1, 1, 1, 1};
  measure(state, kWarmUp, [&] {
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
  });
  PQfinish(c);
}

void BM_tern_driver_create(benchmark::State& state) {
  measure_on_connection<tern_pg_connect>(
      state, kWarmUp, [&](tern::pg::Connection& conn, WarmedLoop& rounds) -> Task<void> {
        std::int64_t i = 0;
        while (rounds.next()) {
          const BenchItem item = make_row<BenchItem>(++i);
          const tern::pg::Params params(item.n, item.t, item.f, item.ts);
          const tern::pg::Result r = co_await conn.execute(kCreateSql, params);
          if (r.size() != 1) throw std::runtime_error("no id");
          benchmark::DoNotOptimize(r.row(0).get<std::int64_t>(0));
        }
      });
}

}  // namespace

int main(int argc, char** argv) {
  return orm_workload::run<open_orm>(
      argc, argv, {"PG", "libpq", "pg::Connection", kGetSql, kCreateSql}, BM_libpq_get,
      BM_libpq_create,
      BM_tern_driver_get<tern_pg_connect, get_params, &kGetSql, tern::pg::Timestamptz>,
      BM_tern_driver_create, create_table);
}
