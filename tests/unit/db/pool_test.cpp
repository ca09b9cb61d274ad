// The pool's policy over scripted connections (fake_connection.hpp), no server: FIFO waiters,
// the acquire timeout, pool_recycle, broken and dirty connections, close(), sizing, connect
// failures. Time is a hand-driven PoolOptions::clock for connection ages; a wait that must
// time out is given a deadline already past, so no test sleeps or measures time.
#include "tern/db/pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fake_connection.hpp"
#include "heap_counter.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using namespace std::chrono_literals;

// Under AddressSanitizer the ring's frame recycling is off (recycle.hpp): every frame is new.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kFramesRecycled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kFramesRecycled = false;
#else
constexpr bool kFramesRecycled = true;
#endif
#else
constexpr bool kFramesRecycled = true;
#endif
using testing::ConnectRefused;
using testing::FakeServer;
using testing::turns_until;
using Clock = std::chrono::steady_clock;

// The hand-driven clock of PoolOptions::clock (a plain function pointer, hence a global).
Clock::time_point fake_now{};
Clock::time_point read_fake_clock() noexcept {
  return fake_now;
}

// A deadline that has passed: a wait with it ends at once with "timed out".
ring::Deadline already_passed() {
  return Clock::now() - 1s;
}
// Long enough never to be reached by a passing test; a broken one fails instead of hanging.
ring::Deadline generous() {
  return ring::deadline_after(30s);
}

class PoolTest : public ::testing::Test {
 protected:
  PoolTest() { fake_now = Clock::time_point{} + 1h; }

  // A pool over `server` with `options` on the fake clock.
  std::unique_ptr<Pool> make_pool(PoolOptions options) {
    options.clock = &read_fake_clock;
    return std::make_unique<Pool>(loop, server.factory(), options);
  }
  // Runs `task` to completion on the loop.
  template <class T>
  T run(ring::Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  // Lets background work (closes, resets) and spawned tasks run until `done()` holds.
  void settle(std::function<bool()> done) { ASSERT_TRUE(run(turns_until(loop, std::move(done)))); }

  ring::Loop loop;
  FakeServer server;
};

PoolOptions sized(std::size_t min, std::size_t max) {
  PoolOptions o;
  o.min_connections = min;
  o.max_connections = max;
  return o;
}

// One acquire that records when it was served (`order`) and with which connection (`served`),
// then gives the connection back at once.
ring::Task<void> queued_acquire(Pool& pool, int who, std::vector<int>& order,
                                std::vector<std::size_t>& served) {
  Lease lease = co_await pool.acquire(generous());
  order.push_back(who);
  served.push_back(FakeServer::of(lease).id);
}

TEST_F(PoolTest, WaitersAreServedInArrivalOrderAsConnectionsReturn) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::vector<int> order;
  std::vector<std::size_t> served;
  ring::TaskGroup group(loop);
  for (int who = 0; who < 4; ++who) {
    group.spawn(queued_acquire(*pool, who, order, served));
    settle([&] { return pool->stats().waiters == static_cast<std::size_t>(who + 1); });
  }
  EXPECT_TRUE(order.empty());
  held.release();  // each waiter takes the connection and gives it back to the next
  run(group.join());
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(served, (std::vector<std::size_t>{0, 0, 0, 0}));  // handed over, never reopened
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.queued, 4u);
  EXPECT_EQ(s.acquired, 5u);
  EXPECT_EQ(s.waiters, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(server.attempts, 1);
}

TEST_F(PoolTest, NewcomerDoesNotOvertakeQueuedWaiter) {
  // With a waiter queued, a connection returned goes to it even if another acquire arrives
  // in the same turn: the newcomer queues behind.
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::vector<int> order;
  std::vector<std::size_t> served;
  ring::TaskGroup group(loop);
  group.spawn(queued_acquire(*pool, 0, order, served));
  settle([&] { return pool->stats().waiters == 1; });
  held.release();
  group.spawn(queued_acquire(*pool, 1, order, served));
  run(group.join());
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
}

// A broken return frees its slot once its close ran (close_quietly) and wakes the first waiter
// to open in it. The slot is counted as taken on that waiter's behalf until it resumes, so an
// acquire that runs in between (here the newcomer, started right after the release, runs in
// the same loop turn as the close, just after it) finds the pool full and queues behind.
TEST_F(PoolTest, NewcomerDoesNotTakeTheSlotFreedForAWaiter) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::vector<int> order;
  std::vector<std::size_t> served;
  ring::TaskGroup group(loop);
  group.spawn(queued_acquire(*pool, 0, order, served));
  settle([&] { return pool->stats().waiters == 1; });
  FakeServer::of(held).usable = false;
  held.release();  // its close runs on the next turn, then frees the slot for waiter 0
  group.spawn(queued_acquire(*pool, 1, order, served));
  run(group.join());
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  EXPECT_EQ(served, (std::vector<std::size_t>{1, 1}));  // opened by 0, handed over to 1
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 1u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(server.attempts, 2);
}

// The slot reserved for a woken waiter must come back to the pool whatever becomes of that
// waiter; each test below ends by acquiring with a deadline already past, which only succeeds
// if the slot (max_connections is 1) is free or idle, and checks the pool's size.

TEST_F(PoolTest, SlotFreedForAWaiterWhoseConnectFailsGoesBackToThePool) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::string outcome;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, std::string& out) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
      out = "served";
    } catch (const ConnectRefused&) {
      out = "refused";
    }
  }(*pool, outcome));
  settle([&] { return pool->stats().waiters == 1; });
  server.refuse = 1;
  FakeServer::of(held).usable = false;
  held.release();
  run(group.join());
  EXPECT_EQ(outcome, "refused");
  PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.connect_errors, 1u);
  Lease next = run(pool->acquire(already_passed()));
  EXPECT_EQ(FakeServer::of(next).id, 1u);
  EXPECT_EQ(pool->stats().size, 1u);
}

TEST_F(PoolTest, SlotFreedForACancelledWaiterGoesBackToThePool) {
  // The waiter is cancelled in the turn its slot is freed: whichever comes first, it either
  // leaves the queue before the slot is freed, or opens in the slot (a wake-up wins over a
  // cancellation, ring/signal.hpp) and gives the connection back; the slot is never lost.
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::string outcome;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, std::string& out) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
      out = "served";
    } catch (const ring::CancelledError&) {
      out = "cancelled";
    }
  }(*pool, outcome));
  settle([&] { return pool->stats().waiters == 1; });
  FakeServer::of(held).usable = false;
  held.release();
  group.cancel();
  run(group.join());
  EXPECT_FALSE(outcome.empty());
  settle([&] { return server.opened[0]->destroyed; });
  PoolStats s = pool->stats();
  EXPECT_EQ(s.waiters, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.size, s.idle);  // nothing counted for a departed waiter
  EXPECT_LE(s.size, 1u);
  Lease next = run(pool->acquire(already_passed()));
  EXPECT_EQ(pool->stats().size, 1u);
}

TEST_F(PoolTest, SlotFreedAfterAWaiterTimedOutGoesBackToThePool) {
  auto pool = make_pool(sized(0, 2));
  Lease a = run(pool->acquire(generous()));
  Lease b = run(pool->acquire(generous()));
  EXPECT_THROW(run(pool->acquire(already_passed())), PoolTimeout);
  FakeServer::of(a).usable = false;
  a.release();  // no one waits any more: nothing is reserved
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(pool->stats().size, 1u);
  Lease next = run(pool->acquire(already_passed()));
  EXPECT_EQ(FakeServer::of(next).id, 2u);
  EXPECT_EQ(pool->stats().size, 2u);
}

TEST_F(PoolTest, WaiterWhoseDeadlinePassesAsItsSlotIsFreedStillGetsIt) {
  // The waiter queues with a deadline already past, and in the same loop turn the broken
  // return's close frees the slot for it: the wake-up wins over the timer, it opens in the
  // slot, and the slot is neither lost nor given twice.
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::string outcome;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, std::string& out) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(already_passed());
      out = "connection " + std::to_string(FakeServer::of(l).id);
    } catch (const PoolTimeout&) {
      out = "timed out";
    }
  }(*pool, outcome));
  FakeServer::of(held).usable = false;
  held.release();  // its close runs right after the waiter queued
  run(group.join());
  EXPECT_EQ(outcome, "connection 1");
  PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 1u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.timeouts, 0u);
}

TEST_F(PoolTest, AcquireTimeoutRaisesPoolTimeoutAndLeavesPoolHealthy) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  EXPECT_THROW(run(pool->acquire(already_passed())), PoolTimeout);
  PoolStats s = pool->stats();
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.waiters, 0u);  // the timed-out waiter left the queue
  EXPECT_EQ(s.in_use, 1u);
  EXPECT_EQ(s.size, 1u);
  // The connection returned goes idle (not to the departed waiter) and is reused.
  held.release();
  EXPECT_EQ(pool->stats().idle, 1u);
  Lease again = run(pool->acquire(generous()));
  EXPECT_EQ(FakeServer::of(again).id, 0u);
  EXPECT_EQ(server.attempts, 1);
}

TEST_F(PoolTest, DefaultTimeoutComesFromOptions) {
  PoolOptions o = sized(0, 1);
  o.timeout = 0ms;  // every wait times out at once
  auto pool = make_pool(o);
  Lease held = run(pool->acquire());
  EXPECT_THROW(run(pool->acquire()), PoolTimeout);
}

TEST_F(PoolTest, CancelledWaiterLeavesQueueAndPoolHealthy) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  bool cancelled = false;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, bool& flag) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*pool, cancelled));
  settle([&] { return pool->stats().waiters == 1; });
  group.cancel();
  run(group.join());
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(pool->stats().waiters, 0u);
  held.release();
  EXPECT_EQ(pool->stats().idle, 1u);
  Lease again = run(pool->acquire(generous()));
  EXPECT_EQ(FakeServer::of(again).id, 0u);
}

TEST_F(PoolTest, PoolRecycleReplacesAnIdleConnectionPastItsAge) {
  PoolOptions o = sized(0, 1);
  o.pool_recycle = 10min;
  auto pool = make_pool(o);
  run(pool->acquire(generous())).release();
  fake_now += 9min;  // young enough: reused
  {
    Lease l = run(pool->acquire(generous()));
    EXPECT_EQ(FakeServer::of(l).id, 0u);
  }
  fake_now += 1min;  // 10 minutes old: closed, a new one opened in its slot
  Lease l = run(pool->acquire(generous()));
  EXPECT_EQ(FakeServer::of(l).id, 1u);
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(server.opened[0]->closes, 1);
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(s.size, 1u);
  EXPECT_EQ(s.created, 2u);
}

TEST_F(PoolTest, PoolRecycleClosesAConnectionReturnedPastItsAge) {
  PoolOptions o = sized(0, 1);
  o.pool_recycle = 10min;
  auto pool = make_pool(o);
  Lease l = run(pool->acquire(generous()));
  fake_now += 11min;
  l.release();  // too old to go idle
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(server.opened[0]->closes, 1);
  PoolStats s = pool->stats();
  EXPECT_EQ(s.idle, 0u);
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.returned_broken, 0u);  // old, not broken
  EXPECT_EQ(FakeServer::of(run(pool->acquire(generous()))).id, 1u);
}

TEST_F(PoolTest, ZeroPoolRecycleNeverExpires) {
  auto pool = make_pool(sized(0, 1));
  run(pool->acquire(generous())).release();
  fake_now += 24h * 365;
  EXPECT_EQ(FakeServer::of(run(pool->acquire(generous()))).id, 0u);
}

TEST_F(PoolTest, BrokenConnectionReturnedIsDiscardedAndItsSlotFreed) {
  auto pool = make_pool(sized(0, 1));
  Lease l = run(pool->acquire(generous()));
  FakeServer::of(l).usable = false;  // lost mid-query, say
  l.release();
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(server.opened[0]->closes, 1);
  PoolStats s = pool->stats();
  EXPECT_EQ(s.returned_broken, 1u);
  EXPECT_EQ(s.discarded, 1u);
  EXPECT_EQ(s.idle, 0u);
  EXPECT_EQ(s.size, 0u);  // the slot is free again
  // max_connections is 1: the next acquire can only succeed in the freed slot.
  Lease next = run(pool->acquire(already_passed()));
  EXPECT_EQ(FakeServer::of(next).id, 1u);
}

TEST_F(PoolTest, BrokenConnectionReturnedToAWaiterIsNotHandedOver) {
  // The waiter is woken for the freed slot and opens a fresh connection.
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::vector<int> order;
  std::vector<std::size_t> served;
  ring::TaskGroup group(loop);
  group.spawn(queued_acquire(*pool, 0, order, served));
  settle([&] { return pool->stats().waiters == 1; });
  FakeServer::of(held).usable = false;
  held.release();
  run(group.join());
  EXPECT_EQ(served, (std::vector<std::size_t>{1}));
  EXPECT_TRUE(server.opened[0]->destroyed);
}

TEST_F(PoolTest, IdleConnectionThatStoppedLookingAliveIsNotReused) {
  auto pool = make_pool(sized(0, 2));
  Lease a = run(pool->acquire(generous()));
  Lease b = run(pool->acquire(generous()));
  a.release();
  b.release();  // b is the warmest; it dies while idle
  server.opened[1]->alive = false;
  Lease l = run(pool->acquire(generous()));
  EXPECT_EQ(FakeServer::of(l).id, 0u);
  settle([&] { return server.opened[1]->destroyed; });
  EXPECT_EQ(pool->stats().discarded, 1u);
}

TEST_F(PoolTest, WarmestIdleConnectionIsReusedFirst) {
  auto pool = make_pool(sized(0, 2));
  Lease a = run(pool->acquire(generous()));
  Lease b = run(pool->acquire(generous()));
  b.release();
  a.release();  // returned last
  EXPECT_EQ(FakeServer::of(run(pool->acquire(generous()))).id, 0u);
}

TEST_F(PoolTest, IdlePastHealthCheckIsPingedAndDiscardedWhenPingFails) {
  PoolOptions o = sized(0, 1);
  o.health_check_after_idle = 1min;
  auto pool = make_pool(o);
  run(pool->acquire(generous())).release();
  // Idle less than a minute: no ping.
  run(pool->acquire(generous())).release();
  EXPECT_EQ(server.opened[0]->pings, 0);
  fake_now += 1min;  // pinged, and it answers
  run(pool->acquire(generous())).release();
  EXPECT_EQ(server.opened[0]->pings, 1);
  fake_now += 1min;  // pinged, fails: replaced
  server.opened[0]->ping_fails = true;
  Lease l = run(pool->acquire(generous()));
  EXPECT_EQ(server.opened[0]->pings, 2);
  EXPECT_EQ(FakeServer::of(l).id, 1u);
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(pool->stats().in_use, 1u);
}

TEST_F(PoolTest, ConnectionReturnedInTransactionIsResetBeforeReuse) {
  auto pool = make_pool(sized(0, 1));
  Lease l = run(pool->acquire(generous()));
  FakeServer::of(l).in_transaction = true;
  l.release();
  EXPECT_EQ(pool->stats().size, 1u);  // the slot stays taken while it is cleaned
  settle([&] { return pool->stats().idle == 1; });
  EXPECT_EQ(server.opened[0]->resets, 1);
  Lease again = run(pool->acquire(generous()));
  EXPECT_EQ(FakeServer::of(again).id, 0u);
  EXPECT_FALSE(FakeServer::of(again).in_transaction);
}

TEST_F(PoolTest, ConnectionWhoseResetFailsIsDiscarded) {
  auto pool = make_pool(sized(0, 1));
  Lease l = run(pool->acquire(generous()));
  FakeServer::of(l).in_transaction = true;
  FakeServer::of(l).reset_fails = true;
  l.release();
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(server.opened[0]->resets, 1);
  EXPECT_EQ(server.opened[0]->closes, 1);
  EXPECT_EQ(pool->stats().size, 0u);
  EXPECT_EQ(FakeServer::of(run(pool->acquire(generous()))).id, 1u);
}

TEST_F(PoolTest, WarmAcquireAllocatesNothing) {
  // DESIGN.md: a warm pool's acquire and release make no heap allocation (acquire's own frame
  // comes from the ring's per-thread recycler once warm).
  if (!kFramesRecycled) GTEST_SKIP() << "frame recycling is off under AddressSanitizer";
  PoolOptions o = sized(1, 1);
  o.pool_recycle = 10min;            // the age check runs,
  o.health_check_after_idle = 1min;  // and so does the idle check (no ping: not idle long)
  auto pool = make_pool(o);
  run(pool->open());
  auto cycles = [](Pool& p, int n, long& allocations) -> ring::Task<void> {
    const long before = testing::heap_allocations();
    for (int i = 0; i < n; ++i) {
      Lease l = co_await p.acquire(ring::kNoDeadline);
    }
    allocations = testing::heap_allocations() - before;
  };
  long allocations = -1;
  run(cycles(*pool, 10, allocations));  // warms the recycler's size classes
  run(cycles(*pool, 1000, allocations));
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(server.attempts, 1);
  EXPECT_EQ(server.opened[0]->pings, 0);
}

TEST_F(PoolTest, OpenOpensMinConnectionsAndAcquireStopsAtMax) {
  auto pool = make_pool(sized(2, 3));
  EXPECT_FALSE(pool->is_open());
  run(pool->open());
  EXPECT_TRUE(pool->is_open());
  EXPECT_EQ(server.attempts, 2);
  EXPECT_EQ(pool->stats().idle, 2u);
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i)
    leases.push_back(run(pool->acquire(generous())));
  EXPECT_EQ(server.attempts, 3);  // two reused, one opened
  EXPECT_THROW(run(pool->acquire(already_passed())), PoolTimeout);
  const PoolStats s = pool->stats();
  EXPECT_EQ(server.attempts, 3);  // the fourth did not open beyond max_connections
  EXPECT_EQ(s.size, 3u);
  EXPECT_EQ(s.in_use, 3u);
  EXPECT_EQ(s.min_connections, 2u);
  EXPECT_EQ(s.max_connections, 3u);
}

TEST_F(PoolTest, SizesAreClampedToAtLeastOneAndMinAtMostMax) {
  auto pool = make_pool(sized(5, 0));
  EXPECT_EQ(pool->options().max_connections, 1u);
  EXPECT_EQ(pool->options().min_connections, 1u);
  run(pool->open());
  EXPECT_EQ(server.attempts, 1);
}

TEST_F(PoolTest, ConnectFailurePropagatesAndFreesTheSlot) {
  auto pool = make_pool(sized(0, 1));
  server.refuse = 1;
  EXPECT_THROW(run(pool->acquire(generous())), ConnectRefused);
  PoolStats s = pool->stats();
  EXPECT_EQ(s.connect_errors, 1u);
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(FakeServer::of(run(pool->acquire(already_passed()))).id, 0u);
}

TEST_F(PoolTest, ConnectFailureReachesTheWaiterThatOpenedAndTheNextOneTriesAgain) {
  // Two waiters queue behind a held connection; it comes back broken, so the first waiter
  // opens in its slot and fails; the freed slot then goes to the second, which succeeds.
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  std::vector<std::string> outcome(2);
  ring::TaskGroup group(loop);
  for (int who = 0; who < 2; ++who) {
    group.spawn([](Pool& p, std::string& out) -> ring::Task<void> {
      try {
        Lease l = co_await p.acquire(generous());
        out = "connection " + std::to_string(FakeServer::of(l).id);
      } catch (const ConnectRefused&) {
        out = "refused";
      }
    }(*pool, outcome[who]));
    settle([&] { return pool->stats().waiters == static_cast<std::size_t>(who + 1); });
  }
  server.refuse = 1;
  FakeServer::of(held).usable = false;
  held.release();
  run(group.join());
  EXPECT_EQ(outcome, (std::vector<std::string>{"refused", "connection 1"}));
  EXPECT_EQ(server.attempts, 3);
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.connect_errors, 1u);
  EXPECT_EQ(s.size, 1u);
  EXPECT_EQ(s.idle, 1u);
}

TEST_F(PoolTest, OpenFailureFreesTheSlotsOfFailedConnects) {
  auto pool = make_pool(sized(2, 2));
  server.refuse = 1;
  EXPECT_THROW(run(pool->open()), ConnectRefused);
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 1u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.connect_errors, 1u);
}

TEST_F(PoolTest, CloseWaitsForCheckedOutConnectionsAndClosesThemOnReturn) {
  auto pool = make_pool(sized(2, 2));
  run(pool->open());
  Lease held = run(pool->acquire(generous()));
  const std::size_t held_id = FakeServer::of(held).id;
  const std::size_t idle_id = 1 - held_id;
  bool closed = false;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, bool& done) -> ring::Task<void> {
    co_await p.close(generous());
    done = true;
  }(*pool, closed));
  settle([&] { return server.opened[idle_id]->destroyed; });  // idle ones go at once
  EXPECT_FALSE(closed);
  EXPECT_THROW(run(pool->acquire(generous())), InterfaceError);  // refused while closing
  EXPECT_FALSE(server.opened[held_id]->destroyed);
  held.release();
  run(group.join());
  EXPECT_TRUE(closed);
  EXPECT_TRUE(server.opened[held_id]->destroyed);
  EXPECT_EQ(server.opened[held_id]->closes, 1);
  EXPECT_FALSE(pool->is_open());
  EXPECT_EQ(pool->stats().size, 0u);
}

TEST_F(PoolTest, CloseFailsWaiters) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  bool refused = false;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, bool& flag) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
    } catch (const InterfaceError&) {
      flag = true;
    }
  }(*pool, refused));
  settle([&] { return pool->stats().waiters == 1; });
  group.spawn([](Pool& p) -> ring::Task<void> { co_await p.close(ring::kNoDeadline); }(*pool));
  settle([&] { return refused; });
  held.release();
  run(group.join());
  EXPECT_EQ(pool->stats().waiters, 0u);
}

// close() waits for checked-out connections by in_use_, which counts an idle connection being
// pinged for its health check. When that ping fails, acquire() discards the connection and
// in_use_ drops to 0 there: close() must be told then, not only when a lease is given back,
// or it waits to its deadline (forever with kNoDeadline; generous() here, so that a regression
// fails the settle() below instead of hanging).
TEST_F(PoolTest, CloseEndsWhenAPingedConnectionFails) {
  PoolOptions o = sized(0, 1);
  o.health_check_after_idle = 1min;
  auto pool = make_pool(o);
  run(pool->acquire(generous())).release();
  fake_now += 1min;
  ring::Signal gate(loop);
  server.opened[0]->ping_gate = &gate;
  bool refused = false;
  bool closed = false;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, bool& flag) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
    } catch (const InterfaceError&) {
      flag = true;
    }
  }(*pool, refused));
  settle([&] { return server.opened[0]->pings == 1; });
  group.spawn([](Pool& p, bool& done) -> ring::Task<void> {
    co_await p.close(generous());
    done = true;
  }(*pool, closed));
  server.opened[0]->ping_fails = true;
  gate.notify();
  settle([&] { return closed; });
  run(group.join());
  EXPECT_TRUE(refused);           // the acquire learnt of the close after its ping
  EXPECT_EQ(server.attempts, 1);  // nothing opened after close() began
  EXPECT_TRUE(server.opened[0]->destroyed);
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.in_use, 0u);
}

// An acquire past admit() that pings an idle connection while close() begins must not hand
// that connection out when the ping succeeds: it is refused, and the connection closed.
TEST_F(PoolTest, AcquireIsRefusedWhenCloseBeginsDuringASuccessfulPing) {
  PoolOptions o = sized(0, 1);
  o.health_check_after_idle = 1min;
  auto pool = make_pool(o);
  run(pool->acquire(generous())).release();
  fake_now += 1min;
  ring::Signal gate(loop);
  server.opened[0]->ping_gate = &gate;
  bool refused = false;
  bool served = false;
  bool closed = false;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, bool& no, bool& yes) -> ring::Task<void> {
    try {
      Lease l = co_await p.acquire(generous());
      yes = true;
    } catch (const InterfaceError&) {
      no = true;
    }
  }(*pool, refused, served));
  settle([&] { return server.opened[0]->pings == 1; });
  group.spawn([](Pool& p, bool& done) -> ring::Task<void> {
    co_await p.close(generous());
    done = true;
  }(*pool, closed));
  gate.notify();  // the ping answers
  settle([&] { return closed; });
  run(group.join());
  EXPECT_TRUE(refused);
  EXPECT_FALSE(served);
  EXPECT_EQ(server.attempts, 1);
  EXPECT_TRUE(server.opened[0]->destroyed);
  EXPECT_EQ(server.opened[0]->closes, 1);
  EXPECT_FALSE(pool->is_open());
  const PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.acquired, 1u);  // the first acquire only
}

TEST_F(PoolTest, ConnectionReturnedAfterCloseDeadlineIsClosed) {
  auto pool = make_pool(sized(0, 1));
  Lease held = run(pool->acquire(generous()));
  run(pool->close(already_passed()));  // gives up waiting for `held`
  EXPECT_FALSE(pool->is_open());
  EXPECT_FALSE(server.opened[0]->destroyed);
  held.release();
  settle([&] { return server.opened[0]->destroyed; });
  EXPECT_EQ(server.opened[0]->closes, 1);
  EXPECT_EQ(pool->stats().size, 0u);
}

// peewee-async: "The pool is closed until you run aio_connect manually." A pool never opened
// opens on first use; one closed refuses every acquire until open().
TEST_F(PoolTest, ClosedPoolRefusesAcquiresUntilOpenedAgain) {
  auto pool = make_pool(sized(1, 1));
  Lease first = run(pool->acquire(generous()));  // never opened: opens on use
  EXPECT_TRUE(pool->is_open());
  first.release();
  run(pool->close(generous()));
  EXPECT_FALSE(pool->is_open());
  const auto refused = [&](auto&& acquire) {
    try {
      acquire();
    } catch (const InterfaceError& e) {
      return std::string(e.what()).find("database closed") != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refused([&] { run(pool->acquire(generous())); }));
  EXPECT_TRUE(refused([&] { run(pool->share(generous())); }));
  EXPECT_TRUE(refused([&] { (void)pool->try_share(); }));
  EXPECT_FALSE(pool->is_open());
  EXPECT_EQ(pool->stats().size, 0u);
  run(pool->close(generous()));  // twice: nothing to do
  run(pool->open());
  EXPECT_TRUE(pool->is_open());
  Lease l = run(pool->acquire(generous()));
  EXPECT_TRUE(l);
  EXPECT_EQ(pool->stats().created, 2u);  // the first was closed; open() made a new one
}

// ---- share(): statements of several tasks on one connection (implicit pipelining) ----

PoolOptions pipelining(std::size_t max, std::size_t depth) {
  PoolOptions o = sized(0, max);
  o.pipeline_depth = depth;
  return o;
}

// The connection ids a set of leases holds, in order.
std::vector<std::size_t> ids(const std::vector<Lease>& leases) {
  std::vector<std::size_t> out;
  for (const Lease& l : leases)
    out.push_back(FakeServer::of(l).id);
  return out;
}

TEST_F(PoolTest, ShareSpreadsABurstBeforeItStacks) {
  auto pool = make_pool(pipelining(3, 2));
  std::vector<Lease> leases;
  for (int i = 0; i < 6; ++i)
    leases.push_back(run(pool->share(generous())));
  // Three connections opened first, then each took a second statement: least loaded first.
  EXPECT_EQ(ids(leases), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_TRUE(leases[0].shared());
  PoolStats s = pool->stats();
  EXPECT_EQ(s.size, 3u);
  EXPECT_EQ(s.in_use, 3u);
  EXPECT_EQ(s.shared, 3u);
  EXPECT_EQ(s.pipelined, 3u);
  EXPECT_EQ(s.acquired, 6u);
  // Full: the seventh waits until a statement is done, then rides that connection.
  EXPECT_THROW(run(pool->share(already_passed())), PoolTimeout);
  leases[4].release();
  Lease seventh = run(pool->share(generous()));
  EXPECT_EQ(FakeServer::of(seventh).id, 1u);
  // Every share given back: the connections are idle again, nothing was closed.
  seventh.release();
  leases.clear();
  s = pool->stats();
  EXPECT_EQ(s.idle, 3u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.shared, 0u);
  EXPECT_EQ(s.discarded, 0u);
}

TEST_F(PoolTest, ShareTakesAnIdleConnectionBeforeOpeningOne) {
  auto pool = make_pool(pipelining(4, 8));
  run(pool->open());
  Lease a = run(pool->share(generous()));
  Lease b = run(pool->share(generous()));  // a new connection before stacking on the first
  EXPECT_EQ(server.opened.size(), 2u);
  EXPECT_NE(FakeServer::of(a).id, FakeServer::of(b).id);
}

TEST_F(PoolTest, ShareWithDepthOneIsAcquire) {
  auto pool = make_pool(pipelining(1, 1));
  Lease a = run(pool->share(generous()));
  EXPECT_FALSE(a.shared());
  EXPECT_THROW(run(pool->share(already_passed())), PoolTimeout);
}

TEST_F(PoolTest, ConnectionsThatDoNotPipelineAreNeverShared) {
  server.pipelining = false;
  auto pool = make_pool(pipelining(1, 4));
  Lease a = run(pool->share(generous()));
  EXPECT_THROW(run(pool->share(already_passed())), PoolTimeout);
}

TEST_F(PoolTest, NothingStacksOnABrokenConnectionOrAnOpenTransaction) {
  auto pool = make_pool(pipelining(1, 4));
  Lease a = run(pool->share(generous()));
  FakeServer::of(a).in_transaction = true;  // a raw BEGIN through a shared statement
  EXPECT_THROW(run(pool->share(already_passed())), PoolTimeout);
  FakeServer::of(a).in_transaction = false;
  FakeServer::of(a).usable = false;
  EXPECT_THROW(run(pool->share(already_passed())), PoolTimeout);
  a.release();  // the last share of a broken connection: discarded, its slot freed
  settle([&] { return pool->stats().size == 0; });
  Lease b = run(pool->share(generous()));
  EXPECT_EQ(FakeServer::of(b).id, 1u);
}

// A caller of acquire() in line stops stacking: it needs a connection to itself, which it gets
// when the statements on it are done; shares queued behind it come after.
TEST_F(PoolTest, QueuedAcquireIsNotStarvedByShares) {
  auto pool = make_pool(pipelining(1, 4));
  Lease first = run(pool->share(generous()));
  std::vector<std::string> order;
  ring::TaskGroup group(loop);
  group.spawn([](Pool& p, std::vector<std::string>& o) -> ring::Task<void> {
    Lease l = co_await p.acquire(generous());
    EXPECT_FALSE(l.shared());
    o.push_back("acquire");
  }(*pool, order));
  settle([&] { return pool->stats().waiters == 1; });
  group.spawn([](Pool& p, std::vector<std::string>& o) -> ring::Task<void> {
    Lease l = co_await p.share(generous());
    o.push_back("share");
  }(*pool, order));
  settle([&] { return pool->stats().waiters == 2; });
  first.release();
  run(group.join());
  EXPECT_EQ(order, (std::vector<std::string>{"acquire", "share"}));
}

// Shares waiting in line ride the first connection that comes back, up to the depth.
TEST_F(PoolTest, WaitingSharesRideTheConnectionHandedOver) {
  auto pool = make_pool(pipelining(1, 3));
  Lease held = run(pool->acquire(generous()));
  std::vector<Lease> got(4);
  std::vector<std::size_t> rode;
  ring::TaskGroup group(loop);
  for (int i = 0; i < 4; ++i) {
    group.spawn([](Pool& p, Lease& out, std::vector<std::size_t>& id) -> ring::Task<void> {
      out = co_await p.share(generous());
      id.push_back(FakeServer::of(out).id);
    }(*pool, got[i], rode));
  }
  settle([&] { return pool->stats().waiters == 4; });
  held.release();
  settle([&] { return pool->stats().waiters == 1; });  // three rode it; one waits for room
  EXPECT_EQ(pool->stats().shared, 1u);
  got[0].release();
  run(group.join());
  EXPECT_EQ(rode, (std::vector<std::size_t>{0, 0, 0, 0}));
}

TEST_F(PoolTest, ShareGrantedToACancelledWaiterIsGivenBack) {
  auto pool = make_pool(pipelining(1, 2));
  Lease a = run(pool->share(generous()));
  Lease b = run(pool->share(generous()));
  ring::TaskGroup group(loop);
  bool cancelled = false;
  group.spawn([](Pool& p, bool& flag) -> ring::Task<void> {
    try {
      Lease l = co_await p.share(generous());
    } catch (const ring::CancelledError&) {
      flag = true;
    }
  }(*pool, cancelled));
  settle([&] { return pool->stats().waiters == 1; });
  b.release();     // granted to the waiter ...
  group.cancel();  // ... as it is cancelled
  run(group.join());
  a.release();
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().idle, 1u);
}

}  // namespace
}  // namespace tern
