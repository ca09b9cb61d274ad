// Observing a database (docs/observability.md): the logger, a tracer printing each
// operation as it ends, and metrics printed in Prometheus' text format, as a service's
// /metrics endpoint would serve them.
//   build/examples/doc-observability postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

/// [logger]
void install_logger() {
  // Silent by default: tern writes nothing until the application installs a logger. PostgreSQL
  // notices, MySQL warnings, skipped replicas and I/O fallbacks are reported here.
  tern::set_logger(
      [](tern::LogLevel level, std::string_view component, std::string_view message) {
        std::printf("[%s %.*s] %.*s\n", std::string(tern::to_string(level)).c_str(),
                    static_cast<int>(component.size()), component.data(),
                    static_cast<int>(message.size()), message.data());
      },
      tern::LogLevel::info);
}
/// [logger]

/// [tracer]
// A tracer's start() returns the context its end() gets back: an OpenTelemetry tracer would
// start a span there (the attributes carry the semantic conventions' names) and end it here.
class PrintingTracer : public tern::Tracer {
 public:
  void* start(const tern::SpanStart&) noexcept override { return nullptr; }
  void end(void*, const tern::SpanStart& span, const tern::SpanEnd& outcome) noexcept override {
    std::string line(tern::to_string(span.kind));
    if (!span.db_operation_name.empty()) line += " " + std::string(span.db_operation_name);
    line += " rows=" + std::to_string(outcome.rows);
    if (outcome.error) line += " error=" + std::string(outcome.db_response_status_code);
    std::printf("%s\n", line.c_str());
  }
};
/// [tracer]

/// [metrics]
// The lines of the exposition text that start with `prefix` (a scrape would serve it all).
void print_metric(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) std::printf("%s\n", line.c_str());
}

Task<void> observed(std::string url) {
  std::unique_ptr<tern::AioDatabase> db = tern::connect(url);
  db->set_tracer(std::make_shared<PrintingTracer>());
  db->enable_metrics();
  co_await db->aio_execute("CREATE TEMP TABLE page (id int PRIMARY KEY, title text)");
  co_await db->aio_atomic([&]() -> Task<void> {
    co_await db->aio_execute("INSERT INTO page VALUES ($1, $2)", 1, "Welcome");
  });
  try {
    co_await db->aio_execute("INSERT INTO page VALUES ($1, $2)", 1, "Again");
  } catch (const tern::IntegrityError&) {
  }
  co_await db->aio_execute(
      "DO $$BEGIN RAISE NOTICE 'pages: %', (SELECT count(*) FROM page); END$$");
  const std::string text = db->metrics().to_prometheus();
  print_metric(text, "tern_db_operations_total{db_system_name=\"postgresql\",db_namespace=\"" +
                         db->database() + "\",kind=\"query\"}");
  print_metric(text,
               "tern_db_operation_errors_total{db_system_name=\"postgresql\",db_namespace=\"" +
                   db->database() + "\",kind=\"query\"}");
  co_await db->aio_close();
}
/// [metrics]

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: observability POSTGRESQL-URL\n");
    return 64;
  }
  install_logger();
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, observed(argv[1]));
}
