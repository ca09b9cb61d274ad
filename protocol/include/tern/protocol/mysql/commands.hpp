// Command phase requests (client → server): COM_QUERY, COM_PING, COM_QUIT, COM_INIT_DB,
// COM_RESET_CONNECTION, COM_SET_OPTION, COM_STMT_PREPARE, COM_STMT_CLOSE, COM_STMT_RESET.
// Every command starts a new exchange with sequence id 0; each encoder appends the framed
// packet(s) and returns the sequence id the server's first reply will carry.
// COM_STMT_EXECUTE is in statement.hpp.
// MariaDB: https://mariadb.com/kb/en/2-text-protocol/ and
//          https://mariadb.com/kb/en/3-binary-protocol-prepared-statements/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::mysql {

/// Command bytes.
namespace com {
inline constexpr std::uint8_t kQuit = 0x01,  ///< COM_QUIT: close the session
    kInitDb = 0x02,                          ///< COM_INIT_DB: change the default database
    kQuery = 0x03,                           ///< COM_QUERY: run SQL text (text protocol)
    kPing = 0x0e,                            ///< COM_PING
    kStmtPrepare = 0x16,                     ///< COM_STMT_PREPARE
    kStmtExecute = 0x17,                     ///< COM_STMT_EXECUTE (binary protocol)
    kStmtSendLongData = 0x18,                ///< COM_STMT_SEND_LONG_DATA
    kStmtClose = 0x19,                       ///< COM_STMT_CLOSE
    kStmtReset = 0x1a,                       ///< COM_STMT_RESET
    kSetOption = 0x1b,                       ///< COM_SET_OPTION
    kStmtFetch = 0x1c,                       ///< COM_STMT_FETCH (rows of a cursor)
    kResetConnection = 0x1f;                 ///< COM_RESET_CONNECTION
}  // namespace com

/// COM_QUERY: runs `sql` (several statements only with CLIENT_MULTI_STATEMENTS). Replies: OK,
/// ERR, a LOCAL INFILE request, or a text result set. Payloads of 16 MiB or more are split.
std::uint8_t write_com_query(std::string& out, std::string_view sql);

/// COM_PING. Reply: OK.
std::uint8_t write_com_ping(std::string& out);

/// COM_QUIT. No reply: the server closes the connection.
std::uint8_t write_com_quit(std::string& out);

/// COM_INIT_DB: switches the default database. Reply: OK or ERR.
std::uint8_t write_com_init_db(std::string& out, std::string_view database);

/// COM_RESET_CONNECTION: resets the session (variables, temporary tables, prepared statements,
/// transaction) without re-authenticating. Reply: OK or ERR.
std::uint8_t write_com_reset_connection(std::string& out);

/// COM_SET_OPTION: turns CLIENT_MULTI_STATEMENTS on (true) or off (false) for the session.
/// Reply: EOF (OK under DEPRECATE_EOF) or ERR.
std::uint8_t write_com_set_option(std::string& out, bool multi_statements);

/// COM_STMT_PREPARE: prepares one statement with '?' placeholders. Reply: ERR, or a
/// COM_STMT_PREPARE_OK (parse_prepare_ok) followed by the parameter and column definitions.
std::uint8_t write_com_stmt_prepare(std::string& out, std::string_view sql);

/// COM_STMT_CLOSE: deallocates a prepared statement. No reply.
std::uint8_t write_com_stmt_close(std::string& out, std::uint32_t statement_id);

/// COM_STMT_RESET: resets a statement's long data and closes its cursor. Reply: OK or ERR.
std::uint8_t write_com_stmt_reset(std::string& out, std::uint32_t statement_id);

}  // namespace tern::mysql
