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
#include "point_select_workload.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::point_select_workload;

void BM_libmariadb_point_select(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kPointSelect);
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
  measure(state, kWarmUp, [&] {
    aid = random_aid(rng);
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_fetch(stmt) != 0) state.SkipWithError("no row");
    while (mysql_stmt_fetch(stmt) == 0) {
    }
    benchmark::DoNotOptimize(balance);
  });
  mysql_stmt_close(stmt);
  mysql_close(c);
}

tern::mysql::Params params_of(std::int32_t aid) {
  tern::mysql::Params params;
  params.add(aid);
  return params;
}

}  // namespace

int main(int argc, char** argv) {
  return point_select_workload::run<tern_mysql_connect, params_of, kPointSelect>(
      argc, argv, "MariaDB: mysql::Connection vs libmariadb (prepared)",
      "BM_libmariadb_point_select", BM_libmariadb_point_select, mysql_create_accounts);
}
