// Client-side protocol errors: what a codec reports when the bytes it is given break the protocol.
#pragma once

#include <string>
#include <system_error>

#include "tern/protocol/exceptions.hpp"

namespace tern::protocol {

/// Why a codec rejected its input.
enum class ProtocolErrc {
  kTruncated = 1,      ///< a message ends before a field it announces
  kBadLength,          ///< a length field is negative, too small or over the cap
  kUnexpectedMessage,  ///< a message type that is not valid in the current state
  kBadValue,           ///< a field's content is not valid for its type
  kUnsupported,        ///< a valid protocol feature tern does not implement
  kAuthentication,     ///< the server's authentication exchange failed verification
};

/// The std::error_category of ProtocolErrc.
const std::error_category& protocol_category() noexcept;

/// Makes an error_code from a ProtocolErrc.
inline std::error_code make_error_code(ProtocolErrc e) noexcept {
  return {static_cast<int>(e), protocol_category()};
}

/// Thrown when bytes from the server break the protocol. The connection that produced them is
/// no longer trustworthy and must be discarded. code() is the ProtocolErrc.
///
/// An OperationalError because that is DB-API's class for an operation that failed through no
/// fault of the SQL ("unexpected disconnect, ... lost sync" in PEP 249): the exchange lost
/// sync and the connection is gone, as with ConnectionLost, so one `catch (OperationalError&)`
/// covers every way a connection dies. It is not a ConnectionLost: the stream did not break,
/// the server's bytes were wrong, which is worth telling apart when reporting a bug.
class ProtocolError : public OperationalError {
 public:
  /// An error of kind `code` with a description of what was wrong; what() is
  /// "<what>: <code's message>", as when ProtocolError was a std::system_error.
  ProtocolError(ProtocolErrc code, const std::string& what)
      : OperationalError(make_error_code(code), what + ": " + make_error_code(code).message()) {}
};

}  // namespace tern::protocol

template <>
struct std::is_error_code_enum<tern::protocol::ProtocolErrc> : std::true_type {};
