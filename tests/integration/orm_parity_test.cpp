// peewee-async 2.x parity in the ORM, against real PostgreSQL and MariaDB: insert results,
// compound operators, row locks (NOWAIT, SKIP LOCKED, OF), table helpers in foreign-key order,
// bulk_create / bulk_update, aio_fetch, signals and many-to-many.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/orm/model.hpp"
#include "tern/orm/relations.hpp"
#include "tern/orm/schema.hpp"
#include "tern/orm/signals.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using namespace std::chrono_literals;
using tern::ring::Task;

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> db;

struct Author {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Author, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 40, .unique = true}));
};

struct Book {
  std::int64_t id{};
  std::string title;
  std::int64_t author_id{};
  std::optional<std::int64_t> editor_id{};
  int pages = 0;
  std::shared_ptr<const Author> author{};  // aio_fetch's cache: not a column
  TERN_MODEL(Book, db, (id, tern::AutoField{}), (title, tern::CharField{.max_length = 80}),
             (author_id, tern::ForeignKeyField<Author>{}),
             (editor_id, tern::ForeignKeyField<Author>{}), (pages, tern::IntegerField{}));
};

struct Student {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Student, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 40}));
};

struct Course {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(Course, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 40}));
};

struct StudentCourse {
  std::int64_t id{};
  std::int64_t student_id{};
  std::int64_t course_id{};
  static inline const std::vector<tern::Index> indexes = {
      {.columns = {"student_id", "course_id"}, .unique = true}};
  TERN_MODEL(StudentCourse, db, (id, tern::AutoField{}),
             (student_id, tern::ForeignKeyField<Student>{.on_delete = "CASCADE"}),
             (course_id, tern::ForeignKeyField<Course>{.on_delete = "CASCADE"}));
};

class OrmParity : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam(), {.max_connections = 4});
    // Listed in the wrong order on purpose: they are sorted by their foreign keys.
    run(tern::aio_drop_tables<Author, StudentCourse, Book, Course, Student>());
    run(tern::aio_create_tables<StudentCourse, Book, Author, Student, Course>());
  }
  void TearDown() override {
    run(tern::aio_drop_tables<Author, Book, StudentCourse, Student, Course>());
    run(db->aio_close());
    db.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  bool pg() const { return GetParam() == tern::Dialect::kPostgres; }
  Author author(const std::string& name) { return run(Author::aio_create(Author::c.name = name)); }

  tern::ring::Loop loop;
};

TEST_P(OrmParity, TablesAreCreatedAndDroppedInForeignKeyOrder) {
  EXPECT_TRUE(run(Book::aio_table_exists()));
  EXPECT_TRUE(run(StudentCourse::aio_table_exists()));
  run(tern::aio_drop_tables<Author, Book>());
  EXPECT_FALSE(run(Book::aio_table_exists()));
  EXPECT_FALSE(run(Author::aio_table_exists()));
  run(tern::aio_create_tables<Book, Author>());
  EXPECT_TRUE(run(Book::aio_table_exists()));
}

TEST_P(OrmParity, TruncateTable) {
  author("a");
  author("b");
  if (pg()) {
    run(Author::aio_truncate_table(/*restart_identity=*/true, /*cascade=*/true));
  } else {
    EXPECT_THROW(run(Author::aio_truncate_table(false, true)), tern::NotSupportedError);
    run(Book::aio_drop_table());  // MySQL refuses to truncate a referenced table
    run(Author::aio_truncate_table());
  }
  EXPECT_EQ(run(Author::select().aio_count()), 0);
  EXPECT_EQ(author("c").id, 1);  // the key starts again (PG: RESTART IDENTITY; MySQL: always)
}

TEST_P(OrmParity, InsertResults) {
  const std::optional<std::int64_t> one = run(Author::insert(Author::c.name = "one").aio_execute());
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "one")).id, *one);
  // An ignored conflict inserted nothing: no key.
  EXPECT_EQ(run(Author::insert(Author::c.name = "one").on_conflict_ignore().aio_execute()),
            std::nullopt);
  const std::vector<Author> many{{.name = "x"}, {.name = "y"}, {.name = "z"}};
  const std::vector<std::int64_t> keys = run(Author::insert_many(many).aio_execute());
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "x")).id, keys[0]);
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "y")).id, keys[1]);
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "z")).id, keys[2]);
  const std::vector<Author> more{{.name = "p"}, {.name = "q"}};
  EXPECT_EQ(run(Author::insert_many(more).as_rowcount().aio_execute()), 2u);
  // Some rows ignored: PostgreSQL returns the keys of those inserted; MySQL cannot tell.
  const std::vector<Author> mixed{{.name = "p"}, {.name = "r"}};
  auto insert = Author::insert_many(mixed);
  insert.on_conflict_ignore();
  if (pg()) {
    const std::vector<std::int64_t> got = run(insert.aio_execute());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(run(Author::aio_get(Author::c.name == "r")).id, got[0]);
  } else {
    EXPECT_THROW(run(insert.aio_execute()), tern::NotSupportedError);
  }
}

// aio_close() closes the models' database too: every query is refused with InterfaceError
// until aio_connect() (peewee-async: "The pool is closed until you run aio_connect manually").
TEST_P(OrmParity, ModelQueriesRefusedAfterAioCloseUntilAioConnect) {
  author("a");
  run(db->aio_close());
  const auto closed = [](const tern::InterfaceError& e) {
    return std::string(e.what()).find("database closed") != std::string::npos;
  };
  const auto refused = [&](auto task) {
    try {
      run(std::move(task));
    } catch (const tern::InterfaceError& e) {
      return closed(e);
    }
    return false;
  };
  EXPECT_TRUE(refused(Author::select().aio_count()));
  EXPECT_TRUE(refused(Author::aio_get(Author::c.name == "a")));
  EXPECT_TRUE(refused(Author::aio_create(Author::c.name = "b")));
  EXPECT_TRUE(refused(Author::update().set(Author::c.name, std::string("c")).aio_execute()));
  run(db->aio_connect());
  EXPECT_EQ(run(Author::select().aio_count()), 1);  // nothing above reached the server
  EXPECT_EQ(run(Author::aio_get(Author::c.name == "a")).name, "a");
}

TEST_P(OrmParity, CompoundOperators) {
  for (const char* n : {"a1", "a2", "b1", "b2"})
    author(n);
  const auto starts_a = Author::select(Author::c.name).where(Author::c.name.startswith("a"));
  const auto ends_1 = Author::select(Author::c.name).where(Author::c.name.endswith("1"));
  const auto names = [&](auto q) {
    std::vector<std::string> out;
    for (const auto& [name] : run(q.order_by(Author::c.name).template aio_tuples<std::string>(*db)))
      out.push_back(name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(starts_a | ends_1), (V{"a1", "a2", "b1"}));
  EXPECT_EQ(names(starts_a + ends_1), (V{"a1", "a1", "a2", "b1"}));
  EXPECT_EQ(names(starts_a & ends_1), (V{"a1"}));
  EXPECT_EQ(names(starts_a - ends_1), (V{"a2"}));
}

TEST_P(OrmParity, RowLocksNowaitSkipLockedAndOf) {
  const Author a = author("a");
  std::int64_t first = 0;
  for (int i = 1; i <= 3; ++i) {
    const Book b =
        run(Book::aio_create(Book::c.title = "t" + std::to_string(i), Book::c.author_id = a.id));
    if (i == 1) first = b.id;
  }
  // One block holds book 1 locked while another claims "the next free rows".
  std::vector<std::string> claimed;
  std::optional<tern::OperationalError> nowait_refused;
  run(db->aio_atomic([&]() -> Task<void> {
    // By key: InnoDB locks every row a scan reads, and title has no index.
    const auto locked =
        co_await Book::select().where(Book::c.id == first).for_update().aio_execute();
    EXPECT_EQ(locked.size(), 1u);
    tern::ring::TaskGroup other(loop);
    other.spawn([](std::vector<std::string>& out, std::optional<tern::OperationalError>& refused,
                   std::int64_t key) -> Task<void> {
      // A fresh task: not in the first block, so its own transaction and connection.
      co_await db->aio_atomic([&]() -> Task<void> {
        const auto free_rows = co_await Book::select()
                                   .order_by(Book::c.title)
                                   .for_update({.skip_locked = true})
                                   .aio_execute();
        for (const Book& b : free_rows)
          out.push_back(b.title);
      });
      try {
        co_await db->aio_atomic([&]() -> Task<void> {
          co_await Book::select().where(Book::c.id == key).for_update(true).aio_execute();
        });
      } catch (const tern::OperationalError& e) {
        refused = e;
      }
    }(claimed, nowait_refused, first));
    co_await other.join();
  }));
  EXPECT_EQ(claimed, (std::vector<std::string>{"t2", "t3"}));
  // NOWAIT on a locked row: 55P03 lock_not_available; MariaDB's ER_LOCK_WAIT_TIMEOUT (1205),
  // which its NOWAIT raises at once.
  ASSERT_TRUE(nowait_refused.has_value());
  EXPECT_EQ(nowait_refused->sqlstate(), pg() ? "55P03" : "HY000") << nowait_refused->what();
  EXPECT_EQ(nowait_refused->info().code, pg() ? 0u : 1205u) << nowait_refused->what();
  // OF names the tables to lock (PostgreSQL); FOR SHARE on both.
  auto of =
      Book::select().join<Author>(Book::c.author_id == Author::c.id).for_update({.of = {"book"}});
  if (pg()) {
    EXPECT_EQ(run(db->aio_atomic(
                  [&]() -> Task<std::size_t> { co_return (co_await of.aio_execute()).size(); })),
              3u);
  } else {
    EXPECT_THROW(run(of.aio_execute()), tern::NotSupportedError);
  }
  const auto shared = Book::select().for_update(
      {.strength = tern::orm::ast::Lock::Strength::kShare, .nowait = true});
  EXPECT_EQ(run(db->aio_atomic(
                [&]() -> Task<std::size_t> { co_return (co_await shared.aio_execute()).size(); })),
            3u);
}

TEST_P(OrmParity, BulkCreateAndUpdateInBatches) {
  const Author a = author("bulk");
  std::vector<Book> books;
  for (int i = 0; i < 25; ++i)
    books.push_back({.title = "b" + std::to_string(i), .author_id = a.id, .pages = i});
  EXPECT_EQ(run(Book::aio_bulk_create(books, 10)), 25u);
  std::vector<std::int64_t> keys;
  for (const Book& b : books)
    keys.push_back(b.id);
  EXPECT_TRUE(std::all_of(keys.begin(), keys.end(), [](std::int64_t k) { return k > 0; }));
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
  for (const Book& b : books)
    EXPECT_EQ(run(Book::aio_get(Book::c.id == b.id)).title, b.title);
  for (Book& b : books) {
    b.pages += 100;
    b.title += "!";
  }
  EXPECT_EQ(run(Book::aio_bulk_update(books, 10, Book::c.pages, Book::c.title)), 25u);
  for (const Book& b : books) {
    const Book back = run(Book::aio_get(Book::c.id == b.id));
    EXPECT_EQ(back.pages, b.pages);
    EXPECT_EQ(back.title, b.title);
  }
  // A failing batch rolls back the earlier ones (one transaction).
  std::vector<Book> broken{{.title = "ok", .author_id = a.id}, {.title = "bad", .author_id = 999}};
  EXPECT_THROW(run(Book::aio_bulk_create(broken, 1)), tern::IntegrityError);
  EXPECT_EQ(run(Book::select().where(Book::c.title == "ok").aio_count()), 0);
}

TEST_P(OrmParity, AioFetchLoadsAndCachesTheForeignKeysTarget) {
  const Author writer = author("writer");
  Book book = run(Book::aio_create(Book::c.title = "t", Book::c.author_id = writer.id));
  EXPECT_EQ(run(tern::aio_fetch<Author>(book, Book::c.author_id)).name, "writer");
  // A NULL nullable key: nothing, without a query.
  EXPECT_EQ(run(tern::aio_fetch<Author>(book, Book::c.editor_id)), std::nullopt);
  // Not a foreign key to Author.
  EXPECT_THROW(run(tern::aio_fetch<Author>(book, Book::c.pages)), tern::InterfaceError);
  int queries = 0;
  db->set_query_hook([&](const tern::QueryEvent&) { ++queries; });
  const Author* first = run(tern::aio_fetch(book, Book::c.author_id, &Book::author));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->name, "writer");
  const Author* again = run(tern::aio_fetch(book, Book::c.author_id, &Book::author));
  EXPECT_EQ(again, first);
  EXPECT_EQ(queries, 1);  // the second came from the cache
  // The key changed: the cache no longer matches and is refreshed.
  book.author_id = author("other").id;
  queries = 0;
  EXPECT_EQ(run(tern::aio_fetch(book, Book::c.author_id, &Book::author))->name, "other");
  EXPECT_EQ(queries, 1);
  db->set_query_hook({});
}

TEST_P(OrmParity, SignalsAreAwaitedInOrderAroundSaveAndDelete) {
  std::vector<std::string> log;
  auto& pre = tern::aio_pre_save<Author>();
  auto& post = tern::aio_post_save<Author>();
  const auto a = pre.connect([&](Author& x, bool created) -> Task<void> {
    log.push_back("pre1 " + x.name + (created ? " new" : " old"));
    co_return;
  });
  const auto b = pre.connect([&](Author& x, bool) -> Task<void> {
    co_await tern::ring::sleep_for(loop, 1ms);  // awaited before the next receiver
    log.push_back("pre2 " + x.name);
  });
  const auto c = post.connect([&](Author& x, bool created) -> Task<void> {
    log.push_back("post " + std::to_string(x.id > 0) + (created ? " new" : " old"));
    co_return;
  });
  const auto d = tern::aio_pre_delete<Author>().connect([&](const Author& x) -> Task<void> {
    log.push_back("pre_delete " + x.name);
    co_return;
  });
  const auto e = tern::aio_post_delete<Author>().connect([&](const Author& x) -> Task<void> {
    log.push_back("post_delete " + x.name);
    co_return;
  });
  Author x = run(Author::aio_create(Author::c.name = "s"));
  x.name = "s2";
  run(x.aio_save());
  run(x.aio_delete_instance());
  // Other models' signals are not this model's; bulk queries send none.
  run(Student::aio_create(Student::c.name = "n"));
  run(Author::update().set(Author::c.name, "zz").aio_execute());
  EXPECT_EQ(
      log, (std::vector<std::string>{"pre1 s new", "pre2 s", "post 1 new", "pre1 s2 old", "pre2 s2",
                                     "post 1 old", "pre_delete s2", "post_delete s2"}));
  EXPECT_TRUE(pre.disconnect(a));
  EXPECT_TRUE(pre.disconnect(b));
  EXPECT_FALSE(pre.disconnect(b));
  // A pre_save receiver that throws stops the write.
  const auto veto = pre.connect([](Author&, bool) -> Task<void> {
    throw std::runtime_error("vetoed");
    co_return;
  });
  EXPECT_THROW(run(Author::aio_create(Author::c.name = "never")), std::runtime_error);
  EXPECT_EQ(run(Author::select().where(Author::c.name == "never").aio_count()), 0);
  pre.disconnect(veto);
  post.disconnect(c);
  tern::aio_pre_delete<Author>().disconnect(d);
  tern::aio_post_delete<Author>().disconnect(e);
}

TEST_P(OrmParity, ManyToManyThroughAModel) {
  const Student ann = run(Student::aio_create(Student::c.name = "ann"));
  const Student bob = run(Student::aio_create(Student::c.name = "bob"));
  const Course math = run(Course::aio_create(Course::c.name = "math"));
  const Course art = run(Course::aio_create(Course::c.name = "art"));
  const Course law = run(Course::aio_create(Course::c.name = "law"));
  auto anns = tern::many_to_many<Course, StudentCourse>(ann);
  EXPECT_EQ(run(anns.aio_add(math)), 1u);
  EXPECT_EQ(run(anns.aio_add(std::vector<Course>{art, law})), 2u);
  EXPECT_THROW(run(anns.aio_add(math)), tern::IntegrityError);  // linked already
  run(tern::many_to_many<Course, StudentCourse>(bob).aio_add(math));
  std::vector<std::string> courses;
  for (const Course& c : run(anns.select().order_by(Course::c.name).aio_execute()))
    courses.push_back(c.name);
  EXPECT_EQ(courses, (std::vector<std::string>{"art", "law", "math"}));
  // The other direction, through the same model.
  std::vector<std::string> students;
  for (const Student& s : run(tern::many_to_many<Student, StudentCourse>(math)
                                  .select()
                                  .order_by(Student::c.name)
                                  .aio_execute()))
    students.push_back(s.name);
  EXPECT_EQ(students, (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(run(anns.aio_remove(art)), 1u);
  EXPECT_EQ(run(anns.aio_execute()).size(), 2u);
  EXPECT_EQ(run(anns.aio_clear()), 2u);
  EXPECT_TRUE(run(anns.aio_execute()).empty());
  EXPECT_EQ(run(tern::many_to_many<Course, StudentCourse>(bob).aio_execute()).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, OrmParity,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == tern::Dialect::kPostgres ? "Postgres"
                                                                               : "MySQL";
                         });

}  // namespace
