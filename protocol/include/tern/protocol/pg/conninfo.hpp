// Connection settings for PostgreSQL, from a libpq-style URL or keyword string and the PG*
// environment variables. https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/ring/tls.hpp"

namespace tern::pg {

/// libpq's channel_binding values: whether SCRAM must bind the TLS channel (SCRAM-SHA-256-PLUS).
enum class ChannelBindingMode { kDisable, kPrefer, kRequire };

/// libpq's sslmode values.
enum class SslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };

/// Parses "disable", "prefer", "verify-full"...; throws InterfaceError naming the bad value.
SslMode parse_ssl_mode(std::string_view text);

/// Everything needed to open a connection.
struct ConnectOptions {
  /// A host name, an IP address, or a directory holding the server's Unix socket (starts
  /// with '/'). Empty means the Unix socket in /var/run/postgresql.
  std::string host;
  /// A numeric address to connect to instead of resolving `host`; `host` is still the name
  /// TLS verifies and sends as SNI (libpq's hostaddr).
  std::string hostaddr;
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
  /// A TLS context to share between the connections of a pool; built from the ssl_* settings
  /// when empty.
  std::shared_ptr<const ring::TlsContext> tls_context;
  /// SCRAM channel binding: prefer uses it when TLS and the server allow; require fails
  /// unless the exchange is SCRAM-SHA-256-PLUS.
  ChannelBindingMode channel_binding = ChannelBindingMode::kPrefer;
  /// Time allowed for connect, TLS and authentication together; zero = no limit.
  std::chrono::milliseconds connect_timeout{0};
  /// Time allowed for a CancelRequest and for draining the cancelled query's output before
  /// the connection is given up.
  std::chrono::milliseconds cancel_timeout{5000};
  /// Largest server message accepted (a DataRow of a huge value, say); larger is a
  /// ProtocolError.
  std::size_t max_message_size = std::size_t{1} << 30;
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
  bool is_unix_socket() const noexcept {
    return hostaddr.empty() && (host.empty() || host.front() == '/');
  }
  /// Where to connect over TCP: hostaddr when set, host otherwise.
  const std::string& connect_host() const noexcept { return hostaddr.empty() ? host : hostaddr; }
  /// The socket path for a Unix-socket host: DIR/.s.PGSQL.PORT.
  std::string socket_path() const;
};

}  // namespace tern::pg
