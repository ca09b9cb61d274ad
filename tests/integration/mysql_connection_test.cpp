// The MySQL connection against a real MariaDB 10.11 (tests/servers): every authentication
// plugin the server offers, TLS, text and binary queries with every type, multi-result
// statements, large BLOBs, KILL QUERY on a deadline, a killed session, duplicate keys and a
// refused LOCAL INFILE.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "eventually.hpp"
#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/ring/ring.hpp"

namespace tern::mysql {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using ring::sync_wait;
using ring::Task;
using tern::testing::server_env;

// TERN_MYSQL_COMPRESS=1 (the mysql-connection-compressed test) runs the suite over the
// compressed protocol.
bool compressed() {
  return std::getenv("TERN_MYSQL_COMPRESS") != nullptr;
}

ConnectOptions tcp_options(const std::string& user, const std::string& password,
                           SslMode ssl = SslMode::kDisabled) {
  ConnectOptions o;
  o.compress = compressed();
  o.host = server_env("TERN_MYSQL_HOST");
  o.port = tern::testing::server_port("TERN_MYSQL_PORT");
  o.user = user;
  o.password = password;
  o.database = server_env("TERN_MYSQL_DB");
  o.ssl_mode = ssl;
  o.ssl_ca = server_env("TERN_MYSQL_CA");
  o.connect_timeout = 10s;
  return o;
}

ConnectOptions main_options() {
  ConnectOptions o = ConnectOptions::parse(server_env("TERN_MYSQL_URL"));
  o.compress = compressed();
  return o;
}

std::string text_of(const Result& r, std::size_t row = 0, std::size_t column = 0) {
  const std::optional<Bytes> raw = r.row(row).raw(column);
  return raw ? std::string(protocol::as_chars(*raw)) : std::string("NULL");
}

class MysqlConnection : public ::testing::Test {
 protected:
  template <class T>
  T run(Task<T> task) {
    return sync_wait(loop, std::move(task));
  }
  Connection connect(ConnectOptions o) { return run(Connection::connect(loop, std::move(o))); }
  std::string scalar(Connection& c, const std::string& sql) {
    return text_of(run(c.query(sql)).at(0));
  }

  ring::Loop loop;
};

// ---- start-up and authentication ----

TEST_F(MysqlConnection, NativePassword) {
  Connection c = connect(tcp_options("tern_native", "native_pw"));
  EXPECT_EQ(c.auth_plugin(), "mysql_native_password");
  EXPECT_EQ(c.is_compressed(), compressed());
  EXPECT_TRUE(c.is_mariadb());
  EXPECT_NE(c.server_version().find("10.11"), std::string::npos) << c.server_version();
  EXPECT_EQ(scalar(c, "SELECT CURRENT_USER()"), "tern_native@%");
  EXPECT_NE(c.connection_id(), 0u);
}

TEST_F(MysqlConnection, Ed25519) {
  ASSERT_EQ(server_env("TERN_MYSQL_ED25519"), "1") << "MariaDB's auth_ed25519 plugin is missing";
  Connection c = connect(tcp_options("tern_ed25519", "ed25519_pw"));
  EXPECT_EQ(c.auth_plugin(), "client_ed25519");
  EXPECT_EQ(scalar(c, "SELECT 1"), "1");
}

TEST_F(MysqlConnection, UnixSocket) {
  ConnectOptions o = tcp_options("tern_native", "native_pw", SslMode::kRequired);
  o.unix_socket = server_env("TERN_MYSQL_SOCKET");
  Connection c = connect(o);
  EXPECT_FALSE(c.is_tls());  // never over a Unix socket
  EXPECT_EQ(scalar(c, "SELECT 2"), "2");
}

TEST_F(MysqlConnection, VerifiedTlsForARequireSslUser) {
  Connection c = connect(tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyIdentity));
  EXPECT_TRUE(c.is_tls());
  const Result r = run(c.query("SHOW SESSION STATUS LIKE 'Ssl_version'")).at(0);
  EXPECT_EQ(text_of(r, 0, 1).substr(0, 4), "TLSv");
  EXPECT_THROW(connect(tcp_options("tern_ssl", "ssl_pw", SslMode::kDisabled)), OperationalError);
}

TEST_F(MysqlConnection, VerifyIdentityRejectsWrongHostNameAndUntrustedCa) {
  ConnectOptions o = tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyIdentity);
  o.hostaddr = o.host;
  o.host = "db.example.com";
  EXPECT_THROW(connect(o), ConnectionFailed);
  o.ssl_mode = SslMode::kVerifyCa;  // the chain alone is fine
  EXPECT_TRUE(connect(o).is_tls());
  o.ssl_ca = server_env("TERN_TLS_OTHER_CA");
  EXPECT_THROW(connect(o), ConnectionFailed);
}

TEST_F(MysqlConnection, WrongPasswordIsAccessDenied) {
  for (const char* user : {"tern_native", "tern_ed25519", "tern"}) {
    try {
      connect(tcp_options(user, "wrong"));
      FAIL() << user << " logged in with a wrong password";
    } catch (const OperationalError& e) {
      EXPECT_EQ(e.info().code, 1045u) << user << ": " << e.what();
      EXPECT_EQ(e.sqlstate(), "28000");
    }
  }
}

// ---- queries and types ----

TEST_F(MysqlConnection, TextQueryResultsAndOk) {
  Connection c = connect(main_options());
  run(c.query("CREATE TEMPORARY TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))"));
  Result ok = run(c.query("INSERT INTO t (v) VALUES ('a'), ('b'), (NULL)")).at(0);
  EXPECT_EQ(ok.affected_rows(), 3u);
  EXPECT_EQ(ok.last_insert_id(), 1u);
  Result r = run(c.query("SELECT id, v FROM t ORDER BY id")).at(0);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.columns().at(1).name, "v");
  EXPECT_EQ(r.row(1).get<std::int32_t>(0), 2);
  EXPECT_EQ(r.row(1).get<std::string>("v"), "b");
  EXPECT_FALSE(r.row(2).get<std::optional<std::string>>(1));
}

TEST_F(MysqlConnection, PreparedStatementsBindValues) {
  Connection c = connect(main_options());
  run(c.query("CREATE TEMPORARY TABLE p (k VARCHAR(100) PRIMARY KEY, n BIGINT)"));
  const std::string nasty = "it's \"quoted\"; DROP TABLE p; -- \\ ü";
  Params insert;
  insert.add(std::string_view(nasty));
  insert.add(std::int64_t{-9000000000});
  EXPECT_EQ(run(c.execute("INSERT INTO p VALUES (?, ?)", insert)).affected_rows(), 1u);
  Params key;
  key.add(std::string_view(nasty));
  Result r = run(c.execute("SELECT k, n FROM p WHERE k = ?", key));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.format(), Format::kBinary);
  EXPECT_EQ(r.row(0).get<std::string>(0), nasty);
  EXPECT_EQ(r.row(0).get<std::int64_t>(1), -9000000000);
  EXPECT_EQ(c.cached_statements(), 2u);
  run(c.execute("SELECT k, n FROM p WHERE k = ?", key));
  EXPECT_EQ(c.cached_statements(), 2u);
  EXPECT_THROW(run(c.execute("SELECT k FROM p WHERE k = ?")), ClientError);
  EXPECT_TRUE(c.is_usable());
}

TEST_F(MysqlConnection, EveryTypeInBothProtocols) {
  Connection c = connect(main_options());
  run(c.query(
      "CREATE TEMPORARY TABLE ty (ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT,"
      " i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE,"
      " dec1 DECIMAL(30,10), s VARCHAR(50), b VARBINARY(10), bl BLOB, dt DATE, dtm DATETIME(6),"
      " ts TIMESTAMP(3) NULL, tm TIME(6), y YEAR, bt BIT(10), j JSON, n INT)"));
  run(
      c.query("INSERT INTO ty VALUES (-128, 255, -32768, -8388608, -2147483648, 4294967295,"
              " -9223372036854775808, 18446744073709551615, 1.5, -2.25e300,"
              " '-12345678901234567890.0123456789', 'héllo ✓', 0x00FF10, 'blob', '2024-02-29',"
              " '1999-12-31 23:59:59.123456', '2020-05-17 01:02:03.500', '-838:59:59.000000', 2155,"
              " b'1010101010', '{\"a\": [1, 2]}', NULL)"));
  for (int binary = 0; binary < 2; ++binary) {
    SCOPED_TRACE(binary ? "binary protocol" : "text protocol");
    const Result r =
        binary ? run(c.execute("SELECT * FROM ty")) : run(c.query("SELECT * FROM ty")).at(0);
    const Row row = r.row(0);
    EXPECT_EQ(row.get<std::int8_t>(0), -128);
    EXPECT_EQ(row.get<std::uint8_t>(1), 255);
    EXPECT_EQ(row.get<std::int16_t>(2), -32768);
    EXPECT_EQ(row.get<std::int32_t>(3), -8388608);
    EXPECT_EQ(row.get<std::int32_t>(4), std::numeric_limits<std::int32_t>::min());
    EXPECT_EQ(row.get<std::uint32_t>(5), 4294967295u);
    EXPECT_EQ(row.get<std::int64_t>(6), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(row.get<std::uint64_t>(7), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(row.get<float>(8), 1.5f);
    EXPECT_EQ(row.get<double>(9), -2.25e300);
    EXPECT_EQ(row.get<Decimal>(10).value, "-12345678901234567890.0123456789");
    EXPECT_EQ(row.get<std::string>(11), "héllo ✓");
    EXPECT_EQ(row.get<ByteString>(12),
              (ByteString{std::byte{0}, std::byte{0xff}, std::byte{0x10}}));
    EXPECT_EQ(row.get<ByteString>(13).size(), 4u);
    EXPECT_EQ(row.get<Date>(14), Date(2024y / February / 29));
    EXPECT_EQ(row.get<DateTime>(15),
              local_days(1999y / December / 31) + 23h + 59min + 59s + 123456us);
    EXPECT_EQ(row.get<DateTime>(16), local_days(2020y / May / 17) + 1h + 2min + 3s + 500ms);
    EXPECT_EQ(row.get<Time>(17), -(838h + 59min + 59s));
    EXPECT_EQ(row.get<Year>(18).value, 2155);
    EXPECT_EQ(row.get<Bit>(19).value, 0b1010101010u);
    EXPECT_EQ(row.get<std::string>(20), "{\"a\": [1, 2]}");
    EXPECT_FALSE(row.get<std::optional<std::int32_t>>(21));
    EXPECT_THROW(row.get<std::int32_t>(21), TypeError);
    EXPECT_THROW(row.get<std::int32_t>(11), TypeError);
  }
}

TEST_F(MysqlConnection, ParametersOfEveryTypeRoundTrip) {
  Connection c = connect(main_options());
  Params p;
  p.add(std::int64_t{-42});
  p.add(std::uint64_t{18446744073709551615u});
  p.add(2.5);
  p.add(Decimal{"3.14159265358979323846"});
  p.add(std::string_view("ünïcode"));
  p.add(Date(2000y / January / 1));
  p.add(DateTime(local_days(2038y / January / 19) + 3h + 14min + 8s + 1us));
  p.add(Time(-(1h + 2min)));
  p.add(std::optional<std::int32_t>{});
  const Result r = run(c.execute(
      "SELECT ?, ?, ?, CAST(? AS DECIMAL(30,20)), ?, CAST(? AS DATE), CAST(? AS DATETIME(6)),"
      " CAST(? AS TIME), ?",
      p));
  const Row row = r.row(0);
  EXPECT_EQ(row.get<std::int64_t>(0), -42);
  EXPECT_EQ(row.get<std::uint64_t>(1), 18446744073709551615u);
  EXPECT_EQ(row.get<double>(2), 2.5);
  EXPECT_EQ(row.get<Decimal>(3).value, "3.14159265358979323846");
  EXPECT_EQ(row.get<std::string>(4), "ünïcode");
  EXPECT_EQ(row.get<Date>(5), Date(2000y / January / 1));
  EXPECT_EQ(row.get<DateTime>(6), local_days(2038y / January / 19) + 3h + 14min + 8s + 1us);
  EXPECT_EQ(row.get<Time>(7), -(1h + 2min));
  EXPECT_FALSE(row.raw(8));
}

TEST_F(MysqlConnection, ZeroDatesNeedRawDateTime) {
  Connection c = connect(main_options());
  run(c.query("SET SESSION sql_mode = ''"));
  run(c.query("CREATE TEMPORARY TABLE z (d DATE, dt DATETIME)"));
  run(c.query("INSERT INTO z VALUES ('0000-00-00', '0000-00-00 00:00:00')"));
  for (int binary = 0; binary < 2; ++binary) {
    const Result r =
        binary ? run(c.execute("SELECT d, dt FROM z")) : run(c.query("SELECT d, dt FROM z")).at(0);
    EXPECT_THROW(r.row(0).get<Date>(0), TypeError);
    EXPECT_EQ(r.row(0).get<RawDateTime>(1).year, 0);
  }
}

TEST_F(MysqlConnection, MultiResultStatementsAndProcedures) {
  ConnectOptions o = main_options();
  o.multi_statements = true;
  Connection c = connect(o);
  auto results = run(c.query("SELECT 1 AS a; SELECT 'x' AS b, 2 AS c; DO 1"));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(text_of(results[0]), "1");
  EXPECT_EQ(text_of(results[1], 0, 1), "2");
  EXPECT_TRUE(results[2].columns().empty());
  run(c.query("CREATE PROCEDURE two_sets() BEGIN SELECT 10; SELECT 20, 30; END"));
  results = run(c.query("CALL two_sets()"));
  ASSERT_EQ(results.size(), 3u);  // two result sets and the CALL's own OK
  EXPECT_EQ(text_of(results[1], 0, 1), "30");
  EXPECT_EQ(run(c.execute("CALL two_sets()")).row(0).get<std::int64_t>(0), 10);
  run(c.query("DROP PROCEDURE two_sets"));
  // Without the option a second statement is a syntax error, not a second query.
  Connection plain = connect(main_options());
  EXPECT_THROW(run(plain.query("SELECT 1; SELECT 2")), ProgrammingError);
  EXPECT_TRUE(plain.is_usable());
}

TEST_F(MysqlConnection, PreparedMetadataSkippedOnlyWhileUnchanged) {
  Connection c = connect(main_options());
  // tern asks MariaDB (10.6+) to skip a prepared statement's unchanged column definitions.
  if (c.is_mariadb()) {
    EXPECT_NE(c.capabilities() & cap::kMariadbCacheMetadata, 0u);
  }
  run(c.query("CREATE TEMPORARY TABLE meta_t (a INT)"));
  run(c.query("INSERT INTO meta_t VALUES (1)"));
  for (int i = 0; i < 3; ++i) {
    const Result r = run(c.execute("SELECT * FROM meta_t"));
    ASSERT_EQ(r.columns().size(), 1u);
    EXPECT_EQ(r.columns()[0].name, "a");
    EXPECT_EQ(r.row(0).get<std::int32_t>(0), 1);
  }
  // DDL changes the result: the server sends the new definitions, and they replace the cache.
  run(c.query("ALTER TABLE meta_t MODIFY a BIGINT, ADD COLUMN b VARCHAR(5) DEFAULT 'x'"));
  for (int i = 0; i < 3; ++i) {
    const Result r = run(c.execute("SELECT * FROM meta_t"));
    ASSERT_EQ(r.columns().size(), 2u);
    EXPECT_EQ(r.columns()[0].type.type, FieldType::kLongLong);
    EXPECT_EQ(r.row(0).get<std::int64_t>(0), 1);
    EXPECT_EQ(r.row(0).get<std::string>(1), "x");
  }
  // The same column count, another type.
  run(c.query("ALTER TABLE meta_t MODIFY a SMALLINT"));
  for (int i = 0; i < 2; ++i) {
    const Result r = run(c.execute("SELECT * FROM meta_t"));
    ASSERT_EQ(r.columns().size(), 2u);
    EXPECT_EQ(r.columns()[0].type.type, FieldType::kShort);
    EXPECT_EQ(r.row(0).get<std::int16_t>(0), 1);
  }
  // A procedure's result sets of different shapes, executed again and again; and streamed.
  run(c.query("DROP PROCEDURE IF EXISTS meta_two_sets"));
  run(c.query("CREATE PROCEDURE meta_two_sets() BEGIN SELECT 10; SELECT 20, 30; END"));
  for (int i = 0; i < 3; ++i) {
    const Result r = run(c.execute("CALL meta_two_sets()"));
    ASSERT_EQ(r.columns().size(), 1u);
    EXPECT_EQ(r.row(0).get<std::int64_t>(0), 10);
  }
  for (int i = 0; i < 2; ++i) {
    run(c.open_stream("SELECT * FROM meta_t", {}));
    Result batch;
    EXPECT_FALSE(run(c.next_batch(batch, 10)));
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch.row(0).get<std::string>(1), "x");
  }
  run(c.query("DROP PROCEDURE meta_two_sets"));
  EXPECT_TRUE(c.is_usable());
}

TEST_F(MysqlConnection, WarningsOfAResultSet) {
  Connection c = connect(main_options());
  // The count comes in the packet that ends the rows (an OK packet under DEPRECATE_EOF).
  const char* sql = "SELECT CAST('1x' AS SIGNED)";
  EXPECT_EQ(run(c.query(sql)).at(0).warnings(), 1);
  EXPECT_EQ(run(c.execute(sql)).warnings(), 1);
  run(c.open_stream(sql, {}));
  Result batch;
  EXPECT_FALSE(run(c.next_batch(batch, 10)));
  EXPECT_EQ(batch.warnings(), 1);
  EXPECT_EQ(run(c.execute("SELECT 1")).warnings(), 0);
}

TEST_F(MysqlConnection, TenAndTwentyMebibyteBlobs) {
  Connection c = connect(main_options());
  run(c.query("CREATE TEMPORARY TABLE big (id INT PRIMARY KEY, b LONGBLOB)"));
  for (std::size_t size : {std::size_t{10} << 20, std::size_t{20} << 20}) {
    ByteString blob(size);
    for (std::size_t i = 0; i < size; ++i)
      blob[i] = static_cast<std::byte>(i * 7 + i / 4096);
    Params p;
    p.add(static_cast<std::int32_t>(size >> 20));
    p.add(blob);
    run(c.execute("INSERT INTO big VALUES (?, ?)", p));
    Params key;
    key.add(static_cast<std::int32_t>(size >> 20));
    EXPECT_EQ(run(c.execute("SELECT b FROM big WHERE id = ?", key)).row(0).get<ByteString>(0),
              blob);
    EXPECT_EQ(run(c.query("SELECT b FROM big WHERE id = " + std::to_string(size >> 20)))
                  .at(0)
                  .row(0)
                  .get<ByteString>(0),
              blob);
  }
}

// ---- errors, cancellation and lost sessions ----

TEST_F(MysqlConnection, DuplicateKeyIsIntegrityError) {
  Connection c = connect(main_options());
  run(c.query("CREATE TEMPORARY TABLE u (k INT PRIMARY KEY)"));
  run(c.query("INSERT INTO u VALUES (1)"));
  try {
    run(c.query("INSERT INTO u VALUES (1)"));
    FAIL();
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.info().code, 1062u);
    EXPECT_EQ(e.sqlstate(), "23000");
  }
  Params one;
  one.add(std::int32_t{1});
  EXPECT_THROW(run(c.execute("INSERT INTO u VALUES (?)", one)), IntegrityError);
  EXPECT_THROW(run(c.query("SELECT * FROM no_such_table")), ProgrammingError);
  EXPECT_EQ(scalar(c, "SELECT COUNT(*) FROM u"), "1");
}

// The sleep outlasts the connection's kill budget (cancel_timeout, 5 s) many times over, so
// the connection can only come back usable if KILL QUERY ended it: a query left running, or a
// kill that was not confirmed, discards the connection.
TEST_F(MysqlConnection, DeadlineKillsSleepAndKeepsTheConnection) {
  Connection c = connect(main_options());
  ASSERT_LT(c.options().cancel_timeout, 60s);
  for (int binary = 0; binary < 2; ++binary) {
    const QueryOptions deadline{.deadline = ring::deadline_after(200ms)};
    if (binary) {
      EXPECT_THROW(run(c.execute("SELECT SLEEP(60)", {}, deadline)), QueryTimeout);
    } else {
      EXPECT_THROW(run(c.query("SELECT SLEEP(60)", deadline)), QueryTimeout);
    }
    EXPECT_TRUE(c.is_usable());
    EXPECT_EQ(scalar(c, "SELECT 3"), "3");
  }
}

// The stop request comes once the server runs the query (seen from another session), and the
// sleep outlasts the kill budget: the connection stays usable only if KILL QUERY ended it.
TEST_F(MysqlConnection, StopRequestKillsTheQuery) {
  Connection c = connect(main_options());
  Connection observer = connect(main_options());
  ring::TaskGroup group(loop);
  bool cancelled = false;
  group.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.query("SELECT SLEEP(60)");
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(c, cancelled));
  const std::string running = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                              std::to_string(c.connection_id()) + " AND INFO = 'SELECT SLEEP(60)'";
  run([](ring::Loop& l, ring::TaskGroup& g, Connection& obs, const std::string& q) -> Task<void> {
    for (int polls = 0;; ++polls) {
      const std::vector<Result> r = co_await obs.query(q);
      if (text_of(r.at(0)) == "1") break;
      EXPECT_LT(polls, 1000) << "the query never started";
      if (polls >= 1000) break;
      co_await ring::sleep_for(l, 5ms);
    }
    g.cancel();
    co_await g.join();
  }(loop, group, observer, running));
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT 4"), "4");
}

TEST_F(MysqlConnection, KilledSessionIsConnectionLost) {
  Connection victim = connect(main_options());
  Connection admin = connect(main_options());
  run(admin.query("KILL " + std::to_string(victim.connection_id())));
  EXPECT_THROW(run(victim.query("SELECT 1")), ConnectionLost);
  EXPECT_FALSE(victim.is_usable());
}

TEST_F(MysqlConnection, LocalInfileIsRefused) {
  Connection c = connect(main_options());
  run(c.query("CREATE TEMPORARY TABLE li (a TEXT)"));
  // The client does not advertise CLIENT_LOCAL_FILES, so the server refuses by itself (4166).
  // (fault-test makes the server ask anyway, and checks that the client refuses.)
  // ER_LOAD_INFILE_CAPABILITY_DISABLED, SQLSTATE HY000: an OperationalError.
  tern::testing::expect_server_error(tern::testing::thrown<OperationalError>([&] {
                                       run(
                                           c.query("LOAD DATA LOCAL INFILE '/etc/passwd' "
                                                   "INTO TABLE li"));
                                     }),
                                     "HY000", 4166);
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT COUNT(*) FROM li"), "0");
}

TEST_F(MysqlConnection, PingResetAndStatementCacheEviction) {
  ConnectOptions o = main_options();
  o.statement_cache_size = 3;
  Connection c = connect(o);
  run(c.ping());
  for (int i = 0; i < 8; ++i)
    run(c.execute("SELECT " + std::to_string(i)));
  EXPECT_EQ(c.cached_statements(), 3u);
  run(c.query("SET @x = 5"));
  run(c.reset());
  EXPECT_EQ(c.cached_statements(), 0u);
  EXPECT_EQ(scalar(c, "SELECT @x"), "NULL");
  EXPECT_EQ(run(c.execute("SELECT 7")).row(0).get<std::int64_t>(0), 7);
}

// ---- implicit pipelining: several tasks' calls on one connection ----

using tern::testing::eventually;

Params int_param(std::int64_t v) {
  Params p;
  p.add(v);
  return p;
}

class MysqlPipelining : public MysqlConnection {
 protected:
  // Opens the connection under test, a second session that holds the user lock kLock (a call
  // taking it on the connection under test blocks — its response, and every response behind
  // it, waits — until release()), and an observer.
  // The statements the tests run are prepared first, so that exactly the calls made are in
  // flight (a new statement's COM_STMT_PREPARE is a request of its own, and its other callers
  // wait for it).
  void SetUp() override { open(main_options()); }
  void open(const ConnectOptions& o) {
    c = std::make_unique<Connection>(connect(o));
    locker = std::make_unique<Connection>(connect(main_options()));
    observer = std::make_unique<Connection>(connect(main_options()));
    run(c->query("CREATE TEMPORARY TABLE pipelined (k BIGINT PRIMARY KEY)"));
    for (const char* sql : {kDouble, kSame, kInsert})
      run(c->execute(sql, int_param(2)));
    run(c->execute(kBlock));  // takes the lock: give it back
    run(c->query("DO RELEASE_LOCK('tern_pipelined')"));
    run(c->query("DELETE FROM pipelined"));
    EXPECT_EQ(text_of(run(locker->query("SELECT GET_LOCK('tern_pipelined', 0)")).at(0)), "1");
  }
  void release() { run(locker->query("DO RELEASE_LOCK('tern_pipelined')")); }
  // How many statements of the connection under test wait for the user lock.
  int lock_waiters_now() { return std::stoi(scalar(*observer, waiting_query())); }
  std::string waiting_query() const {
    return "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
           std::to_string(c->connection_id()) + " AND STATE = 'User lock'";
  }
  // Waits until the blocking call runs on the server and `calls` responses are in flight.
  void wait_until_blocked(std::size_t calls) {
    const std::string q = waiting_query();
    const bool blocked = run(eventually(loop, [&]() -> Task<bool> {
      if (c->in_flight() != calls) co_return false;
      co_return text_of((co_await observer->query(q)).at(0)) == "1";
    }));
    ASSERT_TRUE(blocked) << "in flight: " << c->in_flight();
  }
  static std::int64_t int_of(const Result& r) { return r.row(0).get<std::int64_t>(0); }
  // Statements prepared and not closed in the session of `conn` (closes go out with the next
  // request: this query's).
  std::size_t open_statements(Connection& conn) {
    const auto counter = [&](const char* name) {
      const Result r =
          run(conn.query(std::string("SHOW SESSION STATUS LIKE '") + name + "'")).at(0);
      return std::stoul(text_of(r, 0, 1));
    };
    const std::size_t closed = counter("Com_stmt_close");
    return counter("Com_stmt_prepare") - closed;
  }

  static constexpr const char* kBlock = "SELECT GET_LOCK('tern_pipelined', 60)";
  static constexpr const char* kDouble = "SELECT CAST(? AS SIGNED) * 2";
  static constexpr const char* kSame = "SELECT CAST(? AS SIGNED)";
  static constexpr const char* kInsert = "INSERT INTO pipelined VALUES (?)";
  std::unique_ptr<Connection> c, locker, observer;
};

TEST_F(MysqlPipelining, CallsOfManyTasksShareOneConnectionInOrder) {
  ring::TaskGroup group(loop);
  std::int64_t blocked_result = 0;
  group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = int_of(co_await conn.execute(kBlock));
  }(*c, blocked_result));
  // Eight tasks, each running three statements one after the other: their first ones queue
  // behind the blocked call; each task still sees its own statements in its own order.
  std::vector<std::vector<std::int64_t>> seen(8);
  for (int t = 0; t < 8; ++t) {
    group.spawn([](Connection& conn, int task, std::vector<std::int64_t>& out) -> Task<void> {
      for (int i = 0; i < 3; ++i)
        out.push_back(int_of(co_await conn.execute(kDouble, int_param(task * 10 + i))));
    }(*c, t, seen[t]));
  }
  wait_until_blocked(9);
  release();
  run(group.join());
  EXPECT_EQ(blocked_result, 1);
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(seen[t], (std::vector<std::int64_t>{t * 20, t * 20 + 2, t * 20 + 4}));
  }
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// Text queries, pings and prepared statements interleave; each caller gets its own results.
TEST_F(MysqlPipelining, QueriesPingsAndExecutesInterleave) {
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::vector<std::string> seen(12);
  for (int i = 0; i < 12; ++i) {
    group.spawn([](Connection& conn, int k, std::string& out) -> Task<void> {
      switch (k % 3) {
        case 0: {
          // Two result sets of one COM_QUERY (multi-statements are off: a procedure-less
          // UNION instead), then an OK.
          const std::vector<Result> r =
              co_await conn.query("SELECT " + std::to_string(k) + " UNION ALL SELECT 100");
          out = text_of(r.at(0), 0) + "," + text_of(r.at(0), 1);
          break;
        }
        case 1:
          co_await conn.ping();
          out = "pong";
          break;
        default:
          out = std::to_string(int_of(co_await conn.execute(kSame, int_param(k))));
      }
    }(*c, i, seen[i]));
  }
  wait_until_blocked(13);
  release();
  run(group.join());
  for (int i = 0; i < 12; ++i) {
    const std::string want = i % 3 == 0   ? std::to_string(i) + ",100"
                             : i % 3 == 1 ? "pong"
                                          : std::to_string(i);
    EXPECT_EQ(seen[i], want) << i;
  }
  EXPECT_EQ(c->in_flight(), 0u);
}

TEST_F(MysqlPipelining, AFailingCallFailsOnlyItself) {
  run(c->execute(kInsert, int_param(1)));
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::vector<std::string> outcome(3);
  for (int i = 0; i < 3; ++i) {
    // The middle one repeats a key; the two around it insert and commit.
    group.spawn([](Connection& conn, int k, std::string& out) -> Task<void> {
      try {
        co_await conn.execute(kInsert, int_param(k == 1 ? 1 : k + 10));
        out = "ok";
      } catch (const IntegrityError& e) {
        out = e.sqlstate();
      }
    }(*c, i, outcome[i]));
  }
  wait_until_blocked(4);
  release();
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "23000", "ok"}));
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM pipelined"), "3");
  EXPECT_TRUE(c->is_usable());
}

// A deadline passing while the call waits behind another: the call fails alone, the one ahead
// is not killed (KILL QUERY would hit it), and the given-up statement still ran once.
TEST_F(MysqlPipelining, DeadlineBehindAnotherCallFailsOnlyThatCall) {
  ring::TaskGroup group(loop);
  std::int64_t ahead = 0;
  group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = int_of(co_await conn.execute(kBlock));
  }(*c, ahead));
  bool timed_out = false;
  group.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kInsert, int_param(5), {.deadline = ring::deadline_after(100ms)});
    } catch (const QueryTimeout&) {
      flag = true;
    }
  }(*c, timed_out));
  std::int64_t behind = 0;
  group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = int_of(co_await conn.execute(kDouble, int_param(21)));
  }(*c, behind));
  wait_until_blocked(3);
  ASSERT_TRUE(run(eventually(loop, [&]() -> Task<bool> { co_return timed_out; })));
  EXPECT_EQ(lock_waiters_now(), 1) << "the blocked statement was killed";
  release();
  run(group.join());
  EXPECT_EQ(ahead, 1);
  EXPECT_EQ(behind, 42);
  EXPECT_EQ(scalar(*c, "SELECT COUNT(*) FROM pipelined WHERE k = 5"), "1");  // never twice
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// The reader's own deadline with others waiting behind it: it gives its response up without a
// kill; the calls behind it get theirs.
TEST_F(MysqlPipelining, DeadlineOfTheRunningCallLeavesTheOthersAlone) {
  ring::TaskGroup group(loop);
  bool timed_out = false;
  group.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kBlock, {}, {.deadline = ring::deadline_after(150ms)});
    } catch (const QueryTimeout&) {
      flag = true;
    }
  }(*c, timed_out));
  std::vector<std::int64_t> behind(3);
  for (int i = 0; i < 3; ++i) {
    group.spawn([](Connection& conn, int k, std::int64_t& out) -> Task<void> {
      out = int_of(co_await conn.execute(kDouble, int_param(k)));
    }(*c, i + 4, behind[i]));
  }
  wait_until_blocked(4);
  ASSERT_TRUE(run(eventually(loop, [&]() -> Task<bool> { co_return timed_out; })));
  EXPECT_EQ(lock_waiters_now(), 1) << "the blocked statement was killed";
  release();
  run(group.join());
  EXPECT_EQ(behind, (std::vector<std::int64_t>{8, 10, 12}));
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// A reader giving up in the middle of a response (rows still coming) leaves where it stands to
// the next reader, who reads the rest and drops it before its own response.
TEST_F(MysqlPipelining, ReaderGivingUpMidResponseHandsTheRestOver) {
  // Rows over the server's 16 KiB network buffer go out one by one, 50 ms apart.
  const char* const slow = "SELECT REPEAT('x', 40000), SLEEP(0.05) FROM seq_1_to_30";
  for (const bool others_wait : {true, false}) {
    ring::TaskGroup group(loop);
    bool timed_out = false;
    group.spawn([](Connection& conn, const char* sql, bool& flag) -> Task<void> {
      try {
        co_await conn.query(sql, {.deadline = ring::deadline_after(400ms)});
      } catch (const QueryTimeout&) {
        flag = true;
      }
    }(*c, slow, timed_out));
    std::int64_t behind = 0;
    if (others_wait) {
      group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
        out = int_of(co_await conn.execute(kDouble, int_param(50)));
      }(*c, behind));
    }
    run(group.join());
    EXPECT_TRUE(timed_out) << others_wait;
    if (others_wait) {
      EXPECT_EQ(behind, 100);
    }
    // Alone, the query was killed: the connection is usable at once.
    EXPECT_EQ(c->in_flight(), 0u) << others_wait;
    EXPECT_TRUE(c->is_usable()) << others_wait;
    EXPECT_EQ(scalar(*c, "SELECT 6"), "6");
  }
}

// When every caller in flight has given up, the running statement is killed as it is for a lone
// call (and so is each given-up statement queued behind it), and the connection stays usable.
// With deadlines one after the other, each reader gives the response up to the next (from where
// it stands) until the last kills.
TEST_F(MysqlPipelining, WhenEveryCallerGaveUpTheQueryIsKilled) {
  for (const bool staggered : {false, true}) {
    ring::TaskGroup group(loop);
    int timeouts = 0;
    for (int i = 0; i < 3; ++i) {
      const auto deadline = ring::deadline_after(staggered ? 100ms * (i + 1) : 200ms);
      group.spawn([](Connection& conn, ring::Deadline d, int& n) -> Task<void> {
        try {
          co_await conn.execute(kBlock, {}, {.deadline = d});
        } catch (const QueryTimeout&) {
          ++n;
        }
      }(*c, deadline, timeouts));
    }
    run(group.join());  // no release(): only kills can end the blocked calls
    EXPECT_EQ(timeouts, 3) << staggered;
    EXPECT_EQ(c->in_flight(), 0u) << staggered;
    EXPECT_TRUE(c->is_usable()) << staggered;
    EXPECT_EQ(lock_waiters_now(), 0) << staggered;
    EXPECT_EQ(scalar(*c, "SELECT 5"), "5");
  }
}

// A reader dropping a response given up before its own gives up too (its deadline): the next
// reader goes on from where it stands; the last one, alone, kills.
TEST_F(MysqlPipelining, ResponsesGivenUpTwiceMidWay) {
  const char* const slow = "SELECT REPEAT('x', 40000), SLEEP(0.05) FROM seq_1_to_30";
  for (const bool last_waits : {true, false}) {
    ring::TaskGroup group(loop);
    int timeouts = 0;
    group.spawn([](Connection& conn, const char* sql, int& n) -> Task<void> {
      try {
        co_await conn.query(sql, {.deadline = ring::deadline_after(300ms)});
      } catch (const QueryTimeout&) {
        ++n;
      }
    }(*c, slow, timeouts));
    group.spawn([](Connection& conn, int& n) -> Task<void> {
      try {
        co_await conn.execute(kDouble, int_param(1), {.deadline = ring::deadline_after(600ms)});
      } catch (const QueryTimeout&) {
        ++n;
      }
    }(*c, timeouts));
    std::int64_t last = 0;
    if (last_waits) {
      group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
        out = int_of(co_await conn.execute(kDouble, int_param(30)));
      }(*c, last));
    }
    run(group.join());
    EXPECT_EQ(timeouts, 2) << last_waits;
    if (last_waits) {
      EXPECT_EQ(last, 60);
    }
    EXPECT_EQ(c->in_flight(), 0u) << last_waits;
    EXPECT_TRUE(c->is_usable()) << last_waits;
    EXPECT_EQ(scalar(*c, "SELECT 7"), "7");
  }
}

TEST_F(MysqlPipelining, StopRequestOnAWaitingCallLeavesTheOthersAlone) {
  ring::TaskGroup blocked(loop);
  ring::TaskGroup stopped(loop);
  std::int64_t ahead = 0;
  blocked.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = int_of(co_await conn.execute(kBlock));
  }(*c, ahead));
  bool cancelled = false;
  stopped.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kSame, int_param(1));
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*c, cancelled));
  std::int64_t behind = 0;
  blocked.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = int_of(co_await conn.execute(kDouble, int_param(8)));
  }(*c, behind));
  wait_until_blocked(3);
  stopped.cancel();
  run(stopped.join());
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(lock_waiters_now(), 1) << "the blocked statement was killed";
  release();
  run(blocked.join());
  EXPECT_EQ(ahead, 1);
  EXPECT_EQ(behind, 16);
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

TEST_F(MysqlPipelining, ConnectionKilledFailsEveryCallInFlight) {
  ring::TaskGroup group(loop);
  int lost = 0;
  const Params one = int_param(1);
  for (int i = 0; i < 4; ++i) {
    group.spawn([](Connection& conn, int& n, const char* sql, Params params) -> Task<void> {
      try {
        co_await conn.execute(sql, params);
      } catch (const ConnectionLost&) {
        ++n;
      }
    }(*c, lost, i == 0 ? kBlock : kSame, i == 0 ? Params() : one));
  }
  wait_until_blocked(4);
  run(observer->query("KILL CONNECTION " + std::to_string(c->connection_id())));
  run(group.join());
  EXPECT_EQ(lost, 4);
  EXPECT_FALSE(c->is_usable());
  EXPECT_THROW(run(c->execute(kSame, int_param(1))), ConnectionLost);
}

TEST_F(MysqlPipelining, LargeResultsBetweenSmallOnes) {
  ring::TaskGroup group(loop);
  std::vector<std::size_t> rows(6);
  for (int i = 0; i < 6; ++i) {
    group.spawn([](Connection& conn, int k, std::size_t& out) -> Task<void> {
      const Result r = co_await conn.execute("SELECT seq FROM seq_1_to_200000 WHERE seq <= ?",
                                             int_param(k % 2 == 0 ? 1 : 200'000));
      out = r.size();
    }(*c, i, rows[i]));
  }
  run(group.join());
  EXPECT_EQ(rows, (std::vector<std::size_t>{1, 200'000, 1, 200'000, 1, 200'000}));
  EXPECT_EQ(c->in_flight(), 0u);
}

// Tasks running a new statement at once: one prepares it, the others wait for that; with a
// small cache, statements are evicted while calls in flight use others.
TEST_F(MysqlPipelining, ManyTasksPrepareTheSameNewStatementOnce) {
  ConnectOptions o = main_options();
  o.statement_cache_size = 3;
  Connection conn = connect(o);
  ring::TaskGroup group(loop);
  int right = 0;
  for (int t = 0; t < 16; ++t) {
    group.spawn([](Connection& cn, int task, int& n) -> Task<void> {
      for (int i = 0; i < 5; ++i) {
        const std::string sql = "SELECT CAST(? AS SIGNED) + " + std::to_string((task + i) % 6);
        if (int_of(co_await cn.execute(sql, int_param(100))) == 100 + (task + i) % 6) ++n;
      }
    }(conn, t, right));
  }
  run(group.join());
  EXPECT_EQ(right, 16 * 5);
  EXPECT_TRUE(conn.is_usable());
  EXPECT_EQ(conn.in_flight(), 0u);
  EXPECT_LE(conn.cached_statements(), 3u);
  EXPECT_EQ(open_statements(conn), conn.cached_statements()) << "evicted ones stay open";
}

// A prepare given up behind a blocked call: its response is dropped (the statement closed), and
// the callers waiting for it prepare the statement again.
TEST_F(MysqlPipelining, AGivenUpPrepareIsPreparedAgainByItsWaiters) {
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  const char* const fresh = "SELECT CAST(? AS SIGNED) - 1";
  bool timed_out = false;
  group.spawn([](Connection& conn, const char* sql, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(sql, int_param(1), {.deadline = ring::deadline_after(100ms)});
    } catch (const QueryTimeout&) {
      flag = true;
    }
  }(*c, fresh, timed_out));
  std::vector<std::int64_t> waiters(3);
  for (int i = 0; i < 3; ++i) {
    group.spawn([](Connection& conn, const char* sql, int k, std::int64_t& out) -> Task<void> {
      out = int_of(co_await conn.execute(sql, int_param(k)));
    }(*c, fresh, i + 10, waiters[i]));
  }
  wait_until_blocked(2);  // the blocked call and the prepare; the others wait for the prepare
  ASSERT_TRUE(run(eventually(loop, [&]() -> Task<bool> { co_return timed_out; })));
  release();
  run(group.join());
  EXPECT_EQ(waiters, (std::vector<std::int64_t>{9, 10, 11}));
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
  EXPECT_EQ(open_statements(*c), c->cached_statements()) << "the given-up one stays open";
}

// Over TLS a request alone goes out on its own and the others through the pipeline's sender.
TEST_F(MysqlPipelining, CallsOverTls) {
  Connection tls = connect(tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyIdentity));
  ASSERT_TRUE(tls.is_tls());
  ring::TaskGroup group(loop);
  std::vector<std::int64_t> sums(8);
  std::size_t rows = 0;
  group.spawn([](Connection& conn, std::size_t& out) -> Task<void> {
    const Result r =
        co_await conn.execute("SELECT seq FROM seq_1_to_50000 WHERE seq <= ?", int_param(50'000));
    out = r.size();
  }(tls, rows));
  for (int t = 0; t < 8; ++t) {
    group.spawn([](Connection& conn, int task, std::int64_t& out) -> Task<void> {
      for (int i = 0; i < 3; ++i)
        out += int_of(co_await conn.execute(kDouble, int_param(task + i)));
      out += std::stoll(text_of((co_await conn.query("SELECT 1000")).at(0)));
    }(tls, t, sums[t]));
  }
  run(group.join());
  EXPECT_EQ(rows, 50'000u);
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(sums[t], 6 * t + 6 + 1000) << t;
  EXPECT_EQ(tls.in_flight(), 0u);
  EXPECT_TRUE(tls.is_usable());
}

// Row streams and reset() need the connection alone.
TEST_F(MysqlPipelining, StreamsAndResetRefuseWhileCallsAreInFlight) {
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  wait_until_blocked(1);
  EXPECT_THROW(run(c->open_stream(kSame, int_param(1))), InterfaceError);
  EXPECT_THROW(run(c->reset()), InterfaceError);
  release();
  run(group.join());
  run(c->open_stream(kSame, int_param(3)));
  EXPECT_THROW(run(c->execute(kSame, int_param(1))), InterfaceError);  // while streaming
  Result batch;
  while (run(c->next_batch(batch, 10))) {
  }
  EXPECT_EQ(int_of(run(c->execute(kSame, int_param(4)))), 4);
}

}  // namespace
}  // namespace tern::mysql
