#include "tern/ring/log.hpp"

#include <atomic>
#include <memory>

namespace tern {
namespace {

struct Installed {
  LogHook hook;
  LogLevel min_level;
};

// The minimum level as an int, or kSilent: the fast check log_enabled() makes without touching
// the hook.
constexpr int kSilent = static_cast<int>(LogLevel::error) + 1;
std::atomic<int> g_min_level{kSilent};
std::atomic<std::shared_ptr<const Installed>> g_installed;

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "unknown";
}

void set_logger(LogHook hook, LogLevel min_level) {
  const bool silent = !hook;
  g_installed.store(
      silent ? nullptr : std::make_shared<const Installed>(Installed{std::move(hook), min_level}));
  g_min_level.store(silent ? kSilent : static_cast<int>(min_level), std::memory_order_release);
}

bool log_enabled(LogLevel level) noexcept {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, std::string_view component, std::string_view message) noexcept {
  if (!log_enabled(level)) return;
  const auto installed = g_installed.load();
  if (!installed || level < installed->min_level) return;
  try {
    installed->hook(level, component, message);
  } catch (...) {
    // A throwing hook must not take a connection or the loop down with it.
  }
}

}  // namespace tern
