// Host name resolution that never blocks the loop: numeric addresses are parsed in place, names
// are looked up by c-ares, its sockets watched by the ring (no thread per lookup).
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
  sockaddr_storage addr{};  ///< the address
  socklen_t len = 0;        ///< its length
  /// "1.2.3.4:5432", "[::1]:5432" or the Unix path.
  std::string to_string() const;
  /// The address family (AF_INET, AF_INET6, AF_UNIX).
  int family() const noexcept { return addr.ss_family; }
};

/// Parses a numeric IPv4/IPv6 address; false if `host` is not one.
bool parse_numeric_host(const std::string& host, std::uint16_t port, Endpoint& out);

/// Resolves `host` for TCP with c-ares (/etc/hosts, then the DNS servers of /etc/resolv.conf,
/// or `servers` when given: c-ares's "host:port,..." list, e.g. "127.0.0.1:5353"), waiting on
/// the loop like any other I/O. Throws ResolveError (the resolver's own status and message)
/// when the name does not resolve, TimeoutError past `deadline`, CancelledError on stop; a
/// cancelled or timed-out lookup ends at once, its queries and sockets with it.
Task<std::vector<Endpoint>> resolve(Loop& loop, std::string host, std::uint16_t port,
                                    Deadline deadline = kNoDeadline, std::string servers = {});

}  // namespace tern::ring
