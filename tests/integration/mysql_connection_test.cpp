// The MySQL connection against a real MariaDB 10.11 (tests/servers): every authentication
// plugin the server offers, TLS, text and binary queries with every type, multi-result
// statements, large BLOBs, KILL QUERY on a deadline, a killed session, duplicate keys and a
// refused LOCAL INFILE.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

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

ConnectOptions tcp_options(const std::string& user, const std::string& password,
                           SslMode ssl = SslMode::kDisabled) {
  ConnectOptions o;
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
  return ConnectOptions::parse(server_env("TERN_MYSQL_URL"));
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
  EXPECT_THROW(connect(o), ConnectionLost);
  o.ssl_mode = SslMode::kVerifyCa;  // the chain alone is fine
  EXPECT_TRUE(connect(o).is_tls());
  o.ssl_ca = server_env("TERN_TLS_OTHER_CA");
  EXPECT_THROW(connect(o), ConnectionLost);
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

}  // namespace
}  // namespace tern::mysql
