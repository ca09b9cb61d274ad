// Implicit pipelining on a MySQL connection: several tasks' commands in flight at once, each
// caller reading its own response when its turn comes (protocol::Pipeline keeps the order), and
// what happens to a response its caller gave up (a deadline, a stop request): the next reader
// reads the rest and drops it, following the response's structure — a MySQL response has no
// end marker of its own, as PostgreSQL's ReadyForQuery is — from where its caller left it
// (front_, seq_ and the reassembler); or, when nobody else waits, the query is killed and every
// response in flight read.
#include <algorithm>
#include <chrono>
#include <coroutine>
#include <string>
#include <utility>

#include "command_io.hpp"
#include "prepared.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/commands.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/mysql/server_error.hpp"
#include "tern/protocol/mysql/statement.hpp"
#include "tern/ring/error.hpp"

namespace tern::mysql {

void Connection::throw_not_ready() const {
  if (!is_usable()) throw ConnectionLost("the connection is closed or broken");
  throw InterfaceError("a row stream is open on this connection: read it to the end or close it");
}

void Connection::check_alone() const {
  if (in_flight() > 0 || prepare_waiters_ > 0) {
    throw InterfaceError(
        "commands of other tasks are in flight on this connection; row streams and reset() "
        "need it to themselves");
  }
}

void Connection::enqueue_lone() {
  lone_ = false;
  ticket_ = pipeline_->join();
  pipeline_->try_read(ticket_);  // the queue was empty, nobody was reading: true
}

ring::Task<void> Connection::send_request(Ticket& t, bool& reading, Skip::Phase start,
                                          std::uint8_t seq, const QueryOptions& options) {
  if (begin_alone(options, seq)) {
    reading = true;
    if (can_exchange_for_command()) {
      co_await exchange_for_command();
    } else {
      co_await send_alone();
    }
    co_return;
  }
  t = join();
  reading = try_read(t, options);
  co_await wait_for_reply(t, reading, start, seq, options);
}

void Connection::queue_request(Ticket t, Skip::Phase start, std::uint8_t seq) {
  protocol::Pipeline& pipeline = *pipeline_;
  // How the response starts, for whoever reads it should this call give it up.
  if (pipeline.size() > pending_.size()) [[unlikely]] {
    std::vector<Pending> bigger(std::max<std::size_t>(8, pending_.size() * 2));
    while (bigger.size() < pipeline.size())
      bigger.resize(bigger.size() * 2);
    if (!pending_.empty()) {
      for (Ticket x = front_ticket_; x < t; ++x)
        bigger[x & (bigger.size() - 1)] = pending(x);
    }
    pending_ = std::move(bigger);
  }
  pending(t) = Pending{.start = start, .seq = seq};
  // Goes out at the end of this loop turn with the other requests written meanwhile (or once
  // the lone call's own send is done).
  if (!own_send_) pipeline.send_soon(transport_, out_, broken_);
}

void Connection::give_up_waiting(Ticket t) {
  pipeline_->abandon(t);
  throw QueryTimeout(
      "the query ran past its deadline behind other queries pipelined on its connection; it "
      "was not killed (that could hit theirs): its response is dropped when it comes");
}

void Connection::throw_lost_in_flight() const {
  throw ConnectionLost("the connection was lost with this command in flight");
}

ring::Task<void> Connection::wait_for_reply(Ticket t, bool& reading, Skip::Phase start,
                                            std::uint8_t seq, const QueryOptions& options) {
  protocol::Pipeline& pipeline = *pipeline_;
  queue_request(t, start, seq);
  if (!reading) {
    if (options.deadline == ring::kNoDeadline) {
      co_await pipeline.turn(t);
    } else if (!co_await pipeline.wait_turn(t, options.deadline)) {
      give_up_waiting(t);
    }
    reading = true;
    start_reading(t, options.deadline);
  }
  if (!is_usable()) throw_lost_in_flight();
  // Responses before this one whose callers gave them up.
  while (pipeline.front_abandoned())
    co_await drop_front(false, ring::kNoDeadline);
  seq_ = seq;
}

void Connection::settle(Ticket t, bool reading) noexcept {
  protocol::Pipeline& pipeline = *pipeline_;
  if (!reading) {
    if (t != kNoTicket) pipeline.abandon(t);  // whoever reads it next drops the response
    return;
  }
  if (lone_) {  // alone and never queued: nobody else is in flight
    lone_ = false;
    if (read_state_ == ReadState::kReading) broken_ = true;
    return;
  }
  switch (read_state_) {
    case ReadState::kDone:  // a server error: the response was read whole
      pop_front();
      break;
    case ReadState::kGaveUp:  // fill_interrupted() left the queue as it should be
      break;
    case ReadState::kReading:
      // Anything else (a lost connection, a protocol violation, a failing send) left the stream
      // out of sync: every call in flight fails, each waking in turn to find it broken.
      broken_ = true;
      pipeline.abandon(ticket_);
      break;
  }
  pipeline.release_read();
}

ring::Task<void> Connection::drop_front(bool draining, ring::Deadline drain_by) {
  if (!front_) {  // not started: its caller gave it up while waiting
    const Pending p = pending(front_ticket_);
    front_ = Skip{.phase = p.start};
    seq_ = p.seq;
  }
  Skip& at = *front_;
  while (at.phase != Skip::kDone) {
    if (std::optional<Payload> p = next_buffered()) {
      skip(at, p->bytes);
    } else if (draining) {
      co_await fill(drain_by);
    } else {
      co_await fill_for_command(at);  // the reader's own deadline and stop request
    }
  }
  front_.reset();
  pop_front();
}

void Connection::skip(Skip& at, Bytes payload) {
  const bool eof = (capabilities_ & cap::kDeprecateEof) == 0;
  const auto ended = [&](std::uint16_t status) {
    status_flags_ = status;
    at = Skip{.phase = (status & status::kMoreResultsExist) != 0 ? Skip::kResponse : Skip::kDone};
  };
  const auto failed = [&] {
    // The statement failed: only a lost session concerns anyone else.
    ServerErrorInfo info = parse_err(payload);
    if (classify_error(info) == ErrorClass::kConnectionLost) {
      broken_ = true;
      throw_mysql_error(std::move(info));
    }
    at = Skip{.phase = Skip::kDone};
  };
  switch (at.phase) {
    case Skip::kOk:
      if (is_err_packet(payload)) {
        failed();
      } else {
        status_flags_ = parse_ok(payload, capabilities_).status_flags;
        at = Skip{.phase = Skip::kDone};
      }
      break;
    case Skip::kPrepare: {
      if (is_err_packet(payload)) {
        failed();
        break;
      }
      const PrepareOk ok = parse_prepare_ok(payload);
      write_com_stmt_close(out_, ok.statement_id);  // nobody will execute it
      if (ok.num_params > 0) {
        at = Skip{
            .phase = Skip::kDefinitions, .eof = eof, .next = ok.num_columns, .defs = ok.num_params};
      } else if (ok.num_columns > 0) {
        at = Skip{.phase = Skip::kDefinitions, .eof = eof, .defs = ok.num_columns};
      } else {
        at = Skip{.phase = Skip::kDone};
      }
      break;
    }
    case Skip::kResponse:
      switch (classify_response(payload, capabilities_)) {
        case ResponseKind::kOk:
          ended(parse_ok(payload, capabilities_).status_flags);
          break;
        case ResponseKind::kErr:
          failed();
          break;
        case ResponseKind::kEof:
          ended(parse_eof(payload, capabilities_).status_flags);
          break;
        case ResponseKind::kLocalInfile:
          // The server now reads file contents, and takes the requests pipelined behind for
          // them.
          broken_ = true;
          throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                              "a LOCAL INFILE request in a response given up by its caller");
        case ResponseKind::kResultSet: {
          const ColumnCount count = parse_column_count(payload, capabilities_);
          if (count.metadata_follows) {
            at = Skip{.phase = Skip::kDefinitions,
                      .eof = eof,
                      .rows = true,
                      .defs = static_cast<std::uint32_t>(count.count)};
          } else {
            at = Skip{.phase = Skip::kRows};
          }
          break;
        }
      }
      break;
    case Skip::kDefinitions:
      if (at.defs > 0) {
        --at.defs;
      } else {
        parse_eof(payload, capabilities_);
        at.eof = false;
      }
      if (at.defs == 0 && !at.eof) {  // the block is over: what follows it
        if (at.next > 0) {
          at = Skip{.phase = Skip::kDefinitions, .eof = eof, .defs = at.next};
        } else {
          at = Skip{.phase = at.rows ? Skip::kRows : Skip::kDone};
        }
      }
      break;
    case Skip::kRows:
      switch (classify_row(payload)) {
        case RowKind::kRow:
          break;
        case RowKind::kEnd:
          ended(end_of_rows_status(payload, capabilities_));
          break;
        case RowKind::kErr:
          failed();
          break;
      }
      break;
    case Skip::kDone:
      break;
  }
}

ring::Task<void> Connection::fill_interrupted(Skip at) {
  const Interruption why = std::exchange(caught_, Interruption::kNone);
  protocol::Pipeline& pipeline = *pipeline_;
  if (lone_) enqueue_lone();
  // Whoever reads next goes on from here (the reassembler and seq_ stay as they are).
  front_ = at;
  read_state_ = ReadState::kGaveUp;
  pipeline.abandon(ticket_);
  if (pipeline.live() > 0) {
    // Others wait for responses behind this one: a KILL QUERY could hit their statements.
    if (why == Interruption::kTimeout) {
      throw QueryTimeout(
          "the query ran past its deadline with other queries pipelined behind it on its "
          "connection; it was not killed (that could hit theirs): its response is dropped when "
          "it comes");
    }
    throw ring::CancelledError("query (given up without a kill: other queries wait behind it)");
  }
  // Nobody waits for any response in flight: kill the query and read every response. The
  // clean-up is not the caller's to stop: a task context of its own.
  ring::TaskContext cleanup;
  const bool kept = co_await ring::with_context(cleanup, kill_and_drain());
  if (why == Interruption::kTimeout) {
    throw QueryTimeout(kept ? "the query ran past its deadline and was killed (KILL QUERY)"
                            : "the query ran past its deadline; the connection was discarded");
  }
  throw ring::CancelledError(kept ? "query (killed: KILL QUERY)"
                                  : "query (the connection was discarded)");
}

ring::Task<bool> Connection::kill_and_drain() {
  protocol::Pipeline& pipeline = *pipeline_;
  // Requests written from now on are held back until the drain is done, so that no kill can hit
  // them. Those written before are in flight: their responses are read too.
  pipeline.hold_sends();
  std::string unsent;
  unsent.swap(out_);
  const std::size_t in_flight = pipeline.size();
  // The query may still end on its own within the drain budget. But a KILL QUERY the server did
  // not confirm may still come later and kill whatever the session runs then: such a
  // connection is not kept, however the drain ends.
  bool confirmed = true;
  try {
    co_await cancel();
  } catch (...) {
    confirmed = false;
  }
  const ring::Deadline deadline = ring::deadline_after(options_.cancel_timeout);
  bool drained = false;
  try {
    // A send of the pipeline's under way ends with the bytes it has (sends are held); then
    // what was written before the hold but not sent yet goes out.
    while (pipeline.sending()) {
      co_await ring::NextTurn{*loop_};
      if (std::chrono::steady_clock::now() >= deadline) {
        throw ring::TimeoutError("sending the requests in flight");
      }
    }
    if (!unsent.empty()) co_await protocol::SendAwaiter(transport_, unsent, deadline, &broken_);
    for (std::size_t i = 0; i < in_flight; ++i) {
      co_await drop_front(true, deadline);
      // A kill stops the statement running when it comes, not those queued behind it; each of
      // them was given up too.
      if (i + 1 < in_flight && confirmed) {
        try {
          co_await cancel();
        } catch (...) {
          confirmed = false;
        }
      }
    }
    drained = true;
  } catch (...) {
    drained = false;
  }
  if (!drained || !confirmed) broken_ = true;
  pipeline.release_sends(transport_, out_, broken_);
  co_return drained&& confirmed;
}

ring::Task<void> Connection::refuse_local_infile() {
  // The server now reads the file's packets: nothing else may reach it before the empty one
  // that ends them.
  if (pipeline_->size() > 1 || pipeline_->sending() || !out_.empty()) {
    broken_ = true;
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        "a LOCAL INFILE request with other commands pipelined behind it");
  }
  seq_ = write_local_infile_refusal(out_, seq_);
  co_await send_alone();
}

}  // namespace tern::mysql
