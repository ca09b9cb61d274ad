// Loop: scheduling, 10,000 concurrent tasks, cross-thread posts, embedding, misuse errors.
#include "tern/ring/loop.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <coroutine>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tern/ring/error.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;

TEST(Loop, ReportsWhyIoUringIsUnavailable) {
  try {
    // io_uring asked for explicitly: automatic selection would fall back to epoll.
    Loop loop(LoopOptions{.backend = Backend::uring, .sq_entries = 0});
    FAIL() << "a ring with 0 entries was accepted";
  } catch (const RingUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find("io_uring is unavailable"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("seccomp"), std::string::npos);
  }
}

TEST(Loop, FeaturesAreProbed) {
  Loop loop;
  if (loop.backend() == Backend::epoll) {  // TERN_RING=epoll (the epoll test setup)
    EXPECT_EQ(loop.features().last_op, 0u);
    EXPECT_NE(loop.features().describe().find("epoll"), std::string::npos);
    return;
  }
  EXPECT_EQ(loop.backend(), Backend::uring);
  EXPECT_GT(loop.features().last_op, 0u);
  EXPECT_NE(loop.features().describe().find("io_uring"), std::string::npos);
}

TEST(Loop, TenThousandConcurrentTasks) {
  Loop loop;
  TaskGroup group(loop);
  int finished = 0;
  int max_in_flight = 0, in_flight = 0;
  for (int i = 0; i < 10'000; ++i) {
    group.spawn([](Loop& l, int& f, int& cur, int& peak, int i2) -> Task<void> {
      peak = std::max(peak, ++cur);
      co_await sleep_for(l, std::chrono::microseconds(1000 + i2 % 1000));
      co_await sleep_for(l, 1ms);
      --cur;
      ++f;
    }(loop, finished, in_flight, max_in_flight, i));
  }
  sync_wait(loop, group.join());
  EXPECT_EQ(finished, 10'000);
  EXPECT_EQ(max_in_flight, 10'000);  // all were suspended on the ring at once
}

TEST(Loop, SleepsWakeInDeadlineOrder) {
  Loop loop;
  TaskGroup group(loop);
  std::vector<int> order;
  for (int ms : {30, 10, 20}) {
    group.spawn([](Loop& l, std::vector<int>& o, int m) -> Task<void> {
      co_await sleep_for(l, std::chrono::milliseconds(m));
      o.push_back(m);
    }(loop, order, ms));
  }
  sync_wait(loop, group.join());
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

// A sleep's timer reaches the kernel only at the end of the turn (timers go last): a stop
// request in the same turn ends the sleep with CancelledError before it was ever armed.
TEST(Loop, SleepStoppedInTheTurnItBeganIsCancelled) {
  Loop loop;
  bool cancelled = false;
  sync_wait(loop, [](Loop& l, bool& out) -> Task<void> {
    TaskGroup group(l);
    group.spawn([](Loop& l2, bool& flag) -> Task<void> {
      try {
        co_await sleep_for(l2, 10s);
      } catch (const CancelledError&) {
        flag = true;
      }
    }(l, out));
    co_await NextTurn{l};  // the sleeper starts its sleep on this coming turn, just before us
    group.cancel();
    co_await group.join();
  }(loop, cancelled));
  EXPECT_TRUE(cancelled);  // false: it slept its 10 s out
}

// resume_soon(): the handed-on task runs once the current one suspends (not nested in it)
// and without waiting for the I/O the current one waits for.
TEST(Loop, ResumeSoonRunsOnceTheCurrentTaskSuspendsNotInsideIt) {
  Loop loop;
  std::vector<std::string> log;
  std::coroutine_handle<> parked;
  struct Park {
    std::coroutine_handle<>& slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
    void await_resume() const noexcept {}
  };
  TaskGroup group(loop);
  group.spawn([](std::vector<std::string>& out, std::coroutine_handle<>& slot) -> Task<void> {
    co_await Park{slot};
    out.push_back("handed on");
  }(log, parked));
  group.spawn(
      [](Loop& l, std::vector<std::string>& out, std::coroutine_handle<>& slot) -> Task<void> {
        co_await sleep_for(l, 1ms);
        l.resume_soon(slot);
        out.push_back("hander continues");
        co_await sleep_for(l, 200ms);  // the handed-on task must not wait for this
        out.push_back("hander done");
      }(loop, log, parked));
  sync_wait(loop, [](Loop& l, std::vector<std::string>& out) -> Task<void> {
    co_await sleep_for(l, 100ms);
    out.push_back("100 ms");
  }(loop, log));
  sync_wait(loop, group.join());
  EXPECT_EQ(log,
            (std::vector<std::string>{"hander continues", "handed on", "100 ms", "hander done"}));
}

TEST(Loop, PostFromAnotherThreadWakesTheLoop) {
  Loop loop;
  bool ran = false;
  loop.expect_post();
  std::thread other([&] {
    std::this_thread::sleep_for(20ms);
    loop.post_expected([&] { ran = true; });
  });
  loop.run();  // must wait for the expected post, then return
  other.join();
  EXPECT_TRUE(ran);
}

TEST(Loop, EmbedsInAForeignPollLoop) {
  Loop loop;
  bool done = false;
  TaskGroup group(loop);
  group.spawn([](Loop& l, bool& d) -> Task<void> {
    co_await sleep_for(l, 20ms);
    d = true;
  }(loop, done));
  int foreign_wakeups = 0;
  while (loop.poll()) {
    pollfd p{loop.fd(), POLLIN, 0};
    if (::poll(&p, 1, 1000) > 0) ++foreign_wakeups;
  }
  EXPECT_TRUE(done);
  EXPECT_GE(foreign_wakeups, 1);
}

TEST(Loop, SyncWaitInsideTheLoopIsAClearError) {
  Loop loop;
  auto nested = [](Loop& l) -> Task<void> {
    sync_wait(l, [](Loop& l2) -> Task<void> { co_await sleep_for(l2, 1ms); }(l));
    co_return;
  };
  try {
    sync_wait(loop, nested(loop));
    FAIL();
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos);
  }
}

struct Never {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

TEST(Loop, ATaskThatCanNeverFinishIsReported) {
  Loop loop;
  auto stuck = []() -> Task<void> { co_await Never{}; };
  EXPECT_THROW(sync_wait(loop, stuck()), std::logic_error);
}

}  // namespace
}  // namespace tern::ring
