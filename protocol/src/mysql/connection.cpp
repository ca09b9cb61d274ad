// MySQL connection life cycle and I/O: a receive buffer framed into payloads in place (views
// valid until the next read), sequence-id checks, a send buffer flushed in one write, and the
// interruption of a command (deadline or stop request): KILL QUERY from a side connection,
// then the rest of the response is read within cancel_timeout so the connection stays usable.
#include "tern/protocol/mysql/connection.hpp"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "command_io.hpp"
#include "prepared.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/commands.hpp"
#include "tern/protocol/mysql/server_error.hpp"
#include "tern/ring/error.hpp"

namespace tern::mysql {

Connection::Connection(ring::Loop& loop, ConnectOptions options)
    : loop_(&loop),
      options_(std::move(options)),
      reassembler_(options_.max_payload_size),
      statements_(std::make_unique<StatementList>()) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

std::optional<Payload> Connection::next_buffered_slow() {
  std::size_t consumed = 0;
  std::optional<Payload> p;
  try {
    p = reassembler_.next(in_.unread(), consumed);
    in_.consume(consumed);
    if (p && p->first_seq != seq_) {
      throw protocol::ProtocolError(
          protocol::ProtocolErrc::kUnexpectedMessage,
          absl::StrCat("packet sequence id ", p->first_seq, " where ", seq_, " was due"));
    }
  } catch (...) {
    broken_ = true;
    throw;
  }
  if (p) seq_ = p->next_seq();
  return p;
}

std::size_t Connection::fill_size() {
  try {
    return reassembler_.frame_size(in_.unread());
  } catch (...) {
    broken_ = true;
    throw;
  }
}

protocol::ReceiveBuffer::FillAwaiter Connection::fill(ring::Deadline deadline) {
  return in_.fill(transport_, fill_size(), deadline, &broken_);
}

ring::Task<void> Connection::fill_task(ring::Deadline deadline) {
  co_await fill(deadline);
}

Connection::CommandFill Connection::fill_for_command() {
  if (interruption_ == Interruption::kNone && caught_ == Interruption::kNone) {
    return CommandFill(
        std::in_place, [this] { return fill(deadline_); }, &caught_);
  }
  return CommandFill(fill_interrupted());
}

bool Connection::can_exchange_for_command() const noexcept {
  return transport_.can_exchange() && !out_.empty() && interruption_ == Interruption::kNone &&
         caught_ == Interruption::kNone;
}

Connection::CommandExchange Connection::exchange_for_command() {
  if (!is_usable()) throw ConnectionLost("the connection is closed or broken");
  return CommandExchange(*this);
}

ring::Task<void> Connection::fill_interrupted() {
  if (interruption_ == Interruption::kNone) {
    // The last fill ran past the deadline or was stopped (nothing was read): kill the query;
    // the caller's next fill drains the rest of the response.
    interruption_ = std::exchange(caught_, Interruption::kNone);
    drain_deadline_ = ring::deadline_after(options_.cancel_timeout);
    ring::TaskContext cleanup;
    try {
      co_await ring::with_context(cleanup, cancel());
    } catch (...) {
      // The query may still end by itself within the drain budget; but an unconfirmed KILL
      // QUERY may still run later and kill whatever this connection runs then: the connection
      // is not kept (end_command).
      kill_unconfirmed_ = true;
    }
    co_return;
  }
  try {
    // Draining after an interruption: the caller's stop request must not stop it.
    ring::TaskContext cleanup;
    co_await ring::with_context(cleanup, fill_task(drain_deadline_));
    co_return;
  } catch (const ring::TimeoutError&) {
  } catch (const ring::CancelledError&) {
  }
  // The killed query's response did not come in time: the stream is lost.
  broken_ = true;
  if (interruption_ == Interruption::kTimeout) {
    throw QueryTimeout("the query ran past its deadline; the connection was discarded");
  }
  throw ring::CancelledError("query (the connection was discarded)");
}

ring::Task<Bytes> Connection::read_payload() {
  for (;;) {
    if (std::optional<Payload> p = next_buffered()) co_return p->bytes;
    co_await fill_for_command();
  }
}

protocol::SendAwaiter Connection::flush(ring::Deadline deadline) {
  if (!out_.empty() && !is_usable()) throw ConnectionLost("the connection is closed or broken");
  // A send cut short leaves an unknown prefix on the wire: the stream is out of sync (the
  // awaiter sets broken_ on any failure).
  return protocol::SendAwaiter(transport_, out_, deadline, &broken_, &out_);
}

void Connection::begin_command(const QueryOptions& options) noexcept {
  deadline_ = options.deadline;
  interruption_ = Interruption::kNone;
  caught_ = Interruption::kNone;
  kill_unconfirmed_ = false;
  in_command_ = true;
}

void Connection::abandon_command() noexcept {
  // Server errors end their command first; anything else left the response half read.
  if (in_command_) broken_ = true;
  in_command_ = false;
  interruption_ = Interruption::kNone;
  caught_ = Interruption::kNone;
}

void Connection::end_command() {
  in_command_ = false;
  const Interruption i = std::exchange(interruption_, Interruption::kNone);
  if (std::exchange(kill_unconfirmed_, false)) broken_ = true;
  if (i == Interruption::kTimeout) {
    throw QueryTimeout("the query ran past its deadline and was killed (KILL QUERY)");
  }
  if (i == Interruption::kCancelled) throw ring::CancelledError("query (killed: KILL QUERY)");
}

void Connection::fail_with(ServerErrorInfo info) {
  // An interruption explains the error (1317 "Query execution was interrupted").
  end_command();
  if (classify_error(info) == ErrorClass::kConnectionLost) broken_ = true;
  throw_mysql_error(std::move(info));
}

ring::Task<void> Connection::close() {
  out_.clear();
  write_com_quit(out_);
  co_await protocol::close_connection(transport_, out_, broken_);
}

ring::Task<void> Connection::cancel() {
  ConnectOptions side = options_;
  side.connect_timeout = options_.cancel_timeout;
  side.statement_cache_size = 0;
  side.multi_statements = false;
  Connection killer = co_await Connection::connect(*loop_, std::move(side));
  const std::string kill = absl::StrCat("KILL QUERY ", connection_id_);
  co_await killer.query(kill, {.deadline = ring::deadline_after(options_.cancel_timeout)});
  co_await killer.close();
}

}  // namespace tern::mysql
