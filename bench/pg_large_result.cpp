// Workload 3 of the benchmark plan (PostgreSQL): one query returning 1,000,000 rows of
// (int8, text, float8, timestamptz), every value decoded into the same struct on both sides —
// tern's pg::Connection::execute against libpq's PQexecParams, with binary and with text
// results. Reports rows/s, client CPU per row and the peak RSS of each run over its starting
// RSS (both drivers hold the whole result in memory).
//
//   TERN_PG_URL=postgresql://... bench/pg-large-result
//   BENCH_LARGE_ROWS=100000 for a quicker run (the table is rebuilt when the count differs).
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "large_result_workload.hpp"
#include "pg_common.hpp"
#include "program.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::large_result_workload;
using tern::pg::Format;

// The table, made once per data set size: short texts (no heap allocation in either
// driver's std::string), float8 values with 17 significant digits, microsecond timestamps.
void create_table() {
  PGconn* c = libpq_connect();
  libpq_exec(c,
             "CREATE TABLE IF NOT EXISTS bench_large (id int8, t text, f float8, ts timestamptz)");
  if (std::stoll(libpq_scalar(c, "SELECT count(*) FROM bench_large")) != kRows) {
    libpq_exec(c, "TRUNCATE bench_large");
    const std::string fill =
        "INSERT INTO bench_large SELECT g, 'text-' || g, g / 7.0::float8, "
        "timestamptz '2024-01-01 00:00:00+00' + g * interval '1.000001 second' "
        "FROM generate_series(1, " +
        std::to_string(kRows) + ") g";
    libpq_exec(c, fill.c_str());
    libpq_exec(c, "VACUUM ANALYZE bench_large");  // hint bits set once, not during a run
  }
  PQfinish(c);
}

void libpq_large(benchmark::State& state, int format) {
  PGconn* c = libpq_connect();
  std::int64_t sum = 0;
  Runs runs(state);
  for (auto _ : state) {
    runs.begin();
    PGresult* r = PQexecParams(c, kSelect, 0, nullptr, nullptr, nullptr, nullptr, format);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) throw std::runtime_error(PQerrorMessage(c));
    const int rows = PQntuples(r);
    DecodedRow d;
    for (int i = 0; i < rows; ++i) {
      if (format == 1) {
        d.id = read_be64(PQgetvalue(r, i, 0));
        d.text.assign(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1)));
        d.real = read_be_double(PQgetvalue(r, i, 2));
        d.micros = read_be64(PQgetvalue(r, i, 3)) + kPgEpochUs;
      } else {
        const char* v = PQgetvalue(r, i, 0);
        std::from_chars(v, v + PQgetlength(r, i, 0), d.id);
        d.text.assign(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1)));
        v = PQgetvalue(r, i, 2);
        std::from_chars(v, v + PQgetlength(r, i, 2), d.real);
        d.micros =
            parse_timestamp_us(PQgetvalue(r, i, 3), static_cast<std::size_t>(PQgetlength(r, i, 3)));
      }
      sum += d.fold();
    }
    runs.end(rows);
    // Observed every run: with the sum only read after the loop, GCC 12 -O3 produced a wrong
    // (and varying) total here while -O2 and -fwrapv builds did not.
    benchmark::DoNotOptimize(sum);
    PQclear(r);
  }
  runs.report(sum);
  PQfinish(c);
}

void tern_large(benchmark::State& state, Format format) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  std::int64_t sum = 0;
  auto body = [&]() -> tern::ring::Task<void> {
    const tern::pg::Params none;
    tern::pg::QueryOptions options;
    options.result_format = format;
    Runs runs(state);
    for (auto _ : state) {
      runs.begin();
      const tern::pg::Result r = co_await conn.execute(kSelect, none, options);
      DecodedRow d;
      for (const tern::pg::Row row : r) {
        d.id = row.get<std::int64_t>(0);
        d.text = row.get<std::string>(1);
        d.real = row.get<double>(2);
        d.micros = row.get<tern::pg::Timestamptz>(3).time_since_epoch().count();
        sum += d.fold();
      }
      runs.end(static_cast<std::int64_t>(r.size()));
      benchmark::DoNotOptimize(sum);
    }
    runs.report(sum);
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

void BM_libpq_binary(benchmark::State& state) {
  libpq_large(state, 1);
}
void BM_tern_binary(benchmark::State& state) {
  tern_large(state, Format::kBinary);
}
void BM_libpq_text(benchmark::State& state) {
  libpq_large(state, 0);
}
void BM_tern_text(benchmark::State& state) {
  tern_large(state, Format::kText);
}

}  // namespace

int main(int argc, char** argv) {
  // A few runs of ~1 s each: enough for a stable rate, and each run is measured for RSS.
  const std::string rows = "PG: " + std::to_string(kRows) + " rows, ";
  return run_cases(argc, argv, "3", "row", 3,
                   {{rows + "binary results: pg::Connection vs libpq", "BM_libpq_binary",
                     BM_libpq_binary, "BM_tern_binary", BM_tern_binary},
                    {rows + "text results: pg::Connection vs libpq", "BM_libpq_text", BM_libpq_text,
                     "BM_tern_text", BM_tern_text}},
                   create_table);
}
