// Observing a database: a tracer that sees each operation start and end (statements,
// transaction control, connects, waits for a pooled connection, a replica skipped), and
// metrics counted per operation kind, readable as a struct or as Prometheus text.
//
// Attribute names follow OpenTelemetry's database semantic conventions, so a tracer can hand
// them to an OpenTelemetry span as they are. Nothing here costs anything until a tracer is
// installed or metrics are enabled (AioDatabase::set_tracer, AioDatabase::enable_metrics).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tern/db/pool.hpp"
#include "tern/db/value.hpp"

namespace tern {

/// What the query hook (AioDatabase::set_query_hook) is told about one statement, after it ran.
struct QueryEvent {
  /// The statement as sent.
  std::string_view sql;
  /// The bound values when the hook was installed with `with_params`; empty otherwise
  /// (values are redacted by default: they may be passwords or personal data).
  std::span<const Value> params{};
  /// How many values were bound.
  std::size_t param_count = 0;
  /// From sending the statement to its last row (the wait for a connection excluded).
  std::chrono::nanoseconds duration{};
  /// Rows returned, or affected when it returned none.
  std::uint64_t rows = 0;
  /// The statement's failure; null when it succeeded.
  std::exception_ptr error{};
};

/// Called after each statement; it must not throw (an exception from it is swallowed).
using QueryHook = std::function<void(const QueryEvent&)>;

/// What one traced operation is.
enum class SpanKind {
  kQuery,        ///< a statement with bound parameters (aio_execute, the ORM, execute_sql)
  kStream,       ///< opening a row stream (aio_stream): until its first rows
  kTransaction,  ///< BEGIN, COMMIT, ROLLBACK, SAVEPOINT or RELEASE run by a transaction scope
  kConnect,      ///< opening one connection of the pool
  kAcquireWait,  ///< an acquire that had to wait for a pooled connection (warm ones make none)
  kFailover,     ///< a read replica that could not be reached, skipped for the next one
};

/// How many SpanKind values there are.
inline constexpr std::size_t kSpanKinds = 6;

/// The kind's lower-case name: "query", "stream", "transaction", "connect", "acquire_wait",
/// "failover".
std::string_view to_string(SpanKind kind) noexcept;

/// An operation as it starts.
struct SpanStart {
  /// What is traced.
  SpanKind kind = SpanKind::kQuery;
  /// db.system.name: "postgresql" or "mysql" (MariaDB included).
  std::string_view db_system_name;
  /// db.namespace: the database name.
  std::string_view db_namespace;
  /// db.operation.name: the statement's first keyword, upper-cased ("SELECT", "COMMIT");
  /// empty for a connect, a wait or a failover.
  std::string_view db_operation_name;
  /// db.query.text: the statement as sent; its values are placeholders ($1, ?), never spliced.
  std::string_view db_query_text;
  /// The bound values, when the tracer was installed `with_params`; empty otherwise (they may
  /// be passwords or personal data).
  std::span<const Value> params;
  /// server.address: the host (or Unix socket directory) of the connection the statement runs
  /// on; for a connect, empty at start() and the host reached at end() (when it succeeded);
  /// empty for a wait and a failover (its error names the replica's address).
  std::string_view server_address;
  /// server.port (0 when unknown).
  std::uint16_t server_port = 0;
};

/// How an operation ended.
struct SpanEnd {
  /// From start to end.
  std::chrono::nanoseconds duration{};
  /// db.response.returned_rows: rows returned, or affected when the statement returned none.
  std::uint64_t rows = 0;
  /// db.response.status_code: the SQLSTATE (PostgreSQL) or error number (MySQL) of a server
  /// error; empty on success and for failures the client detected (timeouts, lost
  /// connections).
  std::string_view db_response_status_code;
  /// The failure (error.type: the exception's class); null on success.
  std::exception_ptr error;
};

/// Receives every traced operation of the databases it is installed on. Called on the loop
/// thread that runs the operation; both calls must be cheap and must not throw (an exception
/// is swallowed). Operations of concurrent tasks interleave: tie start to end by the context.
class Tracer {
 public:
  virtual ~Tracer() = default;
  /// An operation starts. The pointer returned (the caller's own span object, say; may be
  /// null) is handed back to end() for this operation.
  virtual void* start(const SpanStart& span) noexcept = 0;
  /// The operation `start` returned `context` for has ended. `span` is the same description.
  virtual void end(void* context, const SpanStart& span, const SpanEnd& outcome) noexcept = 0;
};

/// Durations of one operation kind, in Prometheus' cumulative-bucket shape.
struct LatencyHistogram {
  /// The buckets' upper bounds in seconds (100 µs to 10 s); a last bucket holds the rest.
  static constexpr std::array<double, 14> kBounds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0};
  /// Observations per bucket (not cumulative); buckets[kBounds.size()] counts the slower ones.
  std::array<std::uint64_t, kBounds.size() + 1> buckets{};
  /// Every observation's duration, summed.
  std::chrono::nanoseconds sum{};
  /// Counts one duration.
  void observe(std::chrono::nanoseconds duration) noexcept;
  /// The index in `buckets` that `duration` counts in.
  static std::size_t bucket_of(std::chrono::nanoseconds duration) noexcept;
};

/// The metrics of one operation kind.
struct OperationMetrics {
  std::uint64_t count = 0;   ///< operations that ended
  std::uint64_t errors = 0;  ///< of which failed
  LatencyHistogram latency;  ///< their durations
};

/// A database's metrics (AioDatabase::metrics()).
struct DatabaseMetrics {
  /// "postgresql" or "mysql".
  std::string db_system_name;
  /// The database name.
  std::string db_namespace;
  /// Per SpanKind, indexed by its value.
  std::array<OperationMetrics, kSpanKinds> operations{};
  /// The pool's counters and gauges at the time of reading.
  PoolStats pool{};
  /// The metrics of one kind.
  const OperationMetrics& of(SpanKind kind) const noexcept {
    return operations[static_cast<std::size_t>(kind)];
  }
  /// The Prometheus text exposition format (version 0.0.4) of these metrics: a histogram
  /// `db_client_operation_duration_seconds` and counters `tern_db_operations_total` /
  /// `tern_db_operation_errors_total` labelled by kind, and the pool's gauges and counters
  /// (`tern_db_pool_*`), each labelled with db_system_name and db_namespace. Serve it from the
  /// application's own HTTP endpoint; tern has no server.
  std::string to_prometheus() const;
};

}  // namespace tern
