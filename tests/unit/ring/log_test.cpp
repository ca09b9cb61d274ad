#include "tern/ring/log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Record {
  tern::LogLevel level;
  std::string component, message;
};

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { tern::set_logger(nullptr); }
  void install(tern::LogLevel min) {
    tern::set_logger(
        [this](tern::LogLevel level, std::string_view component, std::string_view message) {
          records.push_back({level, std::string(component), std::string(message)});
        },
        min);
  }
  std::vector<Record> records;
};

TEST_F(LogTest, SilentByDefault) {
  EXPECT_FALSE(tern::log_enabled(tern::LogLevel::error));
  tern::log(tern::LogLevel::error, "ring", "nobody hears this");
  EXPECT_TRUE(records.empty());
}

TEST_F(LogTest, RecordsAtOrAboveTheMinimumReachTheHook) {
  install(tern::LogLevel::warning);
  EXPECT_FALSE(tern::log_enabled(tern::LogLevel::info));
  EXPECT_TRUE(tern::log_enabled(tern::LogLevel::warning));
  tern::log(tern::LogLevel::info, "pool", "dropped");
  tern::log(tern::LogLevel::warning, "pg", "NOTICE: table exists");
  tern::log(tern::LogLevel::error, "ring", "failed");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].level, tern::LogLevel::warning);
  EXPECT_EQ(records[0].component, "pg");
  EXPECT_EQ(records[0].message, "NOTICE: table exists");
  EXPECT_EQ(records[1].level, tern::LogLevel::error);
}

TEST_F(LogTest, AnEmptyHookSilencesAgain) {
  install(tern::LogLevel::debug);
  tern::set_logger(nullptr);
  tern::log(tern::LogLevel::error, "ring", "x");
  EXPECT_TRUE(records.empty());
  EXPECT_FALSE(tern::log_enabled(tern::LogLevel::error));
}

TEST_F(LogTest, AThrowingHookIsContained) {
  tern::set_logger([](tern::LogLevel, std::string_view, std::string_view) {
    throw std::runtime_error("hook failed");
  });
  EXPECT_NO_THROW(tern::log(tern::LogLevel::error, "ring", "x"));
}

TEST(LogLevelTest, Names) {
  EXPECT_EQ(tern::to_string(tern::LogLevel::debug), "debug");
  EXPECT_EQ(tern::to_string(tern::LogLevel::warning), "warning");
}

}  // namespace
