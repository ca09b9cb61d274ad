// Unit tests of ConnectOptions::parse: libpq-style URLs and keyword strings, and the PG*
// environment fallback. https://www.postgresql.org/docs/15/libpq-connect.html
#include "tern/protocol/pg/conninfo.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/protocol/exceptions.hpp"

extern char** environ;

namespace tern::pg {
namespace {

using std::chrono::seconds;
using Parameters = std::vector<std::pair<std::string, std::string>>;

std::string os_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "";
}

// Every test starts with no PG* variable set, and gets the caller's environment back after.
class PgConninfo : public ::testing::Test {
 protected:
  void SetUp() override {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::size_t eq = entry.find('=');
      if (entry.starts_with("PG") && eq != std::string_view::npos) {
        saved_.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
      }
    }
    for (const auto& [name, value] : saved_)
      ::unsetenv(name.c_str());
  }
  void TearDown() override {
    for (const std::string& name : set_)
      ::unsetenv(name.c_str());
    for (const auto& [name, value] : saved_)
      ::setenv(name.c_str(), value.c_str(), 1);
  }
  // Sets an environment variable for this test only.
  void set_env(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

  // Parses `conninfo`, expecting an InterfaceError; returns its message.
  static std::string parse_error(std::string_view conninfo) {
    try {
      (void)ConnectOptions::parse(conninfo);
    } catch (const InterfaceError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no InterfaceError for: " << conninfo;
    return {};
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
  std::vector<std::string> set_;
};

// --- URLs -----------------------------------------------------------------------------------

TEST_F(PgConninfo, FullUrl) {
  const ConnectOptions o = ConnectOptions::parse(
      "postgresql://alice:s3cret@db.example.com:5433/appdb"
      "?sslmode=require&application_name=myapp&connect_timeout=10"
      "&options=-c%20search_path%3Dapp&sslrootcert=/etc/ca.pem&sslcert=/c.pem&sslkey=/k.pem"
      "&statement_cache_size=32");
  EXPECT_EQ(o.host, "db.example.com");
  EXPECT_EQ(o.port, 5433);
  EXPECT_EQ(o.user, "alice");
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.database, "appdb");
  EXPECT_EQ(o.ssl_mode, SslMode::kRequire);
  EXPECT_EQ(o.application_name, "myapp");
  EXPECT_EQ(o.connect_timeout, seconds(10));
  EXPECT_EQ(o.options, "-c search_path=app");
  EXPECT_EQ(o.ssl_root_cert, "/etc/ca.pem");
  EXPECT_EQ(o.ssl_cert, "/c.pem");
  EXPECT_EQ(o.ssl_key, "/k.pem");
  EXPECT_EQ(o.statement_cache_size, 32u);
  EXPECT_FALSE(o.unnamed_statements_only);
  EXPECT_TRUE(o.parameters.empty());
  EXPECT_FALSE(o.is_unix_socket());
}

TEST_F(PgConninfo, PostgresScheme) {
  const ConnectOptions o = ConnectOptions::parse("postgres://bob@localhost/shop");
  EXPECT_EQ(o.host, "localhost");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.user, "bob");
  EXPECT_EQ(o.password, "");
  EXPECT_EQ(o.database, "shop");
}

TEST_F(PgConninfo, UrlDefaults) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://");
  EXPECT_EQ(o.host, "");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.user, os_user());
  EXPECT_EQ(o.database, o.user);
  EXPECT_EQ(o.password, "");
  EXPECT_EQ(o.application_name, "tern");
  EXPECT_EQ(o.ssl_mode, SslMode::kPrefer);
  EXPECT_EQ(o.connect_timeout, seconds(0));
  EXPECT_EQ(o.statement_cache_size, 256u);
  EXPECT_TRUE(o.is_unix_socket());
  EXPECT_EQ(o.socket_path(), "/var/run/postgresql/.s.PGSQL.5432");
}

TEST_F(PgConninfo, UrlHostOnlyAndEmptyPort) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://example.org:/");
  EXPECT_EQ(o.host, "example.org");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.database, o.user);
}

TEST_F(PgConninfo, UrlPercentEscapes) {
  const ConnectOptions o =
      ConnectOptions::parse("postgresql://al%40ice:p%3aw%2Fd%25%20x@host/my%20db%2A");
  EXPECT_EQ(o.user, "al@ice");
  EXPECT_EQ(o.password, "p:w/d% x");
  EXPECT_EQ(o.host, "host");
  EXPECT_EQ(o.database, "my db*");
}

TEST_F(PgConninfo, UrlPasswordWithRawColonAndAt) {
  // The first ':' of the user info ends the user name; the last '@' ends the user info.
  const ConnectOptions o = ConnectOptions::parse("postgresql://u:a:b@c@host/db");
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.password, "a:b@c");
  EXPECT_EQ(o.host, "host");
}

TEST_F(PgConninfo, UrlEmptyPassword) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://u:@host/db");
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.password, "");
}

TEST_F(PgConninfo, UrlIpv6) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://[::1]:5433/db");
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 5433);
  EXPECT_EQ(o.database, "db");
  EXPECT_FALSE(o.is_unix_socket());
  const ConnectOptions no_port = ConnectOptions::parse("postgresql://u@[2001:db8::7]/db");
  EXPECT_EQ(no_port.host, "2001:db8::7");
  EXPECT_EQ(no_port.port, 5432);
  EXPECT_EQ(no_port.user, "u");
  const ConnectOptions zone = ConnectOptions::parse("postgresql://[fe80::1%25eth0]:6000");
  EXPECT_EQ(zone.host, "fe80::1%eth0");
  EXPECT_EQ(zone.port, 6000);
}

TEST_F(PgConninfo, UrlUnixSocketInQuery) {
  const ConnectOptions o = ConnectOptions::parse("postgresql:///mydb?host=/tmp&port=5434");
  EXPECT_EQ(o.host, "/tmp");
  EXPECT_EQ(o.port, 5434);
  EXPECT_EQ(o.database, "mydb");
  EXPECT_TRUE(o.is_unix_socket());
  EXPECT_EQ(o.socket_path(), "/tmp/.s.PGSQL.5434");
}

TEST_F(PgConninfo, UrlUnixSocketPercentEncodedHost) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://%2Fvar%2Frun%2Fpg:5000/db");
  EXPECT_EQ(o.host, "/var/run/pg");
  EXPECT_TRUE(o.is_unix_socket());
  EXPECT_EQ(o.socket_path(), "/var/run/pg/.s.PGSQL.5000");
}

TEST_F(PgConninfo, UrlQueryOverridesAndEmptyPairs) {
  const ConnectOptions o =
      ConnectOptions::parse("postgresql://a@h/d?&user=b&&dbname=e&password=p%26q&");
  EXPECT_EQ(o.user, "b");
  EXPECT_EQ(o.database, "e");
  EXPECT_EQ(o.password, "p&q");
  EXPECT_EQ(o.host, "h");
}

TEST_F(PgConninfo, UrlQueryWithoutPath) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://h:7777?sslmode=disable");
  EXPECT_EQ(o.host, "h");
  EXPECT_EQ(o.port, 7777);
  EXPECT_EQ(o.ssl_mode, SslMode::kDisable);
}

TEST_F(PgConninfo, PgBouncerOption) {
  ConnectOptions o = ConnectOptions::parse("postgresql://h/db?pgbouncer=true");
  EXPECT_EQ(o.pooler, PoolerMode::kOn);
  EXPECT_TRUE(o.unnamed_statements_only);
  EXPECT_TRUE(o.parameters.empty());  // not sent to the server as a startup parameter
  o = ConnectOptions::parse("host=h pgbouncer=auto");
  EXPECT_EQ(o.pooler, PoolerMode::kAuto);
  EXPECT_FALSE(o.unnamed_statements_only);  // until the connection finds a pooler
  o = ConnectOptions::parse("host=h pgbouncer=false statement_cache_size=8");
  EXPECT_EQ(o.pooler, PoolerMode::kOff);
  EXPECT_FALSE(o.unnamed_statements_only);
  // pgbouncer=true wins over a cache size given with it.
  o = ConnectOptions::parse("host=h statement_cache_size=8 pgbouncer=true");
  EXPECT_TRUE(o.unnamed_statements_only);
  EXPECT_NE(parse_error("pgbouncer=yes-please").find("bad pgbouncer"), std::string::npos);
}

// --- several hosts (libpq 16's host lists, target_session_attrs, load_balance_hosts) ---

TEST_F(PgConninfo, KeywordHostList) {
  const ConnectOptions o = ConnectOptions::parse(
      "host=a,b,/run/pg port=5433,,5435 hostaddr=10.0.0.1,, target_session_attrs=read-write");
  ASSERT_EQ(o.hosts.size(), 3u);
  EXPECT_EQ(o.hosts[0].host, "a");
  EXPECT_EQ(o.hosts[0].hostaddr, "10.0.0.1");
  EXPECT_EQ(o.hosts[0].port, 5433);
  EXPECT_EQ(o.hosts[1].host, "b");
  EXPECT_EQ(o.hosts[1].hostaddr, "");
  EXPECT_EQ(o.hosts[1].port, 5432);  // an empty entry is the default
  EXPECT_EQ(o.hosts[2].host, "/run/pg");
  EXPECT_EQ(o.hosts[2].port, 5435);
  // host/hostaddr/port hold the first until a connection settles on one.
  EXPECT_EQ(o.host, "a");
  EXPECT_EQ(o.port, 5433);
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kReadWrite);
  EXPECT_FALSE(o.load_balance_hosts);
  EXPECT_TRUE(o.parameters.empty());
}

TEST_F(PgConninfo, OnePortForEveryHost) {
  const ConnectOptions o = ConnectOptions::parse("host=a,b port=6000");
  ASSERT_EQ(o.candidates().size(), 2u);
  EXPECT_EQ(o.candidates()[1].host, "b");
  EXPECT_EQ(o.candidates()[1].port, 6000);
}

TEST_F(PgConninfo, UrlHostList) {
  const ConnectOptions o = ConnectOptions::parse(
      "postgresql://u:p%40ss@h1:5433,[::1]:5434,h3/db?target_session_attrs=prefer-standby"
      "&load_balance_hosts=random");
  ASSERT_EQ(o.hosts.size(), 3u);
  EXPECT_EQ(o.hosts[0].host, "h1");
  EXPECT_EQ(o.hosts[0].port, 5433);
  EXPECT_EQ(o.hosts[1].host, "::1");
  EXPECT_EQ(o.hosts[1].port, 5434);
  EXPECT_EQ(o.hosts[2].host, "h3");
  EXPECT_EQ(o.hosts[2].port, 5432);
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.password, "p@ss");
  EXPECT_EQ(o.database, "db");
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kPreferStandby);
  EXPECT_TRUE(o.load_balance_hosts);
}

TEST_F(PgConninfo, UrlHostListWithoutPathOrUser) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://a,b:7000?sslmode=disable");
  ASSERT_EQ(o.hosts.size(), 2u);
  EXPECT_EQ(o.hosts[0].host, "a");
  EXPECT_EQ(o.hosts[0].port, 5432);
  EXPECT_EQ(o.hosts[1].port, 7000);
  EXPECT_EQ(o.ssl_mode, SslMode::kDisable);
}

TEST_F(PgConninfo, SingleHostHasNoList) {
  const ConnectOptions o = ConnectOptions::parse("postgresql://h:5433/db");
  EXPECT_TRUE(o.hosts.empty());
  ASSERT_EQ(o.candidates().size(), 1u);
  EXPECT_EQ(o.candidates()[0].host, "h");
  EXPECT_EQ(o.candidates()[0].port, 5433);
}

TEST_F(PgConninfo, EveryTargetSessionAttrs) {
  for (const auto& [text, value] : std::vector<std::pair<std::string, TargetSessionAttrs>>{
           {"any", TargetSessionAttrs::kAny},
           {"read-write", TargetSessionAttrs::kReadWrite},
           {"read-only", TargetSessionAttrs::kReadOnly},
           {"primary", TargetSessionAttrs::kPrimary},
           {"standby", TargetSessionAttrs::kStandby},
           {"prefer-standby", TargetSessionAttrs::kPreferStandby}}) {
    EXPECT_EQ(ConnectOptions::parse("target_session_attrs=" + text).target_session_attrs, value);
  }
  set_env("PGTARGETSESSIONATTRS", "standby");
  set_env("PGLOADBALANCEHOSTS", "random");
  const ConnectOptions o = ConnectOptions::parse("host=a,b");
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kStandby);
  EXPECT_TRUE(o.load_balance_hosts);
}

TEST_F(PgConninfo, BadHostLists) {
  EXPECT_NE(parse_error("host=a,b port=1,2,3").find("port has 3 entries for 2 hosts"),
            std::string::npos);
  EXPECT_NE(parse_error("host=a,b,c hostaddr=1.2.3.4,5.6.7.8").find("hostaddr has 2"),
            std::string::npos);
  EXPECT_NE(parse_error("host=a,b port=1,x").find("bad port"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://a:1,b:x/db").find("bad port"), std::string::npos);
  EXPECT_NE(parse_error("target_session_attrs=master").find("unknown target_session_attrs"),
            std::string::npos);
  EXPECT_NE(parse_error("load_balance_hosts=yes").find("bad load_balance_hosts"),
            std::string::npos);
}

// Refused locally, in libpq's words: a typo must not reach the server as a startup parameter
// (it used to, and failed there with 42704 "unrecognized configuration parameter").
TEST_F(PgConninfo, UnknownKeywordsAreRefused) {
  EXPECT_NE(parse_error("postgresql://h/d?sslmod=require")
                .find("invalid URI query parameter: \"sslmod\""),
            std::string::npos);
  EXPECT_NE(parse_error("host=h x=1").find("invalid connection option \"x\""), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/d?search_path=app").find("\"search_path\""),
            std::string::npos);
  // Not the name when an unencoded '?' in the password may have made it.
  const std::string spilled = parse_error("postgresql://u:ab?hunter2=1@h/d");
  EXPECT_NE(spilled.find("invalid URI query parameter (its name is not shown"), std::string::npos)
      << spilled;
  EXPECT_EQ(spilled.find("hunter2"), std::string::npos) << spilled;
  // Server settings go through options, as with libpq.
  const ConnectOptions o = ConnectOptions::parse("options='-c search_path=app'");
  EXPECT_EQ(o.options, "-c search_path=app");
  EXPECT_TRUE(o.parameters.empty());
}

TEST_F(PgConninfo, OtherSchemesAreNamed) {
  EXPECT_NE(parse_error("http://example.com/db").find("unsupported URL scheme \"http\""),
            std::string::npos);
  EXPECT_NE(parse_error("mysql:/x").find("unsupported URL scheme \"mysql\""), std::string::npos);
  EXPECT_NE(parse_error("mysql://u@h/db").find("\"mysql\" (expected postgresql://"),
            std::string::npos);
  EXPECT_NE(parse_error("postgresql:/h/db").find("a URL starts with \"postgresql://\""),
            std::string::npos);
  EXPECT_NE(parse_error("not a url").find("expected a postgresql:// URL or key=value keywords"),
            std::string::npos);
}

TEST_F(PgConninfo, FallbackApplicationName) {
  EXPECT_EQ(ConnectOptions::parse("fallback_application_name=fb").application_name, "fb");
  EXPECT_EQ(
      ConnectOptions::parse("application_name=a fallback_application_name=fb").application_name,
      "a");
}

TEST_F(PgConninfo, StatementCacheSizeZeroMeansUnnamed) {
  const ConnectOptions o = ConnectOptions::parse("statement_cache_size=0");
  EXPECT_EQ(o.statement_cache_size, 0u);
  EXPECT_TRUE(o.unnamed_statements_only);
}

TEST_F(PgConninfo, ChannelBindingAndHostaddr) {
  const ConnectOptions o =
      ConnectOptions::parse("host=db.example.com hostaddr=10.0.0.5 channel_binding=require");
  EXPECT_EQ(o.host, "db.example.com");
  EXPECT_EQ(o.hostaddr, "10.0.0.5");
  EXPECT_EQ(o.connect_host(), "10.0.0.5");
  EXPECT_FALSE(o.is_unix_socket());
  EXPECT_EQ(o.channel_binding, ChannelBindingMode::kRequire);
  EXPECT_EQ(ConnectOptions::parse("channel_binding=disable").channel_binding,
            ChannelBindingMode::kDisable);
  EXPECT_NE(parse_error("channel_binding=maybe").find("maybe"), std::string::npos);
}

// --- Keyword strings ------------------------------------------------------------------------

TEST_F(PgConninfo, Keywords) {
  const ConnectOptions o = ConnectOptions::parse(
      "host=localhost port=5433 user=bob password=pw dbname=shop sslmode=verify-full "
      "application_name=app connect_timeout=3");
  EXPECT_EQ(o.host, "localhost");
  EXPECT_EQ(o.port, 5433);
  EXPECT_EQ(o.user, "bob");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.database, "shop");
  EXPECT_EQ(o.ssl_mode, SslMode::kVerifyFull);
  EXPECT_EQ(o.application_name, "app");
  EXPECT_EQ(o.connect_timeout, seconds(3));
}

TEST_F(PgConninfo, KeywordsEmptyString) {
  const ConnectOptions o = ConnectOptions::parse("");
  EXPECT_EQ(o.host, "");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.user, os_user());
  EXPECT_EQ(o.database, o.user);
  EXPECT_EQ(ConnectOptions::parse("  \t\n ").port, 5432);
}

TEST_F(PgConninfo, KeywordsQuoting) {
  const ConnectOptions o = ConnectOptions::parse(
      R"(  password = 'a b\'c\\d'  dbname='my db' user='' host=/tmp options='-c x=1')");
  EXPECT_EQ(o.password, R"(a b'c\d)");
  EXPECT_EQ(o.database, "my db");
  EXPECT_EQ(o.user, os_user());  // '' is empty: the OS user fills it
  EXPECT_EQ(o.host, "/tmp");
  EXPECT_EQ(o.options, "-c x=1");
}

TEST_F(PgConninfo, KeywordsUnquotedBackslash) {
  const ConnectOptions o = ConnectOptions::parse(R"(password=a\ b\\c user=x)");
  EXPECT_EQ(o.password, R"(a b\c)");
  EXPECT_EQ(o.user, "x");
}

TEST_F(PgConninfo, KeywordsLastWins) {
  EXPECT_EQ(ConnectOptions::parse("port=1 port=2").port, 2);
}

TEST_F(PgConninfo, KeywordsErrors) {
  // The word is not echoed (it may be half of an unquoted password): its offset is.
  EXPECT_NE(parse_error("host").find("missing \"=\" after the word at offset 0"),
            std::string::npos);
  EXPECT_NE(parse_error("port=1 host localhost").find("offset 7"), std::string::npos);
  EXPECT_NE(parse_error("password='abc").find("unterminated"), std::string::npos);
  EXPECT_NE(parse_error(R"(password='abc\')").find("unterminated"), std::string::npos);
  EXPECT_NE(parse_error("user=x dbname='").find("unterminated"), std::string::npos);
}

// --- sslmode --------------------------------------------------------------------------------

TEST_F(PgConninfo, SslModes) {
  const std::pair<const char*, SslMode> modes[] = {
      {"disable", SslMode::kDisable},    {"allow", SslMode::kAllow},
      {"prefer", SslMode::kPrefer},      {"require", SslMode::kRequire},
      {"verify-ca", SslMode::kVerifyCa}, {"verify-full", SslMode::kVerifyFull},
  };
  for (const auto& [text, mode] : modes) {
    EXPECT_EQ(parse_ssl_mode(text), mode) << text;
    EXPECT_EQ(ConnectOptions::parse(std::string("sslmode=") + text).ssl_mode, mode) << text;
    EXPECT_EQ(ConnectOptions::parse(std::string("postgresql://h?sslmode=") + text).ssl_mode, mode)
        << text;
  }
}

TEST_F(PgConninfo, BadSslMode) {
  EXPECT_THROW(parse_ssl_mode("REQUIRE"), InterfaceError);
  EXPECT_THROW(parse_ssl_mode(""), InterfaceError);
  EXPECT_NE(parse_error("sslmode=verify_full").find("verify_full"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h?sslmode=on").find("\"on\""), std::string::npos);
}

// --- Ports and numbers ----------------------------------------------------------------------

TEST_F(PgConninfo, PortRange) {
  EXPECT_EQ(ConnectOptions::parse("port=1").port, 1);
  EXPECT_EQ(ConnectOptions::parse("port=65535").port, 65535);
  EXPECT_EQ(ConnectOptions::parse("postgresql://h:65535").port, 65535);
}

TEST_F(PgConninfo, BadPort) {
  for (const char* port : {"0", "65536", "99999999999", "abc", "-1", "+5432", "54x", "5432 "}) {
    EXPECT_NE(parse_error(std::string("port='") + port + "'").find("bad port"), std::string::npos)
        << port;
  }
  // The text is not echoed: a misplaced password's pieces land there.
  EXPECT_NE(parse_error("postgresql://h:99999/db").find("bad port"), std::string::npos);
  EXPECT_EQ(parse_error("postgresql://h:http/db").find("http"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/db?port=").find("bad port"), std::string::npos);
}

TEST_F(PgConninfo, BadNumbers) {
  EXPECT_THROW(ConnectOptions::parse("connect_timeout=-1"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("connect_timeout=1.5"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("connect_timeout=99999999999"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("statement_cache_size=-1"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("statement_cache_size=ten"), InterfaceError);
}

// --- Malformed URLs -------------------------------------------------------------------------

TEST_F(PgConninfo, BadUrls) {
  EXPECT_NE(parse_error("postgresql://[::1/db").find("unterminated"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://[::1]5432/db").find("junk"), std::string::npos);
  EXPECT_NE(parse_error("postgresql://h/db?sslmode").find("no value"), std::string::npos);
  EXPECT_THROW(ConnectOptions::parse("postgresql://h/d%zz"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("postgresql://h/d%4"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("postgresql://h/d%"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("postgresql://u%g0@h/d"), InterfaceError);
}

TEST_F(PgConninfo, ErrorsNeverShowThePassword) {
  // Errors in every other part of a URL that carries a password.
  for (const char* url : {
           "postgresql://alice:hunter2@host:bad/db",
           "postgresql://alice:hunter2@host:0/db",
           "postgresql://alice:hunter2@[::1/db",
           "postgresql://alice:hunter2@[::1]x/db",
           "postgresql://alice:hunter2@host/db?sslmode=nope",
           "postgresql://alice:hunter2@host/db?novalue",
           "postgresql://alice:hunter2@host/db%zz",
           "postgresql://alice:hunter2@ho%zzst/db",
           "postgresql://al%zzice:hunter2@host/db",
           "postgresql://alice:hunter2@host/db?connect_timeout=x",
           "postgresql://alice:hunter2@host/db?channel_binding=x",
           "postgresql://host/db?password=hunter2&port=x",
           "password=hunter2 port=x",
           "password=hunter2 sslmode=x",
           "password=hunter2 host",
           "password='hunter2",
           // A password with an unencoded '/', '?' or a space spills into the port, the query
           // string or the next keyword: its pieces must not be echoed either.
           "postgresql://alice:hunter2/x@host/db",
           "postgresql://alice:hunter2?x@host/db",
           "postgresql://alice:ab?hunter2@host/db",
           "password=ab hunter2 host=h",
       }) {
    const std::string message = parse_error(url);
    EXPECT_FALSE(message.empty()) << url;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << url << " -> " << message;
  }
}

// Regression: a bad percent escape in the password was reported with the whole password.
TEST_F(PgConninfo, BadPercentEscapeInPasswordIsNotShown) {
  for (const char* url : {
           "postgresql://alice:hunter2%zz@host/db",
           "postgresql://alice:hunter2%4@host/db",
           "postgresql://host/db?password=hunter2%zz",
       }) {
    const std::string message = parse_error(url);
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << url << " -> " << message;
  }
}

// Regression: an empty keyword became a startup parameter with an empty name, which ends the
// StartupMessage's list early (the server then rejected the packet layout).
TEST_F(PgConninfo, EmptyKeywordIsRejected) {
  EXPECT_THROW(ConnectOptions::parse("=x"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("host=h =x"), InterfaceError);
  EXPECT_THROW(ConnectOptions::parse("postgresql://h/d?=x"), InterfaceError);
}

// --- Environment fallback -------------------------------------------------------------------

TEST_F(PgConninfo, EnvironmentFillsUnsetKeywords) {
  set_env("PGHOST", "/var/sock");
  set_env("PGPORT", "6000");
  set_env("PGUSER", "envuser");
  set_env("PGPASSWORD", "envpw");
  set_env("PGDATABASE", "envdb");
  set_env("PGSSLMODE", "verify-ca");
  set_env("PGSSLROOTCERT", "/env/ca.pem");
  set_env("PGSSLCERT", "/env/c.pem");
  set_env("PGSSLKEY", "/env/k.pem");
  set_env("PGAPPNAME", "envapp");
  set_env("PGCONNECT_TIMEOUT", "7");
  set_env("PGOPTIONS", "-c geqo=off");
  for (const char* conninfo : {"", "postgresql://", "postgresql:///"}) {
    const ConnectOptions o = ConnectOptions::parse(conninfo);
    EXPECT_EQ(o.host, "/var/sock") << conninfo;
    EXPECT_EQ(o.port, 6000);
    EXPECT_EQ(o.user, "envuser");
    EXPECT_EQ(o.password, "envpw");
    EXPECT_EQ(o.database, "envdb");
    EXPECT_EQ(o.ssl_mode, SslMode::kVerifyCa);
    EXPECT_EQ(o.ssl_root_cert, "/env/ca.pem");
    EXPECT_EQ(o.ssl_cert, "/env/c.pem");
    EXPECT_EQ(o.ssl_key, "/env/k.pem");
    EXPECT_EQ(o.application_name, "envapp");
    EXPECT_EQ(o.connect_timeout, seconds(7));
    EXPECT_EQ(o.options, "-c geqo=off");
    EXPECT_EQ(o.socket_path(), "/var/sock/.s.PGSQL.6000");
  }
}

TEST_F(PgConninfo, ExplicitSettingsBeatTheEnvironment) {
  set_env("PGHOST", "envhost");
  set_env("PGPORT", "6000");
  set_env("PGUSER", "envuser");
  set_env("PGPASSWORD", "envpw");
  set_env("PGDATABASE", "envdb");
  set_env("PGSSLMODE", "disable");
  const ConnectOptions kw =
      ConnectOptions::parse("host=h port=1 user=u password=p dbname=d sslmode=require");
  EXPECT_EQ(kw.host, "h");
  EXPECT_EQ(kw.port, 1);
  EXPECT_EQ(kw.user, "u");
  EXPECT_EQ(kw.password, "p");
  EXPECT_EQ(kw.database, "d");
  EXPECT_EQ(kw.ssl_mode, SslMode::kRequire);
  const ConnectOptions url = ConnectOptions::parse("postgresql://u@h:2/d");
  EXPECT_EQ(url.host, "h");
  EXPECT_EQ(url.port, 2);
  EXPECT_EQ(url.user, "u");
  EXPECT_EQ(url.password, "envpw");  // not in the URL: from the environment
  EXPECT_EQ(url.database, "d");
  EXPECT_EQ(url.ssl_mode, SslMode::kDisable);
}

TEST_F(PgConninfo, EmptyEnvironmentVariablesAreIgnored) {
  set_env("PGHOST", "");
  set_env("PGPORT", "");
  set_env("PGUSER", "");
  const ConnectOptions o = ConnectOptions::parse("");
  EXPECT_EQ(o.host, "");
  EXPECT_EQ(o.port, 5432);
  EXPECT_EQ(o.user, os_user());
}

TEST_F(PgConninfo, DatabaseDefaultsToTheUser) {
  set_env("PGUSER", "carol");
  EXPECT_EQ(ConnectOptions::parse("").database, "carol");
  EXPECT_EQ(ConnectOptions::parse("user=dave").database, "dave");
}

TEST_F(PgConninfo, BadEnvironmentValues) {
  set_env("PGPORT", "nope");
  EXPECT_NE(parse_error("").find("bad port"), std::string::npos);
  EXPECT_EQ(ConnectOptions::parse("port=5").port, 5);  // an explicit port never reads PGPORT
  ::unsetenv("PGPORT");
  set_env("PGSSLMODE", "sometimes");
  EXPECT_NE(parse_error("postgresql://h").find("sometimes"), std::string::npos);
}

TEST_F(PgConninfo, FixtureClearsPgVariables) {
  // SetUp cleared every PG* variable.
  for (char** e = environ; *e != nullptr; ++e) {
    EXPECT_FALSE(std::string_view(*e).starts_with("PG")) << *e;
  }
}

}  // namespace
}  // namespace tern::pg
