// Workload 1 on SQLite: a prepared point select by primary key on a 100k-row table, one query
// at a time — tern's sqlite::Connection (each call runs on the connection's worker thread and
// hands the rows back to the loop through its eventfd) against the sqlite3 C API called on the
// benchmark's own thread (no hand-back), in the same process, on the same database. What the
// ratio shows is the cost of the thread hop.
//
//   BENCH_SQLITE=wal|memory bench/sqlite-point-select     (see sqlite_common.hpp)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "program.hpp"
#include "sqlite_common.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;

constexpr int kWarmUp = 100;
const std::string kPointSelect = "SELECT abalance FROM bench_accounts WHERE aid = ?";

// bench_accounts (pgbench's shape), filled once.
void create_accounts() {
  sqlite3* db = sqlite_open();
  sqlite_exec(db,
              "CREATE TABLE IF NOT EXISTS bench_accounts (aid INTEGER PRIMARY KEY, bid INTEGER, "
              "abalance INTEGER, filler TEXT)");
  if (sqlite_scalar(db, "SELECT count(*) FROM bench_accounts") != kAccounts) {
    sqlite_exec(db,
                "DELETE FROM bench_accounts;"
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) "
                "INSERT INTO bench_accounts SELECT n, (n - 1) / 100000 + 1, n % 1000, "
                "printf('%84s', '') FROM g");
  }
  sqlite3_close_v2(db);
}

void BM_sqlite3_point_select(benchmark::State& state) {
  sqlite3* db = sqlite_open();
  sqlite3_stmt* s = sqlite_prepare(db, kPointSelect);
  std::minstd_rand rng(42);
  measure(state, kWarmUp, [&] {
    sqlite3_bind_int(s, 1, random_aid(rng));
    if (sqlite3_step(s) != SQLITE_ROW) state.SkipWithError("no row");
    benchmark::DoNotOptimize(sqlite3_column_int(s, 0));
    sqlite3_reset(s);
  });
  sqlite3_finalize(s);
  sqlite3_close_v2(db);
}

template <tern::ring::Backend backend>
void BM_tern_point_select(benchmark::State& state) {
  std::minstd_rand rng(42);
  // One Params for every query (clear() keeps its storage), as the database layer keeps one.
  tern::sqlite::Params params;
  auto rounds_of = [&](TernSqlite& conn, WarmedLoop& rounds) -> tern::ring::Task<void> {
    while (rounds.next()) {
      params.clear();
      params.add_integer(random_aid(rng));
      const tern::sqlite::Result r = co_await conn.execute(kPointSelect, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
    }
  };
  measure_on_connection<tern_sqlite_connect>(state, kWarmUp, rounds_of, 1, backend);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string label =
      "SQLite (" + sqlite_kind() + "): sqlite::Connection vs the sqlite3 C API (prepared)";
  return run_cases(
      argc, argv, "1", "q", 0,
      {{label, "BM_sqlite3_point_select", BM_sqlite3_point_select, "BM_tern_point_select",
        BM_tern_point_select<tern::ring::Backend::automatic>},
       {label + ", tern on the epoll fallback", "BM_sqlite3_point_select", BM_sqlite3_point_select,
        "BM_tern_point_select_epoll", BM_tern_point_select<tern::ring::Backend::epoll>}},
      create_accounts);
}
