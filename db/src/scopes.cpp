// The database layer's scopes: aio_connection / aio_atomic / aio_transaction /
// transaction_test_case blocks (enter_scope, exit_scope), the transactions and savepoints begun
// by hand (aio_begin, aio_savepoint, Transaction), their control statements (BEGIN, COMMIT,
// SAVEPOINT...) and spawn(), which keeps a block's connection bound to the tasks it starts.
#include "scopes.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tern/db/database.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern {

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

namespace detail {

void throw_scope_ended() {
  throw InterfaceError(
      "the aio_connection/aio_atomic block this task belongs to has ended: its connection is "
      "gone (join tasks spawned inside a block before it ends)");
}

ring::Task<void> settle(BackendConnection& conn) {
  if (conn.streaming()) co_await conn.stream_close(ring::kNoDeadline);
}

ring::Task<void> quiesce(ScopeBinding& b) {
  // Statements start only with the turn, which the caller holds: none starts meanwhile.
  while (b.in_flight > 0) {
    b.all_done.emplace(*b.loop);
    co_await b.all_done->wait(ring::kNoDeadline);
    b.all_done.reset();
  }
  co_await settle(*b.conn);
}

}  // namespace detail

namespace {

using detail::settle;
using detail::throw_scope_ended;

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
// MySQL sets the isolation level for the next transaction, then starts it; SQLite takes the
// write lock at BEGIN IMMEDIATE unless the transaction only reads (a deferred transaction that
// writes later may meet SQLITE_BUSY without waiting, as its read snapshot is stale), and is
// always SERIALIZABLE (which every level's guarantee allows).
std::vector<std::string> begin_statements(Dialect dialect, const TransactionOptions& o) {
  if (dialect == Dialect::kSqlite) {
    if (o.deferrable) throw NotSupportedError("DEFERRABLE transactions are PostgreSQL's");
    if (o.read_only) return {"BEGIN DEFERRED", "PRAGMA query_only = ON"};
    return {"BEGIN IMMEDIATE"};
  }
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
  co_await detail::quiesce(b);
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
      co_await detail::quiesce(b);
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

ring::Task<bool> AioDatabase::aio_in_transaction() {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  const detail::ScopeBinding* b = binding(ctx);
  co_return b != nullptr && b->in_transaction;
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

ring::Task<void> spawn(ring::TaskGroup& group, ring::Task<void> task) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  auto* b = static_cast<detail::ScopeBinding*>(ctx.local);
  group.spawn(keep_alive(b != nullptr ? b->shared_from_this() : nullptr, std::move(task)),
              ctx.local);
}

}  // namespace tern
