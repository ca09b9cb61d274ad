// A MySQL/MariaDB connection: the codecs of protocol/mysql bound to a ring socket (the only
// I/O of the MySQL protocol layer). Several tasks' commands may be in flight at once (implicit
// pipelining, protocol::Pipeline). https://mariadb.com/kb/en/clientserver-protocol/
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tern/protocol/mysql/compression.hpp"
#include "tern/protocol/mysql/conninfo.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/result.hpp"
#include "tern/protocol/mysql/statement.hpp"
#include "tern/protocol/pipeline.hpp"
#include "tern/protocol/receive_buffer.hpp"
#include "tern/protocol/transport.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::mysql {

/// Options of one command.
struct QueryOptions {
  /// The command must finish by then; on expiry the caller gets QueryTimeout, and the server
  /// is asked to KILL QUERY it (from a side connection) unless other calls wait for responses
  /// on the connection (see Connection).
  ring::Deadline deadline = ring::kNoDeadline;
};

/// Parameters of a prepared statement, encoded as they are added (values never appear in
/// the SQL text).
using Params = StmtParams;

/// A connection to one MySQL or MariaDB server. Move-only (not while commands are pending); not
/// thread-safe. After ConnectionLost or a ProtocolError it is not is_usable(): close it and
/// open another.
///
/// Implicit pipelining: execute(), query() and ping() may be called by several tasks at once.
/// Each call's request is written when the call is made and the requests of one loop turn go
/// out in one write; the server answers commands in order and each caller reads its own
/// response when its turn comes. A statement not prepared yet is prepared by a request of its
/// own, which the other callers of the same SQL wait for; statements in use by calls in flight
/// are never closed. A server error fails only its own call (every command is independent;
/// outside a transaction each statement commits on its own). Streams and reset() need the
/// connection to themselves: they throw InterfaceError while calls are in flight.
///
/// Errors: server errors throw the DatabaseError subclass their error number and SQLSTATE call
/// for (the connection stays usable); a broken stream or a killed session throws
/// ConnectionLost (to every call in flight); bytes that break the protocol throw
/// protocol::ProtocolError; a passed deadline throws QueryTimeout and a stop request on the
/// task ring::CancelledError. When no other call waits for a response on the connection, the
/// query is first killed (KILL QUERY) and its response read, within cancel_timeout (the
/// connection stays usable) or not (it is discarded); otherwise the call gives up its response
/// without a kill, which would hit whatever the session runs — maybe another caller's
/// statement — and the response is read and dropped when it comes (the statement may still
/// take effect).
class Connection {
 public:
  /// Connects, negotiates TLS per options.ssl_mode, authenticates (mysql_native_password,
  /// caching_sha2_password, client_ed25519, mysql_clear_password over TLS). Throws
  /// ConnectionLost (cannot connect, TLS failure, timeout), OperationalError (e.g. access
  /// denied: 1045) or ClientError (an authentication plugin tern lacks, TLS required but not
  /// offered, a cleartext password without TLS).
  /// With several options.hosts or a target_session_attrs other than any, tries each host in
  /// turn (as pg::Connection::connect does) and throws ConnectionFailed naming every host's
  /// failure when none will do; options() then hold the host connected to.
  static ring::Task<Connection> connect(ring::Loop& loop, ConnectOptions options);

  /// Movable; a moved-from connection is closed.
  Connection(Connection&&) noexcept;
  /// Closes this connection, then takes over the other.
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs `sql` as a text query (COM_QUERY) and returns one Result per result set or OK
  /// (several with options().multi_statements or a CALL). An error throws once the response
  /// has been read.
  ring::Task<std::vector<Result>> query(std::string_view sql, QueryOptions options = {});

  /// Runs `sql` with `?` parameters as a server-side prepared statement, cached per
  /// connection (LRU), with binary results. A CALL's further result sets are read and dropped.
  /// `params` must stay valid until the call completes (a statement the server asks to prepare
  /// again, error 1615, is prepared and executed again with them).
  ring::Task<Result> execute(std::string_view sql, const Params& params = {},
                             QueryOptions options = {});

  /// Starts `sql` (with `?` parameters, as a cached prepared statement) as a row stream: rows
  /// are read off the socket batch by batch by next_batch() instead of being held whole.
  /// Until the stream ends (next_batch() returned false) or close_stream() ran, the connection
  /// runs nothing else: other calls throw InterfaceError.
  ring::Task<void> open_stream(std::string_view sql, const Params& params,
                               QueryOptions options = {});
  /// Reads up to `max_rows` rows of the open stream into `batch` (replacing its rows), each
  /// read by `deadline` (a passed one kills the query, as for execute()). Returns false once
  /// the stream has ended: `batch` then holds the last rows (maybe none) and the connection is
  /// free again. A server error ends the stream and throws.
  ring::Task<bool> next_batch(Result& batch, std::size_t max_rows,
                              ring::Deadline deadline = ring::kNoDeadline);
  /// Ends the open stream early: its remaining rows are read and dropped (MySQL has no way
  /// to stop a result mid-way short of killing the query). Does nothing without one.
  ring::Task<void> close_stream(ring::Deadline deadline = ring::kNoDeadline);
  /// True while a stream is open.
  bool streaming() const noexcept { return stream_.has_value(); }
  /// Responses in flight (pipelined calls waiting or reading, an open stream, given-up
  /// responses not read yet).
  std::size_t in_flight() const noexcept { return pipeline_->size() + (lone_ ? 1 : 0); }

  /// COM_PING: checks that the server answers.
  ring::Task<void> ping(QueryOptions options = {});
  /// COM_RESET_CONNECTION: ends any transaction, drops temporary tables, user variables and
  /// prepared statements (the statement cache is emptied too), keeps the session logged in.
  ring::Task<void> reset(QueryOptions options = {});

  /// Kills the running query of this connection (KILL QUERY from a new connection). Safe to
  /// call from another task while a command is pending; with several calls in flight it kills
  /// whichever the session runs at that moment.
  ring::Task<void> cancel();

  /// Sends COM_QUIT and closes the socket. Never throws.
  ring::Task<void> close();

  /// False after a broken stream, protocol violation, failed drain or close().
  bool is_usable() const noexcept { return !broken_ && transport_.is_open(); }
  /// The server's thread id for this session (what KILL takes).
  std::uint32_t connection_id() const noexcept { return connection_id_; }
  /// The server's version ("10.11.6-MariaDB-0+deb12u1").
  const std::string& server_version() const noexcept { return server_version_; }
  /// True for MariaDB servers.
  bool is_mariadb() const noexcept { return mariadb_; }
  /// For a pooled connection about to be reused: false when the server closed it or sent
  /// something while it was idle (e.g. a terminated session's FATAL error). One non-blocking
  /// syscall; reads nothing.
  bool looks_alive() const noexcept {
    return is_usable() && in_.empty() && !transport_.has_unexpected_input();
  }
  /// True when the stream is TLS-encrypted.
  bool is_tls() const noexcept { return transport_.is_tls(); }
  /// True when the session uses the compressed protocol (options().compress and the server
  /// agreed).
  bool is_compressed() const noexcept { return transport_.filter() != nullptr; }
  /// Byte counts of the compressed protocol (all zero when not is_compressed()).
  CompressionStats compression_stats() const noexcept {
    // The only filter a MySQL connection sets.
    const auto* c = static_cast<const CompressedPackets*>(transport_.filter());
    return c != nullptr ? c->stats() : CompressionStats{};
  }
  /// The authentication plugin that logged the session in.
  const std::string& auth_plugin() const noexcept { return auth_plugin_; }
  /// The negotiated capability flags (cap::).
  std::uint64_t capabilities() const noexcept { return capabilities_; }
  /// SERVER_* status flags from the last OK/EOF (status::kInTrans tells an open transaction).
  std::uint16_t status_flags() const noexcept { return status_flags_; }
  /// Prepared statements currently cached.
  std::size_t cached_statements() const noexcept { return cache_.size(); }
  /// The options it was opened with.
  const ConnectOptions& options() const noexcept { return options_; }

 private:
  struct Statement;
  using StatementList = std::list<Statement>;
  using Ticket = protocol::Pipeline::Ticket;
  enum class Interruption : std::uint8_t { kNone, kTimeout, kCancelled };
  // Awaiters of the command path, defined in protocol/src/mysql/command_io.hpp.
  class CommandFill;
  class CommandExchange;

  /// Where a response stands, so that a reader other than its caller (who gave up, maybe part
  /// way through) can read the rest and drop it: the packet due next and what follows it.
  struct Skip {
    enum Phase : std::uint8_t {
      kResponse,     ///< the first packet of a command's response: OK, ERR, a result set...
      kPrepare,      ///< COM_STMT_PREPARE_OK or ERR
      kOk,           ///< OK or ERR (COM_PING, COM_RESET_CONNECTION)
      kDefinitions,  ///< parameter or column definitions
      kRows,         ///< rows, up to the end of the result set
      kDone,         ///< read whole
    };
    Phase phase = kResponse;
    bool eof = false;        ///< an EOF packet ends the current definitions
    bool rows = false;       ///< rows follow the definitions (a result set's)
    std::uint16_t next = 0;  ///< definitions of the block after (a prepare's columns)
    std::uint32_t defs = 0;  ///< definitions left in the current block
  };
  /// How the response to a request queued behind others starts.
  struct Pending {
    Skip::Phase start = Skip::kResponse;
    std::uint8_t seq = 1;  ///< the sequence id of its first packet
  };
  /// Where the holder of the read side stands.
  enum class ReadState : std::uint8_t {
    kReading,  ///< reading its response, or dropping given-up ones before it
    kDone,     ///< its response was read whole (end_command())
    kGaveUp,   ///< its response was given up (fill_interrupted())
  };

  Connection(ring::Loop& loop, ConnectOptions options);

  // Start-up (startup.cpp).
  /// One host: socket, TLS, authentication.
  static ring::Task<Connection> connect_one(ring::Loop& loop, ConnectOptions options);
  /// Whether the server satisfies `attrs` (one query: @@read_only, @@innodb_read_only).
  ring::Task<bool> session_matches(TargetSessionAttrs attrs);
  ring::Task<void> open(ring::Deadline deadline);
  ring::Task<void> authenticate(std::string plugin, std::string scramble);
  std::string auth_response(std::string_view plugin, std::string_view scramble) const;
  bool secure_channel() const noexcept;

  // I/O (connection.cpp).
  /// The next payload in in_ (consumed, its sequence id checked), or nullopt when more bytes
  /// are needed. Inline (command_io.hpp) for the common case of a whole packet; the rest is
  /// next_buffered_slow.
  std::optional<Payload> next_buffered();
  std::optional<Payload> next_buffered_slow();
  /// The size the packet at the front of in_ needs (what fill() makes room for); a packet
  /// over max_payload_size throws ProtocolError and breaks the connection before the buffer
  /// grows for it.
  std::size_t fill_size();
  /// Reads more into in_ (an awaiter: no coroutine frame); a lost stream breaks the connection.
  protocol::ReceiveBuffer::FillAwaiter fill(ring::Deadline deadline);
  /// Reads more of the response being read into in_ (the caller then looks for a payload
  /// again, and calls it again while there is none): an awaiter with no coroutine frame in the
  /// common case; after a deadline or stop request, fill_interrupted(at), which throws. `at`:
  /// where the response stands when no payload is buffered.
  CommandFill fill_for_command(const Skip& at);
  /// True when the request just written can go out with exchange_for_command(): a plain
  /// socket, no interruption pending.
  bool can_exchange_for_command() const noexcept;
  /// The connection's own send of out_ (a request alone on the connection) and the first read
  /// of its response as one ring operation (one loop turn per round trip): a failed send
  /// breaks the connection; the read's deadline or stop is recorded as a fill's.
  CommandExchange exchange_for_command();
  /// The connection's own send of out_ without the read (TLS).
  ring::Task<void> send_alone();
  /// Gives the response being read up after a deadline or stop request: others wait for theirs
  /// behind it (it is read and dropped by the next reader from `at`), or it is killed and
  /// every response in flight drained. Throws QueryTimeout or ring::CancelledError.
  ring::Task<void> fill_interrupted(Skip at);
  ring::Task<Bytes> read_payload(Skip at);
  /// Sends out_ and clears it (an awaiter); any failure breaks the connection. Start-up only.
  protocol::SendAwaiter flush(ring::Deadline deadline);
  /// The holder's response was read whole.
  void end_command() noexcept { read_state_ = ReadState::kDone; }
  [[noreturn]] void fail_with(ServerErrorInfo info);

  // Pipelining (pipelining.cpp).
  static constexpr Ticket kNoTicket = ~Ticket{0};
  /// Throws unless the connection is usable and no stream is open (before writing a request).
  void check_ready() const {
    if (!is_usable() || stream_) [[unlikely]]
      throw_not_ready();
  }
  [[noreturn]] void throw_not_ready() const;
  /// Throws InterfaceError while calls are in flight (for what needs the connection alone).
  void check_alone() const;
  /// The read side goes to the call of ticket `t` (seq_ stays: a given-up response before its
  /// own may be read first from where it stands).
  void start_reading(Ticket t, ring::Deadline deadline) noexcept {
    ticket_ = t;
    deadline_ = deadline;
    caught_ = Interruption::kNone;
    read_state_ = ReadState::kReading;
  }
  /// True when the request just written is alone on the connection (nothing in flight, no send
  /// under way): it goes out with the connection's own send, and its caller reads its
  /// response (starting with sequence id `seq`) at once, without joining the queue (lone_).
  bool begin_alone(const QueryOptions& options, std::uint8_t seq) noexcept {
    if (lone_ || !pipeline_->empty() || pipeline_->sending()) return false;
    lone_ = true;
    start_reading(kNoTicket, options.deadline);
    seq_ = seq;
    return true;
  }
  /// Takes the read side for `t` when its turn has come (see Pipeline::try_read).
  bool try_read(Ticket t, const QueryOptions& options) noexcept {
    if (!pipeline_->try_read(t)) return false;
    start_reading(t, options.deadline);
    return true;
  }
  /// Joins the queue (with the request just written) behind the lone call, if one is in flight.
  Ticket join() {
    if (lone_) enqueue_lone();
    return pipeline_->join();
  }
  /// Puts the lone call in flight into the queue, at its front, holding the read side: what it
  /// does from now on is what a queued reader does.
  void enqueue_lone();
  /// Sends the request just written and waits until its response is due: alone (then `reading`
  /// is set and `t` stays kNoTicket), or joined as `t` (`reading` set once the read side is
  /// this call's, given-up responses before its own dropped); `start` and `seq`: how its
  /// response starts.
  ring::Task<void> send_request(Ticket& t, bool& reading, Skip::Phase start, std::uint8_t seq,
                                const QueryOptions& options);
  /// Records how the response to the request joined as `t` starts (should its caller give it
  /// up) and sends the request with the loop turn's others.
  void queue_request(Ticket t, Skip::Phase start, std::uint8_t seq);
  /// The call of `t` ran past its deadline waiting for its turn: gives its response up, throws
  /// QueryTimeout.
  [[noreturn]] void give_up_waiting(Ticket t);
  [[noreturn]] void throw_lost_in_flight() const;
  /// send_request() for a request joined as `t`, not alone on the connection.
  ring::Task<void> wait_for_reply(Ticket t, bool& reading, Skip::Phase start, std::uint8_t seq,
                                  const QueryOptions& options);
  /// The reader's response was read whole: it leaves the queue, and the read side goes to the
  /// next caller (who may run right here). Touches nothing of the reader's after.
  void finish_reply() noexcept {
    if (lone_) {  // never queued: nobody waits
      lone_ = false;
      return;
    }
    pop_front();
    pipeline_->release_read();
  }
  /// After a call failed (`t`: its ticket, kNoTicket when it did not join; `reading`: holding
  /// the read side): leaves the queue as the failure calls for and passes the read side on.
  void settle(Ticket t, bool reading) noexcept;
  void pop_front() noexcept {
    pipeline_->pop_front();
    ++front_ticket_;
  }
  Pending& pending(Ticket t) noexcept { return pending_[t & (pending_.size() - 1)]; }
  /// Reads the rest of the response at the front (given up) and drops it. `draining` (after a
  /// kill): its reads end by `drain_by`; else they are the reader's own (its deadline and stop
  /// request).
  ring::Task<void> drop_front(bool draining, ring::Deadline drain_by);
  /// Consumes `payload`, the next packet of the response standing at `at`.
  void skip(Skip& at, Bytes payload);
  /// Kills the running query and reads every response in flight, with sends held back;
  /// returns whether the connection stayed usable.
  ring::Task<bool> kill_and_drain();
  /// Answers a LOCAL INFILE request with an empty file (alone on the connection only).
  ring::Task<void> refuse_local_infile();

  // Commands (query.cpp).
  /// Reads `count` column definitions; returns `cached` when they are the same.
  ring::Task<std::shared_ptr<const std::vector<Column>>> read_columns(
      std::size_t count, std::shared_ptr<const std::vector<Column>> cached = nullptr);
  /// The columns of a result set of `count` columns whose definitions the server skipped
  /// (cached metadata): `statement`'s. Throws ProtocolError when it has none of that count.
  std::shared_ptr<const std::vector<Column>> skipped_columns(const Statement* statement,
                                                             std::size_t count) const;
  /// Reads the responses of a command into `results` (nullptr: drops them), or, with `single`
  /// (an empty Result), keeps the first result set (else the first OK) there; `statement`
  /// caches the columns.
  ring::Task<void> read_responses(std::vector<Result>* results, Format format,
                                  Result* single = nullptr, Statement* statement = nullptr);
  /// The execute fast path: when in_ holds the whole response to `s`'s COM_STMT_EXECUTE and it
  /// is one OK, or one result set whose column definitions were skipped (cached) ending the
  /// command, takes it into `result` (empty) and ends the command, with no coroutine frame.
  /// Returns false, having consumed nothing, for anything else (read_responses reads it).
  bool read_buffered_response(Result& result, const Statement& s);
  /// The cached statement for `sql`, prepared (by this call or, waited for, another), counted
  /// in use (hold()).
  ring::Task<Statement*> statement_for(std::string_view sql, const QueryOptions& options);
  /// Prepares `sql` (COM_STMT_PREPARE, a request of its own) into a new cache entry that other
  /// callers wait for meanwhile; returns it counted in use.
  ring::Task<Statement*> prepare(std::string_view sql, const QueryOptions& options);
  ring::Task<void> read_prepare_response(Statement& s, bool& got_id);
  /// The cached statement for `sql` (now the most recent), or nullptr.
  Statement* cached(std::string_view sql);
  /// Appends COM_STMT_EXECUTE; throws ClientError on a parameter count mismatch. Returns the
  /// sequence id of the response's first packet.
  std::uint8_t write_execute(const Statement& s, const Params& params);
  ring::Task<void> simple_command(std::uint8_t command, const QueryOptions& options);
  /// Takes `s` out of the cache; it is closed on the server once no call in flight uses it.
  void forget(Statement& s);
  /// Writes COM_STMT_CLOSE for `s` when it was prepared.
  void close_on_server(const Statement& s);
  /// Counts a call in flight using `s` (never closed nor freed meanwhile) ...
  static void hold(Statement& s) noexcept;
  /// ... and its end (inline, prepared.hpp).
  void unhold(Statement& s);
  /// Closes and frees a retired statement no call uses any more.
  void free_retired(Statement& s);
  // Streams (stream.cpp): reads up to max_rows rows into `batch` (nullptr: drop them).
  ring::Task<bool> read_stream(Result* batch, std::size_t max_rows);

  ring::Loop* loop_;
  ConnectOptions options_;
  protocol::Transport transport_;
  protocol::ReceiveBuffer in_;
  Reassembler reassembler_;
  std::string out_;       // requests being written
  std::string wire_;      // requests being sent by the connection's own sends
  std::uint8_t seq_ = 0;  // the sequence id the next packet carries
  bool broken_ = false;

  std::uint64_t capabilities_ = 0;
  std::uint32_t connection_id_ = 0;
  std::string server_version_;
  bool mariadb_ = false;
  std::string auth_plugin_;
  std::uint16_t status_flags_ = 0;

  // The responses in flight, and the sender of the requests.
  std::unique_ptr<protocol::Pipeline> pipeline_;
  // How the responses queued behind others start (circular, indexed by ticket; a power of two
  // in size). A request alone on the connection records none: its caller reads it from the
  // start, or leaves front_ behind.
  std::vector<Pending> pending_;
  Ticket front_ticket_ = 0;  // the ticket at the front of the queue
  // The front response was partly read by a caller who gave up: where it stands (seq_ too).
  std::optional<Skip> front_;
  // The holder of the read side: its ticket, deadline and state, and a fill's deadline or stop
  // request not acted upon yet.
  Ticket ticket_ = 0;
  ring::Deadline deadline_ = ring::kNoDeadline;
  ReadState read_state_ = ReadState::kDone;
  Interruption caught_ = Interruption::kNone;
  // A call alone on the connection is in flight, not in the queue (joining costs more than its
  // whole round trip's book-keeping otherwise); it reads, and joins once another call does.
  bool lone_ = false;
  bool own_send_ = false;  // its request is being sent with exchange_for_command()
  // Calls waiting for another call's prepare of their statement.
  std::uint32_t prepare_waiters_ = 0;

  RowValues row_scratch_;

  // The open row stream: the header (columns, or the OK of a statement without rows) each
  // batch starts from, and whether the end was already read.
  struct Stream {
    Result header{};
    bool ended = false;
  };
  std::optional<Stream> stream_;

  // The statement cache: LRU list (front = most recent) indexed by SQL.
  std::unique_ptr<StatementList> statements_;
  absl::flat_hash_map<std::string, StatementList::iterator> cache_;
  // Statements forgotten while calls in flight still use them; closed and freed when the last
  // is done.
  std::unique_ptr<StatementList> retired_;
};

}  // namespace tern::mysql
