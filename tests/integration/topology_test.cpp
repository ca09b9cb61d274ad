// Multi-host connection strings against a real PostgreSQL primary and its streaming standby
// (tests/servers exec --with pg-standby), ending with a failover: the primary stops, the
// standby is promoted, in-flight work fails with a typed error and new writes land on the new
// primary within a retry budget. The failover timeline is printed, never asserted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "expect_error.hpp"
#include "failover.hpp"
#include "server_env.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;
using ring::Task;
using tern::testing::server_env;
using Clock = std::chrono::steady_clock;

class Topology : public ::testing::Test {
 protected:
  static std::string primary() { return server_env("TERN_PG_PORT"); }
  static std::string standby() { return server_env("TERN_PG_STANDBY_PORT"); }
  // A keyword connection string over the given ports of 127.0.0.1, in order.
  static std::string conninfo(const std::string& ports, const std::string& attrs) {
    std::string hosts = "127.0.0.1";
    for (const char ch : ports) {
      if (ch == ',') hosts += ",127.0.0.1";
    }
    return "host=" + hosts + " port=" + ports +
           " user=tern password=tern_pw dbname=tern_test sslmode=disable connect_timeout=5"
           " target_session_attrs=" +
           attrs;
  }
  template <class T>
  T run(Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  pg::Connection connect(const std::string& info) {
    return run(pg::Connection::connect(loop, pg::ConnectOptions::parse(info)));
  }
  // The port of the server `c` is connected to, and whether it is in recovery, as it says.
  std::string where(pg::Connection& c) {
    const auto r =
        run(c.simple_query("SELECT inet_server_port()::text || ' ' || "
                           "pg_is_in_recovery()::text"));
    return std::string(protocol::as_chars(*r.at(0).row(0).raw(0)));
  }
  static void servers(const std::string& command) {
    const std::string line =
        server_env("TERN_SERVERS") + " " + command + " " + server_env("TERN_SERVERS_DIR");
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }

  ring::Loop loop;
};

TEST_F(Topology, EachTargetSessionAttrsFindsItsServer) {
  const std::string both = primary() + "," + standby();
  const std::string reversed = standby() + "," + primary();
  struct Case {
    std::string ports, attrs, expected;
  };
  for (const Case& k : {
           Case{both, "any", primary() + " false"}, Case{reversed, "any", standby() + " true"},
           Case{reversed, "read-write", primary() + " false"},
           Case{reversed, "primary", primary() + " false"},
           Case{both, "read-only", standby() + " true"}, Case{both, "standby", standby() + " true"},
           Case{both, "prefer-standby", standby() + " true"},
           Case{primary(), "prefer-standby", primary() + " false"},  // no standby: any
       }) {
    pg::Connection c = connect(conninfo(k.ports, k.attrs));
    EXPECT_EQ(where(c), k.expected) << k.ports << " " << k.attrs;
    // options() name the server settled on (a cancel request must go there).
    EXPECT_EQ(std::to_string(c.options().port), k.expected.substr(0, k.expected.find(' ')));
    run(c.close());
  }
}

TEST_F(Topology, RefusedHostIsSkipped) {
  pg::Connection c = connect(conninfo("1," + primary(), "any"));  // nothing listens on port 1
  EXPECT_EQ(where(c), primary() + " false");
  run(c.close());
}

TEST_F(Topology, NoSuitableHostIsConnectionFailedNamingEach) {
  try {
    connect(conninfo("1," + primary(), "standby"));
    FAIL() << "connected without a standby";
  } catch (const ConnectionFailed& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:1: "), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + primary() + ": not standby"), std::string::npos) << what;
  }
}

TEST_F(Topology, LoadBalanceRandomUsesEveryHost) {
  // 64 connections in random order over two servers: all on one has probability 2^-63.
  const std::string info =
      conninfo(primary() + "," + standby(), "any") + " load_balance_hosts=random";
  int on_standby = 0;
  for (int i = 0; i < 64; ++i) {
    pg::Connection c = connect(info);
    on_standby += c.options().port == std::stoi(standby()) ? 1 : 0;
    run(c.close());
  }
  EXPECT_GT(on_standby, 0);
  EXPECT_LT(on_standby, 64);
}

TEST_F(Topology, StandbyRefusesWritesButReadsReplicatedRows) {
  pg::Connection writer = connect(conninfo(primary(), "read-write"));
  run(
      writer.simple_query("DROP TABLE IF EXISTS topo_seen; CREATE TABLE topo_seen (v int);"
                          "INSERT INTO topo_seen VALUES (7)"));
  pg::Connection reader = connect(conninfo(standby(), "standby"));
  std::string seen;
  for (int i = 0; i < 500 && seen != "7"; ++i) {  // replication is asynchronous
    try {
      const auto r = run(reader.simple_query("SELECT v::text FROM topo_seen"));
      if (r.at(0).size() == 1) seen = std::string(protocol::as_chars(*r.at(0).row(0).raw(0)));
    } catch (const ProgrammingError&) {  // the table has not arrived yet
    }
    if (seen != "7") std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(seen, "7");
  // A standby refuses writes: 25006 read_only_sql_transaction.
  tern::testing::expect_server_error(tern::testing::thrown<InternalError>([&] {
                                       run(reader.simple_query("INSERT INTO topo_seen VALUES (8)"));
                                     }),
                                     "25006");
  run(reader.close());
  run(writer.close());
}

// Destructive: leaves the standby as the primary. meson runs it in a process of its own, with
// servers of its own (pg-topology-failover), so no other test depends on running before it.
TEST_F(Topology, FailoverToThePromotedStandby) {
  DatabaseOptions pool;
  pool.max_connections = 4;
  PooledPostgresqlDatabase db(
      pg::ConnectOptions::parse(conninfo(primary() + "," + standby(), "read-write")), pool);
  run(db.aio_execute("DROP TABLE IF EXISTS topo_failover"));
  run(db.aio_execute("CREATE TABLE topo_failover (id serial PRIMARY KEY, at text)"));
  run(db.aio_execute("INSERT INTO topo_failover (at) VALUES ('before')"));

  // In flight while the primary goes away: a long query on a pooled connection. The primary
  // stops once the query runs there (seen from a session of the stopper's own).
  Clock::time_point lost{};
  std::thread stopper([&] {
    ring::Loop own;
    pg::Connection watch = ring::sync_wait(
        own, pg::Connection::connect(own, pg::ConnectOptions::parse(conninfo(primary(), "any"))));
    for (int polls = 0; polls < 3000; ++polls) {
      const auto r = ring::sync_wait(
          own, watch.simple_query("SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' "
                                  "AND query = 'SELECT pg_sleep(30)'"));
      if (std::string(protocol::as_chars(*r.at(0).row(0).raw(0))) == "1") break;
      std::this_thread::sleep_for(10ms);
    }
    ring::sync_wait(own, watch.close());
    servers("pg-stop-primary");
    lost = Clock::now();
  });
  std::string in_flight_error;
  try {
    run(db.aio_execute("SELECT pg_sleep(30)"));
  } catch (const ConnectionLost& e) {
    in_flight_error = e.what();
  }
  stopper.join();
  EXPECT_FALSE(in_flight_error.empty()) << "the in-flight query did not fail with ConnectionLost";

  // The standby is promoted while writes are retried (each failure is a typed error).
  ASSERT_TRUE(testing::write_through_failover(
      [&] { run(db.aio_execute("INSERT INTO topo_failover (at) VALUES ('after')")); },
      [&] { servers("pg-promote"); }, lost, in_flight_error));
  // The write is on the new primary, with the row written before the failover.
  const ResultSet r =
      run(db.aio_execute("SELECT inet_server_port(), pg_is_in_recovery(), "
                         "(SELECT string_agg(at, ',' ORDER BY id) FROM topo_failover)"));
  EXPECT_EQ(r.row(0).get<std::int32_t>(0), std::stoi(standby()));
  EXPECT_FALSE(r.row(0).get<bool>(1));
  EXPECT_EQ(r.row(0).get<std::string>(2), "before,after");
  run(db.aio_close());
}

}  // namespace
}  // namespace tern
