// Row streams: a portal executed a batch at a time (Execute with a row limit, Flush, and
// PortalSuspended until CommandComplete), then one Sync. See "Extended Query" in
// https://www.postgresql.org/docs/current/protocol-flow.html.
#include <string>
#include <utility>

#include "reply_tail.hpp"
#include "statement.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/frontend.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::pg {

ring::Task<void> Connection::open_stream(std::string_view sql, const Params& params,
                                         std::uint32_t batch_rows, QueryOptions options) {
  if (batch_rows == 0 || batch_rows > static_cast<std::uint32_t>(INT32_MAX)) {
    throw InterfaceError("a row stream needs a batch size of 1 to 2^31-1 rows");
  }
  if (stream_) throw InterfaceError("a row stream is already open on this connection");
  check_ready();
  check_alone();
  ++batch_;
  Statement& s = lookup(sql, params);
  if (!s.described) {
    const std::vector<Statement*> missing = {&s};
    // Held while prepared: a failed Parse forgets the statement, and prepare() still reads
    // it after (as execute and pipeline hold theirs).
    hold(s);
    try {
      co_await prepare(missing, options);
    } catch (DatabaseError& e) {
      unhold(s);
      e.set_statement(sql);  // a position becomes psql's LINE/caret lines
      throw;
    } catch (...) {
      unhold(s);
      throw;
    }
    unhold(s);
  }
  Stream stream{.batch_rows = static_cast<std::int32_t>(batch_rows), .sql = std::string(sql)};
  start_result(stream.header, s, options.result_format);
  write_execute(s, params, options.result_format, stream.batch_rows);
  frontend::flush(out_);  // no Sync: it would close the portal
  stream_ = std::move(stream);
  awaiting_ready_ = true;
  try {
    co_await flush(options.deadline);
  } catch (...) {
    broken_ = true;  // part of a message may have gone out
    stream_.reset();
    throw;
  }
}

ring::Task<bool> Connection::next_batch(Result& batch, ring::Deadline deadline) {
  if (!stream_) throw InterfaceError("no row stream is open on this connection");
  batch = stream_->header;
  batch.set_text_settings(text_settings_);  // one statement's rows: no setting changes midway
  try {
    for (;;) {
      std::optional<backend::Message> buffered = next_message();  // no frame per buffered row
      if (!buffered) buffered = co_await read_message(deadline);
      const backend::Message m = *buffered;
      switch (m.type) {
        case backend::kParseComplete:  // unnamed mode
        case backend::kBindComplete:
        case backend::kCloseComplete:  // of an evicted statement
          backend::expect_empty(m);
          break;
        case backend::kRowDescription: {  // the portal's (unnamed mode): see write_execute
          backend::parse_row_description(m.body, portal_columns_);
          auto columns = std::make_shared<const std::vector<backend::Column>>(portal_columns_);
          stream_->header.set_columns(columns);
          batch.set_columns(std::move(columns));
          break;
        }
        case backend::kNoData:  // unnamed mode
          backend::expect_empty(m);
          break;
        case backend::kDataRow:
          batch.add_row(m.body);
          break;
        case backend::kPortalSuspended:  // ask for the next batch now, so it comes while we work
          backend::expect_empty(m);
          frontend::execute(out_, "", stream_->batch_rows);
          frontend::flush(out_);
          co_await flush(deadline);
          co_return true;
        case backend::kCommandComplete:
          batch.set_command_tag(backend::parse_command_complete(m.body));
          co_await finish_stream(deadline, true, &batch);
          co_return false;
        case backend::kEmptyQueryResponse:
          backend::expect_empty(m);
          co_await finish_stream(deadline, true, &batch);
          co_return false;
        case backend::kErrorResponse: {
          const std::exception_ptr error = error_response(m);  // FATAL throws (broken)
          // finish_stream ends the stream. Unnamed statements are parsed again with each
          // Execute, so a Parse error with a position (a dropped column...) can arrive here.
          const std::string sql = std::move(stream_->sql);
          co_await finish_stream(deadline, false, nullptr);
          try {
            std::rethrow_exception(error);
          } catch (DatabaseError& e) {
            e.set_statement(sql);  // a position becomes psql's LINE/caret lines
            throw;
          }
        }
        default:
          backend::throw_unexpected(m.type, "a row stream");
      }
    }
  } catch (const protocol::ProtocolError&) {
    // Bad bytes: handled as below (a ProtocolError is a DatabaseError too, but not the
    // server's; the stream is out of sync).
    broken_ = true;
    stream_.reset();
    throw;
  } catch (const DatabaseError&) {
    stream_.reset();
    throw;  // the server's error, after the stream was finished cleanly
  } catch (...) {
    // Timeout, stop request, lost connection or bad bytes, mid-stream: the rest of the stream
    // is unread, so the connection cannot be trusted again.
    broken_ = true;
    stream_.reset();
    throw;
  }
}

ring::Task<void> Connection::close_stream(ring::Deadline deadline) {
  if (!stream_) co_return;
  try {
    co_await finish_stream(deadline, false, nullptr);
  } catch (const ConnectionLost&) {  // not an error in the rows: the connection is gone
    broken_ = true;
    stream_.reset();
    throw;
  } catch (
      const protocol::ProtocolError&) {  // nor are bad bytes (a DatabaseError, not the server's)
    broken_ = true;
    stream_.reset();
    throw;
  } catch (const DatabaseError&) {  // an error in rows nobody wants any more
  } catch (...) {
    broken_ = true;
    stream_.reset();
    throw;
  }
}

// Sends Sync and reads up to ReadyForQuery. With `keep_rows`, rows still arriving (none are
// expected after CommandComplete) would go to `batch`; otherwise the in-flight batch and the
// portal's end are skipped. A server error seen on the way is thrown after ReadyForQuery.
ring::Task<void> Connection::finish_stream(ring::Deadline deadline, bool keep_rows, Result* batch) {
  frontend::sync(out_);
  co_await flush(deadline);
  std::exception_ptr error;
  for (;;) {
    std::optional<backend::Message> buffered = next_message();
    if (!buffered) buffered = co_await read_message(deadline);
    const backend::Message m = *buffered;
    switch (m.type) {
      case backend::kDataRow:
        if (keep_rows) backend::throw_unexpected(m.type, "the end of a row stream");
        break;
      case backend::kCommandComplete:
        if (keep_rows) backend::throw_unexpected(m.type, "the end of a row stream");
        if (batch != nullptr) batch->set_command_tag(backend::parse_command_complete(m.body));
        break;
      case backend::kParseComplete:
      case backend::kBindComplete:
      case backend::kCloseComplete:
      case backend::kPortalSuspended:
      case backend::kEmptyQueryResponse:
      case backend::kRowDescription:  // the portal's (unnamed mode), closed before the first batch
      case backend::kNoData:
        break;
      case backend::kReadyForQuery:
        stream_.reset();
        [[fallthrough]];
      default:
        // An unexpected message breaks the connection here; next_batch and close_stream, the
        // callers, would break it anyway.
        if (reply_tail(m, error, "the end of a row stream")) co_return;
        break;
    }
  }
}

}  // namespace tern::pg
