// Workload 1 of the benchmark plan: a prepared point select by primary key on a 100k-row
// table, one connection, one query at a time — tern against libpq (the anchor) in the same
// process run, against the same server. Prints both and the ratios, with the heap allocations
// per query of each (workload 6).
//
//   TERN_PG_URL=postgresql://... bench/pg-point-select     (bench/run sets the URL up)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "common.hpp"
#include "pg_common.hpp"
#include "ratio_reporter.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;

constexpr int kRows = 100'000;
constexpr int kWarmUp = 100;  // queries before the measured loop: statement cached, buffers grown
constexpr const char* kSelect = "SELECT abalance FROM bench_accounts WHERE aid = $1";

void BM_libpq_point_select(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "sel", kSelect, 1, nullptr));
  std::minstd_rand rng(42);
  const int binary = 1;
  const auto query = [&] {
    const std::uint32_t aid = htonl(static_cast<std::uint32_t>(rng() % kRows + 1));
    const char* values[1] = {reinterpret_cast<const char*>(&aid)};
    const int lengths[1] = {4};
    PGresult* r = PQexecPrepared(c, "sel", 1, values, lengths, &binary, 1);
    if (PQntuples(r) != 1) state.SkipWithError("no row");
    benchmark::DoNotOptimize(read_be32(PQgetvalue(r, 0, 0)));
    PQclear(r);
  };
  for (int i = 0; i < kWarmUp; ++i)
    query();
  const AllocCount allocs;
  for (auto _ : state)
    query();
  finish(state, static_cast<double>(state.iterations()), allocs);
  PQfinish(c);
}

void BM_tern_point_select(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_pg_connect(loop);
  std::minstd_rand rng(42);
  // The whole loop runs inside one task: what is measured is the driver, not sync_wait.
  auto body = [&]() -> tern::ring::Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    // Warm-up queries first, then the measured loop; the same code runs both.
    while (rounds.next()) {
      const tern::pg::Params params(static_cast<std::int32_t>(rng() % kRows + 1));
      const tern::pg::Result r = co_await conn.execute(kSelect, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

BENCHMARK(BM_libpq_point_select)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_point_select)->MinTime(1.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  pg_create_accounts();
  RatioReporter reporter("1", {{.label = "PG: pg::Connection vs libpq (sync, prepared)",
                                .anchor = "BM_libpq_point_select",
                                .ours = "BM_tern_point_select"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
