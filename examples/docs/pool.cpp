// The database and its pool (docs/pool.md): options, a URL with pool parameters, a statement
// deadline, pool_stats(), bulk load and read (aio_copy_in, aio_copy_out).
//   build/examples/docs/pool postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <tern/tern.hpp>
#include <vector>

using namespace std::chrono_literals;
using tern::ring::Task;

/// [options]
Task<void> with_options(std::string url) {
  // Connection settings (here from a URL; or a database name with the PG* environment) and
  // the pool's options, peewee's connect keywords.
  tern::PooledPostgresqlExtDatabase db(tern::pg::ConnectOptions::parse(url),
                                       {.min_connections = 1,
                                        .max_connections = 5,
                                        .pool_params = {.timeout = 30s, .pool_recycle = 1500ms}});
  co_await db.aio_connect();  // optional: the pool opens on first use
  tern::ResultSet rows = co_await db.aio_execute("SELECT $1::int + 1", 41);
  const tern::PoolStats stats = db.pool_stats();
  std::printf("%d; %zu of at most %zu connections open, %llu acquired\n",
              rows.row(0).get<std::int32_t>(0), stats.size, stats.max_connections,
              static_cast<unsigned long long>(stats.acquired));
  co_await db.aio_close();
}
/// [options]

/// [url]
Task<void> from_url(std::string url) {
  // The pool's parameters ride in the URL's query string; the rest is the backend's syntax.
  std::unique_ptr<tern::AioDatabase> db =
      tern::connect(url + "?max_connections=3&pool_timeout=10&pipeline_depth=2");
  co_await db->aio_connect();
  const tern::PoolStats stats = db->pool_stats();
  std::printf("max_connections %zu, pipeline_depth %zu\n", stats.max_connections,
              stats.pipeline_depth);
  co_await db->aio_close();
}
/// [url]

/// [deadline]
Task<void> with_deadline(std::string url) {
  std::unique_ptr<tern::AioDatabase> db = tern::connect(url);
  tern::QueryOptions options;
  options.deadline = tern::ring::deadline_after(100ms);
  try {
    co_await db->aio_execute("SELECT pg_sleep(10)", {}, options);
  } catch (const tern::QueryTimeout&) {  // the server was asked to cancel the statement
    std::printf("QueryTimeout\n");
  }
  co_await db->aio_close();
}
/// [deadline]

/// [copy]
Task<void> bulk(std::string url) {
  std::unique_ptr<tern::AioDatabase> db = tern::connect(url);
  co_await db->aio_execute(
      "CREATE TEMPORARY TABLE reading (sensor int, at timestamptz, value "
      "double precision, note text)");
  // One Params per row, in the columns' order; values of any type a statement binds.
  std::vector<tern::Params> rows;
  const tern::Instant start =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  for (int i = 0; i < 10'000; ++i) {
    rows.push_back({tern::Value(i % 16), tern::Value(start + std::chrono::seconds(i)),
                    tern::Value(i * 0.5), i % 100 == 0 ? tern::Value("tab\there") : tern::Value()});
  }
  const std::vector<std::string> columns{"sensor", "at", "value", "note"};
  // Binary COPY on PostgreSQL, all or nothing; inside aio_atomic, on the block's connection.
  const std::uint64_t loaded = co_await db->aio_copy_in("reading", columns, rows);
  // Read back as a stream: batches of 1,000 rows, never the whole table at once.
  const std::vector<std::string> wanted{"sensor", "value"};
  tern::RowStream stream = co_await db->aio_copy_out("reading", wanted, 1000);
  double total = 0;
  while (std::optional<tern::ResultSet> batch = co_await stream.next()) {
    for (const tern::Row row : *batch)
      total += row.get<double>(1);
  }
  std::printf("loaded %llu rows, total %.1f\n", static_cast<unsigned long long>(loaded), total);
  co_await db->aio_close();
}
/// [copy]

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pool POSTGRESQL-URL\n");
    return 64;
  }
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, with_options(argv[1]));
  tern::ring::sync_wait(loop, from_url(argv[1]));
  tern::ring::sync_wait(loop, with_deadline(argv[1]));
  tern::ring::sync_wait(loop, bulk(argv[1]));
}
