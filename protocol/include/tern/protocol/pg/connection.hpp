// A PostgreSQL connection: the codecs of protocol/pg bound to a ring socket (the only I/O in
// the PostgreSQL protocol layer). One operation at a time; callers (the pool) serialise access.
// https://www.postgresql.org/docs/15/protocol-flow.html
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tern/protocol/pg/backend.hpp"
#include "tern/protocol/pg/conninfo.hpp"
#include "tern/protocol/pg/params.hpp"
#include "tern/protocol/pg/result.hpp"
#include "tern/protocol/pg/text.hpp"
#include "tern/protocol/pipeline.hpp"
#include "tern/protocol/receive_buffer.hpp"
#include "tern/protocol/transport.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::pg {

namespace detail {
class SyncGroups;
}

/// Options of one query.
struct QueryOptions {
  /// The query must finish by then; on expiry the server is asked to cancel it and the
  /// caller gets QueryTimeout.
  ring::Deadline deadline = ring::kNoDeadline;
  /// Result column format: binary (default; exact and fast) for the types tern decodes, text
  /// for the others; or text for every column.
  Format result_format = Format::kBinary;
};

/// An asynchronous NOTIFY received on a channel this connection LISTENs to.
struct Notification {
  std::int32_t pid = 0;  ///< the notifying backend
  std::string channel;   ///< the channel
  std::string payload;   ///< the payload ("" when none)
};

/// One query of a pipeline batch.
struct PipelineQuery {
  std::string sql;  ///< one statement, $n placeholders
  Params params;    ///< its values
};

/// A connection to one PostgreSQL backend. Move-only (not while operations are pending); not
/// thread-safe. After ConnectionLost or a ProtocolError it is not is_usable(): close it and
/// open another.
///
/// Implicit pipelining: execute(), simple_query() and pipeline() may be called by several tasks
/// at once. Each call's request (ending in its own Sync) is written when the call is made and
/// the requests of one loop turn go out in one write; the server answers in order and each
/// caller reads its own reply when its turn comes. A server error fails only its own call (its
/// Sync ends the error; outside a transaction block every call is its own implicit
/// transaction). Streams, COPY, cancel() and notifications need the connection to themselves:
/// they throw InterfaceError while calls are in flight.
///
/// Errors: server errors throw the DatabaseError subclass their SQLSTATE calls for (the
/// connection stays usable); a broken stream throws ConnectionLost (to every call in flight);
/// bytes that break the protocol throw protocol::ProtocolError; a passed deadline throws
/// QueryTimeout and a stop request ring::CancelledError. When no other call waits for a reply
/// on the connection, the server is first asked to cancel the query (CancelRequest) and the
/// connection stays usable if it confirmed; otherwise the call gives up its reply without a
/// cancel, which would hit whatever the backend runs — maybe another caller's statement — and
/// the reply is read and dropped when it comes (the statement may still take effect).
class Connection {
 public:
  /// Connects, negotiates TLS per options.ssl_mode, authenticates and waits until the server
  /// is ready. Throws ConnectionLost (cannot connect, TLS failure, timeout), OperationalError
  /// (e.g. wrong password: SQLSTATE 28P01) or InterfaceError (an authentication method tern
  /// does not support, or channel binding required but impossible).
  /// With several options.hosts or a target_session_attrs other than any, tries each host in
  /// turn (libpq's rules) and throws ConnectionFailed naming every host's failure when none
  /// will do; options() then hold the host connected to.
  static ring::Task<Connection> connect(ring::Loop& loop, ConnectOptions options);

  /// Movable; a moved-from connection is closed.
  Connection(Connection&&) noexcept;
  /// Closes this connection, then takes over the other.
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs one or more ';'-separated statements with the simple protocol (text results, no
  /// parameters); returns each statement's result. An error in one statement throws after
  /// the server skipped the rest.
  ring::Task<std::vector<Result>> simple_query(std::string_view sql, QueryOptions options = {});

  /// Runs `sql` with parameters ($1, $2, ...) through the extended protocol, as a named prepared
  /// statement cached per connection (or an unnamed one with a cached description when
  /// options().unnamed_statements_only).
  ring::Task<Result> execute(std::string_view sql, const Params& params = {},
                             QueryOptions options = {});

  /// Sends all queries in one write with one Sync and returns their results in order (new
  /// statements are prepared first, all in one round trip). The batch is one implicit
  /// transaction unless a transaction is open: an error stops it, rolls the implicit
  /// transaction back, and is thrown once the connection is ready again.
  ring::Task<std::vector<Result>> pipeline(const std::vector<PipelineQuery>& queries,
                                           QueryOptions options = {});

  /// Starts `sql` as a row stream: its portal runs `batch_rows` rows at a time, each batch
  /// read by next_batch(), so a result of any size is never held whole (the next batch is
  /// requested as soon as one arrives, so it travels while the caller works). Until the stream
  /// ends (next_batch() returned false) or close_stream() ran, the connection runs nothing
  /// else: other calls throw InterfaceError. Outside a transaction block the stream is one
  /// implicit transaction. A passed deadline or a lost connection while streaming leaves the
  /// connection not is_usable().
  ring::Task<void> open_stream(std::string_view sql, const Params& params, std::uint32_t batch_rows,
                               QueryOptions options = {});
  /// Reads the next batch of the open stream into `batch` (replacing its rows). Returns false
  /// once the stream has ended: `batch` then holds the last rows (maybe none) and the command
  /// tag, and the connection is free again. A server error ends the stream and throws.
  ring::Task<bool> next_batch(Result& batch, ring::Deadline deadline = ring::kNoDeadline);
  /// Ends the open stream early (its remaining rows are skipped); does nothing without one.
  ring::Task<void> close_stream(ring::Deadline deadline = ring::kNoDeadline);
  /// True while a stream is open.
  bool streaming() const noexcept { return stream_.has_value(); }
  /// Replies in flight (pipelined calls waiting or reading; given-up replies not read yet).
  std::size_t in_flight() const noexcept { return pipeline_->size(); }

  /// Asks the server to cancel the running query of this connection (CancelRequest over a new
  /// socket) and waits until the server has acted on it. Safe to call from another task
  /// while a query is pending; with several calls in flight it cancels whichever the backend
  /// runs at that moment.
  ring::Task<void> cancel();

  /// Waits for the next NOTIFY (after LISTEN). Throws ring::TimeoutError at the deadline (the
  /// connection stays usable).
  ring::Task<Notification> wait_for_notification(ring::Deadline deadline = ring::kNoDeadline);

  /// COPY ... FROM STDIN: streams `chunks` (in the COPY format the statement names; chunk
  /// boundaries need not match rows) and returns the number of rows copied.
  ring::Task<std::uint64_t> copy_in(std::string_view sql, const std::vector<std::string>& chunks,
                                    QueryOptions options = {});
  /// Fills the next piece of COPY data into `chunk` (appending; the connection clears it
  /// between calls) and returns false once the data is complete (`chunk` may then hold its
  /// last bytes). A throw aborts the COPY (see copy_in's producer form).
  using CopyProducer = std::function<bool(std::string& chunk)>;
  /// COPY ... FROM STDIN, streamed: calls `produce` for each piece of data (each sent as one
  /// CopyData, so a piece should stay small, e.g. 64 KiB: nothing more is held) until it
  /// returns false, and returns the number of rows copied. When `produce` throws, the COPY is
  /// aborted with CopyFail (the server loads nothing) and, once the connection is ready
  /// again, its exception is rethrown: the connection stays usable.
  ring::Task<std::uint64_t> copy_in(std::string_view sql, const CopyProducer& produce,
                                    QueryOptions options = {});
  /// COPY ... TO STDOUT: calls `sink` for each CopyData the server sends (one row each in the
  /// text and CSV formats) and returns the row count.
  ring::Task<std::uint64_t> copy_out(std::string_view sql,
                                     const std::function<void(std::string_view)>& sink,
                                     QueryOptions options = {});

  /// Sends Terminate and closes the socket. Never throws.
  ring::Task<void> close();

  /// False after a broken stream, protocol violation, failed drain or close().
  bool is_usable() const noexcept { return !broken_ && transport_.is_open(); }
  /// The transaction status from the last ReadyForQuery.
  backend::TransactionStatus transaction_status() const noexcept { return status_; }
  /// A server parameter (server_version, TimeZone, ...) from ParameterStatus; "" if unknown.
  std::string_view parameter(std::string_view name) const;
  /// The session's DateStyle, IntervalStyle and TimeZone as the server last reported them, and
  /// the extra_float_digits the connection started with: what to_text needs to render values
  /// as the server's text output would. Each Result keeps the settings its rows came under,
  /// for its typed text decoders.
  const TextSettings& text_settings() const noexcept { return *text_settings_; }
  /// The backend's process id.
  std::int32_t backend_pid() const noexcept { return key_.pid; }
  /// For a pooled connection about to be reused: false when the server closed it or sent
  /// something while it was idle (e.g. a terminated session's FATAL error). One non-blocking
  /// syscall; reads nothing.
  bool looks_alive() const noexcept {
    return is_usable() && in_.empty() && !transport_.has_unexpected_input();
  }
  /// True when the stream is TLS-encrypted.
  bool is_tls() const noexcept { return transport_.is_tls(); }
  /// The SASL mechanism used to authenticate ("SCRAM-SHA-256-PLUS", ...), or the method name.
  const std::string& auth_method() const noexcept { return auth_method_; }
  /// Statements currently prepared on the server (named mode) or described (unnamed mode).
  std::size_t cached_statements() const noexcept { return cache_.size(); }
  /// The options it was opened with; with pgbouncer=auto, options().pooler tells what was
  /// detected (kOn or kOff).
  const ConnectOptions& options() const noexcept { return options_; }

 private:
  struct Statement;
  using StatementList = std::list<Statement>;

  Connection(ring::Loop& loop, ConnectOptions options);

  // Start-up (startup.cpp).
  /// One host: open, then pgbouncer=auto's detection.
  static ring::Task<Connection> connect_one(ring::Loop& loop, ConnectOptions options);
  /// Whether the server satisfies `attrs` (start-up ParameterStatus or a query).
  ring::Task<bool> session_matches(TargetSessionAttrs attrs);
  ring::Task<ring::Socket> connect_socket(ring::Deadline deadline);
  ring::Task<void> open(ring::Deadline deadline);
  ring::Task<void> negotiate_tls(ring::Deadline deadline);
  ring::Task<void> authenticate(ring::Deadline deadline);
  ring::Task<void> authenticate_sasl(Bytes mechanisms, ring::Deadline deadline);
  void write_startup();
  /// pgbouncer=auto: sets options_.pooler to kOn or kOff (see PoolerMode::kAuto).
  ring::Task<void> detect_pooler(ring::Deadline deadline);

  // I/O (connection.cpp).
  std::optional<backend::Message> next_buffered();
  /// The size the message at the front of in_ needs (what fill() makes room for); a length
  /// over max_message_size throws ProtocolError and breaks the connection before the buffer
  /// grows for it.
  std::size_t frame_size();
  /// Reads more into in_ (an awaiter: no coroutine frame); a lost stream breaks the connection.
  protocol::ReceiveBuffer::FillAwaiter fill(ring::Deadline deadline);
  /// The next buffered message that is not asynchronous (NOTIFY, notices, parameter status
  /// are handled on the way), without a coroutine; nullopt when more must be read.
  std::optional<backend::Message> next_message();
  ring::Task<backend::Message> read_message(ring::Deadline deadline);
  /// Sends out_ and clears it (an awaiter); any failure breaks the connection.
  protocol::SendAwaiter flush(ring::Deadline deadline);
  /// flush() as a task, for a TaskGroup.
  ring::Task<void> flush_task(ring::Deadline deadline);
  /// flush() then fill() as one ring operation (one loop turn per round trip; plain sockets
  /// only, see Transport::can_exchange): a failed send breaks the connection, a failed read
  /// fails as fill() does.
  protocol::ReceiveBuffer::ExchangeAwaiter flush_and_fill(ring::Deadline deadline);
  bool handle_async(const backend::Message& m);
  /// Takes a ReadyForQuery: the server is idle again and the stream is in sync.
  void on_ready(const backend::Message& m);
  /// A NoticeResponse: logged (tern::log, component "pg") and kept for the statement's result.
  void on_notice(ServerErrorInfo notice);
  /// How many notices one statement's result keeps.
  static constexpr std::size_t kMaxPendingNotices = 100;
  std::exception_ptr error_response(const backend::Message& m);
  /// The tail every reply loop shares, for a message the loop's own cases did not take.
  /// ErrorResponse: kept in `error` when it is the first (a later one is skipped, unparsed; the
  /// server goes on to ReadyForQuery); returns false, the loop goes on. FATAL or PANIC throws
  /// ConnectionLost at once instead (the connection is broken). ReadyForQuery: takes the
  /// status (on_ready), then rethrows `error` if one was kept, else returns true: the reply is
  /// over. Anything else cannot come `during` this exchange: breaks the connection and throws
  /// ProtocolError(kUnexpectedMessage).
  bool reply_tail(const backend::Message& m, std::exception_ptr& error, const char* during);
  [[noreturn]] void break_connection(const std::string& why);
  /// Follows a ParameterStatus report in text_settings_ (DateStyle, IntervalStyle, TimeZone).
  void apply_text_setting(std::string_view name, std::string_view value);

  // Queries (query.cpp).
  const std::string& make_key(std::string_view sql, const Params& params);
  Statement& lookup(std::string_view sql, const Params& params);
  void write_execute(const Statement& s, const Params& params, Format format,
                     std::int32_t max_rows = 0);
  // True when `result` already holds max_result_rows rows: the row is to be dropped, and
  // `error` (when not yet set) becomes ResultTooLarge, thrown at ReadyForQuery.
  bool over_row_cap(const Result& result, std::exception_ptr& error) const;
  void start_result(Result& result, const Statement& s, Format format) const;
  ring::Task<void> prepare(const std::vector<Statement*>& statements, const QueryOptions& options);
  ring::Task<void> receive_descriptions(const std::vector<Statement*>& statements,
                                        ring::Deadline deadline);
  /// Where a batch's results are read to (execute, pipeline), taken by read_results() from
  /// the buffered messages: no coroutine frame of its own.
  struct ResultsReader {
    std::span<Result> results;
    std::span<Statement* const> statements;
    std::uint64_t place = 0;  ///< a member of a shared Sync's group (its reply tag), or 0
    std::size_t next = 0;     ///< the result being read
    std::exception_ptr error;
  };
  /// Takes the buffered messages of `r`'s reply; true once the reply is over (its error, if
  /// any, thrown then). A statement whose portal turned out to differ from its cached
  /// description (unnamed mode) is marked to be described again.
  bool read_results(ResultsReader& r);
  /// How round_trip() reads its reply: a task, or a ResultsReader (the common case, inline in
  /// round_trip's own frame).
  struct Receive {
    Receive(ring::Task<void> t) noexcept : task(std::move(t)) {}  // NOLINT: either converts
    Receive(ResultsReader& r) noexcept : results(&r) {}           // NOLINT
    ring::Task<void> task;
    ResultsReader* results = nullptr;
  };
  /// `receive` as a task of its own (a frame), for the rare paths that need one.
  ring::Task<void> receive_task(Receive& receive, ring::Deadline deadline);
  ring::Task<void> receive_simple(std::vector<Result>& results, ring::Deadline deadline);
  /// copy_in (`produce` set) and copy_out (`sink` set): one reply loop for both directions.
  ring::Task<std::uint64_t> copy(std::string_view sql, const CopyProducer* produce,
                                 const std::function<void(std::string_view)>* sink,
                                 QueryOptions options);
  void forget(Statement& s);
  /// Counts an operation in flight using `s` (never evicted or freed meanwhile) ...
  static void hold(Statement& s) noexcept;
  /// ... and its end.
  void unhold(Statement& s) noexcept;
  void free_retired(Statement& s) noexcept;
  /// Waits until `s` is described, preparing it unless another call already does.
  ring::Task<void> describe(Statement& s, const QueryOptions& options);
  /// Throws unless the connection is usable and no stream is open (before writing a request).
  void check_ready() const {
    if (!is_usable()) [[unlikely]]
      throw_not_ready();
    if (stream_) [[unlikely]]
      throw_not_ready();
  }
  [[noreturn]] void throw_not_ready() const;
  /// Throws InterfaceError while calls are in flight (for what needs the connection alone).
  void check_alone() const;
  /// Takes a place in the reply queue for the request just written to out_, sends it (with
  /// the loop turn's other requests, or alone in one ring operation with the first read when
  /// nothing else is in flight), waits for its turn and runs `receive`; turns a passed deadline
  /// or a stop request into a cancel + drain or an abandoned reply (QueryTimeout /
  /// CancelledError).
  /// `place` is the reply's tag: a member of a shared Sync's group, or 0.
  ring::Task<void> round_trip(const QueryOptions& options, Receive receive,
                              std::uint64_t place = 0);
  /// round_trip()'s send of a request alone on the connection too large for one write.
  ring::Task<void> send_large_alone(const QueryOptions& options, ring::Task<void> receive);
  ring::Task<void> send_while_receiving(ring::Deadline deadline, ring::Task<void> receive);
  /// Reads and drops the replies at the front of the queue whose callers gave up.
  ring::Task<void> drop_abandoned(ring::Deadline deadline);
  /// The reply at the front of the queue leaves it (and its group reference).
  void pop_reply() noexcept;
  /// False when the server skips the request tagged `place` (its group failed before it).
  bool has_reply(std::uint64_t place) const noexcept;
  /// One message of a reply nobody reads (tagged `place`): true when the reply is over.
  /// `completed`: its statement's CommandComplete came (a later error is its group's commit).
  bool skip_message(const backend::Message& m, std::uint64_t place, bool& completed);
  /// True when every reply after `after` in its group was given up.
  bool group_rest_abandoned(protocol::Pipeline::Ticket after) const noexcept;
  /// After the reader's deadline or stop request: gives the reply up (others wait behind it)
  /// or cancels and drains every reply in flight (nobody else waits); returns whether the
  /// connection stayed usable.
  ring::Task<bool> give_up_reply(protocol::Pipeline::Ticket t);
  /// Cancels, then reads and drops every reply before ticket `end`.
  ring::Task<bool> cancel_and_drain(protocol::Pipeline::Ticket end);
  /// Sends a CancelRequest and waits until the server acted on it.
  ring::Task<void> send_cancel_request();
  // Streams (stream.cpp).
  ring::Task<void> finish_stream(ring::Deadline deadline, bool keep_rows, Result* batch);

  ring::Loop* loop_;
  ConnectOptions options_;
  protocol::Transport transport_;
  protocol::ReceiveBuffer in_;
  std::string out_;   // requests being written
  std::string wire_;  // requests being sent by the connection's own sends (flush())
  // Statements of one send sharing one Sync (sync_groups.hpp); the pipeline's sealer.
  std::unique_ptr<detail::SyncGroups> groups_;
  std::unique_ptr<protocol::Pipeline> pipeline_;
  bool broken_ = false;
  bool awaiting_ready_ = false;  // a batch went out and its ReadyForQuery has not come back
  std::string auth_method_;
  backend::BackendKeyData key_;
  backend::TransactionStatus status_ = backend::TransactionStatus::kIdle;
  absl::flat_hash_map<std::string, std::string> parameters_;
  /// Follows the ParameterStatus reports of DateStyle, IntervalStyle and TimeZone; copied on
  /// change, since Results share it.
  std::shared_ptr<const TextSettings> text_settings_;
  std::deque<Notification> notifications_;
  // Notices since the last result completed: handed to the next result that completes (the
  // statement that raised them), dropped at ReadyForQuery. Capped: a loop of RAISE NOTICE
  // must not grow it without bound (all are logged).
  std::vector<ServerErrorInfo> pending_notices_;
  /// Hands the pending notices to `result` (the statement that just completed).
  void attach_notices(Result& result) {
    if (!pending_notices_.empty()) [[unlikely]]
      result.set_notices(std::exchange(pending_notices_, {}));
  }

  // The statement cache: LRU list (front = most recent) indexed by SQL + parameter types.
  std::unique_ptr<StatementList> statements_;
  absl::flat_hash_map<std::string, StatementList::iterator> cache_;
  std::string key_buffer_;
  std::uint64_t next_statement_id_ = 0;
  std::uint64_t batch_ = 0;  // statements used by the current batch are never evicted
  // Statements forgotten while calls in flight still use them; freed when the last is done.
  std::unique_ptr<StatementList> retired_;
  // Unnamed mode: the last portal RowDescription.
  std::vector<backend::Column> portal_columns_;
  // The open row stream: its batch size and the result header (columns) each batch starts
  // from.
  struct Stream {
    std::int32_t batch_rows = 0;
    Result header{};
    std::string sql{};  // for a server error's position (DatabaseError::set_statement)
  };
  std::optional<Stream> stream_;
};

}  // namespace tern::pg
