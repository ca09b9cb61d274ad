// TaskGroup: detached ("spawned") tasks with an owner that joins or cancels them.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <stop_token>

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

}  // namespace tern::ring
