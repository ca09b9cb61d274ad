// Every type codec against a real PostgreSQL 15: values sent as binary parameters come back
// equal in both result formats (NULLs, extremes, NaN/Infinity, unicode, empty arrays), and
// values the server produces itself decode to what they should.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "server_env.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/text.hpp"
#include "tern/ring/ring.hpp"

namespace tern::pg {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

class PgTypes : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.emplace(ring::sync_wait(
        loop_, Connection::connect(
                   loop_, ConnectOptions::parse(tern::testing::server_env("TERN_PG_URL")))));
  }

  Result query(const std::string& sql, const Params& params, Format format) {
    return ring::sync_wait(loop_, conn_->execute(sql, params, {.result_format = format}));
  }

  // Sends `value` as a parameter cast to `sql_type` and reads it back in both formats.
  template <class T>
  void round_trip(const T& value, const std::string& sql_type) {
    for (Format f : {Format::kBinary, Format::kText}) {
      Params p;
      p.add(value);
      const Result r = query("SELECT $1::" + sql_type, p, f);
      ASSERT_EQ(r.size(), 1u);
      EXPECT_EQ(r.row(0).get<T>(0), value)
          << sql_type << " in " << (f == Format::kBinary ? "binary" : "text");
      // NULL of the same type comes back as an empty optional.
      Params null;
      null.add(std::optional<T>{});
      EXPECT_FALSE(query("SELECT $1::" + sql_type, null, f).row(0).get<std::optional<T>>(0));
    }
  }

  // Decodes what the server computes from `sql` in both formats.
  template <class T>
  void server_value(const std::string& sql, const T& expected) {
    for (Format f : {Format::kBinary, Format::kText}) {
      EXPECT_EQ(query(sql, {}, f).row(0).get<T>(0), expected)
          << sql << " in " << (f == Format::kBinary ? "binary" : "text");
    }
  }

  ring::Loop loop_;
  std::optional<Connection> conn_;
};

TEST_F(PgTypes, Integers) {
  round_trip(true, "bool");
  round_trip(false, "bool");
  for (std::int16_t v : {std::numeric_limits<std::int16_t>::min(), std::int16_t{0},
                         std::numeric_limits<std::int16_t>::max()}) {
    round_trip(v, "int2");
  }
  for (std::int32_t v :
       {std::numeric_limits<std::int32_t>::min(), -1, std::numeric_limits<std::int32_t>::max()}) {
    round_trip(v, "int4");
  }
  for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{42},
                         std::numeric_limits<std::int64_t>::max()}) {
    round_trip(v, "int8");
  }
  round_trip(OidValue{4294967295u}, "oid");
  server_value<std::int64_t>("SELECT 7::int2", 7);  // a wider C++ type reads narrower columns
}

TEST_F(PgTypes, Floats) {
  for (double v :
       {0.0, -0.5, 0.1, 5e-324, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    round_trip(v, "float8");
  }
  for (float v : {1e-45f, 3.4028235e38f, 1.1f, -std::numeric_limits<float>::infinity()}) {
    round_trip(v, "float4");
  }
  for (Format f : {Format::kBinary, Format::kText}) {
    Params p;
    p.add(std::numeric_limits<double>::quiet_NaN());
    EXPECT_TRUE(std::isnan(query("SELECT $1::float8", p, f).row(0).get<double>(0)));
  }
  server_value<double>("SELECT 'Infinity'::float8", std::numeric_limits<double>::infinity());
}

TEST_F(PgTypes, Numeric) {
  for (const char* v : {"0", "-12.3400", "123456789012345678901234567890.000000000000000000001",
                        "0.000001", "NaN", "Infinity", "-Infinity", "10000", "-0.5"}) {
    round_trip(Numeric{v}, "numeric");
  }
  server_value("SELECT 1.50::numeric(10,3)", Numeric{"1.500"});
}

TEST_F(PgTypes, TextAndBytes) {
  round_trip(std::string(), "text");
  round_trip(std::string("héllo wörld ✓ 🎉 日本語"), "text");
  round_trip(std::string("quote's \"double\" back\\slash\ttab\nnewline; DROP TABLE x; --"), "text");
  round_trip(std::string(100000, 'x'), "text");
  round_trip(std::string("padded"), "varchar(20)");
  server_value("SELECT 'ab'::char(4)", std::string("ab  "));
  server_value("SELECT 'pg_class'::name", std::string("pg_class"));
  ByteString all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<std::byte>(i));
  round_trip(all, "bytea");
  round_trip(ByteString{}, "bytea");
}

TEST_F(PgTypes, DatesAndTimes) {
  round_trip(Date(2000y / January / 1), "date");
  round_trip(Date(1970y / January / 1), "date");
  round_trip(Date(9999y / December / 31), "date");
  round_trip(Date(-43y / March / 15), "date");  // 44 BC
  round_trip(Date::max(), "date");              // infinity
  round_trip(Date::min(), "date");              // -infinity
  round_trip(Time(0), "time");
  round_trip(Time(hours(23) + minutes(59) + seconds(59) + microseconds(999999)), "time");
  const Timestamp ts =
      local_days(2024y / February / 29) + hours(13) + minutes(14) + microseconds(123456);
  round_trip(ts, "timestamp");
  round_trip(Timestamp::max(), "timestamp");
  round_trip(Timestamp::min(), "timestamp");
  const Timestamptz tz = sys_days(1999y / December / 31) + hours(23) + microseconds(1);
  round_trip(tz, "timestamptz");
  server_value("SELECT '2024-01-02 03:04:05.5+05:30'::timestamptz",
               Timestamptz(sys_days(2024y / January / 1) + hours(21) + minutes(34) + seconds(5) +
                           milliseconds(500)));
  server_value("SELECT '0044-03-15 BC'::date", Date(-43y / March / 15));
  round_trip(Interval{14, 3, 4 * 3600'000'000LL + 5 * 60'000'000LL + 6'500'000}, "interval");
  round_trip(Interval{-1, -2, -3'000'000}, "interval");
  round_trip(Interval{}, "interval");
}

TEST_F(PgTypes, UuidJsonAndOthers) {
  round_trip(Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "uuid");
  round_trip(Json{"{\"a\": [1, 2], \"ü\": null}"}, "json");
  round_trip(Jsonb{"{\"a\": [1, 2], \"ü\": null}"}, "jsonb");
  server_value("SELECT '{\"b\":1,   \"a\":2}'::jsonb", Jsonb{"{\"a\": 2, \"b\": 1}"});
  server_value("SELECT '{\"b\":1}'::json", std::string("{\"b\":1}"));
}

TEST_F(PgTypes, Arrays) {
  round_trip(std::vector<std::int32_t>{}, "int4[]");
  round_trip(std::vector<std::int32_t>{1, -2, 3}, "int4[]");
  round_trip(std::vector<std::optional<std::string>>{"a", std::nullopt, "with, comma", "NULL",
                                                     "\"q\" {b}", "", "ü ✓"},
             "text[]");
  round_trip(std::vector<Numeric>{{"1.5"}, {"-0.001"}, {"NaN"}}, "numeric[]");
  round_trip(std::vector<Date>{Date(2020y / May / 17), Date::max()}, "date[]");
  round_trip(std::vector<Uuid>{Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")}, "uuid[]");
  round_trip(std::vector<bool>{true, false}, "bool[]");
  server_value("SELECT ARRAY[1, NULL, 3]::int8[]",
               std::vector<std::optional<std::int64_t>>{1, std::nullopt, 3});
  server_value("SELECT '{}'::text[]", std::vector<std::string>{});
}

// Issue 24 defects 1 and 2: multi-dimensional arrays and lower bounds decode, in both formats,
// and a pg::Array parameter keeps them on the server.
TEST_F(PgTypes, MultiDimensionalArraysAndLowerBounds) {
  ArrayShape two_by_three;
  two_by_three.ndim = 2;
  two_by_three.lengths = {2, 3};
  two_by_three.lower_bounds = {1, 1};
  server_value("SELECT '{{1,2,3},{4,5,6}}'::int[]",
               Array<std::int32_t>{two_by_three, {1, 2, 3, 4, 5, 6}});
  ArrayShape from_zero;
  from_zero.ndim = 1;
  from_zero.lengths = {2};
  from_zero.lower_bounds = {0};
  server_value("SELECT '[0:1]={1.1,2.2}'::float8[]", Array<double>{from_zero, {1.1, 2.2}});
  ArrayShape odd;
  odd.ndim = 3;
  odd.lengths = {1, 2, 1};
  odd.lower_bounds = {-3, 5, 1};
  round_trip(Array<std::optional<std::string>>{odd, {"a b", std::nullopt}}, "text[]");
  round_trip(Array<std::int64_t>{}, "int8[]");
  for (Format f : {Format::kBinary, Format::kText}) {
    const Result r = query(
        "SELECT array_dims($1::text[])",
        [&] {
          Params p;
          p.add(Array<std::optional<std::string>>{odd, {"a b", std::nullopt}});
          return p;
        }(),
        f);
    EXPECT_EQ(r.row(0).get<std::string>(0), "[-3:-3][5:6][1:1]");
  }
}

TEST_F(PgTypes, TimestampsOverTheWholeRange) {
  // PostgreSQL's last timestamp is past what DateTime (µs since 1970) holds: WideTimestamp
  // reads it in both formats and sends it back; DateTime refuses it with a TypeError.
  const CivilDateTime last{294276, 12, 31, 23, 59, 59, 999'999};
  server_value("SELECT '294276-12-31 23:59:59.999999'::timestamp", WideTimestamp::from_civil(last));
  server_value("SELECT '294276-12-31 23:59:59.999999+00'::timestamptz",
               WideTimestamptz::from_civil_utc(last));
  server_value("SELECT '4714-11-24 00:00:00 BC'::timestamp",
               WideTimestamp::from_civil({-4713, 11, 24}));
  server_value("SELECT 'infinity'::timestamp", WideTimestamp::infinity());
  round_trip(WideTimestamp::from_civil(last), "timestamp");
  round_trip(WideTimestamptz::minus_infinity(), "timestamptz");
  for (Format f : {Format::kBinary, Format::kText}) {
    const Result r = query("SELECT '294276-12-31 23:59:59'::timestamp", {}, f);
    EXPECT_THROW(r.row(0).get<Timestamp>(0), TypeError);
  }
}

TEST_F(PgTypes, TextResultsFollowTheSessionsDateStyle) {
  // simple_query results are text: each Result reads them by the settings they came under. The
  // server reports a SET at the end of its batch, so the first batch's rows read by their own
  // shape (unambiguous here), the second's by the reported settings.
  std::string restore;
  for (const char* name : {"DateStyle", "IntervalStyle", "TimeZone"}) {
    const std::vector<Result> shown =
        ring::sync_wait(loop_, conn_->simple_query(std::string("SHOW ") + name));
    restore += std::string("SET ") + name + " = '" +
               std::string(tern::protocol::as_chars(*shown.at(0).row(0).raw(0))) + "'; ";
  }
  ring::sync_wait(loop_, conn_->simple_query("SET TimeZone = 'America/New_York'"));
  const std::vector<Result> first = ring::sync_wait(
      loop_, conn_->simple_query("SET DateStyle = 'German'; SELECT date '2001-12-26'"));
  EXPECT_EQ(tern::protocol::as_chars(*first.at(1).row(0).raw(0)), "26.12.2001");
  EXPECT_EQ(first.at(1).row(0).get<Date>(0), sys_days(2001y / 12 / 26));
  const std::vector<Result> rs = ring::sync_wait(
      loop_, conn_->simple_query(
                 "SET DateStyle = 'Postgres, DMY'; SET IntervalStyle = 'postgres_verbose'; "
                 "SELECT 1; "
                 "SELECT date '2001-12-26', timestamptz '2001-12-27 01:05:06+00', "
                 "interval '-1 day +02:03:00', ARRAY[date '2024-02-29'], date '2001-02-01'; "
                 "SET DateStyle = 'German'; SELECT date '2001-12-26'"));
  ring::sync_wait(loop_, conn_->simple_query("SELECT 1"));
  const Result& postgres = rs.at(3);
  EXPECT_EQ(tern::protocol::as_chars(*postgres.row(0).raw(1)), "Wed 26 Dec 20:05:06 2001 EST");
  EXPECT_EQ(postgres.row(0).get<Date>(0), sys_days(2001y / 12 / 26));
  EXPECT_EQ(postgres.row(0).get<Timestamptz>(1), sys_days(2001y / 12 / 27) + 1h + 5min + 6s);
  EXPECT_EQ(postgres.row(0).get<Interval>(2), (Interval{0, -1, 7'380'000'000}));
  EXPECT_EQ(postgres.row(0).get<std::vector<Date>>(3), std::vector<Date>{sys_days(2024y / 2 / 29)});
  // '01-02-2001' under Postgres, DMY, while the connection still knew German: either order fits.
  EXPECT_EQ(tern::protocol::as_chars(*postgres.row(0).raw(4)), "01-02-2001");
  EXPECT_THROW(postgres.row(0).get<Date>(4), TypeError);
  EXPECT_EQ(tern::protocol::as_chars(*rs.at(5).row(0).raw(0)), "26.12.2001");
  EXPECT_EQ(rs.at(5).row(0).get<Date>(0), sys_days(2001y / 12 / 26));
  // Once reported, the settings decide: the same text reads as 1 February.
  const std::vector<Result> again =
      ring::sync_wait(loop_, conn_->simple_query("SET DateStyle = 'Postgres, DMY'"));
  EXPECT_EQ(ring::sync_wait(loop_, conn_->simple_query("SELECT date '2001-02-01'"))
                .at(0)
                .row(0)
                .get<Date>(0),
            sys_days(2001y / 2 / 1));
  // Behind PgBouncer's transaction pooling the settings stay on the server connection for the
  // next test (PgBouncer 1.17 does not restore IntervalStyle): set back as they were.
  ring::sync_wait(loop_, conn_->simple_query(restore));
}

TEST_F(PgTypes, WrongTypeAndNullAreTypeErrors) {
  const Result r = query("SELECT 'x'::text, NULL::int4", {}, Format::kBinary);
  EXPECT_THROW(r.row(0).get<std::int32_t>(0), TypeError);
  EXPECT_THROW(r.row(0).get<std::int32_t>(1), TypeError);
  EXPECT_FALSE(r.row(0).get<std::optional<std::int32_t>>(1));
  EXPECT_THROW(query("SELECT 40000::int4", {}, Format::kBinary).row(0).get<std::int16_t>(0),
               TypeError);
}

TEST_F(PgTypes, ToTextMatchesTheServersTextOutput) {
  // Types whose text output does not depend on the session time zone.
  const std::string sql =
      "SELECT true, -7::int2, 123::int4, -9000000000::int8, 1.5::float4, 0.1::float8,"
      " 'NaN'::float8, 12.340::numeric, 'héllo'::text, '\\x00ff'::bytea,"
      " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '2024-02-29'::date, 'infinity'::date,"
      " '13:14:15.5'::time, '2024-02-29 13:14:15.000001'::timestamp,"
      " '1 year 2 mons 3 days 04:05:06.5'::interval, '-1 day -00:00:03'::interval,"
      " ARRAY['a', NULL, 'b c', '', 'NULL', 'q\"']::text[], '{}'::int4[],"
      " '{\"a\": 1}'::jsonb, 26::oid, '0044-03-15 BC'::date, '{{1,2,3},{4,5,6}}'::int[],"
      " '[0:1]={1.1,2.2}'::float8[], '[-2:-1][3:3]={{NULL},{\"x y\"}}'::text[]";
  const Result text = query(sql, {}, Format::kText);
  const Result binary = query(sql, {}, Format::kBinary);
  for (std::size_t i = 0; i < text.columns().size(); ++i) {
    const auto& column = binary.columns()[i];
    EXPECT_EQ(to_text(column.type, column.format, *binary.row(0).raw(i)),
              std::string(protocol::as_chars(*text.row(0).raw(i))))
        << "column " << i + 1;
  }
}

}  // namespace
}  // namespace tern::pg
