// AioDatabase and its pooled PostgreSQL / MySQL flavours: peewee-async's database API in C++.
//
//   tern::PooledPostgresqlExtDatabase db("test", {.min_connections = 1, .max_connections = 5,
//                                                 .pool_params = {.timeout = 30s}});
//   co_await db.aio_execute("INSERT INTO page (key) VALUES ($1)", "title");
//   co_await db.aio_atomic([&]() -> tern::ring::Task<void> {
//     co_await db.aio_execute("UPDATE account SET balance = balance - $1 WHERE id = $2", 5, 1);
//     co_await db.aio_execute("UPDATE account SET balance = balance + $1 WHERE id = $2", 5, 2);
//   });
//
// There is no need to connect first: the pool opens on first use, on the loop that runs it.
// A database used from several loops (one per thread: ring::LoopGroup) keeps one pool shard
// per loop, each with the options' sizes (see docs/loops-and-threads.md).
// After aio_close() it stays closed (queries throw InterfaceError) until aio_connect(). Inside
// aio_atomic() every query of that coroutine and of the tasks it awaits uses the transaction's
// connection — no connection is passed around: it travels in the task context, as peewee-async
// binds it to the asyncio task.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tern/db/backend.hpp"
#include "tern/db/observe.hpp"
#include "tern/db/pool.hpp"
#include "tern/db/result.hpp"
#include "tern/db/value.hpp"
#include "tern/protocol/mysql/conninfo.hpp"
#include "tern/protocol/pg/conninfo.hpp"
#include "tern/protocol/sqlite/connection.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/mutex.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/task_group.hpp"

namespace tern {

/// Pool parameters (peewee-async's pool_params).
struct PoolParams {
  /// How long a query waits for a free connection before PoolTimeout.
  std::chrono::milliseconds timeout{30'000};
  /// Connections older than this are replaced; zero = never.
  std::chrono::milliseconds pool_recycle{0};
  /// Connections idle longer than this are pinged before reuse; zero = never.
  std::chrono::milliseconds health_check_after_idle{0};
  /// Statements of different tasks one connection carries in flight at once (implicit
  /// pipelining, outside transaction scopes, once every connection is busy); 1 = one at a
  /// time. URL: pipeline_depth=N.
  std::size_t pipeline_depth = 4;
};

/// How to reach the server and size the pool (peewee's connect keywords).
struct DatabaseOptions {
  /// Host name, IP address, or (PostgreSQL) a Unix socket directory; empty = the backend's
  /// default (PGHOST / the local socket; MYSQL_HOST / localhost).
  std::string host{};
  /// Zero = the backend's default (PGPORT / 5432; MYSQL_TCP_PORT / 3306).
  std::uint16_t port = 0;
  /// Empty = PGUSER / USER.
  std::string user{};
  /// Empty = PGPASSWORD / MYSQL_PWD (or none).
  std::string password{};
  /// The backend's TLS mode names (PostgreSQL "verify-full", MySQL "VERIFY_IDENTITY"...);
  /// empty = prefer TLS when offered.
  std::string ssl_mode{};
  /// CA file for verification.
  std::string ssl_ca{};
  /// How long opening one connection may take.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Connections aio_connect() opens and the pool keeps (per loop: each loop using the
  /// database has a pool shard of its own).
  std::size_t min_connections = 1;
  /// Connections open at most (per loop, like min_connections).
  std::size_t max_connections = 20;
  /// The pool's timing and pipelining (peewee-async's pool_params).
  PoolParams pool_params{};
  /// How long aio_close() waits for checked-out connections.
  std::chrono::milliseconds close_timeout{5'000};
};

/// Transaction isolation levels (the SQL standard's).
enum class IsolationLevel { kReadUncommitted, kReadCommitted, kRepeatableRead, kSerializable };

/// How a transaction starts (aio_atomic, aio_transaction, aio_begin). Options apply to the
/// transaction itself: a block that becomes a savepoint cannot take them (InterfaceError).
struct TransactionOptions {
  /// Unset: the server's default (PostgreSQL READ COMMITTED, InnoDB REPEATABLE READ).
  std::optional<IsolationLevel> isolation{};
  /// READ ONLY: writes fail with the server's error.
  bool read_only = false;
  /// PostgreSQL DEFERRABLE (meaningful with serializable + read only); MySQL:
  /// NotSupportedError.
  bool deferrable = false;
};

/// Per-query options.
struct QueryOptions {
  /// The query is cancelled on the server and QueryTimeout thrown at this point.
  ring::Deadline deadline = ring::kNoDeadline;
  /// The caller declares that the statement only reads. Outside any aio_connection /
  /// aio_atomic / aio_transaction scope, a database with read replicas (ReadReplicas) may then
  /// run it on a replica; inside a scope, and on any other database, it changes nothing.
  /// Declared, not guessed from the SQL: a SELECT can write (a function with side effects,
  /// nextval(), SELECT ... FOR UPDATE, a data-modifying WITH) and a non-SELECT can only read
  /// (SHOW, EXPLAIN, VALUES); telling them apart would mean parsing each dialect's SQL on every
  /// query, and a wrong guess sends a write to a read-only server. The ORM sets it for the
  /// SELECTs it builds (no locking clause, no write in a WITH).
  bool read_only = false;
};

class AioDatabase;

namespace detail {
class ReplicaSet;
class Observer;
class Listener;
/// The connection a task tree is bound to for one database (an aio_atomic block); bindings of
/// several databases chain through `next`. TaskContext::local points at the innermost. Shared:
/// a task spawned inside a block (tern::spawn) keeps it alive, and learns from `ended` that the
/// block is over instead of touching a connection that went back to the pool.
struct ScopeBinding : std::enable_shared_from_this<ScopeBinding> {
  explicit ScopeBinding(ring::Loop& on) noexcept : loop(&on), lock(on) {}
  ring::Loop* loop;
  AioDatabase* db = nullptr;
  BackendConnection* conn = nullptr;  // valid while !ended
  // Control statements and streams take the connection in turn; statements of concurrent
  // tasks take a turn only to start, then run pipelined when the connection pipelines.
  ring::AsyncMutex lock;
  std::size_t in_flight = 0;             // pipelined statements running now
  std::optional<ring::Signal> all_done;  // the turn's holder waits on it for them
  std::uint64_t savepoints = 0;
  bool in_transaction = false;  // a BEGIN sent on `conn` is open
  bool test_case = false;       // a transaction_test_case block: transactions are refused
  bool ended = false;           // set under `lock` before the final COMMIT/ROLLBACK
  // The task whose RowStream holds `lock` (its own statements would wait for themselves).
  const ring::TaskContext* stream_owner = nullptr;
  std::shared_ptr<ScopeBinding> next;
};

/// The Task<T> value type.
template <class Task>
struct TaskValue;
template <class T>
struct TaskValue<ring::Task<T>> {
  using type = T;
};
/// T for ring::Task<T>, R otherwise.
template <class R>
struct Unwrapped {
  using type = R;
};
template <class T>
struct Unwrapped<ring::Task<T>> {
  using type = T;
};
}  // namespace detail

/// The rows of one statement, read in batches (AioDatabase::aio_stream):
///
///   tern::RowStream rows = co_await db.aio_stream("SELECT * FROM big", {}, 1000);
///   while (std::optional<tern::ResultSet> batch = co_await rows.next()) {
///     for (const tern::Row row : *batch) ...
///   }
class RowStream {
 public:
  /// Movable (not assignable): the stream keeps its connection.
  RowStream(RowStream&&) noexcept = default;
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;
  RowStream& operator=(RowStream&&) = delete;
  /// Gives the connection back; a stream not read to its end is cleaned up before the
  /// connection runs anything else.
  ~RowStream();

  /// The next batch of rows; nullopt once the stream has ended (the connection is then given
  /// back). An error ends the stream and is thrown.
  ring::Task<std::optional<ResultSet>> next();
  /// Ends the stream now (the rest is skipped) and gives the connection back.
  ring::Task<void> aio_close();

 private:
  friend class AioDatabase;
  RowStream() = default;
  void finish() noexcept;

  Lease lease_;                                    // outside aio_atomic
  std::shared_ptr<detail::ScopeBinding> binding_;  // inside: the block's connection...
  std::optional<ring::AsyncMutex::Guard> turn_;    // ...held until the stream ends
  BackendConnection* conn_ = nullptr;
  ring::Deadline deadline_ = ring::kNoDeadline;
  bool ended_ = false;
};

/// A transaction or savepoint begun by hand (AioDatabase::aio_begin / aio_savepoint) inside
/// an aio_connection() scope; end it with commit() or rollback() (once).
class Transaction {
 public:
  /// Movable; a moved-from Transaction ends nothing.
  Transaction(Transaction&&) noexcept = default;
  Transaction& operator=(Transaction&&) noexcept = default;  ///< Move-assignable.

  /// COMMIT (a savepoint: RELEASE SAVEPOINT).
  ring::Task<void> commit();
  /// ROLLBACK (a savepoint: ROLLBACK TO SAVEPOINT, then RELEASE).
  ring::Task<void> rollback();
  /// True until commit() or rollback().
  bool is_active() const noexcept { return binding_ != nullptr; }

 private:
  friend class AioDatabase;
  Transaction(AioDatabase& db, std::shared_ptr<detail::ScopeBinding> binding,
              std::string savepoint) noexcept
      : db_(&db), binding_(std::move(binding)), savepoint_(std::move(savepoint)) {}
  ring::Task<void> end(bool commit);

  AioDatabase* db_ = nullptr;
  std::shared_ptr<detail::ScopeBinding> binding_;  // null once ended
  std::string savepoint_;                          // empty for BEGIN
};

/// The async database: a pool of connections to one server, transactions bound to task trees,
/// and a gated synchronous path. Construct one of the Pooled*Database classes.
///
/// Threads: one database may serve several loops, each on its own thread (ring::LoopGroup).
/// Each loop gets a pool shard of its own, made the first time a task of that loop uses the
/// database, sized by the options (min/max_connections are per shard); a connection never
/// leaves its loop. aio_connect() and aio_close() act on the calling loop's shard. Install
/// hooks, tracers and metrics before the database is shared between threads; pool_stats(),
/// shard_stats() and metrics() may be read from any thread. Statements from a thread with no
/// running tern loop throw InterfaceError.
class AioDatabase {
 public:
  AioDatabase(const AioDatabase&) = delete;
  AioDatabase& operator=(const AioDatabase&) = delete;
  virtual ~AioDatabase();

  /// Creates the calling loop's pool shard and opens min_connections. Optional the first time:
  /// the first query does it. Required after aio_close(). (ReadReplicas opens its replicas'
  /// pools too.)
  virtual ring::Task<void> aio_connect();
  /// True while the calling loop's pool shard is open (off any loop: the first shard made).
  bool is_connected() const noexcept;
  /// Terminates the calling loop's pool shard and listening connection (with several loops:
  /// run it on each, e.g. LoopGroup::run_on_each): fails waiting queries, closes idle connections,
  /// waits up to close_timeout for checked-out ones (closed when returned), and closes the
  /// synchronous connection. The database then stays closed: queries (sync ones too) throw
  /// InterfaceError until aio_connect(). (ReadReplicas closes its replicas' pools too.)
  virtual ring::Task<void> aio_close();

  /// Runs `sql` with `params` bound ($1.. for PostgreSQL, ? for MySQL) on the task's bound
  /// connection (inside aio_atomic) or a pooled one, and returns all its rows.
  ring::Task<ResultSet> aio_execute(std::string_view sql, Params params = {},
                                    QueryOptions options = {});
  /// aio_execute() with the parameters viewed rather than owned: nothing is copied, and they
  /// must outlive the awaited task. (The ORM runs its cached statements through it.)
  ring::Task<ResultSet> aio_execute_view(std::string_view sql, std::span<const Value> params,
                                         QueryOptions options = {});
  /// The variadic aio_execute() holds up to this many parameters in its coroutine frame
  /// (no allocation); more go into a Params.
  static constexpr std::size_t kInlineParams = 8;
  /// The same with the parameters as arguments: `aio_execute(sql, 5, "x")`. (Also the form
  /// to use with GCC 12, which miscompiles braced lists inside co_await: see
  /// docs/troubleshooting.md.)
  template <class... Args>
  requires(sizeof...(Args) > 0 && (std::is_constructible_v<Value, Args&&> &&
                                   ...)) ring::Task<ResultSet> aio_execute(std::string_view sql,
                                                                           Args&&... args) {
    if constexpr (sizeof...(Args) <= kInlineParams) {
      // Held in the statement's own coroutine frame: no allocation for the parameters.
      return execute_with(
          sql, std::array<Value, sizeof...(Args)>{Value(std::forward<Args>(args))...}, {});
    } else {
      return aio_execute(sql, Params{Value(std::forward<Args>(args))...});
    }
  }
  /// The same, handing the rows to `fetch_results(const ResultSet&)` (which may be a coroutine
  /// returning ring::Task<R>) and returning what it returns; the rows are released after it.
  template <class F>
  auto aio_execute(std::string_view sql, Params params, F fetch_results)
      -> ring::Task<typename detail::Unwrapped<std::invoke_result_t<F&, const ResultSet&>>::type>;

  /// Runs `sql` with `params` bound and returns its rows as a stream read `batch_rows` at a
  /// time, so that a result of any size is never held whole (PostgreSQL: the portal runs in
  /// batches; MySQL: rows are read off the socket as they come). The stream holds a pooled
  /// connection (inside aio_atomic: the block's, whose other statements wait for it) until it
  /// ends or is closed; one dropped early is cleaned up before its connection is used again.
  ring::Task<RowStream> aio_stream(std::string_view sql, Params params = {},
                                   std::uint32_t batch_rows = 1000, QueryOptions options = {});

  /// Loads `rows` into `table` in bulk and returns how many were loaded, all or nothing.
  /// Each row is one Value per name in `columns` (empty: every column of the table, in its
  /// order); a row is a Params, the type aio_execute binds, so any value a statement takes
  /// can be loaded. `table` and `columns` are each one identifier (quoted: any name stays one
  /// name; a schema comes from the search path).
  ///
  /// PostgreSQL: binary COPY FROM STDIN. The columns' types are looked up once, each value is
  /// encoded as its column's type (an integer into int2/int4/int8/float/numeric, text into
  /// text/varchar/char/enum/json columns, each other type into its own) and streamed in
  /// 64 KiB pieces; a value its column cannot take throws TypeError naming table.column and
  /// the row's index, the COPY is aborted (CopyFail) and nothing is loaded. MySQL/MariaDB and
  /// SQLite: prepared multi-row INSERTs with bound parameters, chunked under the placeholder
  /// limit and a 4 MiB statement budget, inside one transaction (a savepoint's worth: the
  /// caller's, inside aio_atomic); never LOAD DATA LOCAL INFILE.
  ///
  /// Runs on the task's bound connection (inside aio_atomic: the block's, rolled back with
  /// it) or one leased from the pool. A server error (IntegrityError for a duplicate key...)
  /// loads nothing and leaves the connection usable.
  ring::Task<std::uint64_t> aio_copy_in(std::string table, std::vector<std::string> columns,
                                        std::span<const Params> rows, QueryOptions options = {});
  /// Reads `table`'s `columns` (empty: all, as SELECT *) as a row stream, `batch_rows` at a
  /// time: aio_stream over `SELECT columns FROM table` with the names quoted. For a query,
  /// use aio_stream.
  ring::Task<RowStream> aio_copy_out(std::string table, std::vector<std::string> columns = {},
                                     std::uint32_t batch_rows = 1000, QueryOptions options = {});

  /// Runs `body()` (a callable returning ring::Task<T>) in a transaction and returns its
  /// value: BEGIN before, COMMIT after; an exception rolls back and is rethrown. Nested blocks
  /// (in the same task tree) become savepoints; inside aio_connection() the first block
  /// begins the transaction on the scope's connection. Inside, every query of the tree uses
  /// the block's connection; concurrent child tasks (tern::spawn) take turns on it. The
  /// connection goes back to the pool only after COMMIT or ROLLBACK.
  template <class F>
  auto aio_atomic(F body) {
    return run_scope(ScopeKind::kAtomic, {}, std::move(body));
  }
  /// aio_atomic with an isolation level, read only or deferrable.
  template <class F>
  auto aio_atomic(TransactionOptions options, F body) {
    return run_scope(ScopeKind::kAtomic, options, std::move(body));
  }
  /// As aio_atomic, but never nests: inside an open transaction it throws OperationalError
  /// (and so the outer block rolls back). aio_atomic blocks inside it are savepoints.
  template <class F>
  auto aio_transaction(F body) {
    return run_scope(ScopeKind::kTransaction, {}, std::move(body));
  }
  /// aio_transaction with options.
  template <class F>
  auto aio_transaction(TransactionOptions options, F body) {
    return run_scope(ScopeKind::kTransaction, options, std::move(body));
  }
  /// Runs `body()` with one pooled connection for all the queries of its task tree, without a
  /// transaction (autocommit); nested scopes and aio_atomic blocks reuse it. Needed for
  /// session state (SET, temporary tables, advisory locks) and for aio_begin().
  template <class F>
  auto aio_connection(F body) {
    return run_scope(ScopeKind::kConnection, {}, std::move(body));
  }
  /// Sends BEGIN on the aio_connection() scope's connection and returns the Transaction to
  /// commit or roll back. Throws OperationalError outside such a scope or when a transaction
  /// is already open there (use aio_savepoint()). A transaction still open when the scope ends
  /// is rolled back.
  ring::Task<Transaction> aio_begin(TransactionOptions options = {});
  /// Sends SAVEPOINT inside the scope's open transaction and returns it: commit() releases it,
  /// rollback() rolls back to it. OperationalError outside a scope or a transaction.
  ring::Task<Transaction> aio_savepoint();
  /// peewee's in_transaction(): true when the calling task runs inside an open transaction of
  /// this database (aio_atomic, aio_transaction, aio_begin; under run_sync, atomic()).
  ring::Task<bool> aio_in_transaction();
  /// peewee-async's TransactionTestCase: runs `body()` on one connection inside a transaction
  /// that is always rolled back, whatever happens; aio_atomic, aio_transaction, aio_begin and
  /// aio_savepoint inside it throw InterfaceError (they would commit or nest unexpectedly).
  template <class F>
  auto transaction_test_case(F body) {
    return run_scope(ScopeKind::kTestCase, {}, std::move(body));
  }

  /// PostgreSQL LISTEN through the database: calls `handler` for each NOTIFY on `channel`, on
  /// the calling loop, in the order the server sent them, and returns once the LISTEN is in
  /// effect. The channel is taken as written (quoted: case kept, as pg_notify() names it).
  /// Each loop listens on a connection of its own, outside the pool, opened by the first call.
  /// When it is lost (a server restart, a killed backend) it is reopened — after 0.1 s, then
  /// twice as long each time up to 5 s — and every channel LISTENed again; the logger is told
  /// (component "listen") and each `on_reconnect` is called then: notifications sent while it
  /// was away are lost (PostgreSQL keeps none for a listener that is gone), so re-read what
  /// they would have said. Several handlers may share a channel. A handler must not throw
  /// (an exception is swallowed). MySQL/MariaDB: NotSupportedError.
  ring::Task<void> aio_listen(std::string channel, std::function<void(const Notification&)> handler,
                              std::function<void()> on_reconnect = {});
  /// Removes the calling loop's handlers of `channel` and UNLISTENs it (nothing when it was not
  /// listened to).
  ring::Task<void> aio_unlisten(std::string channel);

  /// Sorted names of the tables (not views) of `schema` (PostgreSQL: default the current
  /// schema; MySQL: the database; empty = the connection's).
  ring::Task<std::vector<std::string>> aio_get_tables(std::string schema = {});
  /// True when table `name` exists in `schema` (as aio_get_tables).
  ring::Task<bool> aio_table_exists(std::string name, std::string schema = {});
  /// True when sequence `name` exists (PostgreSQL; MariaDB 10.3+ sequences too).
  ring::Task<bool> aio_sequence_exists(std::string name);

  /// Installs `hook`, called after every statement this database runs (queries, streams,
  /// BEGIN/COMMIT, sync queries) with its SQL, duration, row count and error; the bound values
  /// are passed only with `with_params`. An empty hook removes it. Costs nothing when unset.
  void set_query_hook(QueryHook hook, bool with_params = false);
  /// Installs `tracer` (shared: several databases may report to one), told when each operation
  /// of this database starts and ends — statements, streams, transaction control, connects of
  /// its pool, waits for a pooled connection, a read replica skipped — with OpenTelemetry's
  /// attribute names (SpanStart, SpanEnd). The bound values are passed only with
  /// `with_params`. Null removes it. Costs nothing when unset.
  void set_tracer(std::shared_ptr<Tracer> tracer, bool with_params = false);
  /// Starts (or with false stops) counting metrics per operation kind: counts, errors and a
  /// latency histogram (metrics(); metrics().to_prometheus() for a scrape endpoint).
  void enable_metrics(bool on = true) noexcept;
  /// The metrics counted since enable_metrics(), with the pool's statistics (pool_stats()).
  /// Safe from any thread.
  DatabaseMetrics metrics() const;
  /// A statement for an error message (DoesNotExist's, say): "SQL: <sql>\nParams: [...]",
  /// the values redacted by the query hook's rule: shown only when set_query_hook was given
  /// `with_params` (they may be passwords or personal data), their number otherwise.
  std::string describe_statement(std::string_view sql, std::span<const Value> params) const;

  /// Allows or forbids synchronous queries (forbidden by default, as in peewee-async).
  void set_allow_sync(bool allowed) noexcept { allow_sync_ = allowed; }
  /// True when synchronous queries are allowed.
  bool is_sync_allowed() const noexcept { return allow_sync_; }
  /// Allows synchronous queries for a scope; on exit restores the previous setting and closes
  /// the synchronous connection if it opened one.
  class AllowSync {
   public:
    /// Allows synchronous queries on `db` until destroyed.
    explicit AllowSync(AioDatabase& db) noexcept;
    AllowSync(const AllowSync&) = delete;
    AllowSync& operator=(const AllowSync&) = delete;
    ~AllowSync();

   private:
    AioDatabase& db_;
    bool previous_;
    bool had_connection_;
  };
  /// `auto sync = db.allow_sync();` — see AllowSync.
  [[nodiscard]] AllowSync allow_sync() noexcept { return AllowSync(*this); }
  /// peewee's sync mode: runs `task`, any aio_ call of this database or of its models
  /// (`db.run_sync(Item::select().aio_count())`), to its end on the database's own connection
  /// and loop (never the pool's), and returns its value. Every statement of the task, and of
  /// the tasks it awaits, runs on that connection, inside the sync transaction scopes open
  /// (atomic()). The sync twins (`execute_sql`, `Model::create`, `query.count()`...) are this
  /// call over their aio_ twin. Throws InterfaceError when synchronous queries are not allowed
  /// (set_allow_sync / allow_sync()), when the database was closed by aio_close() (until
  /// aio_connect()), or when called from a task the sync loop is running (a signal receiver of
  /// a sync save: await the aio_ call there).
  template <class T>
  T run_sync(ring::Task<T> task) {
    ring::Loop& loop = enter_sync();
    return ring::sync_wait(loop, ring::with_context(sync_context_, std::move(task)));
  }
  /// Runs a query synchronously (run_sync of aio_execute).
  ResultSet execute_sql(std::string_view sql, Params params = {}, QueryOptions options = {});
  /// The same with the parameters as arguments: `execute_sql(sql, 5, "x")`.
  template <class... Args>
  requires(sizeof...(Args) > 0 && (std::is_constructible_v<Value, Args&&> && ...)) ResultSet
      execute_sql(std::string_view sql, Args&&... args) {
    return execute_sql(sql, Params{Value(std::forward<Args>(args))...});
  }
  /// peewee's `with db.atomic():`, synchronously: runs `body()` (a plain callable, whose sync
  /// calls run in the transaction) between BEGIN and COMMIT, or inside an open sync
  /// transaction between SAVEPOINT and RELEASE; an exception rolls back and is rethrown.
  /// Returns what `body` returns. The same code as aio_atomic's, run with run_sync().
  template <class F>
  std::invoke_result_t<F&> atomic(F body) {
    return sync_scope(ScopeKind::kAtomic, {}, body);
  }
  /// atomic() with an isolation level, read only or deferrable.
  template <class F>
  std::invoke_result_t<F&> atomic(TransactionOptions options, F body) {
    return sync_scope(ScopeKind::kAtomic, options, body);
  }
  /// aio_transaction, synchronously: as atomic(), but OperationalError inside an open one.
  template <class F>
  std::invoke_result_t<F&> transaction(F body) {
    return sync_scope(ScopeKind::kTransaction, {}, body);
  }
  /// aio_get_tables, synchronously.
  std::vector<std::string> get_tables(std::string schema = {}) {
    return run_sync(aio_get_tables(std::move(schema)));
  }
  /// aio_table_exists, synchronously.
  bool table_exists(std::string name, std::string schema = {}) {
    return run_sync(aio_table_exists(std::move(name), std::move(schema)));
  }
  /// aio_sequence_exists, synchronously.
  bool sequence_exists(std::string name) { return run_sync(aio_sequence_exists(std::move(name))); }
  /// Closes the synchronous connection, if open.
  void close_sync() noexcept;

  /// The pool's statistics, summed over its shards when several loops use the database (all
  /// zero before first use). Safe from any thread.
  PoolStats pool_stats() const;
  /// Each pool shard's statistics, in the order the shards were made (one per loop that used
  /// the database). Safe from any thread.
  std::vector<PoolStats> shard_stats() const;
  /// PostgreSQL, MySQL or SQLite.
  Dialect dialect() const noexcept { return dialect_; }
  /// The database name.
  const std::string& database() const noexcept { return database_; }

 protected:
  /// For subclasses: `connect` opens one connection on a loop.
  AioDatabase(Dialect dialect, std::string database, ConnectionFactory connect,
              const DatabaseOptions& options);

  /// The connection for a statement declared read only (QueryOptions::read_only) that runs
  /// outside any scope: by default one from this database's pool, like every other statement
  /// (`share`: a pipelining share for one statement, Pool::share(); else a connection of its
  /// own, for a stream); ReadReplicas overrides it to pick a replica.
  virtual ring::Task<Lease> acquire_read(bool share);
  /// acquire_read(true)'s warm path without a coroutine (Pool::try_share()), or nullopt when
  /// acquire_read must run; ReadReplicas leaves the choice to acquire_read.
  virtual std::optional<Lease> try_share_read();

 private:
  friend class detail::ReplicaSet;  // acquires on its replicas' pools and, as a fallback, ours
  enum class ScopeKind { kConnection, kAtomic, kTransaction, kTestCase };
  struct Scope;
  // Destroys a Scope where its type is complete (database.cpp).
  struct ScopeDeleter {
    void operator()(Scope* scope) const noexcept;
  };
  using ScopePtr = std::unique_ptr<Scope, ScopeDeleter>;

  // The calling loop's pool shard, made on first use; InterfaceError off any loop.
  Pool& pool();
  Pool& shard_of(ring::Loop* loop);  // pool()'s way when the loop is not the first shard's
  Pool* find_shard(const ring::Loop* loop) const;
  detail::Listener& listener();  // the calling loop's, made on first use
  // `loop`'s entry in listeners_, or end(); under shards_mutex_.
  std::vector<std::unique_ptr<detail::Listener>>::iterator find_listener(const ring::Loop& loop);
  detail::ScopeBinding* binding(const ring::TaskContext& ctx) const noexcept;
  ring::Task<ScopePtr> enter_scope(ScopeKind kind, TransactionOptions options);
  ring::Task<void> exit_scope(ScopePtr scope, bool commit);
  static ring::TaskContext& context_of(Scope& scope) noexcept;
  template <class F>
  auto run_scope(ScopeKind kind, TransactionOptions options, F body)
      -> ring::Task<typename detail::TaskValue<std::invoke_result_t<F&>>::type>;
  friend class Transaction;
  // run_sync's checks; opens the sync loop and connection, binds sync_context_ to them.
  ring::Loop& enter_sync();
  // atomic() / transaction(): enter_scope, the body, exit_scope, each step run_sync.
  template <class F>
  std::invoke_result_t<F&> sync_scope(ScopeKind kind, TransactionOptions options, F& body);
  // Runs a control statement (BEGIN, COMMIT, SAVEPOINT...) on a bound connection, in turn
  // with the scope's other statements; `last` ends the binding.
  ring::Task<void> run_control(detail::ScopeBinding& b, std::string sql, bool last = false);
  // A control statement (BEGIN, COMMIT, SAVEPOINT...), reported to the hook.
  ring::Task<void> run_simple(BackendConnection& conn, std::string_view sql);
  // aio_execute's body, for owned (Params, or std::array<Value, N> for N up to
  // kInlineParams) and viewed (span) parameters.
  template <class P>
  ring::Task<ResultSet> execute_with(std::string_view sql, P params, QueryOptions options);
  ring::Task<ResultSet> run_statement(BackendConnection& conn, std::string_view sql,
                                      std::span<const Value> params, ring::Deadline deadline);
  ring::Task<void> open_stream(BackendConnection& conn, std::string_view sql,
                               std::span<const Value> params, std::uint32_t batch_rows,
                               ring::Deadline deadline);
  ring::Task<std::uint64_t> run_copy(BackendConnection& conn, std::string_view table,
                                     std::span<const std::string> columns,
                                     std::span<const Params> rows, ring::Deadline deadline);
  ring::Task<ResultSet> run_logged(BackendConnection& conn, std::string_view sql,
                                   std::span<const Value> params, ring::Deadline deadline);

  Dialect dialect_;
  std::string database_;
  ConnectionFactory connect_;
  PoolOptions pool_options_;
  std::chrono::milliseconds close_timeout_;
  // One pool per loop that used the database, in the order made; the list only grows (until
  // the database dies), so a Pool* stays valid. first_ is the first shard: a single-loop
  // program's every statement finds it without the lock.
  std::uint64_t id_;  // unique among databases: keys each thread's cached shard
  mutable std::mutex shards_mutex_;
  std::vector<std::unique_ptr<Pool>> shards_;
  std::atomic<Pool*> first_{nullptr};
  std::vector<std::unique_ptr<detail::Listener>> listeners_;  // one per loop; shards_mutex_
  std::atomic<bool> closed_{false};  // aio_close() ran (until aio_connect()): the sync path refuses
  bool allow_sync_ = false;
  std::unique_ptr<ring::Loop> sync_loop_;
  std::unique_ptr<BackendConnection> sync_conn_;
  // The sync connection as a scope binding: run_sync's tasks run with sync_context_, whose
  // `local` points at it, so that their statements and scopes use the sync connection.
  std::shared_ptr<detail::ScopeBinding> sync_binding_;
  ring::TaskContext sync_context_;
  // The query hook, tracer and metrics; its pools point at it (see observed()).
  std::unique_ptr<detail::Observer> observer_;
  // Mirrors observer_->active(): the one branch an unobserved statement pays.
  bool observed_ = false;
};

/// PostgreSQL with a connection pool.
class PooledPostgresqlDatabase : public AioDatabase {
 public:
  /// Connects to `database` with `options` (unset fields from the PG* environment).
  explicit PooledPostgresqlDatabase(std::string database, DatabaseOptions options = {});
  /// Full control over the connection settings (sslmode, statement cache, PgBouncer mode...).
  PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool);

 protected:
  /// For PooledPostgresqlExtDatabase: connections look up the hstore OID when
  /// `register_hstore`.
  PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool, bool register_hstore);
};

/// PostgreSQL with JSON/JSONB support (always on in tern) and HStore on request.
class PooledPostgresqlExtDatabase : public PooledPostgresqlDatabase {
 public:
  /// As PooledPostgresqlDatabase; `register_hstore` enables the hstore type.
  /// With it, each connection looks up the hstore OID (once, when it opens) so that HStore
  /// values (HStoreField) can be parameters; the extension must exist (CREATE EXTENSION hstore).
  explicit PooledPostgresqlExtDatabase(std::string database, DatabaseOptions options = {},
                                       bool register_hstore = false);
  /// Full control over the connection settings, as PooledPostgresqlDatabase's.
  PooledPostgresqlExtDatabase(pg::ConnectOptions connect, DatabaseOptions pool,
                              bool register_hstore = false);
  /// True when hstore was asked for.
  bool register_hstore() const noexcept { return register_hstore_; }

 private:
  bool register_hstore_;
};

/// MySQL / MariaDB with a connection pool.
class PooledMySQLDatabase : public AioDatabase {
 public:
  /// Connects to `database` with `options` (unset fields from MYSQL_* / USER).
  explicit PooledMySQLDatabase(std::string database, DatabaseOptions options = {});
  /// Full control over the connection settings.
  PooledMySQLDatabase(mysql::ConnectOptions connect, DatabaseOptions pool);
};

/// SQLite (Debian's libsqlite3), embedded: no server. Each pooled connection has a worker
/// thread that runs its SQLite calls, so the loop never blocks (docs/sqlite.md).
///
///   tern::SqliteDatabase db("app.db", {.max_connections = 4});
///   tern::SqliteDatabase mem(":memory:");  // one in-memory database shared by the pool
class SqliteDatabase : public AioDatabase {
 public:
  /// Opens `path` (a file, created when missing; ":memory:"; or a "file:" URI) with the
  /// default settings (foreign_keys on, WAL for files, busy_timeout 5 s) and `options`' pool
  /// sizes (host, port, user, password and TLS are not used).
  explicit SqliteDatabase(std::string path, DatabaseOptions options = {});
  /// Full control over the connection settings (pragmas, busy timeout, WAL, read only).
  SqliteDatabase(sqlite::OpenOptions open, DatabaseOptions pool);
};

/// peewee-async 2.x name of PooledPostgresqlExtDatabase.
using PostgresqlDatabase = PooledPostgresqlExtDatabase;
/// peewee-async 2.x name of PooledMySQLDatabase.
using MySQLDatabase = PooledMySQLDatabase;

/// Starts `task` on `group` inside the calling task's aio_atomic blocks, as asyncio's
/// create_task carries peewee-async's connection into child tasks: its queries use the
/// blocks' connections, taking turns with the block's other statements, and throw
/// InterfaceError once a block has ended (join such tasks before the block ends).
ring::Task<void> spawn(ring::TaskGroup& group, ring::Task<void> task);

/// A database from a URL: postgresql://, postgres://, postgresql+pool+async://,
/// postgres+pool+async://, mysql://, mariadb://, mysql+pool+async://, sqlite://,
/// sqlite+pool+async://. Pool settings ride in the query string (min_connections,
/// max_connections, pool_timeout and pool_recycle in seconds); everything else is the
/// backend's own URL syntax. PostgreSQL URLs give a PostgresqlDatabase (the Ext one, as
/// peewee-async 2.x). SQLite URLs are peewee's: `sqlite:///app.db` (relative path),
/// `sqlite:////var/lib/app.db` (absolute), `sqlite:///:memory:`, with busy_timeout (seconds),
/// foreign_keys, wal and read_only (true/false) in the query string. Throws InterfaceError.
std::unique_ptr<AioDatabase> connect(std::string_view url);

// ---- templates ----

template <class F>
auto AioDatabase::aio_execute(std::string_view sql, Params params, F fetch_results)
    -> ring::Task<typename detail::Unwrapped<std::invoke_result_t<F&, const ResultSet&>>::type> {
  const ResultSet rows = co_await aio_execute(sql, std::move(params));
  using Returned = decltype(fetch_results(rows));
  if constexpr (std::is_same_v<Returned, ring::Task<void>>) {
    co_await fetch_results(rows);
  } else if constexpr (requires { typename detail::TaskValue<Returned>::type; }) {
    co_return co_await fetch_results(rows);
  } else if constexpr (std::is_void_v<Returned>) {
    fetch_results(rows);
  } else {
    co_return fetch_results(rows);
  }
}

template <class F>
auto AioDatabase::run_scope(ScopeKind kind, TransactionOptions options, F body)
    -> ring::Task<typename detail::TaskValue<std::invoke_result_t<F&>>::type> {
  using T = typename detail::TaskValue<std::invoke_result_t<F&>>::type;
  ScopePtr scope = co_await enter_scope(kind, options);
  std::exception_ptr error;
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> result;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await ring::with_context(context_of(*scope), body());
      result.emplace(true);
    } else {
      result.emplace(co_await ring::with_context(context_of(*scope), body()));
    }
  } catch (...) {
    error = std::current_exception();
  }
  co_await exit_scope(std::move(scope), !error);
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*result);
}

template <class F>
std::invoke_result_t<F&> AioDatabase::sync_scope(ScopeKind kind, TransactionOptions options,
                                                 F& body) {
  ScopePtr scope = run_sync(enter_scope(kind, options));
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      body();
      run_sync(exit_scope(std::move(scope), true));
    } else {
      std::invoke_result_t<F&> result = body();
      run_sync(exit_scope(std::move(scope), true));
      return result;
    }
  } catch (...) {
    // The body failed (a failed COMMIT already ended the scope: `scope` was moved).
    if (scope) {
      try {
        run_sync(exit_scope(std::move(scope), false));
      } catch (...) {  // the body's error is the one to report
      }
    }
    throw;
  }
}

}  // namespace tern
