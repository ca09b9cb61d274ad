// The concrete databases and how they connect: PooledPostgresqlDatabase,
// PooledPostgresqlExtDatabase, PooledMySQLDatabase and SqliteDatabase from a keyword struct (with
// the PG* / MYSQL_* environment) or from connect options, one shared TLS context per pool, and
// connect() from a database URL (the pool keys taken out of its query string).
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/tls.hpp"

namespace tern {

// ---- construction ----

namespace {

ring::TlsVerify pg_verify(pg::SslMode mode) {
  return mode == pg::SslMode::kVerifyFull ? ring::TlsVerify::kFull
         : mode == pg::SslMode::kVerifyCa ? ring::TlsVerify::kCa
                                          : ring::TlsVerify::kNone;
}

ring::TlsVerify mysql_verify(mysql::SslMode mode) {
  return mode == mysql::SslMode::kVerifyIdentity ? ring::TlsVerify::kFull
         : mode == mysql::SslMode::kVerifyCa     ? ring::TlsVerify::kCa
                                                 : ring::TlsVerify::kNone;
}

// One TLS context for every connection of the pool (loading CAs once).
pg::ConnectOptions with_shared_tls(pg::ConnectOptions c) {
  if (!c.tls_context && c.ssl_mode >= pg::SslMode::kPrefer) {
    c.tls_context =
        std::make_shared<const ring::TlsContext>(ring::TlsConfig{.verify = pg_verify(c.ssl_mode),
                                                                 .ca_file = c.ssl_root_cert,
                                                                 .cert_file = c.ssl_cert,
                                                                 .key_file = c.ssl_key});
  }
  return c;
}

mysql::ConnectOptions with_shared_tls(mysql::ConnectOptions c) {
  if (!c.tls_context && c.ssl_mode != mysql::SslMode::kDisabled) {
    c.tls_context =
        std::make_shared<const ring::TlsContext>(ring::TlsConfig{.verify = mysql_verify(c.ssl_mode),
                                                                 .ca_file = c.ssl_ca,
                                                                 .cert_file = c.ssl_cert,
                                                                 .key_file = c.ssl_key});
  }
  return c;
}

pg::ConnectOptions pg_options(const std::string& database, const DatabaseOptions& o) {
  pg::ConnectOptions c = pg::ConnectOptions::parse("");  // the PG* environment, the OS user
  if (!database.empty()) c.database = database;
  if (!o.host.empty()) c.host = o.host;
  if (o.port != 0) c.port = o.port;
  if (!o.user.empty()) c.user = o.user;
  if (!o.password.empty()) c.password = o.password;
  if (!o.ssl_mode.empty()) c.ssl_mode = pg::parse_ssl_mode(o.ssl_mode);
  if (!o.ssl_ca.empty()) c.ssl_root_cert = o.ssl_ca;
  c.connect_timeout = o.connect_timeout;
  return c;
}

mysql::ConnectOptions mysql_options(const std::string& database, const DatabaseOptions& o) {
  mysql::ConnectOptions c = mysql::ConnectOptions::parse("mysql://");  // MYSQL_* and USER
  c.database = database;
  if (!o.host.empty()) c.host = o.host;
  if (o.port != 0) c.port = o.port;
  if (!o.user.empty()) c.user = o.user;
  if (!o.password.empty()) c.password = o.password;
  if (!o.ssl_mode.empty()) c.ssl_mode = mysql::parse_ssl_mode(o.ssl_mode);
  if (!o.ssl_ca.empty()) c.ssl_ca = o.ssl_ca;
  c.connect_timeout = o.connect_timeout;
  return c;
}

ConnectionFactory pg_factory(pg::ConnectOptions c, bool register_hstore = false) {
  return [c = with_shared_tls(std::move(c)), register_hstore](ring::Loop& loop) {
    return connect_postgres(loop, c, register_hstore);
  };
}

ConnectionFactory mysql_factory(mysql::ConnectOptions c) {
  return [c = with_shared_tls(std::move(c))](ring::Loop& loop) { return connect_mysql(loop, c); };
}

// ":memory:" gets a name of its own, so that the pool's connections (and the sync mode's) share
// one in-memory database, and two SqliteDatabase objects never share one.
ConnectionFactory sqlite_factory(sqlite::OpenOptions o) {
  if (o.path == ":memory:" && o.memory_name.empty()) {
    static std::atomic<std::uint64_t> next{0};
    o.memory_name = absl::StrCat("tern-memory-", ::getpid(), "-", next.fetch_add(1));
  }
  return [o = std::move(o)](ring::Loop& loop) { return connect_sqlite(loop, o); };
}

}  // namespace

PooledPostgresqlDatabase::PooledPostgresqlDatabase(std::string database, DatabaseOptions options)
    : PooledPostgresqlDatabase(pg_options(database, options), options) {}

PooledPostgresqlDatabase::PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool)
    : AioDatabase(Dialect::kPostgres, connect.database, pg_factory(connect), pool) {}

PooledPostgresqlDatabase::PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool,
                                                   bool register_hstore)
    : AioDatabase(Dialect::kPostgres, connect.database, pg_factory(connect, register_hstore),
                  pool) {}

PooledPostgresqlExtDatabase::PooledPostgresqlExtDatabase(std::string database,
                                                         DatabaseOptions options,
                                                         bool register_hstore)
    : PooledPostgresqlExtDatabase(pg_options(database, options), options, register_hstore) {}

PooledPostgresqlExtDatabase::PooledPostgresqlExtDatabase(pg::ConnectOptions connect,
                                                         DatabaseOptions pool, bool register_hstore)
    : PooledPostgresqlDatabase(std::move(connect), std::move(pool), register_hstore),
      register_hstore_(register_hstore) {}

PooledMySQLDatabase::PooledMySQLDatabase(std::string database, DatabaseOptions options)
    : PooledMySQLDatabase(mysql_options(database, options), options) {}

PooledMySQLDatabase::PooledMySQLDatabase(mysql::ConnectOptions connect, DatabaseOptions pool)
    : AioDatabase(Dialect::kMysql, connect.database, mysql_factory(connect), pool) {}

SqliteDatabase::SqliteDatabase(std::string path, DatabaseOptions options)
    : SqliteDatabase(sqlite::OpenOptions{.path = std::move(path)}, options) {}

SqliteDatabase::SqliteDatabase(sqlite::OpenOptions open, DatabaseOptions pool)
    : AioDatabase(Dialect::kSqlite, open.path, sqlite_factory(open), pool) {}

// ---- URLs ----

namespace {

std::chrono::milliseconds seconds_value(std::string_view text, std::string_view key) {
  double seconds = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || ptr != text.data() + text.size() || seconds < 0) {
    throw InterfaceError("invalid database URL: bad " + std::string(key));
  }
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::size_t count_value(std::string_view text, std::string_view key) {
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    throw InterfaceError("invalid database URL: bad " + std::string(key));
  }
  return n;
}

// Calls `f(pair, key, value)` for each `key=value` pair of a URL's query string (without
// its '?'), in order; a pair without '=' has an empty value.
template <class F>
void for_each_pair(std::string_view query, F f) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    const std::size_t eq = pair.find('=');
    f(pair, pair.substr(0, eq), eq == std::string_view::npos ? "" : pair.substr(eq + 1));
  }
}

// Takes the pool keys out of the URL's query string into `options`; returns the rest.
std::string take_pool_keys(std::string_view url, DatabaseOptions& options) {
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string rest(url.substr(0, q));
  char sep = '?';
  for_each_pair(url.substr(q + 1),
                [&](std::string_view pair, std::string_view key, std::string_view value) {
                  if (key == "min_connections") {
                    options.min_connections = count_value(value, key);
                  } else if (key == "max_connections") {
                    options.max_connections = count_value(value, key);
                  } else if (key == "pool_timeout" || key == "timeout") {
                    options.pool_params.timeout = seconds_value(value, key);
                  } else if (key == "pipeline_depth") {
                    options.pool_params.pipeline_depth = count_value(value, key);
                  } else if (key == "pool_recycle") {
                    options.pool_params.pool_recycle = seconds_value(value, key);
                  } else if (!pair.empty()) {
                    rest += sep;
                    rest += pair;
                    sep = '&';
                  }
                });
  return rest;
}

bool bool_value(std::string_view text, std::string_view key) {
  if (text == "1" || text == "true" || text == "on" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "off" || text == "no") return false;
  throw InterfaceError("invalid database URL: bad " + std::string(key));
}

// peewee's form: "sqlite:///app.db" is the relative path app.db, "sqlite:////abs/app.db" the
// absolute one. `rest` starts at "://".
std::unique_ptr<AioDatabase> sqlite_database(std::string_view rest, const DatabaseOptions& pool) {
  rest.remove_prefix(3);
  if (!rest.starts_with('/')) {
    throw InterfaceError("invalid database URL: sqlite:///<path> (three slashes, then the path)");
  }
  rest.remove_prefix(1);
  const std::size_t q = rest.find('?');
  sqlite::OpenOptions o{.path = std::string(rest.substr(0, q))};
  if (o.path.empty()) throw InterfaceError("invalid database URL: no SQLite database path");
  const std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);
  for_each_pair(query, [&](std::string_view pair, std::string_view key, std::string_view value) {
    if (key == "busy_timeout") {
      o.busy_timeout = seconds_value(value, key);
    } else if (key == "foreign_keys") {
      o.foreign_keys = bool_value(value, key);
    } else if (key == "wal") {
      o.wal = bool_value(value, key);
    } else if (key == "read_only") {
      o.read_only = bool_value(value, key);
    } else if (!pair.empty()) {
      throw InterfaceError("invalid database URL: unknown SQLite key \"" + std::string(key) + "\"");
    }
  });
  return std::make_unique<SqliteDatabase>(std::move(o), pool);
}

}  // namespace

std::unique_ptr<AioDatabase> connect(std::string_view url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) throw InterfaceError("invalid database URL: no scheme");
  std::string scheme(url.substr(0, colon));
  if (scheme.ends_with("+pool+async")) scheme.resize(scheme.size() - 11);
  DatabaseOptions options;
  const std::string rest = take_pool_keys(url.substr(colon), options);
  if (scheme == "postgresql" || scheme == "postgres") {
    pg::ConnectOptions c = pg::ConnectOptions::parse("postgresql" + rest);
    // peewee-async 2.x's PostgresqlDatabase is the Ext one (JSON always on).
    return std::make_unique<PostgresqlDatabase>(std::move(c), options);
  }
  if (scheme == "mysql" || scheme == "mariadb") {
    mysql::ConnectOptions c = mysql::ConnectOptions::parse("mysql" + rest);
    return std::make_unique<PooledMySQLDatabase>(std::move(c), options);
  }
  if (scheme == "sqlite") return sqlite_database(rest, options);
  throw InterfaceError("invalid database URL: unknown scheme \"" + scheme + "\"");
}

}  // namespace tern
