// ReadReplicas against a real primary and replica of each backend (tests/servers exec --with
// pg-standby,mysql-replica): a PostgreSQL streaming hot standby and a MariaDB GTID replica.
// Where a statement ran is read from the server itself — its own port (inet_server_port() /
// @@port, different for every server here), also through a view `topo_where` for the models —
// so no test can pass by landing on the wrong server. One test stops the replicas: meson runs
// it apart, on servers of its own.
#include "tern/db/replicas.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server_env.hpp"
#include "tern/orm/model.hpp"
#include "tern/ring/log.hpp"
#include "tern/ring/ring.hpp"

namespace {

using namespace std::chrono_literals;
using tern::AioDatabase;
using tern::QueryOptions;
using tern::ring::Task;
using tern::testing::server_env;

// The models' database: the replicated database of the test's backend.
std::unique_ptr<AioDatabase> db;

// A view answering with the port of the server that runs the SELECT.
struct Where {
  std::int64_t id{};
  std::int64_t port{};
  static constexpr std::string_view table_name = "topo_where";
  TERN_MODEL(Where, db, (id, tern::BigIntegerField{.primary_key = true}),
             (port, tern::BigIntegerField{}));
};

struct Note {
  std::int64_t id{};
  std::string text;
  static constexpr std::string_view table_name = "topo_note";
  TERN_MODEL(Note, db, (id, tern::AutoField{}), (text, tern::CharField{.max_length = 40}));
};

QueryOptions read_only() {
  QueryOptions o;
  o.read_only = true;
  return o;
}

class Replicas : public ::testing::TestWithParam<std::string_view> {
 protected:
  bool pg() const { return GetParam() == "pg"; }
  std::uint16_t primary_port() const {
    return tern::testing::server_port(pg() ? "TERN_PG_PORT" : "TERN_MYSQL_PORT");
  }
  std::uint16_t replica_port() const {
    return tern::testing::server_port(pg() ? "TERN_PG_STANDBY_PORT" : "TERN_MYSQL_REPLICA_PORT");
  }

  static tern::DatabaseOptions pool() {
    tern::DatabaseOptions o;
    o.min_connections = 0;
    o.max_connections = 4;
    return o;
  }
  tern::pg::ConnectOptions pg_options(std::uint16_t port) const {
    auto o = tern::pg::ConnectOptions::parse(
        "postgresql://tern:tern_pw@127.0.0.1:" + std::to_string(port) + "/tern_test");
    o.ssl_mode = tern::pg::SslMode::kDisable;
    o.connect_timeout = 10s;
    return o;
  }
  tern::mysql::ConnectOptions mysql_options(std::uint16_t port) const {
    auto o = tern::mysql::ConnectOptions::parse(
        "mysql://tern:tern_pw@127.0.0.1:" + std::to_string(port) + "/tern_test");
    o.ssl_mode = tern::mysql::SslMode::kDisabled;
    o.connect_timeout = 10s;
    return o;
  }
  // A database on one server only.
  std::unique_ptr<AioDatabase> plain(std::uint16_t port) const {
    if (pg()) return std::make_unique<tern::PooledPostgresqlDatabase>(pg_options(port), pool());
    return std::make_unique<tern::PooledMySQLDatabase>(mysql_options(port), pool());
  }
  // The primary with replicas on `ports`, in order; `handles` receives the replicas.
  std::unique_ptr<AioDatabase> replicated(const std::vector<std::uint16_t>& ports,
                                          tern::ReplicaOptions options = {},
                                          std::vector<AioDatabase*>* handles = nullptr) const {
    std::vector<std::unique_ptr<AioDatabase>> replicas;
    for (const std::uint16_t port : ports) {
      replicas.push_back(plain(port));
      if (handles != nullptr) handles->push_back(replicas.back().get());
    }
    if (pg()) {
      return std::make_unique<tern::ReadReplicas<tern::PooledPostgresqlDatabase>>(
          std::move(replicas), options, pg_options(primary_port()), pool());
    }
    return std::make_unique<tern::ReadReplicas<tern::PooledMySQLDatabase>>(
        std::move(replicas), options, mysql_options(primary_port()), pool());
  }

  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  // The port of the server a statement ran on.
  std::int64_t port_of(AioDatabase& on, QueryOptions options = {}) {
    const char* sql = pg() ? "SELECT inet_server_port()::bigint" : "SELECT CAST(@@port AS SIGNED)";
    return run(on.aio_execute(sql, {}, options)).row(0).get<std::int64_t>(0);
  }
  // Waits until the replica has applied everything the primary has written so far (PG: up to
  // the WAL insert position: with synchronous_commit off a commit may not be flushed yet).
  void catch_up() {
    if (pg()) {
      const std::string lsn = run(primary->aio_execute("SELECT pg_current_wal_insert_lsn()::text"))
                                  .row(0)
                                  .get<std::string>(0);
      bool applied = false;
      for (int i = 0; i < 3000 && !applied; ++i) {  // up to 30 s
        applied = run(replica->aio_execute("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn",
                                           tern::Value(lsn)))
                      .row(0)
                      .get<bool>(0);
        if (!applied) std::this_thread::sleep_for(10ms);
      }
      ASSERT_TRUE(applied) << "the standby did not replay up to " << lsn;
    } else {
      const std::string pos =
          run(primary->aio_execute("SELECT @@gtid_binlog_pos")).row(0).get<std::string>(0);
      const auto waited =
          run(replica->aio_execute("SELECT MASTER_GTID_WAIT(?, 30)", tern::Value(pos)))
              .row(0)
              .get<std::int64_t>(0);
      ASSERT_EQ(waited, 0) << "the replica did not apply up to " << pos;
    }
  }
  static void servers(const std::string& command) {
    const std::string line =
        server_env("TERN_SERVERS") + " " + command + " " + server_env("TERN_SERVERS_DIR");
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
  }

  void SetUp() override {
    primary = plain(primary_port());
    replica = plain(replica_port());
    if (pg()) {
      run(
          primary->aio_execute("CREATE OR REPLACE VIEW topo_where AS "
                               "SELECT 1::bigint AS id, inet_server_port()::bigint AS port"));
    } else {
      // A MariaDB view cannot name @@port itself; a function can.
      run(primary->aio_execute(
          "CREATE FUNCTION IF NOT EXISTS topo_port() RETURNS BIGINT NOT DETERMINISTIC NO SQL "
          "RETURN @@port"));
      run(primary->aio_execute(
          "CREATE OR REPLACE VIEW topo_where AS SELECT CAST(1 AS SIGNED) AS id, topo_port() AS "
          "port"));
    }
    catch_up();
  }
  void TearDown() override {
    for (auto* d : {&db, &primary, &replica}) {
      if (*d) run((*d)->aio_close());
      d->reset();
    }
  }

  tern::ring::Loop loop;
  std::unique_ptr<AioDatabase> primary;  // direct, to check where writes went
  std::unique_ptr<AioDatabase> replica;  // direct
};

TEST_P(Replicas, DeclaredReadsGoToTheReplicaEverythingElseToThePrimary) {
  db = replicated({replica_port()});
  EXPECT_EQ(port_of(*db, read_only()), replica_port());
  EXPECT_EQ(port_of(*db), primary_port());  // not declared read only: the primary

  // A stream declared read only reads the replica too.
  const char* sql = pg() ? "SELECT inet_server_port()::bigint" : "SELECT CAST(@@port AS SIGNED)";
  tern::RowStream stream = run(db->aio_stream(sql, {}, 10, read_only()));
  const std::optional<tern::ResultSet> batch = run(stream.next());
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->row(0).get<std::int64_t>(0), replica_port());
  run(stream.aio_close());

  // DDL and writes reach the primary at once (replication never goes replica -> primary, and
  // the PostgreSQL standby refuses writes).
  run(db->aio_execute("DROP TABLE IF EXISTS topo_raw"));
  run(db->aio_execute("CREATE TABLE topo_raw (v int)"));
  run(db->aio_execute(pg() ? "INSERT INTO topo_raw VALUES ($1)" : "INSERT INTO topo_raw VALUES (?)",
                      7));
  EXPECT_EQ(run(primary->aio_execute("SELECT COUNT(*) FROM topo_raw WHERE v = 7"))
                .row(0)
                .get<std::int64_t>(0),
            1);
}

TEST_P(Replicas, ScopesUseThePrimaryEvenWhenTheyOnlyRead) {
  db = replicated({replica_port()});
  std::vector<std::int64_t> seen;
  run(db->aio_atomic([&]() -> Task<void> {
    const QueryOptions read = read_only();
    const char* sql = pg() ? "SELECT inet_server_port()::bigint" : "SELECT CAST(@@port AS SIGNED)";
    seen.push_back((co_await db->aio_execute(sql, {}, read)).row(0).get<std::int64_t>(0));
  }));
  tern::TransactionOptions ro;
  ro.read_only = true;
  run(db->aio_transaction(ro, [&]() -> Task<void> {
    const QueryOptions read = read_only();
    const char* sql = pg() ? "SELECT inet_server_port()::bigint" : "SELECT CAST(@@port AS SIGNED)";
    seen.push_back((co_await db->aio_execute(sql, {}, read)).row(0).get<std::int64_t>(0));
  }));
  run(db->aio_connection([&]() -> Task<void> {
    const QueryOptions read = read_only();
    const char* sql = pg() ? "SELECT inet_server_port()::bigint" : "SELECT CAST(@@port AS SIGNED)";
    seen.push_back((co_await db->aio_execute(sql, {}, read)).row(0).get<std::int64_t>(0));
  }));
  const std::vector<std::int64_t> primary3(3, primary_port());
  EXPECT_EQ(seen, primary3);
  EXPECT_EQ(port_of(*db, read_only()), replica_port());  // after the scopes: the replica again
}

TEST_P(Replicas, ModelsReadFromTheReplicaAndWriteToThePrimary) {
  db = replicated({replica_port()});
  const std::vector<Where> all = run(Where::select().aio_execute());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].port, replica_port());
  EXPECT_EQ(run(Where::aio_get(Where::c.id == 1)).port, replica_port());
  // A locking read is not a read: the primary (the PostgreSQL standby would refuse it).
  const std::vector<Where> locked = run(Where::select().for_update().aio_execute());
  ASSERT_EQ(locked.size(), 1u);
  EXPECT_EQ(locked[0].port, primary_port());
  // Inside a transaction the model reads the primary.
  const std::int64_t in_atomic = run(db->aio_atomic(
      []() -> Task<std::int64_t> { co_return (co_await Where::aio_get(Where::c.id == 1)).port; }));
  EXPECT_EQ(in_atomic, primary_port());

  // DDL and aio_save land on the primary, visible there at once.
  run(Note::aio_drop_table());
  run(Note::aio_create_table());
  Note note;
  note.text = "saved";
  run(note.aio_save());
  EXPECT_EQ(run(primary->aio_execute("SELECT text FROM topo_note")).row(0).get<std::string>(0),
            "saved");
  // Once replicated, the model reads it back from the replica.
  catch_up();
  EXPECT_EQ(run(Note::aio_get(Note::c.id == note.id)).text, "saved");
}

TEST_P(Replicas, RoundRobinOverTheReplicas) {
  // The primary listed as a second replica makes the turns visible.
  db = replicated({replica_port(), primary_port()});
  std::vector<std::int64_t> ports;
  for (int i = 0; i < 4; ++i)
    ports.push_back(port_of(*db, read_only()));
  const std::vector<std::int64_t> expected{replica_port(), primary_port(), replica_port(),
                                           primary_port()};
  EXPECT_EQ(ports, expected);
}

TEST_P(Replicas, UnreachableReplicaIsSkippedWithoutAnError) {
  // Nothing listens on port 1: its connects are refused.
  db = replicated({1, replica_port()});
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(port_of(*db, read_only()), replica_port()) << "read " << i;
  // With no replica reachable, reads fall back to the primary (retried on every read here).
  tern::ReplicaOptions every_time;
  every_time.retry_after = 0ms;
  run(db->aio_close());
  std::vector<AioDatabase*> dead;
  db = replicated({1, 1}, every_time, &dead);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(port_of(*db, read_only()), primary_port()) << "read " << i;
  // Each read did try both replicas first.
  EXPECT_EQ(dead.at(0)->pool_stats().connect_errors, 2u);
  EXPECT_EQ(dead.at(1)->pool_stats().connect_errors, 2u);
}

// A skipped replica is logged (component "replicas") and traced as a failover span that
// carries the connect error.
TEST_P(Replicas, SkippedReplicaIsLoggedAndTraced) {
  struct Failovers : tern::Tracer {
    void* start(const tern::SpanStart&) noexcept override { return nullptr; }
    void end(void*, const tern::SpanStart& s, const tern::SpanEnd& e) noexcept override {
      if (s.kind == tern::SpanKind::kFailover && e.error) ++failed;
    }
    int failed = 0;
  };
  std::vector<std::string> warnings;
  tern::set_logger(
      [&](tern::LogLevel, std::string_view component, std::string_view message) {
        if (component == "replicas") warnings.emplace_back(message);
      },
      tern::LogLevel::warning);
  db = replicated({1, replica_port()});
  auto tracer = std::make_shared<Failovers>();
  db->set_tracer(tracer);
  EXPECT_EQ(port_of(*db, read_only()), replica_port());
  EXPECT_EQ(port_of(*db, read_only()), replica_port());
  tern::set_logger(nullptr);
  EXPECT_EQ(tracer->failed, 1);  // then left out for retry_after
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.back().find("read replica 0 cannot be reached"), std::string::npos)
      << warnings.back();
}

// Destructive: stops the replica. meson runs it in a process of its own, with servers of its
// own (replicas-stop), so no other test depends on running before it.
TEST_P(Replicas, ReplicaThatStopsFallsBackToThePrimary) {
  db = replicated({replica_port()});
  EXPECT_EQ(port_of(*db, read_only()), replica_port());  // leaves an idle replica connection
  replica.reset();  // it would try to close its pool on a stopped server
  servers(pg() ? "pg-stop-standby" : "mysql-stop-replica");
  EXPECT_EQ(port_of(*db, read_only()), primary_port());
  EXPECT_EQ(port_of(*db, read_only()), primary_port());
}

INSTANTIATE_TEST_SUITE_P(Backends, Replicas, ::testing::Values("pg", "mysql"),
                         [](const auto& p) { return std::string(p.param); });

}  // namespace
