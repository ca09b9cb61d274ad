// Workload 5 (the ORM's cost), what pg_orm.cpp and mysql_orm.cpp share: the keys, the ORM's
// own benchmarks (BenchItem::aio_get by key and BenchItem::aio_create on a pool of one
// connection, the same code on both backends), tern's driver running the ORM's get SQL, and
// the comparisons. The programs hold the anchors, tern's driver running the ORM's create SQL
// (how each backend returns the new id differs), and the table's set-up.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "models.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench::orm_workload {

inline constexpr std::int64_t kRows = 100'000;  // bench_items' rows, ids 1..kRows
inline constexpr int kWarmUp = 100;             // operations before the measured loop

/// A random id of bench_items.
inline std::int64_t random_key(std::minstd_rand& rng) {
  return static_cast<std::int64_t>(rng() % kRows + 1);
}

/// A row of bench_items (id, n, t, f, ts) decoded by tern's driver, as the ORM would: `Row` is
/// either driver's row, `Timestamp` the driver's type of the ts column.
template <class Timestamp, class Row>
BenchItem item_of(const Row& row) {
  BenchItem item;
  item.id = row.template get<std::int64_t>(0);
  item.n = row.template get<std::int64_t>(1);
  item.t = row.template get<std::string>(2);
  item.f = row.template get<double>(3);
  item.ts = Instant(row.template get<Timestamp>(4).time_since_epoch());
  return item;
}

/// Opens g_db, a pool of one connection of the program's backend, on `loop`.
using OpenOrm = void (*)(ring::Loop& loop);

/// Opens g_db as a `Database` (the program's pooled database) of one connection with
/// `connect_options`, on `loop`: what a program's OpenOrm does.
template <class Database, class ConnectOptions>
void open_pool_of_one(ring::Loop& loop, ConnectOptions connect_options) {
  g_db = std::make_unique<Database>(std::move(connect_options),
                                    DatabaseOptions{.min_connections = 1, .max_connections = 1});
  ring::sync_wait(loop, g_db->aio_connect());
}

/// Creates bench_items through the ORM, so that its DDL is what is measured against.
inline void create_table(OpenOrm open) {
  ring::Loop loop;
  const CloseDbAtExit close(loop);
  open(loop);
  ring::sync_wait(loop, BenchItem::aio_create_table());
}

template <OpenOrm open>
void BM_tern_orm_get(benchmark::State& state) {
  ring::Loop loop;
  const CloseDbAtExit close(loop);
  open(loop);
  std::minstd_rand rng(42);
  measure_rounds(loop, state, kWarmUp, [&](WarmedLoop& rounds) -> ring::Task<void> {
    while (rounds.next()) {
      const auto condition = BenchItem::c.id == random_key(rng);
      const BenchItem item = co_await BenchItem::aio_get(condition);
      benchmark::DoNotOptimize(item);
    }
  });
}

template <OpenOrm open>
void BM_tern_orm_create(benchmark::State& state) {
  ring::Loop loop;
  const CloseDbAtExit close(loop);
  open(loop);
  measure_rounds(loop, state, kWarmUp, [&](WarmedLoop& rounds) -> ring::Task<void> {
    std::int64_t i = 0;
    while (rounds.next()) {
      const BenchItem item = make_row<BenchItem>(++i);
      const BenchItem created = co_await BenchItem::aio_create(item);
      benchmark::DoNotOptimize(created.id);
    }
  });
}

/// tern's driver running `*get_sql`, the ORM's aio_get SQL, by a random key on the connection
/// `connect(loop)` makes: `params_of(key)` are its parameters (the key, and the LIMIT when the
/// ORM binds it), new or refilled as the program chooses; `Timestamp` is the driver's type of
/// the ts column.
template <auto connect, auto params_of, const std::string* get_sql, class Timestamp>
void BM_tern_driver_get(benchmark::State& state) {
  std::minstd_rand rng(42);
  measure_on_connection<connect>(
      state, kWarmUp, [&](auto& conn, WarmedLoop& rounds) -> ring::Task<void> {
        while (rounds.next()) {
          const auto& params = params_of(random_key(rng));  // a value, or one reused
          const auto r = co_await conn.execute(*get_sql, params);
          if (r.size() != 1) throw std::runtime_error("no row");
          const BenchItem item = item_of<Timestamp>(r.row(0));
          benchmark::DoNotOptimize(item);
        }
      });
}

/// What a program brings: its server, its anchor, tern's driver and the SQL the ORM sends.
struct Backend {
  const char* server;  ///< "PG", "MariaDB"
  const char* anchor;  ///< "libpq", "libmariadb": its benchmarks are BM_<anchor>_get/_create
  const char* driver;  ///< tern's connection class, e.g. "pg::Connection"
  const std::string& get_sql;
  const std::string& create_sql;
};

/// main(): the ORM (pool `open` makes) against the anchor (`anchor_get`, `anchor_create`)
/// and against tern's own connection (`driver_get`, `driver_create`), each running the SQL
/// the ORM generates, after `setup`.
template <OpenOrm open>
int run(int argc, char** argv, const Backend& p, BenchmarkFunction anchor_get,
        BenchmarkFunction anchor_create, BenchmarkFunction driver_get,
        BenchmarkFunction driver_create, void (*setup)()) {
  const std::string server = p.server;
  const std::string anchor = p.anchor;
  const std::string driver = p.driver;
  const std::string get_name = "BM_" + anchor + "_get";
  const std::string create_name = "BM_" + anchor + "_create";
  return run_cases(
      argc, argv, "5", "op", 0,
      {{server + " aio_get by key: ORM vs " + anchor + " (same SQL, prepared)", get_name.c_str(),
        anchor_get, "BM_tern_orm_get", BM_tern_orm_get<open>},
       {server + " aio_get by key: ORM vs tern " + driver + " (same SQL)", "BM_tern_driver_get",
        driver_get, "BM_tern_orm_get", BM_tern_orm_get<open>},
       {server + " aio_create: ORM vs " + anchor + " (same SQL, prepared)", create_name.c_str(),
        anchor_create, "BM_tern_orm_create", BM_tern_orm_create<open>},
       {server + " aio_create: ORM vs tern " + driver + " (same SQL)", "BM_tern_driver_create",
        driver_create, "BM_tern_orm_create", BM_tern_orm_create<open>}},
      [&] {
        setup();
        std::printf("aio_get SQL:    %s\naio_create SQL: %s\n\n", p.get_sql.c_str(),
                    p.create_sql.c_str());
      });
}

}  // namespace tern::bench::orm_workload
