// The listening connection's task: wait for a notification, deliver it, send the LISTENs and
// UNLISTENs queued meanwhile (the wait is cancelled for them: a cancelled receive consumes no
// bytes, so the connection stays usable), and reopen the connection when it is lost.
#include "listener.hpp"

#include <absl/strings/str_cat.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "tern/protocol/exceptions.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/log.hpp"

namespace tern {

ring::Task<Notification> BackendConnection::next_notification(ring::Deadline /*deadline*/) {
  detail::refuse_listen(dialect());
  co_return Notification{};
}

namespace detail {

void refuse_listen(Dialect dialect) {
  throw NotSupportedError(absl::StrCat(
      "LISTEN/NOTIFY is PostgreSQL's: ", dialect == Dialect::kSqlite ? "SQLite" : "MySQL/MariaDB",
      " has no notifications"));
}

namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kFirstPause = 100ms;  // before the first reconnect
constexpr std::chrono::milliseconds kLongestPause = 5s;   // doubling up to this
constexpr std::chrono::seconds kCommandTimeout{30};       // one LISTEN / UNLISTEN

// PostgreSQL's quote_ident: the channel is taken as written (case kept), as pg_notify() names it.
std::string quoted(std::string_view channel) {
  std::string out = "\"";
  for (char c : channel) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace

Listener::Listener(ring::Loop& loop, ConnectionFactory connect)
    : loop_(loop), connect_(std::move(connect)), task_(loop) {}

Listener::~Listener() {
  closing_ = true;
  interrupt();
}

ring::Task<void> Listener::listen(std::string channel,
                                  std::function<void(const Notification&)> handler,
                                  std::function<void()> on_reconnect) {
  if (closing_) throw InterfaceError("the database's listener is closed");
  const std::uint64_t id = next_id_++;
  std::vector<Subscriber>& subscribers = channels_[channel];
  const bool first = subscribers.empty();
  subscribers.push_back({id, std::move(handler), std::move(on_reconnect)});
  if (!started_) {
    started_ = true;
    task_.spawn(run());
  }
  if (!first) co_return;  // already LISTENed
  try {
    co_await command("LISTEN " + quoted(channel));
  } catch (...) {
    if (auto it = channels_.find(channel); it != channels_.end()) {
      std::erase_if(it->second, [id](const Subscriber& s) { return s.id == id; });
      if (it->second.empty()) channels_.erase(it);
    }
    throw;
  }
}

ring::Task<void> Listener::unlisten(std::string channel) {
  if (channels_.erase(channel) == 0 || conn_ == nullptr) co_return;
  co_await command("UNLISTEN " + quoted(channel));
}

ring::Task<void> Listener::close() {
  closing_ = true;
  interrupt();
  co_await task_.join();
  fail_commands(std::make_exception_ptr(InterfaceError("the database's listener was closed")));
}

ring::Task<void> Listener::command(std::string sql) {
  auto c = std::make_shared<Command>(loop_, std::move(sql));
  commands_.push_back(c);
  interrupt();
  try {
    co_await c->done.wait(ring::kNoDeadline);
  } catch (...) {  // the caller was cancelled: the command is not sent if it still waits
    std::erase(commands_, c);
    throw;
  }
  if (c->error) std::rethrow_exception(c->error);
}

void Listener::interrupt() noexcept {
  if (waiting_ != nullptr) waiting_->request_stop();
  if (pause_) pause_->notify();
}

void Listener::fail_commands(const std::exception_ptr& error) noexcept {
  while (!commands_.empty()) {
    commands_.front()->error = error;
    commands_.front()->done.notify();
    commands_.pop_front();
  }
}

ring::Task<void> Listener::open(bool after_loss) {
  conn_ = co_await connect_(loop_);
  if (!channels_.empty()) {
    std::string listen_all;
    for (const auto& [channel, subscribers] : channels_) {
      absl::StrAppend(&listen_all, "LISTEN ", quoted(channel), ";");
    }
    co_await conn_->run(listen_all, ring::deadline_after(kCommandTimeout));
  }
  if (!after_loss) co_return;
  if (log_enabled(LogLevel::warning)) {
    log(LogLevel::warning, "listen",
        absl::StrCat("the listening connection is open again; LISTENing to ", channels_.size(),
                     " channel(s) again: notifications sent meanwhile were lost"));
  }
  // Copied: a subscriber may change the channels from its callback.
  std::vector<std::function<void()>> told;
  for (const auto& [channel, subscribers] : channels_) {
    for (const Subscriber& s : subscribers) {
      if (s.on_reconnect) told.push_back(s.on_reconnect);
    }
  }
  for (const auto& tell : told) {
    try {
      tell();
    } catch (...) {  // a callback must not stop the listener
    }
  }
}

ring::Task<void> Listener::send_commands() {
  while (!commands_.empty()) {
    const std::shared_ptr<Command> c = commands_.front();
    commands_.pop_front();
    try {
      co_await conn_->run(c->sql, ring::deadline_after(kCommandTimeout));
    } catch (...) {
      c->error = std::current_exception();
    }
    c->done.notify();
    if (!conn_->is_usable()) co_return;  // lost: run() reopens it (and LISTENs again)
  }
}

void Listener::deliver(const Notification& n) {
  const auto it = channels_.find(n.channel);
  if (it == channels_.end()) return;  // UNLISTENed meanwhile
  // Copied: a handler may add or remove subscribers.
  const std::vector<Subscriber> subscribers = it->second;
  for (const Subscriber& s : subscribers) {
    try {
      s.handler(n);
    } catch (...) {  // a handler must not stop the others, nor the listener
    }
  }
}

ring::Task<void> Listener::run() {
  std::chrono::milliseconds pause = kFirstPause;
  bool lost = false;
  while (!closing_) {
    std::exception_ptr failed;
    try {
      if (conn_ == nullptr || !conn_->is_usable()) {
        co_await open(lost);
        lost = false;
        pause = kFirstPause;
      }
      co_await send_commands();
      if (!conn_->is_usable()) throw ConnectionLost("the listening connection was lost");
      if (!commands_.empty() || closing_) continue;
      std::stop_source stop;
      ring::TaskContext ctx{.stop = stop.get_token(), .local = nullptr};
      waiting_ = &stop;
      std::optional<Notification> n;
      try {
        n = co_await ring::with_context(ctx, conn_->next_notification(ring::kNoDeadline));
      } catch (const ring::CancelledError&) {  // interrupted: commands, or closing
      }
      waiting_ = nullptr;
      if (n) deliver(*n);
      if (conn_->is_usable()) continue;
      throw ConnectionLost("the listening connection was lost");
    } catch (...) {
      waiting_ = nullptr;
      failed = std::current_exception();
    }
    if (closing_) break;
    // Lost, or could not be opened: the commands waiting fail with the reason (their channels
    // are LISTENed again with the others once the connection is back).
    lost = true;
    conn_.reset();
    fail_commands(failed);
    if (log_enabled(LogLevel::warning)) {
      log(LogLevel::warning, "listen",
          absl::StrCat("the listening connection failed (", describe(failed), "); reopening in ",
                       pause.count(), " ms"));
    }
    pause_.emplace(loop_);
    co_await pause_->wait(ring::deadline_after(pause));
    pause_.reset();
    pause = std::min(pause * 2, kLongestPause);
  }
  if (conn_) {
    co_await conn_->close();
    conn_.reset();
  }
}

}  // namespace detail
}  // namespace tern
