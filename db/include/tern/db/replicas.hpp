// Read replicas (peewee's ReadReplica pattern): a database that runs reads on replicas and
// everything else on its primary.
//
//   std::vector<std::unique_ptr<tern::AioDatabase>> replicas;
//   replicas.push_back(std::make_unique<tern::PostgresqlDatabase>(standby1, pool));
//   replicas.push_back(std::make_unique<tern::PostgresqlDatabase>(standby2, pool));
//   tern::ReadReplicas<tern::PostgresqlDatabase> db(std::move(replicas), {}, primary, pool);
//
//   co_await Item::select().aio_execute();       // models bound to `db`: a replica
//   co_await item.aio_save();                    // the primary
//   tern::QueryOptions read;
//   read.read_only = true;
//   co_await db.aio_execute("SELECT count(*) FROM item", {}, read);  // a replica
//   co_await db.aio_execute("SELECT count(*) FROM item");            // the primary
//
// What is a read: a statement declared read only (QueryOptions::read_only; the ORM declares
// its SELECTs without FOR UPDATE/SHARE and without a write in a WITH) that runs outside any
// aio_connection / aio_atomic / aio_transaction / transaction_test_case scope. Everything else
// — writes, DDL, raw SQL not declared read only, every statement of a scope (even one that
// only reads), synchronous queries (execute_sql) and aio_stream without the flag — runs on the
// primary, which is this object itself (a `Primary`: its pool, options, query hook).
//
// Which replica: round robin over the replicas, each with its own pool. A replica whose
// connect fails (ConnectionLost: refused, unreachable, timed out, shutting down) is skipped —
// the read goes to the next one — and left out for ReplicaOptions::retry_after; with none
// reachable the read runs on the primary. No error reaches the caller for a replica that is
// down. Errors that are not about reaching a server are thrown, not hidden: a failed
// authentication, a replica pool's PoolTimeout, and any failure of the statement itself. A
// statement is never sent twice: one that fails on a replica is the caller's error.
//
// Lag: replicas apply the primary's changes asynchronously, so a read may not see a write
// that just committed. Tolerating that is the caller's choice; to read one's own writes, run
// the read inside `db.aio_connection(...)` (or the writing aio_atomic block): scopes always
// use the primary.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "tern/db/database.hpp"

namespace tern {

/// How ReadReplicas treats its replicas.
struct ReplicaOptions {
  /// A replica whose connect failed is skipped for this long, then tried again (a read that
  /// finds it still down moves on to the next one). Zero: tried on every read.
  std::chrono::milliseconds retry_after{5'000};
};

namespace detail {
/// The replicas of a ReadReplicas database and the round robin over them (replicas.cpp).
class ReplicaSet {
 public:
  /// Takes the replicas; throws InterfaceError when one is null or of another dialect.
  ReplicaSet(Dialect dialect, std::vector<std::unique_ptr<AioDatabase>> replicas,
             ReplicaOptions options);
  /// A connection for a read: from the next replica in turn that can be reached, else from
  /// `primary`'s pool.
  ring::Task<Lease> acquire(AioDatabase& primary);
  /// Opens every replica's pool (after a close: reads are refused until then); a replica that
  /// cannot be reached is left out for a while as a read would leave it, not an error.
  ring::Task<void> connect();
  /// Closes every replica's pool.
  ring::Task<void> close();
  /// How many replicas there are.
  std::size_t size() const noexcept { return replicas_.size(); }
  /// Replica `i` (0-based, in the order given).
  AioDatabase& at(std::size_t i) const { return *replicas_.at(i); }

 private:
  // Leaves replica `i` out for retry_after after `error`: logged, and reported to `primary`'s
  // tracer as a failover when a read moved on.
  void skip(std::size_t i, const std::exception_ptr& error, const AioDatabase* primary) noexcept;

  std::vector<std::unique_ptr<AioDatabase>> replicas_;
  std::vector<std::chrono::steady_clock::time_point> down_until_;
  ReplicaOptions options_;
  std::size_t next_ = 0;
};
}  // namespace detail

/// A `Primary` database (PooledPostgresqlDatabase, PostgresqlDatabase, PooledMySQLDatabase...)
/// that runs reads on read replicas: see the top of this header for what a read is, how a
/// replica is chosen, and replica lag. It is an AioDatabase, so models bind to it as to any
/// other database.
template <class Primary>
class ReadReplicas : public Primary {
 public:
  /// `replicas` (AioDatabases of the same dialect, owned from now on; may be empty) and the
  /// arguments of Primary's constructor for the primary.
  template <class... PrimaryArgs>
  explicit ReadReplicas(std::vector<std::unique_ptr<AioDatabase>> replicas, ReplicaOptions options,
                        PrimaryArgs&&... primary)
      : Primary(std::forward<PrimaryArgs>(primary)...),
        replicas_(this->dialect(), std::move(replicas), options) {}

  /// Opens the primary's pool, then each replica's (one that cannot be reached is skipped, as
  /// by a read).
  ring::Task<void> aio_connect() override {
    co_await Primary::aio_connect();
    co_await replicas_.connect();
  }

  /// Closes the primary's pool, then each replica's.
  ring::Task<void> aio_close() override {
    co_await Primary::aio_close();
    co_await replicas_.close();
  }

  /// How many replicas there are.
  std::size_t replica_count() const noexcept { return replicas_.size(); }
  /// Replica `i` (0-based), e.g. for its pool_stats(); a query run on it directly goes there.
  AioDatabase& replica(std::size_t i) const { return replicas_.at(i); }

 protected:
  /// A replica's connection (round robin, skipping replicas that cannot be reached), or the
  /// primary's when none can.
  ring::Task<Lease> acquire_read(bool) override { return replicas_.acquire(*this); }
  /// Always nullopt: acquire_read() picks the replica.
  std::optional<Lease> try_share_read() override { return std::nullopt; }

 private:
  detail::ReplicaSet replicas_;
};

/// PostgreSQL (with the Ext types) with read replicas.
using ReplicatedPostgresqlDatabase = ReadReplicas<PooledPostgresqlExtDatabase>;
/// MySQL / MariaDB with read replicas.
using ReplicatedMySQLDatabase = ReadReplicas<PooledMySQLDatabase>;

}  // namespace tern
