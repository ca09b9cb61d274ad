// Internal: what a database does for its observers (the query hook, a tracer, metrics) around
// each operation. One Span per operation, made only when something observes; an unobserved
// database pays one branch per statement (AioDatabase::observed()).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string_view>

#include "tern/db/dialect.hpp"
#include "tern/db/observe.hpp"

namespace tern::detail {

/// A database's observers and metrics. Lives as long as the database; its pools point at it.
/// The observers are installed before the database is shared between threads; the metrics are
/// counted atomically, since every loop's statements count into them.
class Observer {
 public:
  /// For a database of `dialect` named `db_namespace` (kept by reference: the database's).
  Observer(Dialect dialect, const std::string& db_namespace) noexcept;

  /// True when any observer is installed: only then are spans made.
  bool active() const noexcept { return active_; }
  /// Installs the query hook (empty: removes it).
  void set_hook(QueryHook hook, bool with_params);
  /// True when the query hook was installed with its parameters: error messages then show
  /// values too.
  bool hook_shows_params() const noexcept { return hook_params_; }
  /// Installs a tracer (null: removes it).
  void set_tracer(std::shared_ptr<Tracer> tracer, bool with_params);
  /// Starts or stops counting metrics (counts so far are kept).
  void enable_metrics(bool on) noexcept;
  /// The counts, with `pool` as the pool's part.
  DatabaseMetrics metrics(const PoolStats& pool) const;

  /// One observed operation, from construction to end(). Neither copied nor moved: the span's
  /// description points into it.
  class Span {
   public:
    /// Starts an operation of `kind` running `sql` (empty for connect/wait/failover) with
    /// `params` on the server at `address`:`port`.
    Span(const Observer& observer, SpanKind kind, std::string_view sql,
         std::span<const Value> params, std::string_view address, std::uint16_t port) noexcept;
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;
    /// Names the server once known (a connect's, when it succeeded): end() reports it.
    void set_server(std::string_view address, std::uint16_t port) noexcept {
      start_.server_address = address;
      start_.server_port = port;
    }
    /// Reports the end to every observer: `rows` returned or affected, `error` if it failed.
    void end(std::uint64_t rows, const std::exception_ptr& error) noexcept;

   private:
    const Observer& observer_;
    SpanStart start_;
    std::span<const Value> params_;  // for the query hook, which has its own with_params
    void* context_ = nullptr;
    std::chrono::steady_clock::time_point since_;
    std::array<char, 16> operation_{};
  };

 private:
  void update_active() noexcept { active_ = hook_ || tracer_ || metrics_on_; }

  std::string_view system_;
  const std::string& namespace_;
  bool active_ = false;
  QueryHook hook_;
  bool hook_params_ = false;
  std::shared_ptr<Tracer> tracer_;
  bool tracer_params_ = false;
  bool metrics_on_ = false;
  // One kind's OperationMetrics, counted by several threads (relaxed: each number is exact,
  // a reading is not a snapshot).
  struct Counters {
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> errors{0};
    std::array<std::atomic<std::uint64_t>, LatencyHistogram::kBounds.size() + 1> buckets{};
    std::atomic<std::int64_t> sum_ns{0};
    void add(std::chrono::nanoseconds duration, bool failed) noexcept;
    OperationMetrics read() const noexcept;
  };
  mutable std::array<Counters, kSpanKinds> operations_{};
};

}  // namespace tern::detail
