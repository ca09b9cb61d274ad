// The second half of both failover tests (topology_test.cpp on PostgreSQL,
// mysql_topology_test.cpp on MariaDB): promote the new primary while a write is retried, and
// print the time from the old primary's loss to the first write that succeeded.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "tern/protocol/exceptions.hpp"

namespace tern::testing {

/// Runs `promote()` on a thread while `write()` is retried every 10 ms (each failure must be an
/// OperationalError: ConnectionLost, ConnectionFailed...) for at most 60 s after `lost`. Prints
/// the time from `lost` to the first successful write; returns false (with a test failure
/// naming the last error) when none succeeded.
inline bool write_through_failover(const std::function<void()>& write,
                                   const std::function<void()>& promote,
                                   std::chrono::steady_clock::time_point lost,
                                   const std::string& in_flight_error) {
  using Clock = std::chrono::steady_clock;
  std::thread promoter(promote);
  constexpr auto kRetryBudget = std::chrono::seconds(60);
  int attempts = 0;
  bool written = false;
  std::string last_error;
  while (!written && Clock::now() - lost < kRetryBudget) {
    ++attempts;
    try {
      write();
      written = true;
    } catch (const OperationalError& e) {
      last_error = e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const auto written_at = Clock::now();
  promoter.join();
  if (!written) {
    ADD_FAILURE() << "no write within the retry budget; last error: " << last_error;
    return false;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(written_at - lost);
  std::printf(
      "failover: %lld ms from the primary's shutdown to the first successful write "
      "(%d attempts; in flight: %s)\n",
      static_cast<long long>(ms.count()), attempts, in_flight_error.c_str());
  return true;
}

}  // namespace tern::testing
