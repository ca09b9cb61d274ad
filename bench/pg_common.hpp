// PostgreSQL helpers of the benchmarks: libpq connections for the anchor and the data set-up,
// and tern connections with the same settings (TLS off on both sides).
#pragma once

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

/// A libpq connection; throws when it fails.
inline PGconn* libpq_connect() {
  PGconn* c = PQconnectdb(pg_url().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    const std::string why = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error(why);
  }
  return c;
}

/// Runs `sql` (one or more statements, no parameters) and throws on an error.
inline void libpq_exec(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  const ExecStatusType s = PQresultStatus(r);
  PQclear(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) throw std::runtime_error(PQerrorMessage(c));
}

/// The first column of the first row of `sql`, as text.
inline std::string libpq_scalar(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
    PQclear(r);
    throw std::runtime_error(PQerrorMessage(c));
  }
  std::string v = PQgetvalue(r, 0, 0);
  PQclear(r);
  return v;
}

/// A tern connection to the same server with the same settings.
inline pg::Connection tern_pg_connect(ring::Loop& loop) {
  return ring::sync_wait(loop, pg::Connection::connect(loop, pg::ConnectOptions::parse(pg_url())));
}

/// Big-endian encoders and decoders for libpq's binary parameters and results.
inline std::uint64_t be64(std::uint64_t v) {
  return (static_cast<std::uint64_t>(htonl(static_cast<std::uint32_t>(v))) << 32) |
         htonl(static_cast<std::uint32_t>(v >> 32));
}
inline std::int64_t read_be64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return static_cast<std::int64_t>(be64(v));
}
inline double read_be_double(const char* p) {
  const std::uint64_t bits = static_cast<std::uint64_t>(read_be64(p));
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}
inline std::int32_t read_be32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<std::int32_t>(ntohl(v));
}

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
inline constexpr std::int64_t kPgEpochUs = 946'684'800'000'000;

/// The point select of workloads 1 and 2.
inline constexpr char kPointSelect[] = "SELECT abalance FROM bench_accounts WHERE aid = $1";

/// The 100k-row table of workloads 1 and 2 (pgbench's accounts shape), made once.
inline void pg_create_accounts() {
  PGconn* c = libpq_connect();
  libpq_exec(c,
             "CREATE TABLE IF NOT EXISTS bench_accounts (aid int PRIMARY KEY, bid int, "
             "abalance int, filler char(84));"
             "INSERT INTO bench_accounts SELECT g, g % 10, g * 2, '' FROM "
             "generate_series(1, 100000) g ON CONFLICT DO NOTHING");
  libpq_exec(c, "VACUUM ANALYZE bench_accounts");
  PQfinish(c);
}

}  // namespace tern::bench
