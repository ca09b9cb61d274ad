// Unit tests of mysql::ConnectOptions::parse's errors: the scheme is named, an unknown URL
// parameter is refused in libpq's words; compress= takes a boolean; multi-host URLs with
// target-session-attrs and load-balance-hosts.
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
            "invalid MySQL URL: not a URL (expected mysql:// or mariadb://)");
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

}  // namespace
}  // namespace tern::mysql
