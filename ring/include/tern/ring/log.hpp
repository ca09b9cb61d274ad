// The library's logger: one process-wide hook with levels, silent until the application
// installs one.
//
// It lives in the lowest layer so that every layer can report what it would otherwise swallow:
// server notices and warnings, reconnects, a fallback to another I/O backend, a replica skipped,
// a connection discarded. tern never writes to stderr on its own.
#pragma once

#include <functional>
#include <string_view>

namespace tern {

/// How much a log record matters; records below the installed minimum are not formatted.
enum class LogLevel { debug, info, warning, error };

/// The level's lower-case name ("debug", "info", "warning", "error").
std::string_view to_string(LogLevel level) noexcept;

/// Receives one record: its level, the component that wrote it ("ring", "pg", "mysql", "pool",
/// ...) and the message. Called on the thread that logs (any loop thread): it must be
/// thread-safe if loops run on several threads, and must not throw.
using LogHook =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

/// Installs `hook` for records at `min_level` and above (an empty hook: silent, the default).
/// Safe from any thread at any time; a record being written meanwhile goes to the old hook or
/// the new one.
void set_logger(LogHook hook, LogLevel min_level = LogLevel::info);

/// True when a record at `level` would reach a hook: check before building an expensive message.
bool log_enabled(LogLevel level) noexcept;

/// Writes a record to the installed hook, if any and if `level` passes its minimum.
void log(LogLevel level, std::string_view component, std::string_view message) noexcept;

}  // namespace tern
