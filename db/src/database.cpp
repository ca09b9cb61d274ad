// AioDatabase's life: construction, the pool (made on first use, on the loop that first uses
// it), aio_connect / aio_close, pool statistics and the allow_sync() scope with its connection.
// Scopes and transactions are in scopes.cpp, statement execution in execute.cpp, the concrete
// databases and database URLs in factories.cpp.
#include "tern/db/database.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "listener.hpp"
#include "observer.hpp"
#include "tern/ring/sync_wait.hpp"

namespace tern {

namespace {

std::atomic<std::uint64_t> next_id{1};  // AioDatabase::id_: 0 marks an empty cache

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
      id_(next_id.fetch_add(1, std::memory_order_relaxed)),
      observer_(std::make_unique<detail::Observer>(dialect_, database_)) {}

AioDatabase::~AioDatabase() {
  close_sync();
}

// The warm path: the first shard's loop, checked without the lock (a program with one loop
// never goes further).
Pool& AioDatabase::pool() {
  ring::Loop* loop = ring::Loop::current();
  Pool* first = first_.load(std::memory_order_acquire);
  if (first != nullptr && &first->loop() == loop) [[likely]] {
    return *first;
  }
  return shard_of(loop);
}

// Another loop's shard: this thread's cached one, else found or made under the lock.
Pool& AioDatabase::shard_of(ring::Loop* loop) {
  if (loop == nullptr) {
    throw InterfaceError(
        "AioDatabase used from a thread with no running tern loop (run it on a ring::Loop, a "
        "LoopGroup, or use the sync path)");
  }
  struct Cached {
    std::uint64_t db = 0;
    const ring::Loop* loop = nullptr;
    Pool* pool = nullptr;
  };
  thread_local Cached cached;
  if (cached.db == id_ && cached.loop == loop) return *cached.pool;
  std::lock_guard lock(shards_mutex_);
  Pool* pool = find_shard(loop);
  if (pool == nullptr) {
    pool = shards_.emplace_back(std::make_unique<Pool>(*loop, connect_, pool_options_)).get();
    pool->set_observer(observer_.get());
    if (shards_.size() == 1) first_.store(pool, std::memory_order_release);
  }
  cached = {id_, loop, pool};
  return *pool;
}

Pool* AioDatabase::find_shard(const ring::Loop* loop) const {
  for (const std::unique_ptr<Pool>& shard : shards_) {
    if (&shard->loop() == loop) return shard.get();
  }
  return nullptr;
}

ring::Task<void> AioDatabase::aio_connect() {
  co_await pool().open();
  closed_.store(false, std::memory_order_relaxed);
}

bool AioDatabase::is_connected() const noexcept {
  const ring::Loop* loop = ring::Loop::current();
  std::lock_guard lock(shards_mutex_);
  const Pool* shard = loop != nullptr ? find_shard(loop) : nullptr;
  if (shard == nullptr && loop == nullptr && !shards_.empty()) shard = shards_.front().get();
  return shard != nullptr && shard->is_open();
}

std::vector<std::unique_ptr<detail::Listener>>::iterator AioDatabase::find_listener(
    const ring::Loop& loop) {
  return std::find_if(listeners_.begin(), listeners_.end(),
                      [&](const auto& l) { return &l->loop() == &loop; });
}

detail::Listener& AioDatabase::listener() {
  if (dialect_ != Dialect::kPostgres) detail::refuse_listen(dialect_);
  Pool& shard = pool();  // refuses a thread with no loop
  shard.refuse_if_closed();
  ring::Loop& loop = shard.loop();
  std::lock_guard lock(shards_mutex_);
  if (const auto it = find_listener(loop); it != listeners_.end()) return **it;
  return *listeners_.emplace_back(std::make_unique<detail::Listener>(loop, connect_));
}

ring::Task<void> AioDatabase::aio_listen(std::string channel,
                                         std::function<void(const Notification&)> handler,
                                         std::function<void()> on_reconnect) {
  co_await listener().listen(std::move(channel), std::move(handler), std::move(on_reconnect));
}

ring::Task<void> AioDatabase::aio_unlisten(std::string channel) {
  co_await listener().unlisten(std::move(channel));
}

ring::Task<void> AioDatabase::aio_close() {
  // A database closed before its first query has its pool made here, so that it is refused
  // until aio_connect() like any other.
  Pool& shard = pool();
  std::unique_ptr<detail::Listener> listening;
  {
    std::lock_guard lock(shards_mutex_);
    if (const auto it = find_listener(shard.loop()); it != listeners_.end()) {
      listening = std::move(*it);
      listeners_.erase(it);
    }
  }
  if (listening) co_await listening->close();
  co_await shard.close(ring::deadline_after(close_timeout_));
  closed_.store(true, std::memory_order_relaxed);
  close_sync();
}

PoolStats AioDatabase::pool_stats() const {
  PoolStats total;
  for (const PoolStats& s : shard_stats()) {
    total.min_connections += s.min_connections;
    total.max_connections += s.max_connections;
    total.pipeline_depth = s.pipeline_depth;
    total.size += s.size;
    total.idle += s.idle;
    total.in_use += s.in_use;
    total.waiters += s.waiters;
    total.created += s.created;
    total.connect_errors += s.connect_errors;
    total.connect_time += s.connect_time;
    total.discarded += s.discarded;
    total.returned_broken += s.returned_broken;
    total.acquired += s.acquired;
    total.queued += s.queued;
    total.wait_time += s.wait_time;
    total.timeouts += s.timeouts;
    total.shared += s.shared;
    total.pipelined += s.pipelined;
  }
  return total;
}

std::vector<PoolStats> AioDatabase::shard_stats() const {
  std::lock_guard lock(shards_mutex_);
  std::vector<PoolStats> stats;
  stats.reserve(shards_.size());
  for (const std::unique_ptr<Pool>& shard : shards_)
    stats.push_back(shard->stats());
  return stats;
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
