#include "tern/db/pool.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "observer.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/log.hpp"

namespace tern {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

// ---- Lease ----

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::exchange(other.conn_, nullptr)),
      owned_(std::move(other.owned_)),
      created_(other.created_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::exchange(other.conn_, nullptr);
    owned_ = std::move(other.owned_);
    created_ = other.created_;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() noexcept {
  if (pool_ != nullptr) {
    if (owned_) {
      pool_->give_back(std::move(owned_), created_);
    } else if (conn_ != nullptr) {
      pool_->unshare(conn_);
    }
  }
  pool_ = nullptr;
  conn_ = nullptr;
}

// ---- Pool ----

Pool::Pool(ring::Loop& loop, ConnectionFactory factory, PoolOptions options)
    : loop_(loop), factory_(std::move(factory)), options_(options), background_(loop) {
  if (options_.max_connections == 0) options_.max_connections = 1;
  if (options_.pipeline_depth == 0) options_.pipeline_depth = 1;
  options_.min_connections = std::min(options_.min_connections, options_.max_connections);
  shared_.reserve(options_.max_connections);
}

bool Pool::observed() const noexcept {
  return observer_ != nullptr && observer_->active();
}

Pool::~Pool() {
  open_ = false;
  idle_.clear();  // the connections' destructors close their sockets
  // ~TaskGroup drives the loop until pending closes and resets finish (or fails loudly when
  // destroyed from inside the loop with work pending).
}

bool Pool::expired(Clock::time_point created) const noexcept {
  return options_.pool_recycle.count() > 0 && options_.clock() - created >= options_.pool_recycle;
}

PoolStats Pool::stats() const noexcept {
  const Counters& c = counters_;
  return PoolStats{.min_connections = options_.min_connections,
                   .max_connections = options_.max_connections,
                   .pipeline_depth = options_.pipeline_depth,
                   .size = total_,
                   .idle = c.idle,
                   .in_use = in_use_,
                   .waiters = c.waiters,
                   .created = c.created,
                   .connect_errors = c.connect_errors,
                   .connect_time = c.connect_time,
                   .discarded = c.discarded,
                   .returned_broken = c.returned_broken,
                   .acquired = c.acquired,
                   .queued = c.queued,
                   .wait_time = c.wait_time,
                   .timeouts = c.timeouts,
                   .shared = c.shared,
                   .pipelined = c.pipelined};
}

void Pool::publish_sizes() noexcept {
  counters_.idle = idle_.size();
  counters_.waiters = waiters_.size();
  counters_.shared = shared_.size();
}

ring::Task<void> Pool::open() {
  if (closing_) throw InterfaceError("the connection pool is closing");
  closed_ = false;
  open_ = true;
  ring::TaskGroup openers(loop_);
  while (total_ < options_.min_connections) {
    ++total_;
    openers.spawn([](Pool& pool) -> ring::Task<void> {
      std::unique_ptr<BackendConnection> conn = co_await pool.connect_in_slot();
      const Clock::time_point now = pool.options_.clock();
      pool.hand_over({std::move(conn), now, now});
    }(*this));
  }
  co_await openers.join();
}

// The policy, top-down: reuse the warmest idle connection that passes its checks, else open
// one in a free slot, else (share() only) stack on the least loaded shared connection, else
// queue for the next connection returned, slot freed or (share() only) share with room. Only
// the awaits live here; each decision is a plain function, so a warm acquire costs this one
// frame and no allocation.
ring::Task<Lease> Pool::get(std::optional<ring::Deadline> requested, bool sharing) {
  const ring::Deadline deadline = requested ? *requested : ring::deadline_after(options_.timeout);
  admit();
  while (std::optional<Idle> idle = take_idle()) {
    if (needs_ping(*idle)) {
      const bool alive = co_await answers_ping(*idle->conn, deadline);
      if (!alive && log_enabled(LogLevel::info)) {
        log(LogLevel::info, "pool", "an idle connection failed its health check: discarded");
      }
      if (!alive || closing_ || closed_) {  // close() may have run during the round trip
        discard(std::move(idle->conn));
        refuse_if_closed();
        continue;
      }
    }
    if (sharing) {
      ++in_use_;
      co_return lend_shared(std::move(idle->conn), idle->created);
    }
    co_return lease_idle(std::move(*idle));
  }
  if (may_open()) {
    ++total_;  // the slot is ours before the first suspension
  } else if (BackendConnection* conn = sharing ? stack() : nullptr) {
    co_return Lease(this, conn);
  } else {
    // Everything is in use: wait in line for a returned connection or a freed slot.
    Waiter w(loop_, sharing);
    enqueue(w);
    bool woken = false;
    std::exception_ptr cancelled;
    std::optional<detail::Observer::Span> span;
    if (observed())
      span.emplace(*observer_, SpanKind::kAcquireWait, "", std::span<const Value>(), "", 0);
    try {
      woken = co_await w.signal.wait(deadline);
    } catch (...) {
      cancelled = std::current_exception();
    }
    std::optional<Lease> granted;
    try {
      granted = end_wait(w, woken, cancelled);
    } catch (...) {
      if (span) span->end(0, std::current_exception());
      throw;
    }
    if (span) span->end(0, nullptr);
    if (granted) co_return std::move(*granted);
    // A slot was freed and counted for us (slot_freed()): open in it.
  }
  std::unique_ptr<BackendConnection> conn = co_await connect_in_slot();
  if (sharing) {
    ++in_use_;
    co_return lend_shared(std::move(conn), options_.clock());
  }
  co_return lease_new(std::move(conn));
}

std::optional<Lease> Pool::try_get(bool sharing) {
  admit();
  if (std::optional<Idle> idle = take_idle()) {
    if (needs_ping(*idle)) {  // a round trip first: get()'s work
      idle_.push_back(std::move(*idle));
      publish_sizes();
      return std::nullopt;
    }
    if (sharing) {
      ++in_use_;
      return lend_shared(std::move(idle->conn), idle->created);
    }
    return lease_idle(std::move(*idle));
  }
  if (sharing && !may_open()) {
    if (BackendConnection* conn = stack()) return Lease(this, conn);
  }
  return std::nullopt;
}

void Pool::admit() {
  refuse_if_closed();
  open_ = true;  // a pool never opened opens on first use: no need to connect
}

// A closed pool stays closed until open(), so a service that closed its database at shutdown
// takes no more queries.
void Pool::refuse_if_closed() const {
  if (closing_) throw InterfaceError("the connection pool is closing");
  if (closed_) throw InterfaceError("database closed; call aio_connect() to open it again");
}

std::optional<Pool::Idle> Pool::take_idle() noexcept {
  while (!idle_.empty() && waiters_.empty()) {
    Idle e = std::move(idle_.back());
    idle_.pop_back();
    publish_sizes();
    if (expired(e.created)) {
      discard(std::move(e.conn));
      continue;
    }
    if (!e.conn->looks_alive()) [[unlikely]] {
      if (log_enabled(LogLevel::info)) {
        log(LogLevel::info, "pool",
            absl::StrCat("an idle connection to ", std::string(e.conn->server_address()), ":",
                         e.conn->server_port(),
                         " was closed by the server or spoke out of turn: discarded"));
      }
      discard(std::move(e.conn));
      continue;
    }
    return e;
  }
  return std::nullopt;
}

bool Pool::needs_ping(const Idle& idle) const noexcept {
  return options_.health_check_after_idle.count() > 0 &&
         options_.clock() - idle.returned >= options_.health_check_after_idle;
}

// A coroutine of its own: the round trip is slow anyway, and the warm path never comes here.
ring::Task<bool> Pool::answers_ping(BackendConnection& conn, ring::Deadline deadline) {
  ++in_use_;  // checked out while the ping is in flight: the slot is not idle
  bool alive = true;
  try {
    co_await conn.ping(deadline);
  } catch (...) {
    alive = false;
  }
  checked_in();
  co_return alive;
}

Lease Pool::lease_idle(Idle idle) noexcept {
  ++in_use_;
  ++counters_.acquired;
  return Lease(this, std::move(idle.conn), idle.created);
}

bool Pool::may_open() const noexcept {
  return total_ < options_.max_connections && waiters_.empty();
}

// The factory, run in a slot the caller already counted in total_, its time and failures
// counted; a failure frees the slot (for the next waiter) and propagates.
ring::Task<std::unique_ptr<BackendConnection>> Pool::connect_in_slot() {
  const Clock::time_point start = Clock::now();
  std::optional<detail::Observer::Span> span;
  if (observed()) span.emplace(*observer_, SpanKind::kConnect, "", std::span<const Value>(), "", 0);
  std::unique_ptr<BackendConnection> conn;
  std::exception_ptr failed;
  try {
    conn = co_await factory_(loop_);
  } catch (...) {
    failed = std::current_exception();
  }
  counters_.connect_time += Clock::now() - start;
  if (span) {
    if (conn) span->set_server(conn->server_address(), conn->server_port());
    span->end(0, failed);
  }
  if (failed) {
    ++counters_.connect_errors;
    if (log_enabled(LogLevel::warning)) {
      try {
        std::rethrow_exception(failed);
      } catch (const std::exception& e) {
        log(LogLevel::warning, "pool", absl::StrCat("could not open a connection: ", e.what()));
      } catch (...) {
      }
    }
    --total_;
    slot_freed();
    std::rethrow_exception(failed);
  }
  ++counters_.created;
  co_return conn;
}

Lease Pool::lease_new(std::unique_ptr<BackendConnection> conn) noexcept {
  ++in_use_;
  ++counters_.acquired;
  return Lease(this, std::move(conn), options_.clock());
}

namespace {

// A shared connection may take another statement: it pipelines, is sound, and no statement
// left a transaction open on it (a raw BEGIN through aio_execute), which others would join.
bool takes_more(const BackendConnection& conn) noexcept {
  return conn.pipelines() && conn.is_usable() && !conn.in_transaction();
}

}  // namespace

BackendConnection* Pool::stack() noexcept {
  if (!waiters_.empty()) return nullptr;
  Shared* best = nullptr;
  for (Shared& s : shared_) {
    if (s.users < options_.pipeline_depth && takes_more(*s.conn) &&
        (best == nullptr || s.users < best->users)) {
      best = &s;
    }
  }
  if (best == nullptr) return nullptr;
  ++best->users;
  ++counters_.acquired;
  ++counters_.pipelined;
  return best->conn.get();
}

Lease Pool::lend_shared(std::unique_ptr<BackendConnection> conn, Clock::time_point created) {
  ++counters_.acquired;
  BackendConnection* raw = conn.get();
  Shared& s = shared_.emplace_back(Shared{std::move(conn), created, 1});
  publish_sizes();
  grant_shares(s);
  return Lease(this, raw);
}

void Pool::grant_shares(Shared& s) noexcept {
  while (!waiters_.empty() && waiters_.front()->sharing && s.users < options_.pipeline_depth &&
         takes_more(*s.conn)) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    publish_sizes();
    ++s.users;
    ++counters_.pipelined;
    w->share = s.conn.get();
    w->signal.notify();
  }
}

void Pool::unshare(BackendConnection* conn) noexcept {
  const auto it = std::find_if(shared_.begin(), shared_.end(),
                               [conn](const Shared& s) { return s.conn.get() == conn; });
  if (--it->users > 0) {
    grant_shares(*it);
    return;
  }
  // The last statement is done: the connection goes back as a checked-out one would.
  std::unique_ptr<BackendConnection> owned = std::move(it->conn);
  const Clock::time_point created = it->created;
  *it = std::move(shared_.back());
  shared_.pop_back();
  publish_sizes();
  give_back(std::move(owned), created);
}

void Pool::enqueue(Waiter& w) {
  waiters_.push_back(&w);
  publish_sizes();
  w.since = Clock::now();
  ++counters_.queued;
}

std::optional<Lease> Pool::end_wait(Waiter& w, bool woken, const std::exception_ptr& cancelled) {
  counters_.wait_time += Clock::now() - w.since;
  if (const auto it = std::find(waiters_.begin(), waiters_.end(), &w); it != waiters_.end()) {
    waiters_.erase(it);
    publish_sizes();
  }
  if (w.share != nullptr) {
    if (cancelled) {  // a share granted as we were cancelled: given up again
      unshare(w.share);
      std::rethrow_exception(cancelled);
    }
    ++counters_.acquired;
    return Lease(this, w.share);
  }
  if (w.granted) {
    if (cancelled) {  // handed over as we were cancelled: pass it on
      give_back(std::move(w.granted->conn), w.granted->created);
      std::rethrow_exception(cancelled);
    }
    if (w.sharing) return lend_shared(std::move(w.granted->conn), w.granted->created);
    ++counters_.acquired;
    return Lease(this, std::move(w.granted->conn), w.granted->created);
  }
  if (w.slot) {
    if (!cancelled && !closing_) return std::nullopt;  // acquire() opens in it
    --total_;                                          // not used after all: to the next in line
    slot_freed();
  }
  if (cancelled) std::rethrow_exception(cancelled);
  if (woken || closing_) throw InterfaceError("the connection pool was closed while waiting");
  ++counters_.timeouts;
  throw PoolTimeout(
      absl::StrCat("no connection became free within the pool timeout (max_connections=",
                   options_.max_connections, ", in use ", static_cast<std::size_t>(in_use_),
                   ", waiting ", waiters_.size(), ")"));
}

void Pool::checked_in() noexcept {
  --in_use_;
  if (drained_ && in_use_ == 0) drained_->notify();  // close() waits for this
}

void Pool::give_back(std::unique_ptr<BackendConnection> conn, Clock::time_point created) noexcept {
  checked_in();  // before hand_over(), which counts the connection out again for a waiter
  if (!conn->is_usable()) {
    ++counters_.returned_broken;
    if (log_enabled(LogLevel::warning)) {
      log(LogLevel::warning, "pool",
          absl::StrCat("a connection to ", std::string(conn->server_address()), ":",
                       conn->server_port(),
                       " came back broken (lost, killed or out of sync): closed; the next "
                       "acquire opens another"));
    }
  }
  if (!open_ || closing_ || !conn->is_usable() || expired(created)) {
    discard(std::move(conn));
  } else if (conn->in_transaction() || conn->streaming()) {
    // Rolled back (an abandoned stream closed first) in the background; the slot stays taken
    // until then.
    background_.spawn(clean_then_return(std::move(conn), created));
  } else {
    hand_over({std::move(conn), created, options_.clock()});
  }
}

void Pool::hand_over(Idle idle) noexcept {
  if (!waiters_.empty()) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    publish_sizes();
    w->granted.emplace(std::move(idle));
    ++in_use_;
    w->signal.notify();
    return;
  }
  idle_.push_back(std::move(idle));
  publish_sizes();
}

// Counts the slot as taken again on the first waiter's behalf (as hand_over() counts a
// connection as checked out), so that no acquire running before that waiter resumes sees it
// free; end_wait() frees it again if the waiter does not open in it after all.
void Pool::slot_freed() noexcept {
  if (!waiters_.empty() && idle_.empty() && total_ < options_.max_connections) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    publish_sizes();
    ++total_;
    w->slot = true;
    w->signal.notify();  // it opens a connection in the freed slot
  }
}

void Pool::discard(std::unique_ptr<BackendConnection> conn) noexcept {
  ++counters_.discarded;
  background_.spawn(close_quietly(std::move(conn)));
}

ring::Task<void> Pool::close_quietly(std::unique_ptr<BackendConnection> conn) {
  co_await conn->close();  // never throws
  conn.reset();
  --total_;
  slot_freed();
}

ring::Task<void> Pool::clean_then_return(std::unique_ptr<BackendConnection> conn,
                                         Clock::time_point created) {
  try {
    co_await conn->reset(ring::deadline_after(options_.reset_timeout));
  } catch (...) {  // judged below by its state
  }
  if (open_ && !closing_ && conn->is_usable() && !conn->in_transaction() && !conn->streaming()) {
    hand_over({std::move(conn), created, options_.clock()});
  } else {
    discard(std::move(conn));
  }
}

ring::Task<void> Pool::close(ring::Deadline deadline) {
  closing_ = true;
  // Waiters fail at once.
  while (!waiters_.empty()) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    publish_sizes();
    w->signal.notify();
  }
  for (Idle& e : idle_)
    discard(std::move(e.conn));
  idle_.clear();
  publish_sizes();
  if (in_use_ > 0) {
    drained_.emplace(loop_);
    try {
      co_await drained_->wait(deadline);
    } catch (const ring::CancelledError&) {
    }
    drained_.reset();
  }
  open_ = false;
  closing_ = false;
  closed_ = true;
  co_await background_.join();
}

}  // namespace tern
