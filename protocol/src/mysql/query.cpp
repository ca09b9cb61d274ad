// MySQL commands: text queries (COM_QUERY, several result sets), prepared statements
// (COM_STMT_PREPARE/EXECUTE/CLOSE) over a per-connection LRU cache, COM_PING and
// COM_RESET_CONNECTION. https://mariadb.com/kb/en/com_query/,
// https://mariadb.com/kb/en/com_stmt_execute/
#include <chrono>
#include <coroutine>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "command_io.hpp"
#include "prepared.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/commands.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/mysql/server_error.hpp"

namespace tern::mysql {

namespace {

// The server dropped the prepared statement's plan (DDL raced it): prepare again.
constexpr std::uint32_t kNeedReprepare = 1615;

}  // namespace

namespace {

// True when a column definition is the one cached.
bool same_column(const Column& c, const ColumnDefinition& d) noexcept {
  return c.name == d.name && c.org_name == d.org_name && c.table == d.table &&
         c.org_table == d.org_table && c.schema == d.schema && c.column_length == d.column_length &&
         c.type.type == d.type.type && c.type.flags == d.type.flags &&
         c.type.charset == d.type.charset && c.type.decimals == d.type.decimals;
}

}  // namespace

ring::Task<std::shared_ptr<const std::vector<Column>>> Connection::read_columns(
    std::size_t count, std::shared_ptr<const std::vector<Column>> cached) {
  // The definitions usually came in the same read as the rest of the response: take them from
  // the buffer (no coroutine per packet) and compare them with the statement's cached ones.
  std::shared_ptr<std::vector<Column>> columns;
  if (cached && cached->size() != count) cached.reset();
  const bool eof = (capabilities_ & cap::kDeprecateEof) == 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::optional<Payload> p = next_buffered();
    while (!p) {
      co_await fill_for_command(Skip{.phase = Skip::kDefinitions,
                                     .eof = eof,
                                     .rows = true,
                                     .defs = static_cast<std::uint32_t>(count - i)});
      p = next_buffered();
    }
    const ColumnDefinition def = parse_column_definition(p->bytes, capabilities_);
    if (cached && same_column((*cached)[i], def)) continue;
    if (!columns) {
      columns = std::make_shared<std::vector<Column>>();
      columns->reserve(count);
      if (cached)
        columns->assign(cached->begin(), cached->begin() + static_cast<std::ptrdiff_t>(i));
      cached.reset();
    }
    columns->push_back(Column::from(def));
  }
  if (eof) {
    parse_eof(co_await read_payload(Skip{.phase = Skip::kDefinitions, .eof = true, .rows = true}),
              capabilities_);
  }
  if (!columns) co_return cached;
  co_return columns;
}

std::shared_ptr<const std::vector<Column>> Connection::skipped_columns(const Statement* statement,
                                                                       std::size_t count) const {
  if (statement == nullptr || !statement->columns || statement->columns->size() != count) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        absl::StrCat("a result set of ", count,
                                     " columns without their definitions, and none cached"));
  }
  return statement->columns;
}

ring::Task<void> Connection::read_responses(std::vector<Result>* results, Format format,
                                            Result* single, Statement* statement) {
  std::optional<ServerErrorInfo> error;
  bool refused_infile = false;
  bool too_many_rows = false;       // max_result_rows exceeded: thrown once the response is read
  std::optional<Result> discarded;  // made only when a result is dropped
  // With `single`: whether it holds a result yet, and whether that one has rows (final).
  bool have_single = false;
  bool single_is_set = false;
  // Where the next result goes.
  auto target = [&](bool result_set) -> Result& {
    if (results != nullptr) return results->emplace_back();
    if (single != nullptr && (!have_single || (result_set && !single_is_set))) {
      if (have_single) *single = Result();  // it comes in empty: only a replacement resets it
      have_single = true;
      single_is_set = result_set;
      return *single;
    }
    return discarded.emplace();
  };
  for (bool more = true; more;) {
    std::optional<Payload> buffered = next_buffered();
    while (!buffered) {
      co_await fill_for_command(Skip{.phase = Skip::kResponse});
      buffered = next_buffered();
    }
    const Bytes p = buffered->bytes;
    std::uint16_t status = 0;
    switch (classify_response(p, capabilities_)) {
      case ResponseKind::kOk: {
        const OkPacket ok = parse_ok(p, capabilities_);
        status = ok.status_flags;
        target(false).set_ok(ok);
        break;
      }
      case ResponseKind::kErr:
        error = parse_err(p);
        break;
      case ResponseKind::kEof:
        status = parse_eof(p, capabilities_).status_flags;
        break;
      case ResponseKind::kLocalInfile:
        // tern never sends files: an empty transfer, then the server's answer to it.
        parse_local_infile_request(p);
        refused_infile = true;
        co_await refuse_local_infile();
        continue;
      case ResponseKind::kResultSet: {
        const ColumnCount count = parse_column_count(p, capabilities_);
        Result& r = target(true);
        std::shared_ptr<const std::vector<Column>> columns;
        if (count.metadata_follows) {
          std::shared_ptr<const std::vector<Column>> cached;
          if (statement != nullptr) cached = statement->columns;
          columns = co_await read_columns(count.count, std::move(cached));
          if (statement != nullptr) statement->columns = columns;
        } else {
          columns = skipped_columns(statement, count.count);
        }
        r.set_columns(std::move(columns), format);
        for (bool rows = true; rows;) {
          // Rows already buffered are taken without a coroutine: no frame per row, and no stack
          // growth where symmetric transfer is not a tail call (GCC with ASan).
          Bytes row;
          if (std::optional<Payload> next = next_buffered()) {
            row = next->bytes;
          } else {
            row = co_await read_payload(Skip{.phase = Skip::kRows});
          }
          switch (classify_row(row)) {
            case RowKind::kRow:
              // Over the cap the rest is read and dropped: the connection stays in step.
              if (options_.max_result_rows != 0 && r.size() >= options_.max_result_rows) {
                too_many_rows = true;
              } else {
                r.add_row(row, row_scratch_);
              }
              break;
            case RowKind::kEnd:
              // Under DEPRECATE_EOF the end is an OK packet (0xFE, often under 9 bytes too).
              if (is_eof_packet(row) && (capabilities_ & cap::kDeprecateEof) == 0) {
                const EofPacket eof = parse_eof(row, capabilities_);
                status = eof.status_flags;
                r.set_warnings(eof.warnings);
              } else {
                const OkPacket ok = parse_ok(row, capabilities_);
                status = ok.status_flags;
                r.set_warnings(ok.warnings);
              }
              rows = false;
              break;
            case RowKind::kErr:
              error = parse_err(row);
              rows = false;
              break;
          }
        }
        break;
      }
    }
    if (!error) status_flags_ = status;
    more = !error && (status & status::kMoreResultsExist) != 0;
  }
  if (error) fail_with(std::move(*error));
  end_command();
  if (too_many_rows) {
    throw ResultTooLarge(
        absl::StrCat("the result has more than max_result_rows = ", options_.max_result_rows,
                     " rows (the rest were dropped; use a row stream)"));
  }
  if (refused_infile && !options_.allow_local_infile) {
    throw ClientError(ClientErrc::kLocalInfileRefused,
                      "the server asked for a LOCAL INFILE, which tern refused (local-infile is "
                      "off)");
  }
}

bool Connection::read_buffered_response(Result& result, const Statement& s) {
  if (reassembler_.in_progress() || caught_ != Interruption::kNone) return false;
  // First pass: frame the buffered packets (whole, single, in sequence) without consuming them,
  // and check that they are the whole response in a shape handled here.
  const Bytes data = in_.unread();
  std::size_t at = 0;
  std::uint8_t seq = seq_;
  auto next = [&](Bytes& payload) {
    if (data.size() - at < kPacketHeaderSize) return false;
    const std::size_t len = std::to_integer<std::size_t>(data[at]) |
                            (std::to_integer<std::size_t>(data[at + 1]) << 8) |
                            (std::to_integer<std::size_t>(data[at + 2]) << 16);
    if (len == 0 || len >= kMaxPacketPayload || len > reassembler_.max_payload() ||
        std::to_integer<std::uint8_t>(data[at + 3]) != seq ||
        data.size() - at - kPacketHeaderSize < len) {
      return false;
    }
    payload = data.subspan(at + kPacketHeaderSize, len);
    at += kPacketHeaderSize + len;
    seq = static_cast<std::uint8_t>(seq + 1);
    return true;
  };
  Bytes p;
  if (!next(p)) return false;
  const auto first = std::to_integer<std::uint8_t>(p[0]);
  if (first == header::kOk) {  // a statement without a result set
    const OkPacket ok = parse_ok(p, capabilities_);
    if ((ok.status_flags & status::kMoreResultsExist) != 0) return false;
    in_.consume(at);
    seq_ = seq;
    status_flags_ = ok.status_flags;
    result.set_ok(ok);
    end_command();
    return true;
  }
  // ERR, LOCAL INFILE, EOF: the general path.
  if (first == header::kErr || first == header::kLocalInfile || first == header::kEof) return false;
  if ((capabilities_ & cap::kDeprecateEof) == 0) return false;
  const ColumnCount count = parse_column_count(p, capabilities_);
  if (count.metadata_follows || !s.columns || s.columns->size() != count.count) return false;
  const std::size_t rows_at = at;
  const std::uint8_t rows_seq = seq;
  std::size_t rows = 0;
  for (;;) {
    if (!next(p)) return false;
    const auto head = std::to_integer<std::uint8_t>(p[0]);
    if (head == header::kEof) break;  // the OK that ends the rows (under 16 MiB: see next)
    if (head == header::kErr) return false;
    ++rows;
  }
  if (options_.max_result_rows != 0 && rows > options_.max_result_rows) return false;
  const OkPacket end = parse_ok(p, capabilities_);
  if ((end.status_flags & status::kMoreResultsExist) != 0) return false;
  const std::size_t end_at = at;
  const std::uint8_t end_seq = seq;
  // Second pass: take the rows.
  result.set_columns(s.columns, Format::kBinary);
  at = rows_at;
  seq = rows_seq;
  for (std::size_t i = 0; i < rows; ++i) {
    next(p);
    result.add_row(p, row_scratch_);
  }
  result.set_warnings(end.warnings);
  in_.consume(end_at);
  seq_ = end_seq;
  status_flags_ = end.status_flags;
  end_command();
  return true;
}

ring::Task<std::vector<Result>> Connection::query(std::string_view sql, QueryOptions options) {
  check_ready();
  const std::uint8_t seq = write_com_query(out_, sql);
  Ticket t = kNoTicket;
  bool reading = false;
  std::vector<Result> results;
  try {
    co_await send_request(t, reading, Skip::kResponse, seq, options);
    co_await read_responses(&results, Format::kText);
  } catch (...) {
    settle(t, reading);
    throw;
  }
  finish_reply();
  co_return results;
}

void Connection::forget(Statement& s) {
  if (s.retired) return;
  const auto it = cache_.find(s.sql);
  const StatementList::iterator node = it->second;
  cache_.erase(it);
  if (s.users == 0) {
    close_on_server(s);
    statements_->erase(node);
  } else {  // calls in flight still use it: kept aside until the last is done
    s.retired = true;
    retired_->splice(retired_->begin(), *statements_, node);
  }
}

void Connection::close_on_server(const Statement& s) {
  // COM_STMT_CLOSE has no response; it goes out ahead of the next command, after every request
  // already written that uses the statement.
  if (s.prepared) write_com_stmt_close(out_, s.id);
}

void Connection::free_retired(Statement& s) {
  close_on_server(s);
  retired_->remove_if([&s](const Statement& r) { return &r == &s; });
}

Connection::Statement* Connection::cached(std::string_view sql) {
  // The statement used last (the LRU list's front) first: no hashing for a repeated query.
  if (!statements_->empty() && statements_->front().sql == sql) return &statements_->front();
  const auto it = cache_.find(absl::string_view(sql.data(), sql.size()));  // no copy
  if (it == cache_.end()) return nullptr;
  statements_->splice(statements_->begin(), *statements_, it->second);
  return &*it->second;
}

ring::Task<Connection::Statement*> Connection::statement_for(std::string_view sql,
                                                             const QueryOptions& options) {
  for (;;) {
    check_ready();
    Statement* s = cached(sql);
    if (s == nullptr) co_return co_await prepare(sql, options);
    hold(*s);
    if (!s->preparing) co_return s;
    // Another call's COM_STMT_PREPARE of the same SQL is in flight (a burst of tasks running a
    // new query): its response comes within a round trip. Rare enough to check once per loop
    // turn.
    ++prepare_waiters_;
    try {
      while (s->preparing) {
        co_await ring::NextTurn{*loop_};
        if (std::chrono::steady_clock::now() >= options.deadline) {
          throw QueryTimeout(
              "the query ran past its deadline waiting for its statement to be prepared");
        }
        if ((co_await ring::this_task::context()).stop.stop_requested()) {
          throw ring::CancelledError("waiting for a statement to be prepared");
        }
      }
    } catch (...) {
      --prepare_waiters_;
      unhold(*s);
      throw;
    }
    --prepare_waiters_;
    if (s->prepared && !s->retired) co_return s;
    unhold(*s);  // that prepare failed or was given up: this call prepares it (or waits again)
  }
}

ring::Task<Connection::Statement*> Connection::prepare(std::string_view sql,
                                                       const QueryOptions& options) {
  // In the cache while it is prepared, so that other callers of the same SQL wait for it.
  Statement& s = statements_->emplace_front();
  s.sql = sql;
  s.preparing = true;
  cache_.emplace(s.sql, statements_->begin());
  hold(s);
  const std::uint8_t seq = write_com_stmt_prepare(out_, sql);
  Ticket t = kNoTicket;
  bool reading = false;
  bool got_id = false;
  try {
    co_await send_request(t, reading, Skip::kPrepare, seq, options);
    co_await read_prepare_response(s, got_id);
  } catch (...) {
    // Not prepared: out of the cache (its waiters prepare it again). An id the server gave is
    // closed after the request (whoever reads next drops the rest of the response).
    if (got_id && !s.prepared) write_com_stmt_close(out_, s.id);
    s.preparing = false;
    forget(s);
    unhold(s);
    settle(t, reading);
    throw;
  }
  s.preparing = false;
  finish_reply();
  co_return &s;
}

ring::Task<void> Connection::read_prepare_response(Statement& s, bool& got_id) {
  const Bytes first = co_await read_payload(Skip{.phase = Skip::kPrepare});
  if (is_err_packet(first)) fail_with(parse_err(first));
  const PrepareOk ok = parse_prepare_ok(first);
  s.id = ok.statement_id;
  got_id = true;
  // Parameter definitions follow (not kept), then column definitions: kept, since under
  // MARIADB_CLIENT_CACHE_METADATA an execute does not send them again while they are unchanged.
  const bool eof = (capabilities_ & cap::kDeprecateEof) == 0;
  for (std::uint16_t i = 0; i < ok.num_params; ++i) {
    co_await read_payload(Skip{.phase = Skip::kDefinitions,
                               .eof = eof,
                               .next = ok.num_columns,
                               .defs = static_cast<std::uint32_t>(ok.num_params - i)});
  }
  if (ok.num_params > 0 && eof) {
    parse_eof(co_await read_payload(
                  Skip{.phase = Skip::kDefinitions, .eof = true, .next = ok.num_columns}),
              capabilities_);
  }
  std::shared_ptr<std::vector<Column>> columns;
  if (ok.num_columns > 0) {
    columns = std::make_shared<std::vector<Column>>();
    columns->reserve(ok.num_columns);
    for (std::uint16_t i = 0; i < ok.num_columns; ++i) {
      const Bytes p =
          co_await read_payload(Skip{.phase = Skip::kDefinitions,
                                     .eof = eof,
                                     .defs = static_cast<std::uint32_t>(ok.num_columns - i)});
      columns->push_back(Column::from(parse_column_definition(p, capabilities_)));
    }
    if (eof) {
      parse_eof(co_await read_payload(Skip{.phase = Skip::kDefinitions, .eof = true}),
                capabilities_);
    }
  }
  s.num_params = ok.num_params;
  s.num_columns = ok.num_columns;
  s.columns = std::move(columns);
  s.prepared = true;
  end_command();
}

ring::Task<Result> Connection::execute(std::string_view sql, const Params& params,
                                       QueryOptions options) {
  for (bool first = true;; first = false) {
    check_ready();
    // One coroutine for the whole command in the common case: a cached statement is found, the
    // request written and sent, and the response read without further frames but
    // read_responses.
    Statement* s = cached(sql);
    if (s != nullptr && !s->preparing) [[likely]] {
      hold(*s);
    } else {
      s = co_await statement_for(sql, options);
      if (!is_usable()) {  // lost as the prepare ended
        unhold(*s);
        check_ready();
      }
    }
    std::uint8_t seq = 0;
    try {
      seq = write_execute(*s, params);
    } catch (...) {
      unhold(*s);
      throw;
    }
    // The first result set (a CALL's further ones are dropped), else the first OK. The whole
    // response usually comes in the first read: taken then without a coroutine frame. Alone
    // on a plain socket, the request and that read are one ring operation: one loop turn.
    Result result;
    Ticket t = kNoTicket;
    bool reading = false;
    try {
      if (begin_alone(options, seq)) [[likely]] {
        reading = true;
        if (can_exchange_for_command()) {
          co_await exchange_for_command();
        } else {
          co_await send_alone();
        }
      } else {
        // Behind other requests: sent with the loop turn's others, read in turn (as
        // wait_for_reply(), without its frame).
        t = join();
        reading = try_read(t, options);
        queue_request(t, Skip::kResponse, seq);
        if (!reading) {
          if (options.deadline == ring::kNoDeadline) {
            co_await pipeline_->turn(t);
          } else if (!co_await pipeline_->wait_turn(t, options.deadline)) {
            give_up_waiting(t);
          }
          reading = true;
          start_reading(t, options.deadline);
        }
        if (!is_usable()) throw_lost_in_flight();
        while (pipeline_->front_abandoned())
          co_await drop_front(false, ring::kNoDeadline);
        seq_ = seq;
      }
      if (!read_buffered_response(result, *s)) {
        co_await read_responses(nullptr, Format::kBinary, &result, s);
      }
    } catch (const DatabaseError& e) {
      if (!first || e.info().code != kNeedReprepare || read_state_ != ReadState::kDone) {
        unhold(*s);
        settle(t, reading);
        throw;
      }
      // The server dropped the statement's plan: prepare it again (calls in flight that use
      // the old one still read their responses).
      forget(*s);
      unhold(*s);
      settle(t, reading);
      continue;
    } catch (...) {
      unhold(*s);
      settle(t, reading);
      throw;
    }
    unhold(*s);
    // The statement just used stays; older ones go past the capacity (all, at capacity 0),
    // unless calls in flight use them.
    while (cache_.size() > options_.statement_cache_size && statements_->back().users == 0)
      forget(statements_->back());
    finish_reply();
    co_return std::move(result);
  }
}

ring::Task<void> Connection::simple_command(std::uint8_t command, const QueryOptions& options) {
  const std::uint8_t seq =
      command == com::kPing ? write_com_ping(out_) : write_com_reset_connection(out_);
  Ticket t = kNoTicket;
  bool reading = false;
  try {
    co_await send_request(t, reading, Skip::kOk, seq, options);
    const Bytes p = co_await read_payload(Skip{.phase = Skip::kOk});
    if (is_err_packet(p)) fail_with(parse_err(p));
    status_flags_ = parse_ok(p, capabilities_).status_flags;
    end_command();
  } catch (...) {
    settle(t, reading);
    throw;
  }
  finish_reply();
}

ring::Task<void> Connection::ping(QueryOptions options) {
  check_ready();
  co_await simple_command(com::kPing, options);
}

ring::Task<void> Connection::reset(QueryOptions options) {
  check_ready();
  check_alone();
  // Statements the reset drops must not be closed again, and the cache must forget them (no
  // call uses one: none is in flight).
  out_.clear();
  cache_.clear();
  statements_->clear();
  retired_->clear();
  co_await simple_command(com::kResetConnection, options);
}

}  // namespace tern::mysql
