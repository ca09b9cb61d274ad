// Unit tests of psql's rendering of a server error's position (LINE n: ... and a caret), and
// of DatabaseError::set_statement putting it into what().
#include <gtest/gtest.h>

#include <string>

#include "tern/protocol/exceptions.hpp"

namespace tern {
namespace {

TEST(ErrorPosition, CaretUnderTheCharacter) {
  // psql: ERROR:  syntax error at or near "FRM"
  EXPECT_EQ(error_position_lines("SELECT * FRM x", 10),
            "LINE 1: SELECT * FRM x\n"
            "                 ^");
  EXPECT_EQ(error_position_lines("SELECT 1", 0), "");
}

TEST(ErrorPosition, LaterLinesAndEndOfInput) {
  EXPECT_EQ(error_position_lines("SELECT a,\r\n  b\nFROM t WHERE", 23),
            "LINE 3: FROM t WHERE\n"
            "               ^");
  // "syntax error at end of input": one past the last character.
  EXPECT_EQ(error_position_lines("SELECT (", 9),
            "LINE 1: SELECT (\n"
            "                ^");
}

TEST(ErrorPosition, CountsCharactersNotBytesAndTabsAsOneColumn) {
  EXPECT_EQ(error_position_lines("SELECT 'é',\tnope", 13),
            "LINE 1: SELECT 'é', nope\n"
            "                    ^");
}

TEST(ErrorPosition, LongLinesAreCutAroundThePosition) {
  const std::string head(50, 'a');
  const std::string tail(50, 'b');
  // Near the start: cut on the right only.
  EXPECT_EQ(error_position_lines(head + tail, 3), "LINE 1: " + std::string(50, 'a') +
                                                      std::string(10, 'b') + "...\n" +
                                                      std::string(10, ' ') + "^");
  // Far in: 10 characters kept after it, the rest cut on the left.
  EXPECT_EQ(error_position_lines(head + tail, 80), "LINE 1: ..." + std::string(21, 'a') +
                                                       std::string(39, 'b') + "...\n" +
                                                       std::string(11 + 50, ' ') + "^");
}

TEST(ErrorPosition, SetStatementAddsTheLinesOnce) {
  ServerErrorInfo info;
  info.sqlstate = "42601";
  info.message = "syntax error at or near \"FRM\"";
  info.position = "10";
  DatabaseError e(info);
  e.set_statement("SELECT * FRM x");
  EXPECT_STREQ(e.what(),
               "42601: syntax error at or near \"FRM\"\n"
               "LINE 1: SELECT * FRM x\n"
               "                 ^");
  EXPECT_EQ(e.info().statement, "SELECT * FRM x");
  e.set_statement("another");  // the first one stays
  EXPECT_EQ(e.info().statement, "SELECT * FRM x");
  const DatabaseError copy = e;
  EXPECT_STREQ(copy.what(), e.what());
  // Without a position nothing changes.
  info.position.clear();
  DatabaseError plain(info);
  plain.set_statement("SELECT");
  EXPECT_STREQ(plain.what(), "42601: syntax error at or near \"FRM\"");
  EXPECT_EQ(plain.info().statement, "");
}

}  // namespace
}  // namespace tern
