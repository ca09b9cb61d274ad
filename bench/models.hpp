// The ORM models of workloads 2, 4 and 5, and the SQL the ORM sends for them, so that the
// anchors can run exactly the same statements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/orm/compiler.hpp"
#include "tern/orm/model.hpp"
#include "tern/ring/ring.hpp"

namespace tern::bench {

/// The database of the models: each benchmark sets it to the backend and pool size it needs.
inline std::unique_ptr<AioDatabase> g_db;

/// Closes g_db on `loop` at the end of the scope, also when the benchmark throws (its error is
/// reported, and the program goes on to the next benchmark): a pool left in g_db would be
/// destroyed by the next benchmark's, after its loop is gone.
class CloseDbAtExit {
 public:
  explicit CloseDbAtExit(ring::Loop& loop) noexcept : loop_(loop) {}
  CloseDbAtExit(const CloseDbAtExit&) = delete;
  CloseDbAtExit& operator=(const CloseDbAtExit&) = delete;
  ~CloseDbAtExit() {
    if (g_db == nullptr) return;
    try {
      ring::sync_wait(loop_, g_db->aio_close());
    } catch (...) {  // closing after a failure: the failure is what gets reported
    }
    g_db.reset();
  }

 private:
  ring::Loop& loop_;
};

/// A row of (int8, text, float8, timestamptz): bench_items holds 100k of them for aio_get.
struct BenchItem {
  std::int64_t id{};
  std::int64_t n{};
  std::string t{};
  double f = 0;
  Instant ts{};
  static constexpr std::string_view table_name = "bench_items";
  // clang-format off
  TERN_MODEL(BenchItem, g_db,
    (id, BigAutoField{}),
    (n,  BigIntegerField{}),
    (t,  TextField{}),
    (f,  DoubleField{}),
    (ts, TimestampField{}));
  // clang-format on
};

/// The same columns in bench_insert, which the insert workload fills and empties.
struct BenchInsert {
  std::int64_t id{};
  std::int64_t n{};
  std::string t{};
  double f = 0;
  Instant ts{};
  static constexpr std::string_view table_name = "bench_insert";
  // clang-format off
  TERN_MODEL(BenchInsert, g_db,
    (id, BigAutoField{}),
    (n,  BigIntegerField{}),
    (t,  TextField{}),
    (f,  DoubleField{}),
    (ts, TimestampField{}));
  // clang-format on
};

/// The accounts table of workloads 1 and 2 (bench_accounts, made by the programs' SQL), its
/// integer columns: workload 2's ORM point get by key.
struct BenchAccount {
  std::int32_t aid{};
  std::int32_t bid{};
  std::int32_t abalance{};
  static constexpr std::string_view table_name = "bench_accounts";
  // clang-format off
  TERN_MODEL(BenchAccount, g_db,
    (aid,      IntegerField{.primary_key = true}),
    (bid,      IntegerField{}),
    (abalance, IntegerField{}));
  // clang-format on
};

/// Row i of the generated data (the same values as the large-result table).
template <class M>
M make_row(std::int64_t i) {
  M m;
  m.n = i;
  m.t = "text-" + std::to_string(i);
  m.f = static_cast<double>(i) / 7.0;
  // 2024-01-01 00:00:00 UTC + i * 1.000001 s
  m.ts = Instant(std::chrono::microseconds(1'704'067'200'000'000 + i * 1'000'001));
  return m;
}

/// The SQL of `BenchItem::aio_get(BenchItem::c.id == k)` in `dialect`.
inline std::string get_sql(Dialect dialect) {
  const auto condition = BenchItem::c.id == std::int64_t{1};
  return orm::compile(BenchItem::select().where(condition).limit(1).ast(), dialect).sql;
}

/// The SQL of `BenchAccount::aio_get(BenchAccount::c.aid == k)` in `dialect`.
inline std::string account_get_sql(Dialect dialect) {
  const auto condition = BenchAccount::c.aid == std::int32_t{1};
  return orm::compile(BenchAccount::select().where(condition).limit(1).ast(), dialect).sql;
}

/// The SQL of inserting `count` rows with `M::insert_many` (`M::aio_create` for one).
template <class M>
std::string insert_sql(Dialect dialect, std::size_t count) {
  const std::vector<M> rows(count, make_row<M>(1));
  std::vector<const M*> pointers;
  for (const M& r : rows)
    pointers.push_back(&r);
  const orm::ast::Query q = orm::detail::insert_objects(
      M::tern_meta(), reinterpret_cast<const void* const*>(pointers.data()), count, dialect);
  return orm::compile(q, dialect).sql;
}

}  // namespace tern::bench
