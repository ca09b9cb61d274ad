// Type fidelity, as a property against the real servers: for every type tern decodes, values
// (random and edge: min/max, NaN/±Infinity, negative zero, precision limits, empty and NULL
// elements, nested arrays with bounds, leap days and seconds, BC dates, the whole date range)
// are produced by the server from text literals, and the server's own text (the text result
// format, i.e. the type's output function) must equal tern's rendering of the value received in
// binary (and in text).
// PostgreSQL runs under several DateStyle / IntervalStyle / TimeZone settings, which tern follows
// from ParameterStatus, and under several extra_float_digits (which it follows from the
// connection's start-up); hstore and untyped literals have a pass of their own.
// Values are also checked typed: decoded as the codec's C++ type from both formats (or both
// MariaDB protocols), which must agree, and (PostgreSQL scalars) sent back as parameters, which
// must render as the server's text of the original.
// Each type's count of values compared is printed; every mismatch is a failure. The seed is
// printed (TERN_FIDELITY_SEED replays a run).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "server_env.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/text.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/hstore.hpp"
#include "tern/protocol/pg/text.hpp"
#include "tern/ring/ring.hpp"

namespace {

namespace pg = tern::pg;
namespace mysql = tern::mysql;
using tern::ring::sync_wait;

// Random values per type; arrays of each type are built from these.
constexpr int kRandomPerType = 40;

class Fidelity : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* seed_text = std::getenv("TERN_FIDELITY_SEED");
    seed_ = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
    std::printf("fidelity seed: %llu (TERN_FIDELITY_SEED replays it)\n",
                static_cast<unsigned long long>(seed_));
    rng_.seed(seed_);
  }

  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }
  template <class F>
  std::string shortest(F v) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }
  std::string padded(std::int64_t v, int width) {
    std::string s = std::to_string(v);
    return std::string(s.size() < static_cast<std::size_t>(width) ? width - s.size() : 0, '0') + s;
  }
  std::string clock(std::int64_t micros) {
    return padded(micros / 3'600'000'000, 2) + ":" + padded(micros / 60'000'000 % 60, 2) + ":" +
           padded(micros / 1'000'000 % 60, 2) + "." + padded(micros % 1'000'000, 6);
  }
  std::string random_text(std::size_t max_chars) {
    static const char* const kPieces[] = {"a", "Z",  "0",  " ", "\"", "\\", "{",    "}",   ",",
                                          "'", "\t", "\n", "é", "✓",  "😀",  "NULL", "x y", ";"};
    std::string s;
    const auto n = static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(max_chars)));
    for (std::size_t i = 0; i < n; ++i)
      s += kPieces[uniform(0, std::size(kPieces) - 1)];
    return s;
  }

  /// Literals of a PostgreSQL type: edges first, then random ones.
  std::vector<std::string> pg_literals(const std::string& type) {
    std::vector<std::string> v;
    const auto random = [&](auto make) {
      for (int i = 0; i < kRandomPerType; ++i)
        v.push_back(make());
    };
    if (type == "bool") {
      v = {"t", "f"};
    } else if (type == "int2" || type == "int4" || type == "int8" || type == "oid") {
      const int bits = type == "int2" ? 16 : type == "int4" ? 32 : 64;
      const std::int64_t max = bits == 64 ? INT64_MAX : (std::int64_t{1} << (bits - 1)) - 1;
      const std::int64_t min = -max - 1;
      if (type == "oid") {
        v = {"0", "4294967295"};
        random([&] { return std::to_string(uniform(0, 4294967295)); });
      } else {
        v = {std::to_string(min), std::to_string(max), "0", "-1"};
        random([&] { return std::to_string(uniform(min, max)); });
      }
    } else if (type == "float4") {
      v = {"0",      "-0",           "NaN",           "Infinity", "-Infinity", "1e-45",
           "1e-44",  "0.0001",       "0.00001",       "100000",   "1000000",   "123456",
           "999999", "3.4028234e38", "1.1754944e-38", "-1.5",     "0.1",       "33554432"};
      random([&] {
        float f = 0;
        do {
          f = std::bit_cast<float>(static_cast<std::uint32_t>(uniform(0, UINT32_MAX)));
        } while (f != f);
        return uniform(0, 1) == 0 ? shortest(f)
                                  : shortest(static_cast<float>(uniform(-1e6, 1e6)) / 1000);
      });
    } else if (type == "float8") {
      v = {"0",
           "-0",
           "NaN",
           "Infinity",
           "-Infinity",
           "5e-324",
           "2.2250738585072014e-308",
           "1.7976931348623157e308",
           "0.0001",
           "0.00001",
           "100000",
           "1e15",
           "1e14",
           "123456789012345",
           "4567890123456789",
           "0.1",
           "-1e300",
           "9007199254740993"};
      random([&] {
        double d = 0;
        do {
          d = std::bit_cast<double>(static_cast<std::uint64_t>(uniform(INT64_MIN, INT64_MAX)));
        } while (d != d);
        return uniform(0, 1) == 0 ? shortest(d)
                                  : shortest(static_cast<double>(uniform(-1e12, 1e12)) / 1e6);
      });
    } else if (type == "numeric") {
      v = {"NaN",    "Infinity", "-Infinity", "0",
           "-0.000", "1e-20",    "0.00001",   "123456789012345678901234567890.123456789",
           "-1",     "10000",    "9999.9999"};
      random([&] {
        std::string s = uniform(0, 1) ? "-" : "";
        s += std::to_string(uniform(0, INT64_MAX >> uniform(0, 62)));
        if (uniform(0, 1)) s += "." + std::to_string(uniform(0, 1'000'000'000));
        return s;
      });
    } else if (type == "text" || type == "varchar" || type == "name") {
      v = {"", " ", "NULL", "null", "\"", "\\", "{}", "a,b"};
      random([&] { return random_text(type == "name" ? 12 : 20); });
    } else if (type == "bpchar(8)") {
      v = {"", "a", "12345678"};
      random([&] { return random_text(2).substr(0, 8); });
    } else if (type == "\"char\"") {
      v = {"", "a", "\\377", "\\200", "\\001", " ", "\\\\"};
      random([&] {
        const auto c = static_cast<int>(uniform(1, 255));
        if (c < 128) return c == '\\' ? std::string("\\\\") : std::string(1, static_cast<char>(c));
        return "\\" + std::to_string(c >> 6) + std::to_string((c >> 3) & 7) + std::to_string(c & 7);
      });
    } else if (type == "bytea") {
      v = {"\\x", "\\x00", "\\xff5c22"};
      random([&] {
        std::string s = "\\x";
        for (std::int64_t i = uniform(0, 12); i > 0; --i) {
          static constexpr char kHex[] = "0123456789abcdef";
          s += kHex[uniform(0, 15)];
          s += kHex[uniform(0, 15)];
        }
        return s;
      });
    } else if (type == "uuid") {
      v = {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"};
      random([&] {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                      static_cast<unsigned long long>(uniform(0, UINT32_MAX)),
                      static_cast<unsigned long long>(uniform(0, 0xffff)),
                      static_cast<unsigned long long>(uniform(0, 0xffff)),
                      static_cast<unsigned long long>(uniform(0, 0xffff)),
                      static_cast<unsigned long long>(uniform(0, 0xffffffffffff)));
        return std::string(buf);
      });
    } else if (type == "json" || type == "jsonb") {
      v = {"{}",    "[]",    "null", "{\"b\": 1,   \"a\": [1.50, \"x\\\"y\", null]}",
           "\"é\"", "1e400", "-0"};
      random([&] { return "{\"k\": " + std::to_string(uniform(-1e9, 1e9)) + "}"; });
    } else if (type == "date") {
      v = {"infinity",   "-infinity",  "4714-11-24 BC", "5874897-12-31",
           "2000-02-29", "0001-01-01", "0001-12-31 BC", "1900-02-28"};
      random([&] { return "J" + std::to_string(uniform(0, 2'147'483'494)); });
    } else if (type == "time") {
      v = {"00:00:00", "24:00:00", "23:59:59.999999", "12:00:00.5"};
      random([&] { return clock(uniform(0, 86'400'000'000 - 1)); });
    } else if (type == "timestamp" || type == "timestamptz") {
      const std::string zone = type == "timestamptz" ? "+00" : "";
      v = {"infinity",
           "-infinity",
           "294276-12-31 23:59:59.999999" + zone,
           "4714-11-24 00:00:00 BC" + zone,
           "2016-12-31 23:59:60" + zone,
           "1999-12-31 23:59:59.999999" + zone,
           "2000-02-29 12:00:00" + zone,
           "1883-11-18 12:03:57" + zone};
      random([&] {
        std::string s = "J" + std::to_string(uniform(1, 109'203'400)) + " " +
                        clock(uniform(0, 86'400'000'000 - 1));
        if (!zone.empty()) {
          const std::int64_t minutes = uniform(-15 * 60, 15 * 60);
          s += (minutes < 0 ? "-" : "+") + padded(std::abs(minutes) / 60, 2) + ":" +
               padded(std::abs(minutes) % 60, 2);
        }
        return s;
      });
    } else if (type == "interval") {
      v = {"PT0S",      "P178956970Y7M", "P-178956970Y-8M", "P2147483647D", "P-2147483648D",
           "PT-0.5S",   "PT1H",          "P1DT-1S",         "P-1Y2M",       "PT-2562047H",
           "P1M-1DT1S", "PT59.999999S"};
      random([&] {
        const auto field = [&](std::int64_t lim) { return std::to_string(uniform(-lim, lim)); };
        std::string s = "P" + field(1000) + "Y" + field(11) + "M" + field(1000) + "DT" +
                        field(10000) + "H" + field(59) + "M";
        const std::int64_t us = uniform(-59'999'999, 59'999'999);
        s += (us < 0 ? "-" : "") + std::to_string(std::abs(us) / 1'000'000) + "." +
             padded(std::abs(us) % 1'000'000, 6) + "S";
        return s;
      });
    }
    return v;
  }

  static std::string quote_element(const std::string& e) {
    std::string q = "\"";
    for (char c : e) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  }

  /// Array literals of elements of `scalars`: 1-D with NULLs, empty, 2-D, 3-D, lower bounds.
  std::vector<std::string> pg_array_literals(const std::vector<std::string>& scalars) {
    const auto element = [&] {
      return uniform(0, 5) == 0 ? std::string("NULL")
                                : quote_element(scalars[uniform(0, scalars.size() - 1)]);
    };
    const auto list = [&](std::int64_t n) {
      std::string s = "{";
      for (std::int64_t i = 0; i < n; ++i)
        s += (i ? "," : "") + element();
      return s + "}";
    };
    std::vector<std::string> v = {"{}", "{NULL}"};
    for (int i = 0; i < 8; ++i)
      v.push_back(list(uniform(1, 5)));
    for (int i = 0; i < 4; ++i) {
      const std::int64_t rows = uniform(1, 3), cols = uniform(1, 3);
      std::string s = "{";
      for (std::int64_t r = 0; r < rows; ++r)
        s += (r ? "," : "") + list(cols);
      s += "}";
      v.push_back(s);
      const std::int64_t lb = uniform(-5, 5);
      v.push_back("[" + std::to_string(lb) + ":" + std::to_string(lb + rows - 1) +
                  "][1:" + std::to_string(cols) + "]=" + s);
    }
    v.push_back("[0:1]=" + list(2));
    v.push_back("{{" + list(2) + "},{" + list(2) + "}}");
    return v;
  }

  /// Texts for untyped literals: edges and random ones.
  std::vector<std::string> strings_for_unknown() {
    std::vector<std::string> v = {"", "abc", "'", "NULL", "\\", "é✓😀"};
    for (int i = 0; i < kRandomPerType / 2; ++i)
      v.push_back(random_text(8));
    return v;
  }

  std::uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// Typed agreement: the same value decoded from the binary and the text result (the text one by
// the session's settings, which the Result carries) must be equal; NaNs and -0 by their bits.
template <class T>
bool same_value(const T& a, const T& b) {
  if constexpr (std::is_floating_point_v<T>) {
    return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
  } else if constexpr (requires { a.elements; }) {
    if (!(a.shape == b.shape) || a.elements.size() != b.elements.size()) return false;
    for (std::size_t i = 0; i < a.elements.size(); ++i) {
      if (a.elements[i].has_value() != b.elements[i].has_value()) return false;
      if (a.elements[i] && !same_value(*a.elements[i], *b.elements[i])) return false;
    }
    return true;
  } else {
    return a == b;
  }
}

/// Checks one type's values typed, as T: every row decodes from both formats to the same
/// value; for scalars, the binary-decoded values sent back as parameters ($1::type[]) must
/// render as the server's own text of the original (a typed round trip). Returns mismatches.
template <class T>
std::size_t typed_check(tern::ring::Loop& loop, pg::Connection& c, const std::string& type,
                        const pg::Result& binary, const pg::Result& text, std::size_t& compared) {
  std::size_t mismatches = 0;
  using V = std::optional<T>;
  std::vector<V> values;
  for (std::size_t i = 0; i < binary.size(); ++i) {
    V b, t;
    try {
      b = binary.row(i).get<V>(0);
      t = text.row(i).get<V>(0);
    } catch (const std::exception& e) {
      ++mismatches;
      ADD_FAILURE() << type << " typed: \"" << tern::protocol::as_chars(*text.row(i).raw(0))
                    << "\": " << e.what();
      values.emplace_back();
      continue;
    }
    ++compared;
    if (b.has_value() != t.has_value() || (b && !same_value(*b, *t))) {
      ++mismatches;
      ADD_FAILURE() << type << " typed: binary and text decode differ for \""
                    << tern::protocol::as_chars(*text.row(i).raw(0)) << "\"";
    }
    // A "char" byte above 0x7f is not UTF-8 text: it cannot go back as a text parameter.
    if constexpr (std::is_same_v<T, std::string>) {
      if (b && b->size() == 1 && static_cast<unsigned char>((*b)[0]) > 0x7f) b.reset();
    }
    values.push_back(b);
  }
  if constexpr (requires(T x) { x.elements; }) {
    return mismatches;  // arrays: no array of arrays to send them back in one statement
  } else {
    pg::Params p;
    p.add(values);
    // Rendered by the type's output function (the text result format), as the reference.
    const pg::Result back = sync_wait(
        loop,
        c.execute("SELECT x::" + type + " FROM unnest($1) WITH ORDINALITY AS u(x, i) ORDER BY i", p,
                  {.result_format = pg::Format::kText}));
    for (std::size_t i = 0; i < back.size() && i < text.size(); ++i) {
      const auto ours = back.row(i).raw(0);
      const auto server = text.row(i).raw(0);
      if (!server || !values[i]) continue;
      ++compared;
      if (!ours || tern::protocol::as_chars(*ours) != tern::protocol::as_chars(*server)) {
        ++mismatches;
        ADD_FAILURE() << type << " typed round trip: server \"" << tern::protocol::as_chars(*server)
                      << "\", sent back \"" << (ours ? tern::protocol::as_chars(*ours) : "NULL")
                      << "\"";
      }
    }
    return mismatches;
  }
}

/// The typed check of `type` (scalar, or its array as pg::Array<std::optional<T>>) with the
/// C++ type its codec maps it to.
std::size_t typed_check_of(tern::ring::Loop& loop, pg::Connection& c, const std::string& type,
                           const pg::Result& binary, const pg::Result& text, bool array,
                           std::size_t& compared) {
  const auto check = [&]<class T>(T*) {
    if (array) {
      return typed_check<pg::Array<std::optional<T>>>(loop, c, type, binary, text, compared);
    }
    return typed_check<T>(loop, c, type, binary, text, compared);
  };
  const std::string& t = type;
  if (t == "bool") return check(static_cast<bool*>(nullptr));
  if (t == "int2") return check(static_cast<std::int16_t*>(nullptr));
  if (t == "int4") return check(static_cast<std::int32_t*>(nullptr));
  if (t == "int8") return check(static_cast<std::int64_t*>(nullptr));
  if (t == "oid") return check(static_cast<pg::OidValue*>(nullptr));
  if (t == "float4") return check(static_cast<float*>(nullptr));
  if (t == "float8") return check(static_cast<double*>(nullptr));
  if (t == "numeric") return check(static_cast<pg::Numeric*>(nullptr));
  if (t == "bytea") return check(static_cast<pg::ByteString*>(nullptr));
  if (t == "uuid") return check(static_cast<pg::Uuid*>(nullptr));
  if (t == "json") return check(static_cast<pg::Json*>(nullptr));
  if (t == "jsonb") return check(static_cast<pg::Jsonb*>(nullptr));
  if (t == "date") return check(static_cast<pg::Date*>(nullptr));
  if (t == "time") return check(static_cast<pg::Time*>(nullptr));
  if (t == "timestamp") return check(static_cast<pg::WideTimestamp*>(nullptr));
  if (t == "timestamptz") return check(static_cast<pg::WideTimestamptz*>(nullptr));
  if (t == "interval") return check(static_cast<pg::Interval*>(nullptr));
  return check(static_cast<std::string*>(nullptr));  // text, varchar, name, bpchar, "char"
}

// The session settings each PostgreSQL pass runs under; the first is the connection's default.
constexpr const char* kPgSessions[][3] = {
    {"ISO, MDY", "iso_8601", "UTC"},
    {"Postgres, MDY", "postgres", "America/New_York"},
    {"SQL, DMY", "sql_standard", "Asia/Kolkata"},
    {"German, DMY", "postgres_verbose", "Australia/Lord_Howe"},
    {"Postgres, DMY", "postgres", "<+05:30>-05:30"},
};

TEST_F(Fidelity, PostgresRendersAsTheServer) {
  tern::ring::Loop loop;
  pg::Connection c = sync_wait(
      loop, pg::Connection::connect(
                loop, pg::ConnectOptions::parse(tern::testing::server_env("TERN_PG_URL"))));
  const std::vector<std::string> types = {
      "bool",  "int2",    "int4", "int8",      "oid",         "float4",  "float8", "numeric",
      "text",  "varchar", "name", "bpchar(8)", "\"char\"",    "bytea",   "uuid",   "json",
      "jsonb", "date",    "time", "timestamp", "timestamptz", "interval"};
  std::map<std::string, std::size_t> compared;
  std::size_t mismatches = 0;
  for (const auto& session : kPgSessions) {
    sync_wait(loop, c.simple_query("SET DateStyle = '" + std::string(session[0]) +
                                   "'; SET IntervalStyle = '" + session[1] + "'; SET TimeZone = '" +
                                   session[2] + "'"));
    for (const std::string& scalar : types) {
      const std::vector<std::string> scalars = pg_literals(scalar);
      for (const bool array : {false, true}) {
        const std::string type = array ? scalar + "[]" : scalar;
        pg::Params p;
        p.add(array ? pg_array_literals(scalars) : scalars);
        const std::string sql =
            "SELECT x::" + type + " FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i";
        // The text format is the type's output function: the reference.
        const pg::Result text =
            sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kText}));
        const pg::Result binary =
            sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kBinary}));
        mismatches +=
            typed_check_of(loop, c, scalar, binary, text, array, compared[type + " typed"]);
        for (const pg::Format format : {pg::Format::kBinary, pg::Format::kText}) {
          const pg::Result r = sync_wait(loop, c.execute(sql, p, {.result_format = format}));
          const auto& column = r.columns()[0];
          ASSERT_EQ(r.size(), text.size());
          for (std::size_t i = 0; i < r.size(); ++i) {
            const auto raw = r.row(i).raw(0);
            const auto reference = text.row(i).raw(0);
            ASSERT_EQ(raw.has_value(), reference.has_value());
            if (!raw) continue;
            const std::string server(tern::protocol::as_chars(*reference));
            const std::string ours =
                pg::to_text(column.type, column.format, *raw, c.text_settings());
            ++compared[type];
            if (ours != server) {
              ++mismatches;
              ADD_FAILURE() << type << " under " << session[0] << " / " << session[1] << " / "
                            << session[2] << (format == pg::Format::kBinary ? " binary" : " text")
                            << ": server \"" << server << "\", tern \"" << ours << "\"";
            }
          }
        }
      }
    }
  }
  std::printf("PostgreSQL values compared per type (%zu sessions, both formats):\n",
              std::size(kPgSessions));
  for (const auto& [type, n] : compared)
    std::printf("  %-16s %zu\n", type.c_str(), n);
  std::printf(
      "(\"typed\": decoded as the type's C++ value from both formats, which agree; "
      "scalars sent back as parameters render as the server's text)\n");
  std::printf("mismatches: %zu\n", mismatches);
}

// extra_float_digits is not reported by the server: to_text follows the value the connection
// started with, as a startup parameter or through options' -c (which tern's own default used
// to override). Sessions with 3 (tern's default), 1, 0, -3 and -15.
TEST_F(Fidelity, PostgresFloatsFollowExtraFloatDigits) {
  tern::ring::Loop loop;
  const std::string url = tern::testing::server_env("TERN_PG_URL");
  struct Session {
    int digits;
    bool via_options;
  };
  std::map<std::string, std::size_t> compared;
  std::size_t mismatches = 0;
  for (const Session session : {Session{3, false}, Session{1, false}, Session{0, false},
                                Session{-3, false}, Session{-15, false}, Session{-3, true}}) {
    pg::ConnectOptions o = pg::ConnectOptions::parse(url);
    if (session.via_options) {
      o.options = "-c extra_float_digits=" + std::to_string(session.digits);
    } else if (session.digits != 3) {
      o.parameters.emplace_back("extra_float_digits", std::to_string(session.digits));
    }
    pg::Connection c = sync_wait(loop, pg::Connection::connect(loop, std::move(o)));
    ASSERT_EQ(c.text_settings().extra_float_digits, session.digits);
    const pg::Result shown = sync_wait(loop, c.simple_query("SHOW extra_float_digits")).at(0);
    ASSERT_EQ(shown.row(0).get<std::string>(0), std::to_string(session.digits));
    for (const std::string scalar : {"float4", "float8"}) {
      const std::vector<std::string> scalars = pg_literals(scalar);
      for (const bool array : {false, true}) {
        const std::string type = array ? scalar + "[]" : scalar;
        pg::Params p;
        p.add(array ? pg_array_literals(scalars) : scalars);
        const std::string sql =
            "SELECT x::" + type + " FROM unnest($1::text[]) WITH ORDINALITY AS u(x, i) ORDER BY i";
        const pg::Result text =
            sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kText}));
        const pg::Result binary =
            sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kBinary}));
        ASSERT_EQ(binary.size(), text.size());
        for (std::size_t i = 0; i < binary.size(); ++i) {
          const auto raw = binary.row(i).raw(0);
          if (!raw) continue;
          const std::string server(tern::protocol::as_chars(*text.row(i).raw(0)));
          const std::string ours =
              pg::to_text(binary.columns()[0].type, pg::Format::kBinary, *raw, c.text_settings());
          ++compared[type + " efd " + std::to_string(session.digits)];
          if (ours != server) {
            ++mismatches;
            ADD_FAILURE() << type << " with extra_float_digits " << session.digits
                          << (session.via_options ? " (options)" : "") << ": server \"" << server
                          << "\", tern \"" << ours << "\"";
          }
        }
      }
    }
  }
  std::printf("PostgreSQL floats compared per extra_float_digits (binary):\n");
  for (const auto& [type, n] : compared)
    std::printf("  %-22s %zu\n", type.c_str(), n);
  std::printf("mismatches: %zu\n", mismatches);
}

// hstore (an extension type, fetched as text: tern cannot know its OID up front; its binary
// form through hstore_send) and untyped literals (`SELECT 'abc'`: unknown, which the server
// resolves to text in a result since PostgreSQL 10), both formats, typed and rendered.
TEST_F(Fidelity, PostgresHstoreAndUnknown) {
  tern::ring::Loop loop;
  pg::Connection c = sync_wait(
      loop, pg::Connection::connect(
                loop, pg::ConnectOptions::parse(tern::testing::server_env("TERN_PG_URL"))));
  sync_wait(loop, c.simple_query("CREATE EXTENSION IF NOT EXISTS hstore"));
  const pg::Oid hstore_oid =
      sync_wait(loop, c.execute("SELECT 'hstore'::regtype::oid")).row(0).get<pg::OidValue>(0).value;
  std::vector<std::string> literals = {
      "",           "a=>1",       "a=>NULL",     "\"a b\"=>\"c\\\"d\"",
      "a=>1, a=>2", "\"\"=>\"\"", "k=>\"NULL\"", "\"\\\\\"=>x"};
  for (int i = 0; i < kRandomPerType; ++i) {
    std::string h;
    for (std::int64_t n = uniform(0, 4); n > 0; --n) {
      h += (h.empty() ? "" : ", ") + quote_element(random_text(4)) + "=>" +
           (uniform(0, 4) == 0 ? std::string("NULL") : quote_element(random_text(4)));
    }
    literals.push_back(h);
  }
  std::map<std::string, std::size_t> compared;
  std::size_t mismatches = 0;
  const auto expect_same = [&](const std::string& what, const std::string& server,
                               const std::string& ours) {
    ++compared[what];
    if (ours != server) {
      ++mismatches;
      ADD_FAILURE() << what << ": server \"" << server << "\", tern \"" << ours << "\"";
    }
  };
  pg::Params p;
  p.add(literals);
  const std::string sql =
      "SELECT x::hstore, hstore_send(x::hstore) FROM unnest($1::text[]) WITH ORDINALITY AS u(x, "
      "i) ORDER BY i";
  const pg::Result text = sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kText}));
  const pg::Result binary =
      sync_wait(loop, c.execute(sql, p, {.result_format = pg::Format::kBinary}));
  ASSERT_EQ(binary.columns()[0].type, hstore_oid);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string server(tern::protocol::as_chars(*text.row(i).raw(0)));
    for (const pg::Result* r : {&text, &binary}) {
      const auto& column = r->columns()[0];
      expect_same("hstore rendered", server,
                  pg::to_text(column.type, column.format, *r->row(i).raw(0), c.text_settings()));
      expect_same("hstore typed (text)", server, pg::hstore::to_text(r->row(i).get<pg::Hstore>(0)));
    }
    const pg::ByteString sent = binary.row(i).get<pg::ByteString>(1);
    const pg::Hstore decoded = pg::hstore::decode_binary(tern::protocol::Bytes(sent));
    expect_same("hstore typed (binary)", server, pg::hstore::to_text(decoded));
    pg::Params back;
    back.add(decoded, hstore_oid);
    const pg::Result echoed =
        sync_wait(loop, c.execute("SELECT $1::hstore", back, {.result_format = pg::Format::kText}));
    expect_same("hstore round trip", server,
                std::string(tern::protocol::as_chars(*echoed.row(0).raw(0))));
  }
  // Untyped literals, spliced into the statement (a parameter would be typed): quoted here.
  for (const std::string& value : strings_for_unknown()) {
    std::string quoted = "'";
    for (char ch : value)
      quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
    quoted += "'";
    for (const std::string& expr : {quoted, quoted + "::unknown"}) {
      const pg::Result reference =
          sync_wait(loop, c.execute("SELECT " + expr, {}, {.result_format = pg::Format::kText}));
      const std::string server(tern::protocol::as_chars(*reference.row(0).raw(0)));
      for (const pg::Format format : {pg::Format::kBinary, pg::Format::kText}) {
        const pg::Result r =
            sync_wait(loop, c.execute("SELECT " + expr, {}, {.result_format = format}));
        const auto& column = r.columns()[0];
        expect_same("unknown literal rendered", server,
                    pg::to_text(column.type, column.format, *r.row(0).raw(0), c.text_settings()));
        expect_same("unknown literal typed", value, r.row(0).get<std::string>(0));
      }
    }
  }
  std::printf("hstore and unknown values compared:\n");
  for (const auto& [what, n] : compared)
    std::printf("  %-26s %zu\n", what.c_str(), n);
  std::printf("mismatches: %zu\n", mismatches);
}

/// Decodes every row of a MariaDB column as T from the text and the binary protocol; the two
/// must agree (a value T refuses must be refused by both, with TypeError). Returns mismatches.
template <class T>
std::size_t mysql_typed(const mysql::Result& text, const mysql::Result& binary,
                        const std::string& column, std::size_t& compared) {
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < binary.size(); ++i) {
    std::optional<std::optional<T>> t, b;
    std::string t_error, b_error;
    try {
      t = text.row(i).get<std::optional<T>>(0);
    } catch (const tern::TypeError& e) {
      t_error = e.what();
    }
    try {
      b = binary.row(i).get<std::optional<T>>(0);
    } catch (const tern::TypeError& e) {
      b_error = e.what();
    }
    ++compared;
    const bool agree =
        t.has_value() == b.has_value() &&
        (!t || (t->has_value() == b->has_value() && (!t->has_value() || same_value(**t, **b))));
    if (!agree) {
      ++mismatches;
      ADD_FAILURE() << column << " typed as " << typeid(T).name() << ": text protocol \""
                    << tern::protocol::as_chars(
                           text.row(i).raw(0).value_or(tern::protocol::Bytes()))
                    << "\" " << (t_error.empty() ? "decodes" : t_error) << ", binary "
                    << (b_error.empty() ? "decodes" : b_error) << (t && b ? " differently" : "");
    }
  }
  return mismatches;
}

using MysqlTypedCheck = std::size_t (*)(const mysql::Result&, const mysql::Result&,
                                        const std::string&, std::size_t&);

// MariaDB column types and the literals stored in them (bound as strings, or as integers for
// BIT), random and edge.
struct MysqlCase {
  std::string column;  // the column's SQL type
  std::vector<std::string> values;
  bool numeric = false;  // also compared through SUM() and a DOUBLE expression
  bool bind_int = false;
  MysqlTypedCheck typed = nullptr;  // the C++ type its codec reads the column as
  std::string setup = {};           // session settings for this column (reset after)
  std::string insert = "?";         // the inserted expression of the bound value
};

TEST_F(Fidelity, MariadbRendersAsTheServer) {
  tern::ring::Loop loop;
  mysql::ConnectOptions o =
      mysql::ConnectOptions::parse(tern::testing::server_env("TERN_MYSQL_URL"));
  mysql::Connection c = sync_wait(loop, mysql::Connection::connect(loop, std::move(o)));
  const auto ints = [&](std::int64_t lo, std::int64_t hi) {
    std::vector<std::string> v = {std::to_string(lo), std::to_string(hi), "0"};
    for (int i = 0; i < kRandomPerType; ++i)
      v.push_back(std::to_string(uniform(lo, hi)));
    return v;
  };
  const auto reals = [&](double scale, bool single) {
    std::vector<std::string> v = {"0",       "-0",    "1e15",   "1e14",    "1e-15",
                                  "1.5e-15", "1e-16", "0.0001", "0.00001", "123456",
                                  "1234567", "0.1",   "-2.5"};
    if (!single) {
      v.insert(v.end(), {"1.7976931348623157e308", "2.2250738585072014e-308", "5e-324",
                         "4567890123456789", "1234567890123456.8", "9.22337205e+18"});
    } else {
      v.insert(v.end(), {"3.4028234e38", "1.1754944e-38", "16777217", "1.2739586e+08"});
    }
    for (int i = 0; i < kRandomPerType; ++i) {
      const double d = std::ldexp(static_cast<double>(uniform(-(1LL << 53), 1LL << 53)),
                                  static_cast<int>(uniform(-100, 60)));
      v.push_back(single ? shortest(static_cast<float>(d * scale)) : shortest(d * scale));
    }
    return v;
  };
  const auto decimals = [&](int precision, int scale) {
    std::vector<std::string> v = {
        "0", "-0", std::string(precision - scale, '9') + "." + std::string(scale, '9')};
    for (int i = 0; i < kRandomPerType; ++i) {
      std::string d = uniform(0, 1) ? "-" : "";
      std::int64_t limit = 1;
      for (int k = 0; k < std::min(precision - scale, 15); ++k)
        limit *= 10;
      d += std::to_string(uniform(0, limit - 1));
      d += "." + padded(uniform(0, 999), std::min(scale, 3)).substr(0, std::min(scale, 3));
      v.push_back(d);
    }
    return v;
  };
  const auto unsigned_only = [](std::vector<std::string> v) {
    for (std::string& x : v)
      if (!x.empty() && x[0] == '-') x.erase(0, 1);
    return v;
  };
  const auto dates = [&](bool with_time, int fraction) {
    std::vector<std::string> v = {"1000-01-01", "9999-12-31", "2000-02-29", "1970-01-01"};
    for (int i = 0; i < kRandomPerType; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(uniform(1000, 9999)),
                    static_cast<int>(uniform(1, 12)), static_cast<int>(uniform(1, 28)));
      v.push_back(buf);
    }
    if (with_time) {
      for (std::string& d : v)
        d += " " + clock(uniform(0, 86'400'000'000 - 1)).substr(0, fraction ? 9 + fraction : 8);
    }
    return v;
  };
  const auto times = [&](int fraction) {
    std::vector<std::string> v = {"-838:59:59", "838:59:59", "00:00:00", "-00:00:01"};
    for (int i = 0; i < kRandomPerType; ++i) {
      const std::int64_t us = uniform(-838LL * 3'600'000'000, 838LL * 3'600'000'000);
      const std::string t = clock(std::abs(us));
      v.push_back((us < 0 ? "-" : "") +
                  t.substr(0, fraction ? t.size() - 6 + fraction : t.size() - 7));
    }
    return v;
  };
  const auto strings = [&](std::size_t max) {
    std::vector<std::string> v = {"", " ", "NULL", "\\", "'"};
    for (int i = 0; i < kRandomPerType; ++i)
      v.push_back(random_text(max));
    return v;
  };
  using mysql::Bit;
  using mysql::RawDateTime;
  using mysql::Year;
  const auto timestamps = [&] {
    std::vector<std::string> v = {"1970-01-01 05:30:01", "2038-01-18 08:44:07",
                                  "2001-12-26 20:05:06"};
    for (int i = 0; i < kRandomPerType / 4; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d",
                    static_cast<int>(uniform(1971, 2037)), static_cast<int>(uniform(1, 12)),
                    static_cast<int>(uniform(1, 28)), static_cast<int>(uniform(0, 23)),
                    static_cast<int>(uniform(0, 59)), static_cast<int>(uniform(0, 59)));
      v.push_back(buf);
    }
    return v;
  };
  // Zero dates and dates with a zero month or day need a sql_mode without NO_ZERO_DATE,
  // NO_ZERO_IN_DATE and strictness.
  const std::string zero_dates = "SET SESSION sql_mode = ''";
  // A geometry's text and binary protocol forms are the same bytes: a 4-byte SRID and WKB.
  const std::vector<std::string> geometries = {
      "POINT(1 2)", "POINT(-0.5 1e300)", "LINESTRING(0 0, 1 1, 2 5)",
      "POLYGON((0 0, 4 0, 4 4, 0 0))", "GEOMETRYCOLLECTION(POINT(1 1))"};
  std::vector<MysqlCase> cases = {
      {"TINYINT", ints(-128, 127), true, false, &mysql_typed<std::int8_t>},
      {"TINYINT UNSIGNED", ints(0, 255), true, false, &mysql_typed<std::uint8_t>},
      {"BOOLEAN", {"0", "1", "127", "-128", "2"}, true, false, &mysql_typed<std::int8_t>},
      {"TINYINT(1)", {"0", "1", "-1"}, true, false, &mysql_typed<bool>},
      {"SMALLINT", ints(-32768, 32767), true, false, &mysql_typed<std::int16_t>},
      {"SMALLINT UNSIGNED ZEROFILL", ints(0, 65535), true, false, &mysql_typed<std::uint16_t>},
      {"MEDIUMINT", ints(-8388608, 8388607), true, false, &mysql_typed<std::int32_t>},
      {"MEDIUMINT UNSIGNED", ints(0, 16777215), true, false, &mysql_typed<std::uint32_t>},
      {"MEDIUMINT UNSIGNED ZEROFILL", ints(0, 16777215), true, false, &mysql_typed<std::uint32_t>},
      {"INT", ints(INT32_MIN, INT32_MAX), true, false, &mysql_typed<std::int32_t>},
      {"INT(6) ZEROFILL", ints(0, 999999), true, false, &mysql_typed<std::uint32_t>},
      {"INT UNSIGNED", ints(0, UINT32_MAX), true, false, &mysql_typed<std::uint32_t>},
      {"BIGINT", ints(INT64_MIN, INT64_MAX), true, false, &mysql_typed<std::int64_t>},
      {"BIGINT UNSIGNED",
       {"18446744073709551615", "0", "9223372036854775808"},
       true,
       false,
       &mysql_typed<std::uint64_t>},
      // No typed agreement for FLOAT: the text protocol prints 6 significant digits.
      {"FLOAT", reals(1, true), true},
      {"DOUBLE", reals(1, false), true, false, &mysql_typed<double>},
      {"FLOAT(7,3)", decimals(7, 3), true, false, &mysql_typed<float>},
      {"DOUBLE(8,2)", decimals(8, 2), true, false, &mysql_typed<double>},
      {"DOUBLE(22,5) ZEROFILL", unsigned_only(decimals(22, 5)), true, false, &mysql_typed<double>},
      {"DECIMAL(10,3)", decimals(10, 3), true, false, &mysql_typed<tern::Decimal>},
      {"DECIMAL(10,3) ZEROFILL", unsigned_only(decimals(10, 3)), true, false,
       &mysql_typed<tern::Decimal>},
      {"DECIMAL(65,30)", decimals(65, 30), true, false, &mysql_typed<tern::Decimal>},
      {"YEAR", {"0", "1901", "2155", "1999", "2024"}, false, false, &mysql_typed<Year>},
      {"YEAR(2)", {"1999", "2000", "2069", "1970"}, false, false, &mysql_typed<Year>},
      {"DATE", dates(false, 0), false, false, &mysql_typed<mysql::Date>},
      {"DATETIME", dates(true, 0), false, false, &mysql_typed<mysql::DateTime>},
      {"DATETIME(6)", dates(true, 6), false, false, &mysql_typed<mysql::DateTime>},
      {"TIMESTAMP(3)",
       {"1970-01-02 00:00:00.000", "2038-01-19 03:14:07.499", "2001-12-26 20:05:06.5"},
       false,
       false,
       &mysql_typed<mysql::DateTime>},
      {"TIMESTAMP", timestamps(), false, false, &mysql_typed<mysql::DateTime>,
       "SET SESSION time_zone = '+05:30'"},
      {"TIMESTAMP(6)", timestamps(), false, false, &mysql_typed<mysql::DateTime>,
       "SET SESSION time_zone = '-09:45'"},
      // Zero dates: Date/DateTime refuse them (TypeError in both protocols, checked below);
      // RawDateTime keeps them.
      {"DATE",
       {"0000-00-00", "2024-00-00", "2024-05-00", "0000-01-01", "2024-02-29"},
       false,
       false,
       &mysql_typed<RawDateTime>,
       zero_dates},
      {"DATETIME",
       {"0000-00-00 00:00:00", "2024-00-00 12:00:00", "2024-05-00 00:00:01", "0000-00-00 23:59:59"},
       false,
       false,
       &mysql_typed<RawDateTime>,
       zero_dates},
      {"DATETIME(6)",
       {"0000-00-00 00:00:00.000000", "2024-00-15 01:02:03.000004"},
       false,
       false,
       &mysql_typed<RawDateTime>,
       zero_dates},
      {"TIMESTAMP",
       {"0000-00-00 00:00:00", "2001-12-26 20:05:06"},
       false,
       false,
       &mysql_typed<RawDateTime>,
       zero_dates},
      {"TIME", times(0), false, false, &mysql_typed<mysql::Time>},
      {"TIME(3)", times(3), false, false, &mysql_typed<mysql::Time>},
      // pieces of up to 4 characters ("NULL"): at most 8
      {"CHAR(10)", strings(2), false, false, &mysql_typed<std::string>},
      {"VARCHAR(50)", strings(12), false, false, &mysql_typed<std::string>},
      {"TEXT", strings(20), false, false, &mysql_typed<std::string>},
      {"VARBINARY(20)", strings(5), false, false, &mysql_typed<tern::ByteString>},
      {"BLOB", strings(5), false, false, &mysql_typed<tern::ByteString>},
      {"BIT(10)", {"0", "1", "1023", "512"}, false, true, &mysql_typed<Bit>},
      {"JSON", {"{}", "[1, 2.50, \"x\"]", "{\"a\": null}"}, false, false, &mysql_typed<tern::Json>},
      {"ENUM('a','b c')", {"a", "b c"}, false, false, &mysql_typed<std::string>},
      {"SET('x','y')", {"", "x", "x,y"}, false, false, &mysql_typed<std::string>},
      {"GEOMETRY", geometries, false, false, &mysql_typed<tern::ByteString>, "",
       "ST_GeomFromText(?)"},
      {"POINT",
       {"POINT(0 0)", "POINT(1.5 -2.25)", "POINT(1e-300 3)"},
       false,
       false,
       &mysql_typed<tern::ByteString>,
       "",
       "ST_GeomFromText(?)"},
  };
  std::map<std::string, std::size_t> compared;
  std::size_t mismatches = 0;
  for (const MysqlCase& t : cases) {
    if (!t.setup.empty()) sync_wait(loop, c.query(t.setup));
    sync_wait(loop,
              c.query("CREATE OR REPLACE TABLE fidelity (i INT PRIMARY KEY, v " + t.column + ")"));
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      mysql::Params p;
      p.add(static_cast<std::int64_t>(i));
      if (t.bind_int) {
        p.add(static_cast<std::int64_t>(std::stoll(t.values[i])));
      } else {
        p.add(std::string_view(t.values[i]));
      }
      try {
        sync_wait(loop, c.execute("INSERT INTO fidelity (i, v) VALUES (?, " + t.insert + ")", p));
      } catch (const std::exception& e) {
        FAIL() << t.column << " value \"" << t.values[i] << "\": " << e.what();
      }
    }
    std::vector<std::string> selects = {"SELECT v FROM fidelity ORDER BY i"};
    if (t.numeric) {
      selects.push_back("SELECT SUM(v) OVER (ORDER BY i) FROM fidelity ORDER BY i");
      selects.push_back("SELECT v * 1e0 FROM fidelity ORDER BY i");
    }
    for (const std::string& sql : selects) {
      const std::vector<mysql::Result> text = sync_wait(loop, c.query(sql));
      const mysql::Result binary = sync_wait(loop, c.execute(sql));
      ASSERT_EQ(text.at(0).size(), binary.size());
      const std::string label = t.column + (t.setup.empty() ? "" : " [" + t.setup.substr(12) + "]");
      if (sql == selects[0] && t.typed != nullptr) {
        mismatches += t.typed(text[0], binary, label, compared[label + " typed"]);
      }
      if (t.typed == &mysql_typed<RawDateTime>) {  // Date/DateTime refuse zero dates: both ways
        for (std::size_t i = 0; i < binary.size(); ++i) {
          const RawDateTime raw = binary.row(i).get<RawDateTime>(0);
          if (raw.month != 0 && raw.day != 0) continue;
          for (const mysql::Result* r : {&text[0], &binary}) {
            ++compared[label + " zero date refused"];
            if (t.column.starts_with("DATE") && !t.column.starts_with("DATETIME")) {
              EXPECT_THROW(r->row(i).get<mysql::Date>(0), tern::TypeError);
            } else {
              EXPECT_THROW(r->row(i).get<mysql::DateTime>(0), tern::TypeError);
            }
          }
        }
      }
      const mysql::Column& column = binary.columns()[0];
      for (std::size_t i = 0; i < binary.size(); ++i) {
        const auto raw = binary.row(i).raw(0);
        const auto reference = text[0].row(i).raw(0);
        ASSERT_EQ(raw.has_value(), reference.has_value());
        if (!raw) continue;
        const std::string server(tern::protocol::as_chars(*reference));
        const std::string ours =
            mysql::to_text(column.type, binary.format(), *raw, column.column_length);
        ++compared[label];
        if (ours != server) {
          ++mismatches;
          ADD_FAILURE() << label << ": " << sql << ": server \"" << server << "\", tern \"" << ours
                        << "\"";
        }
      }
    }
    if (!t.setup.empty()) {
      sync_wait(loop, c.query("SET SESSION sql_mode = DEFAULT, time_zone = DEFAULT"));
    }
  }
  sync_wait(loop, c.query("DROP TABLE fidelity"));
  std::printf("MariaDB values compared per column type (binary protocol vs text):\n");
  for (const auto& [type, n] : compared)
    std::printf("  %-26s %zu\n", type.c_str(), n);
  std::printf("mismatches: %zu\n", mismatches);
}

}  // namespace
