// The seed example of peewee-async's documentation, line by line in C++ (the demo).
// Connection settings come from the PG* environment variables, as with libpq; with --mysql the
// same code runs on MariaDB/MySQL (settings from MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_PWD, USER);
// with --sqlite on SQLite, in the file test.db of the current directory (no server at all).
#include <cstring>
#include <iostream>
#include <tern/tern.hpp>

tern::PostgresqlDatabase postgres_database("test");
tern::MySQLDatabase mysql_database("test");
tern::SqliteDatabase sqlite_database("test.db");
tern::AioDatabase* database = &postgres_database;  // the models' database (or --mysql, --sqlite)

// Let's define a simple model:
struct PageBlock {
  std::int64_t id{};
  std::string key;
  std::string text;
  // clang-format off
  TERN_MODEL(PageBlock, database,
    (id,   tern::AutoField{}),
    (key,  tern::CharField{.max_length = 40, .unique = true}),
    (text, tern::TextField{.default_value = ""}));
  // clang-format on
};

tern::ring::Task<void> my_async_func() {
  // Add new page block (named first: GCC 12 mishandles braced temporaries inside co_await)
  PageBlock block{.key = "title", .text = "Peewee is AWESOME with async!"};
  co_await PageBlock::aio_create(block);

  // Get one by key
  PageBlock title = co_await PageBlock::aio_get(PageBlock::c.key == "title");
  std::cout << "Was: " << title.text << '\n';

  // Save with new text
  title.text = "Peewee is SUPER awesome with async!";
  co_await title.aio_save();
  std::cout << "New: " << title.text << '\n';
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--mysql") == 0) database = &mysql_database;
  if (argc > 1 && std::strcmp(argv[1], "--sqlite") == 0) database = &sqlite_database;

  // Disable sync queries
  database->set_allow_sync(false);

  // Now we need to create a table for model (sync, as in the seed):
  {
    auto sync = database->allow_sync();
    PageBlock::create_table(true);
  }

  // Finally, let's do something async:
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, my_async_func());
  tern::ring::sync_wait(loop, database->aio_close());
}
