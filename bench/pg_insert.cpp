// Workload 4 of the benchmark plan (PostgreSQL): insert throughput of rows of (int8, text,
// float8, timestamptz) into an empty table.
//   - 100k single-row INSERTs in one transaction, one at a time: tern's pg::Connection
//     against libpq (both prepared, binary parameters).
//   - The same rows in INSERTs of 1,000 rows each: the ORM's `BenchInsert::insert_many(batch)`
//     against libpq sending the very statement the ORM generates (4,000 binary parameters,
//     RETURNING the ids) as a prepared statement.
//   - The same rows bulk-loaded: AioDatabase::aio_copy_in (binary COPY) against libpq's binary
//     COPY (PQputCopyData).
//
//   TERN_PG_URL=postgresql://... bench/pg-insert
//   BENCH_INSERT_ROWS=10000 for a quicker run.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "insert_workload.hpp"
#include "models.hpp"
#include "pg_common.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::insert_workload;
using tern::ring::Task;

constexpr const char* kInsertOne = "INSERT INTO bench_insert (n, t, f, ts) VALUES ($1, $2, $3, $4)";
// The types tern binds for the model's fields: int8, text, float8, timestamptz.
constexpr Oid kTypes[4] = {20, 25, 701, 1184};

std::unique_ptr<tern::AioDatabase> open_db(const tern::DatabaseOptions& options) {
  return std::make_unique<tern::PooledPostgresqlDatabase>(tern::pg::ConnectOptions::parse(pg_url()),
                                                          options);
}

// Empties the table between runs.
std::function<void()> truncate(PGconn* c) {
  return [c] { libpq_exec(c, "TRUNCATE bench_insert"); };
}
// The same on a connection of its own, closed with the last copy of the function.
std::function<void()> admin_truncate() {
  const std::shared_ptr<PGconn> c(libpq_connect(), PQfinish);
  return [c] { libpq_exec(c.get(), "TRUNCATE bench_insert"); };
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
  Runs runs(state, truncate(c));
  while (runs.next()) {
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
  runs.finish();
  PQfinish(c);
}

void BM_tern_single_rows(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  auto body = [&]() -> Task<void> {
    const tern::pg::Params none;  // named: GCC 12 and braced temporaries in co_await
    // One Params for every row, as a loop that cares would write it: clear() keeps the
    // storage, so a row costs no allocation (a Params built per row costs two).
    tern::pg::Params params;
    Runs runs(state, admin_truncate());
    while (runs.next()) {
      co_await conn.execute("BEGIN", none);
      for (const std::vector<BenchInsert>& batch : batches()) {
        for (const BenchInsert& row : batch) {
          params.clear();
          params.add(row.n);
          params.add(row.t);
          params.add(row.f);
          params.add(row.ts);
          co_await conn.execute(kInsertOne, params);
        }
      }
      co_await conn.execute("COMMIT", none);
    }
    runs.finish();
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
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
  Runs runs(state, truncate(c));
  while (runs.next()) {
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
  runs.finish();
  PQfinish(c);
}

// ---- bulk load: binary COPY ----

// libpq's COPY FROM STDIN in the binary format, as a libpq program that cares writes it: each
// row encoded by hand into a buffer sent with PQputCopyData every 64 KiB.
void BM_libpq_copy(benchmark::State& state) {
  PGconn* c = libpq_connect();
  Runs runs(state, truncate(c));
  std::string buf;
  auto put = [c](const std::string& data) {
    if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1) {
      throw std::runtime_error(PQerrorMessage(c));
    }
  };
  auto be16 = [&buf](std::uint16_t v) {
    buf.push_back(static_cast<char>(v >> 8));
    buf.push_back(static_cast<char>(v));
  };
  auto be32 = [&buf](std::uint32_t v) {
    for (int i = 3; i >= 0; --i)
      buf.push_back(static_cast<char>(v >> (8 * i)));
  };
  auto be64v = [&buf](std::uint64_t v) {
    for (int i = 7; i >= 0; --i)
      buf.push_back(static_cast<char>(v >> (8 * i)));
  };
  while (runs.next()) {
    PGresult* r = PQexec(c, "COPY bench_insert (n, t, f, ts) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN) throw std::runtime_error(PQerrorMessage(c));
    PQclear(r);
    buf.assign("PGCOPY\n\377\r\n\0", 11);
    be32(0);
    be32(0);
    for (const std::vector<BenchInsert>& batch : batches()) {
      for (const BenchInsert& row : batch) {
        be16(4);
        be32(8);
        be64v(static_cast<std::uint64_t>(row.n));
        be32(static_cast<std::uint32_t>(row.t.size()));
        buf.append(row.t);
        std::uint64_t f;
        std::memcpy(&f, &row.f, 8);
        be32(8);
        be64v(f);
        be32(8);
        be64v(static_cast<std::uint64_t>(row.ts.time_since_epoch().count() - kPgEpochUs));
        if (buf.size() >= 64 * 1024) {
          put(buf);
          buf.clear();
        }
      }
    }
    be16(0xffff);
    put(buf);
    if (PQputCopyEnd(c, nullptr) != 1) throw std::runtime_error(PQerrorMessage(c));
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(c));
    benchmark::DoNotOptimize(PQcmdTuples(r));
    PQclear(r);
    while ((r = PQgetResult(c)) != nullptr)
      PQclear(r);
  }
  runs.finish();
  PQfinish(c);
}

}  // namespace

int main(int argc, char** argv) {
  return insert_workload::run<open_db, admin_truncate, /*keys=*/true>(
      argc, argv, "PG", "pg::Connection", "libpq",
      {BM_libpq_single_rows, BM_tern_single_rows, BM_libpq_batches, BM_libpq_copy, "BM_libpq_copy",
       "libpq binary COPY (PQputCopyData, 64 KiB pieces)"});
}
