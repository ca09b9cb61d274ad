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
#include "point_select_workload.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::point_select_workload;

void BM_libpq_point_select(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "sel", kPointSelect, 1, nullptr));
  std::minstd_rand rng(42);
  const int binary = 1;
  measure(state, kWarmUp, [&] {
    const std::uint32_t aid = htonl(static_cast<std::uint32_t>(random_aid(rng)));
    const char* values[1] = {reinterpret_cast<const char*>(&aid)};
    const int lengths[1] = {4};
    PGresult* r = PQexecPrepared(c, "sel", 1, values, lengths, &binary, 1);
    if (PQntuples(r) != 1) state.SkipWithError("no row");
    benchmark::DoNotOptimize(read_be32(PQgetvalue(r, 0, 0)));
    PQclear(r);
  });
  PQfinish(c);
}

tern::pg::Params params_of(std::int32_t aid) {
  return tern::pg::Params(aid);
}

}  // namespace

int main(int argc, char** argv) {
  return point_select_workload::run<tern_pg_connect, params_of, kPointSelect>(
      argc, argv, "PG: pg::Connection vs libpq (sync, prepared)", "BM_libpq_point_select",
      BM_libpq_point_select, pg_create_accounts);
}
