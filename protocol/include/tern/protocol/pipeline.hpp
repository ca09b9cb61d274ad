// Implicit pipelining's book-keeping, the same for both protocols: the replies in flight on one
// connection in the order their requests were written, which caller waits for which, who reads
// next, and the sender that puts the requests of one loop turn on the wire in one write.
//
// A connection appends a request's bytes to its send buffer and joins the queue in the same
// step (no suspension in between), so queue order is wire order, and the server answers in
// that order. The caller whose turn it is reads its own reply (the codec knows how); every
// other caller sleeps until every reply before its own was read. A caller that gives up (a
// deadline, a stop request) abandons its place: whoever reads next reads that reply and drops
// it, so no other caller's reply is ever touched and nothing is sent twice.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "tern/protocol/transport.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/task_group.hpp"

namespace tern::protocol {

/// The replies in flight on one connection and the sender of its requests. Loop thread only;
/// its connection must not move while requests are in flight.
class Pipeline {
 public:
  /// A place in the queue: the request written just before join() was called.
  using Ticket = std::uint64_t;

  /// What a protocol appends to the send buffer just before the sender takes it: PostgreSQL
  /// ends the statements of one send with one shared Sync there.
  class Sealer {
   public:
    /// Called with the send buffer about to go out (not empty).
    virtual void seal(std::string& out) = 0;

   protected:
    ~Sealer() = default;
  };

  /// A pipeline whose callers sleep on `loop`; `sealer` (may be null; it must outlive the
  /// pipeline) sees each send buffer before the sender takes it.
  explicit Pipeline(ring::Loop& loop, Sealer* sealer = nullptr) noexcept
      : loop_(loop), sealer_(sealer), senders_(loop) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // ---- the order of replies ----

  /// Joins the queue: the reply to the request just written comes after every reply queued
  /// before. `tag` is the protocol's own note on the request (see tag()). Returns the caller's
  /// ticket.
  Ticket join(std::uint64_t tag = 0) {
    if (count_ == ring_.size()) [[unlikely]]
      grow();
    const Ticket t = head_ + count_;
    at(t) = Entry{};
    at(t).tag = tag;
    ++count_;
    ++live_;
    return t;
  }
  /// Takes the read side for `t` when nobody holds it and every reply before `t`'s was read or
  /// abandoned; returns false otherwise (then wait with wait_turn()).
  bool try_read(Ticket t) noexcept {
    if (reading_ || (t != head_ && !all_before_abandoned(t))) return false;
    reading_ = true;
    return true;
  }
  class TurnAwaiter;
  /// wait_turn() without a deadline, as an awaiter (no coroutine frame, no timer):
  /// `co_await pipeline.turn(t)`.
  TurnAwaiter turn(Ticket t) noexcept;
  /// Sleeps until the read side is handed to `t` (true), or `deadline` passed (false). A stop
  /// request throws ring::CancelledError. Either way, the caller that did not get its turn
  /// calls abandon(t).
  ring::Task<bool> wait_turn(Ticket t, ring::Deadline deadline);
  /// True when the reply at the front was abandoned: the reader reads and drops it first.
  bool front_abandoned() const noexcept { return count_ > 0 && at(head_).abandoned; }
  /// The ticket at the front (when not empty()).
  Ticket front() const noexcept { return head_; }
  /// The tag `t` joined with (t in the queue).
  std::uint64_t tag(Ticket t) const noexcept { return at(t).tag; }
  /// True when the caller of `t` (in the queue) gave its reply up.
  bool abandoned(Ticket t) const noexcept { return at(t).abandoned; }
  /// The reply at the front was read whole: it leaves the queue.
  void pop_front() noexcept {
    if (!at(head_).abandoned) --live_;
    ++head_;
    --count_;
  }
  /// Gives the read side up (after pop_front() or abandon()) and wakes the next caller whose
  /// turn it now is, if one sleeps.
  void release_read() noexcept {
    reading_ = false;
    if (count_ > 0) wake_next();
  }
  /// The caller of `t` gives up its reply; whoever reads it next drops it. A reader abandoning
  /// keeps the read side until it calls release_read().
  void abandon(Ticket t) noexcept;
  /// Replies in flight, abandoned ones included.
  std::size_t size() const noexcept { return count_; }
  /// True when no reply is in flight.
  bool empty() const noexcept { return count_ == 0; }
  /// Callers that still wait for (or read) their reply.
  std::size_t live() const noexcept { return live_; }

  // ---- sending ----

  /// Sends `out` (the connection's send buffer; it may grow meanwhile) at the end of this loop
  /// turn, together with whatever else is appended until then, unless a send is in flight:
  /// then once it is done. A failed send sets `broken` and shuts the socket down, so that the
  /// reader's pending read fails too (every caller then gets ConnectionLost).
  void send_soon(Transport& transport, std::string& out, bool& broken);
  /// True while a send is in flight (sending through the pipeline or by the caller itself).
  bool sending() const noexcept { return sending_; }
  /// Marks a send of the caller's own as started (the fast path of a request alone on the
  /// connection, which sends and reads in one ring operation) ...
  void begin_own_send() noexcept { sending_ = true; }
  /// ... and as done: whatever was appended meanwhile goes out now.
  void end_own_send(Transport& transport, std::string& out, bool& broken);
  /// Holds sends back (a CancelRequest is on its way: it must not hit a later request) ...
  void hold_sends() noexcept { held_ = true; }
  /// ... and lets them go again.
  void release_sends(Transport& transport, std::string& out, bool& broken);
  /// Stops a send in flight (the connection is closing) and waits for the sender to end.
  ring::Task<void> stop();

 private:
  struct Entry {
    std::uint64_t tag = 0;
    std::coroutine_handle<> waiter;  // sleeping without a deadline
    ring::Signal* signal = nullptr;  // sleeping with one
    bool abandoned = false;
    bool cancelled = false;  // a stop request woke the waiter (no deadline)
  };
  Entry& at(Ticket t) noexcept { return ring_[t & (ring_.size() - 1)]; }
  const Entry& at(Ticket t) const noexcept { return ring_[t & (ring_.size() - 1)]; }
  bool all_before_abandoned(Ticket t) const noexcept;
  void wake_next() noexcept;
  void grow();
  ring::Task<void> send_all(Transport& transport, std::string& out, bool& broken);

  ring::Loop& loop_;
  Sealer* sealer_;
  std::vector<Entry> ring_;  // circular; its size a power of two
  Ticket head_ = 0;          // the ticket at the front
  std::size_t count_ = 0;
  std::size_t live_ = 0;
  bool reading_ = false;
  bool sending_ = false;
  bool held_ = false;
  std::string wire_;  // the bytes of the pipeline's send in flight
  ring::TaskGroup senders_;
};

// The wait without a deadline: no timer, no coroutine frame; the caller whose reply comes
// next resumes it as soon as it suspends itself (release_read(), Loop::resume_soon), so a run
// of replies that arrived together is read in one loop turn. A stop request abandons the place at
// once (so that the next reader skips it) and resumes the waiter on a coming turn.
/// Waits for the caller's turn to read its reply (Pipeline::turn()).
class Pipeline::TurnAwaiter {
 public:
  /// The turn of ticket `t` on `p`.
  TurnAwaiter(Pipeline& p, Ticket t) noexcept : p_(p), t_(t) {}
  /// Coroutine protocol: never ready at once.
  bool await_ready() const noexcept { return false; }
  template <class P>
  /// Parks the caller until its turn comes (or its stop request).
  void await_suspend(std::coroutine_handle<P> h) {
    p_.at(t_).waiter = h;
    const std::stop_token& stop = ring::detail::context_of(h).stop;
    if (stop.stop_possible()) stop_.emplace(stop, OnStop{&p_, t_});
  }
  /// Throws ring::CancelledError when the place was given up.
  void await_resume() {
    stop_.reset();
    if (p_.at(t_).cancelled) throw ring::CancelledError("waiting for a pipelined reply");
  }

 private:
  struct OnStop {
    Pipeline* p;
    Ticket t;
    void operator()() const noexcept {
      Entry& e = p->at(t);
      if (!e.waiter) return;  // already handed the read side: its reads see the stop
      const std::coroutine_handle<> h = std::exchange(e.waiter, nullptr);
      e.cancelled = true;
      p->abandon(t);
      p->loop_.schedule(h);
    }
  };
  Pipeline& p_;
  Ticket t_;
  std::optional<std::stop_callback<OnStop>> stop_;
};

}  // namespace tern::protocol
