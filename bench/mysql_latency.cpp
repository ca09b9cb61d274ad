// Workload 7 of the benchmark plan (MySQL/MariaDB): latency under load, open loop — the point
// select of workload 1 offered at half of libmariadb's measured maximum (its non-blocking API
// on 8 connections), to tern's pool of 8 with pipeline_depth 32 and to libmariadb's
// non-blocking API on 8 connections, p50/p99/p99.9 per query from its due time. See
// latency_workload.hpp.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-latency     (bench/run sets the URL up)
//   BENCH_LATENCY_SECONDS=5 BENCH_LATENCY_LOAD=50 BENCH_LATENCY_SLICES=25
#include <memory>

#include "latency_workload.hpp"
#include "mysql_async.hpp"
#include "mysql_common.hpp"
#include "tern/db/database.hpp"

int main() {
  using namespace tern::bench;
  return latency_workload::run<MariadbDriver>(
      {.server = "MariaDB",
       .anchor = "libmariadb non-blocking API",
       .database = "PooledMySQLDatabase",
       .select = kPointSelect,
       .make_driver =
           [] {
             return std::make_unique<MariadbDriver>(latency_workload::kConnections, kPointSelect,
                                                    1);
           },
       .open = [](const tern::DatabaseOptions& options) -> std::unique_ptr<tern::AioDatabase> {
         return std::make_unique<tern::PooledMySQLDatabase>(mysql_options(), options);
       },
       .setup = mysql_create_accounts});
}
