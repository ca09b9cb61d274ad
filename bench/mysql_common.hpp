// MySQL/MariaDB helpers of the benchmarks: libmariadb connections for the anchor and the data
// set-up, and tern connections with the same settings (TLS off on both sides).
#pragma once

#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

inline mysql::ConnectOptions mysql_options() {
  return mysql::ConnectOptions::parse(mysql_url());
}

/// A libmariadb connection (plain TCP, as tern's); `nonblocking` enables the _start/_cont API,
/// `compress` the compressed protocol.
inline MYSQL* anchor_connect(bool nonblocking = false, bool compress = false) {
  const mysql::ConnectOptions o = mysql_options();
  MYSQL* c = mysql_init(nullptr);
  const unsigned ssl_off = 0;
  mysql_optionsv(c, MYSQL_OPT_SSL_ENFORCE, &ssl_off);
  if (nonblocking) mysql_options(c, MYSQL_OPT_NONBLOCK, nullptr);
  if (compress) mysql_options(c, MYSQL_OPT_COMPRESS, nullptr);
  if (mysql_real_connect(c, o.host.c_str(), o.user.c_str(), o.password.c_str(), o.database.c_str(),
                         o.port, nullptr, 0) == nullptr) {
    const std::string why = mysql_error(c);
    mysql_close(c);
    throw std::runtime_error(why);
  }
  if (mysql_get_ssl_cipher(c) != nullptr) throw std::runtime_error("libmariadb negotiated TLS");
  return c;
}

/// Runs a statement without parameters and throws on an error.
inline void anchor_query(MYSQL* c, const char* sql) {
  if (mysql_query(c, sql) != 0) throw std::runtime_error(mysql_error(c));
  if (MYSQL_RES* r = mysql_store_result(c)) mysql_free_result(r);
}

/// The first column of the first row of `sql`, as text.
inline std::string anchor_scalar(MYSQL* c, const char* sql) {
  if (mysql_query(c, sql) != 0) throw std::runtime_error(mysql_error(c));
  MYSQL_RES* r = mysql_store_result(c);
  MYSQL_ROW row = r != nullptr ? mysql_fetch_row(r) : nullptr;
  std::string v = row != nullptr && row[0] != nullptr ? row[0] : "";
  if (r != nullptr) mysql_free_result(r);
  return v;
}

/// A prepared statement; throws when it does not prepare.
inline MYSQL_STMT* anchor_prepare(MYSQL* c, const std::string& sql) {
  MYSQL_STMT* s = mysql_stmt_init(c);
  if (mysql_stmt_prepare(s, sql.data(), sql.size()) != 0) {
    throw std::runtime_error(mysql_stmt_error(s));
  }
  return s;
}

/// A tern connection to the same server with the same settings (`compress`: compress=true).
inline mysql::Connection tern_mysql_connect_with(ring::Loop& loop, bool compress) {
  mysql::ConnectOptions o = mysql_options();
  o.compress = compress;
  auto c = ring::sync_wait(loop, mysql::Connection::connect(loop, std::move(o)));
  if (c.is_tls()) throw std::runtime_error("tern negotiated TLS");
  if (c.is_compressed() != compress) throw std::runtime_error("compression not as asked");
  return c;
}
/// tern_mysql_connect_with(loop, false): the form the workloads take as a template argument.
inline mysql::Connection tern_mysql_connect(ring::Loop& loop) {
  return tern_mysql_connect_with(loop, false);
}

/// Microseconds since the Unix epoch of a DATETIME in libmariadb's bound result buffer.
inline std::int64_t micros_of(const MYSQL_TIME& t) {
  return (days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
          t.second) *
             1'000'000 +
         t.second_part;
}

/// A timestamp (microseconds since the Unix epoch) as a DATETIME parameter for libmariadb.
inline MYSQL_TIME mysql_time_of(std::chrono::sys_time<std::chrono::microseconds> ts) {
  const auto days = std::chrono::floor<std::chrono::days>(ts);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss<std::chrono::microseconds> hms(ts - days);
  MYSQL_TIME t{};
  t.year = static_cast<unsigned>(static_cast<int>(ymd.year()));
  t.month = static_cast<unsigned>(ymd.month());
  t.day = static_cast<unsigned>(ymd.day());
  t.hour = static_cast<unsigned>(hms.hours().count());
  t.minute = static_cast<unsigned>(hms.minutes().count());
  t.second = static_cast<unsigned>(hms.seconds().count());
  t.second_part = static_cast<unsigned long>(hms.subseconds().count());
  t.time_type = MYSQL_TIMESTAMP_DATETIME;
  return t;
}

/// The point select of workloads 1 and 2.
inline constexpr char kPointSelect[] = "SELECT abalance FROM bench_accounts WHERE aid = ?";

/// The 100k-row table of workloads 1 and 2 (pgbench's accounts shape), made once.
inline void mysql_create_accounts() {
  MYSQL* c = anchor_connect();
  anchor_query(c,
               "CREATE TABLE IF NOT EXISTS bench_accounts (aid INT PRIMARY KEY, bid INT, "
               "abalance INT, filler CHAR(84))");
  anchor_query(c,
               "INSERT IGNORE INTO bench_accounts SELECT seq, seq % 10, seq * 2, '' FROM "
               "seq_1_to_100000");
  mysql_close(c);
}

}  // namespace tern::bench
