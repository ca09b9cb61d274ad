// Errors raised by the io_uring runtime.
//
// Every failure of a ring operation surfaces as an exception derived from IoError (itself a
// std::system_error carrying the errno), so callers can catch the family or a specific case.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace tern::ring {

/// A failed I/O operation; code() holds the errno the kernel reported.
class IoError : public std::system_error {
 public:
  /// Builds the error from a positive errno value and a description of the operation.
  IoError(int err, const std::string& what);
};

/// The operation's deadline passed before it completed (errno ETIMEDOUT).
class TimeoutError : public IoError {
 public:
  /// `what` names the operation that timed out.
  explicit TimeoutError(const std::string& what);
};

/// The operation was cancelled through the task's stop token (errno ECANCELED).
class CancelledError : public IoError {
 public:
  /// `what` names the operation that was cancelled.
  explicit CancelledError(const std::string& what);
};

/// io_uring could not be set up on this machine (old kernel, sysctl, seccomp, limits).
class RingUnavailable : public IoError {
 public:
  /// `err` is the errno of io_uring_setup; the message explains the likely causes.
  explicit RingUnavailable(int err);
};

/// A TLS failure: handshake, certificate verification or a corrupt record.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws the IoError subclass matching a negative io_uring result `res` for operation `what`.
[[noreturn]] void throw_io_error(int res, const char* what);

}  // namespace tern::ring
