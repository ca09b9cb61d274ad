// The PostgreSQL connection against a real PostgreSQL 15 (tests/servers): start-up with every
// authentication method and TLS mode, simple and extended queries, pipelining, the statement
// cache, cancellation, a terminated backend, NOTIFY and COPY.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "eventually.hpp"
#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern::pg {
namespace {

using namespace std::chrono_literals;
using ring::sync_wait;
using ring::Task;
using tern::testing::server_env;

ConnectOptions tcp_options(const std::string& user, const std::string& password,
                           SslMode ssl = SslMode::kDisable) {
  ConnectOptions o;
  o.host = server_env("TERN_PG_HOST");
  o.port = tern::testing::server_port("TERN_PG_PORT");
  o.user = user;
  o.password = password;
  o.database = server_env("TERN_PG_DB");
  o.ssl_mode = ssl;
  o.ssl_root_cert = server_env("TERN_PG_CA");
  o.connect_timeout = 10s;
  return o;
}

ConnectOptions main_options() {
  return ConnectOptions::parse(server_env("TERN_PG_URL"));
}

// The first column of the first row of a text result.
std::string text_of(const Result& r, std::size_t row = 0, std::size_t column = 0) {
  const std::optional<Bytes> raw = r.row(row).raw(column);
  return raw ? std::string(protocol::as_chars(*raw)) : std::string("NULL");
}

class PgConnection : public ::testing::Test {
 protected:
  template <class T>
  T run(Task<T> task) {
    return sync_wait(loop, std::move(task));
  }
  Connection connect(ConnectOptions o) { return run(Connection::connect(loop, std::move(o))); }
  std::string scalar(Connection& c, std::string sql) {
    auto results = run(c.simple_query(sql));
    return text_of(results.at(0));
  }

  ring::Loop loop;
};

// ---- start-up and authentication ----

struct AuthCase {
  const char* user;
  const char* password;
  const char* method;
};

class PgAuth : public PgConnection, public ::testing::WithParamInterface<AuthCase> {};

TEST_P(PgAuth, LogsInOverTcpWithoutTls) {
  const AuthCase& a = GetParam();
  Connection c = connect(tcp_options(a.user, a.password));
  EXPECT_EQ(c.auth_method(), a.method);
  EXPECT_FALSE(c.is_tls());
  EXPECT_EQ(scalar(c, "SELECT current_user"), a.user);
  EXPECT_NE(c.backend_pid(), 0);
  EXPECT_EQ(c.parameter("client_encoding"), "UTF8");
  EXPECT_EQ(c.parameter("server_version").substr(0, 3), "15.");
  run(c.close());
  EXPECT_FALSE(c.is_usable());
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, PgAuth,
                         ::testing::Values(AuthCase{"tern_trust", "", "trust"},
                                           AuthCase{"tern_password", "password_pw", "password"},
                                           AuthCase{"tern_md5", "md5_pw", "md5"},
                                           AuthCase{"tern_scram", "scram_pw", "SCRAM-SHA-256"}));

TEST_F(PgConnection, UnixSocket) {
  ConnectOptions o = tcp_options("tern_scram", "scram_pw", SslMode::kRequire);
  o.host = server_env("TERN_PG_SOCKET_DIR");
  Connection c = connect(o);
  EXPECT_FALSE(c.is_tls());  // never over a Unix socket, as libpq
  EXPECT_EQ(scalar(c, "SELECT 1"), "1");
}

TEST_F(PgConnection, ScramPlusOverVerifiedTls) {
  ConnectOptions o = tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyFull);
  o.channel_binding = ChannelBindingMode::kRequire;
  Connection c = connect(o);
  EXPECT_TRUE(c.is_tls());
  EXPECT_EQ(c.auth_method(), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(scalar(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), "t");
}

TEST_F(PgConnection, ScramOverTlsWithoutChannelBinding) {
  ConnectOptions o = tcp_options("tern_ssl", "ssl_pw", SslMode::kRequire);
  o.channel_binding = ChannelBindingMode::kDisable;
  Connection c = connect(o);
  EXPECT_TRUE(c.is_tls());
  EXPECT_EQ(c.auth_method(), "SCRAM-SHA-256");
}

TEST_F(PgConnection, PreferUsesTls) {
  Connection c = connect(tcp_options("tern_scram", "scram_pw", SslMode::kPrefer));
  EXPECT_TRUE(c.is_tls());
  EXPECT_EQ(c.auth_method(), "SCRAM-SHA-256-PLUS");
}

TEST_F(PgConnection, HostSslUserRefusedWithoutTls) {
  try {
    connect(tcp_options("tern_ssl", "ssl_pw", SslMode::kDisable));
    FAIL() << "connected without TLS";
  } catch (const OperationalError& e) {
    EXPECT_EQ(e.sqlstate(), "28000") << e.what();  // no pg_hba.conf entry
  }
}

TEST_F(PgConnection, WrongPasswordIsOperationalError28P01) {
  for (const char* user : {"tern_scram", "tern_md5", "tern_password"}) {
    try {
      connect(tcp_options(user, "wrong"));
      FAIL() << user << " logged in with a wrong password";
    } catch (const OperationalError& e) {
      EXPECT_EQ(e.sqlstate(), "28P01") << user << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).find("wrong"), std::string::npos);  // no password echo
    }
  }
}

// The password from a password file (libpq's .pgpass), when none is given; a file others may
// read is ignored, as libpq ignores it.
TEST_F(PgConnection, PasswordFromAPasswordFile) {
  const std::string path = ::testing::TempDir() + "tern-pgpass-" + std::to_string(::getpid());
  ConnectOptions o = tcp_options("tern_scram", "");
  std::ofstream(path) << "# tern's test\n"
                      << "otherhost:*:*:*:wrong\n"
                      << o.host << ":" << o.port << ":" << o.database << ":tern_scram:scram_pw\n";
  ::chmod(path.c_str(), 0600);
  o.passfile = path;
  Connection c = connect(o);
  EXPECT_EQ(scalar(c, "SELECT current_user"), "tern_scram");
  run(c.close());
  ::chmod(path.c_str(), 0644);
  ::testing::internal::CaptureStderr();
  EXPECT_ANY_THROW(connect(o));  // no password: the server's request cannot be answered
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("has group or world access"),
            std::string::npos);
  std::remove(path.c_str());
}

// A non-ASCII password that SASLprep rewrites: the server stored the SCRAM secret of its
// prepared form, so it only works when the client prepares it too (it used to be sent raw and
// refused, where libpq succeeds).
TEST_F(PgConnection, NonAsciiPasswordIsPreparedWithSaslPrep) {
  Connection admin = connect(main_options());
  // "I", SOFT HYPHEN, "X", ROMAN NUMERAL NINE: SASLprep gives "IXIX".
  const std::string password = "I\xc2\xadX\xe2\x85\xa8";
  run(admin.simple_query("DROP ROLE IF EXISTS tern_saslprep"));
  run(
      admin.simple_query("SET password_encryption = 'scram-sha-256'; CREATE ROLE tern_saslprep "
                         "LOGIN PASSWORD '" +
                         password + "'"));
  Connection c = connect(tcp_options("tern_saslprep", password));
  EXPECT_EQ(c.auth_method(), "SCRAM-SHA-256");
  EXPECT_EQ(scalar(c, "SELECT current_user"), "tern_saslprep");
  run(c.close());
  Connection prepared = connect(tcp_options("tern_saslprep", "IXIX"));
  run(prepared.close());
  run(admin.simple_query("DROP ROLE tern_saslprep"));
}

TEST_F(PgConnection, ChannelBindingRequiredWithoutTlsIsRefused) {
  ConnectOptions o = tcp_options("tern_scram", "scram_pw");
  o.channel_binding = ChannelBindingMode::kRequire;
  EXPECT_THROW(connect(o), InterfaceError);
}

TEST_F(PgConnection, VerifyFullRejectsWrongHostName) {
  ConnectOptions o = tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyFull);
  o.hostaddr = o.host;  // the right server, under a name its certificate does not carry
  o.host = "db.example.com";
  try {
    connect(o);
    FAIL() << "verify-full accepted a certificate for another name";
  } catch (const ConnectionFailed& e) {
    EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  }
  o.ssl_mode = SslMode::kVerifyCa;  // the chain alone is fine
  EXPECT_TRUE(connect(o).is_tls());
}

TEST_F(PgConnection, VerifyCaRejectsUntrustedCa) {
  ConnectOptions o = tcp_options("tern_ssl", "ssl_pw", SslMode::kVerifyCa);
  o.ssl_root_cert = server_env("TERN_TLS_OTHER_CA");
  EXPECT_THROW(connect(o), ConnectionFailed);
}

TEST_F(PgConnection, UnknownDatabaseAndRefusedPort) {
  ConnectOptions o = main_options();
  o.database = "no_such_db";
  if (tern::testing::via_pgbouncer()) {
    // PgBouncer answers for a database it does not know with its own protocol violation.
    tern::testing::expect_server_error(tern::testing::thrown<OperationalError>([&] { connect(o); }),
                                       "08P01");
  } else {
    // 3D000 invalid_catalog_name.
    tern::testing::expect_server_error(tern::testing::thrown<ProgrammingError>([&] { connect(o); }),
                                       "3D000");
  }
  o = main_options();
  o.port = 1;  // nothing listens there
  // A connection never made is ConnectionFailed, not ConnectionLost (kept for one that was up).
  const auto failed = tern::testing::thrown<ConnectionFailed>([&] { connect(o); });
  ASSERT_TRUE(failed);
  const std::string refused = failed->what();
  EXPECT_TRUE(refused.starts_with("could not connect to server at " + o.host + ":1: ")) << refused;
  EXPECT_NE(refused.find("Connection refused"), std::string::npos) << refused;
  o.host = "no-such-host.invalid";
  const auto unresolved = tern::testing::thrown<ConnectionFailed>([&] { connect(o); });
  ASSERT_TRUE(unresolved);
  const std::string unknown = unresolved->what();
  EXPECT_NE(unknown.find("could not translate host name \"no-such-host.invalid\" to address: "),
            std::string::npos)
      << unknown;
  EXPECT_EQ(unknown.find("No route to host"), std::string::npos) << unknown;
}

// ---- queries ----

TEST_F(PgConnection, SimpleQueryWithSeveralStatements) {
  Connection c = connect(main_options());
  auto results =
      run(c.simple_query("CREATE TEMP TABLE t (a int, b text); INSERT INTO t VALUES (1, 'x'), (2, "
                         "NULL);"
                         "SELECT a, b FROM t ORDER BY a; UPDATE t SET a = a + 1"));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].command_tag(), "CREATE TABLE");
  EXPECT_EQ(results[1].rows_affected(), 2u);
  ASSERT_EQ(results[2].size(), 2u);
  EXPECT_EQ(results[2].columns().at(1).name, "b");
  EXPECT_EQ(text_of(results[2], 1, 0), "2");
  EXPECT_FALSE(results[2].row(1).raw(1).has_value());
  EXPECT_EQ(results[3].rows_affected(), 2u);
}

TEST_F(PgConnection, ServerErrorKeepsConnectionUsable) {
  Connection c = connect(main_options());
  try {
    run(c.simple_query("SELECT * FROM no_such_table"));
    FAIL();
  } catch (const ProgrammingError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_EQ(e.info().severity, "ERROR");
    EXPECT_FALSE(e.info().position.empty());
  }
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT 2"), "2");
  run(c.simple_query("DROP TABLE IF EXISTS u; CREATE TABLE u (k int PRIMARY KEY)"));
  Params one;
  one.add("1");
  run(c.execute("INSERT INTO u VALUES ($1::int)", one));
  try {
    run(c.execute("INSERT INTO u VALUES ($1::int)", one));
    FAIL();
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.info().constraint, "u_pkey");
  }
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM u"), "1");
}

// A syntax error carries its statement and shows where, as psql does (it said only
// "42601: syntax error at or near ...").
TEST_F(PgConnection, SyntaxErrorShowsTheStatementWithACaret) {
  Connection c = connect(main_options());
  for (const bool extended : {false, true}) {
    try {
      if (extended) {
        run(c.execute("SELECT * FRM pg_class", Params{}));
      } else {
        run(c.simple_query("SELECT 1;\nSELECT * FRM pg_class"));
      }
      FAIL() << "no syntax error";
    } catch (const ProgrammingError& e) {
      EXPECT_EQ(e.sqlstate(), "42601");
      const std::string what = e.what();
      EXPECT_NE(what.find(extended ? "\nLINE 1: SELECT * FRM pg_class\n                 ^"
                                   : "\nLINE 2: SELECT * FRM pg_class\n                 ^"),
                std::string::npos)
          << what;
      EXPECT_EQ(e.info().statement,
                extended ? "SELECT * FRM pg_class" : "SELECT 1;\nSELECT * FRM pg_class");
    }
  }
  EXPECT_TRUE(c.is_usable());
}

// pipeline() and row streams show where too, and name the statement of the batch that failed:
// at Parse (a new statement) and, with unnamed statements (parsed again with each Execute), when
// a cached description meets a dropped column.
TEST_F(PgConnection, PipelineAndStreamErrorsShowTheStatementWithACaret) {
  const auto expect_caret = [](const ProgrammingError& e, const std::string& sql,
                               std::size_t column) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\nLINE 1: " + sql + "\n" + std::string(column, ' ') + "^"),
              std::string::npos)
        << what;
    EXPECT_EQ(e.info().statement, sql);
  };
  for (const bool unnamed : {false, true}) {
    // Behind PgBouncer's transaction pooling, named statements stay on the server connection
    // for whichever client comes next (UnnamedStatementsForPoolers counts them): unnamed only.
    if (!unnamed && tern::testing::via_pgbouncer()) continue;
    SCOPED_TRACE(unnamed ? "unnamed statements" : "named statements");
    ConnectOptions o = main_options();
    o.unnamed_statements_only = unnamed;
    Connection c = connect(o);
    run(c.simple_query("DROP TABLE IF EXISTS caret; CREATE TABLE caret (a int, b int)"));
    // A new statement's Parse fails: the second of the batch.
    std::vector<PipelineQuery> batch;
    batch.push_back({"SELECT 1", Params{}});
    batch.push_back({"SELECT * FRM pg_class", Params{}});
    try {
      run(c.pipeline(batch));
      ADD_FAILURE() << "no syntax error";
    } catch (const ProgrammingError& e) {
      EXPECT_EQ(e.sqlstate(), "42601");
      expect_caret(e, "SELECT * FRM pg_class", 17);
    }
    try {
      run(c.open_stream("SELECT * FRM pg_class", Params{}, 10));
      ADD_FAILURE() << "no syntax error";
    } catch (const ProgrammingError& e) {
      expect_caret(e, "SELECT * FRM pg_class", 17);
    }
    // Described once, then the column goes away.
    batch[1] = {"SELECT b FROM caret", Params{}};
    run(c.pipeline(batch));
    run(c.open_stream("SELECT b FROM caret", Params{}, 10));
    Result rows;
    while (run(c.next_batch(rows))) {
    }
    run(c.simple_query("ALTER TABLE caret DROP COLUMN b"));
    try {
      run(c.pipeline(batch));
      ADD_FAILURE() << "no error";
    } catch (const ProgrammingError& e) {
      EXPECT_EQ(e.sqlstate(), "42703");  // undefined column; the caret under b
      expect_caret(e, "SELECT b FROM caret", 15);
    }
    try {
      run(c.open_stream("SELECT b FROM caret", Params{}, 10));
      while (run(c.next_batch(rows))) {
      }
      ADD_FAILURE() << "no error";
    } catch (const ProgrammingError& e) {
      EXPECT_EQ(e.sqlstate(), "42703");
      expect_caret(e, "SELECT b FROM caret", 15);
    }
    EXPECT_TRUE(c.is_usable());
    run(c.simple_query("DROP TABLE caret"));
  }
}

TEST_F(PgConnection, ExtendedQueryWithTextParameters) {
  Connection c = connect(main_options());
  Params p;
  p.add("40");
  p.add("it's \"quoted\"; DROP TABLE x; --");
  p.add_null();
  Result r = run(c.execute("SELECT $1::int + 2, $2::text, $3::text IS NULL", p,
                           {.result_format = Format::kText}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(text_of(r, 0, 0), "42");
  EXPECT_EQ(text_of(r, 0, 1), "it's \"quoted\"; DROP TABLE x; --");
  EXPECT_EQ(text_of(r, 0, 2), "t");
  EXPECT_EQ(c.cached_statements(), 1u);
  // The same statement again comes from the cache.
  r = run(c.execute("SELECT $1::int + 2, $2::text, $3::text IS NULL", p,
                    {.result_format = Format::kText}));
  EXPECT_EQ(text_of(r, 0, 0), "42");
  EXPECT_EQ(c.cached_statements(), 1u);
}

TEST_F(PgConnection, PipelineOfAThousandQueries) {
  Connection c = connect(main_options());
  std::vector<PipelineQuery> batch;
  for (int i = 0; i < 1000; ++i) {
    Params p;
    p.add(std::to_string(i));
    batch.push_back({"SELECT $1::int * 2", std::move(p)});
  }
  auto results = run(c.pipeline(batch, {.result_format = Format::kText}));
  ASSERT_EQ(results.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(text_of(results[i]), std::to_string(i * 2));
  EXPECT_EQ(c.cached_statements(), 1u);
}

TEST_F(PgConnection, HugePipelineDoesNotDeadlock) {
  // Both directions carry more than the socket buffers hold: the server blocks writing results
  // unless they are read while the batch is still being sent.
  Connection c = connect(main_options());
  const std::string payload(200, 'p');
  std::vector<PipelineQuery> batch;
  for (int i = 0; i < 100000; ++i) {
    Params p;
    p.add(std::string_view(payload));
    batch.push_back({"SELECT $1::text", std::move(p)});
  }
  auto results = run(c.pipeline(batch, {.deadline = ring::deadline_after(60s)}));
  ASSERT_EQ(results.size(), 100000u);
  EXPECT_EQ(results.back().row(0).get<std::string>(0), payload);
}

TEST_F(PgConnection, PipelineErrorStopsTheBatch) {
  Connection c = connect(main_options());
  run(c.simple_query("DROP TABLE IF EXISTS p; CREATE TABLE p (k int PRIMARY KEY)"));
  std::vector<PipelineQuery> batch;
  for (const char* k : {"1", "1", "2"}) {
    Params p;
    p.add(k);
    batch.push_back({"INSERT INTO p VALUES ($1::int)", std::move(p)});
  }
  EXPECT_THROW(run(c.pipeline(batch)), IntegrityError);
  // One implicit transaction: the first insert was rolled back with the rest.
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM p"), "0");
  EXPECT_TRUE(c.is_usable());
}

TEST_F(PgConnection, StatementCacheEvictsLeastRecentlyUsed) {
  TERN_SKIP_THROUGH_PGBOUNCER("named prepared statements live in a server session");
  ConnectOptions o = main_options();
  o.statement_cache_size = 4;
  Connection c = connect(o);
  for (int i = 0; i < 10; ++i) {
    run(c.execute("SELECT " + std::to_string(i)));
  }
  EXPECT_EQ(c.cached_statements(), 4u);
  // The evicted statements were closed on the server (the Close went out with a later batch).
  Result r = run(c.execute("SELECT count(*)::text FROM pg_prepared_statements", {},
                           {.result_format = Format::kText}));
  EXPECT_EQ(text_of(r), "4");
}

TEST_F(PgConnection, UnnamedStatementsForPoolers) {
  const std::string url = server_env("TERN_PG_URL");
  ConnectOptions o = ConnectOptions::parse(url + (url.find('?') == std::string::npos ? "?" : "&") +
                                           "statement_cache_size=0");
  ASSERT_TRUE(o.unnamed_statements_only);
  Connection c = connect(o);
  for (int i = 0; i < 3; ++i) {
    Result r = run(c.execute("SELECT count(*)::text FROM pg_prepared_statements", {},
                             {.result_format = Format::kText}));
    EXPECT_EQ(text_of(r), "0");
  }
}

// pgbouncer=auto tells PgBouncer (its own cancel key) from PostgreSQL (the backend's pid).
TEST_F(PgConnection, PgBouncerAutoDetection) {
  ConnectOptions o = main_options();
  o.pooler = PoolerMode::kAuto;
  o.unnamed_statements_only = false;
  Connection c = connect(o);
  const bool pooled = tern::testing::via_pgbouncer();
  EXPECT_EQ(c.options().pooler, pooled ? PoolerMode::kOn : PoolerMode::kOff);
  EXPECT_EQ(c.options().unnamed_statements_only, pooled);
  EXPECT_EQ(scalar(c, "SELECT 41 + 1"), "42");
}

// Unnamed statements are planned again each time: DDL that changes the columns is seen
// through the portal's description, not decoded with the stale one.
TEST_F(PgConnection, UnnamedStatementSeesNewColumnsAfterDdl) {
  ConnectOptions o = main_options();
  o.unnamed_statements_only = true;
  Connection c = connect(o);
  run(c.simple_query(
      "DROP TABLE IF EXISTS s2; CREATE TABLE s2 (a int); INSERT INTO s2 VALUES (1)"));
  Result r = run(c.execute("SELECT * FROM s2"));
  ASSERT_EQ(r.columns().size(), 1u);
  run(c.simple_query("ALTER TABLE s2 ADD COLUMN b text DEFAULT 'x'"));
  for (int i = 0; i < 2; ++i) {  // the first run sees the change, the second re-described
    r = run(c.execute("SELECT * FROM s2"));
    ASSERT_EQ(r.columns().size(), 2u);
    EXPECT_EQ(r.row(0).get<std::int32_t>(0), 1);
    EXPECT_EQ(r.row(0).get<std::string>(1), "x");
  }
}

TEST_F(PgConnection, StaleStatementAfterDdlIsPreparedAgain) {
  Connection c = connect(main_options());
  run(c.simple_query("DROP TABLE IF EXISTS s; CREATE TABLE s (a int); INSERT INTO s VALUES (1)"));
  Result r = run(c.execute("SELECT * FROM s", {}, {.result_format = Format::kText}));
  EXPECT_EQ(r.columns().size(), 1u);
  run(c.simple_query("ALTER TABLE s ADD COLUMN b text DEFAULT 'x'"));
  r = run(c.execute("SELECT * FROM s", {}, {.result_format = Format::kText}));
  ASSERT_EQ(r.columns().size(), 2u);
  EXPECT_EQ(text_of(r, 0, 1), "x");
}

// ---- cancellation, deadlines and lost connections ----

// The sleep outlasts the connection's cancel budget (cancel_timeout, 5 s) many times over, so
// the connection can only come back usable if the server confirmed the cancel: a query left
// running, or a cancel the server never answered, discards the connection.
TEST_F(PgConnection, DeadlineCancelsPgSleepAndKeepsTheConnection) {
  Connection c = connect(main_options());
  ASSERT_LT(c.options().cancel_timeout, 60s);
  EXPECT_THROW(run(c.execute("SELECT pg_sleep(60)", {}, {.deadline = ring::deadline_after(200ms)})),
               QueryTimeout);
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT 3"), "3");
}

// The stop request comes once the server runs the query (seen from another session), and the
// sleep outlasts the cancel budget: the connection stays usable only if the server cancelled.
TEST_F(PgConnection, StopRequestCancelsTheQuery) {
  Connection c = connect(main_options());
  Connection observer = connect(main_options());
  ring::TaskGroup group(loop);
  bool cancelled = false;
  group.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.simple_query("SELECT pg_sleep(60) /* stop-request */");
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(c, cancelled));
  run([](ring::Loop& l, ring::TaskGroup& g, Connection& obs) -> Task<void> {
    for (int polls = 0;; ++polls) {
      const std::vector<Result> r = co_await obs.simple_query(
          "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' AND "
          "query = 'SELECT pg_sleep(60) /* stop-request */'");
      if (text_of(r.at(0)) == "1") break;
      EXPECT_LT(polls, 1000) << "the query never started";
      if (polls >= 1000) break;
      co_await ring::sleep_for(l, 5ms);
    }
    g.cancel();
    co_await g.join();
  }(loop, group, observer));
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT 4"), "4");
}

TEST_F(PgConnection, TerminatedBackendIsConnectionLost) {
  TERN_SKIP_THROUGH_PGBOUNCER(
      "a client's backend_pid() is PgBouncer's cancel key, not the process of a server session");
  Connection victim = connect(main_options());
  Connection admin = connect(main_options());
  // With a timeout, pg_terminate_backend returns once the backend has exited (PostgreSQL 14+):
  // the victim's next query cannot race the termination.
  EXPECT_EQ(scalar(admin, "SELECT pg_terminate_backend(" + std::to_string(victim.backend_pid()) +
                              ", 10000)"),
            "t");
  try {
    run(victim.simple_query("SELECT 1"));
    FAIL() << "query on a terminated backend succeeded";
  } catch (const ConnectionLost& e) {
    SUCCEED() << e.what();
  }
  EXPECT_FALSE(victim.is_usable());
  EXPECT_THROW(run(victim.simple_query("SELECT 1")), ConnectionLost);
}

// ---- LISTEN / NOTIFY and COPY ----

TEST_F(PgConnection, NotifyIsDelivered) {
  TERN_SKIP_THROUGH_PGBOUNCER("LISTEN registers the server session, which PgBouncer reassigns");
  Connection listener = connect(main_options());
  Connection notifier = connect(main_options());
  run(listener.simple_query("LISTEN tern_channel"));
  run(notifier.simple_query("NOTIFY tern_channel, 'hello'"));
  Notification n = run(listener.wait_for_notification(ring::deadline_after(5s)));
  EXPECT_EQ(n.channel, "tern_channel");
  EXPECT_EQ(n.payload, "hello");
  EXPECT_EQ(n.pid, notifier.backend_pid());
  EXPECT_THROW(run(listener.wait_for_notification(ring::deadline_after(100ms))),
               ring::TimeoutError);
  EXPECT_TRUE(listener.is_usable());
}

TEST_F(PgConnection, CopyHundredThousandRowsBothWays) {
  Connection c = connect(main_options());
  run(c.simple_query("DROP TABLE IF EXISTS c; CREATE TABLE c (id int, name text)"));
  std::vector<std::string> chunks;
  std::string chunk;
  for (int i = 0; i < 100000; ++i) {
    chunk += std::to_string(i) + "\tname " + std::to_string(i) + "\n";
    if (chunk.size() > 60000) chunks.push_back(std::move(chunk)), chunk.clear();
  }
  chunks.push_back(chunk);
  EXPECT_EQ(run(c.copy_in("COPY c FROM STDIN", chunks)), 100000u);
  EXPECT_EQ(scalar(c, "SELECT sum(id) FROM c"), "4999950000");
  std::uint64_t seen = 0;
  std::string last;
  EXPECT_EQ(run(c.copy_out("COPY (SELECT * FROM c ORDER BY id) TO STDOUT",
                           [&](std::string_view row) {
                             ++seen;
                             last = row;
                           })),
            100000u);
  EXPECT_EQ(seen, 100000u);
  EXPECT_EQ(last, "99999\tname 99999\n");
}

TEST_F(PgConnection, CopyErrorKeepsConnectionUsable) {
  Connection c = connect(main_options());
  run(c.simple_query("DROP TABLE IF EXISTS c; CREATE TABLE c (id int)"));
  EXPECT_THROW(run(c.copy_in("COPY c FROM STDIN", {"1\n", "not a number\n"})), DataError);
  EXPECT_EQ(scalar(c, "SELECT count(*) FROM c"), "0");
}

// ---- implicit pipelining: several tasks' calls on one connection ----

using tern::testing::eventually;

// How many sessions wait for advisory lock `key` (seen from `observer`).
Task<int> lock_waiters(Connection& observer, int key) {
  const Result r = co_await observer.execute(
      "SELECT count(*)::int4 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
      "objid = $1::int4",
      [key] {
        Params p;
        p.add(static_cast<std::int32_t>(key));
        return p;
      }());
  co_return r.row(0).get<std::int32_t>(0);
}

class PgPipelining : public PgConnection {
 protected:
  // Opens the connection under test and a second session that holds advisory lock `key` in
  // an open transaction: a call taking the lock on the connection under test blocks (its
  // reply, and every reply behind it, waits) until release().
  // The statements the tests run are prepared first, so that exactly the calls made are in
  // flight (a new statement's Parse is a request of its own, and its other callers wait).
  void SetUp() override {
    c = std::make_unique<Connection>(connect(main_options()));
    locker = std::make_unique<Connection>(connect(main_options()));
    observer = std::make_unique<Connection>(connect(main_options()));
    run(c->simple_query("DROP TABLE IF EXISTS pipelined; CREATE TABLE pipelined (k int8)"));
    run(c->execute(kBlock));
    for (const char* sql : {"SELECT $1::int8 * 2", "SELECT $1::int8", kInsert, kDivide})
      run(c->execute(sql, int_param(2)));
    run(c->simple_query("TRUNCATE pipelined"));
    run(locker->simple_query("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kKey) + ")"));
  }
  void release() { run(locker->simple_query("COMMIT")); }
  // Waits until the blocking call runs on the server and `calls` replies are in flight.
  void wait_until_blocked(std::size_t calls) {
    const bool blocked = run(eventually(loop, [&]() -> Task<bool> {
      co_return c->in_flight() == calls&& co_await lock_waiters(*observer, kKey) == 1;
    }));
    ASSERT_TRUE(blocked) << "in flight: " << c->in_flight();
  }
  int lock_waiters_now() { return run(lock_waiters(*observer, kKey)); }
  static Params int_param(std::int64_t v) {
    Params p;
    p.add(v);
    return p;
  }

  static constexpr int kKey = 4201;
  static constexpr const char* kBlock = "SELECT 7::int4 FROM pg_advisory_xact_lock(4201)";
  static constexpr const char* kInsert = "INSERT INTO pipelined VALUES ($1::int8)";
  static constexpr const char* kDivide = "INSERT INTO pipelined VALUES (10 / ($1::int8 - 1))";
  std::unique_ptr<Connection> c, locker, observer;
};

TEST_F(PgPipelining, CallsOfManyTasksShareOneConnectionInOrder) {
  ring::TaskGroup group(loop);
  std::int32_t blocked_result = 0;
  group.spawn([](Connection& conn, std::int32_t& out) -> Task<void> {
    out = (co_await conn.execute(kBlock)).row(0).get<std::int32_t>(0);
  }(*c, blocked_result));
  // Eight tasks, each running three statements one after the other: their first ones queue
  // behind the blocked call; each task still sees its own statements in its own order.
  std::vector<std::vector<std::int64_t>> seen(8);
  for (int t = 0; t < 8; ++t) {
    group.spawn([](Connection& conn, int task, std::vector<std::int64_t>& out) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        const Result r = co_await conn.execute("SELECT $1::int8 * 2", int_param(task * 10 + i));
        out.push_back(r.row(0).get<std::int64_t>(0));
      }
    }(*c, t, seen[t]));
  }
  wait_until_blocked(9);
  release();
  run(group.join());
  EXPECT_EQ(blocked_result, 7);
  for (int t = 0; t < 8; ++t) {
    EXPECT_EQ(seen[t], (std::vector<std::int64_t>{t * 20, t * 20 + 2, t * 20 + 4}));
  }
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

TEST_F(PgPipelining, AFailingCallFailsOnlyItself) {
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::vector<std::string> outcome(3);
  for (int i = 0; i < 3; ++i) {
    // The middle one divides by zero; the two around it insert and commit.
    group.spawn([](Connection& conn, int k, std::string& out) -> Task<void> {
      try {
        co_await conn.execute(kDivide, int_param(k == 1 ? 1 : k + 10));
        out = "ok";
      } catch (const DataError& e) {
        out = e.sqlstate();
      }
    }(*c, i, outcome[i]));
  }
  wait_until_blocked(4);
  release();
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "22012", "ok"}));
  EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pipelined"), "2");
  EXPECT_TRUE(c->is_usable());
}

// A deadline passing while the call waits behind another: the call fails alone, the one ahead
// is not cancelled (a CancelRequest would hit it), and the given-up statement still ran once.
TEST_F(PgPipelining, DeadlineBehindAnotherCallFailsOnlyThatCall) {
  ring::TaskGroup group(loop);
  std::int32_t ahead = 0;
  group.spawn([](Connection& conn, std::int32_t& out) -> Task<void> {
    out = (co_await conn.execute(kBlock)).row(0).get<std::int32_t>(0);
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
    out = (co_await conn.execute("SELECT $1::int8 * 2", int_param(21))).row(0).get<std::int64_t>(0);
  }(*c, behind));
  wait_until_blocked(3);
  ASSERT_TRUE(run(eventually(loop, [&]() -> Task<bool> { co_return timed_out; })));
  release();
  run(group.join());
  EXPECT_EQ(ahead, 7);
  EXPECT_EQ(behind, 42);
  EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pipelined WHERE k = 5"), "1");  // never twice
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// The reader's own deadline with others waiting behind it: it gives its reply up without a
// cancel; the calls behind it get theirs.
TEST_F(PgPipelining, DeadlineOfTheRunningCallLeavesTheOthersAlone) {
  ring::TaskGroup group(loop);
  bool timed_out = false;
  group.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kBlock, {}, {.deadline = ring::deadline_after(150ms)});
    } catch (const QueryTimeout&) {
      flag = true;
    }
  }(*c, timed_out));
  std::int64_t behind = 0;
  group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = (co_await conn.execute("SELECT $1::int8 * 2", int_param(4))).row(0).get<std::int64_t>(0);
  }(*c, behind));
  wait_until_blocked(2);
  ASSERT_TRUE(run(eventually(loop, [&]() -> Task<bool> { co_return timed_out; })));
  EXPECT_EQ(lock_waiters_now(), 1) << "the blocked statement was cancelled";
  release();
  run(group.join());
  EXPECT_EQ(behind, 8);
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// When every caller in flight has given up, the running statement is cancelled as it is for a
// lone call, and the connection stays usable.
TEST_F(PgPipelining, WhenEveryCallerGaveUpTheQueryIsCancelled) {
  TERN_SKIP_THROUGH_PGBOUNCER(
      "PgBouncer 1.18 does not pass on the CancelRequests for the given-up statements queued "
      "behind the first (cancels of a client not linked to a server are dropped: pgbouncer "
      "issues 1222, 1314); the drain then runs out of time and the connection is discarded, "
      "which is safe but not what this test checks");
  ring::TaskGroup group(loop);
  int timeouts = 0;
  for (int i = 0; i < 3; ++i) {
    group.spawn([](Connection& conn, int& n) -> Task<void> {
      try {
        co_await conn.execute(kBlock, {}, {.deadline = ring::deadline_after(200ms)});
      } catch (const QueryTimeout&) {
        ++n;
      }
    }(*c, timeouts));
  }
  run(group.join());  // no release(): only the cancel can end the blocked call
  EXPECT_EQ(timeouts, 3);
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
  EXPECT_EQ(scalar(*c, "SELECT 5"), "5");
}

TEST_F(PgPipelining, StopRequestOnAWaitingCallLeavesTheOthersAlone) {
  ring::TaskGroup blocked(loop);
  ring::TaskGroup stopped(loop);
  std::int32_t ahead = 0;
  blocked.spawn([](Connection& conn, std::int32_t& out) -> Task<void> {
    out = (co_await conn.execute(kBlock)).row(0).get<std::int32_t>(0);
  }(*c, ahead));
  bool cancelled = false;
  stopped.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute("SELECT $1::int8", int_param(1));
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*c, cancelled));
  std::int64_t behind = 0;
  blocked.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = (co_await conn.execute("SELECT $1::int8 * 2", int_param(8))).row(0).get<std::int64_t>(0);
  }(*c, behind));
  wait_until_blocked(3);
  stopped.cancel();
  run(stopped.join());
  EXPECT_TRUE(cancelled);
  release();
  run(blocked.join());
  EXPECT_EQ(ahead, 7);
  EXPECT_EQ(behind, 16);
  EXPECT_TRUE(c->is_usable());
}

TEST_F(PgPipelining, ConnectionLostFailsEveryCallInFlight) {
  TERN_SKIP_THROUGH_PGBOUNCER("backend_pid() is PgBouncer's cancel key behind a pooler");
  ring::TaskGroup group(loop);
  int lost = 0;
  for (int i = 0; i < 4; ++i) {
    group.spawn([](Connection& conn, int& n, bool block) -> Task<void> {
      try {
        if (block) {
          co_await conn.execute(kBlock);
        } else {
          co_await conn.execute("SELECT $1::int8", int_param(1));
        }
      } catch (const ConnectionLost&) {
        ++n;
      }
    }(*c, lost, i == 0));
  }
  wait_until_blocked(4);
  EXPECT_EQ(scalar(*observer,
                   "SELECT pg_terminate_backend(" + std::to_string(c->backend_pid()) + ", 10000)"),
            "t");
  run(group.join());
  EXPECT_EQ(lost, 4);
  EXPECT_FALSE(c->is_usable());
  release();
}

TEST_F(PgPipelining, LargeResultsBetweenSmallOnes) {
  ring::TaskGroup group(loop);
  std::vector<std::size_t> rows(6);
  for (int i = 0; i < 6; ++i) {
    group.spawn([](Connection& conn, int k, std::size_t& out) -> Task<void> {
      const Result r = co_await conn.execute("SELECT g FROM generate_series(1, $1::int8) g",
                                             int_param(k % 2 == 0 ? 1 : 200'000));
      out = r.size();
    }(*c, i, rows[i]));
  }
  run(group.join());
  EXPECT_EQ(rows, (std::vector<std::size_t>{1, 200'000, 1, 200'000, 1, 200'000}));
}

// Tasks running a new statement at once: one prepares it, the others wait for that.
TEST_F(PgPipelining, ManyTasksPrepareTheSameNewStatementOnce) {
  for (const bool unnamed : {false, true}) {
    ConnectOptions o = main_options();
    if (unnamed) o.unnamed_statements_only = true;
    o.statement_cache_size = 3;  // and evictions while calls are in flight
    Connection conn = connect(o);
    ring::TaskGroup group(loop);
    int right = 0;
    for (int t = 0; t < 16; ++t) {
      group.spawn([](Connection& cn, int task, int& n) -> Task<void> {
        for (int i = 0; i < 5; ++i) {
          const std::string sql = "SELECT $1::int8 + " + std::to_string((task + i) % 6);
          const Result r = co_await cn.execute(sql, int_param(100));
          if (r.row(0).get<std::int64_t>(0) == 100 + (task + i) % 6) ++n;
        }
      }(conn, t, right));
    }
    run(group.join());
    EXPECT_EQ(right, 16 * 5) << "unnamed: " << unnamed;
    EXPECT_TRUE(conn.is_usable());
  }
}

// ---- the shared Sync: statements sent together end with one Sync (sync_groups.hpp) ----

// Statements written while another is in flight share one Sync: one implicit transaction.
// A constraint checked at that commit fails the whole group; every member then runs again with
// a Sync of its own, so only the statement at fault fails and the others commit once.
TEST_F(PgPipelining, ACommitFailureOfASharedSyncRerunsEachStatementAlone) {
  run(c->simple_query(
      "DROP TABLE IF EXISTS deferred; CREATE TABLE deferred (k int8 UNIQUE DEFERRABLE "
      "INITIALLY DEFERRED)"));
  const char* insert = "INSERT INTO deferred VALUES ($1::int8)";
  run(c->execute(insert, int_param(0)));
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::vector<std::string> outcome(3);
  for (int i = 0; i < 3; ++i) {
    // The middle one duplicates the key 0: only the commit finds it.
    group.spawn([](Connection& conn, const char* sql, int k, std::string& out) -> Task<void> {
      try {
        co_await conn.execute(sql, int_param(k == 1 ? 0 : k + 10));
        out = "ok";
      } catch (const IntegrityError& e) {
        out = e.sqlstate();
      }
    }(*c, insert, i, outcome[i]));
  }
  wait_until_blocked(4);
  release();
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "23505", "ok"}));
  EXPECT_EQ(scalar(*c, "SELECT string_agg(k::text, ',' ORDER BY k) FROM deferred"), "0,10,12");
  EXPECT_TRUE(c->is_usable());
}

// A statement that cannot run inside a transaction block fails in a shared Sync's implicit
// transaction (SQLSTATE 25001): it runs again alone, and succeeds like a lone call would.
TEST_F(PgPipelining, AStatementThatNeedsItsOwnTransactionRunsAgainAlone) {
  run(c->execute("VACUUM pipelined"));  // prepared (and run) alone first
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::vector<std::string> outcome(3);
  const char* sqls[] = {kInsert, "VACUUM pipelined", kInsert};
  for (int i = 0; i < 3; ++i) {
    group.spawn([](Connection& conn, const char* sql, std::string& out) -> Task<void> {
      Params p;
      if (std::string_view(sql) == kInsert) p.add(std::int64_t{3});
      co_await conn.execute(sql, p);
      out = "ok";
    }(*c, sqls[i], outcome[i]));
  }
  wait_until_blocked(4);
  release();
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "ok", "ok"}));
  EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pipelined"), "2");
}

// Two groups on two connections take the same two row locks in opposite orders: holding them
// until their Syncs deadlocks them, where statements committed one by one would not. The
// group the server picks fails with 40P01; its statements run again alone and succeed.
TEST_F(PgPipelining, ADeadlockBetweenGroupsRunsTheLosersAgainAlone) {
  run(c->simple_query(
      "DROP TABLE IF EXISTS crossed; CREATE TABLE crossed (k text PRIMARY KEY, v int8); "
      "INSERT INTO crossed VALUES ('a', 0), ('b', 0)"));
  Connection other = connect(main_options());
  const char* bump = "UPDATE crossed SET v = v + 1 WHERE k = $1";
  const char* pause = "SELECT pg_sleep(0.3)";
  for (Connection* conn : {c.get(), &other}) {  // prepared first
    Params a;
    a.add(std::string_view("none"));
    run(conn->execute(bump, a));
    run(conn->execute(pause));
    run(conn->execute("SELECT $1::int8", int_param(1)));
  }
  ring::TaskGroup group(loop);
  std::vector<std::string> outcome;
  for (Connection* conn : {c.get(), &other}) {
    // A statement in flight first, so that the next three share one Sync.
    group.spawn([](Connection& cn) -> Task<void> {
      co_await cn.execute("SELECT $1::int8", int_param(1));
    }(*conn));
    const bool forward = conn == c.get();
    for (int i = 0; i < 3; ++i) {
      std::string key = i == 1 ? "" : ((i == 0) == forward ? "a" : "b");
      group.spawn([](Connection& cn, const char* b, const char* p, std::string k,
                     std::vector<std::string>& out) -> Task<void> {
        try {
          if (k.empty()) {
            co_await cn.execute(p);
          } else {
            Params params;
            params.add(std::string_view(k));
            co_await cn.execute(b, params);
          }
          out.push_back("ok");
        } catch (const DatabaseError& e) {
          out.push_back(e.sqlstate());
        }
      }(*conn, bump, pause, std::move(key), outcome));
    }
  }
  run(group.join());
  EXPECT_EQ(outcome, std::vector<std::string>(6, "ok"));
  EXPECT_EQ(scalar(*c, "SELECT string_agg(k || v, ',' ORDER BY k) FROM crossed"), "a2,b2");
}

// The first member of a group is reading; the member after it is stopped while it waits: the
// first one reads on to the group's ReadyForQuery itself (nobody else would) and gets its
// result; the stopped one's statement still ran, once. (A statement with a deadline has a
// Sync of its own: a member's reply comes only with its group's, see sync_groups.hpp.)
TEST_F(PgPipelining, AMemberWhoseGroupGaveUpReadsTheGroupsEnd) {
  ring::TaskGroup group(loop);
  ring::TaskGroup stopped(loop);
  group.spawn([](Connection& conn) -> Task<void> { co_await conn.execute(kBlock); }(*c));
  std::int64_t first = 0;
  group.spawn([](Connection& conn, std::int64_t& out) -> Task<void> {
    out = (co_await conn.execute("SELECT $1::int8 * 2", int_param(9))).row(0).get<std::int64_t>(0);
  }(*c, first));
  bool cancelled = false;
  stopped.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kInsert, int_param(6));
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*c, cancelled));
  wait_until_blocked(3);
  stopped.cancel();
  run(stopped.join());
  EXPECT_TRUE(cancelled);
  release();
  run(group.join());
  EXPECT_EQ(first, 18);
  EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pipelined WHERE k = 6"), "1");  // ran, once
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// A member's reply comes with its group's, at the Sync. One member is stopped while its own
// statement, the group's last, blocks: nothing is cancelled (another caller of the group still
// waits), and once the statement ends the other member gets its result.
TEST_F(PgPipelining, AStopRequestInAGroupLeavesTheOtherMembersResults) {
  const char* insert = "INSERT INTO pipelined VALUES ($1::int8) RETURNING k";
  run(c->execute(insert, int_param(0)));  // prepared first
  ring::TaskGroup group(loop);
  ring::TaskGroup stopped(loop);
  group.spawn([](Connection& conn) -> Task<void> {
    co_await conn.execute("SELECT $1::int8", int_param(1));
  }(*c));
  std::int64_t first = 0;
  group.spawn([](Connection& conn, const char* sql, std::int64_t& out) -> Task<void> {
    out = (co_await conn.execute(sql, int_param(4))).row(0).get<std::int64_t>(0);
  }(*c, insert, first));
  bool cancelled = false;
  stopped.spawn([](Connection& conn, bool& flag) -> Task<void> {
    try {
      co_await conn.execute(kBlock);
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*c, cancelled));
  wait_until_blocked(2);
  stopped.cancel();
  run(stopped.join());
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(lock_waiters_now(), 1) << "the group was cancelled under its waiting member";
  release();
  run(group.join());
  EXPECT_EQ(first, 4);
  EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pipelined WHERE k = 4"), "1");  // once
  EXPECT_EQ(c->in_flight(), 0u);
  EXPECT_TRUE(c->is_usable());
}

// The connection lost before a group's Sync: whether its members' statements took effect is
// unknown to their callers, and each says so (ConnectionLost); the server rolled them back.
TEST_F(PgPipelining, ConnectionLostBeforeItsGroupCommittedFailsEveryMember) {
  TERN_SKIP_THROUGH_PGBOUNCER("backend_pid() is PgBouncer's cancel key behind a pooler");
  ring::TaskGroup group(loop);
  group.spawn([](Connection& conn) -> Task<void> {
    co_await conn.execute("SELECT $1::int8", int_param(1));
  }(*c));
  std::vector<std::string> outcome(2);
  for (int i = 0; i < 2; ++i) {
    group.spawn([](Connection& conn, bool block, std::string& out) -> Task<void> {
      try {
        if (block) {
          co_await conn.execute(kBlock);
        } else {
          co_await conn.execute(kInsert, int_param(8));
        }
        out = "ok";
      } catch (const ConnectionLost&) {
        out = "lost";
      }
    }(*c, i == 1, outcome[i]));
  }
  wait_until_blocked(2);
  EXPECT_EQ(scalar(*observer,
                   "SELECT pg_terminate_backend(" + std::to_string(c->backend_pid()) + ", 10000)"),
            "t");
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"lost", "lost"}));
  release();
  EXPECT_EQ(scalar(*observer, "SELECT count(*) FROM pipelined WHERE k = 8"), "0");  // rolled back
}

}  // namespace
}  // namespace tern::pg
