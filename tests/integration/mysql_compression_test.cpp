// The compressed protocol (compress=true) against a real MariaDB 10.11 (tests/servers): what
// the server reports for the session, text and prepared queries, results of several MiB and
// values over 16 MiB (packets split over compressed packets both ways), transactions, an
// error reply, pipelined calls and TLS underneath. (mysql-connection-compressed runs the whole
// mysql-connection suite compressed as well.)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern::mysql {
namespace {

using namespace std::chrono_literals;
using ring::sync_wait;
using ring::Task;
using tern::testing::server_env;

std::string text_of(const Result& r, std::size_t row = 0, std::size_t column = 0) {
  const std::optional<Bytes> raw = r.row(row).raw(column);
  return raw ? std::string(protocol::as_chars(*raw)) : std::string("NULL");
}

Params int_param(std::int64_t v) {
  Params p;
  p.add(v);
  return p;
}

class MysqlCompression : public ::testing::Test {
 protected:
  template <class T>
  T run(Task<T> task) {
    return sync_wait(loop, std::move(task));
  }
  // The URL's own spelling of the option.
  Connection connect(const std::string& query = "?compress=true") {
    return run(
        Connection::connect(loop, ConnectOptions::parse(server_env("TERN_MYSQL_URL") + query)));
  }
  std::string scalar(Connection& c, const std::string& sql) {
    return text_of(run(c.query(sql)).at(0));
  }
  std::string status(Connection& c, const std::string& name) {
    return text_of(run(c.query("SHOW SESSION STATUS LIKE '" + name + "'")).at(0), 0, 1);
  }

  ring::Loop loop;
};

TEST_F(MysqlCompression, TheServerAgreesAndSaysSo) {
  Connection c = connect();
  EXPECT_TRUE(c.is_compressed());
  EXPECT_NE(c.capabilities() & cap::kCompress, 0u);
  EXPECT_EQ(status(c, "Compression"), "ON");
  // MariaDB offers zlib only (MySQL 8's zstd flag is never announced).
  EXPECT_EQ(c.capabilities() & cap::kZstdCompression, 0u);

  Connection plain = connect("?compress=false");
  EXPECT_FALSE(plain.is_compressed());
  EXPECT_EQ(status(plain, "Compression"), "OFF");
  EXPECT_EQ(plain.compression_stats().wire_in, 0u);
}

TEST_F(MysqlCompression, TextAndPreparedQueries) {
  Connection c = connect();
  run(c.query("CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v VARCHAR(200), d DOUBLE)"));
  for (int i = 0; i < 50; ++i) {
    Params p;
    p.add(std::int64_t{i});
    p.add(std::string_view(std::string(i * 3, 'x') + "ü"));
    p.add(i / 4.0);
    EXPECT_EQ(run(c.execute("INSERT INTO t VALUES (?, ?, ?)", p)).affected_rows(), 1u);
  }
  const Result text = run(c.query("SELECT id, v, d FROM t ORDER BY id")).at(0);
  ASSERT_EQ(text.size(), 50u);
  EXPECT_EQ(text.row(49).get<std::string>(1), std::string(147, 'x') + "ü");
  const Result bin =
      run(c.execute("SELECT id, v, d FROM t WHERE id >= ? ORDER BY id", int_param(10)));
  ASSERT_EQ(bin.size(), 40u);
  EXPECT_EQ(bin.format(), Format::kBinary);
  EXPECT_EQ(bin.row(0).get<std::int32_t>(0), 10);
  EXPECT_EQ(bin.row(39).get<double>(2), 49 / 4.0);
}

// A result of about 12 MB in many compressed packets, in both protocols; it compresses well,
// and the byte counts show it.
TEST_F(MysqlCompression, ResultsOfSeveralMebibytes) {
  Connection c = connect();
  const std::string sql =
      "SELECT seq, CONCAT('row-', seq, '-', REPEAT('abcdefgh', 12)) FROM seq_1_to_120000";
  const CompressionStats before = c.compression_stats();
  const Result text = run(c.query(sql)).at(0);
  ASSERT_EQ(text.size(), 120000u);
  EXPECT_EQ(text.row(119999).get<std::uint64_t>(0), 120000u);
  EXPECT_EQ(
      text.row(54321).get<std::string>(1), "row-54322-" + [] {
        std::string s;
        for (int i = 0; i < 12; ++i)
          s += "abcdefgh";
        return s;
      }());
  const CompressionStats after = c.compression_stats();
  const std::uint64_t wire = after.wire_in - before.wire_in;
  const std::uint64_t plain = after.plain_in - before.plain_in;
  EXPECT_GT(plain, 12'000'000u);
  EXPECT_LT(wire * 4, plain) << wire << " bytes on the wire for " << plain;

  const Result bin = run(c.execute(sql));
  ASSERT_EQ(bin.size(), 120000u);
  EXPECT_EQ(bin.row(777).get<std::uint64_t>(0), 778u);
}

// A value over 16 MiB: its packets are split (0xFFFFFF bytes, then the rest), and so are the
// compressed packets holding them, received and sent.
TEST_F(MysqlCompression, ValuesOverSixteenMebibytes) {
  Connection c = connect();
  const std::size_t size = (std::size_t{17} << 20) + 12345;
  const Result r = run(c.query("SELECT REPEAT('tern', " + std::to_string(size / 4) + ")")).at(0);
  EXPECT_EQ(r.row(0).get<std::string>(0).size(), size / 4 * 4);
  ByteString blob(size);
  std::uint32_t x = 1;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245 + 12345;
    blob[i] = static_cast<std::byte>(i % 3 == 0 ? x >> 24 : i & 0x3f);
  }
  const Result echoed = run(c.execute("SELECT ?, LENGTH(?)", [&] {
    Params two;
    two.add(blob);
    two.add(blob);
    return two;
  }()));
  EXPECT_EQ(echoed.row(0).get<ByteString>(0), blob);
  EXPECT_EQ(echoed.row(0).get<std::int64_t>(1), static_cast<std::int64_t>(size));
  EXPECT_EQ(scalar(c, "SELECT 1"), "1");  // in step after it
}

TEST_F(MysqlCompression, TransactionsCommitAndRollBack) {
  Connection c = connect();
  run(c.query("CREATE TEMPORARY TABLE tx (k INT PRIMARY KEY) ENGINE=InnoDB"));
  run(c.query("BEGIN"));
  run(c.execute("INSERT INTO tx VALUES (?)", int_param(1)));
  EXPECT_NE(c.status_flags() & status::kInTrans, 0);
  run(c.query("ROLLBACK"));
  EXPECT_EQ(scalar(c, "SELECT COUNT(*) FROM tx"), "0");
  run(c.query("START TRANSACTION"));
  run(c.execute("INSERT INTO tx VALUES (?)", int_param(2)));
  run(c.query("COMMIT"));
  EXPECT_EQ(c.status_flags() & status::kInTrans, 0);
  EXPECT_EQ(scalar(c, "SELECT k FROM tx"), "2");
}

TEST_F(MysqlCompression, AnErrorReplyKeepsTheConnection) {
  Connection c = connect();
  tern::testing::expect_server_error(tern::testing::thrown<ProgrammingError>(
                                         [&] { run(c.query("SELECT * FROM no_such_table_here")); }),
                                     "42S02", 1146);
  EXPECT_THROW(run(c.execute("SELEKT ?", int_param(1))), ProgrammingError);
  EXPECT_TRUE(c.is_usable());
  EXPECT_EQ(scalar(c, "SELECT 'still here'"), "still here");
}

// Calls of several tasks pipelined on one compressed connection: each command gets its own
// compressed packets from id 0, each response restarts the ids.
TEST_F(MysqlCompression, PipelinedCallsOfManyTasks) {
  Connection c = connect();
  ring::TaskGroup group(loop);
  std::vector<std::string> seen(30);
  for (int i = 0; i < 30; ++i) {
    group.spawn([](Connection& conn, int k, std::string& out) -> Task<void> {
      if (k % 3 == 0) {
        const std::vector<Result> r =
            co_await conn.query("SELECT REPEAT('z', " + std::to_string(1000 * k) + ")");
        out = std::to_string(r.at(0).row(0).get<std::string>(0).size());
      } else if (k % 3 == 1) {
        co_await conn.ping();
        out = std::to_string(1000 * k);
      } else {
        const Result r = co_await conn.execute("SELECT CAST(? AS SIGNED) * 1000", int_param(k));
        out = std::to_string(r.row(0).get<std::int64_t>(0));
      }
    }(c, i, seen[i]));
  }
  run(group.join());
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(seen[i], std::to_string(1000 * i)) << i;
  EXPECT_TRUE(c.is_usable());
}

TEST_F(MysqlCompression, OverTls) {
  Connection c = connect("?compress=true&ssl-mode=VERIFY_CA&ssl-ca=" + server_env("TERN_MYSQL_CA"));
  EXPECT_TRUE(c.is_tls());
  EXPECT_TRUE(c.is_compressed());
  EXPECT_EQ(run(c.query("SELECT seq FROM seq_1_to_20000")).at(0).size(), 20000u);
  EXPECT_EQ(run(c.execute("SELECT ? + 1", int_param(41))).row(0).get<std::int64_t>(0), 42);
}

}  // namespace
}  // namespace tern::mysql
