// Capability flags, server status flags and character set ids, and the choice of the client's
// capabilities for a connection. Capabilities are 64 bits here: MySQL's 32 flags in the low
// half and MariaDB's extended capabilities (sent in the handshake's reserved bytes when the
// server clears CLIENT_MYSQL) in the high half.
// MariaDB: https://mariadb.com/kb/en/connection/#capabilities (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>

namespace tern::mysql {

/// Capability flags (CLIENT_*), as a 64-bit set.
namespace cap {
inline constexpr std::uint64_t
    kLongPassword = 1,    ///< MySQL: new password hashing; MariaDB calls it CLIENT_MYSQL and clears
                          ///< it to announce extended capabilities
    kFoundRows = 1 << 1,  ///< affected rows = rows matched, not rows changed
    kLongFlag = 1 << 2,   ///< all column flags
    kConnectWithDb = 1 << 3,                    ///< a database name in the handshake response
    kNoSchema = 1 << 4,                         ///< db.table.column not allowed
    kCompress = 1 << 5,                         ///< compressed protocol (zlib)
    kOdbc = 1 << 6,                             ///< unused
    kLocalFiles = 1 << 7,                       ///< LOAD DATA LOCAL INFILE allowed
    kIgnoreSpace = 1 << 8,                      ///< spaces before '(' in function calls
    kProtocol41 = 1 << 9,                       ///< the 4.1 protocol (required by tern)
    kInteractive = 1 << 10,                     ///< interactive_timeout instead of wait_timeout
    kSsl = 1 << 11,                             ///< switch to TLS after the handshake
    kIgnoreSigpipe = 1 << 12,                   ///< client-side only
    kTransactions = 1 << 13,                    ///< status flags in EOF packets
    kReserved = 1 << 14,                        ///< old 4.1 flag
    kSecureConnection = 1 << 15,                ///< 4.1 authentication (20-byte scramble)
    kMultiStatements = 1 << 16,                 ///< several statements per COM_QUERY
    kMultiResults = 1 << 17,                    ///< several result sets per COM_QUERY
    kPsMultiResults = 1 << 18,                  ///< several result sets per COM_STMT_EXECUTE
    kPluginAuth = 1 << 19,                      ///< authentication plugins
    kConnectAttrs = 1 << 20,                    ///< connection attributes in the handshake response
    kPluginAuthLenencClientData = 1 << 21,      ///< length-encoded auth response
    kCanHandleExpiredPasswords = 1 << 22,       ///< sandbox mode for expired passwords
    kSessionTrack = 1 << 23,                    ///< session state changes in OK packets
    kDeprecateEof = 1 << 24,                    ///< OK packets instead of EOF packets
    kOptionalResultsetMetadata = 1 << 25,       ///< MySQL 8: metadata may be omitted
    kZstdCompression = 1 << 26,                 ///< MySQL 8: zstd compression (not in tern)
    kQueryAttributes = 1 << 27,                 ///< MySQL 8: query attributes in COM_QUERY/EXECUTE
    kMultiFactorAuth = 1 << 28,                 ///< MySQL 8: multi-factor authentication
    kCapabilityExtension = 1 << 29,             ///< reserved
    kSslVerifyServerCert = 1 << 30,             ///< client-side only
    kRememberOptions = std::uint64_t{1} << 31;  ///< client-side only
// MariaDB extended capabilities (bits 32..63 here; sent in the reserved bytes).
inline constexpr std::uint64_t kMariadbProgress = std::uint64_t{1} << 32,  ///< progress reports
    kMariadbComMulti = std::uint64_t{1} << 33,                             ///< COM_MULTI
    kMariadbStmtBulkOperations = std::uint64_t{1} << 34,                   ///< COM_STMT_BULK
    kMariadbExtendedTypeInfo = std::uint64_t{1} << 35,  ///< extended column metadata
    kMariadbCacheMetadata = std::uint64_t{1} << 36;     ///< metadata skipped when unchanged
}  // namespace cap

/// Server status flags (SERVER_*), in OK and EOF packets.
namespace status {
inline constexpr std::uint16_t kInTrans = 1,  ///< a transaction is active
    kAutocommit = 1 << 1,                     ///< autocommit mode is on
    kMoreResultsExist = 1 << 3,               ///< another result set follows
    kNoGoodIndexUsed = 1 << 4,                ///< query flag
    kNoIndexUsed = 1 << 5,                    ///< query flag
    kCursorExists = 1 << 6,                   ///< COM_STMT_FETCH may follow
    kLastRowSent = 1 << 7,                    ///< the cursor is exhausted
    kDbDropped = 1 << 8,                      ///< the current database was dropped
    kNoBackslashEscapes = 1 << 9,             ///< sql_mode NO_BACKSLASH_ESCAPES
    kMetadataChanged = 1 << 10,               ///< a prepared statement's metadata changed
    kQueryWasSlow = 1 << 11,                  ///< slow query
    kPsOutParams = 1 << 12,                   ///< the result set holds OUT parameters
    kInTransReadonly = 1 << 13,               ///< the transaction is read-only
    kSessionStateChanged = 1 << 14;           ///< session state data follows in the OK packet
}  // namespace status

/// Character set / collation ids for the handshake response (one byte on the wire).
namespace charset {
inline constexpr std::uint8_t kUtf8mb4GeneralCi = 45,  ///< utf8mb4_general_ci (default)
    kBinary = 63,                                      ///< binary: column values are bytes
    kUtf8mb4UnicodeCi = 224,                           ///< utf8mb4_unicode_ci
    kUtf8mb4_0900AiCi = 255;                           ///< utf8mb4_0900_ai_ci (MySQL 8)
}  // namespace charset

/// What the connection wants beyond the fixed set tern always asks for.
struct CapabilityOptions {
  bool tls = false;               ///< ask for CLIENT_SSL (if the server has it)
  bool with_database = false;     ///< a database name will be sent (CLIENT_CONNECT_WITH_DB)
  bool multi_statements = false;  ///< allow "a; b" in one COM_QUERY (off: limits injection)
  bool local_files = false;       ///< allow LOAD DATA LOCAL INFILE (off: a server could read files)
  bool connect_attrs = true;      ///< send connection attributes (program name, ...)
  bool found_rows = false;        ///< UPDATE reports matched rows instead of changed rows
  bool session_track = false;     ///< ask for session state changes in OK packets
  bool compress = false;          ///< ask for the compressed protocol (CLIENT_COMPRESS, zlib)
  std::uint64_t extra = 0;        ///< more flags to ask for (still intersected with the server's)
  /// Ask MariaDB to skip a prepared statement's unchanged column definitions
  /// (MARIADB_CLIENT_CACHE_METADATA): only for a client that parses the column count with
  /// parse_column_count(payload, capabilities) and keeps each statement's columns.
  bool cache_metadata = false;
};

/// The capabilities to send: CLIENT_LONG_PASSWORD, LONG_FLAG, PROTOCOL_41, SECURE_CONNECTION,
/// TRANSACTIONS, PLUGIN_AUTH, PLUGIN_AUTH_LENENC_CLIENT_DATA, DEPRECATE_EOF, MULTI_RESULTS,
/// PS_MULTI_RESULTS, plus what `options` asks for, intersected with `server`. MULTI_STATEMENTS,
/// LOCAL_FILES and COMPRESS are only set when asked. The caller checks `result & cap::kSsl` when
/// TLS is required. Throws ClientError(kServerTooOld) when the server lacks PROTOCOL_41 or
/// SECURE_CONNECTION.
std::uint64_t choose_capabilities(std::uint64_t server, const CapabilityOptions& options);

}  // namespace tern::mysql
