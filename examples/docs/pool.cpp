// The database and its pool (docs/pool.md): options, a URL with pool parameters, a statement
// deadline, pool_stats().
//   build/examples/docs/pool postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

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

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pool POSTGRESQL-URL\n");
    return 64;
  }
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, with_options(argv[1]));
  tern::ring::sync_wait(loop, from_url(argv[1]));
  tern::ring::sync_wait(loop, with_deadline(argv[1]));
}
