// What the connection harnesses (pg_connection, mysql_handshake) share: a fake server that
// answers one connection with the fuzz input and hangs up, a private socket directory, and the
// rule that only typed errors (tern::Error and its subclasses) may escape an operation —
// anything else aborts the run.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/ring.hpp"

namespace tern::fuzz {

/// TERN_FUZZ_DEBUG=1 prints how each operation ended (for writing seeds).
inline bool debug = false;

/// Prints `what` for `during` when debugging.
inline void note(const char* during, const char* what) {
  if (debug) std::fprintf(stderr, "%s: %s\n", during, what);
}

/// Aborts (a finding): an exception that is not one of the typed errors.
[[noreturn]] inline void untyped(const std::exception& e, const char* during) {
  std::fprintf(stderr, "untyped exception during %s: %s: %s\n", during, typeid(e).name(), e.what());
  std::abort();
}

/// Whether `e` is a raw transport error of the runtime (ring::IoError, ring::TlsError). Those
/// are tern::Errors, but a connection must report a broken stream or handshake as
/// ConnectionLost, so one escaping an operation is a finding (as when they were outside the
/// tree). run_op() lets a TimeoutError through before asking.
inline bool raw_transport_error(const Error& e) {
  return dynamic_cast<const ring::IoError*>(&e) != nullptr ||
         dynamic_cast<const ring::TlsError*>(&e) != nullptr;
}

/// Notes a failed connect: a typed error ends the run quietly, anything else is a finding.
inline void connect_failed(const std::exception& e) {
  const auto* typed = dynamic_cast<const Error*>(&e);
  if (typed == nullptr || raw_transport_error(*typed)) untyped(e, "connect");
  note("connect", e.what());
}

/// Aborts (a finding) unless `ok`.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "broken invariant: %s\n", what);
    std::abort();
  }
}

/// A new private directory for the harness's Unix socket, `socket_name` inside it removed with
/// the directory at exit. Returns the directory.
inline std::string make_socket_dir(const char* prefix, std::string socket_name) {
  std::string dir = std::string("/tmp/") + prefix + ".XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  static std::string cleanup_dir;
  static std::string cleanup_socket;
  cleanup_dir = dir;
  cleanup_socket = dir + "/" + std::move(socket_name);
  std::atexit([] {
    ::unlink(cleanup_socket.c_str());
    ::rmdir(cleanup_dir.c_str());
  });
  return dir;
}

/// Sends `bytes` to the one connection of this run and hangs up; then waits for the client to
/// close its end (bounded, in case it never connected).
inline ring::Task<void> serve_once(ring::Listener& listener, std::string bytes) {
  using namespace std::chrono_literals;
  try {
    ring::Socket s = co_await listener.accept(ring::deadline_after(5s));
    co_await s.send_all(protocol::as_bytes(bytes), ring::deadline_after(5s));
    s.shutdown_write();
    std::vector<std::byte> sink(4096);
    while (co_await s.recv(sink, ring::deadline_after(5s)) > 0) {
    }
    co_await s.close();
  } catch (const ring::IoError&) {  // the client hung up first: fine
  }
}

/// Runs one operation of connection `c`; returns false once the connection is no longer
/// usable. Typed errors (tern::Error, values' TypeError included) end the operation, and a
/// lost or violated stream must leave `c` unusable; ring::TimeoutError is typed only for the
/// operation named in `timeouts_allowed_for`.
template <class Connection, class Op>
ring::Task<bool> run_op(Connection& c, const char* name, Op op,
                        std::string_view timeouts_allowed_for = {}) {
  try {
    co_await op();
    note(name, "ok");
  } catch (const ConnectionLost& e) {
    note(name, e.what());
    check(!c.is_usable(), "usable after ConnectionLost");
  } catch (const protocol::ProtocolError& e) {
    note(name, e.what());
    check(!c.is_usable(), "usable after ProtocolError");
  } catch (const ring::TimeoutError& e) {  // before Error, of which it is a subclass
    note(name, e.what());
    if (std::string_view(name) != timeouts_allowed_for) untyped(e, name);
  } catch (const Error& e) {
    if (raw_transport_error(e)) untyped(e, name);
    note(name, e.what());
  } catch (const std::exception& e) {
    untyped(e, name);
  }
  co_return c.is_usable();
}

}  // namespace tern::fuzz
