// Workload 2 of the benchmark plan (MySQL/MariaDB): the point select of workload 1 under
// concurrency, on one client thread: 32 tasks over tern's pool of 8 connections
// (PooledMySQLDatabase, aio_execute) against libmariadb's non-blocking API (_start/_cont)
// driving 8 connections with prepared statements from one poll() loop: 8 queries in flight on
// both sides.
//
// No pipelining for MySQL: tern's mysql::Connection runs one command at a time, and
// libmariadb has no pipeline mode either.
//
//   TERN_MYSQL_URL=mysql://... bench/mysql-concurrency     (bench/run sets the URL up)
#include <benchmark/benchmark.h>
#include <mysql.h>
#include <poll.h>

#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "common.hpp"
#include "concurrency_workload.hpp"
#include "mysql_common.hpp"
#include "program.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace tern::bench;
using namespace tern::bench::concurrency_workload;

// One libmariadb connection of the poll() loop, with its prepared statement: a small state
// machine over the non-blocking calls (execute, then fetch until MYSQL_NO_DATA).
struct AsyncSlot {
  enum class Phase { kIdle, kExecute, kFetch };
  MYSQL* conn = nullptr;
  MYSQL_STMT* stmt = nullptr;
  std::int32_t aid = 0;
  std::int32_t balance = 0;
  MYSQL_BIND param{};
  MYSQL_BIND result{};
  Phase phase = Phase::kIdle;
  int wait = 0;  // MYSQL_WAIT_* the pending call waits for
  int rows = 0;
};

short poll_events(int wait) {
  short e = 0;
  if ((wait & MYSQL_WAIT_READ) != 0) e |= POLLIN;
  if ((wait & MYSQL_WAIT_WRITE) != 0) e |= POLLOUT;
  if ((wait & MYSQL_WAIT_EXCEPT) != 0) e |= POLLPRI;
  return e;
}

// Advances `s` from a call that returned `ret` without waiting, until a call has to wait or
// the query is complete (then it takes the next one from `queue`). Returns false once idle.
bool advance(AsyncSlot& s, int ret, WorkQueue& queue, std::minstd_rand& rng) {
  for (;;) {
    switch (s.phase) {
      case AsyncSlot::Phase::kIdle:
        if (!queue.take()) return false;
        s.aid = random_aid(rng);
        s.rows = 0;
        s.phase = AsyncSlot::Phase::kExecute;
        s.wait = mysql_stmt_execute_start(&ret, s.stmt);
        if (s.wait != 0) return true;
        break;
      case AsyncSlot::Phase::kExecute:
        if (ret != 0) throw std::runtime_error(mysql_stmt_error(s.stmt));
        s.phase = AsyncSlot::Phase::kFetch;
        s.wait = mysql_stmt_fetch_start(&ret, s.stmt);
        if (s.wait != 0) return true;
        break;
      case AsyncSlot::Phase::kFetch:
        if (ret == MYSQL_NO_DATA) {
          if (s.rows != 1) throw std::runtime_error("no row");
          s.phase = AsyncSlot::Phase::kIdle;
          break;
        }
        if (ret != 0) throw std::runtime_error(mysql_stmt_error(s.stmt));
        ++s.rows;
        benchmark::DoNotOptimize(s.balance);
        s.wait = mysql_stmt_fetch_start(&ret, s.stmt);
        if (s.wait != 0) return true;
        break;
    }
  }
}

void run_async(std::vector<AsyncSlot>& slots, WorkQueue& queue, std::minstd_rand& rng) {
  std::array<pollfd, kConnections> fds{};
  std::size_t active = 0;
  for (AsyncSlot& s : slots)
    active += advance(s, 0, queue, rng) ? 1 : 0;
  while (active > 0) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const bool waiting = slots[i].phase != AsyncSlot::Phase::kIdle;
      fds[i] = {.fd = waiting ? static_cast<int>(mysql_get_socket(slots[i].conn)) : -1,
                .events = waiting ? poll_events(slots[i].wait) : short{0},
                .revents = 0};
    }
    if (poll(fds.data(), slots.size(), -1) < 0) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < slots.size(); ++i) {
      AsyncSlot& s = slots[i];
      if (s.phase == AsyncSlot::Phase::kIdle || fds[i].revents == 0) continue;
      int status = 0;
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0) status |= MYSQL_WAIT_READ;
      if ((fds[i].revents & POLLOUT) != 0) status |= MYSQL_WAIT_WRITE;
      if ((fds[i].revents & POLLPRI) != 0) status |= MYSQL_WAIT_EXCEPT;
      int ret = 0;
      s.wait = s.phase == AsyncSlot::Phase::kExecute ? mysql_stmt_execute_cont(&ret, s.stmt, status)
                                                     : mysql_stmt_fetch_cont(&ret, s.stmt, status);
      if (s.wait == 0 && !advance(s, ret, queue, rng)) --active;
    }
  }
}

void BM_libmariadb_async_8_connections(benchmark::State& state) {
  std::vector<AsyncSlot> slots(kConnections);
  for (AsyncSlot& s : slots) {
    s.conn = anchor_connect(/*nonblocking=*/true);
    s.stmt = anchor_prepare(s.conn, kPointSelect);
    s.param.buffer_type = MYSQL_TYPE_LONG;
    s.param.buffer = &s.aid;
    s.result.buffer_type = MYSQL_TYPE_LONG;
    s.result.buffer = &s.balance;
    mysql_stmt_bind_param(s.stmt, &s.param);
    mysql_stmt_bind_result(s.stmt, &s.result);
  }
  std::minstd_rand rng(42);
  measure_queue(state, [&](WorkQueue& queue) { run_async(slots, queue, rng); });
  for (AsyncSlot& s : slots) {
    mysql_stmt_close(s.stmt);
    mysql_close(s.conn);
  }
}

void BM_tern_pool_32_tasks(benchmark::State& state) {
  tern_pool_tasks(state, kPointSelect, [](const tern::DatabaseOptions& options) {
    return std::make_unique<tern::PooledMySQLDatabase>(mysql_options(), options);
  });
}

}  // namespace

int main(int argc, char** argv) {
  return run_cases(argc, argv, "2", "q", 0,
                   {{"MariaDB: 32 tasks, PooledMySQLDatabase of 8 vs libmariadb non-blocking "
                     "API, 8 connections, 1 thread",
                     "BM_libmariadb_async_8_connections", BM_libmariadb_async_8_connections,
                     "BM_tern_pool_32_tasks", BM_tern_pool_32_tasks}},
                   mysql_create_accounts);
}
