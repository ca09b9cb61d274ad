// Queries: the simple protocol, the extended protocol over a per-connection statement cache
// (LRU; named statements, or unnamed ones with cached descriptions for PgBouncer), pipelined
// batches with one Sync, and the cancel + drain that follows a passed deadline or a stop
// request. https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reply_tail.hpp"
#include "statement.hpp"
#include "sync_groups.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/frontend.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/task_group.hpp"
#include "type_table.hpp"

namespace tern::pg {

namespace {

using detail::group_of;
using detail::index_of;
using detail::SyncGroups;

using protocol::ProtocolErrc;
using protocol::ProtocolError;

// Unnamed mode keeps this many statement descriptions client-side.
constexpr std::size_t kUnnamedDescriptions = 256;
// Batches larger than this are sent while their results are read: otherwise a server blocked
// on writing results (the client's receive buffer full) stops reading the rest of the batch,
// and both sides wait for each other.
constexpr std::size_t kSendWhileReceivingAbove = 64 * 1024;
// How long a drain after a cancel waits for the next reply before cancelling again.
constexpr std::chrono::milliseconds kCancelRetryAfter{100};

// Result types tern decodes in binary (the type table's `binary` column, arrays included);
// everything else is fetched as text.
bool binary_decodable(Oid type) {
  const std::uint8_t slot = detail::type_slot(type);
  return slot != 0 && detail::type_row(slot).binary;
}

// A prepared statement the server no longer has, or whose result type changed under it (DDL):
// the cached entry is stale, and the statement can be prepared again.
bool is_stale_statement(const DatabaseError& e) {
  const std::string& state = e.sqlstate();
  return state == "26000" ||
         (state == "0A000" && e.info().message.find("cached plan") != std::string::npos);
}

// The server's error for the statement `sql` of a batch, with its position (if any) shown in
// what() as psql's LINE/caret lines. Only the replies know which statement of a pipeline() or
// a Parse/Describe batch failed: the one whose reply was being read.
[[gnu::cold, gnu::noinline]] std::exception_ptr with_statement(std::exception_ptr error,
                                                               std::string_view sql) {
  try {
    std::rethrow_exception(error);  // the same object: set_statement() changes `error`'s
  } catch (DatabaseError& e) {
    e.set_statement(sql);
  } catch (...) {
  }
  return error;
}

}  // namespace

// ---- the statement cache ----

const std::string& Connection::make_key(std::string_view sql, const Params& params) {
  key_buffer_.assign(sql);
  key_buffer_.push_back('\0');
  key_buffer_.append(reinterpret_cast<const char*>(params.types().data()),
                     params.types().size() * sizeof(Oid));
  return key_buffer_;
}

Connection::Statement& Connection::lookup(std::string_view sql, const Params& params) {
  // The statement used last (the LRU list's front) is checked first: the same query run over
  // and over skips building the key and hashing it.
  if (!statements_->empty()) {
    Statement& last = statements_->front();
    const std::span<const Oid> types = params.types();
    if (last.sql_size == sql.size() && last.sql() == sql &&
        std::equal(types.begin(), types.end(), last.param_types.begin(), last.param_types.end())) {
      last.batch = batch_;
      return last;
    }
  }
  if (const auto it = cache_.find(make_key(sql, params)); it != cache_.end()) {
    statements_->splice(statements_->begin(), *statements_, it->second);
    it->second->batch = batch_;
    return *it->second;
  }
  Statement& s = statements_->emplace_front();
  s.key = key_buffer_;
  s.sql_size = sql.size();
  s.param_types.assign(params.types().begin(), params.types().end());
  if (!options_.unnamed_statements_only) s.name = absl::StrCat("tern_", ++next_statement_id_);
  s.batch = batch_;
  cache_.emplace(s.key, statements_->begin());
  const std::size_t capacity =
      options_.unnamed_statements_only ? kUnnamedDescriptions : options_.statement_cache_size;
  // Statements of the batch being built stay, even past the capacity, until the next batch.
  while (cache_.size() > capacity && statements_->back().batch != batch_ &&
         statements_->back().users == 0) {
    forget(statements_->back());
  }
  return s;
}

void Connection::forget(Statement& s) {
  if (s.retired) return;
  // The Close goes out with the next request, after every request already written that uses
  // the statement; its CloseComplete is skipped when it comes back.
  if (!s.name.empty() && s.described) frontend::close(out_, frontend::kStatement, s.name);
  const auto it = cache_.find(s.key);
  const StatementList::iterator node = it->second;
  cache_.erase(it);
  if (s.users == 0) {
    statements_->erase(node);
  } else {  // calls in flight still read it: kept aside until the last is done
    s.retired = true;
    retired_->splice(retired_->begin(), *statements_, node);
  }
}

void Connection::hold(Statement& s) noexcept {
  ++s.users;
}

void Connection::unhold(Statement& s) noexcept {
  if (--s.users == 0 && s.retired) [[unlikely]]
    free_retired(s);
}

void Connection::free_retired(Statement& s) noexcept {
  retired_->remove_if([&s](const Statement& r) { return &r == &s; });
}

// ---- encoding ----

void Connection::write_execute(const Statement& s, const Params& params, Format format,
                               std::int32_t max_rows) {
  if (s.name.empty()) frontend::parse(out_, "", s.sql(), params.types());
  static constexpr std::span<const Format> kAllText;
  frontend::bind(out_, "", s.name, params.formats(), params.size(), params.values(),
                 format == Format::kText ? kAllText : std::span<const Format>(s.result_formats));
  // An unnamed statement is planned again on every Parse, so DDL since it was described (or,
  // behind a pooler, a server whose table differs) changes its columns without an error:
  // the portal's own RowDescription tells read_results what the rows really are.
  if (s.name.empty()) frontend::describe(out_, frontend::kPortal, "");
  frontend::execute(out_, "", max_rows);
}

namespace {

// True when a portal's columns differ (count, type or format) from those a result expects.
bool same_shape(const std::vector<backend::Column>& a, const std::vector<backend::Column>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const backend::Column& x, const backend::Column& y) {
                      return x.type == y.type && x.format == y.format;
                    });
}

}  // namespace

bool Connection::over_row_cap(const Result& result, std::exception_ptr& error) const {
  const std::size_t cap = options_.max_result_rows;
  if (cap == 0 || result.size() < cap) return false;
  // The rest is read and dropped: the connection stays in step with the server.
  if (!error) {
    error = std::make_exception_ptr(ResultTooLarge(
        absl::StrCat("the result has more than max_result_rows = ", cap,
                     " rows (the rest were dropped; use a row stream for large results)")));
  }
  return true;
}

void Connection::start_result(Result& result, const Statement& s, Format format) const {
  if (!s.columns) return;
  if (format == Format::kBinary) {
    result.set_columns(s.columns);
    return;
  }
  auto text = std::make_shared<std::vector<backend::Column>>(*s.columns);
  for (backend::Column& c : *text)
    c.format = Format::kText;
  result.set_columns(std::move(text));
}

// ---- receiving ----

ring::Task<void> Connection::receive_descriptions(const std::vector<Statement*>& statements,
                                                  ring::Deadline deadline) {
  std::size_t next = 0;
  std::exception_ptr error;
  for (;;) {
    const backend::Message m = co_await read_message(deadline);
    switch (m.type) {
      case backend::kParseComplete:
      case backend::kCloseComplete:  // of an evicted statement
        backend::expect_empty(m);
        break;
      case backend::kParameterDescription: {  // the types were given in Parse
        std::vector<Oid> ignored;
        backend::parse_parameter_description(m.body, ignored);
        break;
      }
      case backend::kRowDescription:
      case backend::kNoData: {
        if (next >= statements.size()) backend::throw_unexpected(m.type, "Describe");
        Statement& s = *statements[next++];
        if (m.type == backend::kRowDescription) {
          auto columns = std::make_shared<std::vector<backend::Column>>();
          backend::parse_row_description(m.body, *columns);
          bool all_binary = true;
          bool all_text = true;
          s.result_formats.clear();
          for (backend::Column& c : *columns) {
            c.format = binary_decodable(c.type) ? Format::kBinary : Format::kText;
            all_binary = all_binary && c.format == Format::kBinary;
            all_text = all_text && c.format == Format::kText;
            s.result_formats.push_back(c.format);
          }
          if (all_binary) s.result_formats.assign(1, Format::kBinary);
          if (all_text) s.result_formats.clear();
          s.columns = std::move(columns);
        } else {
          backend::expect_empty(m);
        }
        s.described = true;
        break;
      }
      case backend::kErrorResponse:
        if (!error && next < statements.size()) {
          error = with_statement(error_response(m), statements[next]->sql());
        }
        [[fallthrough]];
      case backend::kReadyForQuery:
        if (m.type == backend::kReadyForQuery && error) {
          // Parse failed for one statement; the server skipped the rest: none of the
          // undescribed ones exists on the server.
          for (Statement* s : statements) {
            if (!s->described) forget(*s);
          }
        }
        [[fallthrough]];
      default:
        if (reply_tail(m, error, "Parse/Describe")) co_return;
        break;
    }
  }
}

bool Connection::read_results(ResultsReader& r) {
  const detail::SyncGroups::Id group = group_of(r.place);
  const std::span<Result> results = r.results;
  while (std::optional<backend::Message> buffered = next_message()) {
    const backend::Message m = *buffered;
    switch (m.type) {
      case backend::kParseComplete:  // unnamed mode
      case backend::kBindComplete:
      case backend::kCloseComplete:  // of an evicted statement
        backend::expect_empty(m);
        break;
      case backend::kRowDescription: {  // the portal's description (unnamed mode)
        if (r.next >= results.size()) backend::throw_unexpected(m.type, "Execute");
        backend::parse_row_description(m.body, portal_columns_);
        if (!same_shape(portal_columns_, results[r.next].columns())) {
          results[r.next].set_columns(
              std::make_shared<std::vector<backend::Column>>(portal_columns_));
          r.statements[r.next]->described = false;  // described again before its next use
        }
        break;
      }
      case backend::kNoData:  // the portal returns no rows (unnamed mode)
        backend::expect_empty(m);
        if (r.next >= results.size()) backend::throw_unexpected(m.type, "Execute");
        if (!results[r.next].columns().empty()) {
          results[r.next].set_columns(nullptr);
          r.statements[r.next]->described = false;
        }
        break;
      case backend::kDataRow:
        if (r.next >= results.size()) backend::throw_unexpected(m.type, "Execute");
        if (over_row_cap(results[r.next], r.error)) break;
        results[r.next].add_row(m.body);
        break;
      case backend::kCommandComplete:
      case backend::kEmptyQueryResponse:
        if (r.next >= results.size()) backend::throw_unexpected(m.type, "Execute");
        if (m.type == backend::kCommandComplete) {
          results[r.next].set_command_tag(backend::parse_command_complete(m.body));
          results[r.next].set_text_settings(text_settings_);
          attach_notices(results[r.next]);
        } else {
          backend::expect_empty(m);
        }
        ++r.next;
        // A member of a shared Sync's group: its reply ends here, unless it is the last one
        // (the group's ReadyForQuery follows).
        if (group != 0 && !groups_->is_last(group, index_of(r.place))) {
          awaiting_ready_ = false;
          if (r.error) std::rethrow_exception(r.error);
          return true;
        }
        break;
      default:
        if (m.type == backend::kErrorResponse && !r.error && r.next < results.size()) [[unlikely]] {
          r.error = with_statement(error_response(m), r.statements[r.next]->sql());
        }
        if (group != 0) {
          if (m.type == backend::kErrorResponse) {
            groups_->fail(group, r.next == results.size() ? detail::SyncGroups::kNotAStatement
                                                          : index_of(r.place));
          } else if (m.type == backend::kReadyForQuery) {
            groups_->settle(group);
          }
        }
        if (!reply_tail(m, r.error, "Execute")) break;
        if (r.next != results.size()) {
          broken_ = true;
          throw ProtocolError(
              ProtocolErrc::kUnexpectedMessage,
              absl::StrCat("ReadyForQuery after ", r.next, " of ", results.size(), " results"));
        }
        return true;
    }
  }
  return false;
}

ring::Task<void> Connection::receive_task(Receive& receive, ring::Deadline deadline) {
  if (receive.results == nullptr) return std::move(receive.task);
  return [](Connection& c, ResultsReader& r, ring::Deadline d) -> ring::Task<void> {
    while (!c.read_results(r))
      co_await c.fill(d);
  }(*this, *receive.results, deadline);
}

ring::Task<void> Connection::receive_simple(std::vector<Result>& results, ring::Deadline deadline) {
  std::exception_ptr error;
  bool open = false;  // a RowDescription started a result that CommandComplete has not ended
  for (;;) {
    const backend::Message m = co_await read_message(deadline);
    switch (m.type) {
      case backend::kRowDescription: {
        auto columns = std::make_shared<std::vector<backend::Column>>();
        backend::parse_row_description(m.body, *columns);
        results.emplace_back().set_columns(std::move(columns));
        open = true;
        break;
      }
      case backend::kDataRow:
        if (!open) backend::throw_unexpected(m.type, "a simple query");
        if (over_row_cap(results.back(), error)) break;
        results.back().add_row(m.body);
        break;
      case backend::kCommandComplete:
        if (!open) results.emplace_back();
        results.back().set_command_tag(backend::parse_command_complete(m.body));
        results.back().set_text_settings(text_settings_);
        attach_notices(results.back());
        open = false;
        break;
      case backend::kEmptyQueryResponse:
        backend::expect_empty(m);
        break;
      case backend::kCopyInResponse:  // COPY FROM STDIN inside a simple query: refuse it, the
                                      // server errors out
        backend::parse_copy_response(m.body);
        frontend::copy_fail(out_, "COPY FROM STDIN needs Connection::copy_in");
        co_await flush(deadline);
        break;
      case backend::kCopyOutResponse:  // COPY TO STDOUT: its data is skipped, and the caller told
                                       // why
        backend::parse_copy_response(m.body);
        if (!error) {
          error =
              std::make_exception_ptr(InterfaceError("COPY TO STDOUT needs Connection::copy_out"));
        }
        break;
      case backend::kCopyData:
      case backend::kCopyDone:
        break;
      case backend::kErrorResponse:
        open = false;  // the error ends the statement's result
        [[fallthrough]];
      default:
        if (reply_tail(m, error, "a simple query")) co_return;
        break;
    }
  }
}

// ---- operations ----

void Connection::throw_not_ready() const {
  if (!is_usable()) throw ConnectionLost("the connection is closed or broken");
  throw InterfaceError("a row stream is open on this connection: read it to the end or close it");
}

void Connection::check_alone() const {
  if (!pipeline_->empty()) {
    throw InterfaceError(
        "statements of other tasks are in flight on this connection; row streams, COPY, "
        "notifications and cancel() need it to themselves");
  }
}

ring::Task<void> Connection::send_while_receiving(ring::Deadline deadline,
                                                  ring::Task<void> receive) {
  ring::TaskGroup sender(*loop_);
  sender.spawn(flush_task(deadline));
  std::exception_ptr receive_error;
  try {
    co_await std::move(receive);
  } catch (...) {
    receive_error = std::current_exception();
  }
  // A receive that ended normally or on a server error had read past the batch's Sync, so
  // the send is complete. Any other failure (deadline, stop, lost connection) stops a send
  // still under way, which breaks the connection: the server got part of a message.
  if (receive_error && sender.size() > 0) sender.cancel();
  co_await sender.join();
  if (receive_error) std::rethrow_exception(receive_error);
}

ring::Task<void> Connection::send_large_alone(const QueryOptions& options,
                                              ring::Task<void> receive) {
  // Sent while the reply is read (see kSendWhileReceivingAbove).
  pipeline_->begin_own_send();
  std::exception_ptr failed;
  try {
    co_await send_while_receiving(options.deadline, std::move(receive));
  } catch (...) {
    failed = std::current_exception();
  }
  pipeline_->end_own_send(transport_, out_, broken_);
  if (failed) std::rethrow_exception(failed);
}

void Connection::pop_reply() noexcept {
  const SyncGroups::Id group = group_of(pipeline_->tag(pipeline_->front()));
  pipeline_->pop_front();
  if (group != 0) groups_->unref(group);
}

bool Connection::has_reply(std::uint64_t place) const noexcept {
  const SyncGroups::Id group = group_of(place);
  return group == 0 || groups_->has_reply(group, index_of(place));
}

bool Connection::skip_message(const backend::Message& m, std::uint64_t place, bool& completed) {
  const SyncGroups::Id group = group_of(place);
  switch (m.type) {
    case backend::kErrorResponse:
      error_response(m);  // throws only for FATAL
      if (group != 0) {
        groups_->fail(group, completed ? SyncGroups::kNotAStatement : index_of(place));
      }
      return false;
    case backend::kReadyForQuery:
      on_ready(m);
      if (group != 0) groups_->settle(group);
      return true;
    case backend::kCommandComplete:
    case backend::kEmptyQueryResponse:
      if (group == 0) return false;
      completed = true;
      return !groups_->is_last(group, index_of(place));
    default:
      return false;
  }
}

ring::Task<void> Connection::drop_abandoned(ring::Deadline deadline) {
  while (pipeline_->front_abandoned()) {
    const std::uint64_t place = pipeline_->tag(pipeline_->front());
    if (has_reply(place)) {
      bool completed = false;
      while (!skip_message(co_await read_message(deadline), place, completed)) {
      }
    }
    pop_reply();
  }
}

bool Connection::group_rest_abandoned(protocol::Pipeline::Ticket after) const noexcept {
  const SyncGroups::Id group = group_of(pipeline_->tag(after));
  for (protocol::Pipeline::Ticket t = after + 1; t < pipeline_->front() + pipeline_->size(); ++t) {
    if (group_of(pipeline_->tag(t)) != group) break;
    if (!pipeline_->abandoned(t)) return false;
  }
  return true;
}

ring::Task<void> Connection::round_trip(const QueryOptions& options, Receive receive,
                                        std::uint64_t place) {
  protocol::Pipeline& pipeline = *pipeline_;
  const protocol::Pipeline::Ticket ticket = pipeline.join(place);
  bool popped = false;
  bool reading = pipeline.try_read(ticket);
  bool in_receive = false;  // reading this call's own reply
  std::exception_ptr interrupted;
  bool timed_out = false;
  try {
    if (reading && pipeline.size() == 1 && !pipeline.sending() && place == 0 &&
        out_.size() <= kSendWhileReceivingAbove) {
      // Alone on the connection: the send and the first read of the reply in one ring
      // operation (one loop turn), the reply's first bytes then in in_, where receive looks
      // first. Requests other calls write meanwhile go out once the send is done.
      awaiting_ready_ = true;
      pipeline.begin_own_send();
      try {
        if (transport_.can_exchange()) {
          co_await flush_and_fill(options.deadline);
        } else {
          co_await flush(options.deadline);
        }
      } catch (...) {
        pipeline.end_own_send(transport_, out_, broken_);
        throw;
      }
      pipeline.end_own_send(transport_, out_, broken_);
      in_receive = true;
      if (receive.results == nullptr) {
        co_await std::move(receive.task);
      } else {
        while (!read_results(*receive.results))
          co_await fill(options.deadline);
      }
    } else if (reading && pipeline.size() == 1 && !pipeline.sending() && place == 0) {
      awaiting_ready_ = true;
      in_receive = true;
      co_await send_large_alone(options, receive_task(receive, options.deadline));
    } else {
      // Behind other requests: sent with the loop turn's others, read in turn.
      pipeline.send_soon(transport_, out_, broken_);
      if (!reading) {
        if (options.deadline == ring::kNoDeadline) {
          co_await pipeline.turn(ticket);  // no frame, no timer
        } else if (!co_await pipeline.wait_turn(ticket, options.deadline)) {
          throw ring::TimeoutError("waiting for a pipelined reply");
        }
        reading = true;
      }
      if (!is_usable()) {
        broken_ = true;
        throw ConnectionLost("the connection was lost with this query in flight");
      }
      if (pipeline.front_abandoned()) co_await drop_abandoned(options.deadline);
      if (!has_reply(place)) {
        // The server skipped its statement: an earlier one of its shared Sync failed.
        pop_reply();
        pipeline.release_read();
        co_return;
      }
      awaiting_ready_ = true;
      in_receive = true;
      if (receive.results == nullptr) {
        co_await std::move(receive.task);
      } else {
        while (!read_results(*receive.results))
          co_await fill(options.deadline);
      }
      const SyncGroups::Id group = group_of(place);
      if (group != 0 && groups_->outcome(group) == SyncGroups::Outcome::kPending &&
          group_rest_abandoned(ticket)) {
        // The rest of its group gave up: nobody else reads up to the group's ReadyForQuery,
        // which this caller's result waits for.
        pop_reply();
        popped = true;
        co_await drop_abandoned(options.deadline);
      }
    }
  } catch (const ring::TimeoutError&) {
    interrupted = std::current_exception();
    timed_out = true;
  } catch (const ring::CancelledError&) {
    interrupted = std::current_exception();
  } catch (...) {
    // Server errors come after ReadyForQuery: the reply was read whole. Anything else (a lost
    // connection, a protocol violation, a failing sink) left the stream out of sync.
    if (!in_receive || awaiting_ready_) broken_ = true;
    interrupted = std::current_exception();
  }
  if (!interrupted || (!broken_ && in_receive && !awaiting_ready_)) {
    // Done: the reply was read up to its end. The next caller's turn (it may run right here,
    // its reply already buffered).
    if (!popped) pop_reply();
    pipeline.release_read();
    if (interrupted) std::rethrow_exception(interrupted);
    co_return;
  }
  bool kept = !broken_;
  if (broken_) {
    // Every caller in flight fails: each wakes in turn and finds the connection broken, and
    // those waiting for their shared Sync's outcome learn it is lost.
    groups_->lose_all();
    if (!popped) pipeline.abandon(ticket);
    if (reading) pipeline.release_read();
    std::rethrow_exception(interrupted);
  }
  if (popped) {  // its own reply was read whole; the group's rest was being dropped
    pipeline.release_read();
    std::rethrow_exception(interrupted);
  }
  if (reading) {
    // Its own clean-up is not the caller's to stop: a task context of its own.
    ring::TaskContext cleanup;
    kept = co_await ring::with_context(cleanup, give_up_reply(ticket));
  } else {
    pipeline.abandon(ticket);  // the reader drops the reply when it comes
  }
  if (timed_out) {
    if (!reading) {
      throw QueryTimeout(
          "the query ran past its deadline behind other queries pipelined on its connection; "
          "it was not cancelled (that could hit theirs): its result is discarded when it comes");
    }
    throw QueryTimeout(kept ? "the query ran past its deadline and was cancelled"
                            : "the query ran past its deadline; the connection was discarded");
  }
  std::rethrow_exception(interrupted);
}

ring::Task<bool> Connection::give_up_reply(protocol::Pipeline::Ticket ticket) {
  protocol::Pipeline& pipeline = *pipeline_;
  pipeline.abandon(ticket);
  if (pipeline.live() > 0) {
    // Others wait for replies behind this one: a CancelRequest could hit their statements.
    // The next reader reads the rest of this reply and drops it.
    pipeline.release_read();
    co_return true;
  }
  // Nobody waits for any reply in flight: cancel, and read every reply up to the last one
  // sent. Requests written meanwhile are held back until then, so the cancel cannot hit them.
  pipeline.hold_sends();
  const bool kept = co_await cancel_and_drain(pipeline.front() + pipeline.size());
  if (!kept) groups_->lose_all();
  pipeline.release_sends(transport_, out_, broken_);
  pipeline.release_read();
  co_return kept;
}

ring::Task<bool> Connection::cancel_and_drain(protocol::Pipeline::Ticket end) {
  // The query may still end on its own within the drain budget. But a CancelRequest the
  // server did not confirm may still reach it later and cancel whatever this connection runs
  // then: such a connection is not kept, however the drain ends.
  bool confirmed = true;
  try {
    co_await send_cancel_request();
  } catch (...) {
    confirmed = false;
  }
  const ring::Deadline deadline = ring::deadline_after(options_.cancel_timeout);
  bool drained = false;
  try {
    bool completed = false;  // the front reply's statement completed (its group's commit follows)
    while (!pipeline_->empty() && pipeline_->front() < end) {
      const std::uint64_t place = pipeline_->tag(pipeline_->front());
      if (!has_reply(place)) {
        pop_reply();
        continue;
      }
      // A cancel stops the statement running when it arrives, not the given-up ones queued
      // behind it, and one arriving between two statements (or at a pooler not yet linked to
      // a server) stops nothing: cancelled again while replies stay out.
      const ring::Deadline retry = std::min(deadline, ring::deadline_after(kCancelRetryAfter));
      std::optional<backend::Message> m;
      try {
        m = co_await read_message(retry);
      } catch (const ring::TimeoutError&) {
        if (retry == deadline || !confirmed) throw;
      }
      if (!m) {
        co_await send_cancel_request();
        continue;
      }
      if (m->type == backend::kCopyInResponse) {
        frontend::copy_fail(out_, "cancelled by the client");
        co_await flush(deadline);
        continue;
      }
      if (skip_message(*m, place, completed)) {  // throws (and breaks) for FATAL
        pop_reply();
        completed = false;
      }
    }
    drained = true;
  } catch (...) {
    drained = false;
  }
  if (!drained || !confirmed) broken_ = true;
  co_return drained&& confirmed;
}

ring::Task<void> Connection::cancel() {
  co_await send_cancel_request();
}

ring::Task<void> Connection::send_cancel_request() {
  std::string request;
  frontend::cancel_request(request, key_.pid, key_.secret);
  const ring::Deadline deadline = ring::deadline_after(options_.cancel_timeout);
  ring::Socket socket = co_await connect_socket(deadline);
  co_await socket.send_all(protocol::as_bytes(request), deadline);
  // The server closes the socket once it has signalled the backend: after that, the cancel
  // cannot hit a later query of this connection.
  std::byte ignored[1];
  co_await socket.recv(ignored, deadline);
  co_await socket.close();
}

ring::Task<void> Connection::prepare(const std::vector<Statement*>& statements,
                                     const QueryOptions& options) {
  groups_->seal(out_);
  for (Statement* s : statements) {
    frontend::parse(out_, s->name, s->sql(), s->param_types);
    frontend::describe(out_, frontend::kStatement, s->name);
    s->preparing = true;
  }
  frontend::sync(out_);
  try {
    co_await round_trip(options, receive_descriptions(statements, options.deadline));
  } catch (...) {
    for (Statement* s : statements)
      s->preparing = false;
    throw;
  }
  for (Statement* s : statements)
    s->preparing = false;
}

ring::Task<void> Connection::describe(Statement& s, const QueryOptions& options) {
  // Another call's Parse + Describe of the same statement is in flight (a burst of tasks
  // running a new query): its reply comes within a round trip; a second Parse of the name
  // would fail. Rare enough to check once per loop turn.
  while (s.preparing) {
    co_await ring::NextTurn{*loop_};
    if (std::chrono::steady_clock::now() >= options.deadline) {
      throw QueryTimeout("the query ran past its deadline");
    }
    if ((co_await ring::this_task::context()).stop.stop_requested()) {
      throw ring::CancelledError("waiting for a statement to be prepared");
    }
  }
  if (s.described) co_return;
  check_ready();
  const std::vector<Statement*> missing = {&s};
  co_await prepare(missing, options);
}

ring::Task<std::vector<Result>> Connection::simple_query(std::string_view sql,
                                                         QueryOptions options) {
  check_ready();
  groups_->seal(out_);
  frontend::query(out_, sql);
  std::vector<Result> results;
  try {
    co_await round_trip(options, receive_simple(results, options.deadline));
  } catch (DatabaseError& e) {
    e.set_statement(sql);  // a position becomes psql's LINE/caret lines
    throw;
  }
  co_return results;
}

ring::Task<Result> Connection::execute(std::string_view sql, const Params& params,
                                       QueryOptions options) {
  check_ready();
  // Parameters that must outlive a suspension before the request is written (the caller's
  // may be reused by another call meanwhile); only for a statement not described yet.
  std::optional<Params> copied;
  const Params* bound = &params;
  bool stale_retried = false;
  bool alone = false;  // with a Sync of its own: its shared Sync's group failed
  for (;;) {
    Statement* used = nullptr;
    std::uint64_t place = 0;  // its place in a shared Sync's group (0: none)
    try {
      // The whole query in this coroutine (plus round_trip, which reads the reply): a cached
      // statement goes out as Bind/Execute(/Sync) in one write.
      ++batch_;
      Statement& s = lookup(sql, *bound);
      hold(s);
      used = &s;
      if (!s.described) {
        if (!copied) bound = &copied.emplace(params);
        co_await describe(s, options);
      }
      Result result;
      start_result(result, s, options.result_format);
      // Behind other requests and outside a transaction: the Sync is shared with the other
      // statements of this send (sync_groups.hpp). Not with a deadline: the server sends a
      // group's replies at its Sync, so a member that timed out waiting for them could not tell
      // whether a cancel would hit its own statement or another's.
      const bool share = !alone && options.deadline == ring::kNoDeadline &&
                         (!pipeline_->empty() || groups_->busy()) &&
                         status_ == backend::TransactionStatus::kIdle;
      if (share) {
        groups_->make_room(out_);
      } else {
        groups_->seal(out_);
      }
      write_execute(s, *bound, options.result_format);
      if (share) {
        place = groups_->join();
      } else {
        frontend::sync(out_);
      }
      Statement* const statements[] = {&s};
      ResultsReader reader{.results = std::span<Result>(&result, 1),
                           .statements = statements,
                           .place = place,
                           .next = 0,
                           .error = nullptr};
      co_await round_trip(options, reader, place);
      if (place != 0) {
        const SyncGroups::Id group = group_of(place);
        SyncGroups::Outcome outcome = groups_->outcome(group);
        if (outcome == SyncGroups::Outcome::kPending) outcome = co_await groups_->wait(group);
        groups_->unref(group);
        place = 0;
        if (outcome == SyncGroups::Outcome::kLost) {
          throw ConnectionLost(
              "the connection was lost before the statements sent with this one committed: "
              "whether it took effect is unknown");
        }
        if (outcome == SyncGroups::Outcome::kFailed) {  // rolled back or skipped: run alone
          unhold(s);
          alone = true;
          continue;
        }
      }
      unhold(s);
      co_return std::move(result);
    } catch (DatabaseError& e) {
      e.set_statement(sql);  // a position becomes psql's LINE/caret lines
      if (used != nullptr) unhold(*used);
      if (place != 0) {
        const SyncGroups::Id group = group_of(place);
        // A server error, not the caller's own deadline or a lost connection.
        const bool server_error = dynamic_cast<const QueryTimeout*>(&e) == nullptr &&
                                  dynamic_cast<const ConnectionLost*>(&e) == nullptr;
        const bool rerun =
            server_error && groups_->rerun_after_error(group, index_of(place), e.sqlstate());
        groups_->unref(group);
        if (rerun) {
          alone = true;
          continue;
        }
      }
      if (stale_retried || !is_stale_statement(e)) throw;
      stale_retried = true;
      // The cached statement is stale (DDL, DISCARD ALL): drop it. Outside a transaction the
      // query simply runs again; inside one, the error has aborted the transaction.
      if (const auto it = cache_.find(make_key(sql, *bound)); it != cache_.end()) {
        forget(*it->second);
      }
      if (status_ != backend::TransactionStatus::kIdle) throw;
    } catch (...) {
      if (used != nullptr) unhold(*used);
      if (place != 0) groups_->unref(group_of(place));
      throw;
    }
  }
}

ring::Task<std::vector<Result>> Connection::pipeline(const std::vector<PipelineQuery>& queries,
                                                     QueryOptions options) {
  check_ready();
  ++batch_;
  std::vector<Statement*> statements;
  std::vector<Statement*> missing;
  statements.reserve(queries.size());
  for (const PipelineQuery& q : queries) {
    Statement& s = lookup(q.sql, q.params);
    hold(s);
    statements.push_back(&s);
  }
  struct Unhold {
    Connection& c;
    std::vector<Statement*>& statements;
    ~Unhold() {
      for (Statement* s : statements)
        c.unhold(*s);
    }
  } unhold_all{*this, statements};
  for (Statement* s : statements) {
    if (s->preparing) co_await describe(*s, options);  // another call prepares it
    if (!s->described && std::find(missing.begin(), missing.end(), s) == missing.end()) {
      missing.push_back(s);
    }
  }
  if (!missing.empty()) co_await prepare(missing, options);
  std::vector<Result> results(queries.size());
  groups_->seal(out_);
  for (std::size_t i = 0; i < queries.size(); ++i) {
    start_result(results[i], *statements[i], options.result_format);
    write_execute(*statements[i], queries[i].params, options.result_format);
  }
  frontend::sync(out_);
  ResultsReader reader{
      .results = results, .statements = statements, .place = 0, .next = 0, .error = nullptr};
  co_await round_trip(options, reader);
  co_return results;
}

}  // namespace tern::pg
