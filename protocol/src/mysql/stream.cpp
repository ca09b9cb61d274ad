// Row streams: a prepared statement's binary result read off the socket a batch at a time
// (what mysql_use_result does for text results), instead of whole.
#include <utility>

#include "command_io.hpp"
#include "prepared.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/error.hpp"

namespace tern::mysql {

ring::Task<void> Connection::open_stream(std::string_view sql, const Params& params,
                                         QueryOptions options) {
  check_ready();
  check_alone();
  Statement* const statement = co_await statement_for(sql, options);
  std::uint8_t seq = 0;
  try {
    check_ready();
    check_alone();  // other calls came in while the statement was prepared
    seq = write_execute(*statement, params);
  } catch (...) {
    unhold(*statement);
    throw;
  }
  Ticket t = kNoTicket;
  bool reading = false;
  Stream stream;
  try {
    co_await send_request(t, reading, Skip::kResponse, seq, options);
    const Bytes first = co_await read_payload(Skip{.phase = Skip::kResponse});
    switch (classify_response(first, capabilities_)) {
      case ResponseKind::kErr:
        fail_with(parse_err(first));
      case ResponseKind::kOk: {
        // No result set (an UPDATE, say): the stream is over before it starts.
        const OkPacket ok = parse_ok(first, capabilities_);
        stream.header.set_ok(ok);
        status_flags_ = ok.status_flags;
        if ((ok.status_flags & status::kMoreResultsExist) != 0) {
          co_await read_responses(nullptr, Format::kBinary);  // ends the command
        } else {
          end_command();
        }
        stream.ended = true;
        break;
      }
      case ResponseKind::kResultSet: {
        const ColumnCount count = parse_column_count(first, capabilities_);
        std::shared_ptr<const std::vector<Column>> columns;
        if (count.metadata_follows) {
          columns = co_await read_columns(count.count, statement->columns);
          statement->columns = columns;
        } else {
          columns = skipped_columns(statement, count.count);
        }
        stream.header.set_columns(std::move(columns), Format::kBinary);
        break;
      }
      default:
        throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                            "unexpected response to COM_STMT_EXECUTE");
    }
  } catch (...) {
    unhold(*statement);
    settle(t, reading);
    throw;
  }
  unhold(*statement);
  const bool ended = stream.ended;
  stream_ = std::move(stream);
  // Rows follow: the stream keeps the read side (no other call comes in while it is open).
  if (ended) finish_reply();
}

ring::Task<bool> Connection::next_batch(Result& batch, std::size_t max_rows,
                                        ring::Deadline deadline) {
  if (!stream_) throw InterfaceError("no row stream is open on this connection");
  if (max_rows == 0) throw InterfaceError("a row stream batch needs at least one row");
  batch = stream_->header;
  if (stream_->ended) {
    stream_.reset();
    co_return false;
  }
  deadline_ = deadline;
  co_return co_await read_stream(&batch, max_rows);
}

ring::Task<void> Connection::close_stream(ring::Deadline deadline) {
  if (!stream_) co_return;
  if (stream_->ended) {
    stream_.reset();
    co_return;
  }
  deadline_ = deadline;
  try {
    co_await read_stream(nullptr, 0);
  } catch (const ConnectionLost&) {  // not an error in the rows: the connection is gone
    throw;
  } catch (const ProtocolError&) {  // nor are bad bytes (a DatabaseError, not the server's)
    throw;
  } catch (const DatabaseError&) {  // an error in rows nobody wants any more
  }
}

ring::Task<bool> Connection::read_stream(Result* batch, std::size_t max_rows) {
  try {
    std::size_t rows = 0;
    for (;;) {
      if (batch != nullptr && rows == max_rows) co_return true;
      // Rows already buffered are taken without a coroutine: no frame per row, and no stack
      // growth where symmetric transfer is not a tail call (GCC with ASan).
      Bytes row;
      if (std::optional<Payload> buffered = next_buffered()) {
        row = buffered->bytes;
      } else {
        row = co_await read_payload(Skip{.phase = Skip::kRows});
      }
      switch (classify_row(row)) {
        case RowKind::kRow:
          if (batch != nullptr) {
            batch->add_row(row, row_scratch_);
            ++rows;
          }
          break;
        case RowKind::kEnd: {
          std::uint16_t flags = 0;
          // Under DEPRECATE_EOF the end is an OK packet (0xFE, often under 9 bytes too).
          if (is_eof_packet(row) && (capabilities_ & cap::kDeprecateEof) == 0) {
            const EofPacket eof = parse_eof(row, capabilities_);
            flags = eof.status_flags;
            if (batch != nullptr) batch->set_warnings(eof.warnings);
          } else {
            const OkPacket ok = parse_ok(row, capabilities_);
            flags = ok.status_flags;
            if (batch != nullptr) batch->set_warnings(ok.warnings);
          }
          status_flags_ = flags;
          stream_.reset();
          if ((flags & status::kMoreResultsExist) != 0) {
            co_await read_responses(nullptr, Format::kBinary);  // a CALL's further results
          } else {
            end_command();
          }
          finish_reply();
          co_return false;
        }
        case RowKind::kErr:
          stream_.reset();
          fail_with(parse_err(row));
      }
    }
  } catch (...) {
    // A deadline or stop request killed the query and drained its rows (fill_interrupted).
    stream_.reset();
    settle(ticket_, true);
    throw;
  }
}

}  // namespace tern::mysql
