// MySQL connection life cycle and I/O: a receive buffer framed into payloads in place (views
// valid until the next read), sequence-id checks, the connection's own sends, and the
// interruption of a command (deadline or stop request): its response given up for the next
// reader, or KILL QUERY from a side connection and the responses in flight read within
// cancel_timeout so the connection stays usable (pipelining.cpp).
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
      pipeline_(std::make_unique<protocol::Pipeline>(loop)),
      statements_(std::make_unique<StatementList>()),
      retired_(std::make_unique<StatementList>()) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

std::optional<Payload> Connection::next_buffered_slow() {
  std::size_t consumed = 0;
  std::optional<Payload> p;
  try {
    p = reassembler_.next(in_.unread(), consumed);
    in_.consume(consumed);
    // Under compression the server re-bases its packets' ids on the compressed ids whenever
    // it flushes (between the result sets of a multi-result response, say), so they are not
    // checked there, as MariaDB's own client does not: the compressed layer checks its ids.
    if (p && p->first_seq != seq_ && !is_compressed()) {
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

Connection::CommandFill Connection::fill_for_command(const Skip& at) {
  if (caught_ == Interruption::kNone) {
    return CommandFill(
        std::in_place, [this] { return fill(deadline_); }, &caught_);
  }
  return CommandFill(fill_interrupted(at));
}

ring::Task<void> Connection::send_alone() {
  // Sent from wire_, so that other calls can go on writing requests into out_ meanwhile; they
  // go out once this send is done. A send cut short leaves an unknown prefix on the wire: the
  // stream is out of sync (the awaiter sets broken_ on any failure).
  pipeline_->begin_own_send();
  wire_.swap(out_);
  struct OwnSendEnd {
    Connection& c;
    ~OwnSendEnd() { c.pipeline_->end_own_send(c.transport_, c.out_, c.broken_); }
  } end{*this};
  co_await protocol::SendAwaiter(transport_, wire_, deadline_, &broken_, &wire_);
}

ring::Task<Bytes> Connection::read_payload(Skip at) {
  for (;;) {
    if (std::optional<Payload> p = next_buffered()) co_return p->bytes;
    co_await fill_for_command(at);
  }
}

protocol::SendAwaiter Connection::flush(ring::Deadline deadline) {
  if (!out_.empty() && !is_usable()) throw ConnectionLost("the connection is closed or broken");
  // A send cut short leaves an unknown prefix on the wire: the stream is out of sync (the
  // awaiter sets broken_ on any failure).
  return protocol::SendAwaiter(transport_, out_, deadline, &broken_, &out_);
}

void Connection::fail_with(ServerErrorInfo info) {
  end_command();  // the ERR ends the response
  if (classify_error(info) == ErrorClass::kConnectionLost) broken_ = true;
  throw_mysql_error(std::move(info));
}

ring::Task<void> Connection::close() {
  if (pipeline_) co_await pipeline_->stop();
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
