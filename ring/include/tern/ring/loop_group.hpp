// LoopGroup: a loop per thread, so that a service uses every core.
//
//   tern::ring::LoopGroup loops(4);            // declared before the databases it runs
//   tern::PostgresqlDatabase db("app");        // one pool shard per loop, made on first use
//   loops.run_on_each([&](std::size_t) -> tern::ring::Task<void> {
//     co_await db.aio_execute("SELECT 1");
//   });
//   loops.run_on_each([&](std::size_t) { return db.aio_close(); });  // every shard
//
// Each thread owns its Loop for the group's whole life: a loop is single-threaded (io_uring's
// SINGLE_ISSUER), so a task runs on the thread it was submitted to, from start to end, and
// what it awaits (sockets, timers, a database's pool shard) lives on that loop too.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

namespace detail {

/// T of Task<T>.
template <class Task>
struct TaskResult;
template <class T>
struct TaskResult<Task<T>> {
  using type = T;
};
/// The value type of the Task<T> that `F` returns.
template <class F>
using SubmittedValue = typename TaskResult<std::invoke_result_t<F&>>::type;

/// Runs `make()` to its end and puts its value or exception into `promise`. `make` is a
/// parameter, so a lambda's captures live in this frame until the task ends.
template <class F, class T>
Task<void> fulfil(F make, std::shared_ptr<std::promise<T>> promise) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await make();
      promise->set_value();
    } else {
      promise->set_value(co_await make());
    }
  } catch (...) {
    promise->set_exception(std::current_exception());
  }
}

}  // namespace detail

/// `threads` threads, each running its own Loop until the group stops. Tasks are submitted to
/// a loop by index from any thread; their results come back as std::future. Not copyable or
/// movable (the threads point at it).
class LoopGroup {
 public:
  /// Starts `threads` threads (at least one), each with a Loop made with `options` on that
  /// thread; throws what a Loop's constructor throws (RingUnavailable...).
  explicit LoopGroup(std::size_t threads, LoopOptions options = {});
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;
  /// stop().
  ~LoopGroup();

  /// The number of loops (threads).
  std::size_t size() const noexcept { return workers_.size(); }
  /// Loop `i` (for Loop::post() or features()); use it only from its own thread otherwise.
  Loop& loop(std::size_t i) const noexcept;

  /// Runs `make()` — a callable returning Task<T>, called on loop `i`'s thread — as a task of
  /// that loop and returns the future of its value or exception. Safe from any thread; waiting
  /// on the future from loop `i`'s own thread would block it forever.
  template <class F>
  std::future<detail::SubmittedValue<F>> submit(std::size_t i, F make) {
    using T = detail::SubmittedValue<F>;
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> result = promise->get_future();
    auto made = std::make_shared<F>(std::move(make));
    post_task(i, [made, promise] { return detail::fulfil(std::move(*made), promise); });
    return result;
  }
  /// Runs `make(i)` (returning Task<void>) on every loop `i` at once, waits until all have
  /// ended, and rethrows the first exception (by loop index) if any failed. Not from a loop of
  /// the group.
  template <class F>
  void run_on_each(F make) {
    std::vector<std::future<void>> ends;
    ends.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) {
      ends.push_back(submit(i, [make, i]() { return make(i); }));
    }
    wait_all(ends);
  }
  /// Lets every loop finish the tasks it has, then ends the threads and destroys the loops
  /// (each on its own thread). Idempotent. Close what lives on the loops (a database's pool
  /// shards: aio_close() on each loop) before.
  void stop();

 private:
  struct Worker;
  // Spawns `start()` on loop `i`, on its thread.
  void post_task(std::size_t i, std::function<Task<void>()> start);
  static void wait_all(std::vector<std::future<void>>& ends);

  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace tern::ring
