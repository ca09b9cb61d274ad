// Client-side errors of the MySQL/MariaDB codec: misuse of the API or a request the client
// refuses to honour (as opposed to ProtocolError, which means the server's bytes are invalid).
// Protocol: https://mariadb.com/kb/en/clientserver-protocol/ and
// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
#pragma once

#include <string>
#include <system_error>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

/// Why the client refused to do something (see ClientError).
enum class ClientErrc {
  kParamCountMismatch = 1,  ///< COM_STMT_EXECUTE with a different number of parameters
  kLocalInfileRefused,      ///< the server asked for a LOCAL INFILE and the client said no
  kInsecureCleartext,       ///< a cleartext password would be sent without TLS
  kUnknownAuthPlugin,       ///< the server asked for an authentication plugin tern lacks
  kTlsUnavailable,          ///< TLS is required but the server does not offer CLIENT_SSL
  kServerTooOld,            ///< the server lacks CLIENT_PROTOCOL_41 / SECURE_CONNECTION
  kInvalidValue,            ///< a value the protocol cannot carry (too long, embedded NUL)
};

/// The std::error_category of ClientErrc ("tern.mysql.client").
const std::error_category& client_category() noexcept;

/// Makes an error_code from a ClientErrc.
inline std::error_code make_error_code(ClientErrc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

/// Thrown when the client refuses a request or the API is misused. The connection's state is
/// unaffected by the refused operation unless the documentation of the thrower says otherwise.
/// code() (tern::Error's) is the ClientErrc, category client_category().
class ClientError : public InterfaceError {
 public:
  /// An error of kind `code`; what() is `what`.
  ClientError(ClientErrc code, const std::string& what)
      : InterfaceError(make_error_code(code), what) {}
};

}  // namespace tern::mysql

template <>
struct std::is_error_code_enum<tern::mysql::ClientErrc> : std::true_type {};
