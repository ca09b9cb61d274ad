// Sync mode as peewee's (issue 22, item 2): every aio_ call of the model, query and database
// API has a sync twin of peewee's name, allowed only inside allow_sync / set_allow_sync(true),
// run on the database's own connection (never the pool's); and the seed's keyword style
// (item 7), `M::aio_create(M::c.key = "title")`, async and sync. Against real PostgreSQL and
// MariaDB.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tern/orm/model.hpp"
#include "tern/orm/prefetch.hpp"
#include "tern/orm/relations.hpp"
#include "tern/orm/schema.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace {

using tern::ring::Task;

// The models' database: set by each test to the backend under test.
std::unique_ptr<tern::AioDatabase> db;

struct SyncNote;
struct SyncShelf {
  std::int64_t id{};
  std::string name;
  std::vector<SyncNote> notes;  // filled by prefetch, not a column (no `{}`: incomplete type)
  TERN_MODEL(SyncShelf, db, (id, tern::AutoField{}),
             (name, tern::CharField{.max_length = 40, .unique = true}));
};

struct SyncNote {
  std::int64_t id{};
  std::string key;
  std::string text;
  int rank = 0;
  std::int64_t shelf_id{};
  TERN_MODEL(SyncNote, db, (id, tern::AutoField{}),
             (key, tern::CharField{.max_length = 40, .unique = true}),
             (text, tern::TextField{.default_value = ""}), (rank, tern::IntegerField{}),
             (shelf_id, tern::ForeignKeyField<SyncShelf>{}));
};

struct SyncLabel {
  std::int64_t id{};
  std::string name;
  TERN_MODEL(SyncLabel, db, (id, tern::AutoField{}), (name, tern::CharField{.max_length = 40}));
};

struct SyncNoteLabel {
  std::int64_t id{};
  std::int64_t note_id{};
  std::int64_t label_id{};
  TERN_MODEL(SyncNoteLabel, db, (id, tern::AutoField{}),
             (note_id, tern::ForeignKeyField<SyncNote>{}),
             (label_id, tern::ForeignKeyField<SyncLabel>{}));
};

class Sync : public ::testing::TestWithParam<tern::Dialect> {
 protected:
  void SetUp() override {
    db = tern::testing::make_database(GetParam());
    run(tern::aio_drop_tables<SyncShelf, SyncNote, SyncLabel, SyncNoteLabel>());
    run(tern::aio_create_tables<SyncShelf, SyncNote, SyncLabel, SyncNoteLabel>());
    shelf = run(SyncShelf::aio_create(SyncShelf::c.name = "main"));
  }
  void TearDown() override {
    db->set_allow_sync(false);
    run(tern::aio_drop_tables<SyncShelf, SyncNote, SyncLabel, SyncNoteLabel>());
    run(db->aio_close());
    db.reset();
  }
  template <class T>
  T run(Task<T> task) {
    return tern::ring::sync_wait(loop, std::move(task));
  }
  std::int64_t notes() { return run(SyncNote::select().aio_count()); }
  SyncNote note(std::string key, int rank) const {
    return SyncNote{.key = std::move(key), .text = "t", .rank = rank, .shelf_id = shelf.id};
  }

  tern::ring::Loop loop;
  SyncShelf shelf;
};

// Each twin, outside allow_sync, throws the gate's InterfaceError and runs nothing.
TEST_P(Sync, EveryTwinIsRefusedOutsideAllowSync) {
  SyncNote n = note("n", 1);
  run(n.aio_save());
  std::vector<SyncNote> many = {note("m1", 1), note("m2", 2)};
  const auto label = run(SyncLabel::aio_create(SyncLabel::c.name = "l"));
  const auto links = tern::many_to_many<SyncLabel, SyncNoteLabel>(n);
  const auto q = SyncNote::select().where(SyncNote::c.rank > 0);
  const auto fresh = note("fresh", 3);
  const std::vector<std::pair<const char*, std::function<void()>>> twins = {
      {"execute_sql", [] { db->execute_sql("SELECT 1"); }},
      {"execute_sql(args)", [] { db->execute_sql("SELECT 1", 1); }},
      {"atomic", [] { db->atomic([] {}); }},
      {"transaction", [] { db->transaction([] {}); }},
      {"get_tables", [] { db->get_tables(); }},
      {"table_exists", [] { db->table_exists("sync_note"); }},
      {"sequence_exists", [] { db->sequence_exists("s"); }},
      {"create", [&] { SyncNote::create(fresh); }},
      {"get", [] { SyncNote::get(SyncNote::c.key == "n"); }},
      {"get_or_none", [] { SyncNote::get_or_none(SyncNote::c.key == "n"); }},
      {"get_or_create", [&] { SyncNote::get_or_create(fresh, SyncNote::c.key); }},
      {"bulk_create", [&] { SyncNote::bulk_create(many); }},
      {"bulk_update", [&] { SyncNote::bulk_update({n}, 0, SyncNote::c.rank); }},
      {"save", [&] { n.save(); }},
      {"delete_instance", [&] { n.delete_instance(); }},
      {"create_table", [] { SyncNote::create_table(); }},
      {"drop_table", [] { SyncNote::drop_table(); }},
      {"truncate_table", [] { SyncNote::truncate_table(); }},
      {"Model::table_exists", [] { SyncNote::table_exists(); }},
      {"create_tables", [] { tern::create_tables<SyncShelf, SyncNote>(); }},
      {"drop_tables", [] { tern::drop_tables<SyncShelf, SyncNote>(); }},
      {"select.execute", [&] { q.execute(); }},
      {"select.count", [&] { q.count(); }},
      {"select.exists", [&] { q.exists(); }},
      {"select.scalar",
       [] { SyncNote::select(tern::orm::fn::max(SyncNote::c.rank)).scalar<int>(); }},
      {"select.first", [&] { q.first(); }},
      {"select.first(n)", [&] { q.first(2); }},
      {"select.peek", [&] { q.peek(); }},
      {"select.peek(n)", [&] { q.peek(2); }},
      {"select.get", [&] { q.get(); }},
      {"select.rows", [&] { q.rows(); }},
      {"select.tuples", [] { SyncNote::select(SyncNote::c.key).tuples<std::string>(); }},
      {"select.dicts", [&] { q.dicts(); }},
      {"select.iterator", [&] { q.iterator(); }},
      {"select.models", [] { SyncNote::select().join<SyncShelf>().models<SyncShelf>(); }},
      {"select(db).rows", [] { tern::orm::select(tern::orm::value<std::int64_t>(1)).rows(*db); }},
      {"insert.execute", [&] { SyncNote::insert(fresh).execute(); }},
      {"insert.execute_key", [&] { SyncNote::insert(fresh).execute_key(); }},
      {"insert.rowcount", [&] { SyncNote::insert(fresh).as_rowcount().execute(); }},
      {"insert_many.execute", [&] { SyncNote::insert_many(many).execute(); }},
      {"insert.returning", [&] { SyncNote::insert(fresh).returning(SyncNote::c).models(); }},
      {"insert_from.execute",
       [] {
         SyncLabel::insert_from(SyncNote::select(SyncNote::c.key), SyncLabel::c.name).execute();
       }},
      {"update.execute", [] { SyncNote::update().set(SyncNote::c.rank, 5).execute(); }},
      {"delete.execute", [] { SyncNote::delete_().execute(); }},
      {"delete.rows", [] { SyncNote::delete_().rows(); }},
      {"raw.execute", [] { SyncNote::raw("SELECT * FROM sync_note").execute(); }},
      {"many_to_many.add", [&] { links.add(label); }},
      {"many_to_many.execute", [&] { links.execute(); }},
      {"prefetch",
       [] {
         tern::prefetch(SyncShelf::select(), tern::into(&SyncShelf::notes, SyncNote::select()));
       }},
  };
  for (const auto& [name, twin] : twins) {
    try {
      twin();
      ADD_FAILURE() << name << " ran outside allow_sync";
    } catch (const tern::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find("allow_sync"), std::string::npos)
          << name << ": " << e.what();
    }
  }
  // Nothing ran: one note, its row as it was, the tables there, no pool connection for sync.
  EXPECT_EQ(notes(), 1);
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == "n")).rank, 1);
  EXPECT_EQ(run(SyncLabel::select().aio_count()), 1);
}

TEST_P(Sync, ModelTwinsMirrorTheAsyncApi) {
  auto sync = db->allow_sync();
  SyncNote a = SyncNote::create(note("a", 1));
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(SyncNote::get(SyncNote::c.key == "a").id, a.id);
  EXPECT_EQ(SyncNote::get(SyncNote::c.key == "a", SyncNote::c.rank == 1).id, a.id);
  EXPECT_THROW(SyncNote::get(SyncNote::c.key == "zz"), SyncNote::DoesNotExist);
  EXPECT_FALSE(SyncNote::get_or_none(SyncNote::c.key == "zz").has_value());
  auto [b, created] = SyncNote::get_or_create(note("b", 2), SyncNote::c.key);
  EXPECT_TRUE(created);
  EXPECT_GT(b.id, 0);
  auto [again, created_again] = SyncNote::get_or_create(note("b", 9), SyncNote::c.key);
  EXPECT_FALSE(created_again);
  EXPECT_EQ(again.id, b.id);
  EXPECT_EQ(again.rank, 2);
  a.rank = 10;
  EXPECT_EQ(a.save(), 1u);
  SyncNote c = note("c", 3);
  c.save();  // unset auto key: an insert
  EXPECT_GT(c.id, 0);
  std::vector<SyncNote> more = {note("d", 4), note("e", 5)};
  EXPECT_EQ(SyncNote::bulk_create(more), 2u);
  EXPECT_GT(more[1].id, more[0].id);
  more[0].rank = 40;
  more[1].rank = 50;
  EXPECT_EQ(SyncNote::bulk_update(more, 0, SyncNote::c.rank), 2u);
  EXPECT_EQ(c.delete_instance(), 1u);
  EXPECT_TRUE(SyncNote::table_exists());
  // The same rows seen through the async API.
  EXPECT_EQ(notes(), 4);
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == "a")).rank, 10);
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == "e")).rank, 50);
  const SyncLabel label = SyncLabel::create(SyncLabel{.name = "l"});
  SyncNoteLabel::create(SyncNoteLabel{.note_id = a.id, .label_id = label.id});
  SyncNoteLabel::truncate_table();
  EXPECT_EQ(run(SyncNoteLabel::select().aio_count()), 0);
  tern::drop_tables<SyncShelf, SyncNote, SyncLabel, SyncNoteLabel>();
  EXPECT_FALSE(SyncNote::table_exists());
  tern::create_tables<SyncShelf, SyncNote, SyncLabel, SyncNoteLabel>();
  SyncNoteLabel::drop_table();
  EXPECT_FALSE(db->table_exists("sync_note_label"));
  SyncNoteLabel::create_table();
  EXPECT_TRUE(db->table_exists("sync_note_label"));
  const std::vector<std::string> tables = db->get_tables();
  EXPECT_NE(std::find(tables.begin(), tables.end(), "sync_shelf"), tables.end());
}

TEST_P(Sync, QueryTwinsMirrorTheAsyncApi) {
  auto sync = db->allow_sync();
  for (int i = 1; i <= 3; ++i)
    SyncNote::create(note("k" + std::to_string(i), i));
  const auto q = SyncNote::select().where(SyncNote::c.rank >= 2).order_by(SyncNote::c.rank);
  EXPECT_EQ(q.execute().size(), 2u);
  EXPECT_EQ(q.count(), 2);
  EXPECT_TRUE(q.exists());
  EXPECT_FALSE(SyncNote::select().where(SyncNote::c.rank > 9).exists());
  EXPECT_EQ(q.first()->key, "k2");
  EXPECT_EQ(q.first(5).size(), 2u);
  EXPECT_EQ(q.peek()->key, "k2");
  EXPECT_EQ(q.peek(1).size(), 1u);
  EXPECT_EQ(q.get().key, "k2");
  EXPECT_EQ(q.rows().size(), 2u);
  EXPECT_EQ(q.dicts().at(0).at("key"), tern::Value("k2"));
  EXPECT_EQ(q.iterator().size(), 2u);
  EXPECT_EQ(std::get<1>(SyncNote::select().join<SyncShelf>().models<SyncShelf>().at(0)).name,
            "main");
  EXPECT_EQ(SyncNote::select(tern::orm::fn::max(SyncNote::c.rank)).scalar<int>(), 3);
  const auto keys =
      SyncNote::select(SyncNote::c.key).order_by(SyncNote::c.key).tuples<std::string>();
  EXPECT_EQ(std::get<0>(keys.at(2)), "k3");
  EXPECT_EQ(tern::orm::select(tern::orm::value<std::int64_t>(7)).scalar<std::int64_t>(*db), 7);
  EXPECT_EQ(tern::orm::select(tern::orm::value<std::int64_t>(7)).count(*db), 1);
  // Writes.
  const SyncNote x = note("x", 7);
  const std::optional<std::int64_t> id = SyncNote::insert(x).execute();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(SyncNote::get(SyncNote::c.id == *id).key, "x");
  EXPECT_EQ(
      SyncNote::insert(SyncNote::c.key = "y", SyncNote::c.rank = 8, SyncNote::c.shelf_id = shelf.id)
          .as_rowcount()
          .execute(),
      1u);
  const std::vector<SyncNote> two = {note("z1", 9), note("z2", 9)};
  EXPECT_EQ(SyncNote::insert_many(two).execute().size(), 2u);
  EXPECT_TRUE(
      SyncNote::insert(SyncNote::c.key = "w", SyncNote::c.rank = 9, SyncNote::c.shelf_id = shelf.id)
          .execute_key()
          .has_value());
  const auto returned = SyncNote::insert(SyncNote::c.key = "r", SyncNote::c.rank = 11,
                                         SyncNote::c.shelf_id = shelf.id)
                            .returning(SyncNote::c)
                            .models();
  EXPECT_EQ(returned.at(0).key, "r");
  EXPECT_EQ(SyncNote::update().set(SyncNote::c.rank, 0).where(SyncNote::c.rank == 9).execute(), 3u);
  EXPECT_EQ(SyncLabel::insert_from(SyncNote::select(SyncNote::c.key).where(SyncNote::c.rank == 0),
                                   SyncLabel::c.name)
                .execute(),
            3u);
  EXPECT_EQ(SyncNote::raw(GetParam() == tern::Dialect::kPostgres
                              ? "SELECT * FROM sync_note WHERE rank = $1"
                              : "SELECT * FROM sync_note WHERE `rank` = ?",
                          0)
                .execute()
                .size(),
            3u);
  EXPECT_EQ(SyncNote::delete_().where(SyncNote::c.rank == 0).execute(), 3u);
  // Relations.
  const SyncNote k1 = SyncNote::get(SyncNote::c.key == "k1");
  const SyncLabel label = SyncLabel::create(SyncLabel{.name = "blue"});
  const auto links = tern::many_to_many<SyncLabel, SyncNoteLabel>(k1);
  EXPECT_EQ(links.add(label), 1u);
  EXPECT_EQ(links.execute().at(0).name, "blue");
  EXPECT_EQ(links.remove(label), 1u);
  EXPECT_EQ(links.clear(), 0u);
  const auto shelves =
      tern::prefetch(SyncShelf::select(), tern::into(&SyncShelf::notes, SyncNote::select()));
  EXPECT_EQ(shelves.at(0).notes.size(), 6u);  // 3 + x, y, r
}

TEST_P(Sync, AtomicCommitsRollsBackAndNests) {
  auto sync = db->allow_sync();
  const std::int64_t id = db->atomic([&] { return SyncNote::create(note("kept", 1)).id; });
  EXPECT_GT(id, 0);
  EXPECT_THROW(db->atomic([&] {
    SyncNote::create(note("lost", 2));
    throw std::runtime_error("no");
  }),
               std::runtime_error);
  db->atomic([&] {
    SyncNote::create(note("outer", 3));
    // A nested block is a savepoint: its rollback keeps the outer block's rows.
    EXPECT_THROW(db->atomic([&] {
      SyncNote::create(note("inner", 4));
      throw std::runtime_error("inner");
    }),
                 std::runtime_error);
    // aio_atomic blocks run by a twin (get_or_create's insert) nest in it too.
    SyncNote::get_or_create(note("made", 5), SyncNote::c.key);
    EXPECT_THROW(db->transaction([] {}), tern::OperationalError);  // does not nest
  });
  // As the async API sees them: committed rows only.
  const auto keys =
      run(SyncNote::select(SyncNote::c.key).order_by(SyncNote::c.key).aio_tuples<std::string>());
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(std::get<0>(keys[0]), "kept");
  EXPECT_EQ(std::get<0>(keys[1]), "made");
  EXPECT_EQ(std::get<0>(keys[2]), "outer");
  // A failed statement rolls back the whole block (unique key).
  EXPECT_THROW(db->transaction([&] {
    SyncNote::create(note("t1", 6));
    SyncNote::create(note("kept", 7));
  }),
               tern::IntegrityError);
  EXPECT_FALSE(SyncNote::get_or_none(SyncNote::c.key == "t1").has_value());
  EXPECT_EQ(notes(), 3);
}

TEST_P(Sync, ExecuteSqlTakesArguments) {
  db->set_allow_sync(true);
  const std::string sql = GetParam() == tern::Dialect::kPostgres
                              ? "SELECT $1::int8 + $2::int8, $3::text"
                              : "SELECT CAST(? + ? AS SIGNED), ?";
  const tern::ResultSet r = db->execute_sql(sql, 40, 2, "x");
  EXPECT_EQ(r.row(0).get<std::int64_t>(0), 42);
  EXPECT_EQ(r.row(0).get<std::string>(1), "x");
}

// The twins run on the database's own connection: a database used only through them never
// opens its pool.
TEST_P(Sync, TwinsNeverTouchThePool) {
  auto other = tern::testing::make_database(GetParam());
  {
    auto sync = other->allow_sync();
    other->atomic([&] { other->execute_sql("SELECT 1"); });
    EXPECT_TRUE(other->table_exists("sync_note"));
  }
  EXPECT_FALSE(other->is_connected());
  EXPECT_EQ(other->pool_stats().size, 0u);
}

// A sync call from a task the sync loop runs (a signal receiver of a sync save) would wait for
// itself: refused with a message naming the aio_ call.
TEST_P(Sync, SyncCallInsideASyncTaskIsRefused) {
  auto sync = db->allow_sync();
  const auto id = tern::aio_post_save<SyncNote>().connect([](SyncNote&, bool) -> Task<void> {
    SyncNote::get(SyncNote::c.key == "a");
    co_return;
  });
  SyncNote a = note("a", 1);
  EXPECT_THROW(a.save(), tern::InterfaceError);
  tern::aio_post_save<SyncNote>().disconnect(id);
}

// The keyword style inside co_await, where GCC 12 miscompiles the braced one: values copied
// into the assignments (long strings, so that a double destruction would be a double free
// under ASan), defaults only used on create, update, and inserts kept by their statement.
TEST_P(Sync, KeywordArgumentsAsInTheSeed) {
  const std::int64_t shelf_id = shelf.id;
  const std::string long_text(100, 'x');
  const SyncNote made = run([](std::int64_t owner, std::string text) -> Task<SyncNote> {
    co_return co_await SyncNote::aio_create(SyncNote::c.key = "title",
                                            SyncNote::c.text = text + " and more",
                                            SyncNote::c.shelf_id = owner);
  }(shelf_id, long_text));
  EXPECT_GT(made.id, 0);
  EXPECT_EQ(made.text, long_text + " and more");
  EXPECT_EQ(made.rank, 0);  // not given: the member's default
  const auto [found, created] = run([](std::int64_t owner) -> Task<std::pair<SyncNote, bool>> {
    co_return co_await SyncNote::aio_get_or_create(
        SyncNote::c.key = "title",
        tern::defaults(SyncNote::c.rank = 5, SyncNote::c.shelf_id = owner));
  }(shelf_id));
  EXPECT_FALSE(created);
  EXPECT_EQ(found.id, made.id);
  EXPECT_EQ(found.rank, 0);  // found: the defaults are not applied
  const auto [fresh, was_created] = run([](std::int64_t owner) -> Task<std::pair<SyncNote, bool>> {
    co_return co_await SyncNote::aio_get_or_create(
        SyncNote::c.key = "other", SyncNote::c.text = "t",
        tern::defaults(SyncNote::c.rank = 5, SyncNote::c.shelf_id = owner));
  }(shelf_id));
  EXPECT_TRUE(was_created);
  EXPECT_EQ(fresh.rank, 5);
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == "other")).rank, 5);
  // Several lookup columns: the row matching all of them.
  const auto [again, again_created] =
      run(SyncNote::aio_get_or_create(SyncNote::c.key = "other", SyncNote::c.text = "t",
                                      tern::defaults(SyncNote::c.shelf_id = shelf_id)));
  EXPECT_FALSE(again_created);
  EXPECT_EQ(again.id, fresh.id);
  EXPECT_EQ(run(SyncNote::update(SyncNote::c.rank = 7, SyncNote::c.text = long_text)
                    .where(SyncNote::c.key == "title")
                    .aio_execute()),
            1u);
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == "title")).text, long_text);
  // A keyword insert keeps its object: built here, run after its arguments are gone.
  auto insert =
      SyncNote::insert(SyncNote::c.key = std::string(39, 'k'),
                       SyncNote::c.text = std::string(60, 't'), SyncNote::c.shelf_id = shelf_id);
  auto copy = insert;  // copies share the object
  EXPECT_TRUE(run(insert.aio_execute()).has_value());
  EXPECT_EQ(run(SyncNote::aio_get(SyncNote::c.key == std::string(39, 'k'))).text,
            std::string(60, 't'));
  EXPECT_EQ(run(copy.on_conflict_ignore().aio_execute()), std::nullopt);
#if !(defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13)
  // Elsewhere than GCC < 13 an rvalue object is kept the same way (GCC < 13 refuses it: see
  // tests/compile_fail/braced_insert.cpp).
  auto kept = SyncNote::insert(note(std::string(40, 'r'), 1));
  std::vector<SyncNote> many = {note("m1", 1), note("m2", 2)};
  auto kept_many = SyncNote::insert_many(std::move(many));
  EXPECT_TRUE(run(kept.aio_execute()).has_value());
  EXPECT_EQ(run(kept_many.aio_execute()).size(), 2u);
  EXPECT_EQ(run(SyncNote::aio_create({.key = "braced", .shelf_id = shelf_id})).key, "braced");
#endif
  // The sync twins take the same arguments.
  auto sync = db->allow_sync();
  EXPECT_EQ(SyncNote::create(SyncNote::c.key = "s", SyncNote::c.shelf_id = shelf_id).key, "s");
  EXPECT_FALSE(SyncNote::get_or_create(SyncNote::c.key = "s").second);
  EXPECT_EQ(SyncNote::update(SyncNote::c.rank = 9).where(SyncNote::c.key == "s").execute(), 1u);
  EXPECT_EQ(SyncNote::get(SyncNote::c.key == "s").rank, 9);
}

INSTANTIATE_TEST_SUITE_P(Backends, Sync,
                         ::testing::Values(tern::Dialect::kPostgres, tern::Dialect::kMysql),
                         [](const auto& param_info) {
                           return param_info.param == tern::Dialect::kPostgres ? "Postgres"
                                                                               : "MySQL";
                         });

}  // namespace
