// Internal: the shared Sync of implicit pipelining. The statements of different callers that a
// connection sends in one write end with one Sync, not one each. The server then answers them
// with one flush instead of one per statement, and their callers, woken together, send their
// next statements together: the batches stay whole instead of thinning out to one statement
// per round trip. Measured on workload 2 (32 tasks, 8 connections, depth 4): the server spent
// 23 µs of CPU per query with a Sync per statement, 9 µs with libpq's one per batch. For the
// same reason a statement sent to an idle connection that was busy a moment ago (busy())
// opens a group too, rather than going out alone ahead of the statements that follow it in
// the same loop turn: with that, tern's q/s went from 0.80x to about 1.0x libpq's pipeline.
//
// The price is PostgreSQL's implicit transaction: the statements before one Sync commit or roll
// back together. So a member's result is final only once the group's ReadyForQuery says the
// group committed, and a member that read its own reply waits for that. When one statement
// fails, the server skips the rest up to the Sync and rolls the earlier ones back: the failed
// statement's caller gets its error, and every other member runs its statement again with a
// Sync of its own. None of them had taken effect (rolled back, or never run), so none takes
// effect twice. https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-PIPELINING
#pragma once

#include <coroutine>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "tern/protocol/pipeline.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"

namespace tern::pg::detail {

/// A reply's tag (its place) is its group's id above kIndexBits, its index in the group below.
inline constexpr int kIndexBits = 16;

/// The group of a reply's tag (0: a request with a Sync of its own).
inline std::uint64_t group_of(std::uint64_t place) noexcept {
  return place >> kIndexBits;
}
/// The member's place in its group.
inline std::uint32_t index_of(std::uint64_t place) noexcept {
  return static_cast<std::uint32_t>(place & ((std::uint64_t{1} << kIndexBits) - 1));
}

class SyncGroups final : public protocol::Pipeline::Sealer {
 public:
  /// A group; 0 stands for a request with a Sync of its own.
  using Id = std::uint64_t;
  /// A member's place in its group, from 0.
  using Index = std::uint32_t;
  /// The place of a group's failure when it was not at a statement (its commit, a cancel).
  static constexpr Index kNotAStatement = UINT32_MAX - 1;
  /// The place of a group's failure while nothing failed.
  static constexpr Index kNone = UINT32_MAX;

  /// Members of one group at most (the rest of a larger burst starts another).
  static constexpr Index kMaxMembers = 1024;
  static_assert(kMaxMembers < (Index{1} << kIndexBits));

  enum class Outcome : std::uint8_t { kPending, kCommitted, kFailed, kLost };

  class OutcomeAwaiter;

  explicit SyncGroups(ring::Loop& loop) : loop_(loop) {}

  /// Before a statement that will join: a full open group is ended first (`out` takes its
  /// Sync), so that a member's place fits its tag.
  void make_room(std::string& out) {
    if (open_ != 0 && at(open_).members == kMaxMembers) [[unlikely]]
      seal(out);
  }
  /// The statement just written without a Sync joins the open group (opening one): returns
  /// its place, the tag of its reply in the pipeline (see group_of(), index_of()). The member
  /// holds two references, dropped by unref(): one for its reply in the queue, one for the
  /// caller.
  std::uint64_t join() {
    if (open_ == 0) {
      if (count_ == slots_.size()) [[unlikely]]
        grow();
      open_ = head_ + count_++;
      at(open_) = Group{};
    }
    Group& g = at(open_);
    g.refs += 2;
    return open_ << kIndexBits | g.members++;
  }
  /// True when the last group sent had several members: concurrent callers use the
  /// connection, and a statement sent to it while it is idle should open a group too (sent
  /// with the turn's others) rather than go out alone at once ahead of them.
  bool busy() const noexcept { return last_members_ > 1; }
  /// Ends the open group, if one is: its Sync goes after its last statement. (Inline: every
  /// request with a Sync of its own checks it.)
  void seal(std::string& out) override {
    if (open_ != 0) [[unlikely]]
      close(out);
  }

  /// True when `index` is the last member of `g` and no other can join.
  bool is_last(Id g, Index index) const noexcept {
    const Group& x = at(g);
    return open_ != g && index + 1 == x.members;
  }
  /// False when the server skips the member's statement: an earlier one failed.
  bool has_reply(Id g, Index index) const noexcept {
    const Index f = at(g).failed_at;
    return f == kNone || f >= index;
  }
  /// The member at `index` (or kNotAStatement) failed; the first failure counts.
  void fail(Id g, Index index) noexcept {
    Group& x = at(g);
    if (x.failed_at == kNone) x.failed_at = index;
  }
  /// The group's ReadyForQuery came: it committed unless it failed. Wakes its waiters.
  void settle(Id g) noexcept {
    finish(g, at(g).failed_at == kNone ? Outcome::kCommitted : Outcome::kFailed);
  }
  /// The connection is lost: no unsettled group will ever settle.
  void lose_all() noexcept;
  Outcome outcome(Id g) const noexcept { return at(g).outcome; }
  /// True when the member's caller, whose reply ended in a server error with `sqlstate`, should
  /// run its statement again alone instead of reporting the error: its group failed, and not
  /// at its statement (but at the group's commit, or a cancel), or at its statement because
  /// of the shared transaction (class 25, such as a statement that cannot run inside a
  /// transaction block; class 40, a deadlock the group's held locks may have caused).
  bool rerun_after_error(Id g, Index index, const std::string& sqlstate) const noexcept;
  /// Waits until `g` is settled (or lost); a stop request throws ring::CancelledError.
  OutcomeAwaiter wait(Id g) noexcept;
  /// Drops one of a member's references.
  void unref(Id g) noexcept {
    --at(g).refs;
    while (count_ > 0 && head_ != open_ && at(head_).refs == 0 &&
           at(head_).outcome != Outcome::kPending) {
      ++head_;
      --count_;
    }
  }

 private:
  struct Group {
    Index members = 0;
    std::uint32_t refs = 0;
    Index failed_at = kNone;
    Outcome outcome = Outcome::kPending;
    OutcomeAwaiter* waiters = nullptr;  // a list through the awaiters
  };
  Group& at(Id g) noexcept { return slots_[g & (slots_.size() - 1)]; }
  const Group& at(Id g) const noexcept { return slots_[g & (slots_.size() - 1)]; }
  void close(std::string& out);
  void finish(Id g, Outcome outcome) noexcept;
  void drop_waiter(OutcomeAwaiter& w) noexcept;
  void grow();

  ring::Loop& loop_;
  std::vector<Group> slots_;  // circular; its size a power of two
  Id head_ = 1;               // the oldest group still referenced
  std::size_t count_ = 0;
  Id open_ = 0;
  Index last_members_ = 0;  // of the group sealed last
};

/// Sleeps (no frame, no timer) until a group is settled; a stop request takes the waiter out
/// and resumes it on a coming turn with ring::CancelledError.
class SyncGroups::OutcomeAwaiter {
 public:
  OutcomeAwaiter(SyncGroups& groups, Id g) noexcept : groups_(groups), g_(g) {}
  bool await_ready() const noexcept { return groups_.outcome(g_) != Outcome::kPending; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    handle_ = h;
    Group& x = groups_.at(g_);
    next_ = x.waiters;
    x.waiters = this;
    const std::stop_token& stop = ring::detail::context_of(h).stop;
    if (stop.stop_possible()) stop_.emplace(stop, OnStop{this});
  }
  Outcome await_resume() {
    stop_.reset();
    if (cancelled_) throw ring::CancelledError("waiting for the statements sent with this one");
    return groups_.outcome(g_);
  }

 private:
  friend class SyncGroups;
  struct OnStop {
    OutcomeAwaiter* self;
    void operator()() const noexcept { self->groups_.drop_waiter(*self); }
  };
  SyncGroups& groups_;
  Id g_;
  std::coroutine_handle<> handle_;
  OutcomeAwaiter* next_ = nullptr;
  bool cancelled_ = false;
  std::optional<std::stop_callback<OnStop>> stop_;
};

}  // namespace tern::pg::detail
