// Workload 3 of the benchmark plan (MySQL/MariaDB): one query returning 1,000,000 rows of
// (BIGINT, TEXT, DOUBLE, DATETIME(6)), every value decoded into the same struct on both sides:
//   - text protocol: tern's mysql::Connection::query against mysql_real_query +
//     mysql_store_result + mysql_fetch_row (values parsed from their text);
//   - binary protocol: tern's mysql::Connection::execute (prepared) against a libmariadb
//     prepared statement with bound result buffers and mysql_stmt_store_result.
// and both again over the compressed protocol (tern's compress=true against libmariadb's
// MYSQL_OPT_COMPRESS), text protocol.
// Both drivers hold the whole result in memory; reports rows/s, client CPU per row, the peak
// RSS of each run over its starting RSS, and the bytes on the wire per row (wire_B/row: the
// server's Bytes_sent for the session, which counts compressed packets as sent).
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-large-result
//   BENCH_LARGE_ROWS=100000 for a quicker run (the table is rebuilt when the count differs).
#include <benchmark/benchmark.h>
#include <mysql.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "large_result_workload.hpp"
#include "mysql_common.hpp"
#include "program.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::large_result_workload;

// The table, made once per data set size (same values as the PostgreSQL one).
void create_table() {
  MYSQL* c = anchor_connect();
  anchor_query(c,
               "CREATE TABLE IF NOT EXISTS bench_large (id BIGINT, t TEXT, f DOUBLE, "
               "ts DATETIME(6))");
  if (std::stoll(anchor_scalar(c, "SELECT COUNT(*) FROM bench_large")) != kRows) {
    anchor_query(c, "TRUNCATE bench_large");
    const std::string fill =
        "INSERT INTO bench_large SELECT seq, CONCAT('text-', seq), seq / 7e0, "
        "TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1000001 MICROSECOND "
        "FROM seq_1_to_" +
        std::to_string(kRows);
    anchor_query(c, fill.c_str());
  }
  mysql_close(c);
}

// What the server sent on this session so far (compressed bytes when compressed).
double anchor_bytes_sent(MYSQL* c) {
  if (mysql_query(c, "SHOW SESSION STATUS LIKE 'Bytes_sent'") != 0) {
    throw std::runtime_error(mysql_error(c));
  }
  MYSQL_RES* r = mysql_store_result(c);
  MYSQL_ROW row = mysql_fetch_row(r);
  const double v = std::stod(row[1]);
  mysql_free_result(r);
  return v;
}

void wire_counter(benchmark::State& state, double bytes) {
  state.counters["wire_B/row"] = bytes / static_cast<double>(state.iterations() * kRows);
}

void libmariadb_text(benchmark::State& state, bool compress) {
  MYSQL* c = anchor_connect(false, compress);
  const double sent_before = anchor_bytes_sent(c);
  std::int64_t sum = 0;
  Runs runs(state);
  for (auto _ : state) {
    runs.begin();
    if (mysql_query(c, kSelect) != 0) throw std::runtime_error(mysql_error(c));
    MYSQL_RES* res = mysql_store_result(c);
    DecodedRow d;
    std::int64_t rows = 0;
    while (MYSQL_ROW row = mysql_fetch_row(res)) {
      const unsigned long* len = mysql_fetch_lengths(res);
      std::from_chars(row[0], row[0] + len[0], d.id);
      d.text.assign(row[1], len[1]);
      std::from_chars(row[2], row[2] + len[2], d.real);
      d.micros = parse_timestamp_us(row[3], len[3]);
      sum += d.fold();
      ++rows;
    }
    runs.end(rows);
    benchmark::DoNotOptimize(sum);  // see pg_large_result.cpp
    mysql_free_result(res);
  }
  runs.report(sum);
  wire_counter(state, anchor_bytes_sent(c) - sent_before);
  mysql_close(c);
}

void BM_libmariadb_text(benchmark::State& state) {
  libmariadb_text(state, false);
}
void BM_libmariadb_text_compressed(benchmark::State& state) {
  libmariadb_text(state, true);
}

void BM_libmariadb_binary(benchmark::State& state) {
  MYSQL* c = anchor_connect();
  const double sent_before = anchor_bytes_sent(c);
  MYSQL_STMT* stmt = anchor_prepare(c, kSelect);
  DecodedRow d;
  char text[64];
  unsigned long text_length = 0;
  MYSQL_TIME ts{};
  std::vector<MYSQL_BIND> out(4);
  out[0].buffer_type = MYSQL_TYPE_LONGLONG;
  out[0].buffer = &d.id;
  out[1].buffer_type = MYSQL_TYPE_STRING;
  out[1].buffer = text;
  out[1].buffer_length = sizeof text;
  out[1].length = &text_length;
  out[2].buffer_type = MYSQL_TYPE_DOUBLE;
  out[2].buffer = &d.real;
  out[3].buffer_type = MYSQL_TYPE_DATETIME;
  out[3].buffer = &ts;
  mysql_stmt_bind_result(stmt, out.data());
  std::int64_t sum = 0;
  Runs runs(state);
  for (auto _ : state) {
    runs.begin();
    if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_store_result(stmt) != 0) {
      throw std::runtime_error(mysql_stmt_error(stmt));
    }
    std::int64_t rows = 0;
    while (mysql_stmt_fetch(stmt) == 0) {
      d.text.assign(text, text_length);
      d.micros = micros_of(ts);
      sum += d.fold();
      ++rows;
    }
    runs.end(rows);
    benchmark::DoNotOptimize(sum);  // see pg_large_result.cpp
    mysql_stmt_free_result(stmt);
  }
  runs.report(sum);
  mysql_stmt_close(stmt);
  wire_counter(state, anchor_bytes_sent(c) - sent_before);
  mysql_close(c);
}

// Decodes a tern result (either protocol: the typed getters are the same).
std::int64_t decode(const tern::mysql::Result& r, std::int64_t& rows) {
  std::int64_t sum = 0;
  DecodedRow d;
  for (const tern::mysql::Row row : r) {
    d.id = row.get<std::int64_t>(0);
    d.text = row.get<std::string>(1);
    d.real = row.get<double>(2);
    d.micros = row.get<tern::mysql::DateTime>(3).time_since_epoch().count();
    sum += d.fold();
  }
  rows = static_cast<std::int64_t>(r.size());
  return sum;
}

void tern_large(benchmark::State& state, bool binary, bool compress = false) {
  tern::ring::Loop loop;
  auto conn = tern_mysql_connect_with(loop, compress);
  std::int64_t sum = 0;
  double sent = 0;
  auto bytes_sent = [&]() -> tern::ring::Task<double> {
    const std::vector<tern::mysql::Result> r =
        co_await conn.query("SHOW SESSION STATUS LIKE 'Bytes_sent'");
    co_return std::stod(r.at(0).row(0).get<std::string>(1));
  };
  auto body = [&]() -> tern::ring::Task<void> {
    sent -= co_await bytes_sent();
    const tern::mysql::Params none;
    Runs runs(state);
    for (auto _ : state) {
      runs.begin();
      std::int64_t rows = 0;
      if (binary) {
        const tern::mysql::Result r = co_await conn.execute(kSelect, none);
        sum += decode(r, rows);
        runs.end(rows);
      } else {
        const std::vector<tern::mysql::Result> results = co_await conn.query(kSelect);
        sum += decode(results.at(0), rows);
        runs.end(rows);
      }
      benchmark::DoNotOptimize(sum);
    }
    runs.report(sum);
    sent += co_await bytes_sent();
  };
  tern::ring::sync_wait(loop, body());
  wire_counter(state, sent);
  tern::ring::sync_wait(loop, conn.close());
}

void BM_tern_text(benchmark::State& state) {
  tern_large(state, false);
}
void BM_tern_binary(benchmark::State& state) {
  tern_large(state, true);
}
void BM_tern_text_compressed(benchmark::State& state) {
  tern_large(state, false, true);
}

}  // namespace

int main(int argc, char** argv) {
  // A few runs of ~1 s each: enough for a stable rate, and each run is measured for RSS.
  const std::string rows = "MariaDB: " + std::to_string(kRows) + " rows, ";
  return run_cases(
      argc, argv, "3", "row", 3,
      {{rows + "text protocol: query() vs mysql_store_result", "BM_libmariadb_text",
        BM_libmariadb_text, "BM_tern_text", BM_tern_text},
       {rows + "binary protocol: execute() vs prepared mysql_stmt_store_result",
        "BM_libmariadb_binary", BM_libmariadb_binary, "BM_tern_binary", BM_tern_binary},
       {rows + "text protocol, compressed: compress=true vs MYSQL_OPT_COMPRESS",
        "BM_libmariadb_text_compressed", BM_libmariadb_text_compressed, "BM_tern_text_compressed",
        BM_tern_text_compressed}},
      create_table);
}
