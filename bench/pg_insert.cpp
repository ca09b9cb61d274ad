// Workload 4 of the benchmark plan (PostgreSQL): insert throughput of rows of (int8, text,
// float8, timestamptz) into an empty table.
//   - 100k single-row INSERTs in one transaction, one at a time: tern's pg::Connection
//     against libpq (both prepared, binary parameters).
//   - The same rows in INSERTs of 1,000 rows each: the ORM's `BenchInsert::insert_many(batch)`
//     against libpq sending the very statement the ORM generates (4,000 binary parameters,
//     RETURNING the ids) as a prepared statement.
//
//   TERN_PG_URL=postgresql://... bench/pg-insert
//   BENCH_INSERT_ROWS=10000 for a quicker run.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

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

constexpr std::size_t kBatch = 1'000;
const std::int64_t kRowCount = env_int("BENCH_INSERT_ROWS", 100'000);
constexpr const char* kInsertOne = "INSERT INTO bench_insert (n, t, f, ts) VALUES ($1, $2, $3, $4)";
// The types tern binds for the model's fields: int8, text, float8, timestamptz.
constexpr Oid kTypes[4] = {20, 25, 701, 1184};

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
  g_db = std::make_unique<tern::PooledPostgresqlDatabase>(
      tern::pg::ConnectOptions::parse(pg_url()), tern::DatabaseOptions{.max_connections = 1});
  tern::ring::sync_wait(loop, BenchInsert::aio_create_table());
  tern::ring::sync_wait(loop, g_db->aio_close());
  g_db.reset();
}

// Empties the table between runs, outside the measurement.
void truncate(benchmark::State& state, PGconn* c) {
  state.PauseTiming();
  libpq_exec(c, "TRUNCATE bench_insert");
  state.ResumeTiming();
}

// A row's binary parameters for libpq, kept alive in `scratch` (3 words per row).
void bind_row(const BenchInsert& r, std::uint64_t* scratch, const char** values, int* lengths) {
  scratch[0] = be64(static_cast<std::uint64_t>(r.n));
  std::uint64_t f;
  std::memcpy(&f, &r.f, 8);
  scratch[1] = be64(f);
  scratch[2] = be64(static_cast<std::uint64_t>(r.ts.time_since_epoch().count() - kPgEpochUs));
  values[0] = reinterpret_cast<const char*>(&scratch[0]);
  values[1] = r.t.data();
  values[2] = reinterpret_cast<const char*>(&scratch[1]);
  values[3] = reinterpret_cast<const char*>(&scratch[2]);
  lengths[0] = 8;
  lengths[1] = static_cast<int>(r.t.size());
  lengths[2] = 8;
  lengths[3] = 8;
}

// ---- single-row inserts in one transaction ----

void BM_libpq_single_rows(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "one", kInsertOne, 4, kTypes));
  const int formats[4] = {1, 1, 1, 1};
  const AllocCount allocs;
  for (auto _ : state) {
    truncate(state, c);
    libpq_exec(c, "BEGIN");
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (const BenchInsert& row : batch) {
        std::uint64_t scratch[3];
        const char* values[4];
        int lengths[4];
        bind_row(row, scratch, values, lengths);
        PGresult* r = PQexecPrepared(c, "one", 4, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(c));
        PQclear(r);
      }
    }
    libpq_exec(c, "COMMIT");
  }
  finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  PQfinish(c);
}

void BM_tern_single_rows(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  PGconn* admin = libpq_connect();
  auto body = [&]() -> Task<void> {
    const tern::pg::Params none;  // named: GCC 12 and braced temporaries in co_await
    const AllocCount allocs;
    for (auto _ : state) {
      truncate(state, admin);
      co_await conn.execute("BEGIN", none);
      for (const std::vector<BenchInsert>& batch : batches()) {
        for (const BenchInsert& row : batch) {
          const tern::pg::Params params(row.n, row.t, row.f, row.ts);
          co_await conn.execute(kInsertOne, params);
        }
      }
      co_await conn.execute("COMMIT", none);
    }
    finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
  PQfinish(admin);
}

// ---- batches of 1,000 rows ----

void BM_libpq_batches(benchmark::State& state) {
  PGconn* c = libpq_connect();
  const std::string sql = insert_sql<BenchInsert>(tern::Dialect::kPostgres, kBatch);
  std::vector<Oid> types;
  for (std::size_t i = 0; i < kBatch; ++i)
    types.insert(types.end(), std::begin(kTypes), std::end(kTypes));
  PQclear(PQprepare(c, "many", sql.c_str(), static_cast<int>(types.size()), types.data()));
  std::vector<std::uint64_t> scratch(3 * kBatch);
  std::vector<const char*> values(4 * kBatch);
  std::vector<int> lengths(4 * kBatch);
  const std::vector<int> formats(4 * kBatch, 1);
  const AllocCount allocs;
  for (auto _ : state) {
    truncate(state, c);
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (std::size_t i = 0; i < batch.size(); ++i)
        bind_row(batch[i], &scratch[3 * i], &values[4 * i], &lengths[4 * i]);
      // A short last batch would need its own statement; BENCH_INSERT_ROWS is a multiple.
      PGresult* r = PQexecPrepared(c, "many", static_cast<int>(4 * batch.size()), values.data(),
                                   lengths.data(), formats.data(), 1);
      if (PQntuples(r) != static_cast<int>(batch.size())) {
        throw std::runtime_error(PQerrorMessage(c));
      }
      benchmark::DoNotOptimize(read_be64(PQgetvalue(r, PQntuples(r) - 1, 0)));  // the last id
      PQclear(r);
    }
  }
  finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
  PQfinish(c);
}

void BM_tern_orm_insert_many(benchmark::State& state) {
  tern::ring::Loop loop;
  g_db = std::make_unique<tern::PooledPostgresqlDatabase>(
      tern::pg::ConnectOptions::parse(pg_url()),
      tern::DatabaseOptions{.min_connections = 1, .max_connections = 1});
  PGconn* admin = libpq_connect();
  auto body = [&]() -> Task<void> {
    co_await g_db->aio_connect();
    const AllocCount allocs;
    for (auto _ : state) {
      truncate(state, admin);
      for (const std::vector<BenchInsert>& batch : batches()) {
        const auto insert = BenchInsert::insert_many(batch);
        const std::vector<std::int64_t> keys = co_await insert.aio_execute();
        benchmark::DoNotOptimize(keys.data());
      }
    }
    finish(state, static_cast<double>(state.iterations() * kRowCount), allocs);
    co_await g_db->aio_close();
  };
  tern::ring::sync_wait(loop, body());
  g_db.reset();
  PQfinish(admin);
}

// One run is the whole data set; bench/run repeats it.
BENCHMARK(BM_libpq_single_rows)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_tern_single_rows)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_libpq_batches)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
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
  RatioReporter reporter("4", {{.label = "PG: " + rows +
                                         " single-row INSERTs in one transaction: pg::Connection "
                                         "vs libpq (prepared)",
                                .anchor = "BM_libpq_single_rows",
                                .ours = "BM_tern_single_rows",
                                .unit = "row"},
                               {.label = "PG: " + rows +
                                         " rows in INSERTs of 1,000: ORM insert_many vs libpq "
                                         "(same SQL, prepared)",
                                .anchor = "BM_libpq_batches",
                                .ours = "BM_tern_orm_insert_many",
                                .unit = "row"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
