// SQLite helpers of the benchmarks: the database both sides open (a WAL file, or an in-memory
// database), the anchor's handles (the sqlite3 C API, called directly on the benchmark's
// thread) with the settings tern applies to its connections, and tern's sqlite::Connection
// with the interface the shared workloads call (execute(sql, params), close()).
//
//   BENCH_SQLITE=wal     (default) a file in a directory of its own under $TMPDIR, in WAL mode
//                        with synchronous = NORMAL: what users deploy
//   BENCH_SQLITE=memory  an in-memory database (SQLite's memdb VFS), shared by both sides
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common.hpp"
#include "tern/protocol/sqlite/connection.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

/// True when BENCH_SQLITE=memory.
inline bool sqlite_in_memory() {
  return env("BENCH_SQLITE", "wal") == "memory";
}

/// "WAL file" or "in-memory": the tables' label of the database measured.
inline std::string sqlite_kind() {
  return sqlite_in_memory() ? "in-memory" : "WAL file";
}

/// Throws with SQLite's message when `rc` is not one of the two `ok` codes.
inline void sqlite_check(sqlite3* db, int rc, int ok = SQLITE_OK, int ok2 = SQLITE_OK) {
  if (rc != ok && rc != ok2) throw std::runtime_error(std::string("SQLite: ") + sqlite3_errmsg(db));
}

/// Runs `sql` (one or more statements, no parameters) on `db`; throws on an error.
inline void sqlite_exec(sqlite3* db, const char* sql) {
  sqlite_check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr));
}

/// The first column of the first row of `sql`, as an integer.
inline std::int64_t sqlite_scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  sqlite_check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr));
  const int rc = sqlite3_step(s);
  const std::int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  sqlite_check(db, rc, SQLITE_ROW);
  return v;
}

/// The database of this process: its path (a file:/ URI of the memdb VFS for memory).
/// The WAL file's directory is removed at exit; the in-memory database lives while one
/// connection is open, so the first call opens one that stays open for the process.
inline const std::string& sqlite_path() {
  struct Database {
    std::string path;
    std::filesystem::path dir;
    sqlite3* keeper = nullptr;
    Database() {
      const std::string id = std::to_string(::getpid());
      if (sqlite_in_memory()) {
        path = "file:/tern-bench-" + id + "?vfs=memdb";
        sqlite3_open_v2(path.c_str(), &keeper,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
      } else {
        dir = std::filesystem::temp_directory_path() / ("tern-bench-sqlite-" + id);
        std::filesystem::create_directories(dir);
        path = (dir / "bench.db").string();
      }
    }
    ~Database() {
      sqlite3_close_v2(keeper);
      if (!dir.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
      }
    }
  };
  static const Database db;
  return db.path;
}

/// An anchor connection with the settings tern applies to each of its connections (foreign
/// keys on, a 5 s busy timeout, WAL with synchronous = NORMAL for the file), opened in
/// SQLite's multi-thread mode as tern opens them. Throws when it fails.
inline sqlite3* sqlite_open() {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      sqlite_path().c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw std::runtime_error("SQLite: " + why);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite_exec(db, "PRAGMA foreign_keys = ON");
  if (!sqlite_in_memory())
    sqlite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  return db;
}

/// A prepared statement of `db`, kept for the benchmark as a driver's statement cache would.
inline sqlite3_stmt* sqlite_prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  sqlite_check(db, sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s, nullptr));
  return s;
}

/// tern's sqlite::Connection as the shared workloads call a driver: execute(sql, params)
/// without a deadline, close().
struct TernSqlite {
  sqlite::Connection conn;
  /// Runs `sql` on the connection's worker thread.
  ring::Task<sqlite::Result> execute(std::string_view sql, const sqlite::Params& params) {
    return conn.execute(sql, params, ring::kNoDeadline);
  }
  /// Closes the handle on the worker.
  ring::Task<void> close() { return conn.close(); }
};

/// A tern connection to the same database, with its default settings (those sqlite_open
/// copies).
inline TernSqlite tern_sqlite_connect(ring::Loop& loop) {
  return {ring::sync_wait(loop, sqlite::Connection::open(loop, {.path = sqlite_path()}))};
}

/// An Instant as tern binds it into SQLite: UTC text "YYYY-MM-DD HH:MM:SS.ffffff", into `out`.
inline void sqlite_timestamp_text(std::string& out, Instant t) {
  out.clear();
  sqlite::append_datetime(out, DateTime(t.time_since_epoch()));
}

/// Refills `params` with a row's n, t, f and ts (BenchItem, BenchInsert), as tern's side binds
/// it; the timestamp's text goes to `ts`, which must outlive the statement. clear() keeps the
/// storage of both.
template <class Row>
void bind_tern_row(sqlite::Params& params, const Row& r, std::string& ts) {
  sqlite_timestamp_text(ts, r.ts);
  params.clear();
  params.add_integer(r.n);
  params.add_text(r.t);
  params.add_real(r.f);
  params.add_text(ts);
}

}  // namespace tern::bench
