// AioDatabase's life: construction, the pool (made on first use, on the loop that first uses
// it), aio_connect / aio_close, pool statistics and the allow_sync() scope with its connection.
// Scopes and transactions are in scopes.cpp, statement execution in execute.cpp, the concrete
// databases and database URLs in factories.cpp.
#include "tern/db/database.hpp"

#include <memory>
#include <string>
#include <utility>

#include "observer.hpp"
#include "tern/ring/sync_wait.hpp"

namespace tern {

namespace {

PoolOptions pool_options(const DatabaseOptions& o) {
  return {.min_connections = o.min_connections,
          .max_connections = o.max_connections,
          .timeout = o.pool_params.timeout,
          .pool_recycle = o.pool_params.pool_recycle,
          .health_check_after_idle = o.pool_params.health_check_after_idle,
          .pipeline_depth = o.pool_params.pipeline_depth};
}

}  // namespace

AioDatabase::AioDatabase(Dialect dialect, std::string database, ConnectionFactory connect,
                         const DatabaseOptions& options)
    : dialect_(dialect),
      database_(std::move(database)),
      connect_(std::move(connect)),
      pool_options_(pool_options(options)),
      close_timeout_(options.close_timeout),
      observer_(std::make_unique<detail::Observer>(dialect_, database_)) {}

AioDatabase::~AioDatabase() {
  close_sync();
}

Pool& AioDatabase::pool() {
  ring::Loop* loop = ring::Loop::current();
  if (!pool_) {
    if (loop == nullptr) {
      throw InterfaceError("AioDatabase used outside a running tern loop (use the sync path)");
    }
    pool_ = std::make_unique<Pool>(*loop, connect_, pool_options_);
    pool_->set_observer(observer_.get());
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
  // A database closed before its first query has its pool made here, so that it is refused
  // until aio_connect() like any other.
  co_await pool().close(ring::deadline_after(close_timeout_));
  close_sync();
}

PoolStats AioDatabase::pool_stats() const noexcept {
  return pool_ ? pool_->stats() : PoolStats{};
}

AioDatabase::AllowSync::AllowSync(AioDatabase& db) noexcept
    : db_(db), previous_(db.allow_sync_), had_connection_(db.sync_conn_ != nullptr) {
  db_.allow_sync_ = true;
}

AioDatabase::AllowSync::~AllowSync() {
  if (!had_connection_) db_.close_sync();
  db_.allow_sync_ = previous_;
}

void AioDatabase::close_sync() noexcept {
  if (!sync_conn_) return;
  try {
    ring::sync_wait(*sync_loop_, sync_conn_->close());
  } catch (...) {  // closing anyway
  }
  sync_conn_.reset();
  if (sync_binding_) {
    sync_binding_->conn = nullptr;
    sync_binding_->in_transaction = false;
  }
}

}  // namespace tern
