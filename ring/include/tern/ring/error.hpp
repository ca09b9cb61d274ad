// tern::Error, the root of every exception tern throws, and the errors raised by the io_uring
// runtime.
//
// The root lives here, in the lowest layer, because the runtime's own errors must derive from
// it and a layer sees only its own and lower layers' headers. The rest of the tree (peewee's
// DatabaseError, OperationalError, ... ProtocolError, TypeError) is in
// tern/protocol/exceptions.hpp. One root means one `catch (const tern::Error&)` handles every
// failure tern reports — except a cancellation, which is deliberately outside the tree (see
// CancelledError).
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tern {

/// The root of every error tern throws: the runtime's I/O errors, protocol violations, server
/// errors, misuse of the API. Not ring::CancelledError, which must unwind the cancelled task.
class Error : public std::runtime_error {
 public:
  /// An error with only a description; code() is empty.
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  /// An error with only a description; code() is empty.
  explicit Error(const char* what) : std::runtime_error(what) {}
  /// An error with a machine-readable code; what() is `what` as given.
  Error(std::error_code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  /// The error's code when it has one (an errno for ring::IoError, a ProtocolErrc for
  /// ProtocolError, a ClientErrc for mysql::ClientError); empty (`!code()`) otherwise. Server
  /// errors keep their SQLSTATE and error number in DatabaseError::info() instead.
  const std::error_code& code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

}  // namespace tern

namespace tern::ring {

/// A failed I/O operation; code() holds the errno the kernel reported (generic category).
/// what() is "<what>: <strerror>", as std::system_error words it.
class IoError : public Error {
 public:
  /// Builds the error from a positive errno value and a description of the operation.
  IoError(int err, const std::string& what);

 protected:
  /// For subclasses whose codes are not errno values: what() is `what` as given.
  IoError(std::error_code code, const std::string& what) : Error(code, what) {}
};

/// A host name did not resolve. code() is the resolver's own status (c-ares's ARES_* values,
/// in resolver_category()), not an errno; what() is libpq's wording, `could not translate host
/// name "<host>" to address: <the resolver's message>`.
class ResolveError : public IoError {
 public:
  /// `status` is c-ares's status for the lookup of `host`.
  ResolveError(int status, const std::string& host);
};

/// The error category of the resolver's (c-ares's) statuses; message() is ares_strerror's.
const std::error_category& resolver_category() noexcept;

/// The operation's deadline passed before it completed (errno ETIMEDOUT).
class TimeoutError : public IoError {
 public:
  /// `what` names the operation that timed out.
  explicit TimeoutError(const std::string& what);
};

/// io_uring could not be set up on this machine (old kernel, sysctl, seccomp, limits).
class RingUnavailable : public IoError {
 public:
  /// `err` is the errno of io_uring_setup; the message explains the likely causes.
  explicit RingUnavailable(int err);
};

/// A TLS failure: handshake, certificate verification or a corrupt record.
class TlsError : public Error {
 public:
  using Error::Error;
};

/// The operation was cancelled through the task's stop token. Deliberately NOT a tern::Error
/// (nor a std::system_error or std::runtime_error): a `catch (const tern::Error&)` in a retry
/// or recovery block must never swallow a cancellation, the task has to unwind — the reason
/// Python 3.8 moved asyncio.CancelledError out of Exception into BaseException. Catch it by
/// name where a cancellation needs handling (clean-up, then rethrow).
class CancelledError : public std::exception {
 public:
  /// `what` names the operation that was cancelled; what() is "<what>: cancelled".
  explicit CancelledError(const std::string& what);
  /// "<operation>: cancelled".
  const char* what() const noexcept override;
  /// Always ECANCELED (generic category), for code that logs codes uniformly.
  std::error_code code() const noexcept;

 private:
  // A std::runtime_error holds the text: its copy constructor cannot throw, as an exception's
  // must not (std::string's could).
  std::runtime_error what_;
};

/// Throws the IoError subclass matching a negative io_uring result `res` for operation `what`
/// (CancelledError for ECANCELED/EINTR, which is not an IoError).
[[noreturn]] void throw_io_error(int res, const char* what);

}  // namespace tern::ring
