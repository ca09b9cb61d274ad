// Read replicas (docs/scaling.md): a primary and its replicas as one database; declared reads
// go to a replica, everything else to the primary. The test docs-samples runs it with the
// primary listed as its own replica (no standby needed; the topology suite tests real ones).
//   build/examples/docs/replicas PRIMARY-URL REPLICA-URL...
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>
#include <vector>

using namespace std::chrono_literals;
using tern::ring::Task;

/// [replicas]
std::unique_ptr<tern::AioDatabase> db;  // the models' database: see replicated()

struct Item {
  std::int64_t id{};
  std::string name;
  std::int32_t price{};
  TERN_MODEL(Item, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 40}),
             (price, tern::IntegerField{}));
};

std::unique_ptr<tern::AioDatabase> replicated(std::string primary,
                                              std::vector<std::string> standbys) {
  const tern::DatabaseOptions pool{.max_connections = 5};  // per database: each has its pool
  std::vector<std::unique_ptr<tern::AioDatabase>> replicas;
  for (const std::string& url : standbys) {
    replicas.push_back(
        std::make_unique<tern::PostgresqlDatabase>(tern::pg::ConnectOptions::parse(url), pool));
  }
  return std::make_unique<tern::ReplicatedPostgresqlDatabase>(
      std::move(replicas), tern::ReplicaOptions{.retry_after = 5s},
      tern::pg::ConnectOptions::parse(primary), pool);
}

Task<void> reads_and_writes() {
  Item lamp{.name = "lamp", .price = 12};
  co_await Item::aio_create(lamp);  // the primary
  std::vector<Item> dear =
      co_await Item::select().where(Item::c.price > 10).aio_execute();  // a replica
  tern::QueryOptions read;
  read.read_only = true;
  co_await db->aio_execute("SELECT count(*) FROM item", {}, read);  // a replica
  co_await db->aio_execute("SELECT count(*) FROM item");            // the primary
  std::printf("%zu item(s) above 10\n", dear.size());
}
/// [replicas]

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: replicas PRIMARY-URL REPLICA-URL...\n");
    return 64;
  }
  db = replicated(argv[1], std::vector<std::string>(argv + 2, argv + argc));
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, Item::aio_drop_table(/*safe=*/true));
  tern::ring::sync_wait(loop, Item::aio_create_table());
  tern::ring::sync_wait(loop, reads_and_writes());
  tern::ring::sync_wait(loop, Item::aio_drop_table());
  tern::ring::sync_wait(loop, db->aio_close());
}
