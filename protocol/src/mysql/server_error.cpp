// ERR packet → tern exception mapping, by error number then SQLSTATE.
// MariaDB: https://mariadb.com/kb/en/mariadb-error-codes/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html (and
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/server_error.hpp"

#include <string_view>
#include <utility>

namespace tern::mysql {

namespace {

bool by_errno(std::uint32_t code, ErrorClass& out) noexcept {
  switch (code) {
    case er::kDupKey:
    case er::kDupEntry:
    case 1169:  // ER_DUP_UNIQUE
    case 1557:  // ER_FOREIGN_DUPLICATE_KEY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
    case 1216:  // ER_NO_REFERENCED_ROW
    case 1217:  // ER_ROW_IS_REFERENCED
    case er::kRowIsReferenced:
    case er::kNoReferencedRow:
    case er::kBadNull:
    case er::kNoDefaultForField:
    case er::kCheckConstraintViolated:
    case er::kConstraintFailed:
      out = ErrorClass::kIntegrity;
      return true;
    case er::kParseError:
    case er::kEmptyQuery:
    case er::kNoSuchTable:
    case er::kBadField:
    case er::kBadDb:
    case er::kTableExists:
    case er::kBadTable:
    case er::kNoDb:
    case 1102:  // ER_WRONG_DB_NAME
    case 1103:  // ER_WRONG_TABLE_NAME
    case 1110:  // ER_FIELD_SPECIFIED_TWICE
    case 1149:  // ER_SYNTAX_ERROR
    case 1166:  // ER_WRONG_COLUMN_NAME
    case 1210:  // ER_WRONG_ARGUMENTS (e.g. parameter count)
      out = ErrorClass::kProgramming;
      return true;
    case er::kDeadlock:  // InnoDB's deadlock victim, and Galera's certification failure
      out = ErrorClass::kTransactionRollback;
      return true;
    case er::kLockWaitTimeout:  // only the statement is rolled back (innodb_rollback_on_timeout)
    case er::kQueryInterrupted:
    case er::kQueryTimeout:
    case er::kStatementTimeout:
    case er::kConnectionCountError:
    case er::kDbAccessDenied:
    case er::kAccessDenied:
      out = ErrorClass::kOperational;
      return true;
    case er::kServerShutdown:
    case er::kConnectionKilled:
    case er::kClientInteractionTimeout:
      out = ErrorClass::kConnectionLost;
      return true;
    case er::kNotSupportedYet:
    case 1286:  // ER_UNKNOWN_STORAGE_ENGINE
    case 1289:  // ER_FEATURE_DISABLED
      out = ErrorClass::kNotSupported;
      return true;
    case 1263:  // ER_WARN_NULL_TO_NOTNULL
    case er::kWarnDataOutOfRange:
    case 1265:  // WARN_DATA_TRUNCATED
    case er::kTruncatedWrongValue:
    case 1365:  // ER_DIVISION_BY_ZERO
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
    case er::kDataTooLong:
    case 1441:  // ER_DATETIME_FUNCTION_OVERFLOW
    case 1690:  // ER_DATA_OUT_OF_RANGE
      out = ErrorClass::kData;
      return true;
    default:
      return false;
  }
}

}  // namespace

ErrorClass classify_error(const ServerErrorInfo& info) noexcept {
  ErrorClass c = ErrorClass::kOperational;
  if (by_errno(info.code, c)) return c;
  const std::string_view cls = std::string_view(info.sqlstate).substr(0, 2);
  if (cls == "23") return ErrorClass::kIntegrity;
  if (cls == "22" || cls == "21") return ErrorClass::kData;
  if (cls == "42" || cls == "3D" || cls == "3F" || cls == "44") return ErrorClass::kProgramming;
  if (cls == "0A") return ErrorClass::kNotSupported;
  if (cls == "25" || cls == "2D" || cls == "XA") return ErrorClass::kInternal;
  if (cls == "08") return ErrorClass::kConnectionLost;
  // HY000 (general error), 40001, 70100, 28000, missing SQLSTATE...: like PyMySQL.
  return ErrorClass::kOperational;
}

void throw_mysql_error(ServerErrorInfo info) {
  switch (classify_error(info)) {
    case ErrorClass::kDatabase:
      throw DatabaseError(std::move(info));
    case ErrorClass::kData:
      throw DataError(std::move(info));
    case ErrorClass::kIntegrity:
      throw IntegrityError(std::move(info));
    case ErrorClass::kInternal:
      throw InternalError(std::move(info));
    case ErrorClass::kProgramming:
      throw ProgrammingError(std::move(info));
    case ErrorClass::kNotSupported:
      throw NotSupportedError(std::move(info));
    case ErrorClass::kConnectionLost:
      throw ConnectionLost(std::move(info));
    case ErrorClass::kTransactionRollback:
      throw TransactionRollback(std::move(info));
    case ErrorClass::kOperational:
      break;
  }
  throw OperationalError(std::move(info));
}

}  // namespace tern::mysql
