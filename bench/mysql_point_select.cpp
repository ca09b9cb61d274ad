// Workload 1 of the benchmark plan for MySQL/MariaDB: a prepared point select by primary key
// on a 100k-row table, one connection, one query at a time — tern against libmariadb (the
// anchor, prepared statement API) in the same process run, against the same server, with the
// heap allocations per query of each (workload 6).
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-point-select     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <cstdint>
#include <random>

#include "common.hpp"
#include "mysql_common.hpp"
#include "ratio_reporter.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;

constexpr int kRows = 100'000;
constexpr int kWarmUp = 100;  // queries before the measured loop: statement cached, buffers grown
constexpr const char* kSelect = "SELECT abalance FROM bench_accounts WHERE aid = ?";

void BM_libmariadb_point_select(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kSelect);
  std::int32_t aid = 0;
  std::int32_t balance = 0;
  MYSQL_BIND param{};
  param.buffer_type = MYSQL_TYPE_LONG;
  param.buffer = &aid;
  MYSQL_BIND result{};
  result.buffer_type = MYSQL_TYPE_LONG;
  result.buffer = &balance;
  mysql_stmt_bind_param(stmt, &param);
  mysql_stmt_bind_result(stmt, &result);
  std::minstd_rand rng(42);
  const auto query = [&] {
    aid = static_cast<std::int32_t>(rng() % kRows + 1);
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_fetch(stmt) != 0) state.SkipWithError("no row");
    while (mysql_stmt_fetch(stmt) == 0) {
    }
    benchmark::DoNotOptimize(balance);
  };
  for (int i = 0; i < kWarmUp; ++i)
    query();
  const AllocCount allocs;
  for (auto _ : state)
    query();
  finish(state, static_cast<double>(state.iterations()), allocs);
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_point_select(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect(loop);
  std::minstd_rand rng(42);
  // The whole loop runs inside one task: what is measured is the driver, not sync_wait.
  auto body = [&]() -> tern::ring::Task<void> {
    WarmedLoop rounds(state, kWarmUp);
    // Warm-up queries first, then the measured loop; the same code runs both.
    while (rounds.next()) {
      tern::mysql::Params params;
      params.add(static_cast<std::int32_t>(rng() % kRows + 1));
      const tern::mysql::Result r = co_await conn.execute(kSelect, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
    }
    rounds.finish(static_cast<double>(state.iterations()));
  };
  tern::ring::sync_wait(loop, body());
  tern::ring::sync_wait(loop, conn.close());
}

BENCHMARK(BM_libmariadb_point_select)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_tern_point_select)->MinTime(1.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  mysql_create_accounts();
  RatioReporter reporter("1", {{.label = "MariaDB: mysql::Connection vs libmariadb (prepared)",
                                .anchor = "BM_libmariadb_point_select",
                                .ours = "BM_tern_point_select"}});
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
