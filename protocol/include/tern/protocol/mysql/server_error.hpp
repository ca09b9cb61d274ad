// Maps a MySQL/MariaDB ERR packet to tern's exception hierarchy (errors.hpp). The error number
// decides first, because many errors carry the generic SQLSTATE HY000 (or a class too coarse,
// e.g. 23000 for both "duplicate entry" and "cannot be null"); the SQLSTATE class decides next,
// as for PostgreSQL; what is left is an OperationalError, as PyMySQL does for peewee.
// MariaDB: https://mariadb.com/kb/en/err_packet/ and https://mariadb.com/kb/en/mariadb-error-codes/
//          (in https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html (and
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>

#include "tern/protocol/exceptions.hpp"

namespace tern::mysql {

/// Server error numbers tern treats specially (ER_* in mysqld_error.h).
namespace er {
inline constexpr std::uint32_t kDupKey = 1022,  ///< ER_DUP_KEY
    kConnectionCountError = 1040,               ///< ER_CON_COUNT_ERROR: too many connections
    kDbAccessDenied = 1044,                     ///< ER_DBACCESS_DENIED_ERROR
    kAccessDenied = 1045,                       ///< ER_ACCESS_DENIED_ERROR
    kNoDb = 1046,                               ///< ER_NO_DB_ERROR: no database selected
    kBadNull = 1048,                            ///< ER_BAD_NULL_ERROR: NULL in a NOT NULL column
    kBadDb = 1049,                              ///< ER_BAD_DB_ERROR: unknown database
    kTableExists = 1050,                        ///< ER_TABLE_EXISTS_ERROR
    kBadTable = 1051,                           ///< ER_BAD_TABLE_ERROR: unknown table
    kServerShutdown = 1053,                     ///< ER_SERVER_SHUTDOWN
    kBadField = 1054,                           ///< ER_BAD_FIELD_ERROR: unknown column
    kDupEntry = 1062,                           ///< ER_DUP_ENTRY: duplicate key value
    kParseError = 1064,                         ///< ER_PARSE_ERROR: SQL syntax
    kEmptyQuery = 1065,                         ///< ER_EMPTY_QUERY
    kNoSuchTable = 1146,                        ///< ER_NO_SUCH_TABLE
    kLockWaitTimeout = 1205,                    ///< ER_LOCK_WAIT_TIMEOUT
    kDeadlock = 1213,                           ///< ER_LOCK_DEADLOCK
    kRowIsReferenced = 1451,    ///< ER_ROW_IS_REFERENCED_2: a foreign key refers to the row
    kNoReferencedRow = 1452,    ///< ER_NO_REFERENCED_ROW_2: the foreign key's target does not exist
    kQueryInterrupted = 1317,   ///< ER_QUERY_INTERRUPTED (KILL QUERY)
    kNoDefaultForField = 1364,  ///< ER_NO_DEFAULT_FOR_FIELD
    kTruncatedWrongValue = 1292,       ///< ER_TRUNCATED_WRONG_VALUE
    kWarnDataOutOfRange = 1264,        ///< ER_WARN_DATA_OUT_OF_RANGE
    kDataTooLong = 1406,               ///< ER_DATA_TOO_LONG
    kNotSupportedYet = 1235,           ///< ER_NOT_SUPPORTED_YET
    kCheckConstraintViolated = 3819,   ///< ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
    kConnectionKilled = 1927,          ///< ER_CONNECTION_KILLED (MariaDB)
    kStatementTimeout = 1969,          ///< ER_STATEMENT_TIMEOUT (MariaDB max_statement_time)
    kQueryTimeout = 3024,              ///< ER_QUERY_TIMEOUT (MySQL max_execution_time)
    kClientInteractionTimeout = 4031,  ///< ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+)
    kConstraintFailed = 4025;          ///< ER_CONSTRAINT_FAILED: a CHECK constraint (MariaDB)
}  // namespace er

/// The exception class an ERR packet maps to, for tests and logging.
enum class ErrorClass {
  kDatabase,        ///< DatabaseError (nothing more specific)
  kData,            ///< DataError
  kOperational,     ///< OperationalError
  kIntegrity,       ///< IntegrityError
  kInternal,        ///< InternalError
  kProgramming,     ///< ProgrammingError
  kNotSupported,    ///< NotSupportedError
  kConnectionLost,  ///< ConnectionLost: the server ended or killed the session
  /// TransactionRollback: the server rolled the transaction back (deadlock, Galera conflict)
  kTransactionRollback,
};

/// The class of an error by error number, then SQLSTATE class, else kOperational.
/// Error numbers: 1062/1022/1169/1586/1557 duplicate key, 1451/1452/1216/1217 foreign key,
/// 1048 NULL into NOT NULL, 1364 no default, 3819/4025 check constraint → kIntegrity;
/// 1064/1146/1054/1049/1050/1051/1046/1149/1110/1102/1103/1166/1210/1065 → kProgramming;
/// 1213 deadlock (and Galera's certification conflict) → kTransactionRollback; 1205 lock wait
/// timeout, 1317 interrupted, 3024/1969 statement timeout, 1040 too many connections, 1044/1045
/// access denied → kOperational; 1053 shutdown, 1927 killed, 4031 idle disconnect →
/// kConnectionLost; 1235/1289/1286 → kNotSupported; 1264/1265/1292/1366/1365/1406/1690/1441/1263 →
/// kData.
ErrorClass classify_error(const ServerErrorInfo& info) noexcept;

/// Throws the tern exception for a server error (see classify_error). The exception's info()
/// keeps the error number in `code`.
[[noreturn]] void throw_mysql_error(ServerErrorInfo info);

}  // namespace tern::mysql
