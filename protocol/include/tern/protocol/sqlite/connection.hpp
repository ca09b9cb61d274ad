// sqlite::Connection: one SQLite database handle (Debian's libsqlite3) driven from a loop.
//
// SQLite's calls block (on disk I/O, on another connection's lock for up to busy_timeout), so
// each Connection owns a WorkerThread (tern/ring/worker.hpp) and every call on the handle runs
// there: a connection is never used by two threads at once, and the loop never blocks. The
// coroutine awaiting a call resumes on its loop once the call returned, through the loop's
// eventfd. One call at a time per connection (as every BackendConnection).
//
// Opening applies the same settings to every connection (peewee-async applies none):
// PRAGMA foreign_keys = ON, busy_timeout, journal_mode = WAL and synchronous = NORMAL for file
// databases, then the caller's pragmas. ":memory:" is one in-memory database shared by every
// connection opened with the same `memory_name` (SQLite's memdb VFS), so a pool of several
// connections sees one database; it lives while one of them is open.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/protocol/sqlite/result.hpp"
#include "tern/protocol/values.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::sqlite {

/// How to open a database and set up each connection.
struct OpenOptions {
  /// A file path (created when missing), ":memory:", or a "file:" URI.
  std::string path;
  /// For ":memory:": the name that makes connections share one in-memory database; empty =
  /// a database of this connection alone.
  std::string memory_name{};
  /// How long a statement waits for another connection's lock before SQLITE_BUSY
  /// (OperationalError).
  std::chrono::milliseconds busy_timeout{5'000};
  /// PRAGMA foreign_keys (off in SQLite's default and in peewee-async; on here).
  bool foreign_keys = true;
  /// File databases: PRAGMA journal_mode = WAL (readers do not block the writer) with
  /// synchronous = NORMAL.
  bool wal = true;
  /// Open read-only.
  bool read_only = false;
  /// More pragmas, run in order after the above: {"cache_size", "-20000"} runs
  /// "PRAGMA cache_size = -20000".
  std::vector<std::pair<std::string, std::string>> pragmas{};
  /// Prepared statements kept per connection (by SQL text).
  std::size_t statement_cache_size = 128;
};

/// A parameter as SQLite binds it: NULL, INTEGER, REAL, TEXT or BLOB.
struct Param {
  StorageClass type = StorageClass::kNull;  ///< how it binds
  std::int64_t integer = 0;                 ///< kInteger
  double real = 0;                          ///< kReal
  std::string_view bytes{};                 ///< kText / kBlob (see Params)
};

/// A statement's parameters in placeholder order. Text and blobs are views: of the caller's
/// values (add_text, add_blob), which must outlive the call, or of text the Params keeps
/// (add_owned_text). Cleared and reused from one statement to the next.
class Params {
 public:
  /// Drops the parameters (keeps the capacity).
  void clear() noexcept {
    items_.clear();
    owned_.clear();
  }
  /// NULL.
  void add_null() { items_.push_back({}); }
  /// INTEGER.
  void add_integer(std::int64_t v) {
    items_.push_back({.type = StorageClass::kInteger, .integer = v});
  }
  /// REAL.
  void add_real(double v) { items_.push_back({.type = StorageClass::kReal, .real = v}); }
  /// TEXT, viewed.
  void add_text(std::string_view v) { items_.push_back({.type = StorageClass::kText, .bytes = v}); }
  /// BLOB, viewed.
  void add_blob(std::string_view v) { items_.push_back({.type = StorageClass::kBlob, .bytes = v}); }
  /// TEXT, copied into the Params (for text made from another type).
  void add_owned_text(std::string v);
  /// The parameters; owned text is resolved to views into the Params.
  const std::vector<Param>& items() const noexcept { return items_; }
  /// Number of parameters.
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<Param> items_;
  // Owned texts: a deque keeps its elements in place as more are added, so views stay valid.
  std::deque<std::string> owned_;
};

/// One SQLite connection with its worker thread. Movable; not thread-safe (one loop).
class Connection {
 public:
  /// Opens `options.path` on a new worker thread and applies the settings. Throws
  /// ConnectionFailed (cannot open, or a pragma failed).
  static ring::Task<Connection> open(ring::Loop& loop, OpenOptions options);

  /// Takes the handle; `other` is left closed.
  Connection(Connection&& other) noexcept;
  /// Takes the handle; the one held before is closed.
  Connection& operator=(Connection&& other) noexcept;
  /// Closes the handle when still open (on this thread: no call is in flight).
  ~Connection();

  /// Runs one statement with `params` bound and returns all its rows (prepared once per SQL
  /// text and cached). A statement still running at `deadline` is interrupted: QueryTimeout.
  /// A stop request on the awaiting task interrupts it too (sqlite3_interrupt): the task gets
  /// ring::CancelledError and the connection stays usable. When SQLite rolls an open
  /// transaction back on such an error, the calls that follow fail with TransactionRollback
  /// until exec("ROLLBACK"), and in_transaction() stays true until then.
  /// Errors: IntegrityError (constraints), ProgrammingError (SQL errors, missing tables, more
  /// than one statement), OperationalError (busy, locked, I/O), DataError (too big, mismatch).
  ring::Task<Result> execute(std::string_view sql, const Params& params, ring::Deadline deadline);
  /// Runs `sql`, which may hold several statements, without parameters or rows (BEGIN,
  /// COMMIT, SAVEPOINT, DDL).
  ring::Task<void> exec(std::string_view sql, ring::Deadline deadline);
  /// Starts `sql` as a row stream: next_batch() steps it `batch_rows` rows at a time.
  ring::Task<void> open_stream(std::string_view sql, const Params& params, std::uint32_t batch_rows,
                               ring::Deadline deadline);
  /// The next rows of the stream into `batch`; false once it ended (`batch` holds the last
  /// rows, maybe none).
  ring::Task<bool> next_batch(Result& batch, ring::Deadline deadline);
  /// Ends the stream early; does nothing without one.
  ring::Task<void> close_stream();
  /// True while a stream is open.
  bool streaming() const noexcept;
  /// Finalizes the statements and closes the handle, on the worker; never throws.
  ring::Task<void> close();
  /// False once closed, or after an error that leaves the handle unusable.
  bool is_usable() const noexcept;
  /// True while a transaction is open (not in autocommit mode), as of the last call, or while
  /// one that SQLite rolled back on an error awaits the caller's ROLLBACK.
  bool in_transaction() const noexcept;
  /// The options the connection was opened with.
  const OpenOptions& options() const noexcept;
  /// The SQLite library's version ("3.40.1").
  static std::string_view library_version() noexcept;

  struct State;  ///< The handle, its worker and its statements (connection.cpp).

 private:
  Connection(ring::Loop& loop, std::unique_ptr<State> state) noexcept;
  ring::Loop* loop_;
  std::unique_ptr<State> state_;
};

}  // namespace tern::sqlite
