// The ORM guide (docs/orm.md): models with a foreign key, queries, insert_many, prefetch,
// keyword arguments, sync mode and a schema migration.
//   build/examples/docs/orm_guide postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

/// [models]
struct Book;

struct Author {
  std::int64_t id{};
  std::string name;
  // Filled by aio_prefetch, not a column. No `{}`: clang rejects it while Book is incomplete.
  std::vector<Book> books;
  TERN_MODEL(Author, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 80, .unique = true}));
};

struct Book {
  std::int64_t id{};
  std::int64_t author_id{};
  std::string title;
  std::optional<std::int32_t> pages{};  // nullable: std::optional
  TERN_MODEL(Book, db, (id, tern::AutoField{}),
             (author_id, tern::ForeignKeyField<Author>{.on_delete = "CASCADE"}),
             (title, tern::CharField{.max_length = 200, .index = true}),
             (pages, tern::IntegerField{}));
};
/// [models]

/// [queries]
Task<void> queries() {
  co_await tern::aio_drop_tables<Author, Book>(/*safe=*/true);
  co_await tern::aio_create_tables<Author, Book>();  // in foreign-key order

  // peewee's create(name="Ada"); the generated id is filled in.
  const Author ada = co_await Author::aio_create(Author::c.name = "Ada");

  std::vector<Book> books = {{.author_id = ada.id, .title = "Notes", .pages = 60},
                             {.author_id = ada.id, .title = "Letters"}};
  std::vector<std::int64_t> ids = co_await Book::insert_many(books).aio_execute();

  std::vector<Book> long_ones = co_await Book::select()
                                    .where(Book::c.pages > 50 && Book::c.title.startswith("N"))
                                    .order_by(Book::c.title)
                                    .aio_execute();
  std::int64_t count = co_await Book::select().where(Book::c.author_id == ada.id).aio_count();
  std::optional<Book> none = co_await Book::aio_get_or_none(Book::c.title == "Poems");

  std::printf("%zu inserted, %zu long, %lld by Ada, poems: %s\n", ids.size(), long_ones.size(),
              static_cast<long long>(count), none ? "yes" : "no");
}
/// [queries]

/// [prefetch]
Task<void> prefetch() {
  // Two queries in all: the authors, then every author's books.
  std::vector<Author> authors = co_await tern::aio_prefetch(
      Author::select().order_by(Author::c.name),
      tern::into(&Author::books, Book::select().order_by(Book::c.title)));
  for (const Author& a : authors)
    std::printf("%s: %zu books\n", a.name.c_str(), a.books.size());
}
/// [prefetch]

/// [transaction]
Task<void> revise() {
  co_await db->aio_atomic([&]() -> Task<void> {
    co_await Book::update()
        .set(Book::c.title, std::string("Notes, revised"))
        .where(Book::c.title == "Notes")
        .aio_execute();
    co_await Author::delete_().where(Author::c.name == "nobody").aio_execute();
  });
}
/// [transaction]

/// [keywords]
Task<void> keywords() {
  // peewee's create(name="Grace"): the members not given keep their initializers.
  Author grace = co_await Author::aio_create(Author::c.name = "Grace");
  auto [book, created] = co_await Book::aio_get_or_create(
      Book::c.title = "Manual", tern::defaults(Book::c.author_id = grace.id, Book::c.pages = 90));
  co_await Book::update(Book::c.pages = 95).where(Book::c.id == book.id).aio_execute();
  std::printf("%s wrote %s (%s)\n", grace.name.c_str(), book.title.c_str(),
              created ? "created" : "found");
}
/// [keywords]

/// [sync]
void sync_calls() {
  auto sync = db->allow_sync();  // refused (InterfaceError) outside
  const Author grace = Author::get(Author::c.name == "Grace");
  const std::int64_t books = db->atomic([&] {  // BEGIN ... COMMIT (ROLLBACK if it throws)
    Book::create(Book::c.title = "Errata", Book::c.author_id = grace.id, Book::c.pages = 5);
    return Book::select().where(Book::c.author_id == grace.id).count();
  });
  std::printf("%s: %lld books\n", grace.name.c_str(), static_cast<long long>(books));
}
/// [sync]

/// [migrate]
Task<void> migrate() {
  tern::Migrator m(*db);  // in db's dialect
  // Built before the co_await: GCC 12 mishandles braced temporaries inside one.
  const tern::MigrationOperation isbn =
      m.add_column("book", "isbn", tern::CharField{.max_length = 20, .null = true, .index = true});
  co_await m.aio_migrate(isbn, m.add_column_default("book", "pages", 100),
                         m.rename_column("book", "pages", "page_count"));
  std::printf("%s: %zu statements\n", isbn.description().c_str(), isbn.sql().size());
}
/// [migrate]

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: orm_guide URL\n");
    return 64;
  }
  db = tern::connect(argv[1]);
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, queries());
  tern::ring::sync_wait(loop, prefetch());
  tern::ring::sync_wait(loop, revise());
  tern::ring::sync_wait(loop, keywords());
  sync_calls();
  tern::ring::sync_wait(loop, migrate());  // last: Book's pages column is renamed
  tern::ring::sync_wait(loop, db->aio_close());
}
