// Workload 2 of the benchmark plan (PostgreSQL): the point select of workload 1 under
// concurrency, on one client thread.
//   - 32 tasks over tern's pool of 8 connections (PooledPostgresqlDatabase, aio_execute) against
//     libpq's asynchronous API driving 8 connections from one poll() loop: 8 queries in flight
//     on both sides.
//   - Pipelining on one connection: tern's pg::Connection::pipeline against libpq's pipeline
//     mode, batches of 64 queries with one Sync each.
//
//   TERN_PG_URL=postgresql://... bench/pg-concurrency     (bench/run sets the URL up)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "common.hpp"
#include "concurrency_workload.hpp"
#include "pg_common.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::concurrency_workload;
using tern::ring::Task;

constexpr int kPipelineBatch = 64;  // queries per Sync

// ---- 8 connections, 32 tasks ----

// One libpq connection of the poll() loop: at most one query in flight.
struct AsyncSlot {
  PGconn* conn = nullptr;
  bool busy = false;
};

void send_select(AsyncSlot& s, std::minstd_rand& rng) {
  const std::uint32_t aid = htonl(static_cast<std::uint32_t>(random_aid(rng)));
  const char* values[1] = {reinterpret_cast<const char*>(&aid)};
  const int lengths[1] = {4};
  const int formats[1] = {1};
  if (PQsendQueryPrepared(s.conn, "sel", 1, values, lengths, formats, 1) != 1) {
    throw std::runtime_error(PQerrorMessage(s.conn));
  }
  s.busy = true;
}

// Runs `queue`'s queries over the slots until it is empty and every slot is idle.
void run_async(std::vector<AsyncSlot>& slots, WorkQueue& queue, std::minstd_rand& rng) {
  std::array<pollfd, kConnections> fds{};
  int in_flight = 0;
  for (AsyncSlot& s : slots) {
    if (!queue.take()) break;
    send_select(s, rng);
    ++in_flight;
  }
  while (in_flight > 0) {
    for (std::size_t i = 0; i < slots.size(); ++i)
      fds[i] = {.fd = PQsocket(slots[i].conn), .events = POLLIN, .revents = 0};
    if (poll(fds.data(), slots.size(), -1) < 0) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < slots.size(); ++i) {
      AsyncSlot& s = slots[i];
      if (!s.busy || (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      if (PQconsumeInput(s.conn) != 1) throw std::runtime_error(PQerrorMessage(s.conn));
      while (s.busy && PQisBusy(s.conn) == 0) {
        PGresult* r = PQgetResult(s.conn);
        if (r == nullptr) {  // the query is complete: the connection takes the next one
          s.busy = false;
          --in_flight;
          if (queue.take()) {
            send_select(s, rng);
            ++in_flight;
          }
          break;
        }
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
          throw std::runtime_error("unexpected result");
        }
        benchmark::DoNotOptimize(read_be32(PQgetvalue(r, 0, 0)));
        PQclear(r);
      }
    }
  }
}

void BM_libpq_async_8_connections(benchmark::State& state) {
  std::vector<AsyncSlot> slots(kConnections);
  for (AsyncSlot& s : slots) {
    s.conn = libpq_connect();
    PQclear(PQprepare(s.conn, "sel", kPointSelect, 1, nullptr));
  }
  std::minstd_rand rng(42);
  measure_queue(state, [&](WorkQueue& queue) { run_async(slots, queue, rng); });
  for (AsyncSlot& s : slots)
    PQfinish(s.conn);
}

void BM_tern_pool_32_tasks(benchmark::State& state) {
  tern_pool_tasks(state, kPointSelect, [](const tern::DatabaseOptions& options) {
    return std::make_unique<tern::PooledPostgresqlDatabase>(
        tern::pg::ConnectOptions::parse(pg_url()), options);
  });
}

// ---- pipelining on one connection ----

void BM_libpq_pipeline_64(benchmark::State& state) {
  PGconn* c = libpq_connect();
  PQclear(PQprepare(c, "sel", kPointSelect, 1, nullptr));
  if (PQenterPipelineMode(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  std::minstd_rand rng(42);
  const int formats[1] = {1};
  const int lengths[1] = {4};
  const auto batch = [&] {
    for (int i = 0; i < kPipelineBatch; ++i) {
      const std::uint32_t aid = htonl(static_cast<std::uint32_t>(random_aid(rng)));
      const char* values[1] = {reinterpret_cast<const char*>(&aid)};
      PQsendQueryPrepared(c, "sel", 1, values, lengths, formats, 1);
    }
    PQpipelineSync(c);
    for (int i = 0; i < kPipelineBatch; ++i) {
      PGresult* r = PQgetResult(c);
      if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        throw std::runtime_error("unexpected result");
      }
      benchmark::DoNotOptimize(read_be32(PQgetvalue(r, 0, 0)));
      PQclear(r);
      PQclear(PQgetResult(c));  // the NULL that ends each query's results
    }
    PGresult* sync = PQgetResult(c);
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) throw std::runtime_error("no sync");
    PQclear(sync);
  };
  for (int i = 0; i < kWarmUp / kPipelineBatch; ++i)
    batch();
  const AllocCount allocs;
  while (state.KeepRunningBatch(kPipelineBatch))
    batch();
  finish(state, static_cast<double>(state.iterations()), allocs);
  PQfinish(c);
}

void BM_tern_pipeline_64(benchmark::State& state) {
  std::minstd_rand rng(42);
  // The SQL strings are built once; each batch binds new parameters.
  std::vector<tern::pg::PipelineQuery> queries(kPipelineBatch,
                                               tern::pg::PipelineQuery{kPointSelect, {}});
  const auto batches = [&](tern::pg::Connection& conn, WarmedLoop& rounds) -> Task<void> {
    while (rounds.next()) {
      for (tern::pg::PipelineQuery& q : queries)
        q.params = tern::pg::Params(random_aid(rng));
      const std::vector<tern::pg::Result> results = co_await conn.pipeline(queries);
      for (const tern::pg::Result& r : results) {
        if (r.size() != 1) throw std::runtime_error("no row");
        benchmark::DoNotOptimize(r.row(0).get<std::int32_t>(0));
      }
    }
  };
  measure_on_connection<tern_pg_connect>(state, kWarmUp / kPipelineBatch, batches, kPipelineBatch);
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases(
      argc, argv, "2", "q", 0,
      {{"PG: 32 tasks, PooledPostgresqlDatabase of 8 vs libpq async API, 8 connections, 1 thread",
        "BM_libpq_async_8_connections", BM_libpq_async_8_connections, "BM_tern_pool_32_tasks",
        BM_tern_pool_32_tasks},
       {"PG: pg::Connection::pipeline vs libpq pipeline mode, batches of 64",
        "BM_libpq_pipeline_64", BM_libpq_pipeline_64, "BM_tern_pipeline_64", BM_tern_pipeline_64}},
      pg_create_accounts);
}
