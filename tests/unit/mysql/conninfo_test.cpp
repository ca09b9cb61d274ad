// Unit tests of mysql::ConnectOptions::parse's errors: the scheme is named, an unknown URL
// parameter is refused in libpq's words; compress= takes a boolean.
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

}  // namespace
}  // namespace tern::mysql
