// The PostgreSQL anchor of workloads 2 and 7: libpq's non-blocking API driving several
// connections from one poll() loop, each with one prepared statement in flight at a time
// (PQsendQueryPrepared, the plain asynchronous API) or with up to `depth` of them in pipeline
// mode (PQenterPipelineMode; whenever a connection has room the queries it takes go out
// together with one PQpipelineSync, which is how a hand-written libpq pipelining client runs
// an open-ended stream of queries).
//
// What to run and when comes from a Source:
//   bool next(std::int64_t& tag, std::int32_t& key)  a query to send now (its tag, its key)?
//   void done(std::int64_t tag, const std::int32_t* columns)
//                                                    its single row arrived, decoded
// The statement has one int4 parameter (the key), optionally an int8 second one fixed at 1
// (the ORM's LIMIT, when it binds it), and returns one row of int4 columns.
#pragma once

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "pg_common.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

class LibpqDriver {
 public:
  static constexpr int kMaxColumns = 4;

  /// `connections` connections running `sql` (prepared) with `params` parameters (1 or 2),
  /// up to `depth` queries in flight on each (depth 1: no pipeline mode).
  LibpqDriver(int connections, int depth, const std::string& sql, int params)
      : depth_(depth),
        params_(params),
        slots_(static_cast<std::size_t>(connections)),
        fds_(static_cast<std::size_t>(connections)) {
    for (Slot& s : slots_) {
      s.conn = libpq_connect();
      s.tags.resize(static_cast<std::size_t>(depth));
      PGresult* r = PQprepare(s.conn, "q", sql.c_str(), 0, nullptr);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!ok) throw std::runtime_error(PQerrorMessage(s.conn));
      if (PQsetnonblocking(s.conn, 1) != 0) throw std::runtime_error(PQerrorMessage(s.conn));
      if (pipelined() && PQenterPipelineMode(s.conn) != 1) {
        throw std::runtime_error(PQerrorMessage(s.conn));
      }
    }
  }
  LibpqDriver(const LibpqDriver&) = delete;
  LibpqDriver& operator=(const LibpqDriver&) = delete;
  ~LibpqDriver() {
    for (Slot& s : slots_)
      PQfinish(s.conn);
  }

  /// Queries sent and not complete yet.
  int in_flight() const noexcept { return in_flight_; }
  /// True when some connection could take another query.
  bool has_room() const noexcept { return in_flight_ < depth_ * static_cast<int>(slots_.size()); }

  /// Sends what `source` has for now to the connections with room.
  template <class Source>
  void fill(Source& source) {
    for (Slot& s : slots_) {
      if (s.queries == depth_) continue;
      bool sent = false;
      std::int64_t tag = 0;
      std::int32_t key = 0;
      while (s.queries < depth_ && source.next(tag, key)) {
        send(s, tag, key);
        sent = true;
      }
      if (sent && pipelined()) {
        if (PQpipelineSync(s.conn) != 1) throw std::runtime_error(PQerrorMessage(s.conn));
        ++s.syncs;
      }
      if (sent) flush(s);
      if (!has_room()) return;
    }
  }

  /// Waits until a connection is readable (or writable with output pending) or `until` has
  /// passed, and hands every complete result to `source`.
  template <class Source>
  void step(Source& source, ring::Deadline until = ring::kNoDeadline) {
    if (in_flight_ == 0 && until == ring::kNoDeadline) {
      throw std::logic_error("step() with nothing to wait for");
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Slot& s = slots_[i];
      const bool waiting = s.queries + s.syncs > 0;
      fds_[i] = {.fd = waiting ? PQsocket(s.conn) : -1,
                 .events = static_cast<short>(waiting ? (POLLIN | (s.flushing ? POLLOUT : 0)) : 0),
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
      Slot& s = slots_[i];
      if (fds_[i].revents == 0) continue;
      if (s.flushing) flush(s);
      if ((fds_[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0) receive(s, source);
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
  struct Slot {
    PGconn* conn = nullptr;
    std::vector<std::int64_t> tags;  // of the queries in flight, a ring of depth entries
    int head = 0;                    // tags' oldest
    int queries = 0;                 // in flight
    int syncs = 0;                   // PQpipelineSync results still to come
    bool result = false;             // the oldest query's row arrived; its NULL comes next
    bool flushing = false;           // output left to send (PQflush said 1)
  };

  bool pipelined() const noexcept { return depth_ > 1; }

  void send(Slot& s, std::int64_t tag, std::int32_t key) {
    const std::uint32_t k = htonl(static_cast<std::uint32_t>(key));
    const std::uint64_t limit = be64(1);
    const char* values[2] = {reinterpret_cast<const char*>(&k),
                             reinterpret_cast<const char*>(&limit)};
    const int lengths[2] = {4, 8};
    const int formats[2] = {1, 1};
    if (PQsendQueryPrepared(s.conn, "q", params_, values, lengths, formats, 1) != 1) {
      throw std::runtime_error(PQerrorMessage(s.conn));
    }
    s.tags[static_cast<std::size_t>((s.head + s.queries) % depth_)] = tag;
    ++s.queries;
    ++in_flight_;
  }

  void flush(Slot& s) {
    const int r = PQflush(s.conn);
    if (r < 0) throw std::runtime_error(PQerrorMessage(s.conn));
    s.flushing = r == 1;
  }

  template <class Source>
  void receive(Slot& s, Source& source) {
    if (PQconsumeInput(s.conn) != 1) throw std::runtime_error(PQerrorMessage(s.conn));
    while (s.queries + s.syncs > 0 && PQisBusy(s.conn) == 0) {
      PGresult* r = PQgetResult(s.conn);
      if (r == nullptr) {  // the end of the oldest query's results
        if (s.result) {
          s.result = false;
          s.head = (s.head + 1) % depth_;
          --s.queries;
          --in_flight_;
        }
        continue;
      }
      const ExecStatusType status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        --s.syncs;
      } else if (status == PGRES_TUPLES_OK && PQntuples(r) == 1 && !s.result) {
        std::int32_t columns[kMaxColumns] = {};
        const int n = std::min(PQnfields(r), kMaxColumns);
        for (int c = 0; c < n; ++c)
          columns[c] = read_be32(PQgetvalue(r, 0, c));
        s.result = true;
        source.done(s.tags[static_cast<std::size_t>(s.head)], columns);
      } else {
        const std::string why = PQresultErrorMessage(r);
        PQclear(r);
        throw std::runtime_error("unexpected result: " + why);
      }
      PQclear(r);
    }
  }

  int depth_;
  int params_;
  int in_flight_ = 0;
  std::vector<Slot> slots_;
  std::vector<pollfd> fds_;
};

}  // namespace tern::bench
