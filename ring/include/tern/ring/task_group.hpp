// TaskGroup: detached ("spawned") tasks with an owner that joins or cancels them.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <stop_token>
#include <type_traits>
#include <utility>

#include "tern/ring/loop.hpp"
#include "tern/ring/root.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// Owns spawned tasks on one loop. Spawned tasks start on a coming loop turn, run concurrently
/// with their spawner, and get a fresh context whose stop token is the group's (plus an optional
/// `local` slot). join() waits for all of them and rethrows the first failure; cancel() requests
/// stop so that their pending I/O fails with CancelledError.
///
/// The group must be joined before it is destroyed. Destroying it with tasks still running from
/// outside the loop cancels them and drives the loop until they finish; from inside the loop it
/// is a fatal error (their frames would die with I/O in flight).
class TaskGroup {
 public:
  /// A group whose tasks run on `loop`.
  explicit TaskGroup(Loop& loop) noexcept : loop_(loop) {}
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Starts `task` on a coming loop turn. `local` becomes its TaskContext::local.
  ///
  /// Beware `group.spawn([captures]() -> Task<void> {...}())`: the task's frame keeps only a
  /// pointer to the lambda object, a temporary that dies at the end of the statement, before
  /// the task runs; its captures are then read from freed memory. Pass a capture-less lambda
  /// its state as arguments, or use the free spawn(group, callable, args...), which keeps the
  /// lambda alive for the task.
  void spawn(Task<void> task, void* local = nullptr);
  /// Completes when every spawned task has finished; rethrows the first exception among them
  /// (other than CancelledError after cancel()).
  Task<void> join();
  /// Requests stop for every task of the group (loop thread only).
  void cancel() noexcept { stop_.request_stop(); }
  /// Number of tasks still running.
  std::size_t size() const noexcept { return live_; }
  /// The token handed to spawned tasks.
  std::stop_token stop_token() const noexcept { return stop_.get_token(); }

 private:
  static void finished(void* owner, detail::Root::promise_type& root) noexcept;

  Loop& loop_;
  std::stop_source stop_;
  std::size_t live_ = 0;
  bool idle_ = true;  // live_ == 0, as a flag Loop::run_until can watch
  std::exception_ptr first_error_;
  std::coroutine_handle<> joiner_;
};

namespace detail {

// The child of spawn(group, callable, args...): the callable and the arguments are parameters
// of this coroutine, so they live in its frame until the task they start has finished.
template <class F, class... Args>
Task<void> run_keeping(F callable, Args... args) {
  co_await std::invoke(callable, std::move(args)...);
}

}  // namespace detail

/// Starts `callable(args...)` on `group` (TaskGroup::spawn), keeping a copy (or the moved
/// original) of the callable and of each argument alive in the child's frame until the child
/// ends: a lambda's captures stay valid for the whole task, however short-lived the lambda
/// passed was. `callable` returns Task<void>; arguments are passed to it as rvalues (a
/// parameter taken by const& refers to the child's copy).
template <class F, class... Args>
requires std::same_as < std::invoke_result_t < std::decay_t<F>
&, std::decay_t<Args>&&... >,
    Task < void >> void spawn(TaskGroup& group, F&& callable, Args&&... args) {
  group.spawn(detail::run_keeping<std::decay_t<F>, std::decay_t<Args>...>(
      std::forward<F>(callable), std::forward<Args>(args)...));
}

}  // namespace tern::ring
