// The connection pool of an AioDatabase: at most max_connections open, min_connections kept,
// waiters served first come first served with a deadline (PoolTimeout), broken or mid-protocol
// connections discarded (never reused), connections returned inside a transaction rolled back
// in the background (their slot counts as used until that is done), connections older than
// pool_recycle replaced, statistics readable at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "tern/db/backend.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/task_group.hpp"

namespace tern {

namespace detail {
class Observer;

/// A number that one thread writes (a pool's loop) and any thread may read (statistics):
/// relaxed atomic loads and stores, never a locked read-modify-write, so it costs what a plain
/// integer costs on x86.
template <class T>
class Relaxed {
 public:
  /// The value.
  operator T() const noexcept { return value_.load(std::memory_order_relaxed); }
  /// Sets it (writer thread only).
  Relaxed& operator=(T v) noexcept {
    value_.store(v, std::memory_order_relaxed);
    return *this;
  }
  /// Adds `d` (writer thread only).
  Relaxed& operator+=(T d) noexcept { return *this = static_cast<T>(T(*this) + d); }
  /// Subtracts `d` (writer thread only).
  Relaxed& operator-=(T d) noexcept { return *this = static_cast<T>(T(*this) - d); }
  /// Adds one (writer thread only).
  Relaxed& operator++() noexcept { return *this += T{1}; }
  /// Subtracts one (writer thread only).
  Relaxed& operator--() noexcept { return *this -= T{1}; }

 private:
  std::atomic<T> value_{};
};
}  // namespace detail

/// No connection became free before the acquire timeout.
class PoolTimeout : public OperationalError {
 public:
  using OperationalError::OperationalError;
};

/// Reads the time that connection ages are measured on.
using PoolClock = std::chrono::steady_clock::time_point (*)() noexcept;

/// Pool sizing and timing (peewee-async's min_connections, max_connections and pool_params).
struct PoolOptions {
  /// Connections opened by aio_connect() and kept open.
  std::size_t min_connections = 1;
  /// Connections open at most (idle + in use + being opened or cleaned).
  std::size_t max_connections = 20;
  /// How long an acquire waits for a free connection before PoolTimeout (pool_params timeout).
  std::chrono::milliseconds timeout{30'000};
  /// Connections older than this are closed instead of reused; zero = never (pool_recycle).
  std::chrono::milliseconds pool_recycle{0};
  /// A connection idle longer than this is pinged before reuse; zero = never (a cheap
  /// non-blocking liveness check runs on every reuse regardless).
  std::chrono::milliseconds health_check_after_idle{0};
  /// Time allowed for rolling back a connection returned inside a transaction.
  std::chrono::milliseconds reset_timeout{5'000};
  /// Statements one pooled connection carries in flight at once for tasks outside any
  /// transaction scope (implicit pipelining; see Pool::share()). 1 = one statement per
  /// connection at a time. Stacking starts only once every connection is busy.
  std::size_t pipeline_depth = 4;
  /// Where connection ages (pool_recycle, health_check_after_idle) are read from: the monotonic
  /// clock. A plain function pointer, so reading it costs what steady_clock::now() costs; tests
  /// put a clock they advance by hand here instead of sleeping. Deadlines and the wait and
  /// connect times in PoolStats stay on steady_clock, as the ring's timers do.
  PoolClock clock = []() noexcept { return std::chrono::steady_clock::now(); };
};

/// Counters and gauges of a pool (psycopg_pool's get_stats() in its names where they map:
/// pool_min/pool_max → min/max_connections, requests_waiting → waiters, requests_num →
/// acquired + timeouts, requests_queued → queued, requests_wait_ms → wait_time,
/// connections_num → created, connections_errors → connect_errors, connections_ms →
/// connect_time, returns_bad → returned_broken).
struct PoolStats {
  std::size_t min_connections = 0;          ///< configured
  std::size_t max_connections = 0;          ///< configured
  std::size_t pipeline_depth = 0;           ///< configured
  std::size_t size = 0;                     ///< connections open or being opened or cleaned
  std::size_t idle = 0;                     ///< ready for reuse
  std::size_t in_use = 0;                   ///< checked out
  std::size_t waiters = 0;                  ///< acquires waiting for a connection now
  std::uint64_t created = 0;                ///< connections opened
  std::uint64_t connect_errors = 0;         ///< connection attempts that failed
  std::chrono::nanoseconds connect_time{};  ///< spent opening connections, in total
  std::uint64_t discarded = 0;        ///< connections closed as broken, stale, recycled or surplus
  std::uint64_t returned_broken = 0;  ///< connections given back unusable (lost, killed...)
  std::uint64_t acquired = 0;         ///< successful acquires
  std::uint64_t queued = 0;           ///< acquires that had to wait for a connection
  std::chrono::nanoseconds wait_time{};  ///< spent waiting by queued acquires, in total
  std::uint64_t timeouts = 0;            ///< acquires that ended in PoolTimeout
  std::size_t shared = 0;       ///< connections lent to several statements at once now (pipelining)
  std::uint64_t pipelined = 0;  ///< statements sent on a connection already carrying another
};

/// Opens one connection on the given loop.
using ConnectionFactory =
    std::function<ring::Task<std::unique_ptr<BackendConnection>>(ring::Loop&)>;

class Pool;

/// A checked-out connection, or one statement's share of a pipelining connection (share());
/// returns it to the pool when destroyed.
class Lease {
 public:
  Lease() noexcept = default;
  /// Takes over the connection; `other` holds none after.
  Lease(Lease&& other) noexcept;
  /// Returns the held connection, then takes over the other one.
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  /// The connection.
  BackendConnection& operator*() const noexcept { return *conn_; }
  /// Member access to the connection.
  BackendConnection* operator->() const noexcept { return conn_; }
  /// True while holding a connection.
  explicit operator bool() const noexcept { return conn_ != nullptr; }
  /// True for a share of a connection other statements may ride at the same time.
  bool shared() const noexcept { return owned_ == nullptr && conn_ != nullptr; }
  /// Gives the connection back now.
  void release() noexcept;

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<BackendConnection> conn,
        std::chrono::steady_clock::time_point created) noexcept
      : pool_(pool), conn_(conn.get()), owned_(std::move(conn)), created_(created) {}
  Lease(Pool* pool, BackendConnection* shared) noexcept : pool_(pool), conn_(shared) {}
  Pool* pool_ = nullptr;
  BackendConnection* conn_ = nullptr;
  std::unique_ptr<BackendConnection> owned_;  // null for a share
  std::chrono::steady_clock::time_point created_{};
};

/// The pool; lives on one loop, and is used only from that loop's thread, except stats(),
/// which any thread may call.
class Pool {
 public:
  /// A pool on `loop` whose connections come from `factory`.
  Pool(ring::Loop& loop, ConnectionFactory factory, PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  /// Closes whatever is still open (driving the loop if called from outside it).
  ~Pool();

  /// Opens min_connections (in parallel); also what reopens a pool after close().
  ring::Task<void> open();
  /// A connection of one's own: an idle one (checked for liveness), a new one while under
  /// max_connections, or the next one returned, waiting until `deadline` at most (defaults to
  /// now + options.timeout). Throws PoolTimeout, the connect error, or CancelledError.
  ring::Task<Lease> acquire(std::optional<ring::Deadline> deadline = std::nullopt) {
    return get(deadline, false);
  }
  /// A connection for one statement, which other statements may ride at the same time
  /// (implicit pipelining, up to options.pipeline_depth per connection, on backends whose
  /// connections pipeline). The policy spreads a burst before it stacks: an idle connection
  /// first, then a new one while under max_connections, then the least loaded connection in
  /// use with room; otherwise it waits in line like acquire(). Nothing stacks while callers
  /// of acquire() wait (they need a connection to themselves). Same errors as acquire().
  ring::Task<Lease> share(std::optional<ring::Deadline> deadline = std::nullopt) {
    return get(deadline, options_.pipeline_depth > 1);
  }
  /// share()'s warm path without a coroutine: the lease when one is to be had at once (an
  /// idle connection that needs no ping, or a share of one in use), else nullopt and share()
  /// does the rest. Throws InterfaceError when the pool is closing or closed.
  std::optional<Lease> try_share() { return try_get(options_.pipeline_depth > 1); }
  /// Closes idle connections and refuses new acquires; waits for checked-out connections up to
  /// `deadline` (they are closed when returned after it). The pool then stays closed: acquires
  /// throw InterfaceError until open() runs again. (A pool never opened opens on first use.)
  ring::Task<void> close(ring::Deadline deadline);
  /// False before open() and after close().
  bool is_open() const noexcept { return open_; }
  /// Throws InterfaceError while close() runs and after it until open(): what acquires check
  /// first (and after a health-check ping, which close() may overtake).
  void refuse_if_closed() const;
  /// Current statistics; safe from any thread (each number is read atomically; together they
  /// are a snapshot only when read on the pool's loop).
  PoolStats stats() const noexcept;
  /// The loop it lives on.
  ring::Loop& loop() const noexcept { return loop_; }
  /// The options it was made with.
  const PoolOptions& options() const noexcept { return options_; }
  /// Reports connects and waits for a connection to `observer` (its database's; null: none).
  void set_observer(const detail::Observer* observer) noexcept { observer_ = observer; }

 private:
  friend class Lease;
  bool observed() const noexcept;
  struct Idle {
    std::unique_ptr<BackendConnection> conn;
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point returned;
  };
  /// A connection lent to several statements at once; back to the idle list (or a waiter)
  /// when the last is done.
  struct Shared {
    std::unique_ptr<BackendConnection> conn;
    std::chrono::steady_clock::time_point created;
    std::size_t users = 0;
  };
  struct Waiter {
    Waiter(ring::Loop& loop, bool share_will_do) noexcept : signal(loop), sharing(share_will_do) {}
    ring::Signal signal;
    bool sharing;                        // share() waits: a share of a connection will do
    std::optional<Idle> granted;         // set with the signal: a connection handed over
    BackendConnection* share = nullptr;  // set with the signal: a share of this one
    bool slot = false;                   // set with the signal: a freed slot counted for it
    std::chrono::steady_clock::time_point since{};  // queued at (PoolStats::wait_time)
  };

  /// acquire() (`sharing` false) and share().
  ring::Task<Lease> get(std::optional<ring::Deadline> deadline, bool sharing);
  /// get()'s decisions that need no suspension (try_share()).
  std::optional<Lease> try_get(bool sharing);

  // The steps of get(), in the order it tries them.
  /// Refuses a closing or closed pool; opens one never opened.
  void admit();
  /// The most recently returned idle connection that is young enough and looks alive, those
  /// that fail on the way discarded; none when the pool has none or others queue first.
  std::optional<Idle> take_idle() noexcept;
  /// True when `idle` sat unused past health_check_after_idle and must answer a ping first.
  bool needs_ping(const Idle& idle) const noexcept;
  /// Pings `conn`; false when it failed (the caller discards it).
  ring::Task<bool> answers_ping(BackendConnection& conn, ring::Deadline deadline);
  /// Checks out an idle connection.
  Lease lease_idle(Idle idle) noexcept;
  /// True when a slot is free for a new connection and no waiter queues ahead.
  bool may_open() const noexcept;
  /// Opens a connection in a slot already counted; a failure frees the slot and propagates.
  ring::Task<std::unique_ptr<BackendConnection>> connect_in_slot();
  /// Checks out a connection just opened.
  Lease lease_new(std::unique_ptr<BackendConnection> conn) noexcept;
  /// The least loaded shared connection with room, counted for one more statement; null when
  /// none has room (or callers of acquire() wait).
  BackendConnection* stack() noexcept;
  /// Lends a connection already counted as in use (checked out, handed over or just opened)
  /// as the first share of a new shared one; waiting share() callers get shares of it too.
  Lease lend_shared(std::unique_ptr<BackendConnection> conn,
                    std::chrono::steady_clock::time_point created);
  /// Wakes waiting share() callers at the front of the line with shares of `s` while it has
  /// room.
  void grant_shares(Shared& s) noexcept;
  /// A share ends (Lease::release).
  void unshare(BackendConnection* conn) noexcept;
  /// Queues `w` last in line.
  void enqueue(Waiter& w);
  /// After the wait: the connection handed over, or nothing when a slot was freed and counted
  /// for `w` (acquire opens in it); throws for a timeout, a close or a cancellation, passing
  /// on whatever was handed over or reserved.
  std::optional<Lease> end_wait(Waiter& w, bool woken, const std::exception_ptr& cancelled);

  // Returning and closing.
  /// Counts a connection back in (returned, or its ping over); tells close() when none is out.
  void checked_in() noexcept;
  void give_back(std::unique_ptr<BackendConnection> conn,
                 std::chrono::steady_clock::time_point created) noexcept;
  void hand_over(Idle idle) noexcept;
  void discard(std::unique_ptr<BackendConnection> conn) noexcept;
  void slot_freed() noexcept;
  ring::Task<void> clean_then_return(std::unique_ptr<BackendConnection> conn,
                                     std::chrono::steady_clock::time_point created);
  ring::Task<void> close_quietly(std::unique_ptr<BackendConnection> conn);
  /// True when a connection opened at `created` is past pool_recycle.
  bool expired(std::chrono::steady_clock::time_point created) const noexcept;

  /// Copies the containers' sizes into sizes_, for stats() on other threads.
  void publish_sizes() noexcept;

  // What stats() reads, readable from any thread.
  struct Counters {
    detail::Relaxed<std::uint64_t> created, connect_errors, discarded, returned_broken, acquired,
        queued, timeouts, pipelined;
    detail::Relaxed<std::chrono::nanoseconds> connect_time, wait_time;
    detail::Relaxed<std::size_t> idle, waiters, shared;  // publish_sizes()
  };

  ring::Loop& loop_;
  ConnectionFactory factory_;
  PoolOptions options_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;                 // by close(), until open()
  std::vector<Idle> idle_;              // most recently returned last (reused first: warm)
  std::vector<Shared> shared_;          // connections lent to statements (share()), not in idle_
  std::deque<Waiter*> waiters_;         // first come, first served
  detail::Relaxed<std::size_t> total_;  // open + opening + cleaning
  detail::Relaxed<std::size_t> in_use_;
  Counters counters_;
  ring::TaskGroup background_;           // closes and resets that outlive the call that caused them
  std::optional<ring::Signal> drained_;  // close() waits on it for checked-out connections
  // Its database's observers, told of connects and waits.
  const detail::Observer* observer_ = nullptr;
};

}  // namespace tern
