// Unit tests of mysql::ConnectOptions::parse's errors: the scheme is named, an unknown URL
// parameter is refused in libpq's words; compress= takes a boolean; multi-host URLs with
// target-session-attrs and load-balance-hosts; the libpq-style keyword form.
#include "tern/protocol/mysql/conninfo.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tern/protocol/exceptions.hpp"

namespace tern::mysql {
namespace {

std::string parse_error(std::string_view url) {
  try {
    (void)ConnectOptions::parse(url);
  } catch (const InterfaceError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InterfaceError for: " << url;
  return {};
}

TEST(MysqlConninfo, OtherSchemesAreNamed) {
  EXPECT_EQ(parse_error("http://h/db"),
            "invalid MySQL URL: unsupported URL scheme \"http\" (expected mysql:// or "
            "mariadb://)");
  EXPECT_EQ(parse_error("mysql:/x"),
            "invalid MySQL URL: a URL starts with \"mysql://\" (expected mysql:// or "
            "mariadb://)");
  EXPECT_EQ(parse_error("not a url"),
            "invalid MySQL URL: not a URL (expected mysql:// or mariadb://, or key=value "
            "keywords)");
}

TEST(MysqlConninfo, UnknownParameterIsNamed) {
  const std::string e = parse_error("mysql://u:hunter2@h/db?ssl_mode=REQUIRED");
  EXPECT_NE(e.find("invalid URI query parameter: \"ssl_mode\""), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  EXPECT_EQ(ConnectOptions::parse("mysql://u@h/db?ssl-mode=REQUIRED").ssl_mode, SslMode::kRequired);
}

TEST(MysqlConninfo, CompressIsABoolean) {
  EXPECT_FALSE(ConnectOptions::parse("mysql://u@h/db").compress);
  EXPECT_TRUE(ConnectOptions::parse("mysql://u@h/db?compress=true").compress);
  EXPECT_FALSE(ConnectOptions::parse("mariadb://u@h/db?compress=0").compress);
  EXPECT_NE(parse_error("mysql://u@h/db?compress=zstd").find("bad compress"), std::string::npos);
}

TEST(MysqlConninfo, HostListKeepsOrderPortsAndCredentials) {
  const ConnectOptions o = ConnectOptions::parse(
      "mysql://app:p%40ss@db1:3307,db2,[::1]:3309/shop?target-session-attrs=read-write");
  ASSERT_EQ(o.hosts.size(), 3u);
  EXPECT_EQ(o.hosts[0].host, "db1");
  EXPECT_EQ(o.hosts[0].port, 3307);
  EXPECT_EQ(o.hosts[1].host, "db2");
  EXPECT_EQ(o.hosts[1].port, 3306);  // not given: the default
  EXPECT_EQ(o.hosts[2].host, "::1");
  EXPECT_EQ(o.hosts[2].port, 3309);
  EXPECT_EQ(o.host, "db1");  // the first until a connection settles on one
  EXPECT_EQ(o.port, 3307);
  EXPECT_EQ(o.user, "app");
  EXPECT_EQ(o.password, "p@ss");
  EXPECT_EQ(o.database, "shop");
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kReadWrite);
  EXPECT_FALSE(o.load_balance_hosts);
  EXPECT_EQ(o.candidates().size(), 3u);
}

TEST(MysqlConninfo, OneHostHasNoListButOneCandidate) {
  const ConnectOptions o = ConnectOptions::parse("mariadb://u@h:3310/db");
  EXPECT_TRUE(o.hosts.empty());
  ASSERT_EQ(o.candidates().size(), 1u);
  EXPECT_EQ(o.candidates()[0].host, "h");
  EXPECT_EQ(o.candidates()[0].port, 3310);
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kAny);
}

TEST(MysqlConninfo, TargetSessionAttrsAndLoadBalanceSpellings) {
  const ConnectOptions o = ConnectOptions::parse(
      "mysql://u@a,b/db?target_session_attrs=read-only&load_balance_hosts=random");
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kReadOnly);
  EXPECT_TRUE(o.load_balance_hosts);
  EXPECT_FALSE(
      ConnectOptions::parse("mysql://u@a,b/db?load-balance-hosts=disable").load_balance_hosts);
  // PostgreSQL's recovery-based values mean nothing to MariaDB: refused, not guessed.
  for (const char* attrs : {"primary", "standby", "prefer-standby", "rw"}) {
    const std::string e =
        parse_error(std::string("mysql://u@a,b/db?target-session-attrs=") + attrs);
    EXPECT_NE(e.find("(any, read-write or read-only)"), std::string::npos) << e;
  }
  EXPECT_NE(parse_error("mysql://u@a,b/db?load-balance-hosts=yes").find("disable or random"),
            std::string::npos);
}

TEST(MysqlConninfo, HostListRefusesWhatNamesOneServer) {
  EXPECT_NE(parse_error("mysql://u@a,b/db?socket=/tmp/s").find("socket with several hosts"),
            std::string::npos);
  EXPECT_NE(parse_error("mysql://u@a,b/db?hostaddr=10.0.0.1").find("hostaddr with several"),
            std::string::npos);
  EXPECT_NE(parse_error("mysql://u@a,,b/db").find("empty host"), std::string::npos);
  const std::string e = parse_error("mysql://u:hunter2@a:1,b:x/db");
  EXPECT_NE(e.find("bad port"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
}

// The keyword form, parsed by the PostgreSQL keyword parser: host and port lists as libpq
// pairs them, quoted values taken as written, the URL's query keys.
TEST(MysqlConninfo, KeywordFormWithHostList) {
  const ConnectOptions o = ConnectOptions::parse(
      "host=db1,db2,db3 port=3307,,3309 user=app password='p w\\'x' dbname=shop "
      "target_session_attrs=read-write load_balance_hosts=random ssl-mode=DISABLED compress=1");
  ASSERT_EQ(o.hosts.size(), 3u);
  EXPECT_EQ(o.hosts[0].host, "db1");
  EXPECT_EQ(o.hosts[0].port, 3307);
  EXPECT_EQ(o.hosts[1].host, "db2");
  EXPECT_EQ(o.hosts[1].port, 3306);  // empty: the default
  EXPECT_EQ(o.hosts[2].host, "db3");
  EXPECT_EQ(o.hosts[2].port, 3309);
  EXPECT_EQ(o.host, "db1");
  EXPECT_EQ(o.user, "app");
  EXPECT_EQ(o.password, "p w'x");
  EXPECT_EQ(o.database, "shop");
  EXPECT_EQ(o.target_session_attrs, TargetSessionAttrs::kReadWrite);
  EXPECT_TRUE(o.load_balance_hosts);
  EXPECT_EQ(o.ssl_mode, SslMode::kDisabled);
  EXPECT_TRUE(o.compress);
  // One port for every host; "database" spells dbname too.
  const ConnectOptions same = ConnectOptions::parse("host=a,b port=3310 database=d");
  ASSERT_EQ(same.hosts.size(), 2u);
  EXPECT_EQ(same.hosts[1].port, 3310);
  EXPECT_EQ(same.database, "d");
}

TEST(MysqlConninfo, KeywordFormWithOneHostHasNoList) {
  const ConnectOptions o = ConnectOptions::parse("host=db port=3307 user=u");
  EXPECT_TRUE(o.hosts.empty());
  EXPECT_EQ(o.host, "db");
  EXPECT_EQ(o.port, 3307);
  ASSERT_EQ(o.candidates().size(), 1u);
}

TEST(MysqlConninfo, KeywordFormErrors) {
  EXPECT_EQ(parse_error("host=a sslmod=x"),
            "invalid MySQL connection string: invalid connection option \"sslmod\"");
  EXPECT_NE(parse_error("host=a,b,c port=1,2").find("port has 2 entries for 3 hosts"),
            std::string::npos);
  EXPECT_NE(parse_error("host=a password='unterminated").find("unterminated quoted string"),
            std::string::npos);
  const std::string e = parse_error("host=a password=hunter2 port=x");
  EXPECT_NE(e.find("bad port"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << e;
  EXPECT_NE(parse_error("host=a,b socket=/tmp/s").find("socket with several hosts"),
            std::string::npos);
  EXPECT_NE(parse_error("host=a target_session_attrs=primary").find("read-write or read-only"),
            std::string::npos);
}

}  // namespace
}  // namespace tern::mysql
