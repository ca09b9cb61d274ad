// ReadReplicas' choice of a replica: round robin, replicas that cannot be reached skipped for
// a while, the primary when none can be (see tern/db/replicas.hpp).
#include "tern/db/replicas.hpp"

#include <exception>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "observer.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/ring/log.hpp"

namespace tern::detail {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

ReplicaSet::ReplicaSet(Dialect dialect, std::vector<std::unique_ptr<AioDatabase>> replicas,
                       ReplicaOptions options)
    : replicas_(std::move(replicas)), down_until_(replicas_.size()), options_(options) {
  for (const auto& replica : replicas_) {
    if (replica == nullptr) throw InterfaceError("ReadReplicas: a replica is null");
    if (replica->dialect() != dialect) {
      throw InterfaceError("ReadReplicas: a replica speaks another dialect than the primary");
    }
  }
}

ring::Task<void> ReplicaSet::connect() {
  for (std::size_t i = 0; i < replicas_.size(); ++i) {
    // The pool counts as open again as soon as its open() starts, so one that cannot be
    // reached now is tried by a later read, after retry_after.
    std::exception_ptr unreachable;
    try {
      co_await replicas_[i]->aio_connect();
    } catch (const ConnectionFailed&) {
      unreachable = std::current_exception();
    } catch (const ConnectionLost&) {
      unreachable = std::current_exception();
    }
    if (unreachable) skip(i, unreachable, nullptr);
  }
}

ring::Task<Lease> ReplicaSet::acquire(AioDatabase& primary) {
  const std::size_t n = replicas_.size();
  const std::size_t first = n == 0 ? 0 : next_++ % n;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (first + k) % n;
    if (Clock::now() < down_until_[i]) continue;
    // Only a failure to reach the replica moves on: a failed authentication or an exhausted
    // pool (PoolTimeout) is a problem to see, not to route around.
    Lease lease;
    std::exception_ptr unreachable;
    try {
      lease = co_await replicas_[i]->pool().acquire();
    } catch (const ConnectionFailed&) {
      unreachable = std::current_exception();
    } catch (const ConnectionLost&) {
      unreachable = std::current_exception();
    }
    if (!unreachable) co_return lease;
    skip(i, unreachable, &primary);
  }
  co_return co_await primary.pool().acquire();
}

void ReplicaSet::skip(std::size_t i, const std::exception_ptr& error,
                      const AioDatabase* primary) noexcept {
  down_until_[i] = Clock::now() + options_.retry_after;
  std::string what = "unknown error";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  if (log_enabled(LogLevel::warning)) {
    log(LogLevel::warning, "replicas",
        absl::StrCat("read replica ", i, " cannot be reached; skipped for ",
                     options_.retry_after.count(), " ms: ", what));
  }
  if (primary != nullptr && primary->observed_) {  // a read moved on: a failover span
    Observer::Span span(*primary->observer_, SpanKind::kFailover, "", {}, "", 0);
    span.end(0, error);
  }
}

ring::Task<void> ReplicaSet::close() {
  std::exception_ptr failed;
  for (const auto& replica : replicas_) {
    try {
      co_await replica->aio_close();
    } catch (...) {  // the others are closed all the same
      if (!failed) failed = std::current_exception();
    }
  }
  if (failed) std::rethrow_exception(failed);
}

}  // namespace tern::detail
