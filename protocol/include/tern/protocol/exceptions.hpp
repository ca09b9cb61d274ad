// The exceptions tern's public API throws, shaped after peewee's (and DB-API's) hierarchy, under
// the root tern::Error (tern/ring/error.hpp, where the runtime's errors join it).
// Server errors carry the server's fields; the class is chosen by SQLSTATE (PostgreSQL) or by
// error number and SQLSTATE (MySQL), the way psycopg2 and PyMySQL map them for peewee.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "tern/ring/error.hpp"

namespace tern {

/// A misuse of the interface, or an error on the client side (not from the server).
class InterfaceError : public Error {
 public:
  using Error::Error;
};

/// Everything the server reports, with its fields. PostgreSQL fills all of them; MySQL fills
/// `code` (its error number), `sqlstate` and `message`.
struct ServerErrorInfo {
  std::string severity;  ///< ERROR, FATAL, PANIC, WARNING, NOTICE... (non-localised when sent)
  std::string sqlstate;  ///< five characters, e.g. "23505"
  std::string message;   ///< the primary message
  std::string detail;    ///< more detail
  std::string hint;      ///< a suggestion what to do
  std::string position;  ///< 1-based character offset into the query, as text
  std::string internal_position;  ///< position into internal_query
  std::string internal_query;     ///< an internally generated command that failed
  std::string where;              ///< the context: call stack, PL/pgSQL line
  std::string schema;             ///< schema of the object concerned
  std::string table;              ///< table concerned
  std::string column;             ///< column concerned
  std::string data_type;          ///< data type concerned
  std::string constraint;         ///< constraint violated
  std::string file;               ///< server source file
  std::string line;               ///< server source line
  std::string routine;            ///< server source routine
  std::uint32_t code = 0;         ///< MySQL error number (0 for PostgreSQL)
  /// The statement `position` points into, when the client knew it (pg::Connection's
  /// simple_query, execute, pipeline and row streams record it); empty otherwise.
  std::string statement;
};

/// An error reported by the server, or a failure of a database operation.
class DatabaseError : public Error {
 public:
  /// An error with the server's fields; what() is "SQLSTATE: message" plus detail and hint.
  explicit DatabaseError(ServerErrorInfo info);
  /// A server error met while doing `context`: what() is "<context>: " and the above.
  DatabaseError(ServerErrorInfo info, std::string_view context);
  /// A client-detected failure with no server fields.
  explicit DatabaseError(const std::string& what) : Error(what) {}
  /// A client-detected failure with a code (e.g. a ProtocolErrc) and no server fields.
  DatabaseError(std::error_code code, const std::string& what) : Error(code, what) {}
  /// The server's fields (empty for client-detected failures).
  const ServerErrorInfo& info() const noexcept { return info_; }
  /// Shorthand for info().sqlstate.
  const std::string& sqlstate() const noexcept { return info_.sqlstate; }
  /// Records `sql` as the statement of an error the server gave a position for (nothing
  /// otherwise, or when one is recorded already): info().statement, and what() gains psql's
  /// two lines showing where, "LINE 1: SELECT * FRM t" and a caret under FRM.
  void set_statement(std::string_view sql);
  /// The description, with the position's lines once set_statement() recorded a statement.
  const char* what() const noexcept override;

 private:
  ServerErrorInfo info_;
  // what() with the position's lines; shared, as copying an exception must not throw.
  std::shared_ptr<const std::string> what_with_position_;
};

/// psql's rendering of an error position (libpq's reportErrorPosition): the line of `statement`
/// holding character `position` (1-based, as the server counts), cut to about 60 characters
/// around it, and a caret under it: "LINE 2: WHERE x = ...\n              ^" (no final newline).
/// Every character counts as one column (libpq measures display widths). Empty when
/// `position` is 0.
std::string error_position_lines(std::string_view statement, std::size_t position);

/// Bad data: division by zero, numeric out of range, invalid text representation (SQLSTATE 22).
class DataError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// The database's operation failed: connection, resources, deadlock, cancel, shutdown.
class OperationalError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// A constraint was violated: unique, foreign key, not null, check (SQLSTATE 23).
class IntegrityError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// The database is in an inconsistent state, e.g. a command in an aborted transaction.
class InternalError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// A mistake in the SQL: syntax error, missing table, wrong number of parameters (SQLSTATE 42).
class ProgrammingError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};
/// A feature the database does not support (SQLSTATE 0A).
class NotSupportedError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

/// The server rolled the whole transaction back on its own: a deadlock (PostgreSQL 40P01,
/// MySQL 1213), a serialization failure (40001), a Galera certification conflict at COMMIT
/// (MariaDB reports it as 1213). Nothing of the transaction was applied and the connection is
/// usable: running the transaction again from its start is safe, which is what these errors
/// ask for. Not a TransactionOutcomeUnknown, whose outcome nobody knows.
class TransactionRollback : public OperationalError {
 public:
  using OperationalError::OperationalError;
};

/// A connection that was up broke (reset, closed by the server, terminated backend). The
/// connection is unusable; nothing was lost silently: the operation failed.
class ConnectionLost : public OperationalError {
 public:
  using OperationalError::OperationalError;
};
/// A connection could not be made: the host name did not resolve, nothing accepted the
/// connection, TLS failed, the server refused the session (bad password, unknown database:
/// its fields are in info()), or no server of a host list would do. No statement was sent.
/// what() starts with "could not connect to server". Not a ConnectionLost, which is for a
/// connection that was up.
class ConnectionFailed : public OperationalError {
 public:
  using OperationalError::OperationalError;
};
/// The connection broke while COMMIT was in flight: the server may or may not have committed,
/// and nothing the client saw can tell which. Callers that must know check the database
/// afterwards (e.g. for a row the transaction wrote); retrying blindly may apply it twice.
class TransactionOutcomeUnknown : public ConnectionLost {
 public:
  using ConnectionLost::ConnectionLost;
};
/// A query ran past its deadline. The server was asked to cancel it; the connection is still
/// usable if the cancel was confirmed in time, and discarded otherwise.
class QueryTimeout : public OperationalError {
 public:
  using OperationalError::OperationalError;
};

/// A result had more rows than the connection's max_result_rows allows. The rest of the rows
/// were read and dropped, so the connection stays usable; read such results with a stream.
class ResultTooLarge : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

/// A value did not fit the C++ type asked for: a column decoded as the wrong type, NULL read
/// into a non-optional, a value out of range or malformed, or a C++ value a parameter cannot
/// carry. One class for both backends (it was pg::TypeError and mysql::TypeError). An
/// InterfaceError, as the caller asked for a conversion the value does not allow; nothing
/// happened to the connection, which stays usable.
class TypeError : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

/// Throws TypeError("cannot decode <type_name> value: <why>"), as both backends' decoders do.
[[noreturn]] void throw_type_error(const char* type_name, std::string_view why);

/// Throws the DatabaseError subclass that `info.sqlstate` calls for.
[[noreturn]] void throw_server_error(ServerErrorInfo info);

}  // namespace tern
