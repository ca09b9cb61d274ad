// sync_wait: drive a loop until one task finishes and return its result (how sync mode works).
#pragma once

#include <optional>
#include <stop_token>
#include <type_traits>

#include "tern/ring/loop.hpp"
#include "tern/ring/root.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// Runs `task` on `loop` (the loop must not already be running on this thread) and returns its
/// value or rethrows its exception. Other work on the loop progresses meanwhile. `stop` cancels
/// the task's pending I/O when requested (from the loop thread).
template <class T>
T sync_wait(Loop& loop, Task<T> task, std::stop_token stop = {}) {
  using Stored = std::conditional_t<std::is_void_v<T>, bool, T>;
  std::optional<Stored> value;
  auto body = [](Task<T> t, std::optional<Stored>& out) -> Task<void> {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      out.emplace(true);
    } else {
      out.emplace(co_await std::move(t));
    }
  };
  bool done = false;
  detail::Root root = detail::make_root(body(std::move(task), value));
  struct Guard {
    detail::Root::handle_type h;
    ~Guard() { h.destroy(); }
  } guard{root.handle};
  auto& p = root.handle.promise();
  p.own_context.stop = std::move(stop);
  p.owner = &done;
  p.on_done = [](void* owner, detail::Root::promise_type&) noexcept {
    *static_cast<bool*>(owner) = true;
  };
  loop.schedule(root.handle);
  loop.run_until(done);
  if (p.error) std::rethrow_exception(p.error);
  if constexpr (!std::is_void_v<T>) return std::move(*value);
}

}  // namespace tern::ring
