// Waiting in a test for something another task or the server brings about, without a fixed
// sleep: poll, give up after a bound (the test then fails instead of hanging).
#pragma once

#include <chrono>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/timer.hpp"

namespace tern::testing {

/// Polls `ready()` (a coroutine returning bool) every 5 ms until it holds (true) or about
/// 10 s passed (false).
template <class Ready>
ring::Task<bool> eventually(ring::Loop& loop, Ready ready) {
  for (int polls = 0; polls < 2000; ++polls) {
    if (co_await ready()) co_return true;
    co_await ring::sleep_for(loop, std::chrono::milliseconds(5));
  }
  co_return false;
}

}  // namespace tern::testing
