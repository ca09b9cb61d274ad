#include "tern/db/database.hpp"

#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/tls.hpp"

namespace tern {

// ---- scopes and transactions ----

/// One aio_connection / aio_atomic / aio_transaction / transaction_test_case block. The
/// outermost owns the connection and the binding its task tree sees; an inner one reuses it,
/// begins the transaction on it, or is a savepoint.
struct AioDatabase::Scope {
  Lease lease;                                // outermost only
  std::shared_ptr<detail::ScopeBinding> own;  // outermost only
  detail::ScopeBinding* bound = nullptr;
  ScopeKind kind = ScopeKind::kAtomic;
  bool began = false;         // this block sent BEGIN
  std::string savepoint;      // this block is a savepoint
  ring::TaskContext context;  // what the block's body runs with
};

void AioDatabase::ScopeDeleter::operator()(Scope* scope) const noexcept {
  delete scope;
}

ring::TaskContext& AioDatabase::context_of(Scope& scope) noexcept {
  return scope.context;
}

detail::ScopeBinding* AioDatabase::binding(const ring::TaskContext& ctx) const noexcept {
  for (auto* b = static_cast<detail::ScopeBinding*>(ctx.local); b != nullptr; b = b->next.get()) {
    if (b->db == this) return b;
  }
  return nullptr;
}

namespace {

[[noreturn]] void throw_scope_ended() {
  throw InterfaceError(
      "the aio_connection/aio_atomic block this task belongs to has ended: its connection is "
      "gone (join tasks spawned inside a block before it ends)");
}

// A task's statement while its own RowStream holds the block's connection would wait for
// itself forever: refused instead.
void refuse_own_stream(const detail::ScopeBinding& b, const ring::TaskContext& ctx) {
  if (b.stream_owner == &ctx) {
    throw InterfaceError(
        "this task has a row stream open on the aio_atomic block's connection: read it to the "
        "end or close it first");
  }
}

// A RowStream dropped before its end left its stream open on the block's connection: closed
// before the connection runs anything else.
ring::Task<void> settle(BackendConnection& conn) {
  if (conn.streaming()) co_await conn.stream_close(ring::kNoDeadline);
}

ring::Task<void> keep_alive(std::shared_ptr<detail::ScopeBinding>, ring::Task<void> task) {
  co_await std::move(task);
}

const char* isolation_name(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kReadUncommitted:
      return "READ UNCOMMITTED";
    case IsolationLevel::kReadCommitted:
      return "READ COMMITTED";
    case IsolationLevel::kRepeatableRead:
      return "REPEATABLE READ";
    case IsolationLevel::kSerializable:
      return "SERIALIZABLE";
  }
  return "";
}

bool has_options(const TransactionOptions& o) {
  return o.isolation || o.read_only || o.deferrable;
}

// The statements that start a transaction with `o`: PostgreSQL takes the modes on BEGIN;
// MySQL sets the isolation level for the next transaction, then starts it.
std::vector<std::string> begin_statements(Dialect dialect, const TransactionOptions& o) {
  if (dialect == Dialect::kPostgres) {
    std::string sql = "BEGIN";
    if (o.isolation) absl::StrAppend(&sql, " ISOLATION LEVEL ", isolation_name(*o.isolation));
    if (o.read_only) sql += " READ ONLY";
    if (o.deferrable) sql += " DEFERRABLE";
    return {std::move(sql)};
  }
  if (o.deferrable) throw NotSupportedError("DEFERRABLE transactions are PostgreSQL's");
  std::vector<std::string> out;
  if (o.isolation) {
    out.push_back(absl::StrCat("SET TRANSACTION ISOLATION LEVEL ", isolation_name(*o.isolation)));
  }
  out.emplace_back(o.read_only ? "START TRANSACTION READ ONLY" : "BEGIN");
  return out;
}

}  // namespace

ring::Task<void> AioDatabase::run_control(detail::ScopeBinding& b, std::string sql, bool last) {
  auto turn = co_await b.lock.scoped();
  if (b.ended) throw_scope_ended();
  if (last) b.ended = true;
  co_await settle(*b.conn);
  if (sql != "COMMIT") {
    co_await run_simple(*b.conn, sql);
    co_return;
  }
  // Once COMMIT may have reached the server, a lost connection (or a reply that breaks the
  // protocol) leaves the outcome unknown. A connection already broken before COMMIT went out
  // was never asked to commit: plain ConnectionLost (the server rolls back).
  if (!b.conn->is_usable()) {
    throw ConnectionLost(
        "the transaction's connection broke before COMMIT was sent: it was not committed");
  }
  try {
    co_await run_simple(*b.conn, sql);
  } catch (const ConnectionLost& e) {
    throw TransactionOutcomeUnknown(
        absl::StrCat("the connection was lost while COMMIT was in flight: the transaction may "
                     "or may not have been committed (",
                     e.what(), ")"));
  } catch (const protocol::ProtocolError& e) {
    throw TransactionOutcomeUnknown(
        absl::StrCat("the reply to COMMIT broke the protocol: the transaction may or may not "
                     "have been committed (",
                     e.what(), ")"));
  }
}

ring::Task<AioDatabase::ScopePtr> AioDatabase::enter_scope(ScopeKind kind,
                                                           TransactionOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  ScopePtr scope(new Scope());
  scope->kind = kind;
  if (detail::ScopeBinding* outer = binding(ctx)) {
    scope->bound = outer;
    scope->context = ctx;
    if (kind == ScopeKind::kConnection) co_return scope;  // reuses the outer connection
    if (outer->test_case || kind == ScopeKind::kTestCase) {
      throw InterfaceError(
          "transactions are refused inside transaction_test_case (it rolls back everything "
          "at its end), and transaction_test_case cannot run inside another block");
    }
    if (outer->in_transaction) {
      if (kind == ScopeKind::kTransaction) {
        throw OperationalError("Transaction already opened (aio_transaction does not nest)");
      }
      if (has_options(options)) {
        throw InterfaceError(
            "transaction options apply to a transaction, not to a savepoint (this aio_atomic "
            "block is nested in an open transaction)");
      }
      scope->savepoint = absl::StrCat("tern_sp_", ++outer->savepoints);
      co_await run_control(*outer, "SAVEPOINT " + scope->savepoint);
      co_return scope;
    }
    // Inside aio_connection() with no transaction open: this block begins one there.
    for (std::string& sql : begin_statements(dialect_, options)) {
      co_await run_control(*outer, std::move(sql));
    }
    outer->in_transaction = true;
    scope->began = true;
    co_return scope;
  }
  std::vector<std::string> begin;
  if (kind != ScopeKind::kConnection) begin = begin_statements(dialect_, options);
  scope->lease = co_await pool().acquire();
  scope->own = std::make_shared<detail::ScopeBinding>(pool().loop());
  scope->own->db = this;
  scope->own->conn = &*scope->lease;
  if (ctx.local != nullptr) {
    scope->own->next = static_cast<detail::ScopeBinding*>(ctx.local)->shared_from_this();
  }
  scope->bound = scope->own.get();
  scope->context = ring::TaskContext{.stop = ctx.stop, .local = scope->bound};
  for (const std::string& sql : begin) {
    co_await run_simple(*scope->lease, sql);
  }
  scope->began = !begin.empty();
  scope->own->in_transaction = scope->began;
  scope->own->test_case = kind == ScopeKind::kTestCase;
  co_return scope;
}

ring::Task<void> AioDatabase::exit_scope(ScopePtr scope, bool commit) {
  detail::ScopeBinding& b = *scope->bound;
  const bool outermost = static_cast<bool>(scope->lease);
  if (scope->kind == ScopeKind::kTestCase) commit = false;
  std::string sql;
  if (!scope->savepoint.empty()) {
    sql = absl::StrCat(commit ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ", scope->savepoint);
  } else if (scope->began) {
    sql = commit ? "COMMIT" : "ROLLBACK";
  } else if (outermost) {
    // An aio_connection scope: its statements are done once the turn is ours; a transaction
    // begun by hand and left open is rolled back by the pool before the connection's reuse.
    {
      auto turn = co_await b.lock.scoped();
      b.ended = true;
    }
    scope.reset();
    co_return;
  } else {
    co_return;  // a nested aio_connection: nothing of its own
  }
  std::exception_ptr failed;
  if (commit) {
    try {
      co_await run_control(b, std::move(sql), outermost);
    } catch (...) {
      failed = std::current_exception();  // a failed COMMIT is the block's outcome
    }
  } else {
    // The rollback runs even when the task was cancelled (its own context has no stop
    // request), and its own failure never hides the block's error: a connection it leaves
    // broken or mid-transaction is discarded or rolled back by the pool.
    ring::TaskContext cleanup;
    try {
      co_await ring::with_context(cleanup, run_control(b, std::move(sql), outermost));
    } catch (...) {
    }
  }
  if (scope->began) b.in_transaction = false;
  scope.reset();  // the lease goes back to the pool here
  if (failed) std::rethrow_exception(failed);
}

ring::Task<Transaction> AioDatabase::aio_begin(TransactionOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  detail::ScopeBinding* b = binding(ctx);
  if (b == nullptr) {
    throw OperationalError("aio_begin() can only be called within an aio_connection() scope");
  }
  if (b->test_case) throw InterfaceError("aio_begin() is refused inside transaction_test_case");
  if (b->in_transaction) {
    throw OperationalError(
        "a transaction is already open on this connection: use aio_savepoint() to nest");
  }
  for (std::string& sql : begin_statements(dialect_, options)) {
    co_await run_control(*b, std::move(sql));
  }
  b->in_transaction = true;
  co_return Transaction(*this, b->shared_from_this(), {});
}

ring::Task<Transaction> AioDatabase::aio_savepoint() {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  detail::ScopeBinding* b = binding(ctx);
  if (b == nullptr) {
    throw OperationalError("aio_savepoint() can only be called within an aio_connection() scope");
  }
  if (b->test_case) {
    throw InterfaceError("aio_savepoint() is refused inside transaction_test_case");
  }
  if (!b->in_transaction) {
    throw OperationalError("aio_savepoint() needs an open transaction (aio_begin() first)");
  }
  std::string name = absl::StrCat("tern_sp_", ++b->savepoints);
  co_await run_control(*b, "SAVEPOINT " + name);
  co_return Transaction(*this, b->shared_from_this(), std::move(name));
}

ring::Task<void> Transaction::commit() {
  co_await end(true);
}

ring::Task<void> Transaction::rollback() {
  co_await end(false);
}

ring::Task<void> Transaction::end(bool commit) {
  if (!binding_) throw InterfaceError("this transaction has already been committed or rolled back");
  std::shared_ptr<detail::ScopeBinding> b = std::move(binding_);
  if (savepoint_.empty()) {
    // Whatever the outcome, the transaction is over (a failed COMMIT rolls back).
    b->in_transaction = false;
    co_await db_->run_control(*b, commit ? "COMMIT" : "ROLLBACK");
  } else if (commit) {
    co_await db_->run_control(*b, "RELEASE SAVEPOINT " + savepoint_);
  } else {
    co_await db_->run_control(*b, "ROLLBACK TO SAVEPOINT " + savepoint_);
    co_await db_->run_control(*b, "RELEASE SAVEPOINT " + savepoint_);
  }
}

// ---- queries ----

Pool& AioDatabase::pool() {
  ring::Loop* loop = ring::Loop::current();
  if (!pool_) {
    if (loop == nullptr) {
      throw InterfaceError("AioDatabase used outside a running tern loop (use the sync path)");
    }
    pool_ = std::make_unique<Pool>(*loop, connect_, pool_options_);
  } else if (loop != nullptr && loop != &pool_->loop()) {
    throw InterfaceError("an AioDatabase's pool lives on the loop that first used it");
  }
  return *pool_;
}

ring::Task<void> AioDatabase::aio_connect() {
  co_await pool().open();
}

bool AioDatabase::is_connected() const noexcept {
  return pool_ && pool_->is_open();
}

ring::Task<void> AioDatabase::aio_close() {
  if (pool_) co_await pool_->close(ring::deadline_after(close_timeout_));
}

PoolStats AioDatabase::pool_stats() const noexcept {
  return pool_ ? pool_->stats() : PoolStats{};
}

template <class P>
ring::Task<ResultSet> AioDatabase::execute_with(std::string_view sql, P params,
                                                QueryOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  if (detail::ScopeBinding* b = binding(ctx)) {
    refuse_own_stream(*b, ctx);
    auto turn = co_await b->lock.scoped();
    if (b->ended) throw_scope_ended();
    co_await settle(*b->conn);
    co_return co_await run_statement(*b->conn, sql, params, options.deadline);
  }
  Lease lease;
  if (options.read_only) {
    lease = co_await acquire_read();
  } else {
    lease = co_await pool().acquire();
  }
  co_return co_await run_statement(*lease, sql, params, options.deadline);
}

ring::Task<ResultSet> AioDatabase::aio_execute(std::string_view sql, Params params,
                                               QueryOptions options) {
  return execute_with(sql, std::move(params), options);
}

ring::Task<ResultSet> AioDatabase::aio_execute_view(std::string_view sql,
                                                    std::span<const Value> params,
                                                    QueryOptions options) {
  return execute_with(sql, params, options);
}

ring::Task<Lease> AioDatabase::acquire_read() {
  return pool().acquire();
}

ring::Task<ResultSet> AioDatabase::run_statement(BackendConnection& conn, std::string_view sql,
                                                 std::span<const Value> params,
                                                 ring::Deadline deadline) {
  // Without a hook, the connection's own task: no extra coroutine frame per query.
  if (!hook_) return conn.execute(sql, params, deadline);
  return run_logged(conn, sql, params, deadline);
}

ring::Task<ResultSet> AioDatabase::run_logged(BackendConnection& conn, std::string_view sql,
                                              std::span<const Value> params,
                                              ring::Deadline deadline) {
  const auto start = std::chrono::steady_clock::now();
  std::exception_ptr error;
  ResultSet rows;
  try {
    rows = co_await conn.execute(sql, params, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  report(sql, params, start, rows.empty() ? rows.rows_affected() : rows.size(), error);
  if (error) std::rethrow_exception(error);
  co_return rows;
}

ring::Task<void> AioDatabase::run_simple(BackendConnection& conn, std::string_view sql) {
  // The simple query protocol: one round trip, nothing prepared or cached on the server.
  if (!hook_) {
    co_await conn.run(sql, ring::kNoDeadline);
    co_return;
  }
  const auto start = std::chrono::steady_clock::now();
  std::exception_ptr error;
  try {
    co_await conn.run(sql, ring::kNoDeadline);
  } catch (...) {
    error = std::current_exception();
  }
  report(sql, {}, start, 0, error);
  if (error) std::rethrow_exception(error);
}

void AioDatabase::report(std::string_view sql, std::span<const Value> params,
                         std::chrono::steady_clock::time_point start, std::uint64_t rows,
                         std::exception_ptr error) const noexcept {
  if (!hook_) return;
  QueryEvent event{.sql = sql,
                   .params = hook_params_ ? params : std::span<const Value>(),
                   .param_count = params.size(),
                   .duration = std::chrono::steady_clock::now() - start,
                   .rows = rows,
                   .error = std::move(error)};
  try {
    hook_(event);
  } catch (...) {  // a tracing hook must not change the query's outcome
  }
}

void AioDatabase::set_query_hook(QueryHook hook, bool with_params) {
  hook_ = std::move(hook);
  hook_params_ = with_params;
}

ring::Task<void> AioDatabase::open_stream(BackendConnection& conn, std::string_view sql,
                                          std::span<const Value> params, std::uint32_t batch_rows,
                                          ring::Deadline deadline) {
  if (!hook_) {
    co_await conn.stream_open(sql, params, batch_rows, deadline);
    co_return;
  }
  const auto start = std::chrono::steady_clock::now();
  std::exception_ptr error;
  try {
    co_await conn.stream_open(sql, params, batch_rows, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  report(sql, params, start, 0, error);
  if (error) std::rethrow_exception(error);
}

ring::Task<RowStream> AioDatabase::aio_stream(std::string_view sql, Params params,
                                              std::uint32_t batch_rows, QueryOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  RowStream stream;
  stream.deadline_ = options.deadline;
  if (detail::ScopeBinding* b = binding(ctx)) {
    refuse_own_stream(*b, ctx);
    auto turn = co_await b->lock.scoped();
    if (b->ended) throw_scope_ended();
    co_await settle(*b->conn);
    co_await open_stream(*b->conn, sql, params, batch_rows, options.deadline);
    stream.binding_ = b->shared_from_this();
    stream.turn_.emplace(std::move(turn));
    stream.conn_ = b->conn;
    b->stream_owner = &ctx;
    co_return stream;
  }
  if (options.read_only) {
    stream.lease_ = co_await acquire_read();
  } else {
    stream.lease_ = co_await pool().acquire();
  }
  co_await open_stream(*stream.lease_, sql, params, batch_rows, options.deadline);
  stream.conn_ = &*stream.lease_;
  co_return stream;
}

// ---- introspection ----

namespace {

// The schema as a parameter: empty = the connection's current one (NULL → COALESCE).
Value schema_param(std::string schema) {
  return schema.empty() ? Value() : Value(std::move(schema));
}

}  // namespace

ring::Task<std::vector<std::string>> AioDatabase::aio_get_tables(std::string schema) {
  const char* sql =
      dialect_ == Dialect::kPostgres
          ? "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = "
            "COALESCE($1::text, current_schema()) ORDER BY tablename"
          : "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "COALESCE(?, DATABASE()) AND table_type = 'BASE TABLE' ORDER BY table_name";
  const ResultSet rows = co_await aio_execute(sql, schema_param(std::move(schema)));
  std::vector<std::string> names;
  names.reserve(rows.size());
  for (const Row row : rows)
    names.push_back(row.get<std::string>(0));
  co_return names;
}

ring::Task<bool> AioDatabase::aio_table_exists(std::string name, std::string schema) {
  const char* sql =
      dialect_ == Dialect::kPostgres
          ? "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = $1 AND schemaname = "
            "COALESCE($2::text, current_schema())"
          : "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = "
            "COALESCE(?, DATABASE()) AND table_type = 'BASE TABLE'";
  const ResultSet rows =
      co_await aio_execute(sql, Value(std::move(name)), schema_param(std::move(schema)));
  co_return !rows.empty();
}

ring::Task<bool> AioDatabase::aio_sequence_exists(std::string name) {
  const char* sql =
      dialect_ == Dialect::kPostgres
          ? "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
            "c.relnamespace WHERE c.relkind = 'S' AND c.relname = $1 AND n.nspname = "
            "current_schema()"
          : "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = "
            "DATABASE() AND table_type = 'SEQUENCE'";
  const ResultSet rows = co_await aio_execute(sql, Value(std::move(name)));
  co_return !rows.empty();
}

// ---- RowStream ----

RowStream::~RowStream() {
  finish();
}

void RowStream::finish() noexcept {
  ended_ = true;
  if (binding_) binding_->stream_owner = nullptr;
  turn_.reset();
  binding_.reset();
  lease_.release();  // an unfinished stream is closed by the pool before reuse
  conn_ = nullptr;
}

ring::Task<std::optional<ResultSet>> RowStream::next() {
  if (ended_ || conn_ == nullptr) co_return std::nullopt;
  ResultSet batch;
  bool more = false;
  try {
    more = co_await conn_->stream_next(batch, deadline_);
  } catch (...) {
    finish();
    throw;
  }
  if (!more) {
    finish();
    if (batch.empty()) co_return std::nullopt;
  }
  co_return batch;
}

ring::Task<void> RowStream::aio_close() {
  if (!ended_ && conn_ != nullptr) {
    try {
      co_await conn_->stream_close(deadline_);
    } catch (...) {
      finish();
      throw;
    }
  }
  finish();
}

ring::Task<void> spawn(ring::TaskGroup& group, ring::Task<void> task) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  auto* b = static_cast<detail::ScopeBinding*>(ctx.local);
  group.spawn(keep_alive(b != nullptr ? b->shared_from_this() : nullptr, std::move(task)),
              ctx.local);
}

// ---- the synchronous path ----

AioDatabase::AllowSync::AllowSync(AioDatabase& db) noexcept
    : db_(db), previous_(db.allow_sync_), had_connection_(db.sync_conn_ != nullptr) {
  db_.allow_sync_ = true;
}

AioDatabase::AllowSync::~AllowSync() {
  if (!had_connection_) db_.close_sync();
  db_.allow_sync_ = previous_;
}

ResultSet AioDatabase::execute_sql(std::string_view sql, Params params, QueryOptions options) {
  if (!allow_sync_) {
    throw InterfaceError(
        "sync query is not allowed: call set_allow_sync(true) or use the allow_sync() scope");
  }
  if (!sync_loop_) sync_loop_ = std::make_unique<ring::Loop>();
  if (sync_conn_ && !sync_conn_->is_usable()) sync_conn_.reset();
  if (!sync_conn_) sync_conn_ = ring::sync_wait(*sync_loop_, connect_(*sync_loop_));
  return ring::sync_wait(*sync_loop_, run_statement(*sync_conn_, sql, params, options.deadline));
}

void AioDatabase::close_sync() noexcept {
  if (!sync_conn_) return;
  try {
    ring::sync_wait(*sync_loop_, sync_conn_->close());
  } catch (...) {  // closing anyway
  }
  sync_conn_.reset();
}

// ---- construction ----

namespace {

PoolOptions pool_options(const DatabaseOptions& o) {
  return {.min_connections = o.min_connections,
          .max_connections = o.max_connections,
          .timeout = o.pool_params.timeout,
          .pool_recycle = o.pool_params.pool_recycle,
          .health_check_after_idle = o.pool_params.health_check_after_idle};
}

ring::TlsVerify pg_verify(pg::SslMode mode) {
  return mode == pg::SslMode::kVerifyFull ? ring::TlsVerify::kFull
         : mode == pg::SslMode::kVerifyCa ? ring::TlsVerify::kCa
                                          : ring::TlsVerify::kNone;
}

ring::TlsVerify mysql_verify(mysql::SslMode mode) {
  return mode == mysql::SslMode::kVerifyIdentity ? ring::TlsVerify::kFull
         : mode == mysql::SslMode::kVerifyCa     ? ring::TlsVerify::kCa
                                                 : ring::TlsVerify::kNone;
}

// One TLS context for every connection of the pool (loading CAs once).
pg::ConnectOptions with_shared_tls(pg::ConnectOptions c) {
  if (!c.tls_context && c.ssl_mode >= pg::SslMode::kPrefer) {
    c.tls_context =
        std::make_shared<const ring::TlsContext>(ring::TlsConfig{.verify = pg_verify(c.ssl_mode),
                                                                 .ca_file = c.ssl_root_cert,
                                                                 .cert_file = c.ssl_cert,
                                                                 .key_file = c.ssl_key});
  }
  return c;
}

mysql::ConnectOptions with_shared_tls(mysql::ConnectOptions c) {
  if (!c.tls_context && c.ssl_mode != mysql::SslMode::kDisabled) {
    c.tls_context =
        std::make_shared<const ring::TlsContext>(ring::TlsConfig{.verify = mysql_verify(c.ssl_mode),
                                                                 .ca_file = c.ssl_ca,
                                                                 .cert_file = c.ssl_cert,
                                                                 .key_file = c.ssl_key});
  }
  return c;
}

pg::ConnectOptions pg_options(const std::string& database, const DatabaseOptions& o) {
  pg::ConnectOptions c = pg::ConnectOptions::parse("");  // the PG* environment, the OS user
  if (!database.empty()) c.database = database;
  if (!o.host.empty()) c.host = o.host;
  if (o.port != 0) c.port = o.port;
  if (!o.user.empty()) c.user = o.user;
  if (!o.password.empty()) c.password = o.password;
  if (!o.ssl_mode.empty()) c.ssl_mode = pg::parse_ssl_mode(o.ssl_mode);
  if (!o.ssl_ca.empty()) c.ssl_root_cert = o.ssl_ca;
  c.connect_timeout = o.connect_timeout;
  return c;
}

mysql::ConnectOptions mysql_options(const std::string& database, const DatabaseOptions& o) {
  mysql::ConnectOptions c = mysql::ConnectOptions::parse("mysql://");  // MYSQL_* and USER
  c.database = database;
  if (!o.host.empty()) c.host = o.host;
  if (o.port != 0) c.port = o.port;
  if (!o.user.empty()) c.user = o.user;
  if (!o.password.empty()) c.password = o.password;
  if (!o.ssl_mode.empty()) c.ssl_mode = mysql::parse_ssl_mode(o.ssl_mode);
  if (!o.ssl_ca.empty()) c.ssl_ca = o.ssl_ca;
  c.connect_timeout = o.connect_timeout;
  return c;
}

ConnectionFactory pg_factory(pg::ConnectOptions c, bool register_hstore = false) {
  return [c = with_shared_tls(std::move(c)), register_hstore](ring::Loop& loop) {
    return connect_postgres(loop, c, register_hstore);
  };
}

ConnectionFactory mysql_factory(mysql::ConnectOptions c) {
  return [c = with_shared_tls(std::move(c))](ring::Loop& loop) { return connect_mysql(loop, c); };
}

}  // namespace

AioDatabase::AioDatabase(Dialect dialect, std::string database, ConnectionFactory connect,
                         const DatabaseOptions& options)
    : dialect_(dialect),
      database_(std::move(database)),
      connect_(std::move(connect)),
      pool_options_(pool_options(options)),
      close_timeout_(options.close_timeout) {}

AioDatabase::~AioDatabase() {
  close_sync();
}

PooledPostgresqlDatabase::PooledPostgresqlDatabase(std::string database, DatabaseOptions options)
    : PooledPostgresqlDatabase(pg_options(database, options), options) {}

PooledPostgresqlDatabase::PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool)
    : AioDatabase(Dialect::kPostgres, connect.database, pg_factory(connect), pool) {}

PooledPostgresqlDatabase::PooledPostgresqlDatabase(pg::ConnectOptions connect, DatabaseOptions pool,
                                                   bool register_hstore)
    : AioDatabase(Dialect::kPostgres, connect.database, pg_factory(connect, register_hstore),
                  pool) {}

PooledPostgresqlExtDatabase::PooledPostgresqlExtDatabase(std::string database,
                                                         DatabaseOptions options,
                                                         bool register_hstore)
    : PooledPostgresqlExtDatabase(pg_options(database, options), options, register_hstore) {}

PooledPostgresqlExtDatabase::PooledPostgresqlExtDatabase(pg::ConnectOptions connect,
                                                         DatabaseOptions pool, bool register_hstore)
    : PooledPostgresqlDatabase(std::move(connect), std::move(pool), register_hstore),
      register_hstore_(register_hstore) {}

PooledMySQLDatabase::PooledMySQLDatabase(std::string database, DatabaseOptions options)
    : PooledMySQLDatabase(mysql_options(database, options), options) {}

PooledMySQLDatabase::PooledMySQLDatabase(mysql::ConnectOptions connect, DatabaseOptions pool)
    : AioDatabase(Dialect::kMysql, connect.database, mysql_factory(connect), pool) {}

// ---- URLs ----

namespace {

std::chrono::milliseconds seconds_value(std::string_view text, std::string_view key) {
  double seconds = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || ptr != text.data() + text.size() || seconds < 0) {
    throw InterfaceError("invalid database URL: bad " + std::string(key));
  }
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::size_t count_value(std::string_view text, std::string_view key) {
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    throw InterfaceError("invalid database URL: bad " + std::string(key));
  }
  return n;
}

// Takes the pool keys out of the URL's query string into `options`; returns the rest.
std::string take_pool_keys(std::string_view url, DatabaseOptions& options) {
  const std::size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string rest(url.substr(0, q));
  std::string_view query = url.substr(q + 1);
  char sep = '?';
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (key == "min_connections") {
      options.min_connections = count_value(value, key);
    } else if (key == "max_connections") {
      options.max_connections = count_value(value, key);
    } else if (key == "pool_timeout" || key == "timeout") {
      options.pool_params.timeout = seconds_value(value, key);
    } else if (key == "pool_recycle") {
      options.pool_params.pool_recycle = seconds_value(value, key);
    } else if (!pair.empty()) {
      rest += sep;
      rest += pair;
      sep = '&';
    }
  }
  return rest;
}

}  // namespace

std::unique_ptr<AioDatabase> connect(std::string_view url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) throw InterfaceError("invalid database URL: no scheme");
  std::string scheme(url.substr(0, colon));
  if (scheme.ends_with("+pool+async")) scheme.resize(scheme.size() - 11);
  DatabaseOptions options;
  const std::string rest = take_pool_keys(url.substr(colon), options);
  if (scheme == "postgresql" || scheme == "postgres") {
    pg::ConnectOptions c = pg::ConnectOptions::parse("postgresql" + rest);
    // peewee-async 2.x's PostgresqlDatabase is the Ext one (JSON always on).
    return std::make_unique<PostgresqlDatabase>(std::move(c), options);
  }
  if (scheme == "mysql" || scheme == "mariadb") {
    mysql::ConnectOptions c = mysql::ConnectOptions::parse("mysql" + rest);
    return std::make_unique<PooledMySQLDatabase>(std::move(c), options);
  }
  throw InterfaceError("invalid database URL: unknown scheme \"" + scheme + "\"");
}

}  // namespace tern
