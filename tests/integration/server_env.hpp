// Where the integration suites find their servers: the TERN_* variables that tests/servers
// exports. A missing variable is a test failure, never a skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace tern::testing {

/// The value of environment variable `name`; throws (failing the test) when it is unset.
inline std::string server_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the integration tests through `meson test` or "
                             "`tests/servers exec -- ...`");
  }
  return value;
}

/// server_env() parsed as a TCP port.
inline std::uint16_t server_port(const char* name) {
  return static_cast<std::uint16_t>(std::stoul(server_env(name)));
}

}  // namespace tern::testing
