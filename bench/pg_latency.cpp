// Workload 7 of the benchmark plan (PostgreSQL): latency under load, open loop — the point
// select of workload 1 offered at half of libpq's measured maximum (its asynchronous API on 8
// connections), to tern's pool of 8 with pipeline_depth 32 and to libpq's asynchronous API on 8
// connections, p50/p99/p99.9 per query from its due time. See latency_workload.hpp.
//
//   TERN_PG_URL=postgresql://... bench/pg-latency     (bench/run sets the URL up)
//   BENCH_LATENCY_SECONDS=5 BENCH_LATENCY_LOAD=50 BENCH_LATENCY_SLICES=25
#include <memory>

#include "latency_workload.hpp"
#include "pg_async.hpp"
#include "pg_common.hpp"
#include "tern/db/database.hpp"

int main() {
  using namespace tern::bench;
  return latency_workload::run<LibpqDriver>(
      {.server = "PG",
       .anchor = "libpq async API",
       .database = "PooledPostgresqlDatabase",
       .select = kPointSelect,
       .make_driver =
           [] {
             return std::make_unique<LibpqDriver>(latency_workload::kConnections, 1, kPointSelect,
                                                  1);
           },
       .open = [](const tern::DatabaseOptions& options) -> std::unique_ptr<tern::AioDatabase> {
         return std::make_unique<tern::PooledPostgresqlDatabase>(
             tern::pg::ConnectOptions::parse(pg_url()), options);
       },
       .setup = pg_create_accounts});
}
