// Backend (server → client) messages of PostgreSQL protocol 3.0: framing and parsers.
// Parsers return views into the message body (zero copy) and check every length against it.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg::backend {

// Message tags: the type byte that starts every backend message, named as the protocol
// documentation's "Message Formats" section names the messages.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
inline constexpr char kAuthentication = 'R';    ///< AuthenticationOk, ...SASL, ...MD5Password etc.
inline constexpr char kBackendKeyData = 'K';    ///< BackendKeyData
inline constexpr char kBindComplete = '2';      ///< BindComplete
inline constexpr char kCloseComplete = '3';     ///< CloseComplete
inline constexpr char kCommandComplete = 'C';   ///< CommandComplete
inline constexpr char kCopyBothResponse = 'W';  ///< CopyBothResponse
inline constexpr char kCopyData = 'd';          ///< CopyData
inline constexpr char kCopyDone = 'c';          ///< CopyDone
inline constexpr char kCopyInResponse = 'G';    ///< CopyInResponse
inline constexpr char kCopyOutResponse = 'H';   ///< CopyOutResponse
inline constexpr char kDataRow = 'D';           ///< DataRow
inline constexpr char kEmptyQueryResponse = 'I';        ///< EmptyQueryResponse
inline constexpr char kErrorResponse = 'E';             ///< ErrorResponse
inline constexpr char kFunctionCallResponse = 'V';      ///< FunctionCallResponse
inline constexpr char kNegotiateProtocolVersion = 'v';  ///< NegotiateProtocolVersion
inline constexpr char kNoData = 'n';                    ///< NoData
inline constexpr char kNoticeResponse = 'N';            ///< NoticeResponse
inline constexpr char kNotificationResponse = 'A';      ///< NotificationResponse
inline constexpr char kParameterDescription = 't';      ///< ParameterDescription
inline constexpr char kParameterStatus = 'S';           ///< ParameterStatus
inline constexpr char kParseComplete = '1';             ///< ParseComplete
inline constexpr char kPortalSuspended = 's';           ///< PortalSuspended
inline constexpr char kReadyForQuery = 'Z';             ///< ReadyForQuery
inline constexpr char kRowDescription = 'T';            ///< RowDescription

// The one-byte answers to SSLRequest, which are not framed messages.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-SSL
inline constexpr char kSslAccepted = 'S';  ///< the server goes on with a TLS handshake
inline constexpr char kSslRefused = 'N';   ///< the server goes on without TLS

/// Field codes of ErrorResponse and NoticeResponse bodies.
/// https://www.postgresql.org/docs/15/protocol-error-fields.html
namespace error_field {
inline constexpr char kSeverityLocalized = 'S';  ///< Severity, localised
inline constexpr char kSeverity = 'V';           ///< Severity, never localised (9.6+)
inline constexpr char kSqlstate = 'C';           ///< SQLSTATE code
inline constexpr char kMessage = 'M';            ///< Message: the primary human-readable text
inline constexpr char kDetail = 'D';             ///< Detail
inline constexpr char kHint = 'H';               ///< Hint
inline constexpr char kPosition = 'P';           ///< Position: 1-based, in characters
inline constexpr char kInternalPosition = 'p';   ///< Internal position: into internal_query
inline constexpr char kInternalQuery = 'q';      ///< Internal query: a generated command's text
inline constexpr char kWhere = 'W';              ///< Where: the context (call stack) of the error
inline constexpr char kSchema = 's';             ///< Schema name
inline constexpr char kTable = 't';              ///< Table name
inline constexpr char kColumn = 'c';             ///< Column name
inline constexpr char kDataType = 'd';           ///< Data type name
inline constexpr char kConstraint = 'n';         ///< Constraint name
inline constexpr char kFile = 'F';               ///< File: the server source file
inline constexpr char kLine = 'L';               ///< Line: in that source file
inline constexpr char kRoutine = 'R';            ///< Routine: the server source routine
}  // namespace error_field

/// One framed message: its type byte (one of the tags above) and its body (without type and
/// length).
struct Message {
  char type = 0;  ///< the tag
  Bytes body;     ///< the body, a view into the receive buffer
};

/// Default cap on one message's length (DataRow of a huge bytea, say): 64 MiB, well under the
/// server's 1 GiB, so that a corrupt or hostile length cannot make the client allocate a GiB
/// (ConnectOptions::max_message_size raises it).
inline constexpr std::size_t kDefaultMaxMessage = std::size_t{64} << 20;

namespace detail {
[[noreturn, gnu::cold]] void throw_bad_length(Bytes data, std::int32_t len);

// The full size (header included) of the message whose header starts `data` (5 bytes at
// least). Inline, with the throw out of line: it runs for every message received.
inline std::size_t checked_total(Bytes data, std::size_t max_message) {
  std::uint32_t v = 0;
  std::memcpy(&v, data.data() + 1, 4);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  const auto len = static_cast<std::int32_t>(v);
  if (len < 4 || static_cast<std::size_t>(len) > max_message) [[unlikely]] {
    throw_bad_length(data, len);
  }
  return static_cast<std::size_t>(len) + 1;
}
}  // namespace detail

/// Frames the next message at the front of `data`. Returns it and sets `consumed` to its full
/// size when complete; returns nullopt (consumed = 0) when more bytes are needed. Throws
/// ProtocolError(kBadLength) on a length under 4 or over `max_message`.
inline std::optional<Message> frame(Bytes data, std::size_t& consumed,
                                    std::size_t max_message = kDefaultMaxMessage) {
  consumed = 0;
  if (data.size() < 5) return std::nullopt;
  const std::size_t total = detail::checked_total(data, max_message);
  if (data.size() < total) return std::nullopt;
  consumed = total;
  return Message{static_cast<char>(data[0]), data.subspan(5, total - 5)};
}

/// How many bytes the message at the front of `data` needs in all (header included), or 5 when
/// not even its header is there. Lets the reader grow its buffer once for a huge message.
/// Throws as frame() does for a length it would reject: the buffer must never grow for one
/// (a leftover header announcing 2 GiB made the reader allocate 2 GiB past the cap).
inline std::size_t frame_size(Bytes data, std::size_t max_message = kDefaultMaxMessage) {
  if (data.size() < 5) return 5;
  return detail::checked_total(data, max_message);
}

/// Authentication request codes (kAuthentication messages).
enum class AuthCode : std::int32_t {
  kOk = 0,
  kKerberosV5 = 2,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kGss = 7,
  kGssContinue = 8,
  kSspi = 9,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

/// An Authentication message: the request code and what follows it.
struct Authentication {
  AuthCode code = AuthCode::kOk;  ///< what the server asks for
  Bytes data;                     ///< the rest of the message (salt, SASL data...)
};
/// Parses an Authentication message.
Authentication parse_authentication(Bytes body);
/// The mechanism names of an AuthenticationSASL request.
std::vector<std::string_view> parse_sasl_mechanisms(Bytes data);
/// A readable name for an authentication code ("GSSAPI", "SSPI", ...), for error texts.
const char* auth_code_name(AuthCode code);

/// ParameterStatus.
struct ParameterStatus {
  std::string_view name;   ///< the parameter, e.g. "TimeZone"
  std::string_view value;  ///< its current value
};
/// Parses a ParameterStatus; throws ProtocolError.
ParameterStatus parse_parameter_status(Bytes body);

/// BackendKeyData: what a CancelRequest needs.
struct BackendKeyData {
  std::int32_t pid = 0;     ///< the backend process id
  std::int32_t secret = 0;  ///< the cancel key
};
/// Parses a BackendKeyData; throws ProtocolError.
BackendKeyData parse_backend_key_data(Bytes body);

/// Transaction status reported by ReadyForQuery.
enum class TransactionStatus : char { kIdle = 'I', kInTransaction = 'T', kFailed = 'E' };
/// Parses a ReadyForQuery; throws ProtocolError.
TransactionStatus parse_ready_for_query(Bytes body);

/// ErrorResponse / NoticeResponse as an owned ServerErrorInfo (it outlives the
/// receive buffer: it travels in an exception).
ServerErrorInfo parse_error_fields(Bytes body);

/// One column of a RowDescription.
struct Column {
  std::string name;                ///< the column label
  Oid table_oid = 0;               ///< the table, or 0 for an expression
  std::int16_t table_column = 0;   ///< the column's attribute number, or 0
  Oid type = 0;                    ///< the data type's OID
  std::int16_t type_size = 0;      ///< pg_type.typlen (negative: variable width)
  std::int32_t type_modifier = 0;  ///< pg_attribute.atttypmod (e.g. a varchar length)
  Format format = Format::kText;   ///< the format of its values
};
/// Parses a RowDescription into `out` (cleared first; kept by the statement cache).
void parse_row_description(Bytes body, std::vector<Column>& out);

/// A DataRow view: the values stay in the receive buffer.
class DataRow {
 public:
  /// Checks the row's framing against `expected_columns`; throws ProtocolError.
  DataRow(Bytes body, std::size_t expected_columns);
  /// Number of values.
  std::size_t size() const noexcept { return count_; }
  /// The i-th value, or nullopt for NULL. Walks the row: O(i).
  std::optional<Bytes> value(std::size_t i) const { return value_at(body_, i); }
  /// The i-th value of a row body that a DataRow already validated (no re-validation).
  static std::optional<Bytes> value_at(Bytes validated_body, std::size_t i);

 private:
  Bytes body_;
  std::size_t count_;
};

/// CommandComplete: the command tag, e.g. "INSERT 0 5" or "SELECT 3".
std::string_view parse_command_complete(Bytes body);
/// The row count at the end of a command tag, or nullopt for tags without one ("CREATE TABLE").
std::optional<std::uint64_t> rows_in_tag(std::string_view tag);

/// ParameterDescription: the parameter type OIDs of a prepared statement.
void parse_parameter_description(Bytes body, std::vector<Oid>& out);

/// NotificationResponse.
struct Notification {
  std::int32_t pid = 0;      ///< the notifying backend
  std::string_view channel;  ///< the channel
  std::string_view payload;  ///< the payload ("" when none)
};
/// Parses a NotificationResponse; throws ProtocolError.
Notification parse_notification(Bytes body);

/// CopyInResponse, CopyOutResponse and CopyBothResponse.
struct CopyResponse {
  Format format = Format::kText;       ///< the overall format
  std::vector<Format> column_formats;  ///< one per column
};
/// Parses a Copy{In,Out,Both}Response; throws ProtocolError.
CopyResponse parse_copy_response(Bytes body);

/// NegotiateProtocolVersion.
struct NegotiateProtocolVersion {
  std::int32_t newest_minor = 0;  ///< the newest minor protocol version the server supports
  std::vector<std::string_view> unrecognized_options;  ///< startup options it did not recognise
};
/// Parses a NegotiateProtocolVersion; throws ProtocolError.
NegotiateProtocolVersion parse_negotiate_protocol_version(Bytes body);

/// Throws ProtocolError(kUnexpectedMessage): a message of `type` cannot come `during` this
/// exchange ("start-up", "Execute"...).
[[noreturn]] void throw_unexpected(char type, const char* during);

/// Throws ProtocolError(kBadLength) unless the body is empty (ParseComplete, BindComplete,
/// CloseComplete, NoData, PortalSuspended, EmptyQueryResponse, CopyDone).
void expect_empty(const Message& message);

}  // namespace tern::pg::backend
