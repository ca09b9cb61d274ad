#include "tern/ring/signal.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "tern/ring/ring.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;

TEST(Signal, NotifyBeforeWaitReturnsAtOnce) {
  Loop loop;
  Signal s(loop);
  s.notify();
  EXPECT_TRUE(sync_wait(loop, s.wait(deadline_after(10s))));
}

TEST(Signal, AnotherTaskWakesTheWaiter) {
  Loop loop;
  Signal s(loop);
  TaskGroup group(loop);
  group.spawn([](Loop& l, Signal& sig) -> Task<void> {
    co_await sleep_for(l, 20ms);
    sig.notify();
  }(loop, s));
  // true: woken by the notify, not by the deadline (which returns false).
  EXPECT_TRUE(sync_wait(loop, s.wait(deadline_after(10s))));
  sync_wait(loop, group.join());
}

// A wait's timer reaches the kernel only at the end of the turn (timers go last): a notify in
// the same turn ends the wait before its timer was ever armed.
TEST(Signal, NotifyInTheTurnTheWaitBeganWakesTheWaiter) {
  Loop loop;
  Signal s(loop);
  const Deadline deadline = deadline_after(10s);
  TaskGroup group(loop);
  group.spawn([](Signal& sig, Deadline d) -> Task<void> { co_await sig.wait(d); }(s, deadline));
  group.spawn([](Signal& sig) -> Task<void> {  // runs right after the waiter, same turn
    sig.notify();
    co_return;
  }(s));
  sync_wait(loop, group.join());
  EXPECT_LT(std::chrono::steady_clock::now(), deadline);  // woken, not timed out
}

TEST(Signal, DeadlineReturnsFalse) {
  Loop loop;
  Signal s(loop);
  EXPECT_FALSE(sync_wait(loop, s.wait(deadline_after(20ms))));
  EXPECT_FALSE(s.notified());
}

TEST(Signal, StopRequestThrowsCancelled) {
  Loop loop;
  Signal s(loop);
  TaskGroup group(loop);
  bool cancelled = false;
  group.spawn([](Signal& sig, bool& flag) -> Task<void> {
    try {
      co_await sig.wait(kNoDeadline);
    } catch (const CancelledError&) {
      flag = true;
    }
  }(s, cancelled));
  sync_wait(loop, [](Loop& l, TaskGroup& g) -> Task<void> {
    co_await sleep_for(l, 20ms);
    g.cancel();
    co_await g.join();
  }(loop, group));
  EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace tern::ring
