// sqlite::Connection: the handle's calls, each run on the connection's worker thread.
#include "tern/protocol/sqlite/connection.hpp"

#include <sqlite3.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/worker.hpp"

namespace tern::sqlite {

namespace {

// tern_connection_id(): the connection's number in this process, as pg_backend_pid() and
// CONNECTION_ID() name a server session (to tell connections apart in logs and tests).
std::atomic<std::int64_t> next_connection_id{1};

void connection_id(sqlite3_context* context, int, sqlite3_value**) noexcept {
  sqlite3_result_int64(context, reinterpret_cast<std::intptr_t>(sqlite3_user_data(context)));
}

// The SQLSTATE a SQLite error travels with, so that code written against the other backends'
// classes (23505 unique violation...) reads it the same; SQLite itself has none.
const char* sqlstate_of(int extended) noexcept {
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return "23503";
    case SQLITE_CONSTRAINT_NOTNULL:
      return "23502";
    case SQLITE_CONSTRAINT_CHECK:
      return "23514";
    default:
      break;
  }
  switch (extended & 0xff) {
    case SQLITE_CONSTRAINT:
      return "23000";
    case SQLITE_ERROR:
    case SQLITE_RANGE:
      return "42000";
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return "22000";
    default:
      return "HY000";
  }
}

// Throws the tern::Error that SQLite's result code `rc` calls for. As Python's sqlite3 module
// maps them for peewee, except SQL errors (SQLITE_ERROR: syntax, no such table), which are
// ProgrammingError as on the other two backends rather than sqlite3's OperationalError.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view sql, bool timed_out,
                              bool cancelled) {
  ServerErrorInfo info;
  info.severity = "ERROR";
  info.code = static_cast<std::uint32_t>(db != nullptr ? sqlite3_extended_errcode(db) : rc);
  info.sqlstate = sqlstate_of(static_cast<int>(info.code));
  info.message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  info.statement = std::string(sql.substr(0, 1000));
  switch (rc & 0xff) {
    case SQLITE_INTERRUPT:
      if (cancelled) throw ring::CancelledError("SQLite statement");
      if (timed_out) throw QueryTimeout("SQLite statement interrupted at its deadline");
      throw OperationalError(std::move(info));
    case SQLITE_CONSTRAINT:
      throw IntegrityError(std::move(info));
    case SQLITE_ERROR:
      throw ProgrammingError(std::move(info));
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      throw DataError(std::move(info));
    case SQLITE_INTERNAL:
    case SQLITE_NOTFOUND:
      throw InternalError(std::move(info));
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      throw InterfaceError(absl::StrCat("SQLite: ", info.message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      throw DatabaseError(std::move(info));
    default:  // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, NOMEM, PERM, ABORT, SCHEMA...
      throw OperationalError(std::move(info));
  }
}

bool only_blank(const char* p, const char* end) noexcept {
  for (; p < end; ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') return false;
  }
  return true;
}

// A pragma's name and value come from configuration, never from a query's values; still,
// they are spliced into SQL, so only identifier and number characters pass.
void check_pragma_word(std::string_view word) {
  if (word.empty()) throw InterfaceError("empty SQLite pragma name or value");
  for (const char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      throw InterfaceError("SQLite pragma word \"" + std::string(word) +
                           "\": only letters, digits, '_', '-' and '.' allowed");
    }
  }
}

// Statements by SQL text, found by a string_view (no key string built per lookup).
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using StatementCache = std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>>;

bool is_memory(const OpenOptions& o) noexcept {
  return o.path == ":memory:" || o.path.find("mode=memory") != std::string::npos ||
         o.path.find("vfs=memdb") != std::string::npos;
}

}  // namespace

// ---- Params ----

void Params::add_owned_text(std::string v) {
  owned_.push_back(std::move(v));
  add_text(owned_.back());
}

// ---- the handle and its worker ----

struct Connection::State {
  explicit State(OpenOptions o) : options(std::move(o)) {}
  ~State() {
    // No call is in flight (one at a time, each awaited), so this thread may close the handle.
    close_now();
  }

  void close_now() noexcept {
    if (db == nullptr) return;
    for (auto& [sql, stmt] : cache)
      sqlite3_finalize(stmt);
    cache.clear();
    stream = nullptr;
    sqlite3_close_v2(db);
    db = nullptr;
    usable = false;
  }

  // The progress handler: a statement past its deadline is interrupted (SQLITE_INTERRUPT).
  static int on_progress(void* self) noexcept {
    const auto* s = static_cast<const State*>(self);
    return s->deadline != ring::kNoDeadline && std::chrono::steady_clock::now() >= s->deadline;
  }

  // ---- worker thread ----

  void open() {
    std::string name = options.path;
    int flags =
        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI |
        (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (options.path == ":memory:" && !options.memory_name.empty()) {
      // memdb: one in-memory database per name ("/" makes it shared), locked as a file is.
      name = absl::StrCat("file:/", options.memory_name, "?vfs=memdb");
    }
    const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      close_now();
      throw ConnectionFailed(absl::StrCat("could not connect to server: SQLite cannot open \"",
                                          options.path, "\": ", why));
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
    sqlite3_progress_handler(db, 1000, &State::on_progress, this);
    const auto id = static_cast<std::intptr_t>(next_connection_id.fetch_add(1));
    sqlite3_create_function_v2(
        db, "tern_connection_id", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
        reinterpret_cast<void*>(id), &connection_id, nullptr, nullptr, nullptr);
    try {
      if (options.foreign_keys) exec_now("PRAGMA foreign_keys = ON");
      if (options.wal && !options.read_only && !is_memory(options)) {
        exec_now("PRAGMA journal_mode = WAL");
        exec_now("PRAGMA synchronous = NORMAL");
      }
      for (const auto& [pragma, value] : options.pragmas) {
        check_pragma_word(pragma);
        check_pragma_word(value);
        exec_now(absl::StrCat("PRAGMA ", pragma, " = ", value));
      }
    } catch (const Error& e) {
      close_now();
      throw ConnectionFailed(
          absl::StrCat("could not connect to server: SQLite \"", options.path, "\": ", e.what()));
    }
  }

  void exec_now(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);  // sqlite3_errmsg() says the same
    after_call();
    if (rc != SQLITE_OK) fail(rc, sql);
  }

  [[noreturn]] void fail(int rc, std::string_view sql) {
    after_call();
    // SQLite rolled the transaction back on its own (an interrupted or failed write, a full
    // disk): what follows until the caller's ROLLBACK must not run in autocommit mode.
    if (call_in_transaction && !in_transaction) transaction_lost = true;
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_MISUSE ||
        primary == SQLITE_NOMEM) {
      usable = false;
    }
    const bool timed_out =
        deadline != ring::kNoDeadline && std::chrono::steady_clock::now() >= deadline;
    throw_error(db, rc, sql, timed_out, stop_requested());
  }

  // ---- cancellation: a stop request interrupts its own call, never a later one ----

  // Loop (or any) thread: the task awaiting call `seq` was stopped. sqlite3_interrupt() is
  // thread-safe on an open handle; the mutex makes sure the worker is still inside call
  // `seq` (a statement of the next call must not be hit).
  void request_stop(std::uint64_t seq) noexcept {
    std::lock_guard lock(call_mutex);
    cancelled = seq;
    if (running == seq && db != nullptr) {
      sqlite3_interrupt(db);
      interrupted = true;
    }
  }

  // Worker thread: whether the call running was stopped.
  bool stop_requested() noexcept {
    std::lock_guard lock(call_mutex);
    return running != 0 && cancelled == running;
  }

  // Worker thread: runs call `seq`, unless its task was stopped before it started.
  template <class F>
  auto guarded(std::uint64_t seq, F& fn) -> decltype(fn()) {
    {
      std::lock_guard lock(call_mutex);
      if (cancelled == seq) throw ring::CancelledError("SQLite statement");
      running = seq;
      interrupted = false;
    }
    call_in_transaction = in_transaction;
    struct Leave {
      State& s;
      ~Leave() {
        std::lock_guard lock(s.call_mutex);
        s.running = 0;
      }
    } leave{*this};
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      end_interrupted_stream();
    } else {
      auto result = fn();
      end_interrupted_stream();
      return result;
    }
  }

  // SQLite clears an interrupt when a statement starts with none active; a stream's statement
  // stays active, so an interrupt that came as its batch ended would hit the next batch: the
  // stream ends here, and the stopped task gets its cancellation.
  void end_interrupted_stream() {
    bool hit = false;
    {
      std::lock_guard lock(call_mutex);
      hit = interrupted;
    }
    if (!hit || stream == nullptr) return;
    sqlite3_reset(stream);
    sqlite3_clear_bindings(stream);
    stream = nullptr;
    after_call();
    throw ring::CancelledError("SQLite row stream");
  }

  void after_call() noexcept { in_transaction = sqlite3_get_autocommit(db) == 0; }

  // The cached statement for `sql` (prepared on first use); nullptr for SQL with no statement
  // (blank, a comment).
  sqlite3_stmt* prepare(std::string_view sql) {
    if (const auto it = cache.find(sql); it != cache.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) fail(rc, sql);
    if (stmt == nullptr) return nullptr;
    if (!only_blank(tail, sql.data() + sql.size())) {
      sqlite3_finalize(stmt);
      throw ProgrammingError("SQLite runs one statement at a time with parameters: " +
                             std::string(sql.substr(0, 200)));
    }
    if (cache.size() >= options.statement_cache_size) {
      // Simple and rare: start over rather than keep recency per statement.
      for (auto& [text, cached] : cache)
        sqlite3_finalize(cached);
      cache.clear();
    }
    cache.emplace(std::string(sql), stmt);
    return stmt;
  }

  // Binds `params`; `copy` makes SQLite copy text and blobs (streams outlive the call's values).
  void bind(sqlite3_stmt* stmt, std::string_view sql, const Params& params, bool copy) {
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size()) {
      throw ProgrammingError(
          absl::StrCat("the statement has ", expected, " placeholders, ", params.size(),
                       " parameters were given: ", std::string(sql.substr(0, 200))));
    }
    const auto lifetime = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
    int i = 1;
    for (const Param& p : params.items()) {
      int rc = SQLITE_OK;
      switch (p.type) {
        case StorageClass::kInteger:
          rc = sqlite3_bind_int64(stmt, i, p.integer);
          break;
        case StorageClass::kReal:
          rc = sqlite3_bind_double(stmt, i, p.real);
          break;
        case StorageClass::kText:
          rc = sqlite3_bind_text64(stmt, i, p.bytes.empty() ? "" : p.bytes.data(), p.bytes.size(),
                                   lifetime, SQLITE_UTF8);
          break;
        case StorageClass::kBlob:
          // An empty value's data() may be null, which SQLite would bind as NULL.
          rc = p.bytes.empty()
                   ? sqlite3_bind_zeroblob(stmt, i, 0)
                   : sqlite3_bind_blob64(stmt, i, p.bytes.data(), p.bytes.size(), lifetime);
          break;
        case StorageClass::kNull:
          rc = sqlite3_bind_null(stmt, i);
          break;
      }
      if (rc != SQLITE_OK) fail(rc, sql);
      ++i;
    }
  }

  static std::vector<Column> columns_of(sqlite3_stmt* stmt) {
    std::vector<Column> columns(static_cast<std::size_t>(sqlite3_column_count(stmt)));
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const char* name = sqlite3_column_name(stmt, static_cast<int>(i));
      if (name == nullptr) throw std::bad_alloc();  // SQLite's only reason for it
      columns[i].name = name;
    }
    return columns;
  }

  // Steps `stmt` for up to `limit` rows into `out`; true once the statement is done.
  bool step(sqlite3_stmt* stmt, std::string_view sql, Result& out, std::uint64_t limit) {
    const int n = sqlite3_column_count(stmt);
    for (std::uint64_t rows = 0; rows < limit; ++rows) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return true;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        after_call();
        fail(rc, sql);
      }
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            out.add_integer(sqlite3_column_int64(stmt, c));
            break;
          case SQLITE_FLOAT:
            out.add_real(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_TEXT: {
            const unsigned char* p = sqlite3_column_text(stmt, c);
            out.add_bytes(StorageClass::kText, p,
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
            break;
          }
          case SQLITE_BLOB: {
            const void* p = sqlite3_column_blob(stmt, c);
            out.add_bytes(StorageClass::kBlob, p,
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
            break;
          }
          default:
            out.add_null();
        }
      }
      out.end_row();
    }
    return false;
  }

  void finish(sqlite3_stmt* stmt, Result& out) noexcept {
    out.set_changes(
        sqlite3_stmt_readonly(stmt) != 0 ? 0 : static_cast<std::uint64_t>(sqlite3_changes64(db)),
        sqlite3_last_insert_rowid(db));
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    after_call();
  }

  Result execute_now(std::string_view sql, const Params& params) {
    Result out;
    sqlite3_stmt* stmt = prepare(sql);
    if (stmt == nullptr) {
      after_call();
      return out;
    }
    bind(stmt, sql, params, false);
    out.reset(columns_of(stmt));
    step(stmt, sql, out, UINT64_MAX);
    finish(stmt, out);
    return out;
  }

  OpenOptions options;
  sqlite3* db = nullptr;
  StatementCache cache;
  sqlite3_stmt* stream = nullptr;  // the open stream's statement (one of the cache's)
  std::string stream_sql;
  std::uint32_t batch_rows = 1;
  // Of the call running (each call sets it); read by on_progress.
  ring::Deadline deadline = ring::kNoDeadline;
  bool usable = true;
  bool in_transaction = false;
  // Of the call running: whether a transaction was open when it started.
  bool call_in_transaction = false;
  // SQLite rolled back the caller's transaction (see fail()); cleared by ROLLBACK.
  bool transaction_lost = false;
  // Calls are numbered (loop thread) so that a stop request names the call it is for.
  std::uint64_t calls = 0;
  std::mutex call_mutex;
  std::uint64_t running = 0;    // guarded: the call the worker is in; 0 between calls
  std::uint64_t cancelled = 0;  // guarded: the last call whose task was stopped
  bool interrupted = false;     // guarded: sqlite3_interrupt() was called for `running`
  // ~State closes the handle while the worker idles, then the worker is joined.
  ring::WorkerThread worker;
};

// ---- Connection ----

Connection::Connection(ring::Loop& loop, std::unique_ptr<State> state) noexcept
    : loop_(&loop), state_(std::move(state)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

ring::Task<Connection> Connection::open(ring::Loop& loop, OpenOptions options) {
  auto state = std::make_unique<State>(std::move(options));
  State& s = *state;
  co_await s.worker.call(loop, [&s] { s.open(); });
  co_return Connection(loop, std::move(state));
}

namespace {
void require_open(const std::unique_ptr<Connection::State>& s) {
  if (!s || s->db == nullptr) throw InterfaceError("the SQLite connection is closed");
}

// Statements of a transaction that SQLite rolled back fail until the caller rolls back: run in
// autocommit mode, they would commit one by one what was meant to commit together, or not.
void require_transaction_kept(const Connection::State& s) {
  if (s.transaction_lost) {
    throw TransactionRollback(
        "SQLite rolled this transaction back when its statement was interrupted or failed; "
        "nothing of it was committed: roll back, then run it again from its start");
  }
}

// `fn` on the worker as the connection's next call; a stop request on the awaiting task
// interrupts it there (ring::CancelledError), if it is still that call that runs.
template <class F>
auto worker_call(ring::Loop& loop, Connection::State& s, F fn) {
  const std::uint64_t seq = ++s.calls;
  return s.worker.call(
      loop, [&s, seq, fn = std::move(fn)]() mutable { return s.guarded(seq, fn); },
      [&s, seq]() noexcept { s.request_stop(seq); });
}
}  // namespace

ring::Task<Result> Connection::execute(std::string_view sql, const Params& params,
                                       ring::Deadline deadline) {
  require_open(state_);
  if (state_->stream != nullptr) throw InterfaceError("a row stream is open on this connection");
  State& s = *state_;
  require_transaction_kept(s);
  s.deadline = deadline;
  co_return co_await worker_call(*loop_, s,
                                 [&s, sql, &params] { return s.execute_now(sql, params); });
}

ring::Task<void> Connection::exec(std::string_view sql, ring::Deadline deadline) {
  require_open(state_);
  if (state_->stream != nullptr) throw InterfaceError("a row stream is open on this connection");
  State& s = *state_;
  if (s.transaction_lost && sql == "ROLLBACK") {
    s.transaction_lost = false;  // SQLite already rolled it back
    co_return;
  }
  require_transaction_kept(s);
  s.deadline = deadline;
  std::string text(sql);
  co_await worker_call(*loop_, s, [&s, &text] { s.exec_now(text); });
}

ring::Task<void> Connection::open_stream(std::string_view sql, const Params& params,
                                         std::uint32_t batch_rows, ring::Deadline deadline) {
  require_open(state_);
  if (state_->stream != nullptr) throw InterfaceError("a row stream is open on this connection");
  State& s = *state_;
  require_transaction_kept(s);
  s.deadline = deadline;
  co_await worker_call(*loop_, s, [&s, sql, &params] {
    sqlite3_stmt* stmt = s.prepare(sql);
    if (stmt != nullptr) s.bind(stmt, sql, params, true);
    s.after_call();
    s.stream = stmt;
  });
  s.stream_sql = std::string(sql);
  s.batch_rows = batch_rows == 0 ? 1 : batch_rows;
}

ring::Task<bool> Connection::next_batch(Result& batch, ring::Deadline deadline) {
  require_open(state_);
  State& s = *state_;
  if (s.stream == nullptr) {
    batch = Result();
    co_return false;
  }
  s.deadline = deadline;
  const bool more = co_await worker_call(*loop_, s, [&s, &batch] {
    batch.reset(State::columns_of(s.stream));
    sqlite3_stmt* stmt = s.stream;
    bool done = false;
    try {
      done = s.step(stmt, s.stream_sql, batch, s.batch_rows);
    } catch (...) {
      s.stream = nullptr;  // step() reset it
      throw;
    }
    if (done) {
      s.finish(stmt, batch);
      s.stream = nullptr;
    } else {
      s.after_call();
    }
    return !done;
  });
  co_return more;
}

ring::Task<void> Connection::close_stream() {
  if (!state_ || state_->stream == nullptr) co_return;
  State& s = *state_;
  s.deadline = ring::kNoDeadline;
  co_await s.worker.call(*loop_, [&s] {
    sqlite3_reset(s.stream);
    sqlite3_clear_bindings(s.stream);
    s.after_call();
    s.stream = nullptr;
  });
}

bool Connection::streaming() const noexcept {
  return state_ && state_->stream != nullptr;
}

ring::Task<void> Connection::close() {
  if (!state_ || state_->db == nullptr) co_return;
  State& s = *state_;
  co_await s.worker.call(*loop_, [&s]() noexcept { s.close_now(); });
}

bool Connection::is_usable() const noexcept {
  return state_ && state_->db != nullptr && state_->usable;
}

bool Connection::in_transaction() const noexcept {
  return state_ && (state_->in_transaction || state_->transaction_lost);
}

const OpenOptions& Connection::options() const noexcept {
  return state_->options;
}

std::string_view Connection::library_version() noexcept {
  return sqlite3_libversion();
}

}  // namespace tern::sqlite
