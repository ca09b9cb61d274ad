// Multi-host MySQL URLs (and the keyword form) against a real MariaDB primary and its GTID replica
// (tests/servers exec
// --with mysql-replica: the replica runs with read_only), ending with a failover: the primary
// stops, the replica is made writable, in-flight work fails with a typed error and new writes
// land on the new primary within a retry budget. The failover timeline is printed, never
// asserted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "failover.hpp"
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

class MysqlTopology : public ::testing::Test {
 protected:
  static std::string primary() { return server_env("TERN_MYSQL_PORT"); }
  static std::string replica() { return server_env("TERN_MYSQL_REPLICA_PORT"); }
  // A URL over the given ports of 127.0.0.1, in order, with `query` appended.
  static std::string url(const std::string& ports, const std::string& query) {
    std::string hosts = "127.0.0.1:";
    for (const char ch : ports) {
      hosts += ch == ',' ? std::string(",127.0.0.1:") : std::string(1, ch);
    }
    return "mysql://tern:tern_pw@" + hosts + "/tern_test?ssl-mode=DISABLED&connect-timeout=5&" +
           query;
  }
  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  mysql::Connection connect(const std::string& u) {
    return run(mysql::Connection::connect(loop, mysql::ConnectOptions::parse(u)));
  }
  // The port of the server `c` is connected to, and its read_only, as it says (MariaDB 10.11
  // spells it OFF/ON).
  std::string where(mysql::Connection& c) {
    const auto r = run(c.query("SELECT CONCAT(@@port, ' ', @@read_only)"));
    return std::string(protocol::as_chars(*r.at(0).row(0).raw(0)));
  }
  static void servers(const std::string& command) {
    const std::string line =
        server_env("TERN_SERVERS") + " " + command + " " + server_env("TERN_SERVERS_DIR");
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }

  ring::Loop loop;
};

TEST_F(MysqlTopology, EachTargetSessionAttrsFindsItsServer) {
  const std::string both = primary() + "," + replica();
  const std::string reversed = replica() + "," + primary();
  struct Case {
    std::string ports, attrs, expected;
  };
  for (const Case& k : {
           Case{both, "any", primary() + " OFF"},
           Case{reversed, "any", replica() + " ON"},
           Case{reversed, "read-write", primary() + " OFF"},
           Case{both, "read-only", replica() + " ON"},
       }) {
    mysql::Connection c = connect(url(k.ports, "target-session-attrs=" + k.attrs));
    EXPECT_EQ(where(c), k.expected) << k.ports << " " << k.attrs;
    // options() name the server settled on (KILL QUERY must go there).
    EXPECT_EQ(std::to_string(c.options().port), k.expected.substr(0, k.expected.find(' ')));
    run(c.close());
  }
}

// The libpq-style keyword form of the same list: the replica first, read-write still lands on
// the primary.
TEST_F(MysqlTopology, KeywordFormFindsThePrimary) {
  mysql::Connection c = connect("host=127.0.0.1,127.0.0.1 port=" + replica() + "," + primary() +
                                " user=tern password='tern_pw' dbname=tern_test "
                                "ssl-mode=DISABLED connect-timeout=5 "
                                "target_session_attrs=read-write load_balance_hosts=disable");
  EXPECT_EQ(where(c), primary() + " OFF");
  EXPECT_EQ(std::to_string(c.options().port), primary());
  run(c.close());
}

TEST_F(MysqlTopology, RefusedHostIsSkipped) {
  mysql::Connection c = connect(url("1," + primary(), "target-session-attrs=any"));
  EXPECT_EQ(where(c), primary() + " OFF");
  run(c.close());
}

TEST_F(MysqlTopology, NoSuitableHostIsConnectionFailedNamingEach) {
  try {
    connect(url("1," + replica(), "target-session-attrs=read-write"));
    FAIL() << "connected without a writable server";
  } catch (const ConnectionFailed& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("target_session_attrs=read-write"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:1: "), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + replica() + ": not read-write"), std::string::npos) << what;
  }
}

TEST_F(MysqlTopology, LoadBalanceRandomUsesEveryHost) {
  // 64 connections in random order over two servers: all on one has probability 2^-63.
  const std::string u = url(primary() + "," + replica(), "load-balance-hosts=random");
  int on_replica = 0;
  for (int i = 0; i < 64; ++i) {
    mysql::Connection c = connect(u);
    on_replica += c.options().port == std::stoi(replica()) ? 1 : 0;
    run(c.close());
  }
  EXPECT_GT(on_replica, 0);
  EXPECT_LT(on_replica, 64);
}

// Destructive: leaves the replica as the primary. meson runs it in a process of its own, with
// servers of its own (mysql-topology-failover).
TEST_F(MysqlTopology, FailoverToThePromotedReplica) {
  DatabaseOptions pool;
  pool.max_connections = 4;
  PooledMySQLDatabase db(mysql::ConnectOptions::parse(
                             url(primary() + "," + replica(), "target-session-attrs=read-write")),
                         pool);
  run(db.aio_execute("DROP TABLE IF EXISTS topo_failover"));
  run(db.aio_execute(
      "CREATE TABLE topo_failover (id int AUTO_INCREMENT PRIMARY KEY, at varchar(16))"));
  run(db.aio_execute("INSERT INTO topo_failover (at) VALUES ('before')"));
  // The replica has it before the primary goes (a failover loses what was not replicated).
  const ResultSet pos = run(db.aio_execute("SELECT @@gtid_binlog_pos"));
  {
    mysql::Connection r = connect(url(replica(), "target-session-attrs=read-only"));
    const auto waited =
        run(r.query("SELECT MASTER_GTID_WAIT('" + pos.row(0).get<std::string>(0) + "', 60)"));
    ASSERT_EQ(std::string(protocol::as_chars(*waited.at(0).row(0).raw(0))), "0");
    run(r.close());
  }

  // In flight while the primary goes away: a long query on a pooled connection. The primary
  // stops once the query runs there (seen from a session of the stopper's own).
  Clock::time_point lost{};
  std::thread stopper([&] {
    ring::Loop own;
    mysql::Connection watch = ring::sync_wait(
        own, mysql::Connection::connect(own, mysql::ConnectOptions::parse(url(primary(), ""))));
    for (int polls = 0; polls < 3000; ++polls) {
      const auto r = ring::sync_wait(
          own, watch.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE "
                           "INFO = 'SELECT SLEEP(30)'"));
      if (std::string(protocol::as_chars(*r.at(0).row(0).raw(0))) == "1") break;
      std::this_thread::sleep_for(10ms);
    }
    ring::sync_wait(own, watch.close());
    servers("mysql-stop-primary");
    lost = Clock::now();
  });
  std::string in_flight_error;
  try {
    run(db.aio_execute("SELECT SLEEP(30)"));
  } catch (const ConnectionLost& e) {
    in_flight_error = e.what();
  }
  stopper.join();
  EXPECT_FALSE(in_flight_error.empty()) << "the in-flight query did not fail with ConnectionLost";

  // The replica is made writable while writes are retried (each failure is a typed error).
  ASSERT_TRUE(testing::write_through_failover(
      [&] { run(db.aio_execute("INSERT INTO topo_failover (at) VALUES ('after')")); },
      [&] { servers("mysql-promote"); }, lost, in_flight_error));
  // The write is on the new primary, with the row written before the failover.
  const ResultSet r = run(db.aio_execute(
      "SELECT @@port, @@read_only, (SELECT GROUP_CONCAT(at ORDER BY id) FROM topo_failover)"));
  EXPECT_EQ(r.row(0).get<std::uint64_t>(0), std::stoul(replica()));
  EXPECT_EQ(r.row(0).get<std::int64_t>(1), 0);
  EXPECT_EQ(r.row(0).get<std::string>(2), "before,after");
  run(db.aio_close());
}

}  // namespace
}  // namespace tern
