// tern where io_uring is refused, as in a container: a child process installs a seccomp filter
// that fails io_uring_setup (and io_uring_enter / io_uring_register) with EPERM, as Docker's
// default profile does, then runs real queries against the PostgreSQL test server. Automatic
// selection must fall back to epoll, say so once through the logger, and the queries must
// succeed; asking for io_uring explicitly must fail with RingUnavailable.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "server_env.hpp"
#include "tern/tern.hpp"
#include "test_database.hpp"

namespace tern {
namespace {

#if defined(__x86_64__)
constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "fallback_test: add this architecture's AUDIT_ARCH_* value"
#endif

// Refuses the io_uring syscalls with EPERM for this process and its future children.
bool refuse_io_uring() {
  constexpr std::uint32_t kRefuse = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, kRefuse),
  };
  sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// What the child checks; a failure prints its reason and makes the exit status non-zero.
int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "fallback child: FAILED: %s\n", what.c_str());
    ++failures;
  }
}

ring::Task<void> demo_queries(AioDatabase& db, std::string table) {
  co_await db.aio_execute("DROP TABLE IF EXISTS " + table);
  co_await db.aio_execute("CREATE TABLE " + table + " (id serial PRIMARY KEY, key text, n int)");
  for (int i = 0; i < 20; ++i)
    co_await db.aio_execute("INSERT INTO " + table + " (key, n) VALUES ($1, $2)",
                            "k" + std::to_string(i), i);
  ResultSet sum =
      co_await db.aio_execute("SELECT sum(n) FROM " + table + " WHERE key LIKE $1", "k%");
  check(sum.row(0).get<std::int64_t>(0) == 190, "the inserted rows add up to 190");
  // Concurrent queries over the pool: the epoll backend multiplexes several sockets.
  ring::TaskGroup group(*ring::Loop::current());
  int answered = 0;
  for (int i = 0; i < 8; ++i) {
    group.spawn([](AioDatabase& d, int k, int& a) -> ring::Task<void> {
      ResultSet r = co_await d.aio_execute("SELECT $1::int * 2, pg_sleep(0.01)", k);
      if (r.row(0).get<std::int64_t>(0) == 2 * k) ++a;
    }(db, i, answered));
  }
  co_await group.join();
  check(answered == 8, "8 concurrent queries answered");
  // Cancelling a running query: the stop request reaches the awaiting recv, tern cancels the
  // statement, and the database stays usable.
  ring::Loop& loop = *ring::Loop::current();
  ring::TaskGroup sleeper(loop);
  bool cancelled = false;
  sleeper.spawn([](AioDatabase& d, bool& c) -> ring::Task<void> {
    try {
      co_await d.aio_execute("SELECT pg_sleep(5)");
    } catch (const ring::CancelledError&) {
      c = true;
    }
  }(db, cancelled));
  co_await ring::sleep_for(loop, std::chrono::milliseconds(50));
  sleeper.cancel();
  co_await sleeper.join();
  check(cancelled, "a cancelled pg_sleep(5) ends in CancelledError");
  ResultSet one = co_await db.aio_execute("SELECT 1");
  check(one.row(0).get<std::int64_t>(0) == 1, "a query after the cancellation");
  co_await db.aio_execute("DROP TABLE " + table);
}

int child() {
  if (!refuse_io_uring()) {
    std::perror("fallback child: seccomp");
    return 2;
  }
  // The filter works: io_uring_setup itself is refused.
  check(::syscall(__NR_io_uring_setup, 4, nullptr) == -1 && errno == EPERM,
        "io_uring_setup is refused with EPERM");
  std::mutex m;
  std::vector<std::string> warnings;
  set_logger(
      [&](LogLevel level, std::string_view component, std::string_view message) {
        std::lock_guard lock(m);
        if (level == LogLevel::warning && component == "ring") warnings.emplace_back(message);
      },
      LogLevel::info);
  ::unsetenv("TERN_RING");  // automatic selection, whatever the test setup asked for
  try {
    ring::Loop first;
    ring::Loop second;
    check(first.backend() == ring::Backend::epoll, "the first loop fell back to epoll");
    check(second.backend() == ring::Backend::epoll, "the second loop fell back to epoll");
    auto db = testing::make_database(Dialect::kPostgres);
    ring::sync_wait(first, demo_queries(*db, "fallback_demo_" + std::to_string(::getpid())));
    ring::sync_wait(first, db->aio_close());
  } catch (const std::exception& e) {
    check(false, std::string("queries on the fallback: ") + e.what());
  }
  check(warnings.size() == 1, "one warning logged, not " + std::to_string(warnings.size()));
  if (!warnings.empty()) {
    check(warnings[0].find("epoll") != std::string::npos &&
              warnings[0].find("Operation not permitted") != std::string::npos,
          "the warning names epoll and the refusal: " + warnings[0]);
  }
  try {
    ring::Loop uring(ring::LoopOptions{.backend = ring::Backend::uring});
    check(false, "a loop that must use io_uring was created under the filter");
  } catch (const ring::RingUnavailable& e) {
    check(std::string(e.what()).find("seccomp") != std::string::npos, e.what());
  }
  set_logger(nullptr);
  return failures == 0 ? 0 : 1;
}

TEST(Fallback, QueriesRunOnEpollWhereSeccompRefusesIoUring) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(child());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the child's FAILED lines above";
}

}  // namespace
}  // namespace tern
