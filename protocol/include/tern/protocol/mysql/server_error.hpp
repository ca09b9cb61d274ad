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
inline constexpr std::uint32_t kDupKey = 1022, kConnectionCountError = 1040, kDbAccessDenied = 1044,
                               kAccessDenied = 1045, kNoDb = 1046, kBadNull = 1048, kBadDb = 1049,
                               kTableExists = 1050, kBadTable = 1051, kServerShutdown = 1053,
                               kBadField = 1054, kDupEntry = 1062, kParseError = 1064,
                               kEmptyQuery = 1065, kNoSuchTable = 1146, kLockWaitTimeout = 1205,
                               kDeadlock = 1213, kRowIsReferenced = 1451, kNoReferencedRow = 1452,
                               kQueryInterrupted = 1317, kNoDefaultForField = 1364,
                               kTruncatedWrongValue = 1292, kWarnDataOutOfRange = 1264,
                               kDataTooLong = 1406, kNotSupportedYet = 1235,
                               kCheckConstraintViolated = 3819, kConnectionKilled = 1927,
                               kStatementTimeout = 1969, kQueryTimeout = 3024,
                               kClientInteractionTimeout = 4031, kConstraintFailed = 4025;
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
};

/// The class of an error by error number, then SQLSTATE class, else kOperational.
/// Error numbers: 1062/1022/1169/1586/1557 duplicate key, 1451/1452/1216/1217 foreign key,
/// 1048 NULL into NOT NULL, 1364 no default, 3819/4025 check constraint → kIntegrity;
/// 1064/1146/1054/1049/1050/1051/1046/1149/1110/1102/1103/1166/1210/1065 → kProgramming;
/// 1213 deadlock, 1205 lock wait timeout, 1317 interrupted, 3024/1969 statement timeout,
/// 1040 too many connections, 1044/1045 access denied → kOperational; 1053 shutdown,
/// 1927 killed, 4031 idle disconnect → kConnectionLost; 1235/1289/1286 → kNotSupported;
/// 1264/1265/1292/1366/1365/1406/1690/1441/1263 → kData.
ErrorClass classify_error(const ServerErrorInfo& info) noexcept;

/// Throws the tern exception for a server error (see classify_error). The exception's info()
/// keeps the error number in `code`.
[[noreturn]] void throw_mysql_error(ServerErrorInfo info);

}  // namespace tern::mysql
