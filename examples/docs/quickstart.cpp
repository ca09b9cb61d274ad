// Getting started (docs/getting-started.md): a model, the first queries, a raw statement.
// Runs against the PostgreSQL (or MariaDB) URL given as its argument, e.g.
//   build/examples/docs/quickstart postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

std::unique_ptr<tern::AioDatabase> database;  // set in main(), before any query

/// [model]
struct PageBlock {
  std::int64_t id{};
  std::string key;
  std::string text;
  TERN_MODEL(PageBlock, database, (id, tern::AutoField{}),
             (key, tern::CharField{.max_length = 40, .unique = true}),
             (text, tern::TextField{.default_value = ""}));
};
/// [model]

/// [first queries]
tern::ring::Task<void> first_queries() {
  co_await PageBlock::aio_drop_table(/*safe=*/true);
  co_await PageBlock::aio_create_table();

  // Named first: GCC 12 mishandles braced temporaries inside co_await.
  PageBlock block{.key = "title", .text = "Peewee is AWESOME with async!"};
  co_await PageBlock::aio_create(block);

  PageBlock title = co_await PageBlock::aio_get(PageBlock::c.key == "title");
  title.text = "Peewee is SUPER awesome with async!";
  co_await title.aio_save();

  std::vector<PageBlock> recent = co_await PageBlock::select()
                                      .where(PageBlock::c.key.startswith("t"))
                                      .order_by(PageBlock::c.id.desc())
                                      .limit(20)
                                      .aio_execute();
  std::printf("%zu block(s); the first says: %s\n", recent.size(), recent.at(0).text.c_str());
}
/// [first queries]

/// [raw query]
tern::ring::Task<void> raw_query() {
  // Values are always bound: $1 on PostgreSQL, ? on MySQL/MariaDB.
  const char* sql = database->dialect() == tern::Dialect::kPostgres
                        ? "SELECT count(*) FROM page_block WHERE key = $1"
                        : "SELECT count(*) FROM page_block WHERE `key` = ?";
  tern::ResultSet rows = co_await database->aio_execute(sql, "title");
  std::printf("count: %lld\n", static_cast<long long>(rows.row(0).get<std::int64_t>(0)));
  const tern::PoolStats stats = database->pool_stats();
  std::printf("pool: %zu open, %zu idle\n", stats.size, stats.idle);
}
/// [raw query]

/// [main]
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: quickstart URL\n");
    return 64;
  }
  database = tern::connect(argv[1]);
  tern::ring::Loop loop;  // one io_uring per thread; run the tasks on it
  tern::ring::sync_wait(loop, first_queries());
  tern::ring::sync_wait(loop, raw_query());
  tern::ring::sync_wait(loop, database->aio_close());
}
/// [main]
