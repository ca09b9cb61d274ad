// The ORM guide (docs/orm.md): models with a foreign key, queries, insert_many, prefetch.
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
  std::vector<Book> books{};  // filled by aio_prefetch, not a column
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

  Author ada{.name = "Ada"};
  ada = co_await Author::aio_create(ada);  // the generated id is filled in

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
  tern::ring::sync_wait(loop, db->aio_close());
}
