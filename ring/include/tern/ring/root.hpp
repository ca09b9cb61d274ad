// The coroutine at the bottom of a task tree (started by sync_wait or TaskGroup::spawn).
// Internal to the ring; its frame owns the tree's TaskContext and reports completion to an owner.
#pragma once

#include <coroutine>
#include <exception>

#include "tern/ring/task.hpp"

namespace tern::ring::detail {

/// A detached coroutine awaiting one Task<void>; it stores the task's exception and calls
/// `on_done(owner)` when finished, then stays suspended until its owner destroys it.
class Root {
 public:
  struct promise_type : PromiseBase {
    TaskContext own_context;
    std::exception_ptr error;
    void (*on_done)(void* owner, promise_type& self) noexcept = nullptr;
    void* owner = nullptr;

    promise_type() noexcept { context = &own_context; }
    Root get_return_object() noexcept {
      return Root{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    struct Done {
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        h.promise().on_done(h.promise().owner, h.promise());
      }
      void await_resume() const noexcept {}
    };
    Done final_suspend() const noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  using handle_type = std::coroutine_handle<promise_type>;

  handle_type handle;
};

/// Wraps `task` in a Root (the Task's frame is owned by the root's frame).
inline Root make_root(Task<void> task) {
  co_await std::move(task);
}

}  // namespace tern::ring::detail
