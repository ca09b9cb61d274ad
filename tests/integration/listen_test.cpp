// LISTEN/NOTIFY through the pooled database (AioDatabase::aio_listen): notifications in order
// to every handler of a channel, channels added while the listener waits, UNLISTEN, a handler
// that throws, the listener reopened and LISTENing again across a server restart, and
// NotSupportedError on MySQL/MariaDB and SQLite.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "database_fixture.hpp"
#include "eventually.hpp"
#include "expect_error.hpp"
#include "server_env.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/log.hpp"

namespace tern {
namespace {

using ring::Task;

// What handlers saw, as "channel:payload".
struct Seen {
  std::vector<std::string> items;
  std::function<void(const Notification&)> handler() {
    return [this](const Notification& n) { items.push_back(n.channel + ":" + n.payload); };
  }
};

Task<void> notify(AioDatabase& db, std::string channel, std::string payload) {
  co_await db.aio_execute("SELECT pg_notify($1, $2)", std::move(channel), std::move(payload));
}

// Waits until `seen` holds `n` items (about 10 s at most).
bool wait_for(ring::Loop& loop, const Seen& seen, std::size_t n) {
  return ring::sync_wait(
      loop, testing::eventually(loop, [&]() -> Task<bool> { co_return seen.items.size() >= n; }));
}

TEST_P(Database, ListenDeliversNotificationsInOrder) {
  auto db = make();
  if (GetParam() != Dialect::kPostgres) {
    const auto e = testing::thrown<NotSupportedError>(
        [&] { run(db->aio_listen("tern_jobs", [](const Notification&) {})); });
    const char* backend = GetParam() == Dialect::kSqlite ? "SQLite" : "MySQL/MariaDB";
    if (e) {
      EXPECT_NE(std::string(e->what()).find(backend), std::string::npos) << e->what();
    }
    return;
  }
  TERN_SKIP_THROUGH_PGBOUNCER("LISTEN registers the server session, which PgBouncer reassigns");
  Seen first, second, mixed;
  run(db->aio_listen("tern_jobs", first.handler()));
  run(db->aio_listen("tern_jobs", second.handler()));
  run(db->aio_listen("Tern Mixed", [](const Notification&) { throw std::runtime_error("bad"); }));
  run(db->aio_listen("Tern Mixed", mixed.handler()));  // after one that throws
  for (int i = 0; i < 50; ++i)
    run(notify(*db, "tern_jobs", std::to_string(i)));
  run(notify(*db, "Tern Mixed", "case kept"));
  ASSERT_TRUE(wait_for(loop, mixed, 1));
  ASSERT_TRUE(wait_for(loop, second, 50));
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(first.items[i], "tern_jobs:" + std::to_string(i));
  }
  EXPECT_EQ(first.items, second.items);
  EXPECT_EQ(mixed.items, std::vector<std::string>{"Tern Mixed:case kept"});

  // UNLISTENed: a notification on it is not delivered; one sent after it on a channel still
  // listened to arrives (the server sends them in order, so the first was dropped).
  run(db->aio_unlisten("tern_jobs"));
  run(notify(*db, "tern_jobs", "late"));
  run(notify(*db, "Tern Mixed", "after"));
  ASSERT_TRUE(wait_for(loop, mixed, 2));
  EXPECT_EQ(first.items.size(), 50u);
  run(db->aio_close());
  EXPECT_THROW(run(db->aio_listen("tern_jobs", first.handler())), InterfaceError);
}

TEST_P(Database, ListenSurvivesAServerRestart) {
  if (GetParam() != Dialect::kPostgres) {  // no listener to restart: unlisten is refused too
    testing::thrown<NotSupportedError>([&] { run(make()->aio_unlisten("tern_restart")); });
    return;
  }
  TERN_SKIP_THROUGH_PGBOUNCER("LISTEN registers the server session, which PgBouncer reassigns");
  struct Logged {
    std::mutex m;
    std::vector<std::string> lines;
  };
  auto logged = std::make_shared<Logged>();
  set_logger(
      [logged](LogLevel, std::string_view component, std::string_view message) {
        if (component != "listen") return;
        std::lock_guard lock(logged->m);
        logged->lines.emplace_back(message);
      },
      LogLevel::warning);
  auto db = make();
  Seen seen;
  int reconnects = 0;
  run(db->aio_listen("tern_restart", seen.handler(), [&] { ++reconnects; }));
  run(notify(*db, "tern_restart", "before"));
  ASSERT_TRUE(wait_for(loop, seen, 1));

  const std::string script = std::string(TERN_SOURCE_DIR) + "/tests/servers restart " +
                             testing::server_env("TERN_SERVERS_DIR") + " pg";
  const auto restart_began = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  const auto restarted = std::chrono::steady_clock::now();
  // Sent until one arrives: those sent before the listener is back are lost, as the
  // documentation says.
  int sent = 0;
  const bool back = ring::sync_wait(
      loop, testing::eventually(loop, [&]() -> Task<bool> {
        if (seen.items.size() > 1) co_return true;
        try {
          co_await notify(*db, "tern_restart", "after " + std::to_string(sent++));
        } catch (const OperationalError&) {  // the pool's connection died with the old server
        }
        co_return false;
      }));
  ASSERT_TRUE(back) << "the listener never came back";
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::printf(
      "server restart took %lld ms; the listener delivered again %lld ms after it, "
      "after %d NOTIFY attempt(s) that were lost\n",
      static_cast<long long>(ms(restarted - restart_began)),
      static_cast<long long>(ms(std::chrono::steady_clock::now() - restarted)), sent - 1);
  EXPECT_EQ(seen.items[0], "tern_restart:before");
  EXPECT_EQ(seen.items[1].rfind("tern_restart:after ", 0), 0u) << seen.items[1];
  EXPECT_EQ(reconnects, 1);
  // Then in order again (waiting for the last: "after" ones sent before the listener was seen
  // back may still come first).
  for (int i = 0; i < 5; ++i)
    run(notify(*db, "tern_restart", "then " + std::to_string(i)));
  ASSERT_TRUE(ring::sync_wait(
      loop,
      testing::eventually(
          loop, [&]() -> Task<bool> { co_return seen.items.back() == "tern_restart:then 4"; })))
      << ::testing::PrintToString(seen.items);
  ASSERT_GE(seen.items.size(), 7u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(seen.items[seen.items.size() - 5 + i], "tern_restart:then " + std::to_string(i));
  }
  run(db->aio_close());
  set_logger({}, LogLevel::warning);
  std::lock_guard lock(logged->m);
  ASSERT_GE(logged->lines.size(), 2u);
  EXPECT_NE(logged->lines.front().find("the listening connection failed"), std::string::npos)
      << logged->lines.front();
  EXPECT_NE(logged->lines.back().find("open again"), std::string::npos) << logged->lines.back();
}

}  // namespace
}  // namespace tern
