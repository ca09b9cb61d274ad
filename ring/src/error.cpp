#include "tern/ring/error.hpp"

#include <cerrno>
#include <cstring>

namespace tern::ring {

IoError::IoError(int err, const std::string& what)
    : std::system_error(err, std::generic_category(), what) {}

TimeoutError::TimeoutError(const std::string& what)
    : IoError(ETIMEDOUT, what + ": deadline exceeded") {}

CancelledError::CancelledError(const std::string& what)
    : IoError(ECANCELED, what + ": cancelled") {}

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
