// Scopes and tasks (docs/scopes.md, docs/troubleshooting.md): aio_atomic, aio_transaction,
// aio_connection with a manual transaction, transaction_test_case, the query hook, child tasks
// with TaskGroup and spawn.
//   build/examples/docs/scopes postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdio>
#include <memory>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

std::unique_ptr<tern::AioDatabase> db;

Task<void> setup() {
  co_await db->aio_execute("DROP TABLE IF EXISTS account");
  co_await db->aio_execute("CREATE TABLE account (id INT PRIMARY KEY, balance INT NOT NULL)");
  co_await db->aio_execute("INSERT INTO account VALUES (1, 100), (2, 0)");
}

/// [atomic]
Task<void> transfer(int from, int to, int amount) {
  co_await db->aio_atomic([&]() -> Task<void> {  // BEGIN ... COMMIT, or ROLLBACK on a throw
    co_await db->aio_execute("UPDATE account SET balance = balance - $1 WHERE id = $2", amount,
                             from);
    co_await db->aio_execute("UPDATE account SET balance = balance + $1 WHERE id = $2", amount, to);
  });
}
/// [atomic]

/// [connection]
Task<void> manual_transaction() {
  co_await db->aio_connection([&]() -> Task<void> {  // one connection, autocommit
    co_await db->aio_execute("SET application_name = 'docs-sample'");
    tern::Transaction tx =
        co_await db->aio_begin({.isolation = tern::IsolationLevel::kSerializable});
    tern::Transaction sp = co_await db->aio_savepoint();
    co_await db->aio_execute("UPDATE account SET balance = 0 WHERE id = 1");
    co_await sp.rollback();  // the UPDATE is undone
    co_await tx.commit();
  });
}
/// [connection]

/// [transaction and hook]
Task<void> read_only_report() {
  std::size_t seen = 0;
  // Called after every statement: e.sql, e.duration, e.rows, e.error (values only on request).
  db->set_query_hook([&seen](const tern::QueryEvent& e) { seen += e.error ? 0 : 1; });
  co_await db->aio_transaction({.read_only = true}, [&]() -> Task<void> {  // never nests
    co_await db->aio_execute("SELECT sum(balance) FROM account");
  });
  co_await db->transaction_test_case([&]() -> Task<void> {  // always rolled back
    co_await db->aio_execute("DELETE FROM account");
  });
  db->set_query_hook(nullptr);
  std::printf("the hook saw %zu statements\n", seen);
}
/// [transaction and hook]

/// [spawn in atomic]
Task<void> add_interest(int id) {
  co_await db->aio_execute("UPDATE account SET balance = balance + 1 WHERE id = $1", id);
}

Task<void> interest_for_all(tern::ring::Loop& loop) {
  tern::ring::TaskGroup group(loop);
  co_await db->aio_atomic([&]() -> Task<void> {
    // tern::spawn: the children's statements run on the block's connection, pipelined.
    co_await tern::spawn(group, add_interest(1));
    co_await tern::spawn(group, add_interest(2));
    co_await group.join();  // before the block ends
  });
}
/// [spawn in atomic]

/// [spawn lambda]
Task<void> work(std::string name) {
  co_await db->aio_execute("SELECT $1::text", name);
}

Task<void> log_each(tern::ring::Loop& loop, std::vector<std::string> names) {
  tern::ring::TaskGroup group(loop);
  for (const std::string& name : names) {
    // The free ring::spawn keeps the lambda (with its captures) and its arguments alive in
    // the child's frame until the child ends; either form below is safe.
    tern::ring::spawn(group, [name]() -> Task<void> { co_await work(name); });
    // `std::string label` by value: GCC 12 and const& parameters of coroutine lambdas.
    tern::ring::spawn(
        group, [](std::string label) -> Task<void> { co_await work(label); }, name);
  }
  co_await group.join();
}
/// [spawn lambda]

Task<void> check() {
  tern::ResultSet rows = co_await db->aio_execute("SELECT sum(balance) FROM account");
  std::printf("total: %lld\n", static_cast<long long>(rows.row(0).get<std::int64_t>(0)));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: scopes POSTGRESQL-URL\n");
    return 64;
  }
  db = tern::connect(argv[1]);
  tern::ring::Loop loop;
  tern::ring::sync_wait(loop, setup());
  tern::ring::sync_wait(loop, transfer(1, 2, 30));
  tern::ring::sync_wait(loop, manual_transaction());
  tern::ring::sync_wait(loop, interest_for_all(loop));
  tern::ring::sync_wait(loop, log_each(loop, {"a", "b", "c"}));
  tern::ring::sync_wait(loop, check());
  tern::ring::sync_wait(loop, read_only_report());
  tern::ring::sync_wait(loop, check());  // the test case's DELETE was rolled back
  tern::ring::sync_wait(loop, db->aio_close());
}
