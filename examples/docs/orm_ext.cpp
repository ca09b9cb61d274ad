// The ORM's PostgreSQL Ext types (docs/orm.md): JSONB, hstore, arrays and intervals in one
// model, written and queried.
//   build/examples/docs/orm_ext postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;  // a PooledPostgresqlExtDatabase with hstore: see main()

/// [ext model]
struct Doc {
  std::int64_t id{};
  tern::Jsonb meta{};    // tern::Json / tern::Jsonb hold the text
  tern::HStore attrs{};  // std::map<std::string, std::optional<std::string>>
  std::vector<std::optional<std::string>> tags{};
  tern::Interval wait{};  // months, days, microseconds
  TERN_MODEL(Doc, db, (id, tern::AutoField{}), (meta, tern::BinaryJSONField{}),
             (attrs, tern::HStoreField{}),
             (tags, tern::ArrayField<tern::CharField>{.element = {.max_length = 20}}),
             (wait, tern::IntervalField{}));
};
/// [ext model]

/// [ext queries]
Task<void> ext_queries() {
  Doc d{
      .meta =
          tern::Jsonb{tern::json::object({{"user", "Zoë"}, {"n", tern::json::array({1, 2})}}).text},
      .attrs = {{"color", "red"}, {"size", std::nullopt}},
      .tags = {"x", std::nullopt}};
  co_await Doc::aio_create(d);
  // Named first: GCC 12 and braced lists inside co_await (see Troubleshooting).
  const auto query = Doc::select().where(
      Doc::c.meta["user"].as_text() == "Zoë" && Doc::c.meta.contains(tern::Json{R"({"n": [2]})"}) &&
      Doc::c.attrs["color"] == "red" && Doc::c.tags.overlap({"x"}));
  std::vector<Doc> docs = co_await query.aio_execute();
  std::printf("%zu doc(s), color %s\n", docs.size(), docs.at(0).attrs.at("color")->c_str());
}
/// [ext queries]

Task<void> setup(std::string url) {
  // hstore must exist before a connection that registers it opens (the test user may create it).
  std::unique_ptr<tern::AioDatabase> admin = tern::connect(url);
  co_await admin->aio_execute("CREATE EXTENSION IF NOT EXISTS hstore");
  co_await admin->aio_close();
  co_await Doc::aio_drop_table(/*safe=*/true);
  co_await Doc::aio_create_table();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: orm_ext POSTGRESQL-URL\n");
    return 64;
  }
  db = std::make_unique<tern::PooledPostgresqlExtDatabase>(tern::pg::ConnectOptions::parse(argv[1]),
                                                           tern::DatabaseOptions{},
                                                           /*register_hstore=*/true);
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, setup(argv[1]));
  tern::ring::sync_wait(loop, ext_queries());
  tern::ring::sync_wait(loop, Doc::aio_drop_table());
  tern::ring::sync_wait(loop, db->aio_close());
}
