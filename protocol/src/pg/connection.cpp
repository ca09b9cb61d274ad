// Connection life cycle and the I/O primitives every operation uses: a receive buffer that
// frames backend messages in place (messages are views into it until the next read), a send
// buffer flushed in one write, and the asynchronous messages that can arrive at any time.
#include "tern/protocol/pg/connection.hpp"

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "statement.hpp"
#include "sync_groups.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/frontend.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/log.hpp"

namespace tern::pg {

namespace {

/// The offset east of UTC, in seconds, of a POSIX zone without DST rules such as "<+05>-05" or
/// "<-03:30>+03:30" (POSIX offsets count west), or nullopt.
std::optional<int> posix_fixed_offset(std::string_view tz) {
  if (tz.starts_with('<')) {
    const std::size_t close = tz.find('>');
    if (close == std::string_view::npos) return std::nullopt;
    tz.remove_prefix(close + 1);
  } else {
    while (!tz.empty() && ((tz[0] >= 'A' && tz[0] <= 'Z') || (tz[0] >= 'a' && tz[0] <= 'z')))
      tz.remove_prefix(1);
  }
  int sign = -1;
  if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) {
    sign = tz[0] == '-' ? 1 : -1;
    tz.remove_prefix(1);
  }
  int seconds = 0;
  for (int unit = 3600; unit >= 1; unit /= 60) {
    int v = 0;
    std::size_t n = 0;
    for (; n < tz.size() && n < 2 && tz[n] >= '0' && tz[n] <= '9'; ++n)
      v = v * 10 + (tz[n] - '0');
    if (n == 0) return std::nullopt;
    seconds += v * unit;
    tz.remove_prefix(n);
    if (tz.empty()) return sign * seconds;
    if (tz[0] != ':' || unit == 1) return std::nullopt;
    tz.remove_prefix(1);
  }
  return std::nullopt;
}

/// True for a name that can only mean a file under the zoneinfo directory ("Europe/Paris",
/// "Etc/GMT+5"): the server's report is not trusted with a path ("/dev/stdin", "../x" or
/// absl's "file:" prefix would be opened as given).
bool is_zone_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Connection::Connection(ring::Loop& loop, ConnectOptions options)
    : loop_(&loop),
      options_(std::move(options)),
      groups_(std::make_unique<detail::SyncGroups>(loop)),
      pipeline_(std::make_unique<protocol::Pipeline>(loop, groups_.get())),
      text_settings_(std::make_shared<const TextSettings>()),
      statements_(std::make_unique<StatementList>()),
      retired_(std::make_unique<StatementList>()) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

std::string_view Connection::parameter(std::string_view name) const {
  const auto it = parameters_.find(std::string(name));
  return it == parameters_.end() ? std::string_view() : std::string_view(it->second);
}

// The settings to_text renders by follow the server's reports. TimeZone names a zoneinfo file,
// read here (the connection is the layer that does I/O; to_text only uses the loaded zone).
// A zone absl cannot load ("<+05>-05", which SET TIME ZONE 5 reports, or a missing file) falls
// back to its fixed POSIX offset, else to UTC; a value that is not a zone name is never opened.
void Connection::apply_text_setting(std::string_view name, std::string_view value) {
  if (name != "DateStyle" && name != "IntervalStyle" && name != "TimeZone") return;
  // Results keep the settings their rows came under: a change makes a new copy.
  auto settings = std::make_shared<TextSettings>(*text_settings_);
  if (name == "DateStyle") {
    settings->set_date_style(value);
  } else if (name == "IntervalStyle") {
    settings->set_interval_style(value);
  } else {
    absl::TimeZone zone;
    settings->zone_abbreviation.clear();
    if (is_zone_name(value) && absl::LoadTimeZone(std::string(value), &zone)) {
      settings->time_zone = zone;
    } else {
      settings->time_zone = absl::FixedTimeZone(posix_fixed_offset(value).value_or(0));
      if (value.starts_with('<') && value.find('>') != std::string_view::npos) {
        settings->zone_abbreviation = value.substr(1, value.find('>') - 1);
      }
    }
  }
  text_settings_ = std::move(settings);
}

void Connection::break_connection(const std::string& why) {
  broken_ = true;
  throw ConnectionLost(why);
}

std::optional<backend::Message> Connection::next_buffered() {
  std::size_t consumed = 0;
  std::optional<backend::Message> m;
  try {
    m = backend::frame(in_.unread(), consumed, options_.max_message_size);
  } catch (...) {
    broken_ = true;
    throw;
  }
  in_.consume(consumed);
  return m;
}

std::size_t Connection::frame_size() {
  try {
    return backend::frame_size(in_.unread(), options_.max_message_size);
  } catch (...) {
    broken_ = true;
    throw;
  }
}

protocol::ReceiveBuffer::FillAwaiter Connection::fill(ring::Deadline deadline) {
  return in_.fill(transport_, frame_size(), deadline, &broken_);
}

std::optional<backend::Message> Connection::next_message() {
  while (std::optional<backend::Message> m = next_buffered()) {
    // The three asynchronous types, tested here: handle_async() is out of line, and nearly
    // every message is a reply.
    if (m->type != backend::kNotificationResponse && m->type != backend::kNoticeResponse &&
        m->type != backend::kParameterStatus) {
      return m;
    }
    try {
      handle_async(*m);
    } catch (...) {
      broken_ = true;
      throw;
    }
  }
  return std::nullopt;
}

ring::Task<backend::Message> Connection::read_message(ring::Deadline deadline) {
  for (;;) {
    if (std::optional<backend::Message> m = next_message()) co_return *m;
    co_await fill(deadline);
  }
}

protocol::SendAwaiter Connection::flush(ring::Deadline deadline) {
  if (!out_.empty() && !is_usable()) throw ConnectionLost("the connection is closed or broken");
  // Sent from wire_, so that other calls can go on writing requests into out_ meanwhile. A
  // send cut short leaves an unknown prefix on the wire: the stream is out of sync (the
  // awaiter sets broken_ on any failure).
  wire_.swap(out_);
  return protocol::SendAwaiter(transport_, wire_, deadline, &broken_, &wire_);
}

ring::Task<void> Connection::flush_task(ring::Deadline deadline) {
  co_await flush(deadline);
}

protocol::ReceiveBuffer::ExchangeAwaiter Connection::flush_and_fill(ring::Deadline deadline) {
  if (!out_.empty() && !is_usable()) throw ConnectionLost("the connection is closed or broken");
  wire_.swap(out_);
  return in_.exchange(transport_, wire_, frame_size(), deadline, &broken_);
}

bool Connection::handle_async(const backend::Message& m) {
  switch (m.type) {
    case backend::kNotificationResponse: {
      const backend::Notification n = backend::parse_notification(m.body);
      notifications_.push_back({n.pid, std::string(n.channel), std::string(n.payload)});
      return true;
    }
    case backend::kNoticeResponse:
      on_notice(backend::parse_error_fields(m.body));
      return true;
    case backend::kParameterStatus: {
      const backend::ParameterStatus p = backend::parse_parameter_status(m.body);
      parameters_[std::string(p.name)] = std::string(p.value);
      apply_text_setting(p.name, p.value);
      return true;
    }
    default:
      return false;
  }
}

void Connection::on_ready(const backend::Message& m) {
  status_ = backend::parse_ready_for_query(m.body);
  awaiting_ready_ = false;
  pending_notices_.clear();  // a failed statement's: no result of theirs follows
}

void Connection::on_notice(ServerErrorInfo notice) {
  const std::string_view severity = notice.severity;
  const LogLevel level = severity == "WARNING"           ? LogLevel::warning
                         : severity.starts_with("DEBUG") ? LogLevel::debug
                                                         : LogLevel::info;
  if (log_enabled(level)) {
    std::string line = absl::StrCat(notice.severity, ":  ", notice.message);
    if (!notice.detail.empty()) absl::StrAppend(&line, "\nDETAIL:  ", notice.detail);
    if (!notice.hint.empty()) absl::StrAppend(&line, "\nHINT:  ", notice.hint);
    log(level, "pg", line);
  }
  if (pending_notices_.size() < kMaxPendingNotices) pending_notices_.push_back(std::move(notice));
}

std::exception_ptr Connection::error_response(const backend::Message& m) {
  ServerErrorInfo info = backend::parse_error_fields(m.body);
  // FATAL and PANIC end the session: the server closes the socket after sending them.
  if (info.severity == "FATAL" || info.severity == "PANIC") {
    broken_ = true;
    throw ConnectionLost(std::move(info));
  }
  try {
    throw_server_error(std::move(info));
  } catch (...) {
    return std::current_exception();
  }
}

ring::Task<void> Connection::close() {
  if (pipeline_) co_await pipeline_->stop();
  if (groups_) groups_->lose_all();
  out_.clear();
  frontend::terminate(out_);
  co_await protocol::close_connection(transport_, out_, broken_);
}

ring::Task<Notification> Connection::wait_for_notification(ring::Deadline deadline) {
  check_alone();
  for (;;) {
    if (!notifications_.empty()) {
      Notification n = std::move(notifications_.front());
      notifications_.pop_front();
      co_return n;
    }
    if (std::optional<backend::Message> m = next_buffered()) {
      bool handled = false;
      try {
        handled = handle_async(*m);
      } catch (...) {  // a malformed message: the stream cannot be trusted any more
        broken_ = true;
        throw;
      }
      if (!handled) {
        broken_ = true;
        backend::throw_unexpected(m->type, "an idle wait for notifications");
      }
      continue;
    }
    co_await fill(deadline);
  }
}

}  // namespace tern::pg
