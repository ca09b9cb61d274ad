// LISTEN/NOTIFY through the pooled database (docs/postgresql.md): a handler per channel, on a
// listening connection that the database reopens after a loss.
//   build/examples/doc-listen postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

/// [listen]
Task<void> listen_for_jobs(tern::AioDatabase& db, tern::ring::Loop& loop) {
  int received = 0;
  co_await db.aio_listen(
      "jobs",
      [&](const tern::Notification& n) {  // on this loop, in the order the server sent them
        std::printf("job %s\n", n.payload.c_str());
        ++received;
      },
      [] { std::printf("listening again: re-read the jobs table\n"); });
  for (const char* job : {"1", "2"}) {
    co_await db.aio_execute("SELECT pg_notify('jobs', $1)", job);
  }
  while (received < 2)
    co_await tern::ring::sleep_for(loop, std::chrono::milliseconds(1));
  co_await db.aio_unlisten("jobs");
}
/// [listen]

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  tern::ring::Loop loop;
  std::unique_ptr<tern::AioDatabase> db = tern::connect(argv[1]);
  tern::ring::sync_wait(loop, listen_for_jobs(*db, loop));
  tern::ring::sync_wait(loop, db->aio_close());
}
