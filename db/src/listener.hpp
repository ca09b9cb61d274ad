// Internal: the LISTEN side of one database on one loop (AioDatabase::aio_listen). A connection
// of its own, outside the pool, waits for notifications and hands each to the handlers of its
// channel in the order the server sent them. When the connection is lost it is reopened (with
// a growing pause between attempts) and every channel LISTENed again.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "tern/db/backend.hpp"
#include "tern/db/pool.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/task_group.hpp"

namespace tern::detail {

/// Throws the NotSupportedError of LISTEN/NOTIFY on a database of `dialect` (not PostgreSQL).
[[noreturn]] void refuse_listen(Dialect dialect);

/// One loop's listening connection and its channels' handlers. Loop thread only.
class Listener {
 public:
  /// Handlers run on `loop`; the connection comes from `connect`.
  Listener(ring::Loop& loop, ConnectionFactory connect);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  /// Stops the connection's task (driving the loop if it still runs: call close() first).
  ~Listener();

  /// The loop it runs on.
  ring::Loop& loop() const noexcept { return loop_; }
  /// Adds `handler` (and `on_reconnect`) to `channel`, LISTENing to it first if it is new;
  /// returns once the LISTEN is in effect. Throws the LISTEN's error (the handler is then not
  /// added), or InterfaceError once closed.
  ring::Task<void> listen(std::string channel, std::function<void(const Notification&)> handler,
                          std::function<void()> on_reconnect);
  /// Removes `channel`'s handlers and UNLISTENs it; nothing when not listened to.
  ring::Task<void> unlisten(std::string channel);
  /// Ends the task and closes the connection; pending listen() calls throw InterfaceError.
  ring::Task<void> close();

 private:
  struct Subscriber {
    std::uint64_t id;
    std::function<void(const Notification&)> handler;
    std::function<void()> on_reconnect;
  };
  // A LISTEN or UNLISTEN waiting for the connection's task to send it.
  struct Command {
    Command(ring::Loop& loop, std::string statement) : sql(std::move(statement)), done(loop) {}
    std::string sql;
    ring::Signal done;
    std::exception_ptr error;
  };

  ring::Task<void> run();
  // Opens the connection and LISTENs to every channel; after a loss, tells the subscribers.
  ring::Task<void> open(bool after_loss);
  // Sends the queued commands, each answered through its signal.
  ring::Task<void> send_commands();
  // Queues `sql` for the task and waits for its outcome.
  ring::Task<void> command(std::string sql);
  // Wakes the task from its wait for a notification or its pause before reconnecting.
  void interrupt() noexcept;
  void deliver(const Notification& n);
  void fail_commands(const std::exception_ptr& error) noexcept;

  ring::Loop& loop_;
  ConnectionFactory connect_;
  std::unique_ptr<BackendConnection> conn_;
  std::map<std::string, std::vector<Subscriber>, std::less<>> channels_;
  std::deque<std::shared_ptr<Command>> commands_;
  std::stop_source* waiting_ = nullptr;  // the wait for a notification in progress
  std::optional<ring::Signal> pause_;    // the pause before reconnecting in progress
  std::uint64_t next_id_ = 0;
  bool started_ = false;
  bool closing_ = false;
  ring::TaskGroup task_;
};

}  // namespace tern::detail
