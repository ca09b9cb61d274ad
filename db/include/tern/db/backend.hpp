// The database layer's view of one connection, whatever the backend: run a statement with
// bound parameters, run transaction control, check health, reset, close. PostgreSQL and MySQL
// implement it over their protocol connections (pg_backend.cpp, mysql_backend.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tern/db/dialect.hpp"
#include "tern/db/result.hpp"
#include "tern/db/value.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern {

/// A NOTIFY received on a channel a connection LISTENs to (PostgreSQL; AioDatabase::aio_listen).
struct Notification {
  std::int32_t pid = 0;  ///< the notifying backend's process id
  std::string channel;   ///< the channel
  std::string payload;   ///< the payload ("" when none)
};

/// One open connection. Not thread-safe; one operation at a time (the pool and the
/// transaction scopes serialise access).
class BackendConnection {
 public:
  virtual ~BackendConnection() = default;
  /// Runs `sql` with `params` bound (prepared and cached per connection).
  virtual ring::Task<ResultSet> execute(std::string_view sql, std::span<const Value> params,
                                        ring::Deadline deadline) = 0;
  /// Starts `sql` as a row stream read `batch_rows` rows at a time with stream_next(); until it
  /// ends or stream_close() ran, the connection runs nothing else.
  virtual ring::Task<void> stream_open(std::string_view sql, std::span<const Value> params,
                                       std::uint32_t batch_rows, ring::Deadline deadline) = 0;
  /// Reads the next batch into `batch`; false once the stream has ended (`batch` then holds
  /// the last rows, maybe none).
  virtual ring::Task<bool> stream_next(ResultSet& batch, ring::Deadline deadline) = 0;
  /// Ends the open stream early; does nothing without one.
  virtual ring::Task<void> stream_close(ring::Deadline deadline) = 0;
  /// True while a stream is open.
  virtual bool streaming() const noexcept = 0;
  /// Loads `rows` (each one value per column) into `table`'s `columns` (empty: all of them, in
  /// table order), all or nothing, and returns how many were loaded. This default runs
  /// prepared multi-row INSERTs, chunked under the placeholder and packet limits, inside a
  /// transaction unless one is open (MySQL, SQLite); PostgreSQL overrides it with binary COPY.
  virtual ring::Task<std::uint64_t> copy_in(std::string_view table,
                                            std::span<const std::string> columns,
                                            std::span<const Params> rows, ring::Deadline deadline);
  /// Runs a parameterless control statement (BEGIN, COMMIT, SAVEPOINT x, SET ...).
  virtual ring::Task<void> run(std::string_view sql, ring::Deadline deadline) = 0;
  /// Returns the session to a clean state between borrowers: ends an abandoned stream and
  /// rolls back an open transaction.
  virtual ring::Task<void> reset(ring::Deadline deadline) = 0;
  /// A round trip that proves the server answers.
  virtual ring::Task<void> ping(ring::Deadline deadline) = 0;
  /// Closes politely; never throws.
  virtual ring::Task<void> close() = 0;
  /// False once broken (lost stream, protocol violation, failed drain) or closed.
  virtual bool is_usable() const noexcept = 0;
  /// For an idle connection: false when the server hung up or spoke meanwhile (cheap check).
  virtual bool looks_alive() const noexcept = 0;
  /// True while a transaction is open on the session.
  virtual bool in_transaction() const noexcept = 0;
  /// The backend.
  virtual Dialect dialect() const noexcept = 0;
  /// The host (or Unix socket directory) this connection reached, for tracing
  /// (server.address); empty when unknown.
  virtual std::string_view server_address() const noexcept { return {}; }
  /// The port this connection reached (server.port); 0 when unknown.
  virtual std::uint16_t server_port() const noexcept { return 0; }
  /// True when execute() may be called by several tasks at once (implicit pipelining): each
  /// call's statement is sent in call order and answered in that order, and a failing,
  /// timed-out or cancelled call fails only itself. Everything else stays one at a time.
  virtual bool pipelines() const noexcept { return false; }
  /// Waits for the next notification on a channel this connection LISTENs to (LISTEN is sent
  /// with run()); a cancelled or timed-out wait leaves the connection usable. PostgreSQL only:
  /// the others throw NotSupportedError.
  virtual ring::Task<Notification> next_notification(ring::Deadline deadline);
};

}  // namespace tern
