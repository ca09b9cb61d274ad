// peewee-async 2.x and peewee 4 in the ORM (docs/orm.md): insert results, keys of any type,
// RETURNING, compound selects, row locks, tables in foreign-key order, bulk writes, aio_fetch,
// signals, many-to-many.
//   build/examples/docs/orm_peewee postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>
#include <tuple>

using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

struct Author {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Author, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 80, .unique = true}));
};

struct Book {
  std::int64_t id{};
  std::int64_t author_id{};
  std::string title;
  std::int32_t pages{};
  std::shared_ptr<const Author> author{};  // aio_fetch's cache, not a column
  TERN_MODEL(Book, db, (id, tern::AutoField{}), (author_id, tern::ForeignKeyField<Author>{}),
             (title, tern::CharField{.max_length = 200}), (pages, tern::IntegerField{}));
};

struct Job {
  std::int64_t id{};
  std::string state;
  TERN_MODEL(Job, db, (id, tern::AutoField{}), (state, tern::CharField{.max_length = 20}));
};

struct Student {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Student, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 80}));
};

struct Course {
  std::int64_t id{};
  std::string title;
  TERN_MODEL(Course, db, (id, tern::AutoField{}), (title, tern::CharField{.max_length = 80}));
};

struct StudentCourse {  // the through model: two foreign keys
  std::int64_t id{};
  std::int64_t student_id{};
  std::int64_t course_id{};
  TERN_MODEL(StudentCourse, db, (id, tern::AutoField{}),
             (student_id, tern::ForeignKeyField<Student>{}),
             (course_id, tern::ForeignKeyField<Course>{}));
};

struct Memo {  // a UUID key, made by tern::uuid4 when left unset
  tern::Uuid id{};
  std::string text;
  TERN_MODEL(Memo, db, (id, tern::UUIDField{.primary_key = true, .default_factory = tern::uuid4}),
             (text, tern::TextField{}));
};

struct OrderLine {  // a composite key
  std::int64_t order_id{};
  std::string sku;
  std::int32_t qty{};
  static inline const std::vector<std::string> composite_key = {"order_id", "sku"};
  TERN_MODEL(OrderLine, db, (order_id, tern::BigIntegerField{}),
             (sku, tern::CharField{.max_length = 20}), (qty, tern::IntegerField{}));
};

/// [tables]
Task<void> tables() {
  co_await tern::aio_drop_tables<Book, Author, Job, StudentCourse, Student, Course>(
      /*safe=*/true);
  co_await tern::aio_create_tables<Book, Author, Job, StudentCourse, Student,
                                   Course>();  // sorted by foreign keys
}
/// [tables]

/// [inserts]
Task<void> inserts() {
  Author ada{.name = "Ada"};
  std::optional<std::int64_t> key = co_await Author::insert(ada).aio_execute();
  // The same row again, ignored: no key (nullopt).
  std::optional<std::int64_t> none =
      co_await Author::insert(ada).on_conflict_ignore().aio_execute();
  std::vector<Author> more = {{.name = "Grace"}, {.name = "Edsger"}};
  std::vector<std::int64_t> keys = co_await Author::insert_many(more).aio_execute();  // in order
  std::vector<Author> again = {{.name = "Barbara"}};
  std::uint64_t n = co_await Author::insert_many(again).as_rowcount().aio_execute();
  std::printf("key %lld, ignored: %s, %zu keys, %llu row\n", static_cast<long long>(*key),
              none ? "no" : "yes", keys.size(), static_cast<unsigned long long>(n));
}
/// [inserts]

Task<void> key_tables() {
  co_await tern::aio_drop_tables<Memo, OrderLine>();
  co_await tern::aio_create_tables<Memo, OrderLine>();
}

/// [keys]
Task<void> keys() {
  Memo memo{.text = "hello"};
  memo = co_await Memo::aio_create(memo);  // memo.id made by tern::uuid4
  const Memo draft{.text = "draft"};
  std::optional<tern::Uuid> id = co_await Memo::insert(draft).aio_execute_key<tern::Uuid>();
  OrderLine line{.order_id = 5, .sku = "boots", .qty = 1};
  co_await line.aio_save(/*force_insert=*/true);
  std::tuple<std::int64_t, std::string> key = line.get_id<std::int64_t, std::string>();
  std::printf("memo %s, draft %s, line (%lld, %s)\n",
              memo.get_id<tern::Uuid>() != tern::Uuid{} ? "keyed" : "?",
              id && *id != memo.id ? "keyed" : "?", static_cast<long long>(std::get<0>(key)),
              std::get<1>(key).c_str());
}
/// [keys]

/// [returning]
Task<void> returning() {
  // DELETE ... RETURNING as models (MariaDB 10.5+ too; UPDATE ... RETURNING: PostgreSQL only).
  auto drop_drafts = Memo::delete_().where(Memo::c.text == "draft").returning(Memo::c);
  std::vector<Memo> gone = co_await drop_drafts.aio_models();
  auto shout = Memo::update().set(Memo::c.text, std::string("HELLO")).returning(Memo::c.text);
  std::vector<tern::orm::Dict> rows = co_await shout.aio_dicts();  // column name -> Value
  std::printf("%zu deleted (%s), %zu now %s\n", gone.size(), gone.at(0).text.c_str(), rows.size(),
              std::get<std::string>(rows.at(0).at("text").storage()).c_str());
}
/// [returning]

/// [compound and lock]
Task<void> compound_and_lock() {
  const auto a_names = Author::select().where(Author::c.name.startswith("A"));
  const auto g_names = Author::select().where(Author::c.name.startswith("G"));
  auto both = a_names | g_names;  // UNION; + UNION ALL, & INTERSECT, - EXCEPT
  std::int64_t count = co_await both.aio_count();

  Job job{.state = "new"};
  job = co_await Job::aio_create(job);  // with its generated id
  co_await db->aio_atomic([&]() -> Task<void> {
    // Claim the next free job: rows other transactions hold are skipped (also NOWAIT, SHARE).
    const auto next =
        Job::select().where(Job::c.state == "new").for_update({.skip_locked = true, .of = {"job"}});
    std::optional<Job> claimed = co_await next.aio_first();  // LIMIT 1
    if (claimed) {
      claimed->state = "running";
      co_await claimed->aio_save();
    }
  });
  std::printf("%lld authors in the union, job %s\n", static_cast<long long>(count),
              (co_await Job::aio_get(Job::c.id == job.id)).state.c_str());
}
/// [compound and lock]

/// [bulk]
Task<void> bulk() {
  const Author ada = co_await Author::aio_get(Author::c.name == "Ada");
  std::vector<Book> books;
  for (int i = 0; i < 3; ++i)
    books.push_back({.author_id = ada.id, .title = "Notes " + std::to_string(i), .pages = 10});
  co_await Book::aio_bulk_create(books, /*batch_size=*/500);  // keys filled in
  for (Book& b : books)
    b.pages += 1;
  std::uint64_t updated = co_await Book::aio_bulk_update(books, 500, Book::c.pages);
  std::printf("%zu books created, %llu updated\n", books.size(),
              static_cast<unsigned long long>(updated));
}
/// [bulk]

/// [fetch and signals]
Task<void> fetch_and_signals() {
  // Receivers are coroutines, awaited in connection order; bulk queries send none.
  const std::uint64_t id =
      tern::aio_post_save<Book>().connect([](Book& b, bool created) -> Task<void> {
        std::printf("saved %s (%s)\n", b.title.c_str(), created ? "created" : "updated");
        co_return;
      });
  Book book = co_await Book::aio_get(Book::c.title == "Notes 0");
  Author writer = co_await tern::aio_fetch<Author>(book, Book::c.author_id);  // a query
  const Author* cached = co_await tern::aio_fetch(book, Book::c.author_id, &Book::author);
  cached = co_await tern::aio_fetch(book, Book::c.author_id, &Book::author);  // no query
  book.title = "Notes 0, revised";
  co_await book.aio_save();
  tern::aio_post_save<Book>().disconnect(id);
  std::printf("by %s / %s\n", writer.name.c_str(), cached->name.c_str());
}
/// [fetch and signals]

/// [many to many]
Task<void> many_to_many() {
  Student ann{.name = "Ann"};
  ann = co_await Student::aio_create(ann);
  Course math{.title = "Math"};
  math = co_await Course::aio_create(math);
  auto courses = tern::many_to_many<Course, StudentCourse>(ann);  // aio_add/remove/clear
  co_await courses.aio_add(math);
  std::vector<Course> list = co_await courses.aio_execute();
  auto students = tern::many_to_many<Student, StudentCourse>(math);  // the other direction
  std::vector<Student> enrolled = co_await students.aio_execute();
  std::printf("%s takes %zu course(s); %s has %zu student(s)\n", ann.name.c_str(), list.size(),
              math.title.c_str(), enrolled.size());
}
/// [many to many]

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: orm_peewee POSTGRESQL-URL\n");
    return 64;
  }
  db = tern::connect(argv[1]);
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, tables());
  tern::ring::sync_wait(loop, inserts());
  tern::ring::sync_wait(loop, key_tables());
  tern::ring::sync_wait(loop, keys());
  tern::ring::sync_wait(loop, returning());
  tern::ring::sync_wait(loop, compound_and_lock());
  tern::ring::sync_wait(loop, bulk());
  tern::ring::sync_wait(loop, fetch_and_signals());
  tern::ring::sync_wait(loop, many_to_many());
  tern::ring::sync_wait(loop, db->aio_close());
}
