// Connection settings for PostgreSQL, from a libpq-style URL or keyword string and the PG*
// environment variables. https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/target_session_attrs.hpp"
#include "tern/ring/tls.hpp"

namespace tern::pg {

/// libpq's channel_binding values: whether SCRAM must bind the TLS channel (SCRAM-SHA-256-PLUS).
enum class ChannelBindingMode { kDisable, kPrefer, kRequire };

/// libpq's sslmode values.
enum class SslMode { kDisable, kAllow, kPrefer, kRequire, kVerifyCa, kVerifyFull };

/// Parses "disable", "prefer", "verify-full"...; throws InterfaceError naming the bad value.
SslMode parse_ssl_mode(std::string_view text);

/// libpq's target_session_attrs: which server of the host list a connection may settle on
/// (every value applies to PostgreSQL).
using TargetSessionAttrs = protocol::TargetSessionAttrs;

/// Parses "any", "read-write", ...; throws InterfaceError naming the bad value.
TargetSessionAttrs parse_target_session_attrs(std::string_view text);

/// One server of a multi-host connection string.
struct HostAddress {
  /// As ConnectOptions::host (a name, an address or a Unix socket directory).
  std::string host{};
  /// As ConnectOptions::hostaddr.
  std::string hostaddr{};
  std::uint16_t port = 5432;  ///< As ConnectOptions::port.
};

/// The `pgbouncer` connection option: whether a transaction-pooling proxy (PgBouncer, Odyssey,
/// pgcat, RDS Proxy...) sits between tern and the server, so that no session state may be
/// relied on.
enum class PoolerMode {
  /// A direct connection: named prepared statements are cached per connection.
  kOff,
  /// Behind a transaction pooler: only unnamed statements (each Parse/Bind/Execute goes out in
  /// the batch that runs it), and only the startup parameters PgBouncer tracks.
  kOn,
  /// Asks the server once after start-up: a BackendKeyData process id that differs from
  /// pg_backend_pid() means a proxy answered the start-up (poolers issue their own cancel
  /// keys), and the connection switches to kOn's unnamed statements. Costs one round trip
  /// per new connection; the proxy must accept tern's startup parameters (PgBouncer:
  /// ignore_startup_parameters = extra_float_digits, IntervalStyle).
  kAuto,
};

/// Everything needed to open a connection.
struct ConnectOptions {
  /// A host name, an IP address, or a directory holding the server's Unix socket (starts
  /// with '/'). Empty means the Unix socket in /var/run/postgresql.
  std::string host;
  /// A numeric address to connect to instead of resolving `host`; `host` is still the name
  /// TLS verifies and sends as SNI (libpq's hostaddr).
  std::string hostaddr;
  std::uint16_t port = 5432;  ///< TCP port (or the Unix socket file .s.PGSQL.port)
  std::string user;           ///< user name
  /// Empty: Connection::connect looks in the password file (see passfile).
  std::string password;
  /// The password file (libpq's passfile, PGPASSFILE); empty means ~/.pgpass. Read when the
  /// password is empty, and ignored unless only its owner may access it
  /// (tern/protocol/pg/passfile.hpp).
  std::string passfile;
  /// Empty means the same as user.
  std::string database;
  std::string application_name = "tern";  ///< reported to the server (pg_stat_activity)
  /// Command-line options for the backend, e.g. "-c search_path=app".
  std::string options;
  SslMode ssl_mode = SslMode::kPrefer;  ///< sslmode (prefer by default, as libpq)
  /// PEM file of CAs for verify-ca / verify-full; empty = the system trust store.
  std::string ssl_root_cert;
  /// Client certificate and key (PEM), optional.
  std::string ssl_cert;
  std::string ssl_key;  ///< the client key
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
  /// ProtocolError(kBadLength), raised from the 5-byte header before any of it is buffered.
  /// 64 MiB by default: the receive buffer grows to a message's announced size, so the cap
  /// bounds what one corrupt or hostile length field can make the client allocate (the server
  /// allows up to 1 GiB per value); raise it for rows with larger values.
  std::size_t max_message_size = std::size_t{64} << 20;
  /// At most this many rows in one buffered result (0: no limit); more is ResultTooLarge. Row
  /// streams (open_stream) are bounded by their batch size instead.
  std::size_t max_result_rows = 0;
  /// Named prepared statements kept per connection (least recently used are closed).
  std::size_t statement_cache_size = 256;
  /// Only unnamed statements (for PgBouncer in transaction mode): no server-side cache. Set by
  /// pgbouncer=true and statement_cache_size=0 (asyncpg's spelling).
  bool unnamed_statements_only = false;
  /// `pgbouncer=true|false|auto` (Prisma's name; pgx says default_query_exec_mode, asyncpg
  /// statement_cache_size=0, JDBC prepareThreshold=0 for the same thing).
  PoolerMode pooler = PoolerMode::kOff;
  /// Every server of a multi-host connection string (host=a,b port=5432,5433 or
  /// postgresql://a:5432,b:5433/db): Connection::connect tries them in order (shuffled with
  /// load_balance_hosts=random) until one accepts and satisfies target_session_attrs; the
  /// connection's options() then hold that one in host/hostaddr/port. Empty for one server.
  std::vector<HostAddress> hosts;
  /// What the server connected to must be (libpq's target_session_attrs).
  TargetSessionAttrs target_session_attrs = TargetSessionAttrs::kAny;
  /// load_balance_hosts=random: try the hosts in a random order (libpq 16), so that
  /// connections spread over equivalent servers; disable (false): in the order given.
  bool load_balance_hosts = false;
  /// Extra startup parameters (name, value), e.g. {"search_path", "app"}, set in code: a
  /// connection string sets server settings through `options=-c name=value`, as with libpq
  /// (an unknown keyword in it is refused).
  std::vector<std::pair<std::string, std::string>> parameters;

  /// Parses "postgresql://user:pass@host:port/db?sslmode=require&..." or
  /// "host=... port=... user=..." (keywords), then fills what is still unset from the service
  /// named by `service=` or PGSERVICE (the service file, see passfile.hpp), then from PGHOST,
  /// PGPORT, PGUSER, PGPASSWORD, PGPASSFILE, PGDATABASE, PGSSLMODE, PGSSLROOTCERT, PGAPPNAME,
  /// PGCONNECT_TIMEOUT... and finally the OS user name. Throws InterfaceError on bad input:
  /// a URL of another scheme, an unknown keyword (`invalid connection option "x"`) or URL
  /// parameter (`invalid URI query parameter: "x"`), as libpq words them.
  static ConnectOptions parse(std::string_view conninfo);

  /// The servers to try, in the order given: `hosts`, or host/hostaddr/port alone.
  std::vector<HostAddress> candidates() const;

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
