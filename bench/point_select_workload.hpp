// Workload 1 (a prepared point select, one connection, one query at a time), what
// pg_point_select.cpp and mysql_point_select.cpp share: tern's side (the same loop on both
// drivers, only the parameters' type differs) and main(). The programs hold the anchors.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>

#include "common.hpp"
#include "program.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::point_select_workload {

inline constexpr int kWarmUp = 100;  // queries before the measured loop: statement cached,
                                     // buffers grown

/// tern's point select: `select` with the parameters `params_of(aid)` on the connection
/// `connect(loop)` makes, on a loop running on `backend`.
template <auto connect, auto params_of, const char* select,
          ring::Backend backend = ring::Backend::automatic>
void BM_tern_point_select(benchmark::State& state) {
  std::minstd_rand rng(42);
  auto rounds_of = [&](auto& conn, WarmedLoop& rounds) -> ring::Task<void> {
    while (rounds.next()) {
      const auto params = params_of(random_aid(rng));
      const auto r = co_await conn.execute(select, params);
      if (r.size() != 1) state.SkipWithError("no row");
      benchmark::DoNotOptimize(r.row(0).template get<std::int32_t>(0));
    }
  };
  measure_on_connection<connect>(state, kWarmUp, rounds_of, 1, backend);
}

/// main(): the anchor's benchmark `anchor` against tern's, BM_tern_point_select, under
/// `label`, and against tern on the epoll fallback backend, after `setup` (the accounts table).
template <auto connect, auto params_of, const char* select>
int run(int argc, char** argv, const char* label, const char* anchor, BenchmarkFunction anchor_fn,
        void (*setup)()) {
  return run_cases(argc, argv, "1", "q", 0,
                   {{label, anchor, anchor_fn, "BM_tern_point_select",
                     BM_tern_point_select<connect, params_of, select>},
                    {std::string(label) + ", tern on the epoll fallback", anchor, anchor_fn,
                     "BM_tern_point_select_epoll",
                     BM_tern_point_select<connect, params_of, select, ring::Backend::epoll>}},
                   setup);
}

}  // namespace tern::bench::point_select_workload
