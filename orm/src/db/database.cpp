#include "tern/db/database.hpp"

#include <charconv>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/tls.hpp"

namespace tern {

// ---- transactions ----

/// One aio_atomic block: the outermost owns the transaction's connection and the binding its
/// task tree sees; a nested one is a savepoint on the binding in force.
struct AioDatabase::AtomicScope {
  Lease lease;                                // outermost only
  std::shared_ptr<detail::ScopeBinding> own;  // outermost only
  detail::ScopeBinding* bound = nullptr;
  std::string savepoint;      // nested only
  ring::TaskContext context;  // what the block's body runs with
};

void AioDatabase::AtomicScopeDeleter::operator()(AtomicScope* scope) const noexcept {
  delete scope;
}

ring::TaskContext& AioDatabase::context_of(AtomicScope& scope) noexcept {
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
      "the aio_atomic block this task belongs to has ended: its connection is gone (join tasks "
      "spawned inside a block before it ends)");
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

// Runs a control statement on a bound connection, in turn with the block's other statements.
// `last` marks the block's final statement: from then on the connection is not the block's.
ring::Task<void> run_bound(detail::ScopeBinding& b, std::string sql, bool last = false) {
  auto turn = co_await b.lock.scoped();
  if (b.ended) throw_scope_ended();
  if (last) b.ended = true;
  co_await settle(*b.conn);
  co_await b.conn->run(sql, ring::kNoDeadline);
}

ring::Task<void> keep_alive(std::shared_ptr<detail::ScopeBinding>, ring::Task<void> task) {
  co_await std::move(task);
}

}  // namespace

ring::Task<AioDatabase::ScopePtr> AioDatabase::enter_atomic() {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  ScopePtr scope(new AtomicScope());
  if (detail::ScopeBinding* outer = binding(ctx)) {
    scope->bound = outer;
    scope->savepoint = absl::StrCat("tern_sp_", ++outer->savepoints);
    scope->context = ctx;
    std::string sql = "SAVEPOINT " + scope->savepoint;
    co_await run_bound(*outer, std::move(sql));
    co_return scope;
  }
  scope->lease = co_await pool().acquire();
  scope->own = std::make_shared<detail::ScopeBinding>(pool().loop());
  scope->own->db = this;
  scope->own->conn = &*scope->lease;
  if (ctx.local != nullptr) {
    scope->own->next = static_cast<detail::ScopeBinding*>(ctx.local)->shared_from_this();
  }
  scope->bound = scope->own.get();
  scope->context = ring::TaskContext{.stop = ctx.stop, .local = scope->bound};
  co_await scope->lease->run("BEGIN", ring::kNoDeadline);
  co_return scope;
}

ring::Task<void> AioDatabase::exit_atomic(ScopePtr scope, bool commit) {
  detail::ScopeBinding& b = *scope->bound;
  const bool outermost = static_cast<bool>(scope->lease);
  std::string sql = outermost
                        ? std::string(commit ? "COMMIT" : "ROLLBACK")
                        : absl::StrCat(commit ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ",
                                       scope->savepoint);
  std::exception_ptr failed;
  if (commit) {
    try {
      co_await run_bound(b, std::move(sql), outermost);
    } catch (...) {
      failed = std::current_exception();  // a failed COMMIT is the block's outcome
    }
  } else {
    // The rollback runs even when the task was cancelled (its own context has no stop
    // request), and its own failure never hides the block's error: a connection it leaves
    // broken or mid-transaction is discarded or rolled back by the pool.
    ring::TaskContext cleanup;
    try {
      co_await ring::with_context(cleanup, run_bound(b, std::move(sql), outermost));
    } catch (...) {
    }
  }
  scope.reset();  // the lease goes back to the pool here
  if (failed) std::rethrow_exception(failed);
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

ring::Task<ResultSet> AioDatabase::aio_execute(std::string_view sql, Params params,
                                               QueryOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  if (detail::ScopeBinding* b = binding(ctx)) {
    refuse_own_stream(*b, ctx);
    auto turn = co_await b->lock.scoped();
    if (b->ended) throw_scope_ended();
    co_await settle(*b->conn);
    co_return co_await b->conn->execute(sql, params, options.deadline);
  }
  Lease lease = co_await pool().acquire();
  co_return co_await lease->execute(sql, params, options.deadline);
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
    co_await b->conn->stream_open(sql, params, batch_rows, options.deadline);
    stream.binding_ = b->shared_from_this();
    stream.turn_.emplace(std::move(turn));
    stream.conn_ = b->conn;
    b->stream_owner = &ctx;
    co_return stream;
  }
  stream.lease_ = co_await pool().acquire();
  co_await stream.lease_->stream_open(sql, params, batch_rows, options.deadline);
  stream.conn_ = &*stream.lease_;
  co_return stream;
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
  return ring::sync_wait(*sync_loop_, sync_conn_->execute(sql, params, options.deadline));
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
    return std::make_unique<PooledPostgresqlDatabase>(std::move(c), options);
  }
  if (scheme == "mysql" || scheme == "mariadb") {
    mysql::ConnectOptions c = mysql::ConnectOptions::parse("mysql" + rest);
    return std::make_unique<PooledMySQLDatabase>(std::move(c), options);
  }
  throw InterfaceError("invalid database URL: unknown scheme \"" + scheme + "\"");
}

}  // namespace tern
