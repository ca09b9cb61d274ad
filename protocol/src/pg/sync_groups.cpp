#include "sync_groups.hpp"

#include "tern/protocol/pg/frontend.hpp"

namespace tern::pg::detail {

void SyncGroups::close(std::string& out) {
  frontend::sync(out);
  last_members_ = at(open_).members;
  open_ = 0;
}

void SyncGroups::finish(Id g, Outcome outcome) noexcept {
  Group& x = at(g);
  if (x.outcome != Outcome::kPending) return;
  x.outcome = outcome;
  for (OutcomeAwaiter* w = std::exchange(x.waiters, nullptr); w != nullptr; w = w->next_)
    loop_.resume_soon(w->handle_);
  // Settled with no reference left (every member gave up): nothing else frees it.
  if (x.refs == 0) {
    ++x.refs;
    unref(g);
  }
}

void SyncGroups::lose_all() noexcept {
  for (Id g = head_; g < head_ + count_; ++g) {
    if (g != open_) finish(g, Outcome::kLost);
  }
}

bool SyncGroups::rerun_after_error(Id g, Index index, const std::string& sqlstate) const noexcept {
  const Group& x = at(g);
  if (x.outcome != Outcome::kFailed || x.members == 1) return false;  // 1: as a Sync of its own
  // Class 25: the statement cannot run inside a transaction block. Class 40: a deadlock or
  // serialization failure, which holding the group's locks until its Sync may have caused
  // where statements committed one by one would not.
  return x.failed_at != index || sqlstate.starts_with("25") || sqlstate.starts_with("40");
}

SyncGroups::OutcomeAwaiter SyncGroups::wait(Id g) noexcept {
  return OutcomeAwaiter(*this, g);
}

void SyncGroups::drop_waiter(OutcomeAwaiter& w) noexcept {
  for (OutcomeAwaiter** p = &at(w.g_).waiters; *p != nullptr; p = &(*p)->next_) {
    if (*p == &w) {
      *p = w.next_;
      w.cancelled_ = true;
      loop_.schedule(w.handle_);
      return;
    }
  }
}

void SyncGroups::grow() {
  std::vector<Group> bigger(slots_.empty() ? 8 : slots_.size() * 2);
  for (Id g = head_; g < head_ + count_; ++g)
    bigger[g & (bigger.size() - 1)] = at(g);
  slots_ = std::move(bigger);
}

}  // namespace tern::pg::detail
