// Unit tests of the password file and the service file (libpq's .pgpass and
// pg_service.conf), and of ConnectOptions::parse taking a service's settings.
#include "tern/protocol/pg/passfile.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/conninfo.hpp"

namespace tern::pg {
namespace {

constexpr const char* kPassFile =
    "# comment line\n"
    "db.example.com:5432:shop:alice:first\n"
    "db.example.com:*:*:alice:second\n"
    "localhost:5433:*:bob:sock\\:et\\\\pw\n"
    "*:*:*:*:anything\r\n";

TEST(PasswordFile, FirstMatchingLineWins) {
  EXPECT_EQ(match_password_file(kPassFile, "db.example.com", 5432, "shop", "alice"), "first");
  EXPECT_EQ(match_password_file(kPassFile, "db.example.com", 6000, "other", "alice"), "second");
  EXPECT_EQ(match_password_file(kPassFile, "elsewhere", 1, "x", "y"), "anything");
}

TEST(PasswordFile, SocketHostsAreLocalhostAndEscapesAreUndone) {
  EXPECT_EQ(match_password_file(kPassFile, "/var/run/postgresql", 5433, "x", "bob"), "sock:et\\pw");
  EXPECT_EQ(match_password_file(kPassFile, "", 5433, "x", "bob"), "sock:et\\pw");
}

TEST(PasswordFile, NoMatch) {
  EXPECT_EQ(match_password_file("h:1:d:u:pw\n", "h", 1, "d", "v"), std::nullopt);
  EXPECT_EQ(match_password_file("h:1:d\n", "h", 1, "d", "u"), std::nullopt);  // too few fields
  EXPECT_EQ(match_password_file("", "h", 1, "d", "u"), std::nullopt);
  // An escaped ':' is part of the field, not a separator.
  EXPECT_EQ(match_password_file("h\\:1:1:d:u:pw\n", "h", 1, "d", "u"), std::nullopt);
}

// Files on disk: PGPASSFILE, and the permission check.
class Files : public ::testing::Test {
 protected:
  static constexpr const char* kVariables[] = {"PGPASSFILE",   "PGSERVICE",  "PGSERVICEFILE",
                                               "PGSYSCONFDIR", "PGPASSWORD", "PGUSER",
                                               "PGHOST",       "PGPORT",     "PGDATABASE"};
  // Every test starts without these, and gets the caller's values back after.
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-passfile-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* name : kVariables) {
      if (const char* v = std::getenv(name)) saved_.emplace_back(name, v);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    for (const char* name : kVariables)
      ::unsetenv(name);
    for (const auto& [name, value] : saved_)
      ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }

  std::filesystem::path dir_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(Files, PasswordFileFromTheEnvironment) {
  ::setenv("PGPASSFILE", write("pgpass", "h:5432:d:u:secret\n", 0600).c_str(), 1);
  const ConnectOptions o = ConnectOptions::parse("host=h dbname=d user=u");
  EXPECT_EQ(o.password, "");  // read at connect time, per server
  EXPECT_EQ(password_from_file(o), "secret");
  // passfile= beats PGPASSFILE.
  const std::string other = write("other", "*:*:*:*:other\n", 0400);
  EXPECT_EQ(password_from_file(ConnectOptions::parse("host=h passfile=" + other)), "other");
}

TEST_F(Files, PasswordFileOthersCanReadIsIgnored) {
  const std::string path = write("pgpass", "*:*:*:*:secret\n", 0644);
  testing::internal::CaptureStderr();
  EXPECT_EQ(password_from_file(ConnectOptions::parse("host=h passfile=" + path)), std::nullopt);
  const std::string warning = testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("has group or world access"), std::string::npos) << warning;
  ::chmod(path.c_str(), 0640);  // group-readable is refused too
  testing::internal::CaptureStderr();
  EXPECT_EQ(password_from_file(ConnectOptions::parse("host=h passfile=" + path)), std::nullopt);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(password_from_file(ConnectOptions::parse("host=h passfile=" + dir_.string() + "/no")),
            std::nullopt);
}

constexpr const char* kServiceFile =
    "# services\n"
    "[shop]\n"
    "host=db.example.com\n"
    "  port=5433  \n"
    "dbname=shop\n"
    "\n"
    "[other]\n"
    "host=other\n";

TEST(ServiceFile, ReadsOneSection) {
  const auto shop = read_service(kServiceFile, "shop", "f");
  ASSERT_TRUE(shop);
  EXPECT_EQ(*shop, (std::vector<std::pair<std::string, std::string>>{
                       {"host", "db.example.com"}, {"port", "5433"}, {"dbname", "shop"}}));
  EXPECT_EQ(read_service(kServiceFile, "missing", "f"), std::nullopt);
}

TEST(ServiceFile, SyntaxErrorsNameFileAndLine) {
  try {
    (void)read_service("[s]\nhost=h\nnonsense\n", "s", "/etc/pg_service.conf");
    ADD_FAILURE() << "no error";
  } catch (const InterfaceError& e) {
    EXPECT_STREQ(e.what(), "syntax error in service file \"/etc/pg_service.conf\", line 3");
  }
  EXPECT_THROW((void)read_service("[s]\nservice=t\n", "s", "f"), InterfaceError);
}

TEST_F(Files, ServiceSettingsComeBetweenTheStringAndTheEnvironment) {
  ::setenv("PGSERVICEFILE", write("services", kServiceFile, 0600).c_str(), 1);
  ::setenv("PGPORT", "7000", 1);
  ConnectOptions o = ConnectOptions::parse("service=shop user=u");
  EXPECT_EQ(o.host, "db.example.com");
  EXPECT_EQ(o.port, 5433);  // the service beats the environment
  EXPECT_EQ(o.database, "shop");
  EXPECT_EQ(o.user, "u");
  o = ConnectOptions::parse("postgresql://explicit/db?service=shop");
  EXPECT_EQ(o.host, "explicit");  // the string beats the service
  EXPECT_EQ(o.database, "db");
  ::setenv("PGSERVICE", "other", 1);
  EXPECT_EQ(ConnectOptions::parse("").host, "other");
  EXPECT_EQ(ConnectOptions::parse("").port, 7000);
}

TEST_F(Files, SystemServiceFileAndMissingService) {
  std::filesystem::create_directories(dir_ / "etc");
  write("etc/pg_service.conf", "[sys]\nhost=syshost\nbogus=1\n[ok]\nhost=fine\n", 0644);
  ::setenv("PGSYSCONFDIR", (dir_ / "etc").c_str(), 1);
  ::setenv("PGSERVICEFILE", (dir_ / "none").c_str(), 1);
  EXPECT_EQ(ConnectOptions::parse("service=ok").host, "fine");
  try {
    (void)ConnectOptions::parse("service=sys");
    ADD_FAILURE() << "no error";
  } catch (const InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid connection option \"bogus\" in service"),
              std::string::npos)
        << e.what();
  }
  try {
    (void)ConnectOptions::parse("service=nope");
    ADD_FAILURE() << "no error";
  } catch (const InterfaceError& e) {
    EXPECT_STREQ(e.what(), "definition of service \"nope\" not found");
  }
}

}  // namespace
}  // namespace tern::pg
