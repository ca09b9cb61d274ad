// Frontend (client → server) messages of PostgreSQL protocol 3.0, appended to a send buffer.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg::frontend {

/// Protocol version 3.0 as sent in StartupMessage.
inline constexpr std::int32_t kProtocolVersion = 3 << 16;
/// The codes that take the protocol version's place in SSLRequest and CancelRequest (which,
/// like StartupMessage, have no tag byte).
inline constexpr std::int32_t kSslRequestCode = (1234 << 16) | 5679;
inline constexpr std::int32_t kCancelRequestCode = (1234 << 16) | 5678;  ///< CancelRequest's code

// Message tags: the type byte that starts every frontend message after start-up, named as the
// protocol documentation's "Message Formats" section names the messages.
inline constexpr char kBind = 'B';          ///< Bind
inline constexpr char kClose = 'C';         ///< Close
inline constexpr char kCopyData = 'd';      ///< CopyData
inline constexpr char kCopyDone = 'c';      ///< CopyDone
inline constexpr char kCopyFail = 'f';      ///< CopyFail
inline constexpr char kDescribe = 'D';      ///< Describe
inline constexpr char kExecute = 'E';       ///< Execute
inline constexpr char kFlush = 'H';         ///< Flush
inline constexpr char kFunctionCall = 'F';  ///< FunctionCall
inline constexpr char kParse = 'P';         ///< Parse
/// PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share it.
inline constexpr char kPasswordMessage = 'p';
inline constexpr char kQuery = 'Q';      ///< Query
inline constexpr char kSync = 'S';       ///< Sync
inline constexpr char kTerminate = 'X';  ///< Terminate

// What a Describe or Close names.
inline constexpr char kStatement = 'S';  ///< a prepared statement
inline constexpr char kPortal = 'P';     ///< a portal

/// StartupMessage with name/value parameters (user, database, application_name, options, ...).
void startup(std::string& out,
             std::span<const std::pair<std::string_view, std::string_view>> params);
/// SSLRequest: asks to switch to TLS before the StartupMessage.
void ssl_request(std::string& out);
/// CancelRequest, sent on a fresh connection to cancel the query of backend `pid`.
void cancel_request(std::string& out, std::int32_t pid, std::int32_t secret);
/// PasswordMessage (cleartext or MD5 hash).
void password(std::string& out, std::string_view password);
/// SASLInitialResponse.
void sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data);
/// SASLResponse.
void sasl_response(std::string& out, std::string_view data);

/// Query (simple protocol); may hold several statements separated by ';'.
void query(std::string& out, std::string_view sql);
/// Parse: prepares `sql` as statement `name` ("" = unnamed) with the given parameter OIDs.
void parse(std::string& out, std::string_view name, std::string_view sql,
           std::span<const Oid> param_types);

/// Bind of `statement` into `portal`: parameter formats, `param_count` values already encoded
/// back to back in `values` (each an int32 length, -1 for NULL, then the bytes; see
/// encode_param), and result column formats (empty = all text, one = for all columns).
void bind(std::string& out, std::string_view portal, std::string_view statement,
          std::span<const Format> param_formats, std::size_t param_count, std::string_view values,
          std::span<const Format> result_formats);

/// Describe of a statement (kind kStatement) or portal (kPortal).
void describe(std::string& out, char kind, std::string_view name);
/// Execute: runs `portal`, returning at most `max_rows` rows (0 = all).
void execute(std::string& out, std::string_view portal, std::int32_t max_rows = 0);
/// Close of a statement (kind kStatement) or portal (kPortal).
void close(std::string& out, char kind, std::string_view name);
/// Sync: ends an extended-query batch; the server answers ReadyForQuery.
void sync(std::string& out);
/// Flush: asks the server to send what it has buffered.
void flush(std::string& out);
/// Terminate: polite goodbye before closing the socket.
void terminate(std::string& out);

/// CopyData (COPY FROM STDIN payload).
void copy_data(std::string& out, std::string_view data);
/// CopyDone.
void copy_done(std::string& out);
/// CopyFail with a reason the server reports back in its error.
void copy_fail(std::string& out, std::string_view reason);

}  // namespace tern::pg::frontend
