// Observing a database (tern/db/observe.hpp, tern/ring/log.hpp): the tracer's spans with their
// OpenTelemetry attributes, metrics and their Prometheus text, and what the logger is told
// (PostgreSQL notices, MySQL warnings), on both backends.
#include "tern/db/observe.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "database_fixture.hpp"
#include "tern/db/database.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/log.hpp"
#include "tern/ring/ring.hpp"

namespace tern {
namespace {

using ring::Task;

// What one span looked like, copied (the tracer's views live only during the call).
struct Recorded {
  SpanKind kind = SpanKind::kQuery;
  std::string system, ns, operation, query, address, status;
  std::uint16_t port = 0;
  std::size_t params = 0;
  std::uint64_t rows = 0;
  bool failed = false;
  bool ended = false;
};

// Hands out its own records as the span contexts, as a tracer hands out its span objects.
class RecordingTracer : public Tracer {
 public:
  void* start(const SpanStart& s) noexcept override {
    auto r = std::make_unique<Recorded>();
    r->kind = s.kind;
    r->system = s.db_system_name;
    r->ns = s.db_namespace;
    r->operation = s.db_operation_name;
    r->query = s.db_query_text;
    r->params = s.params.size();
    spans.push_back(std::move(r));
    return spans.back().get();
  }
  void end(void* context, const SpanStart& s, const SpanEnd& e) noexcept override {
    auto* r = static_cast<Recorded*>(context);
    r->address = std::string(s.server_address);
    r->port = s.server_port;
    r->status = std::string(e.db_response_status_code);
    r->rows = e.rows;
    r->failed = e.error != nullptr;
    r->ended = true;
  }
  std::vector<const Recorded*> of(SpanKind kind) const {
    std::vector<const Recorded*> out;
    for (const auto& r : spans)
      if (r->kind == kind) out.push_back(r.get());
    return out;
  }
  std::vector<std::unique_ptr<Recorded>> spans;
};

struct LogRecord {
  LogLevel level;
  std::string component, message;
};

class Observe : public Database {
 protected:
  void TearDown() override { set_logger(nullptr); }
  bool pg() const { return GetParam() == Dialect::kPostgres; }
  void capture_log() {
    set_logger(
        [this](LogLevel level, std::string_view component, std::string_view message) {
          records.push_back({level, std::string(component), std::string(message)});
        },
        LogLevel::debug);
  }
  std::vector<LogRecord> records;
};

TEST_P(Observe, TracerSeesConnectsStatementsAndTransactions) {
  auto db = make();
  auto tracer = std::make_shared<RecordingTracer>();
  db->set_tracer(tracer);
  run(db->aio_connect());
  run(db->aio_execute("SELECT 1 UNION ALL SELECT " + p(1), 2));
  EXPECT_THROW(run(db->aio_execute("SELECT * FROM no_such_table_ob")), ProgrammingError);
  run(db->aio_atomic([&]() -> Task<void> { co_await db->aio_execute("SELECT 1"); }));

  const auto connects = tracer->of(SpanKind::kConnect);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_TRUE(connects[0]->ended);
  EXPECT_FALSE(connects[0]->address.empty());  // the host reached, known at the end
  EXPECT_NE(connects[0]->port, 0);
  EXPECT_TRUE(connects[0]->query.empty());

  const auto queries = tracer->of(SpanKind::kQuery);
  ASSERT_EQ(queries.size(), 3u);
  const Recorded& select = *queries[0];
  EXPECT_EQ(select.system, pg() ? "postgresql" : "mysql");
  EXPECT_EQ(select.ns, db->database());
  EXPECT_EQ(select.operation, "SELECT");
  EXPECT_EQ(select.query, "SELECT 1 UNION ALL SELECT " + p(1));
  EXPECT_EQ(select.params, 0u);  // redacted without with_params
  EXPECT_EQ(select.rows, 2u);
  EXPECT_EQ(select.address, connects[0]->address);
  EXPECT_EQ(select.port, connects[0]->port);
  EXPECT_TRUE(select.status.empty());
  EXPECT_FALSE(select.failed);
  // db.response.status_code: the SQLSTATE or the MySQL error number.
  EXPECT_TRUE(queries[1]->failed);
  EXPECT_EQ(queries[1]->status, pg() ? "42P01" : "1146");

  const auto control = tracer->of(SpanKind::kTransaction);
  ASSERT_EQ(control.size(), 2u);
  EXPECT_EQ(control[0]->operation, "BEGIN");
  EXPECT_EQ(control[1]->operation, "COMMIT");
  for (const auto& r : tracer->spans)
    EXPECT_TRUE(r->ended) << to_string(r->kind);

  // The values with with_params; none once the tracer is removed.
  db->set_tracer(tracer, true);
  run(db->aio_execute("SELECT " + p(1), 7));
  EXPECT_EQ(tracer->spans.back()->params, 1u);
  const std::size_t seen = tracer->spans.size();
  db->set_tracer(nullptr);
  run(db->aio_execute("SELECT 1"));
  EXPECT_EQ(tracer->spans.size(), seen);
  run(db->aio_close());
}

TEST_P(Observe, AnAcquireThatWaitsIsASpan) {
  auto db = make({.max_connections = 1});
  auto tracer = std::make_shared<RecordingTracer>();
  run(db->aio_connect());
  db->set_tracer(tracer);
  // One task holds the only connection while another's statement waits for it.
  run([](AioDatabase& d) -> Task<void> {
    ring::TaskGroup group(*ring::Loop::current());
    ring::spawn(
        group,
        [](AioDatabase& dd) -> Task<void> {
          co_await dd.aio_connection([&]() -> Task<void> {
            co_await dd.aio_execute("SELECT 1");
            co_await ring::sleep_for(*ring::Loop::current(), std::chrono::milliseconds(50));
          });
        },
        std::ref(d));
    ring::spawn(
        group, [](AioDatabase& dd) -> Task<void> { co_await dd.aio_execute("SELECT 2"); },
        std::ref(d));
    co_await group.join();
  }(*db));
  const auto waits = tracer->of(SpanKind::kAcquireWait);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_TRUE(waits[0]->ended);
  EXPECT_FALSE(waits[0]->failed);
  EXPECT_EQ(tracer->of(SpanKind::kQuery).size(), 2u);
  run(db->aio_close());
}

TEST_P(Observe, MetricsCountPerKindAndReadAsPrometheusText) {
  auto db = make();
  db->enable_metrics();
  for (int i = 0; i < 5; ++i)
    run(db->aio_execute("SELECT " + p(1), i));
  EXPECT_THROW(run(db->aio_execute("SELECT * FROM no_such_table_ob")), ProgrammingError);
  run(db->aio_atomic([&]() -> Task<void> { co_await db->aio_execute("SELECT 1"); }));
  const DatabaseMetrics m = db->metrics();
  EXPECT_EQ(m.of(SpanKind::kQuery).count, 7u);
  EXPECT_EQ(m.of(SpanKind::kQuery).errors, 1u);
  EXPECT_EQ(m.of(SpanKind::kTransaction).count, 2u);
  EXPECT_EQ(m.of(SpanKind::kConnect).count, 1u);
  std::uint64_t in_buckets = 0;
  for (const std::uint64_t n : m.of(SpanKind::kQuery).latency.buckets)
    in_buckets += n;
  EXPECT_EQ(in_buckets, 7u);
  EXPECT_GT(m.of(SpanKind::kQuery).latency.sum.count(), 0);
  EXPECT_EQ(m.pool.acquired, db->pool_stats().acquired);

  const std::string text = m.to_prometheus();
  const std::string labels = std::string("db_system_name=\"") + (pg() ? "postgresql" : "mysql") +
                             "\",db_namespace=\"" + db->database() + "\"";
  for (const std::string& line : std::vector<std::string>{
           "# TYPE db_client_operation_duration_seconds histogram",
           "db_client_operation_duration_seconds_bucket{" + labels +
               ",kind=\"query\",le=\"+Inf\"} 7",
           "db_client_operation_duration_seconds_count{" + labels + ",kind=\"query\"} 7",
           "tern_db_operations_total{" + labels + ",kind=\"transaction\"} 2",
           "tern_db_operation_errors_total{" + labels + ",kind=\"query\"} 1",
           "tern_db_pool_connections{" + labels + ",state=\"idle\"} 1",
           "tern_db_pool_connections_created_total{" + labels + "} 1"}) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\nin:\n" << text;
  }
  // Stopped: the counts stay as they were.
  db->enable_metrics(false);
  run(db->aio_execute("SELECT 1"));
  EXPECT_EQ(db->metrics().of(SpanKind::kQuery).count, 7u);
  run(db->aio_close());
}

TEST_P(Observe, NoticesAndWarningsReachTheLoggerAndTheResult) {
  auto db = make();
  capture_log();
  if (pg()) {
    const ResultSet r = run(
        db->aio_execute("DO $$BEGIN RAISE NOTICE 'hello %', 1; RAISE WARNING 'careful'; END$$"));
    ASSERT_EQ(r.notices().size(), 2u);
    EXPECT_EQ(r.notices()[0].severity, "NOTICE");
    EXPECT_EQ(r.notices()[0].message, "hello 1");
    EXPECT_EQ(r.notices()[1].severity, "WARNING");
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].level, LogLevel::info);
    EXPECT_EQ(records[0].component, "pg");
    EXPECT_EQ(records[0].message, "NOTICE:  hello 1");
    EXPECT_EQ(records[1].level, LogLevel::warning);
    // The next statement's result does not inherit them.
    EXPECT_TRUE(run(db->aio_execute("SELECT 1")).notices().empty());
  } else {
    const ResultSet r = run(db->aio_execute("SELECT CAST('12abc' AS SIGNED)"));
    EXPECT_EQ(r.warning_count(), 1u);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].level, LogLevel::warning);
    EXPECT_EQ(records[0].component, "mysql");
    EXPECT_NE(records[0].message.find("1 warning"), std::string::npos) << records[0].message;
    EXPECT_EQ(run(db->aio_execute("SELECT 1")).warning_count(), 0u);
  }
  run(db->aio_close());
}

TEST_P(Observe, ThePoolLogsBrokenConnectionsAndFailedConnects) {
  auto db = make();
  auto killer = make();
  capture_log();
  const auto id = run(db->aio_execute(session_id_sql())).row(0).get<std::int64_t>(0);
  run(killer->aio_execute(kill_sql(id)));
  // The killed session fails its statement (or its liveness check first); either way the
  // connection is not reused silently.
  try {
    run(db->aio_execute("SELECT 1"));
  } catch (const Error&) {
  }
  run(db->aio_execute("SELECT 1"));
  bool broken_logged = false;
  for (const LogRecord& r : records) {
    if (r.component == "pool" && (r.message.find("came back broken") != std::string::npos ||
                                  r.message.find("was closed by the server") != std::string::npos))
      broken_logged = true;
  }
  EXPECT_TRUE(broken_logged);
  records.clear();
  auto unreachable = testing::make_database(GetParam(), {}, {.via_port = 1});
  EXPECT_THROW(run(unreachable->aio_execute("SELECT 1")), Error);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back().component, "pool");
  EXPECT_EQ(records.back().level, LogLevel::warning);
  EXPECT_NE(records.back().message.find("could not open a connection"), std::string::npos)
      << records.back().message;
  run(db->aio_close());
  run(killer->aio_close());
}

INSTANTIATE_TEST_SUITE_P(Backends, Observe, ::testing::Values(Dialect::kPostgres, Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == Dialect::kPostgres ? "Postgres" : "MySQL";
                         });

}  // namespace
}  // namespace tern
