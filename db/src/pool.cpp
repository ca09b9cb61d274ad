#include "tern/db/pool.hpp"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"

namespace tern {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

// ---- Lease ----

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      created_(other.created_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
    created_ = other.created_;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() noexcept {
  if (conn_ && pool_ != nullptr) pool_->give_back(std::move(conn_), created_);
  pool_ = nullptr;
}

// ---- Pool ----

Pool::Pool(ring::Loop& loop, ConnectionFactory factory, PoolOptions options)
    : loop_(loop), factory_(std::move(factory)), options_(options), background_(loop) {
  if (options_.max_connections == 0) options_.max_connections = 1;
  options_.min_connections = std::min(options_.min_connections, options_.max_connections);
}

Pool::~Pool() {
  open_ = false;
  idle_.clear();  // the connections' destructors close their sockets
  // ~TaskGroup drives the loop until pending closes and resets finish (or fails loudly when
  // destroyed from inside the loop with work pending).
}

bool Pool::expired(Clock::time_point created) const noexcept {
  return options_.pool_recycle.count() > 0 && Clock::now() - created >= options_.pool_recycle;
}

PoolStats Pool::stats() const noexcept {
  PoolStats s = counters_;
  s.min_connections = options_.min_connections;
  s.max_connections = options_.max_connections;
  s.size = total_;
  s.idle = idle_.size();
  s.in_use = in_use_;
  s.waiters = waiters_.size();
  return s;
}

// The factory, with its time and failures counted.
ring::Task<std::unique_ptr<BackendConnection>> Pool::connect_counted() {
  const Clock::time_point start = Clock::now();
  std::unique_ptr<BackendConnection> conn;
  std::exception_ptr failed;
  try {
    conn = co_await factory_(loop_);
  } catch (...) {
    failed = std::current_exception();
  }
  counters_.connect_time += Clock::now() - start;
  if (failed) {
    ++counters_.connect_errors;
    std::rethrow_exception(failed);
  }
  co_return conn;
}

ring::Task<void> Pool::open() {
  open_ = true;
  ring::TaskGroup openers(loop_);
  while (total_ < options_.min_connections) {
    ++total_;
    openers.spawn([](Pool& pool) -> ring::Task<void> {
      std::unique_ptr<BackendConnection> conn;
      std::exception_ptr failed;
      try {
        conn = co_await pool.connect_counted();
      } catch (...) {
        failed = std::current_exception();
      }
      if (failed) {
        --pool.total_;
        pool.slot_freed();
        std::rethrow_exception(failed);
      }
      ++pool.counters_.created;
      pool.hand_over({std::move(conn), Clock::now(), Clock::now()});
    }(*this));
  }
  co_await openers.join();
}

ring::Task<Lease> Pool::acquire(std::optional<ring::Deadline> requested) {
  const ring::Deadline deadline = requested ? *requested : ring::deadline_after(options_.timeout);
  if (closing_) throw InterfaceError("the connection pool is closing");
  open_ = true;  // a closed pool opens again on use: no need to connect and re-connect
  // A waiter woken for a freed slot goes before those still queued behind it.
  bool my_turn = false;
  for (;;) {
    while (!idle_.empty() && (waiters_.empty() || my_turn)) {
      Idle e = std::move(idle_.back());
      idle_.pop_back();
      if (expired(e.created) || !e.conn->looks_alive()) {
        discard(std::move(e.conn));
        continue;
      }
      if (options_.health_check_after_idle.count() > 0 &&
          Clock::now() - e.returned >= options_.health_check_after_idle) {
        ++in_use_;
        bool alive = true;
        try {
          co_await e.conn->ping(deadline);
        } catch (...) {
          alive = false;
        }
        --in_use_;
        if (!alive) {
          discard(std::move(e.conn));
          continue;
        }
      }
      ++in_use_;
      ++counters_.acquired;
      co_return Lease(this, std::move(e.conn), e.created);
    }
    if (total_ < options_.max_connections && (waiters_.empty() || my_turn)) {
      ++total_;
      std::unique_ptr<BackendConnection> conn;
      std::exception_ptr failed;
      try {
        conn = co_await connect_counted();
      } catch (...) {
        failed = std::current_exception();
      }
      if (failed) {
        --total_;
        slot_freed();
        std::rethrow_exception(failed);
      }
      ++counters_.created;
      ++in_use_;
      ++counters_.acquired;
      co_return Lease(this, std::move(conn), Clock::now());
    }
    // Everything is in use: wait for a returned connection or a freed slot, in turn.
    Waiter w(loop_);
    waiters_.push_back(&w);
    if (!my_turn) ++counters_.queued;  // once per acquire, not per wake-up
    const Clock::time_point wait_start = Clock::now();
    bool woken = false;
    std::exception_ptr cancelled;
    try {
      woken = co_await w.signal.wait(deadline);
    } catch (...) {
      cancelled = std::current_exception();
    }
    counters_.wait_time += Clock::now() - wait_start;
    if (const auto it = std::find(waiters_.begin(), waiters_.end(), &w); it != waiters_.end()) {
      waiters_.erase(it);
    }
    if (w.granted) {
      if (cancelled) {  // handed over as we were cancelled: pass it on
        --in_use_;
        hand_over(std::move(*w.granted));
        std::rethrow_exception(cancelled);
      }
      ++counters_.acquired;
      co_return Lease(this, std::move(w.granted->conn), w.granted->created);
    }
    if (cancelled) std::rethrow_exception(cancelled);
    if (closing_) throw InterfaceError("the connection pool was closed while waiting");
    if (!woken) {
      ++counters_.timeouts;
      throw PoolTimeout(absl::StrCat(
          "no connection became free within the pool timeout (max_connections=",
          options_.max_connections, ", in use ", in_use_, ", waiting ", waiters_.size(), ")"));
    }
    my_turn = true;  // a slot was freed for us
  }
}

void Pool::give_back(std::unique_ptr<BackendConnection> conn, Clock::time_point created) noexcept {
  --in_use_;
  if (!conn->is_usable()) ++counters_.returned_broken;
  if (!open_ || closing_ || !conn->is_usable() || expired(created)) {
    discard(std::move(conn));
  } else if (conn->in_transaction() || conn->streaming()) {
    // Rolled back (an abandoned stream closed first) in the background; the slot stays taken
    // until then.
    background_.spawn(clean_then_return(std::move(conn), created));
  } else {
    hand_over({std::move(conn), created, Clock::now()});
  }
  if (drained_ && in_use_ == 0) drained_->notify();
}

void Pool::hand_over(Idle idle) noexcept {
  if (!waiters_.empty()) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->granted.emplace(std::move(idle));
    ++in_use_;
    w->signal.notify();
    return;
  }
  idle_.push_back(std::move(idle));
}

void Pool::slot_freed() noexcept {
  if (!waiters_.empty() && idle_.empty()) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
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
    hand_over({std::move(conn), created, Clock::now()});
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
    w->signal.notify();
  }
  for (Idle& e : idle_)
    discard(std::move(e.conn));
  idle_.clear();
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
  co_await background_.join();
}

}  // namespace tern
