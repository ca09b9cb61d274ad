/// [readme]
#include <tern/tern.hpp>

tern::PostgresqlDatabase database("test");

struct PageBlock {
  std::int64_t id{};
  std::string key;
  std::string text;
  TERN_MODEL(PageBlock, database, (id, tern::AutoField{}),
             (key, tern::CharField{.max_length = 40, .unique = true}),
             (text, tern::TextField{.default_value = ""}));
};

void create_tables() {
  auto sync = database.allow_sync();  // sync calls are refused outside this scope
  PageBlock::create_table(/*safe=*/true);
}

tern::ring::Task<void> example() {
  co_await PageBlock::aio_create(PageBlock::c.key = "title",
                                 PageBlock::c.text = "Peewee is AWESOME with async!");
  PageBlock title = co_await PageBlock::aio_get(PageBlock::c.key == "title");
  title.text = "Peewee is SUPER awesome with async!";
  co_await title.aio_save();
}
/// [readme]

// README.md's example, kept identical to the region above by the test readme-sample
// (tests/unit/docs_check.sh). Settings from the PG* environment, database "test"; the test
// docs-samples runs it.
#include <cstdio>

tern::ring::Task<void> run() {
  co_await PageBlock::aio_drop_table(/*safe=*/true);
  create_tables();
  co_await example();
  const PageBlock saved = co_await PageBlock::aio_get(PageBlock::c.key == "title");
  std::printf("%s\n", saved.text.c_str());
  co_await PageBlock::aio_drop_table();
  co_await database.aio_close();
}

int main() {
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, run());
}
