// pg::WideTimestamp(tz) over PostgreSQL's whole range, and the typed text decoders of dates,
// timestamps and intervals under each DateStyle / IntervalStyle / TimeZone. The texts are the
// server's output (PostgreSQL 15, recorded with psql under the settings named).
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <string_view>

#include "tern/protocol/pg/text.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg {
namespace {

using namespace std::chrono;

Bytes text(std::string_view s) {
  return protocol::as_bytes(s);
}

std::string binary_i64(std::int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] =
        static_cast<char>((static_cast<std::uint64_t>(v) >> (56 - 8 * i)) & 0xff);
  return out;
}

TextSettings styles(std::string_view date_style, std::string_view interval_style = "iso_8601",
                    std::string_view zone = "UTC") {
  TextSettings s;
  s.set_date_style(date_style);
  s.set_interval_style(interval_style);
  EXPECT_TRUE(absl::LoadTimeZone(std::string(zone), &s.time_zone)) << zone;
  return s;
}

// '294276-12-31 23:59:59.999999' is 9223371331199999999 µs after 2000-01-01.
constexpr std::int64_t kLastTimestamp = 9'223'371'331'199'999'999;
// '4714-11-24 00:00:00 BC'.
constexpr std::int64_t kFirstTimestamp = -211'813'488'000'000'000;

TEST(PgWideTimestamp, HoldsTheWholeRangeInBothFormats) {
  const std::string last = binary_i64(kLastTimestamp);
  const WideTimestamp w = Type<WideTimestamp>::decode(oid::kTimestamp, Format::kBinary, text(last));
  EXPECT_EQ(w.microseconds, kLastTimestamp);
  EXPECT_EQ(w.civil(), (CivilDateTime{294276, 12, 31, 23, 59, 59, 999'999}));
  EXPECT_EQ(Type<WideTimestamp>::decode(oid::kTimestamp, Format::kText,
                                        text("294276-12-31 23:59:59.999999")),
            w);
  EXPECT_EQ(Type<WideTimestamptz>::decode(oid::kTimestamptz, Format::kText,
                                          text("294276-12-31 23:59:59.999999+00"))
                .microseconds,
            kLastTimestamp);
  const WideTimestamp first =
      Type<WideTimestamp>::decode(oid::kTimestamp, Format::kText, text("4714-11-24 00:00:00 BC"));
  EXPECT_EQ(first.microseconds, kFirstTimestamp);
  EXPECT_EQ(first.civil().year, -4713);
  EXPECT_EQ(WideTimestamp::from_civil({-4713, 11, 24}), first);
  // Encoding writes the count as it is; one past either end is refused.
  std::string encoded;
  ByteWriter out(encoded);
  Type<WideTimestamp>::encode(w, out);
  EXPECT_EQ(encoded, last);
  EXPECT_THROW(
      Type<WideTimestamp>::encode(WideTimestamp::from_pg_microseconds(kLastTimestamp + 1), out),
      TypeError);
  EXPECT_THROW(Type<WideTimestamp>::decode(oid::kTimestamp, Format::kBinary,
                                           text(binary_i64(kFirstTimestamp - 1))),
               TypeError);
  EXPECT_THROW(WideTimestamp::from_civil({294277, 1, 1}), TypeError);
  EXPECT_THROW(WideTimestamp::from_civil({2024, 2, 30}), TypeError);
}

TEST(PgWideTimestamp, ChronoConversionsAreCheckedWhereDateTimeEnds) {
  const std::string last = binary_i64(kLastTimestamp);
  try {
    Type<Timestamp>::decode(oid::kTimestamp, Format::kBinary, text(last));
    FAIL() << "a timestamp past 294247-01-10 decoded as DateTime";
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("pg::WideTimestamp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Type<Timestamptz>::decode(oid::kTimestamptz, Format::kBinary, text(last)),
               TypeError);
  // Infinities map to the chrono extremes both ways; ordinary values convert exactly.
  EXPECT_EQ(WideTimestamp(DateTime::max()), WideTimestamp::infinity());
  EXPECT_EQ(WideTimestamptz(Instant::min()), WideTimestamptz::minus_infinity());
  EXPECT_EQ(WideTimestamp::infinity().to_datetime(), DateTime::max());
  const DateTime t = local_days(2024y / 2 / 29) + 12h + 1us;
  EXPECT_EQ(WideTimestamp(t).to_datetime(), t);
  EXPECT_EQ(WideTimestamp(t).civil(), (CivilDateTime{2024, 2, 29, 12, 0, 0, 1}));
  EXPECT_THROW(WideTimestamp(DateTime::min() + 1us), TypeError);  // before 4714 BC
}

TEST(PgDateStyles, DatesAndTimestampsDecodeInEachStyle) {
  // SELECT date '2001-12-26', timestamp '2001-12-26 20:05:06.5', and 44 BC.
  struct Case {
    const char* style;
    const char* date;
    const char* timestamp;
    const char* bc;
  };
  for (const Case& c : {
           Case{"ISO, MDY", "2001-12-26", "2001-12-26 20:05:06.5", "0044-03-15 12:00:00 BC"},
           Case{"SQL, MDY", "12/26/2001", "12/26/2001 20:05:06.5", "03/15/0044 12:00:00 BC"},
           Case{"SQL, DMY", "26/12/2001", "26/12/2001 20:05:06.5", "15/03/0044 12:00:00 BC"},
           Case{"German", "26.12.2001", "26.12.2001 20:05:06.5", "15.03.0044 12:00:00 BC"},
           Case{"Postgres, MDY", "12-26-2001", "Wed Dec 26 20:05:06.5 2001",
                "Fri Mar 15 12:00:00 0044 BC"},
           Case{"Postgres, DMY", "26-12-2001", "Wed 26 Dec 20:05:06.5 2001",
                "Fri 15 Mar 12:00:00 0044 BC"},
       }) {
    SCOPED_TRACE(c.style);
    const TextSettings s = styles(c.style);
    EXPECT_EQ(Type<Date>::decode(oid::kDate, Format::kText, text(c.date), s),
              sys_days(2001y / 12 / 26));
    EXPECT_EQ(Type<Timestamp>::decode(oid::kTimestamp, Format::kText, text(c.timestamp), s),
              local_days(2001y / 12 / 26) + 20h + 5min + 6s + 500ms);
    EXPECT_EQ(Type<WideTimestamp>::decode(oid::kTimestamp, Format::kText, text(c.bc), s).civil(),
              (CivilDateTime{-43, 3, 15, 12}));
    // Text in another style (the settings are stale within the batch that SET DateStyle:
    // ParameterStatus comes at its end) reads by its own shape where that is unambiguous...
    EXPECT_EQ(Type<Date>::decode(oid::kDate, Format::kText, text("26.12.2001"), s),
              sys_days(2001y / 12 / 26));
    EXPECT_EQ(Type<Date>::decode(oid::kDate, Format::kText, text("2001-12-26"), s),
              sys_days(2001y / 12 / 26));
    // ...and is refused, naming the session's DateStyle, where day and month could swap.
    const std::string_view session(c.style);
    const char* ambiguous = session.starts_with("SQL") ? "01-02-2001" : "01/02/2001";
    try {
      Type<Date>::decode(oid::kDate, Format::kText, text(ambiguous), s);
      FAIL() << ambiguous << " decoded under " << c.style;
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("DateStyle ") + c.style), std::string::npos)
          << e.what();
    }
  }
  // Arrays pass the settings to their elements.
  const TextSettings german = styles("German");
  EXPECT_EQ(Type<std::vector<Date>>::decode(oid::kDateArray, Format::kText,
                                            text("{26.12.2001,infinity}"), german),
            (std::vector<Date>{sys_days(2001y / 12 / 26), Date::max()}));
}

TEST(PgDateStyles, TimestamptzResolvesZoneNamesWithTheSessionZone) {
  const TextSettings ny = styles("Postgres, MDY", "iso_8601", "America/New_York");
  const auto decode = [&](const TextSettings& s, std::string_view v) {
    return Type<Instant>::decode(oid::kTimestamptz, Format::kText, text(v), s);
  };
  EXPECT_EQ(decode(ny, "Wed Dec 26 20:05:06 2001 EST"), sys_days(2001y / 12 / 27) + 1h + 5min + 6s);
  EXPECT_EQ(decode(ny, "Sun Jul 15 08:15:55.33 1973 EDT"),
            sys_days(1973y / 7 / 15) + 12h + 15min + 55s + 330ms);
  // The repeated hour of a DST change: the abbreviation tells which one.
  EXPECT_EQ(decode(ny, "Sun Nov 03 01:30:00 2024 EDT"), sys_days(2024y / 11 / 3) + 5h + 30min);
  EXPECT_EQ(decode(ny, "Sun Nov 03 01:30:00 2024 EST"), sys_days(2024y / 11 / 3) + 6h + 30min);
  // Local mean time before the zone's first rule (-04:56:02).
  EXPECT_EQ(decode(ny, "Sun Nov 18 12:03:57 1883 LMT"),
            sys_days(1883y / 11 / 18) + 16h + 59min + 59s);
  EXPECT_THROW(decode(ny, "Wed Dec 26 20:05:06 2001 CET"), TypeError);  // another zone's
  // SQL and German styles; ISO carries the offset itself.
  EXPECT_EQ(decode(styles("SQL, DMY", "iso_8601", "Asia/Kolkata"), "27/12/2001 06:35:06 IST"),
            sys_days(2001y / 12 / 27) + 1h + 5min + 6s);
  EXPECT_EQ(decode(styles("ISO"), "2001-12-27 06:35:06+05:30"),
            sys_days(2001y / 12 / 27) + 1h + 5min + 6s);
  // A POSIX zone (SET TIME ZONE 5.5): the connection keeps its name and fixed offset.
  TextSettings posix = styles("German");
  posix.time_zone = absl::FixedTimeZone(19'800);
  posix.zone_abbreviation = "+05:30";
  EXPECT_EQ(decode(posix, "27.12.2001 06:35:06 +05:30"),
            sys_days(2001y / 12 / 27) + 1h + 5min + 6s);
}

TEST(PgIntervalStyles, IntervalsDecodeInEachStyle) {
  // SELECT interval '1 year 2 months 3 days 04:05:06.5', '-1 day +02:03:00', '-00:00:01.5',
  // interval '0', '-1 year -2 months' and the most negative time part the server prints
  // (interval '-2562047788 hours' - interval '54.775808 seconds': INT64_MIN microseconds,
  // which the server itself cannot read back) under each IntervalStyle.
  struct Case {
    const char* style;
    const char* mixed;
    const char* day_and_time;
    const char* negative_seconds;
    const char* zero;
    const char* negative_years;
    const char* most_negative_time;
  };
  for (const Case& c : {
           Case{"iso_8601", "P1Y2M3DT4H5M6.5S", "P-1DT2H3M", "PT-1.5S", "PT0S", "P-1Y-2M",
                "PT-2562047788H-54.775808S"},
           Case{"postgres", "1 year 2 mons 3 days 04:05:06.5", "-1 days +02:03:00", "-00:00:01.5",
                "00:00:00", "-1 years -2 mons", "-2562047788:00:54.775808"},
           Case{"postgres_verbose", "@ 1 year 2 mons 3 days 4 hours 5 mins 6.5 secs",
                "@ 1 day -2 hours -3 mins ago", "@ 1.5 secs ago", "@ 0", "@ 1 year 2 mons ago",
                "@ 2562047788 hours 54.775808 secs ago"},
           Case{"sql_standard", "+1-2 +3 +4:05:06.5", "+0-0 -1 +2:03:00", "-0:00:01.5", "0", "-1-2",
                "-2562047788:00:54.775808"},
       }) {
    SCOPED_TRACE(c.style);
    const TextSettings s = styles("ISO", c.style);
    const auto decode = [&](std::string_view v) {
      return Type<Interval>::decode(oid::kInterval, Format::kText, text(v), s);
    };
    EXPECT_EQ(decode(c.mixed), (Interval{14, 3, 14'706'500'000}));
    EXPECT_EQ(decode(c.day_and_time), (Interval{0, -1, 7'380'000'000}));
    EXPECT_EQ(decode(c.negative_seconds), (Interval{0, 0, -1'500'000}));
    EXPECT_EQ(decode(c.zero), (Interval{}));
    EXPECT_EQ(decode(c.negative_years), (Interval{-14, 0, 0}));
    EXPECT_EQ(decode(c.most_negative_time),
              (Interval{0, 0, std::numeric_limits<std::int64_t>::min()}));
    try {
      decode("1 fortnight");
      FAIL() << "malformed interval decoded";
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("IntervalStyle ") + c.style),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(PgFloatText, FollowsExtraFloatDigits) {
  const auto render = [](double v, bool single, int digits) {
    TextSettings s;
    s.extra_float_digits = digits;
    std::string encoded;
    ByteWriter out(encoded);
    if (single) {
      Type<float>::encode(static_cast<float>(v), out);
    } else {
      Type<double>::encode(v, out);
    }
    return to_text(single ? oid::kFloat4 : oid::kFloat8, Format::kBinary, text(encoded), s);
  };
  // SELECT 0.1::float8, 1/3::float8, 1e100, -0 ... under SET extra_float_digits = N.
  EXPECT_EQ(render(0.1, false, 3), "0.1");
  EXPECT_EQ(render(1.0 / 3, false, 1), "0.3333333333333333");
  EXPECT_EQ(render(1.0 / 3, false, 0), "0.333333333333333");
  EXPECT_EQ(render(1.0 / 3, false, -3), "0.333333333333");
  EXPECT_EQ(render(1.0 / 3, false, -15), "0.3");
  EXPECT_EQ(render(123456789.0, false, -10), "1.2346e+08");
  EXPECT_EQ(render(-0.0, false, 0), "-0");
  EXPECT_EQ(render(1.0 / 3, true, 0), "0.333333");
  EXPECT_EQ(render(1.0 / 3, true, -5), "0.3");
  EXPECT_EQ(render(1e100, false, -1), "1e+100");
}

}  // namespace
}  // namespace tern::pg
