// Workload 5 of the benchmark plan (MySQL/MariaDB): the ORM's cost. `BenchItem::aio_get(
// BenchItem::c.id == k)` by key on a 100k-row table and `BenchItem::aio_create(item)`, one at a
// time on a pool of one connection, against libmariadb running exactly the SQL the ORM
// generates (prepared statements, bound buffers) and decoding into the same struct — and
// against tern's own mysql::Connection running that SQL, which isolates the ORM + database
// layer from the driver. Heap allocations per operation are workload 6.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-orm     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "models.hpp"
#include "mysql_common.hpp"
#include "orm_workload.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::orm_workload;
using tern::ring::Task;

const std::string kGetSql = get_sql(tern::Dialect::kMysql);
const std::string kCreateSql = insert_sql<BenchItem>(tern::Dialect::kMysql, 1);
// LIMIT may travel as a parameter; the anchor binds whatever the ORM binds.
const bool kLimitIsParam = std::count(kGetSql.begin(), kGetSql.end(), '?') == 2;

// A pool of one connection for the ORM, on `loop`.
void open_orm(tern::ring::Loop& loop) {
  orm_workload::open_pool_of_one<tern::PooledMySQLDatabase>(loop, mysql_options());
}

// The table: created by the ORM, filled once.
void create_table() {
  orm_workload::create_table(open_orm);
  MYSQL* c = anchor_connect();
  anchor_query(c, "DELETE FROM bench_items WHERE id > 100000");  // rows a previous run created
  if (std::stoll(anchor_scalar(c, "SELECT COUNT(*) FROM bench_items")) != kRows) {
    anchor_query(c, "TRUNCATE bench_items");
    anchor_query(c,
                 "INSERT INTO bench_items (id, n, t, f, ts) SELECT seq, seq, CONCAT('text-', "
                 "seq), seq / 7e0, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1000001 "
                 "MICROSECOND FROM seq_1_to_100000");
  }
  anchor_query(c, "ALTER TABLE bench_items AUTO_INCREMENT = 100001");
  mysql_close(c);
}

// ---- aio_get by key ----

void BM_libmariadb_get(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kGetSql);
  std::int64_t key = 0;
  std::int64_t limit = 1;
  MYSQL_BIND in[2]{};
  in[0].buffer_type = MYSQL_TYPE_LONGLONG;
  in[0].buffer = &key;
  in[1].buffer_type = MYSQL_TYPE_LONGLONG;
  in[1].buffer = &limit;
  mysql_stmt_bind_param(stmt, in);
  BenchItem item;
  char text[64];
  unsigned long text_length = 0;
  MYSQL_TIME ts{};
  MYSQL_BIND out[5]{};
  out[0].buffer_type = MYSQL_TYPE_LONGLONG;
  out[0].buffer = &item.id;
  out[1].buffer_type = MYSQL_TYPE_LONGLONG;
  out[1].buffer = &item.n;
  out[2].buffer_type = MYSQL_TYPE_STRING;
  out[2].buffer = text;
  out[2].buffer_length = sizeof text;
  out[2].length = &text_length;
  out[3].buffer_type = MYSQL_TYPE_DOUBLE;
  out[3].buffer = &item.f;
  out[4].buffer_type = MYSQL_TYPE_DATETIME;
  out[4].buffer = &ts;
  mysql_stmt_bind_result(stmt, out);
  std::minstd_rand rng(42);
  measure(state, kWarmUp, [&] {
    key = random_key(rng);
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_fetch(stmt) != 0) {
      throw std::runtime_error("no row");
    }
    item.t.assign(text, text_length);
    item.ts = tern::Instant(std::chrono::microseconds(micros_of(ts)));
    while (mysql_stmt_fetch(stmt) == 0) {
    }
    benchmark::DoNotOptimize(item);
  });
  mysql_stmt_close(stmt);
  mysql_close(c);
}

// kGetSql's parameters for `key`.
const tern::mysql::Params& get_params(std::int64_t key) {
  static tern::mysql::Params params;  // refilled, not rebuilt: no allocation per query
  params.clear();
  params.add(key);
  if (kLimitIsParam) params.add(std::int64_t{1});
  return params;
}

// ---- aio_create ----

void BM_libmariadb_create(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  MYSQL_STMT* stmt = anchor_prepare(c, kCreateSql);
  BenchItem item;
  unsigned long text_length = 0;
  MYSQL_TIME ts{};
  MYSQL_BIND in[4]{};
  in[0].buffer_type = MYSQL_TYPE_LONGLONG;
  in[0].buffer = &item.n;
  in[1].buffer_type = MYSQL_TYPE_STRING;
  in[1].length = &text_length;
  in[2].buffer_type = MYSQL_TYPE_DOUBLE;
  in[2].buffer = &item.f;
  in[3].buffer_type = MYSQL_TYPE_DATETIME;
  in[3].buffer = &ts;
  std::int64_t i = 0;
  measure(state, kWarmUp, [&] {
    item = make_row<BenchItem>(++i);
    in[1].buffer = item.t.data();
    text_length = item.t.size();
    ts = mysql_time_of(item.ts);
    mysql_stmt_bind_param(stmt, in);  // the text's buffer moves with each item
    if (mysql_stmt_execute(stmt) != 0) throw std::runtime_error(mysql_stmt_error(stmt));
    benchmark::DoNotOptimize(mysql_stmt_insert_id(stmt));
  });
  mysql_stmt_close(stmt);
  mysql_close(c);
}

void BM_tern_driver_create(benchmark::State& state) {
  measure_on_connection<tern_mysql_connect>(
      state, kWarmUp, [&](tern::mysql::Connection& conn, WarmedLoop& rounds) -> Task<void> {
        std::int64_t i = 0;
        tern::mysql::Params params;
        while (rounds.next()) {
          const BenchItem item = make_row<BenchItem>(++i);
          params.clear();
          params.add(item.n);
          params.add(std::string_view(item.t));
          params.add(item.f);
          params.add(tern::mysql::DateTime(item.ts.time_since_epoch()));
          const tern::mysql::Result r = co_await conn.execute(kCreateSql, params);
          benchmark::DoNotOptimize(r.last_insert_id());
        }
      });
}

}  // namespace

int main(int argc, char** argv) {
  return orm_workload::run<open_orm>(
      argc, argv, {"MariaDB", "libmariadb", "mysql::Connection", kGetSql, kCreateSql},
      BM_libmariadb_get, BM_libmariadb_create,
      BM_tern_driver_get<tern_mysql_connect, get_params, &kGetSql, tern::mysql::DateTime>,
      BM_tern_driver_create, create_table);
}
