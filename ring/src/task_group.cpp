#include "tern/ring/task_group.hpp"

#include <cstdio>
#include <exception>

#include "tern/ring/error.hpp"

namespace tern::ring {

TaskGroup::~TaskGroup() {
  if (live_ == 0) return;
  if (!loop_.on_loop_thread()) {
    std::fputs("tern: TaskGroup destroyed off its loop thread with tasks running\n", stderr);
    std::terminate();
  }
  cancel();
  try {
    loop_.run_until(idle_);
  } catch (const std::logic_error&) {
    // Called from inside the loop: the frames cannot be finished here and must not be freed with
    // I/O in flight.
    std::fputs(
        "tern: TaskGroup destroyed inside its loop with tasks running; co_await join() "
        "before destroying it\n",
        stderr);
    std::terminate();
  }
}

void TaskGroup::spawn(Task<void> task, void* local) {
  detail::Root root = detail::make_root(std::move(task));
  auto& p = root.handle.promise();
  p.own_context.stop = stop_.get_token();
  p.own_context.local = local;
  p.owner = this;
  p.on_done = &TaskGroup::finished;
  ++live_;
  idle_ = false;
  loop_.schedule(root.handle);
}

void TaskGroup::finished(void* owner, detail::Root::promise_type& root) noexcept {
  auto* group = static_cast<TaskGroup*>(owner);
  if (root.error && !group->first_error_) {
    bool cancelled_by_group = false;
    if (group->stop_.stop_requested()) {
      try {
        std::rethrow_exception(root.error);
      } catch (const CancelledError&) {
        cancelled_by_group = true;
      } catch (...) {
      }
    }
    if (!cancelled_by_group) group->first_error_ = root.error;
  }
  // The root is suspended at its final point: destroying it here is safe.
  detail::Root::handle_type::from_promise(root).destroy();
  if (--group->live_ == 0) {
    group->idle_ = true;
    if (group->joiner_) group->loop_.schedule(std::exchange(group->joiner_, {}));
  }
}

Task<void> TaskGroup::join() {
  struct WaitIdle {
    TaskGroup& g;
    bool await_ready() const noexcept { return g.live_ == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept { g.joiner_ = h; }
    void await_resume() const noexcept {}
  };
  co_await WaitIdle{*this};
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
}

}  // namespace tern::ring
