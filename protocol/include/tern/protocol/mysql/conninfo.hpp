// Connection settings for MySQL/MariaDB, from a URL and the MYSQL_* environment variables.
//   mysql://user:password@host:port/database?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem
// (mariadb:// is accepted too). Query keys follow the mysql client's option names.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/target_session_attrs.hpp"
#include "tern/ring/tls.hpp"

namespace tern::mysql {

/// The mysql client's --ssl-mode values.
enum class SslMode { kDisabled, kPreferred, kRequired, kVerifyCa, kVerifyIdentity };

/// Parses "DISABLED", "preferred", "VERIFY_IDENTITY"... (case-insensitive, '-' or '_');
/// throws InterfaceError naming the bad value.
SslMode parse_ssl_mode(std::string_view text);

/// Which server of a host list a connection may settle on: kAny, kReadWrite or kReadOnly
/// (PostgreSQL's primary/standby values are refused by parse()).
using TargetSessionAttrs = protocol::TargetSessionAttrs;

/// One server of a multi-host URL.
struct HostAddress {
  std::string host{};         ///< As ConnectOptions::host.
  std::string hostaddr{};     ///< As ConnectOptions::hostaddr.
  std::uint16_t port = 3306;  ///< As ConnectOptions::port.
};

/// Everything needed to open a connection.
struct ConnectOptions {
  /// Host name or IP address; ignored when `unix_socket` is set.
  std::string host = "localhost";
  /// A numeric address to connect to instead of resolving `host`; `host` is still the name TLS
  /// verifies and sends as SNI.
  std::string hostaddr;
  std::uint16_t port = 3306;  ///< TCP port
  /// Path of the server's Unix socket; when set, TCP is not used.
  std::string unix_socket;
  std::string user;      ///< user name
  std::string password;  ///< password; empty for none
  /// The default database; empty for none.
  std::string database;
  SslMode ssl_mode = SslMode::kPreferred;  ///< ssl-mode (PREFERRED by default, as the mysql client)
  /// PEM file of CAs for VERIFY_CA / VERIFY_IDENTITY; empty = the system trust store.
  std::string ssl_ca;
  /// Client certificate and key (PEM), optional.
  std::string ssl_cert;
  std::string ssl_key;  ///< the client key
  /// A TLS context to share between the connections of a pool; built from the ssl_* settings
  /// when empty.
  std::shared_ptr<const ring::TlsContext> tls_context;
  /// Time allowed for connect, TLS and authentication together; zero = no limit.
  std::chrono::milliseconds connect_timeout{0};
  /// Time allowed for KILL QUERY on a side connection and for reading the killed query's
  /// remaining response before the connection is given up.
  std::chrono::milliseconds cancel_timeout{5000};
  /// Prepared statements kept per connection (least recently used are closed).
  std::size_t statement_cache_size = 256;
  /// Allow several ';'-separated statements in one text query (off by default: it widens
  /// what an injected string could do; tern itself always binds values).
  bool multi_statements = false;
  /// Answer LOAD DATA LOCAL INFILE requests (off: a hostile server could read client files).
  /// tern never sends files; when off, such a request fails with ClientError.
  bool allow_local_infile = false;
  /// Send a cleartext password (mysql_clear_password, caching_sha2 full authentication)
  /// without TLS. Off: only over TLS or a Unix socket.
  bool allow_cleartext_password = false;
  /// Largest server payload accepted (after reassembling 16 MiB packets); larger is a
  /// ProtocolError(kBadLength), raised as soon as the packets announce more. 64 MiB by
  /// default (the server's own max_allowed_packet is 16 MiB by default, 1 GiB at most): it
  /// bounds what a corrupt or hostile server can make the client buffer; raise it with the
  /// server's limit for rows with larger values.
  std::size_t max_payload_size = std::size_t{64} << 20;
  /// Use the compressed protocol (CLIENT_COMPRESS, zlib) when the server offers it (MariaDB
  /// and MySQL do; without it the connection stays uncompressed, as with the mysql client's
  /// --compress). It trades client and server CPU for fewer bytes on the wire: worth it over
  /// slow or metered links, not on loopback or a fast LAN. zstd (MySQL 8's
  /// CLIENT_ZSTD_COMPRESSION_ALGORITHM) is not supported; MariaDB does not offer it.
  bool compress = false;
  /// At most this many rows in one buffered result (0: no limit); more is ResultTooLarge. Row
  /// streams are bounded by their batch size instead.
  std::size_t max_result_rows = 0;
  /// Every server of a multi-host URL (mysql://h1:3306,h2:3307/db): Connection::connect tries
  /// them in order (shuffled with load_balance_hosts) until one accepts and satisfies
  /// target_session_attrs; the connection's options() then hold that one in host/hostaddr/port.
  /// Empty for one server.
  std::vector<HostAddress> hosts;
  /// What the server connected to must be: kReadWrite wants @@read_only and
  /// @@innodb_read_only both off, kReadOnly either on (asked with one query after the
  /// handshake; kAny asks nothing).
  TargetSessionAttrs target_session_attrs = TargetSessionAttrs::kAny;
  /// load_balance_hosts=random: try the hosts in a random order, so that connections spread
  /// over equivalent servers (Galera nodes, replicas); disable (false): in the order given.
  bool load_balance_hosts = false;

  /// Parses a mysql:// or mariadb:// URL; unset fields fall back to MYSQL_HOST,
  /// MYSQL_TCP_PORT, MYSQL_UNIX_PORT, MYSQL_PWD, USER. Query keys: ssl-mode, ssl-ca, ssl-cert,
  /// ssl-key, connect-timeout (seconds), socket, hostaddr, statement-cache-size,
  /// multi-statements, local-infile, cleartext-password, compress (true/false/1/0),
  /// target-session-attrs (any, read-write, read-only), load-balance-hosts (disable, random);
  /// the last two also spelt with '_' as libpq does. Several hosts are comma-separated:
  /// `mysql://user:pw\@h1:3306,h2,[::1]:3307/db` (a missing port is 3306, or MYSQL_TCP_PORT).
  /// Also the libpq-style keyword form, parsed as PostgreSQL's is: `host=h1,h2 port=3306,3307
  /// user=u password='p w' dbname=db` and the query keys above as keywords (`host` and `port`
  /// are comma lists; one port serves every host; `database` spells `dbname` too; values are
  /// not percent-decoded). Throws InterfaceError on bad input (the password never appears in
  /// the message).
  static ConnectOptions parse(std::string_view url);

  /// The servers to try, in the order given: `hosts`, or host/hostaddr/port alone.
  std::vector<HostAddress> candidates() const;

  /// Where to connect over TCP: hostaddr when set, host otherwise.
  const std::string& connect_host() const noexcept { return hostaddr.empty() ? host : hostaddr; }
};

/// True for URLs this file parses (mysql:// and mariadb://).
bool is_mysql_url(std::string_view url) noexcept;

}  // namespace tern::mysql
