// ResultSet holds the backend's result in a block of its own, so that a move (one per coroutine
// between the backend and the caller) moves a pointer. What that must not change: an empty
// ResultSet reads as an empty PostgreSQL result, copies are deep, moved-from sets are empty,
// and rows taken before a move still read the result after it.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tern/db/result.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/response.hpp"

namespace {

using tern::ResultSet;

// A DataRow body of one binary int8 value.
std::vector<std::byte> int8_row(std::int64_t v) {
  std::vector<std::byte> body = {std::byte{0}, std::byte{1}, std::byte{0},
                                 std::byte{0}, std::byte{0}, std::byte{8}};
  for (int shift = 56; shift >= 0; shift -= 8)
    body.push_back(static_cast<std::byte>((static_cast<std::uint64_t>(v) >> shift) & 0xff));
  return body;
}

// SELECT n: rows 1..count, as the connection builds it.
tern::pg::Result pg_result(int count) {
  auto columns = std::make_shared<std::vector<tern::pg::backend::Column>>();
  columns->push_back({.name = "n", .type = 20, .format = tern::pg::Format::kBinary});
  tern::pg::Result r;
  r.set_columns(std::move(columns));
  for (int i = 1; i <= count; ++i)
    r.add_row(int8_row(i));
  r.set_command_tag("SELECT " + std::to_string(count));
  return r;
}

TEST(ResultSet, EmptyReadsAsAnEmptyResult) {
  const ResultSet r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.rows_affected(), 0u);
  EXPECT_EQ(r.last_insert_id(), 0u);
  EXPECT_TRUE(r.column_names().empty());
  EXPECT_EQ(r.begin(), r.end());
  EXPECT_THROW(r.row(0), tern::InterfaceError);
}

TEST(ResultSet, MovesKeepRowsAndEmptyTheSource) {
  ResultSet a(pg_result(3));
  const tern::Row second = a.row(1);
  ResultSet b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is specified empty
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(second.get<std::int64_t>(0), 2);  // the row taken before the move
  ResultSet c;
  c = std::move(b);
  EXPECT_EQ(c.row(2).get<std::int64_t>("n"), 3);
  EXPECT_EQ(c.rows_affected(), 3u);
  EXPECT_EQ(c.column_names(), std::vector<std::string>{"n"});
  c = ResultSet();
  EXPECT_TRUE(c.empty());
}

TEST(ResultSet, CopiesAreDeep) {
  ResultSet a(pg_result(2));
  const ResultSet b = a;
  a = ResultSet(pg_result(5));
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.row(1).get<std::int64_t>(0), 2);
  EXPECT_EQ(a.size(), 5u);
  ResultSet c;
  c = b;
  EXPECT_EQ(c.row(0).get<std::int64_t>(0), 1);
  c = ResultSet();
  const ResultSet& d = c;
  c = d;  // self-assignment
  EXPECT_TRUE(c.empty());
}

TEST(ResultSet, MysqlCounts) {
  tern::mysql::Result m;
  tern::mysql::OkPacket ok;
  ok.affected_rows = 4;
  ok.last_insert_id = 17;
  m.set_ok(ok);
  const ResultSet r(std::move(m));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.rows_affected(), 4u);
  EXPECT_EQ(r.last_insert_id(), 17u);
  const ResultSet copy = r;
  EXPECT_EQ(copy.last_insert_id(), 17u);
}

}  // namespace
