// Workload 1 of the benchmark plan for MySQL/MariaDB: a prepared point select by primary key
// on a 100k-row table, one connection, one query at a time — tern against libmariadb (the
// anchor, prepared statement API) in the same process run, against the same server.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-point-select     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

#include "ratio_reporter.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

constexpr int kRows = 100'000;
constexpr const char* kSelect = "SELECT abalance FROM bench_accounts WHERE aid = ?";

tern::mysql::ConnectOptions options() {
  const char* u = std::getenv("TERN_MYSQL_URL");
  if (u == nullptr) throw std::runtime_error("TERN_MYSQL_URL is not set (run through bench/run)");
  return tern::mysql::ConnectOptions::parse(u);
}

MYSQL* anchor_connect() {
  const tern::mysql::ConnectOptions o = options();
  MYSQL* c = mysql_init(nullptr);
  const unsigned ssl_off = 0;  // compare like with like: tern's URL has no ssl-mode, so both
  mysql_optionsv(c, MYSQL_OPT_SSL_ENFORCE, &ssl_off);  // use plain TCP on loopback
  if (mysql_real_connect(c, o.host.c_str(), o.user.c_str(), o.password.c_str(), o.database.c_str(),
                         o.port, nullptr, 0) == nullptr) {
    throw std::runtime_error(mysql_error(c));
  }
  return c;
}

void create_table() {
  MYSQL* c = anchor_connect();
  for (const char* sql :
       {"CREATE TABLE IF NOT EXISTS bench_accounts (aid INT PRIMARY KEY, bid INT, abalance INT, "
        "filler CHAR(84))",
        "INSERT IGNORE INTO bench_accounts SELECT seq, seq % 10, seq * 2, '' FROM "
        "seq_1_to_100000"}) {
    if (mysql_query(c, sql) != 0) throw std::runtime_error(mysql_error(c));
  }
  mysql_close(c);
}

void BM_libmariadb_point_select(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = mysql_stmt_init(c);
  if (mysql_stmt_prepare(stmt, kSelect, std::strlen(kSelect)) != 0) {
    state.SkipWithError(mysql_stmt_error(stmt));
    return;
  }
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
  for (auto _ : state) {
    aid = static_cast<std::int32_t>(rng() % kRows + 1);
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_fetch(stmt) != 0) state.SkipWithError("no row");
    while (mysql_stmt_fetch(stmt) == 0) {
    }
    benchmark::DoNotOptimize(balance);
  }
  state.SetItemsProcessed(state.iterations());
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_point_select(benchmark::State& state) {
  tern::ring::Loop loop;
  auto conn = tern::ring::sync_wait(loop, tern::mysql::Connection::connect(loop, options()));
  std::minstd_rand rng(42);
  auto body = [&]() -> tern::ring::Task<void> {
    for (auto _ : state) {
      tern::mysql::Params params;
      params.add(static_cast<std::int32_t>(rng() % kRows + 1));
      const tern::mysql::Result r = co_await conn.execute(kSelect, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
    }
  };
  tern::ring::sync_wait(loop, body());
  state.SetItemsProcessed(state.iterations());
  tern::ring::sync_wait(loop, conn.close());
}

BENCHMARK(BM_libmariadb_point_select)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_tern_point_select)->MinTime(2.0)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  create_table();
  tern::bench::RatioReporter reporter("MySQL point select, 1 connection",
                                      "BM_libmariadb_point_select", "BM_tern_point_select");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
}
