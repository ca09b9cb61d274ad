// Connection settings for PostgreSQL, from a libpq-style URL or keyword string and the PG*
// environment variables. https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::pg {

/// libpq's sslmode values.
enum class SslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };

/// Parses "disable", "prefer", "verify-full"...; throws InterfaceError naming the bad value.
SslMode parse_ssl_mode(std::string_view text);

/// Everything needed to open a connection.
struct ConnectOptions {
  /// A host name, an IP address, or a directory holding the server's Unix socket (starts
  /// with '/'). Empty means the Unix socket in /var/run/postgresql.
  std::string host;
  std::uint16_t port = 5432;
  std::string user;
  std::string password;
  /// Empty means the same as user.
  std::string database;
  std::string application_name = "tern";
  /// Command-line options for the backend, e.g. "-c search_path=app".
  std::string options;
  SslMode ssl_mode = SslMode::kPrefer;
  /// PEM file of CAs for verify-ca / verify-full; empty = the system trust store.
  std::string ssl_root_cert;
  /// Client certificate and key (PEM), optional.
  std::string ssl_cert;
  std::string ssl_key;
  /// Time allowed for connect, TLS and authentication together; zero = no limit.
  std::chrono::milliseconds connect_timeout{0};
  /// Named prepared statements kept per connection (least recently used are closed).
  std::size_t statement_cache_size = 256;
  /// Only unnamed statements (for PgBouncer in transaction mode): no server-side cache.
  bool unnamed_statements_only = false;
  /// Extra startup parameters (name, value), e.g. {"search_path", "app"}.
  std::vector<std::pair<std::string, std::string>> parameters;

  /// Parses "postgresql://user:pass@host:port/db?sslmode=require&..." or
  /// "host=... port=... user=..." (keywords), then fills what is still unset from PGHOST,
  /// PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT, PGAPPNAME,
  /// PGCONNECT_TIMEOUT and finally the OS user name. Throws InterfaceError on bad input.
  static ConnectOptions parse(std::string_view conninfo);

  /// True when `host` names a Unix socket directory.
  bool is_unix_socket() const noexcept { return host.empty() || host.front() == '/'; }
  /// The socket path for a Unix-socket host: DIR/.s.PGSQL.PORT.
  std::string socket_path() const;
};

}  // namespace tern::pg
