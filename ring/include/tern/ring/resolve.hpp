// Host name resolution that never blocks the loop: numeric addresses are parsed in place, names
// go to getaddrinfo on a helper thread whose answer is posted back to the loop.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// One socket address (IPv4, IPv6 or Unix).
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  /// "1.2.3.4:5432", "[::1]:5432" or the Unix path.
  std::string to_string() const;
  /// The address family (AF_INET, AF_INET6, AF_UNIX).
  int family() const noexcept { return addr.ss_family; }
};

/// Parses a numeric IPv4/IPv6 address; false if `host` is not one.
bool parse_numeric_host(const std::string& host, std::uint16_t port, Endpoint& out);

/// Resolves `host` for TCP. Throws ResolveError (the resolver's own code and message) when the
/// name does not resolve, TimeoutError past `deadline`, CancelledError on stop. A cancelled or
/// timed-out lookup returns at once; its helper thread finishes in the background.
Task<std::vector<Endpoint>> resolve(Loop& loop, std::string host, std::uint16_t port,
                                    Deadline deadline = kNoDeadline);

}  // namespace tern::ring
