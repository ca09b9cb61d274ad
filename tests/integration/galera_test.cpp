// A 3-node MariaDB Galera cluster (tests/servers exec --with galera): writes through any node,
// a certification conflict at COMMIT surfacing as TransactionRollback (safe to retry, not
// TransactionOutcomeUnknown), and the bank-transfer invariant across the three nodes while one
// node is killed (SIGKILL) and rejoins. Figures are printed, never asserted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_env.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using tern::testing::server_env;
using Clock = std::chrono::steady_clock;

constexpr int kAccounts = 10;
constexpr std::int64_t kStartBalance = 1000;

class Galera : public ::testing::Test {
 protected:
  static std::vector<std::string> ports() {
    std::vector<std::string> out;
    std::string list = server_env("TERN_GALERA_PORTS");
    for (std::size_t comma; (comma = list.find(',')) != std::string::npos;) {
      out.push_back(list.substr(0, comma));
      list.erase(0, comma + 1);
    }
    out.push_back(list);
    return out;
  }
  static std::string url(const std::string& port) {
    return "mysql://tern:tern_pw@127.0.0.1:" + port +
           "/tern_test?ssl-mode=DISABLED&connect-timeout=2";
  }
  static std::unique_ptr<PooledMySQLDatabase> database(const std::string& port) {
    DatabaseOptions pool;
    pool.max_connections = 8;
    return std::make_unique<PooledMySQLDatabase>(mysql::ConnectOptions::parse(url(port)), pool);
  }
  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  // `sql`'s one value on node `port`, read once the node has applied every write the cluster
  // committed before (wsrep_sync_wait: Galera applies replicated writes asynchronously).
  std::string synced_value(const std::string& port, const std::string& sql) {
    mysql::Connection c =
        run(mysql::Connection::connect(loop, mysql::ConnectOptions::parse(url(port))));
    run(c.query("SET SESSION wsrep_sync_wait = 1"));
    const auto r = run(c.query(sql));
    const auto raw = r.at(0).row(0).raw(0);
    std::string value = raw ? std::string(protocol::as_chars(*raw)) : "NULL";
    run(c.close());
    return value;
  }
  // tests/servers COMMAND DIR NODE.
  static void servers(const std::string& command, int node) {
    const std::string line = server_env("TERN_SERVERS") + " " + command + " " +
                             server_env("TERN_SERVERS_DIR") + " " + std::to_string(node);
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }

  ring::Loop loop;
};

TEST_F(Galera, WritesThroughAnyNode) {
  const std::vector<std::string> nodes = ports();
  ASSERT_EQ(nodes.size(), 3u);
  auto first = database(nodes[0]);
  run(first->aio_execute("DROP TABLE IF EXISTS galera_any"));
  run(first->aio_execute("CREATE TABLE galera_any (node INT PRIMARY KEY, port INT)"));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    // Galera applies node 1's CREATE on the others after it returned: wait until node i has.
    ASSERT_EQ(synced_value(nodes[i], "SELECT COUNT(*) FROM galera_any"), std::to_string(i));
    auto db = database(nodes[i]);
    Params row;
    row.emplace_back(static_cast<std::int64_t>(i));
    run(db->aio_execute("INSERT INTO galera_any VALUES (?, @@port)", std::move(row)));
    run(db->aio_close());
  }
  // Every node has every row, each written on its own node.
  for (const std::string& port : nodes) {
    EXPECT_EQ(synced_value(port, "SELECT GROUP_CONCAT(port ORDER BY node) FROM galera_any"),
              nodes[0] + "," + nodes[1] + "," + nodes[2])
        << "on node " << port;
  }
  // A multi-host URL spreads over the nodes: every node is read-write.
  const mysql::ConnectOptions spread = mysql::ConnectOptions::parse(
      "mysql://tern:tern_pw@127.0.0.1:" + nodes[0] + ",127.0.0.1:" + nodes[1] +
      ",127.0.0.1:" + nodes[2] +
      "/tern_test?ssl-mode=DISABLED&target-session-attrs=read-write&load-balance-hosts=random");
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 32; ++i) {
    mysql::Connection c = run(mysql::Connection::connect(loop, spread));
    seen.insert(c.options().port);
    run(c.close());
  }
  EXPECT_EQ(seen.size(), 3u);
  run(first->aio_close());
}

TEST_F(Galera, CertificationConflictAtCommitIsTransactionRollback) {
  const std::vector<std::string> nodes = ports();
  auto one = database(nodes[0]);
  auto two = database(nodes[1]);
  run(one->aio_execute("DROP TABLE IF EXISTS galera_conflict"));
  run(one->aio_execute("CREATE TABLE galera_conflict (id INT PRIMARY KEY, v INT)"));
  run(one->aio_execute("INSERT INTO galera_conflict VALUES (1, 0)"));
  ASSERT_EQ(synced_value(nodes[1], "SELECT v FROM galera_conflict"), "0");

  // Both nodes update the same row in open transactions (row locks are per node, so neither
  // waits); node 1 commits first, and node 2's COMMIT loses certification.
  std::string second_commit;
  run([&]() -> Task<void> {
    co_await one->aio_connection([&]() -> Task<void> {
      co_await two->aio_connection([&]() -> Task<void> {
        Transaction t1 = co_await one->aio_begin();
        co_await one->aio_execute("UPDATE galera_conflict SET v = v + 1 WHERE id = 1");
        Transaction t2 = co_await two->aio_begin();
        co_await two->aio_execute("UPDATE galera_conflict SET v = v + 1 WHERE id = 1");
        co_await t1.commit();
        try {
          co_await t2.commit();
          second_commit = "committed";
        } catch (const TransactionOutcomeUnknown& e) {
          second_commit = std::string("TransactionOutcomeUnknown: ") + e.what();
        } catch (const TransactionRollback& e) {
          second_commit = "TransactionRollback " + std::to_string(e.info().code);
          std::printf("certification conflict: %s\n", e.what());
        }
      });
    });
  }());
  EXPECT_EQ(second_commit, "TransactionRollback 1213");
  // Retrying the transaction, as the error invites, applies it once.
  run(two->aio_atomic([&]() -> Task<void> {
    co_await two->aio_execute("UPDATE galera_conflict SET v = v + 1 WHERE id = 1");
  }));
  for (const std::string& port : nodes) {
    EXPECT_EQ(synced_value(port, "SELECT v FROM galera_conflict"), "2") << "on node " << port;
  }
  run(one->aio_close());
  run(two->aio_close());
}

// What the transfer tasks saw.
struct Tally {
  std::set<std::int64_t> succeeded, failed, unknown;
  std::map<std::string, int> errors;
};

// Transfers until `stop` on `db`, each in its own aio_atomic block; a failure is recorded by
// type and the task goes on after a short pause.
Task<void> transfers(ring::Loop& loop, AioDatabase& db, int task, std::atomic<bool>& stop,
                     Tally& tally) {
  std::mt19937 rng(static_cast<std::uint32_t>(task) * 7919u + 1u);
  std::uniform_int_distribution<int> account(1, kAccounts);
  std::uniform_int_distribution<int> amount(1, 50);
  for (std::int64_t seq = 1; !stop.load(); ++seq) {
    const std::int64_t id = static_cast<std::int64_t>(task) * 1'000'000 + seq;
    const int from = account(rng);
    const int to = from % kAccounts + 1;
    const int value = amount(rng);
    std::string kind;
    try {
      co_await db.aio_atomic([&]() -> Task<void> {
        const QueryOptions o{.deadline = ring::deadline_after(5s)};
        Params debit, credit, ledger;
        debit.emplace_back(std::int64_t{value});
        debit.emplace_back(std::int64_t{from});
        credit.emplace_back(std::int64_t{value});
        credit.emplace_back(std::int64_t{to});
        for (const std::int64_t v : {id, std::int64_t{from}, std::int64_t{to}, std::int64_t{value}})
          ledger.emplace_back(v);
        co_await db.aio_execute("UPDATE galera_account SET balance = balance - ? WHERE id = ?",
                                std::move(debit), o);
        co_await db.aio_execute("UPDATE galera_account SET balance = balance + ? WHERE id = ?",
                                std::move(credit), o);
        co_await db.aio_execute("INSERT INTO galera_transfer VALUES (?, ?, ?, ?)",
                                std::move(ledger), o);
      });
      tally.succeeded.insert(id);
      continue;
    } catch (const TransactionOutcomeUnknown&) {
      kind = "TransactionOutcomeUnknown";
    } catch (const TransactionRollback&) {
      kind = "TransactionRollback";
    } catch (const ConnectionLost&) {
      kind = "ConnectionLost";
    } catch (const ConnectionFailed&) {
      kind = "ConnectionFailed";
    } catch (const QueryTimeout&) {
      kind = "QueryTimeout";
    } catch (const PoolTimeout&) {
      kind = "PoolTimeout";
    } catch (const DatabaseError& e) {
      kind = "DatabaseError " + std::to_string(e.info().code);
    }
    ++tally.errors[kind];
    (kind == "TransactionOutcomeUnknown" ? tally.unknown : tally.failed).insert(id);
    co_await ring::sleep_for(loop, 20ms);
  }
}

TEST_F(Galera, BankInvariantHoldsWhileANodeIsKilledAndRejoins) {
  const std::vector<std::string> nodes = ports();
  std::vector<std::unique_ptr<PooledMySQLDatabase>> dbs;
  for (const std::string& port : nodes)
    dbs.push_back(database(port));
  run(dbs[0]->aio_execute("DROP TABLE IF EXISTS galera_account, galera_transfer"));
  run(dbs[0]->aio_execute("CREATE TABLE galera_account (id INT PRIMARY KEY, balance BIGINT)"));
  run(dbs[0]->aio_execute(
      "CREATE TABLE galera_transfer (id BIGINT PRIMARY KEY, src INT, dst INT, amount BIGINT)"));
  for (int a = 1; a <= kAccounts; ++a) {
    Params row;
    row.emplace_back(std::int64_t{a});
    row.emplace_back(kStartBalance);
    run(dbs[0]->aio_execute("INSERT INTO galera_account VALUES (?, ?)", std::move(row)));
  }

  // Four tasks per node; node 3 is killed after a second and started again.
  std::atomic<bool> stop{false};
  Tally tally;
  double rejoin_ms = 0;
  std::thread chaos([&] {
    std::this_thread::sleep_for(1s);
    servers("galera-kill", 3);
    std::this_thread::sleep_for(1s);
    const auto start = Clock::now();
    servers("galera-start", 3);
    rejoin_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::this_thread::sleep_for(1s);
    stop = true;
  });
  run([&]() -> Task<void> {
    ring::TaskGroup group(loop);
    for (int t = 0; t < 12; ++t)
      group.spawn(transfers(loop, *dbs[t % 3], t, stop, tally));
    co_await group.join();
  }());
  chaos.join();

  std::string errors;
  for (const auto& [kind, n] : tally.errors)
    errors += " " + kind + "=" + std::to_string(n);
  std::printf(
      "galera: %zu transfers committed, %zu failed, %zu unknown;%s; node 3 rejoined in "
      "%.0f ms\n",
      tally.succeeded.size(), tally.failed.size(), tally.unknown.size(), errors.c_str(), rejoin_ms);
  EXPECT_GT(tally.succeeded.size(), 0u);

  // On every node, the rejoined one included: the same total, balances that match the
  // ledger, every committed transfer there and no failed one.
  const std::string total = std::to_string(kAccounts * kStartBalance);
  const std::string mismatches =
      "SELECT COUNT(*) FROM galera_account a WHERE a.balance <> " + std::to_string(kStartBalance) +
      " + (SELECT COALESCE(SUM(amount), 0) FROM galera_transfer WHERE dst = a.id)"
      " - (SELECT COALESCE(SUM(amount), 0) FROM galera_transfer WHERE src = a.id)";
  std::string ledger_on_first;
  for (const std::string& port : nodes) {
    EXPECT_EQ(synced_value(port, "SELECT SUM(balance) FROM galera_account"), total) << port;
    EXPECT_EQ(synced_value(port, mismatches), "0") << port;
    const std::string ledger = synced_value(
        port, "SELECT CONCAT(COUNT(*), ' ', COALESCE(SUM(id), 0)) FROM galera_transfer");
    if (ledger_on_first.empty()) ledger_on_first = ledger;
    EXPECT_EQ(ledger, ledger_on_first) << "node " << port << " differs";
  }
  const ResultSet ids = run(dbs[0]->aio_execute("SELECT id FROM galera_transfer"));
  std::set<std::int64_t> in_ledger;
  for (const Row row : ids)
    in_ledger.insert(row.get<std::int64_t>(0));
  for (const std::int64_t id : tally.succeeded)
    EXPECT_TRUE(in_ledger.contains(id)) << id;
  for (const std::int64_t id : tally.failed)
    EXPECT_FALSE(in_ledger.contains(id)) << id;
  for (auto& db : dbs)
    run(db->aio_close());
}

}  // namespace
}  // namespace tern
