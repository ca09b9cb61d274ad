// Workload 1 of the benchmark plan: a prepared point select by primary key on a 100k-row
// table, one connection, one query at a time — tern against libpq (the anchor) in the same
// process run, against the same server. Prints both and the ratios.
//
//   TERN_PG_URL=postgresql://... bench/pg-point-select     (bench/run sets the URL up)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "ratio_reporter.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

constexpr int kRows = 100'000;
constexpr const char* kSelect = "SELECT abalance FROM bench_accounts WHERE aid = $1";

std::string url() {
  const char* u = std::getenv("TERN_PG_URL");
  if (u == nullptr) throw std::runtime_error("TERN_PG_URL is not set (run through bench/run)");
  return u;
}

PGconn* libpq_connect() {
  PGconn* c = PQconnectdb(url().c_str());
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  return c;
}

void create_table() {
  PGconn* c = libpq_connect();
  PGresult* r = PQexec(c,
                       "CREATE TABLE IF NOT EXISTS bench_accounts (aid int PRIMARY KEY, bid int, "
                       "abalance int, filler char(84));"
                       "INSERT INTO bench_accounts SELECT g, g % 10, g * 2, '' FROM "
                       "generate_series(1, 100000) g ON CONFLICT DO NOTHING");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) throw std::runtime_error(PQerrorMessage(c));
  PQclear(r);
  PQclear(PQexec(c, "VACUUM ANALYZE bench_accounts"));
  PQfinish(c);
}

void BM_libpq_point_select(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "sel", kSelect, 1, nullptr));
  std::minstd_rand rng(42);
  const int binary = 1;
  for (auto _ : state) {
    const std::uint32_t aid = htonl(static_cast<std::uint32_t>(rng() % kRows + 1));
    const char* values[1] = {reinterpret_cast<const char*>(&aid)};
    const int lengths[1] = {4};
    PGresult* r = PQexecPrepared(c, "sel", 1, values, lengths, &binary, 1);
    if (PQntuples(r) != 1) state.SkipWithError("no row");
    std::uint32_t v;
    std::memcpy(&v, PQgetvalue(r, 0, 0), 4);
    benchmark::DoNotOptimize(v);
    PQclear(r);
  }
  state.SetItemsProcessed(state.iterations());
  PQfinish(c);
}

void BM_tern_point_select(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern::ring::sync_wait(
      loop, tern::pg::Connection::connect(loop, tern::pg::ConnectOptions::parse(url())));
  std::minstd_rand rng(42);
  // The whole loop runs inside one task: what is measured is the driver, not sync_wait.
  auto body = [&]() -> tern::ring::Task<void> {
    for (auto _ : state) {
      const tern::pg::Params params(static_cast<std::int32_t>(rng() % kRows + 1));
      const tern::pg::Result r = co_await conn.execute(kSelect, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
    }
  };
  tern::ring::sync_wait(loop, body());
  state.SetItemsProcessed(state.iterations());
  tern::ring::sync_wait(loop, conn.close());
}

BENCHMARK(BM_libpq_point_select)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_tern_point_select)->MinTime(2.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  create_table();
  tern::bench::RatioReporter reporter("point select, 1 connection", "BM_libpq_point_select",
                                      "BM_tern_point_select");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
