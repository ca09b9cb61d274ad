// Statement execution on an AioDatabase: a statement runs on its task's scope connection when
// it has one (binding()), else on a connection leased from the pool (a replica's for read-only
// statements); the query hook's timing and reporting; row streams (aio_stream, RowStream); the
// introspection queries (aio_get_tables...); and the synchronous path (execute_sql). The scope
// lookup and the per-statement path live together here so that they inline into one another.
#include <array>
#include <chrono>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "observer.hpp"
#include "scopes.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/sync_wait.hpp"

namespace tern {

detail::ScopeBinding* AioDatabase::binding(const ring::TaskContext& ctx) const noexcept {
  for (auto* b = static_cast<detail::ScopeBinding*>(ctx.local); b != nullptr; b = b->next.get()) {
    if (b->db == this) return b;
  }
  return nullptr;
}

namespace {

using detail::settle;
using detail::throw_scope_ended;

// A statement on a shared connection that ended inside an open transaction (a raw BEGIN
// through aio_execute, its own or another task's on the same connection): whatever it did is
// rolled back when the connection goes back to the pool, so it must not look committed.
[[noreturn]] void throw_ran_in_open_transaction() {
  throw InterfaceError(
      "a transaction was open on the pooled connection this statement shared with other "
      "tasks' (a BEGIN run through aio_execute outside a transaction scope): it will be rolled "
      "back; use aio_atomic / aio_transaction for transactions");
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

}  // namespace

template <class P>
ring::Task<ResultSet> AioDatabase::execute_with(std::string_view sql, P params,
                                                QueryOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  if (detail::ScopeBinding* b = binding(ctx)) {
    refuse_own_stream(*b, ctx);
    {
      auto turn = co_await b->lock.scoped();
      if (b->ended) throw_scope_ended();
      co_await settle(*b->conn);
      if (!b->conn->pipelines()) {
        co_return co_await run_statement(*b->conn, sql, params, options.deadline);
      }
    }
    // The turn only to start: the block's other tasks (spawn()) pipeline their statements on
    // the connection meanwhile, each task's own in the order it issues them.
    struct InFlight {
      detail::ScopeBinding& b;
      explicit InFlight(detail::ScopeBinding& binding) : b(binding) { ++b.in_flight; }
      ~InFlight() {
        if (--b.in_flight == 0 && b.all_done) b.all_done->notify();
      }
    } in_flight(*b);
    co_return co_await run_statement(*b->conn, sql, params, options.deadline);
  }
  Lease lease;
  if (std::optional<Lease> now = options.read_only ? try_share_read() : pool().try_share()) {
    lease = std::move(*now);  // warm: no coroutine of the pool's
  } else if (options.read_only) {
    lease = co_await acquire_read(/*share=*/true);
  } else {
    lease = co_await pool().share();  // acquire() unless pipeline_depth > 1
  }
  if (!lease.shared()) co_return co_await run_statement(*lease, sql, params, options.deadline);
  ResultSet rows = co_await run_statement(*lease, sql, params, options.deadline);
  if (lease->in_transaction()) throw_ran_in_open_transaction();
  co_return rows;
}

// The variadic aio_execute's forms, its parameters in the frame (kInlineParams in
// database.hpp).
#define TERN_INLINE_PARAMS(N)                                                                      \
  template ring::Task<ResultSet> AioDatabase::execute_with(std::string_view, std::array<Value, N>, \
                                                           QueryOptions)
TERN_INLINE_PARAMS(1);
TERN_INLINE_PARAMS(2);
TERN_INLINE_PARAMS(3);
TERN_INLINE_PARAMS(4);
TERN_INLINE_PARAMS(5);
TERN_INLINE_PARAMS(6);
TERN_INLINE_PARAMS(7);
TERN_INLINE_PARAMS(8);
#undef TERN_INLINE_PARAMS
static_assert(AioDatabase::kInlineParams == 8);

ring::Task<ResultSet> AioDatabase::aio_execute(std::string_view sql, Params params,
                                               QueryOptions options) {
  return execute_with(sql, std::move(params), options);
}

ring::Task<ResultSet> AioDatabase::aio_execute_view(std::string_view sql,
                                                    std::span<const Value> params,
                                                    QueryOptions options) {
  return execute_with(sql, params, options);
}

ring::Task<Lease> AioDatabase::acquire_read(bool share) {
  return share ? pool().share() : pool().acquire();
}

std::optional<Lease> AioDatabase::try_share_read() {
  return pool().try_share();
}

ring::Task<ResultSet> AioDatabase::run_statement(BackendConnection& conn, std::string_view sql,
                                                 std::span<const Value> params,
                                                 ring::Deadline deadline) {
  // Unobserved, the connection's own task: no extra coroutine frame per query.
  if (!observed_) return conn.execute(sql, params, deadline);
  return run_logged(conn, sql, params, deadline);
}

ring::Task<ResultSet> AioDatabase::run_logged(BackendConnection& conn, std::string_view sql,
                                              std::span<const Value> params,
                                              ring::Deadline deadline) {
  detail::Observer::Span span(*observer_, SpanKind::kQuery, sql, params, conn.server_address(),
                              conn.server_port());
  std::exception_ptr error;
  ResultSet rows;
  try {
    rows = co_await conn.execute(sql, params, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  span.end(rows.empty() ? rows.rows_affected() : rows.size(), error);
  if (error) std::rethrow_exception(error);
  co_return rows;
}

ring::Task<void> AioDatabase::run_simple(BackendConnection& conn, std::string_view sql) {
  // The simple query protocol: one round trip, nothing prepared or cached on the server.
  if (!observed_) {
    co_await conn.run(sql, ring::kNoDeadline);
    co_return;
  }
  detail::Observer::Span span(*observer_, SpanKind::kTransaction, sql, {}, conn.server_address(),
                              conn.server_port());
  std::exception_ptr error;
  try {
    co_await conn.run(sql, ring::kNoDeadline);
  } catch (...) {
    error = std::current_exception();
  }
  span.end(0, error);
  if (error) std::rethrow_exception(error);
}

std::string AioDatabase::describe_statement(std::string_view sql,
                                            std::span<const Value> params) const {
  if (observer_->hook_shows_params() || params.empty()) {
    return absl::StrCat("SQL: ", std::string(sql), "\nParams: ", describe_values(params));
  }
  return absl::StrCat("SQL: ", std::string(sql), "\nParams: ", params.size(),
                      params.size() == 1 ? " value" : " values",
                      " (redacted: set_query_hook(hook, true) shows them)");
}

void AioDatabase::set_query_hook(QueryHook hook, bool with_params) {
  observer_->set_hook(std::move(hook), with_params);
  observed_ = observer_->active();
}

void AioDatabase::set_tracer(std::shared_ptr<Tracer> tracer, bool with_params) {
  observer_->set_tracer(std::move(tracer), with_params);
  observed_ = observer_->active();
}

void AioDatabase::enable_metrics(bool on) noexcept {
  observer_->enable_metrics(on);
  observed_ = observer_->active();
}

DatabaseMetrics AioDatabase::metrics() const {
  return observer_->metrics(pool_stats());
}

ring::Task<void> AioDatabase::open_stream(BackendConnection& conn, std::string_view sql,
                                          std::span<const Value> params, std::uint32_t batch_rows,
                                          ring::Deadline deadline) {
  if (!observed_) {
    co_await conn.stream_open(sql, params, batch_rows, deadline);
    co_return;
  }
  detail::Observer::Span span(*observer_, SpanKind::kStream, sql, params, conn.server_address(),
                              conn.server_port());
  std::exception_ptr error;
  try {
    co_await conn.stream_open(sql, params, batch_rows, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  span.end(0, error);
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
    co_await detail::quiesce(*b);
    co_await open_stream(*b->conn, sql, params, batch_rows, options.deadline);
    stream.binding_ = b->shared_from_this();
    stream.turn_.emplace(std::move(turn));
    stream.conn_ = b->conn;
    b->stream_owner = &ctx;
    co_return stream;
  }
  if (options.read_only) {
    stream.lease_ = co_await acquire_read(/*share=*/false);
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

// SQLite's schemas are its attached databases ("main" the connection's own); its internal
// tables (sqlite_sequence, sqlite_stat1...) are not the user's.
ring::Task<std::vector<std::string>> AioDatabase::aio_get_tables(std::string schema) {
  const char* sql =
      dialect_ == Dialect::kPostgres
          ? "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = "
            "COALESCE($1::text, current_schema()) ORDER BY tablename"
      : dialect_ == Dialect::kMysql
          ? "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "COALESCE(?, DATABASE()) AND table_type = 'BASE TABLE' ORDER BY table_name"
          : "SELECT name FROM pragma_table_list WHERE schema = COALESCE(?, 'main') AND type = "
            "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
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
      : dialect_ == Dialect::kMysql
          ? "SELECT 1 FROM information_schema.tables WHERE table_name = ? AND table_schema = "
            "COALESCE(?, DATABASE()) AND table_type = 'BASE TABLE'"
          : "SELECT 1 FROM pragma_table_list WHERE name = ? AND schema = COALESCE(?, 'main') AND "
            "type = 'table'";
  const ResultSet rows =
      co_await aio_execute(sql, Value(std::move(name)), schema_param(std::move(schema)));
  co_return !rows.empty();
}

ring::Task<bool> AioDatabase::aio_sequence_exists(std::string name) {
  if (dialect_ == Dialect::kSqlite) co_return false;  // SQLite has no sequences
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

ring::Loop& AioDatabase::enter_sync() {
  if (!allow_sync_) {
    throw InterfaceError(
        "sync query is not allowed: call set_allow_sync(true) or use the allow_sync() scope");
  }
  if (closed_.load(std::memory_order_relaxed)) {  // aio_close() closes the sync path too
    throw InterfaceError("database closed; call aio_connect() to open it again");
  }
  if (!sync_loop_) sync_loop_ = std::make_unique<ring::Loop>();
  if (ring::Loop::current() == sync_loop_.get()) {
    throw InterfaceError(
        "a sync call from a task of a sync call (a signal receiver of a sync save, say): "
        "co_await the aio_ call there");
  }
  if (!sync_binding_) {
    sync_binding_ = std::make_shared<detail::ScopeBinding>(*sync_loop_);
    sync_binding_->db = this;
    sync_context_.local = sync_binding_.get();
  }
  // A connection lost inside atomic() is kept until the block ends: its statements fail and
  // the block rolls back, instead of going on outside the transaction on a new connection.
  if (sync_conn_ && !sync_conn_->is_usable() && !sync_binding_->in_transaction) {
    sync_conn_.reset();
  }
  if (!sync_conn_) sync_conn_ = ring::sync_wait(*sync_loop_, connect_(*sync_loop_));
  sync_binding_->conn = sync_conn_.get();
  return *sync_loop_;
}

ResultSet AioDatabase::execute_sql(std::string_view sql, Params params, QueryOptions options) {
  return run_sync(aio_execute(sql, std::move(params), options));
}

}  // namespace tern
