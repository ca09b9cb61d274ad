#include "tern/ring/signal.hpp"

#include <chrono>
#include <optional>

#include "tern/ring/error.hpp"
#include "tern/ring/timer.hpp"

namespace tern::ring {

namespace {

// The kernel's timeout takes any time point, but "never" is clearer as a far one.
constexpr auto kFarAway = std::chrono::hours(24 * 365);

Task<void> sleep(Loop& loop, Deadline until) {
  co_await sleep_until(loop, until);
}

}  // namespace

Task<bool> Signal::wait(Deadline deadline) {
  if (notified_) co_return true;
  TaskContext& caller = co_await this_task::context();
  if (deadline == kNoDeadline) deadline = std::chrono::steady_clock::now() + kFarAway;
  // The sleep runs with our own stop token: notify() stops it, and so does the caller's stop
  // request (forwarded by the callback).
  TaskContext own{.stop = wake_.get_token(), .local = caller.local};
  std::optional<std::stop_callback<std::function<void()>>> forward;
  if (caller.stop.stop_possible()) {
    forward.emplace(caller.stop, [this] { wake_.request_stop(); });
  }
  bool slept_out = false;
  try {
    co_await with_context(own, sleep(loop_, deadline));
    slept_out = true;
  } catch (const CancelledError&) {
  }
  forward.reset();
  if (notified_) co_return true;
  if (slept_out) co_return false;
  throw CancelledError("wait");
}

void Signal::notify() noexcept {
  notified_ = true;
  wake_.request_stop();
}

}  // namespace tern::ring
