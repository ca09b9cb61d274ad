// A MySQL/MariaDB connection: the codecs of protocol/mysql bound to a ring socket (the only
// I/O of the MySQL protocol layer). One command at a time; callers (the pool) serialise access.
// https://mariadb.com/kb/en/clientserver-protocol/
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
#include "tern/protocol/mysql/conninfo.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/result.hpp"
#include "tern/protocol/mysql/statement.hpp"
#include "tern/protocol/receive_buffer.hpp"
#include "tern/protocol/transport.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::mysql {

/// Options of one command.
struct QueryOptions {
  /// The command must finish by then; on expiry the server is asked to KILL QUERY it (from a
  /// side connection) and the caller gets QueryTimeout.
  ring::Deadline deadline = ring::kNoDeadline;
};

/// Parameters of a prepared statement, encoded as they are added (values never appear in
/// the SQL text).
using Params = StmtParams;

/// A connection to one MySQL or MariaDB server. Move-only; not thread-safe; one command at a
/// time. After ConnectionLost or a ProtocolError it is not is_usable(): close it and open
/// another.
///
/// Errors: server errors throw the DatabaseError subclass their error number and SQLSTATE call
/// for (the connection stays usable); a broken stream or a killed session throws
/// ConnectionLost; bytes that break the protocol throw protocol::ProtocolError; a passed
/// deadline throws QueryTimeout once the killed query's response was read (usable) or the
/// budget for that ran out (not usable); a stop request on the task throws ring::CancelledError
/// after the same clean-up.
class Connection {
 public:
  /// Connects, negotiates TLS per options.ssl_mode, authenticates (mysql_native_password,
  /// caching_sha2_password, client_ed25519, mysql_clear_password over TLS). Throws
  /// ConnectionLost (cannot connect, TLS failure, timeout), OperationalError (e.g. access
  /// denied: 1045) or ClientError (an authentication plugin tern lacks, TLS required but not
  /// offered, a cleartext password without TLS).
  static ring::Task<Connection> connect(ring::Loop& loop, ConnectOptions options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs `sql` as a text query (COM_QUERY) and returns one Result per result set or OK
  /// (several with options().multi_statements or a CALL). An error throws once the response
  /// has been read.
  ring::Task<std::vector<Result>> query(std::string_view sql, QueryOptions options = {});

  /// Runs `sql` with `?` parameters as a server-side prepared statement, cached per
  /// connection (LRU), with binary results. A CALL's further result sets are read and dropped.
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

  /// COM_PING: checks that the server answers.
  ring::Task<void> ping(QueryOptions options = {});
  /// COM_RESET_CONNECTION: ends any transaction, drops temporary tables, user variables and
  /// prepared statements (the statement cache is emptied too), keeps the session logged in.
  ring::Task<void> reset(QueryOptions options = {});

  /// Kills the running query of this connection (KILL QUERY from a new connection). Safe to
  /// call from another task while a command is pending.
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
  enum class Interruption { kNone, kTimeout, kCancelled };
  // Awaiters of the command path, defined in protocol/src/mysql/command_io.hpp.
  class CommandFill;
  class CommandExchange;

  Connection(ring::Loop& loop, ConnectOptions options);

  // Start-up (startup.cpp).
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
  ring::Task<void> fill_task(ring::Deadline deadline);
  /// Reads more of the command's response into in_ (the caller then looks for a payload again,
  /// and calls it again while there is none): an awaiter with no coroutine frame in the common
  /// case; after a deadline or stop request, a task that sends the KILL QUERY and then drains.
  CommandFill fill_for_command();
  /// True when the command's request can go out with exchange_for_command(): a plain socket,
  /// no interruption pending.
  bool can_exchange_for_command() const noexcept;
  /// flush() then fill_for_command() as one ring operation (one loop turn per round trip): a
  /// failed send breaks the connection; the read's deadline or stop is recorded as a fill's.
  CommandExchange exchange_for_command();
  ring::Task<void> fill_interrupted();
  ring::Task<Bytes> read_payload();
  /// Sends out_ and clears it (an awaiter); any failure breaks the connection.
  protocol::SendAwaiter flush(ring::Deadline deadline);
  void begin_command(const QueryOptions& options) noexcept;
  void end_command();
  void abandon_command() noexcept;
  [[noreturn]] void fail_with(ServerErrorInfo info);

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
  ring::Task<Statement*> prepare(std::string_view sql);
  /// The cached statement for `sql` (now the most recent), or nullptr.
  Statement* cached(std::string_view sql);
  /// Appends COM_STMT_EXECUTE; throws ClientError (command ended) on a parameter count mismatch.
  void write_execute(const Statement& s, const Params& params);
  ring::Task<Statement*> send_execute(std::string_view sql, const Params& params);
  ring::Task<void> simple_command(std::uint8_t command);
  void forget(Statement& s);
  void refuse_while_streaming() const;
  // Streams (stream.cpp): reads up to max_rows rows into `batch` (nullptr: drop them).
  ring::Task<bool> read_stream(Result* batch, std::size_t max_rows);

  ring::Loop* loop_;
  ConnectOptions options_;
  protocol::Transport transport_;
  protocol::ReceiveBuffer in_;
  Reassembler reassembler_;
  std::string out_;
  std::uint8_t seq_ = 0;  // the sequence id the next packet carries
  bool broken_ = false;

  std::uint64_t capabilities_ = 0;
  std::uint32_t connection_id_ = 0;
  std::string server_version_;
  bool mariadb_ = false;
  std::string auth_plugin_;
  std::uint16_t status_flags_ = 0;

  // The command in progress: its deadline and whether it was interrupted.
  ring::Deadline deadline_ = ring::kNoDeadline;
  ring::Deadline drain_deadline_ = ring::kNoDeadline;
  Interruption interruption_ = Interruption::kNone;
  Interruption caught_ = Interruption::kNone;  // a fill's deadline or stop, not yet acted upon
  bool kill_unconfirmed_ = false;  // KILL QUERY sent but not confirmed: discard after the command
  bool in_command_ = false;        // a command was sent and its response is not fully read

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
};

}  // namespace tern::mysql
