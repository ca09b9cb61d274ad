#include "tern/ring/error.hpp"

#include <cerrno>
#include <cstring>

namespace tern::ring {

namespace {

// The errno's code and what() worded as std::system_error does ("what: strerror"), which
// IoError was until it joined the tern::Error tree: messages and logs stay the same.
std::error_code errno_code(int err) {
  return {err, std::generic_category()};
}
std::string with_reason(const std::string& what, int err) {
  return what + ": " + errno_code(err).message();
}

}  // namespace

IoError::IoError(int err, const std::string& what)
    : Error(errno_code(err), with_reason(what, err)) {}

TimeoutError::TimeoutError(const std::string& what)
    : IoError(ETIMEDOUT, what + ": deadline exceeded") {}

CancelledError::CancelledError(const std::string& what)
    : what_(with_reason(what + ": cancelled", ECANCELED)) {}

const char* CancelledError::what() const noexcept {
  return what_.what();
}

std::error_code CancelledError::code() const noexcept {
  return errno_code(ECANCELED);
}

RingUnavailable::RingUnavailable(int err)
    : IoError(err,
              "io_uring is unavailable: io_uring_setup failed. Causes: a kernel older than 5.19, "
              "io_uring disabled by the sysctl kernel.io_uring_disabled, a seccomp filter "
              "(containers often block it), or RLIMIT_MEMLOCK too low on old kernels") {}

void throw_io_error(int res, const char* what) {
  const int err = -res;
  if (err == ETIME || err == ETIMEDOUT) throw TimeoutError(what);
  if (err == ECANCELED || err == EINTR) throw CancelledError(what);
  throw IoError(err, what);
}

}  // namespace tern::ring
