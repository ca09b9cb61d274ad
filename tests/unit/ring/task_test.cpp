// Task<T>, contexts, sync_wait and TaskGroup.
#include "tern/ring/task.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "tern/ring/error.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {
namespace {

using namespace std::chrono_literals;

Task<int> answer() {
  co_return 42;
}

Task<std::string> text(int n) {
  co_return std::string(static_cast<std::size_t>(n), 'x');
}

TEST(Task, ReturnsValues) {
  Loop loop;
  EXPECT_EQ(sync_wait(loop, answer()), 42);
  EXPECT_EQ(sync_wait(loop, text(3)), "xxx");
}

TEST(Task, IsLazy) {
  Loop loop;
  bool started = false;
  auto t = [](bool& s) -> Task<void> {
    s = true;
    co_return;
  }(started);
  EXPECT_FALSE(started);
  sync_wait(loop, std::move(t));
  EXPECT_TRUE(started);
}

Task<int> level3() {
  throw std::runtime_error("from level 3");
  co_return 0;
}
Task<int> level2() {
  co_return co_await level3() + 1;
}
Task<int> level1() {
  co_return co_await level2() + 1;
}

TEST(Task, ExceptionsPropagateThroughThreeLevels) {
  Loop loop;
  try {
    sync_wait(loop, level1());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "from level 3");
  }
}

Task<long> deep(int n) {
  if (n == 0) co_return 0;
  co_return co_await deep(n - 1) + 1;
}

// Symmetric transfer relies on the compiler turning `resume` into a tail call; GCC does not
// under AddressSanitizer, so the sanitizer build checks correctness on a shallower chain.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kDeepChain = 2'000;
#else
constexpr int kDeepChain = 200'000;
#endif

TEST(Task, DeepSynchronousChainsDoNotGrowTheStack) {
  Loop loop;
  EXPECT_EQ(sync_wait(loop, deep(kDeepChain)), kDeepChain);
}

Task<void*> local_of_child() {
  co_return (co_await this_task::context()).local;
}
Task<void*> parent_reads_child() {
  co_return co_await local_of_child();
}

TEST(Task, ChildrenInheritTheContextAndWithContextRebinds) {
  Loop loop;
  int marker = 0;
  EXPECT_EQ(sync_wait(loop, parent_reads_child()), nullptr);
  auto with_marker = [](int* m) -> Task<void*> {
    TaskContext ctx{(co_await this_task::context()).stop, m};
    co_return co_await with_context(ctx, parent_reads_child());
  };
  EXPECT_EQ(sync_wait(loop, with_marker(&marker)), &marker);
}

TEST(TaskGroup, JoinsAllAndRethrowsTheFirstFailure) {
  Loop loop;
  int done = 0;
  auto body = [](Loop& l, TaskGroup& g, int& d) -> Task<void> {
    for (int i = 0; i < 10; ++i) {
      g.spawn([](Loop& l2, int& d2, int i2) -> Task<void> {
        co_await sleep_for(l2, std::chrono::milliseconds(i2));
        if (i2 == 5) throw std::runtime_error("task 5 failed");
        ++d2;
      }(l, d, i));
    }
    co_await g.join();
  };
  TaskGroup group(loop);
  EXPECT_THROW(sync_wait(loop, body(loop, group, done)), std::runtime_error);
  EXPECT_EQ(done, 9);
  EXPECT_EQ(group.size(), 0u);
}

// Closures alive: counted by construction and destruction, read from the task body through a
// global (never through a capture, which would be the dangling read itself).
int g_closures = 0;
int g_closures_seen = -1;
struct CountedCapture {
  CountedCapture() { ++g_closures; }
  CountedCapture(const CountedCapture&) { ++g_closures; }
  CountedCapture(CountedCapture&&) noexcept { ++g_closures; }
  ~CountedCapture() { --g_closures; }
};

// The trap spawn(group, callable) fixes: with group.spawn(lambda()), the task's frame points at
// the lambda object, a temporary gone before the task's first line runs (its captures with it:
// ASan reports a read of them as heap-use-after-free).
TEST(TaskGroup, ACapturingLambdaPassedAsATaskIsGoneWhenTheTaskRuns) {
  Loop loop;
  TaskGroup group(loop);
  g_closures = 0;
  group.spawn([c = CountedCapture()]() -> Task<void> {
    g_closures_seen = g_closures;
    co_return;
  }());
  sync_wait(loop, group.join());
  EXPECT_EQ(g_closures_seen, 0);  // no closure left: reading `c` would have dangled
}

TEST(TaskGroup, SpawnKeepsTheCallableAndItsCapturesAlive) {
  Loop loop;
  TaskGroup group(loop);
  g_closures = 0;
  spawn(group, [c = CountedCapture()]() -> Task<void> {
    g_closures_seen = g_closures;
    co_return;
  });
  sync_wait(loop, group.join());
  EXPECT_EQ(g_closures_seen, 1);  // the child's own copy
  EXPECT_EQ(g_closures, 0);       // and none once it ended

  // Captures and arguments read after suspensions (under ASan: no use-after-free).
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    std::string text = "task " + std::to_string(i);  // dies at the end of the iteration
    spawn(
        group,
        [text, &loop, &seen](const std::string& suffix) -> Task<void> {
          co_await NextTurn{loop};
          co_await sleep_for(loop, 1ms);
          seen.push_back(text + suffix);
        },
        std::string(" done"));
  }
  sync_wait(loop, group.join());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"task 0 done", "task 1 done", "task 2 done"}));
}

TEST(TaskGroup, CancelStopsPendingSleepsAndJoinStaysQuiet) {
  Loop loop;
  TaskGroup group(loop);
  int cancelled = 0;
  for (int i = 0; i < 100; ++i) {
    group.spawn([](Loop& l, int& c) -> Task<void> {
      try {
        co_await sleep_for(l, 1h);
      } catch (const CancelledError&) {
        ++c;
        throw;
      }
    }(loop, cancelled));
  }
  auto stopper = [](Loop& l, TaskGroup& g) -> Task<void> {
    co_await sleep_for(l, 5ms);
    g.cancel();
    co_await g.join();
  };
  sync_wait(loop, stopper(loop, group));
  EXPECT_EQ(cancelled, 100);
}

TEST(TaskGroup, ContextOfSpawnedTasksIsFresh) {
  Loop loop;
  int marker = 0;
  void* seen = &loop;
  TaskGroup group(loop);
  group.spawn([](void*& out) -> Task<void> { out = co_await local_of_child(); }(seen), &marker);
  sync_wait(loop, group.join());
  EXPECT_EQ(seen, &marker);
}

TEST(SyncWait, StopTokenCancelsTheTask) {
  Loop loop;
  std::stop_source source;
  auto sleeper = [](Loop& l) -> Task<void> { co_await sleep_for(l, 1h); };
  source.request_stop();
  EXPECT_THROW(sync_wait(loop, sleeper(loop), source.get_token()), CancelledError);
}

}  // namespace
}  // namespace tern::ring
