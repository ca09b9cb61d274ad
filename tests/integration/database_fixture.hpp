// The fixture of the AioDatabase suites: one database per test on each backend (the test's
// parameter: PostgreSQL, MySQL, SQLite), run on the test's own loop, and small helpers for the SQL
// that differs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tern/db/database.hpp"
#include "tern/ring/ring.hpp"
#include "test_database.hpp"

namespace tern {

class Database : public ::testing::TestWithParam<Dialect> {
 protected:
  std::unique_ptr<AioDatabase> make(DatabaseOptions options = {}) {
    return testing::make_database(GetParam(), options);
  }
  // The n-th placeholder of the dialect.
  std::string p(int n) const {
    return GetParam() == Dialect::kPostgres ? "$" + std::to_string(n) : "?";
  }
  bool sqlite() const { return GetParam() == Dialect::kSqlite; }
  std::string session_id_sql() const {
    return GetParam() == Dialect::kPostgres ? "SELECT pg_backend_pid()::int8"
           : sqlite()                       ? "SELECT tern_connection_id()"
                                            : "SELECT CAST(CONNECTION_ID() AS SIGNED)";
  }
  std::string kill_sql(std::int64_t id) const {
    return GetParam() == Dialect::kPostgres
               ? "SELECT pg_terminate_backend(" + std::to_string(id) + ")"
               : "KILL " + std::to_string(id);
  }
  template <class T>
  T run(ring::Task<T> task) {
    return ring::sync_wait(loop, std::move(task));
  }
  void pause(std::chrono::milliseconds d) {
    run([](ring::Loop& l, std::chrono::milliseconds t) -> ring::Task<void> {
      co_await ring::sleep_for(l, t);
    }(loop, d));
  }
  std::int64_t count(AioDatabase& db, const std::string& table) {
    return run(db.aio_execute("SELECT COUNT(*) FROM " + table)).row(0).get<std::int64_t>(0);
  }
  void create_table(AioDatabase& db, const std::string& table) {
    run(db.aio_execute("DROP TABLE IF EXISTS " + table));
    run(db.aio_execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, v INT)"));
  }

  ring::Loop loop;
};

}  // namespace tern
