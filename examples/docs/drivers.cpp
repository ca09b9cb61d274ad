// The drivers without the database layer (docs/postgresql.md, docs/mariadb.md): a
// pg::Connection with bound parameters, arrays, LISTEN/NOTIFY and COPY; a mysql::Connection.
//   build/examples/docs/drivers POSTGRESQL-URL MYSQL-URL
#include <cstdio>
#include <optional>
#include <string>
#include <tern/protocol/mysql/connection.hpp>
#include <tern/protocol/pg/connection.hpp>
#include <tern/ring/ring.hpp>
#include <vector>

using namespace tern;

/// [pg]
ring::Task<void> postgres(ring::Loop& loop, std::string url) {
  pg::Connection c = co_await pg::Connection::connect(loop, pg::ConnectOptions::parse(url));
  pg::Params params;
  params.add(std::string("tern"));
  params.add(std::vector<std::int32_t>{1, 2, 3});
  pg::Result r = co_await c.execute("SELECT upper($1), cardinality($2::int4[])", params);
  for (pg::Row row : r)
    std::printf("%s %d\n", row.get<std::string>(0).c_str(), row.get<std::int32_t>(1));

  // LISTEN/NOTIFY: the notification arrives on the listening connection.
  co_await c.simple_query("LISTEN jobs; NOTIFY jobs, 'job 1'");
  pg::Notification n =
      co_await c.wait_for_notification(ring::deadline_after(std::chrono::seconds(5)));
  std::printf("%s: %s\n", n.channel.c_str(), n.payload.c_str());

  // COPY FROM STDIN / TO STDOUT.
  co_await c.simple_query("CREATE TEMP TABLE t (a int, b text)");
  // Named first: GCC 12 cannot take a braced list inside co_await ("array used as initializer").
  const std::vector<std::string> chunks = {"1\tone\n2\ttwo\n"};
  std::uint64_t in = co_await c.copy_in("COPY t FROM STDIN", chunks);
  std::uint64_t out = co_await c.copy_out("COPY t TO STDOUT", [](std::string_view line) {
    std::printf("copied out: %.*s", static_cast<int>(line.size()), line.data());
  });
  std::printf("%llu in, %llu out\n", static_cast<unsigned long long>(in),
              static_cast<unsigned long long>(out));
  co_await c.close();
}
/// [pg]

/// [mysql]
ring::Task<void> mariadb(ring::Loop& loop, std::string url) {
  mysql::Connection c =
      co_await mysql::Connection::connect(loop, mysql::ConnectOptions::parse(url));
  mysql::Params p;
  p.add(std::string_view("tern"));
  p.add(std::int64_t{41});
  mysql::Result r = co_await c.execute("SELECT UPPER(?), ? + 1", p);
  std::printf("%s %lld\n", r.row(0).get<std::string>(0).c_str(),
              static_cast<long long>(r.row(0).get<std::int64_t>(1)));
  co_await c.close();
}
/// [mysql]

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: drivers POSTGRESQL-URL MYSQL-URL\n");
    return 64;
  }
  ring::Loop loop;
  ring::sync_wait(loop, postgres(loop, argv[1]));
  ring::sync_wait(loop, mariadb(loop, argv[2]));
}
