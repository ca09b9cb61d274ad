// A service using every core (docs/loops-and-threads.md): a loop per thread, one database with
// a pool shard per loop, and the statistics summed over the shards.
//   build/examples/doc-threads postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <atomic>
#include <cstdio>
#include <memory>
#include <tern/tern.hpp>

using tern::ring::Task;

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  /// [threads]
  tern::ring::LoopGroup loops(2);  // first: the loops outlive the database's use
  std::unique_ptr<tern::AioDatabase> db = tern::connect(argv[1]);  // one object for all
  std::atomic<long> sum{0};
  loops.run_on_each([&](std::size_t i) -> Task<void> {
    // On loop i's thread; the database makes this loop's pool shard on first use.
    for (int k = 1; k <= 100; ++k) {
      auto rows = co_await db->aio_execute("SELECT $1::int8", static_cast<long>(k));
      sum += rows.row(0).get<long>(0);
    }
    std::printf("loop %zu done\n", i);
  });
  std::printf("sum %ld over %zu shards\n", sum.load(), db->shard_stats().size());
  loops.run_on_each([&](std::size_t) { return db->aio_close(); });  // each loop closes its shard
  std::printf("open after close: %zu\n", db->pool_stats().size);
  /// [threads]
}
