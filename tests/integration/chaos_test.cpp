// Chaos, both backends: 64 tasks move money between accounts in aio_atomic blocks through a
// FaultProxy for TERN_CHAOS_SECONDS (default 10) while an injector cuts connections (FIN and
// RST), stalls them past the query deadline, cuts on COMMIT before and after it reaches the
// server, corrupts replies and kills backends. Afterwards:
//   - the total balance is unchanged and every account's balance equals its start plus the
//     transfers in the ledger (each transfer writes both accounts and a ledger row in one
//     transaction: all or nothing);
//   - every transfer that succeeded is in the ledger, none that failed is, and those that
//     raised TransactionOutcomeUnknown are counted either way;
//   - every failure was a typed tern exception; no task hung;
//   - the pool is healthy (queries work, nothing checked out) and, once closed, holds no
//     connection, the proxy relays none and the server has no session left over.
// The figures (transfers, faults, failures by type) are printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "fault_proxy.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ring::Task;
using tern::testing::Direction;
using tern::testing::FaultAction;
using tern::testing::FaultProxy;
using tern::testing::server_env;
using tern::testing::server_port;

constexpr int kAccounts = 20;
constexpr std::int64_t kStartBalance = 1000;
constexpr int kTasks = 64;
constexpr std::size_t kMaxConnections = 16;

std::chrono::seconds chaos_duration() {
  const char* text = std::getenv("TERN_CHAOS_SECONDS");
  const int seconds = text != nullptr && *text != '\0' ? std::atoi(text) : 10;
  return std::chrono::seconds(std::max(seconds, 1));
}

// What the transfer tasks and the injector saw.
struct Tally {
  std::vector<std::int64_t> succeeded;
  std::vector<std::int64_t> failed;
  std::vector<std::int64_t> unknown;          // TransactionOutcomeUnknown
  std::map<std::string, int> errors;          // by type (and SQLSTATE for server errors)
  std::map<std::string, int> faults;          // injected, by kind
  std::vector<std::string> untyped;           // failures that were not tern's typed errors
  std::map<std::string, std::string> sample;  // one message per error type
};

class Chaos : public ::testing::TestWithParam<Dialect> {
 public:
  bool pg() const { return GetParam() == Dialect::kPostgres; }

  std::unique_ptr<AioDatabase> make(DatabaseOptions pool, std::uint16_t proxy_port) {
    return testing::make_database(GetParam(), pool, {.via_port = proxy_port, .cancel_timeout = 1s});
  }

  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  std::int64_t scalar(AioDatabase& db, const std::string& sql) {
    return run(db.aio_execute(sql)).row(0).get<std::int64_t>(0);
  }
  // Polls `sql` (one integer) until it yields `want`; false after 30 s.
  bool eventually(AioDatabase& db, const std::string& sql, std::int64_t want) {
    for (int i = 0; i < 300; ++i) {
      if (scalar(db, sql) == want) return true;
      run([](ring::Loop& l) -> Task<void> { co_await ring::sleep_for(l, 100ms); }(loop));
    }
    return false;
  }
  std::string other_sessions_sql() const {
    return pg() ? "SELECT COUNT(*) FROM pg_stat_activity WHERE usename = 'tern' AND pid <> "
                  "pg_backend_pid()"
                : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'tern' AND "
                  "ID <> CONNECTION_ID()";
  }

  ring::Loop loop;
};

// The DB-API class of a server error.
std::string server_error_kind(const DatabaseError& e) {
  const char* kind = dynamic_cast<const OperationalError*>(&e) != nullptr   ? "OperationalError"
                     : dynamic_cast<const IntegrityError*>(&e) != nullptr   ? "IntegrityError"
                     : dynamic_cast<const InternalError*>(&e) != nullptr    ? "InternalError"
                     : dynamic_cast<const ProgrammingError*>(&e) != nullptr ? "ProgrammingError"
                     : dynamic_cast<const DataError*>(&e) != nullptr        ? "DataError"
                                                                            : "DatabaseError";
  return std::string(kind) + " " + e.sqlstate();
}

// Records one failed transfer by its exception's type.
void classify(std::exception_ptr error, std::int64_t id, Tally& tally) {
  std::string kind;
  std::string what;
  try {
    std::rethrow_exception(error);
  } catch (const TransactionOutcomeUnknown& e) {
    kind = "TransactionOutcomeUnknown";
    what = e.what();
  } catch (const ConnectionLost& e) {
    kind = "ConnectionLost";
    what = e.what();
  } catch (const ConnectionFailed& e) {  // a replacement connection cut during its start-up
    kind = "ConnectionFailed";
    what = e.what();
  } catch (const QueryTimeout& e) {
    kind = "QueryTimeout";
    what = e.what();
  } catch (const PoolTimeout& e) {
    kind = "PoolTimeout";
    what = e.what();
  } catch (const protocol::ProtocolError& e) {
    kind = "ProtocolError";
    what = e.what();
  } catch (const DatabaseError& e) {  // deadlocks, serialization failures...
    kind = server_error_kind(e);
    what = e.what();
  } catch (const InterfaceError& e) {
    kind = "InterfaceError";
    what = e.what();
  } catch (const ring::IoError& e) {
    // A tern::Error, but the database layer reports a broken stream as ConnectionLost: a raw
    // transport error reaching the caller is as much a finding as an untyped one.
    kind = std::string("raw ") + typeid(e).name();
    what = e.what();
    tally.untyped.push_back(kind + ": " + what);
  } catch (const ring::TlsError& e) {
    kind = "raw TlsError";
    what = e.what();
    tally.untyped.push_back(kind + ": " + what);
  } catch (const Error& e) {
    kind = "Error";
    what = e.what();
  } catch (const std::exception& e) {
    kind = std::string("untyped ") + typeid(e).name();
    what = e.what();
    tally.untyped.push_back(kind + ": " + what);
  } catch (...) {
    kind = "untyped (not a std::exception)";
    tally.untyped.push_back(kind);
  }
  ++tally.errors[kind];
  tally.sample.emplace(kind, what);
  if (kind == "TransactionOutcomeUnknown") {
    tally.unknown.push_back(id);
  } else {
    tally.failed.push_back(id);
  }
}

// One task: transfers until `end`, each in its own aio_atomic block.
Task<void> transfer_loop(AioDatabase& db, bool pg, int task, Clock::time_point end, Tally& tally) {
  std::mt19937 rng(static_cast<std::uint32_t>(task) * 7919u + 1u);
  std::uniform_int_distribution<int> account(1, kAccounts);
  std::uniform_int_distribution<int> amount(1, 50);
  std::int64_t seq = 0;
  while (Clock::now() < end) {
    const std::int64_t id = static_cast<std::int64_t>(task) * 1'000'000 + ++seq;
    const int from = account(rng);
    int to = account(rng);
    if (to == from) to = from % kAccounts + 1;
    const int value = amount(rng);
    // Rows are locked in id order (fewer deadlocks; those left are typed errors too).
    const int lo = std::min(from, to);
    const int hi = std::max(from, to);
    const auto delta = [&](int acct) { return acct == from ? -value : value; };
    const std::string first = "UPDATE chaos_account SET balance = balance + " +
                              std::to_string(delta(lo)) + " WHERE id = " + std::to_string(lo);
    const std::string second = "UPDATE chaos_account SET balance = balance + " +
                               std::to_string(delta(hi)) + " WHERE id = " + std::to_string(hi);
    const std::string ledger = std::string("INSERT INTO chaos_transfer (id, src, dst, amount) ") +
                               "VALUES (" + (pg ? "$1, $2, $3, $4)" : "?, ?, ?, ?)");
    std::exception_ptr error;
    try {
      co_await db.aio_atomic([&]() -> Task<void> {
        const QueryOptions options{.deadline = ring::deadline_after(2s)};
        const Params none;
        co_await db.aio_execute(first, none, options);
        co_await db.aio_execute(second, none, options);
        Params row;
        row.emplace_back(id);
        row.emplace_back(std::int64_t{from});
        row.emplace_back(std::int64_t{to});
        row.emplace_back(std::int64_t{value});
        co_await db.aio_execute(ledger, std::move(row), options);
      });
    } catch (...) {
      error = std::current_exception();
    }
    if (error) {
      classify(error, id, tally);
    } else {
      tally.succeeded.push_back(id);
    }
  }
}

// Kills one random session of the chaos pool (not the admin's own).
Task<void> kill_one_backend(AioDatabase& admin, bool pg) {
  if (pg) {
    co_await admin.aio_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tern' AND pid "
        "<> pg_backend_pid() AND backend_type = 'client backend' ORDER BY random() LIMIT 1");
    co_return;
  }
  const ResultSet ids = co_await admin.aio_execute(
      "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST WHERE USER = 'tern' AND ID "
      "<> CONNECTION_ID() ORDER BY RAND() LIMIT 1");
  if (ids.empty()) co_return;
  const std::string kill = "KILL CONNECTION " + std::to_string(ids.row(0).get<std::int64_t>(0));
  try {
    co_await admin.aio_execute(kill);
  } catch (const DatabaseError&) {  // the session ended meanwhile (unknown thread id)
  }
}

// Injects a random fault every 30-200 ms until `end`.
Task<void> inject_faults(ring::Loop& loop, FaultProxy& proxy, AioDatabase& admin, bool pg,
                         Clock::time_point end, Tally& tally) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> pause_ms(30, 200);
  std::uniform_int_distribution<int> kind(0, 7);
  while (Clock::now() < end) {
    co_await ring::sleep_for(loop, std::chrono::milliseconds(pause_ms(rng)));
    switch (kind(rng)) {
      case 0:
      case 1: {
        const bool reset = rng() % 2 == 0;
        if (proxy.cut_one(rng(), reset)) ++tally.faults[reset ? "cut (RST)" : "cut (FIN)"];
        break;
      }
      case 2:
        proxy.arm(
            {.direction = Direction::kToClient, .action = FaultAction::kStall, .stall_for = 3s});
        ++tally.faults["stall server->client 3 s"];
        break;
      case 3:
        proxy.arm(
            {.direction = Direction::kToServer, .action = FaultAction::kStall, .stall_for = 3s});
        ++tally.faults["stall client->server 3 s"];
        break;
      case 4:
        proxy.arm({.direction = Direction::kToServer,
                   .action = FaultAction::kCutAfterChunk,
                   .contains = "COMMIT"});
        ++tally.faults["cut after COMMIT sent"];
        break;
      case 5:
        proxy.arm(
            {.direction = Direction::kToServer, .action = FaultAction::kCut, .contains = "COMMIT"});
        ++tally.faults["cut before COMMIT sent"];
        break;
      case 6:
        proxy.arm({.direction = Direction::kToClient,
                   .action = FaultAction::kCorrupt,
                   .offset = pg ? 0u : 3u,
                   .value = pg ? std::uint8_t{0x01} : std::uint8_t{0x42}});
        ++tally.faults["corrupt a reply"];
        break;
      default: {
        std::exception_ptr failed;
        try {
          co_await kill_one_backend(admin, pg);
        } catch (...) {
          failed = std::current_exception();
        }
        if (failed) {
          ++tally.faults["backend kill failed"];
        } else {
          ++tally.faults["backend kill"];
        }
        break;
      }
    }
  }
}

TEST_P(Chaos, TransfersKeepTheInvariantUnderFaults) {
  const std::chrono::seconds duration = chaos_duration();
  FaultProxy proxy(server_env(pg() ? "TERN_PG_HOST" : "TERN_MYSQL_HOST"),
                   server_port(pg() ? "TERN_PG_PORT" : "TERN_MYSQL_PORT"));
  auto admin = make({.min_connections = 0, .max_connections = 1}, 0);
  run(admin->aio_execute("DROP TABLE IF EXISTS chaos_transfer"));
  run(admin->aio_execute("DROP TABLE IF EXISTS chaos_account"));
  run(
      admin->aio_execute("CREATE TABLE chaos_account (id INT PRIMARY KEY, balance BIGINT NOT "
                         "NULL)"));
  run(
      admin->aio_execute("CREATE TABLE chaos_transfer (id BIGINT PRIMARY KEY, src INT NOT NULL, "
                         "dst INT NOT NULL, amount BIGINT NOT NULL)"));
  std::string accounts = "INSERT INTO chaos_account (id, balance) VALUES ";
  for (int i = 1; i <= kAccounts; ++i) {
    accounts +=
        (i > 1 ? ", (" : "(") + std::to_string(i) + ", " + std::to_string(kStartBalance) + ")";
  }
  run(admin->aio_execute(accounts));

  auto db = make(
      {.min_connections = 4, .max_connections = kMaxConnections, .pool_params = {.timeout = 5s}},
      proxy.port());
  Tally tally;
  // No task may hang: a watchdog ends the process if the run overstays by far.
  std::mutex watchdog_mu;
  std::condition_variable watchdog_cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock lock(watchdog_mu);
    if (!watchdog_cv.wait_for(lock, duration + 120s, [&] { return finished; })) {
      std::fprintf(stderr, "chaos: tasks still running 120 s after the end: a task hangs\n");
      std::abort();
    }
  });
  const Clock::time_point end = Clock::now() + duration;
  ring::TaskGroup tasks(loop);
  for (int t = 0; t < kTasks; ++t)
    tasks.spawn(transfer_loop(*db, pg(), t, end, tally));
  tasks.spawn(inject_faults(loop, proxy, *admin, pg(), end, tally));
  run(tasks.join());
  {
    std::lock_guard lock(watchdog_mu);
    finished = true;
  }
  watchdog_cv.notify_all();
  watchdog.join();
  proxy.disarm_all();
  proxy.resume_all();

  // The invariant.
  EXPECT_EQ(scalar(*admin, "SELECT CAST(SUM(balance) AS " +
                               std::string(pg() ? "BIGINT" : "SIGNED") + ") FROM chaos_account"),
            kAccounts * kStartBalance);
  const ResultSet balances = run(admin->aio_execute("SELECT id, balance FROM chaos_account"));
  const ResultSet ledger =
      run(admin->aio_execute("SELECT id, src, dst, amount FROM chaos_transfer"));
  std::map<std::int64_t, std::int64_t> expected;
  for (int i = 1; i <= kAccounts; ++i)
    expected[i] = kStartBalance;
  std::set<std::int64_t> applied;
  for (const Row row : ledger) {
    applied.insert(row.get<std::int64_t>(0));
    expected[row.get<std::int64_t>(1)] -= row.get<std::int64_t>(3);
    expected[row.get<std::int64_t>(2)] += row.get<std::int64_t>(3);
  }
  for (const Row row : balances) {
    EXPECT_EQ(row.get<std::int64_t>(1), expected[row.get<std::int64_t>(0)])
        << "account " << row.get<std::int64_t>(0) << " does not match the ledger";
  }
  for (const std::int64_t id : tally.succeeded)
    EXPECT_TRUE(applied.count(id) == 1) << "transfer " << id << " succeeded but is not applied";
  for (const std::int64_t id : tally.failed)
    EXPECT_TRUE(applied.count(id) == 0) << "transfer " << id << " failed but was applied";
  std::size_t unknown_committed = 0;
  for (const std::int64_t id : tally.unknown)
    unknown_committed += applied.count(id);
  EXPECT_EQ(applied.size(), tally.succeeded.size() + unknown_committed);
  EXPECT_TRUE(tally.untyped.empty())
      << tally.untyped.size()
      << " untyped failures, first: " << (tally.untyped.empty() ? "" : tally.untyped.front());
  EXPECT_GT(tally.succeeded.size(), 0u);
  // Not vacuous: the faults happened, and some transfers failed because of them (a run where
  // nothing fired or nothing failed checks nothing).
  const testing::ProxyStats relayed = proxy.stats();
  EXPECT_GT(relayed.fired, 0u) << "no armed fault fired";
  EXPECT_GT(relayed.cuts, 0u) << "no connection was cut";
  EXPECT_GT(tally.failed.size() + tally.unknown.size(), 0u) << "no transfer failed";
  EXPECT_GT(tally.errors["ConnectionLost"] + tally.errors["TransactionOutcomeUnknown"], 0)
      << "no failure came from a lost connection";

  // The pool is healthy: queries work and nothing stays checked out.
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(scalar(*db, "SELECT 1"), 1);
  const PoolStats stats = db->pool_stats();
  EXPECT_EQ(stats.in_use, 0u);
  EXPECT_EQ(stats.waiters, 0u);
  EXPECT_LE(stats.size, kMaxConnections);
  run(db->aio_close());
  EXPECT_EQ(db->pool_stats().size, 0u);
  // Nothing leaked: the proxy relays nothing and the server has no session of the pool left.
  for (int i = 0; i < 300 && proxy.stats().open > 0; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(proxy.stats().open, 0u);
  EXPECT_TRUE(eventually(*admin, other_sessions_sql(), 0));

  // The figures.
  std::cout << "chaos (" << (pg() ? "PostgreSQL" : "MariaDB") << ", " << duration.count() << " s, "
            << kTasks << " tasks, pool of " << kMaxConnections << "):\n"
            << "  transfers attempted "
            << tally.succeeded.size() + tally.failed.size() + tally.unknown.size() << ", committed "
            << tally.succeeded.size() << ", failed (not applied) " << tally.failed.size()
            << ", outcome unknown " << tally.unknown.size() << " (" << unknown_committed
            << " had committed)\n"
            << "  proxy: " << proxy.stats().accepted << " connections, " << proxy.stats().fired
            << " armed faults fired\n"
            << "  pool: created " << stats.created << ", discarded " << stats.discarded
            << ", acquire timeouts " << stats.timeouts << "\n  faults injected:";
  for (const auto& [kind, n] : tally.faults)
    std::cout << " " << kind << " " << n << ";";
  std::cout << "\n  failures by type:";
  for (const auto& [kind, n] : tally.errors)
    std::cout << " " << kind << " " << n << ";";
  std::cout << "\n";
  for (const auto& [kind, what] : tally.sample)
    std::cout << "  e.g. " << kind << ": " << what << "\n";
  run(admin->aio_close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Chaos, ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "MySQL";
                         });

}  // namespace
}  // namespace tern
