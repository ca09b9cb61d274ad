// The observers' side of a database: spans for the tracer and the query hook, metrics, and
// their Prometheus text.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "observer.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern {

std::string_view to_string(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::kQuery:
      return "query";
    case SpanKind::kStream:
      return "stream";
    case SpanKind::kTransaction:
      return "transaction";
    case SpanKind::kConnect:
      return "connect";
    case SpanKind::kAcquireWait:
      return "acquire_wait";
    case SpanKind::kFailover:
      return "failover";
  }
  return "unknown";
}

std::size_t LatencyHistogram::bucket_of(std::chrono::nanoseconds duration) noexcept {
  const double seconds = std::chrono::duration<double>(duration).count();
  return static_cast<std::size_t>(std::lower_bound(kBounds.begin(), kBounds.end(), seconds) -
                                  kBounds.begin());
}

void LatencyHistogram::observe(std::chrono::nanoseconds duration) noexcept {
  ++buckets[bucket_of(duration)];
  sum += duration;
}

namespace {

// Shortest round-trip form, as Prometheus clients print floats.
std::string number(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// A label value, escaped as the exposition format requires.
std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_one(std::string& out, std::string_view part) {
  out += part;
}
void append_one(std::string& out, std::uint64_t n) {
  out += std::to_string(n);
}
// absl::StrAppend, for the std::string_views Debian's abseil does not take.
template <class... Parts>
void append(std::string& out, const Parts&... parts) {
  (append_one(out, parts), ...);
}

}  // namespace

std::string DatabaseMetrics::to_prometheus() const {
  std::string db;
  append(db, "db_system_name=\"", label_value(db_system_name), "\",db_namespace=\"",
         label_value(db_namespace), "\"");
  std::string out;
  append(out,
         "# HELP db_client_operation_duration_seconds Duration of database client "
         "operations.\n# TYPE db_client_operation_duration_seconds histogram\n");
  for (std::size_t k = 0; k < kSpanKinds; ++k) {
    const OperationMetrics& op = operations[k];
    std::string labels;
    append(labels, db, ",kind=\"", to_string(static_cast<SpanKind>(k)), "\"");
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= LatencyHistogram::kBounds.size(); ++b) {
      cumulative += op.latency.buckets[b];
      const std::string le =
          b < LatencyHistogram::kBounds.size() ? number(LatencyHistogram::kBounds[b]) : "+Inf";
      append(out, "db_client_operation_duration_seconds_bucket{", labels, ",le=\"", le, "\"} ",
             cumulative, "\n");
    }
    append(out, "db_client_operation_duration_seconds_sum{", labels, "} ",
           number(std::chrono::duration<double>(op.latency.sum).count()), "\n",
           "db_client_operation_duration_seconds_count{", labels, "} ", cumulative, "\n");
  }
  const auto counter = [&](std::string_view name, std::string_view help, auto value_of) {
    append(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (std::size_t k = 0; k < kSpanKinds; ++k) {
      append(out, name, "{", db, ",kind=\"", to_string(static_cast<SpanKind>(k)), "\"} ",
             value_of(operations[k]), "\n");
    }
  };
  counter("tern_db_operations_total", "Database operations that ended, by kind.",
          [](const OperationMetrics& op) { return op.count; });
  counter("tern_db_operation_errors_total", "Database operations that failed, by kind.",
          [](const OperationMetrics& op) { return op.errors; });
  const auto metric = [&](std::string_view name, std::string_view type, std::string_view help,
                          const auto& value) {
    append(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, "{", db, "} ",
           value, "\n");
  };
  append(out,
         "# HELP tern_db_pool_connections Pooled connections by state.\n"
         "# TYPE tern_db_pool_connections gauge\n",
         "tern_db_pool_connections{", db, ",state=\"idle\"} ", pool.idle, "\n",
         "tern_db_pool_connections{", db, ",state=\"in_use\"} ", pool.in_use, "\n");
  metric("tern_db_pool_size", "gauge", "Connections open, being opened or cleaned.", pool.size);
  metric("tern_db_pool_max_connections", "gauge", "The pool's max_connections.",
         pool.max_connections);
  metric("tern_db_pool_waiters", "gauge", "Acquires waiting for a connection now.", pool.waiters);
  metric("tern_db_pool_shared_connections", "gauge",
         "Connections carrying several pipelined statements now.", pool.shared);
  metric("tern_db_pool_connections_created_total", "counter", "Connections opened.", pool.created);
  metric("tern_db_pool_connect_errors_total", "counter", "Connection attempts that failed.",
         pool.connect_errors);
  metric("tern_db_pool_discarded_total", "counter",
         "Connections closed as broken, stale, recycled or surplus.", pool.discarded);
  metric("tern_db_pool_acquired_total", "counter", "Successful acquires.", pool.acquired);
  metric("tern_db_pool_queued_total", "counter", "Acquires that had to wait.", pool.queued);
  metric("tern_db_pool_timeouts_total", "counter", "Acquires that ended in PoolTimeout.",
         pool.timeouts);
  metric("tern_db_pool_pipelined_total", "counter",
         "Statements sent on a connection already carrying another.", pool.pipelined);
  metric("tern_db_pool_wait_seconds_total", "counter", "Time queued acquires spent waiting.",
         number(std::chrono::duration<double>(pool.wait_time).count()));
  return out;
}

namespace detail {

Observer::Observer(Dialect dialect, const std::string& db_namespace) noexcept
    : system_(dialect == Dialect::kPostgres ? "postgresql"
              : dialect == Dialect::kMysql  ? "mysql"
                                            : "sqlite"),
      namespace_(db_namespace) {}

void Observer::set_hook(QueryHook hook, bool with_params) {
  hook_ = std::move(hook);
  hook_params_ = with_params;
  update_active();
}

void Observer::set_tracer(std::shared_ptr<Tracer> tracer, bool with_params) {
  tracer_ = std::move(tracer);
  tracer_params_ = with_params;
  update_active();
}

void Observer::enable_metrics(bool on) noexcept {
  metrics_on_ = on;
  update_active();
}

void Observer::Counters::add(std::chrono::nanoseconds duration, bool failed) noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  count.fetch_add(1, relaxed);
  if (failed) errors.fetch_add(1, relaxed);
  buckets[LatencyHistogram::bucket_of(duration)].fetch_add(1, relaxed);
  sum_ns.fetch_add(duration.count(), relaxed);
}

OperationMetrics Observer::Counters::read() const noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  OperationMetrics m{.count = count.load(relaxed), .errors = errors.load(relaxed), .latency = {}};
  for (std::size_t i = 0; i < buckets.size(); ++i)
    m.latency.buckets[i] = buckets[i].load(relaxed);
  m.latency.sum = std::chrono::nanoseconds(sum_ns.load(relaxed));
  return m;
}

DatabaseMetrics Observer::metrics(const PoolStats& pool) const {
  DatabaseMetrics m{.db_system_name = std::string(system_),
                    .db_namespace = namespace_,
                    .operations = {},
                    .pool = pool};
  for (std::size_t k = 0; k < kSpanKinds; ++k)
    m.operations[k] = operations_[k].read();
  return m;
}

Observer::Span::Span(const Observer& observer, SpanKind kind, std::string_view sql,
                     std::span<const Value> params, std::string_view address,
                     std::uint16_t port) noexcept
    : observer_(observer), params_(params), since_(std::chrono::steady_clock::now()) {
  // db.operation.name: the first keyword, when it fits (BEGIN, SELECT, SAVEPOINT...).
  std::size_t i = sql.find_first_not_of(" \t\r\n(");
  std::size_t n = 0;
  for (;
       i < sql.size() && n < operation_.size() && std::isalpha(static_cast<unsigned char>(sql[i]));
       ++i, ++n) {
    operation_[n] = static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
  }
  const bool whole_word = i >= sql.size() || !std::isalpha(static_cast<unsigned char>(sql[i]));
  start_ = SpanStart{
      .kind = kind,
      .db_system_name = observer.system_,
      .db_namespace = observer.namespace_,
      .db_operation_name = whole_word ? std::string_view(operation_.data(), n) : std::string_view(),
      .db_query_text = sql,
      .params = observer.tracer_params_ ? params : std::span<const Value>(),
      .server_address = address,
      .server_port = port};
  if (observer.tracer_) context_ = observer.tracer_->start(start_);
}

void Observer::Span::end(std::uint64_t rows, const std::exception_ptr& error) noexcept {
  const auto duration = std::chrono::steady_clock::now() - since_;
  const std::size_t k = static_cast<std::size_t>(start_.kind);
  if (observer_.metrics_on_) observer_.operations_[k].add(duration, error != nullptr);
  if (observer_.tracer_) {
    std::string status;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const DatabaseError& e) {  // MySQL: the error number, not its SQLSTATE
        status = e.info().code != 0 ? std::to_string(e.info().code) : e.sqlstate();
      } catch (...) {
      }
    }
    observer_.tracer_->end(
        context_, start_,
        SpanEnd{
            .duration = duration, .rows = rows, .db_response_status_code = status, .error = error});
  }
  if (observer_.hook_ && k <= static_cast<std::size_t>(SpanKind::kTransaction)) {
    const QueryEvent event{.sql = start_.db_query_text,
                           .params = observer_.hook_params_ ? params_ : std::span<const Value>(),
                           .param_count = params_.size(),
                           .duration = duration,
                           .rows = rows,
                           .error = error};
    try {
      observer_.hook_(event);
    } catch (...) {  // a hook must not change the query's outcome
    }
  }
}

}  // namespace detail
}  // namespace tern
