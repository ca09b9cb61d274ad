// The MariaDB anchor of workloads 2 and 7: libmariadb's non-blocking API (_start/_cont)
// driving several connections from one poll() loop, each running one prepared statement at a
// time (libmariadb has no pipeline mode): a small state machine per connection over execute,
// then fetch until MYSQL_NO_DATA.
//
// What to run and when comes from a Source (the interface of pg_async.hpp's):
//   bool next(std::int64_t& tag, std::int32_t& key)  a query to send now (its tag, its key)?
//   void done(std::int64_t tag, const std::int32_t* columns)
//                                                    its single row arrived, decoded
// The statement has one INT parameter (the key), optionally a BIGINT second one fixed at 1
// (the ORM's LIMIT, when it binds it), and returns one row of INT columns.
#pragma once

#include <mysql.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "mysql_common.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

class MariadbDriver {
 public:
  static constexpr int kMaxColumns = 4;

  /// `connections` connections running `sql` (prepared) with `params` parameters (1 or 2).
  MariadbDriver(int connections, const std::string& sql, int params)
      : fds_(static_cast<std::size_t>(connections)) {
    for (int i = 0; i < connections; ++i) {
      // Slots do not move: the statements' bindings point into them.
      auto& s = *slots_.emplace_back(std::make_unique<Slot>());
      s.conn = anchor_connect(/*nonblocking=*/true);
      s.stmt = anchor_prepare(s.conn, sql);
      s.params[0].buffer_type = MYSQL_TYPE_LONG;
      s.params[0].buffer = &s.key;
      s.params[1].buffer_type = MYSQL_TYPE_LONGLONG;
      s.params[1].buffer = &s.limit;
      if (static_cast<int>(mysql_stmt_param_count(s.stmt)) != params) {
        throw std::runtime_error("unexpected parameter count");
      }
      s.columns = std::min(static_cast<int>(mysql_stmt_field_count(s.stmt)), kMaxColumns);
      for (int c = 0; c < s.columns; ++c) {
        s.results[c].buffer_type = MYSQL_TYPE_LONG;
        s.results[c].buffer = &s.row[c];
      }
      if (mysql_stmt_bind_param(s.stmt, s.params) != 0 ||
          mysql_stmt_bind_result(s.stmt, s.results) != 0) {
        throw std::runtime_error(mysql_stmt_error(s.stmt));
      }
    }
  }
  MariadbDriver(const MariadbDriver&) = delete;
  MariadbDriver& operator=(const MariadbDriver&) = delete;
  ~MariadbDriver() {
    for (const auto& s : slots_) {
      mysql_stmt_close(s->stmt);
      mysql_close(s->conn);
    }
  }

  /// Queries sent and not complete yet.
  int in_flight() const noexcept { return in_flight_; }
  /// True when some connection could take another query.
  bool has_room() const noexcept { return in_flight_ < static_cast<int>(slots_.size()); }

  /// Starts what `source` has for now on the idle connections.
  template <class Source>
  void fill(Source& source) {
    for (const auto& s : slots_) {
      if (!has_room()) return;
      if (s->phase == Phase::kIdle) advance(*s, 0, source);
    }
  }

  /// Waits until a pending call's socket is ready or `until` has passed, and continues the
  /// calls; complete rows go to `source`.
  template <class Source>
  void step(Source& source, ring::Deadline until = ring::kNoDeadline) {
    if (in_flight_ == 0 && until == ring::kNoDeadline) {
      throw std::logic_error("step() with nothing to wait for");
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Slot& s = *slots_[i];
      const bool waiting = s.phase != Phase::kIdle;
      fds_[i] = {.fd = waiting ? static_cast<int>(mysql_get_socket(s.conn)) : -1,
                 .events = waiting ? poll_events(s.wait) : short{0},
                 .revents = 0};
    }
    timespec timeout{};
    timespec* t = nullptr;
    if (until != ring::kNoDeadline) {
      const auto left = std::max(until - std::chrono::steady_clock::now(),
                                 std::chrono::steady_clock::duration::zero());
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timeout = {.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
      t = &timeout;
    }
    if (ppoll(fds_.data(), fds_.size(), t, nullptr) < 0) throw std::runtime_error("poll failed");
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = *slots_[i];
      if (s.phase == Phase::kIdle || fds_[i].revents == 0) continue;
      int status = 0;
      if ((fds_[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0) status |= MYSQL_WAIT_READ;
      if ((fds_[i].revents & POLLOUT) != 0) status |= MYSQL_WAIT_WRITE;
      if ((fds_[i].revents & POLLPRI) != 0) status |= MYSQL_WAIT_EXCEPT;
      int ret = 0;
      s.wait = s.phase == Phase::kExecute ? mysql_stmt_execute_cont(&ret, s.stmt, status)
                                          : mysql_stmt_fetch_cont(&ret, s.stmt, status);
      if (s.wait == 0) advance(s, ret, source);
    }
  }

  /// Runs until `source` has nothing more and every query is done (a closed loop: `source`
  /// says no only when it is exhausted).
  template <class Source>
  void run(Source& source) {
    for (fill(source); in_flight_ > 0; fill(source))
      step(source);
  }

 private:
  enum class Phase { kIdle, kExecute, kFetch };
  struct Slot {
    MYSQL* conn = nullptr;
    MYSQL_STMT* stmt = nullptr;
    std::int32_t key = 0;
    std::int64_t limit = 1;
    std::int32_t row[kMaxColumns] = {};
    int columns = 0;
    MYSQL_BIND params[2]{};
    MYSQL_BIND results[kMaxColumns]{};
    Phase phase = Phase::kIdle;
    int wait = 0;  // MYSQL_WAIT_* the pending call waits for
    int rows = 0;
    std::int64_t tag = 0;
  };

  static short poll_events(int wait) {
    short e = 0;
    if ((wait & MYSQL_WAIT_READ) != 0) e |= POLLIN;
    if ((wait & MYSQL_WAIT_WRITE) != 0) e |= POLLOUT;
    if ((wait & MYSQL_WAIT_EXCEPT) != 0) e |= POLLPRI;
    return e;
  }

  // Advances `s` from a call that returned `ret` without waiting, until a call has to wait or
  // the connection is idle with nothing more to send now.
  template <class Source>
  void advance(Slot& s, int ret, Source& source) {
    for (;;) {
      switch (s.phase) {
        case Phase::kIdle:
          if (!source.next(s.tag, s.key)) return;
          ++in_flight_;
          s.rows = 0;
          s.phase = Phase::kExecute;
          s.wait = mysql_stmt_execute_start(&ret, s.stmt);
          if (s.wait != 0) return;
          break;
        case Phase::kExecute:
          if (ret != 0) throw std::runtime_error(mysql_stmt_error(s.stmt));
          s.phase = Phase::kFetch;
          s.wait = mysql_stmt_fetch_start(&ret, s.stmt);
          if (s.wait != 0) return;
          break;
        case Phase::kFetch:
          if (ret == MYSQL_NO_DATA) {
            if (s.rows != 1) throw std::runtime_error("no row");
            s.phase = Phase::kIdle;
            --in_flight_;
            source.done(s.tag, s.row);
            break;
          }
          if (ret != 0) throw std::runtime_error(mysql_stmt_error(s.stmt));
          ++s.rows;
          s.wait = mysql_stmt_fetch_start(&ret, s.stmt);
          if (s.wait != 0) return;
          break;
      }
    }
  }

  int in_flight_ = 0;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<pollfd> fds_;
};

}  // namespace tern::bench
