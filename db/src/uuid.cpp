// uuid4(): the OS's random bytes with the RFC 4122 version and variant bits set.
#include "tern/db/uuid.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "tern/protocol/exceptions.hpp"

namespace tern {

Uuid uuid4() {
  Uuid u;
  std::size_t got = 0;
  while (got < u.bytes.size()) {
    const ssize_t n = ::getrandom(u.bytes.data() + got, u.bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InterfaceError(std::string("uuid4: getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x40);  // version 4
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);  // variant 10xx
  return u;
}

}  // namespace tern
