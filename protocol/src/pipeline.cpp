#include "tern/protocol/pipeline.hpp"

#include <optional>
#include <stop_token>
#include <utility>

#include "tern/protocol/bytes.hpp"
#include "tern/ring/error.hpp"

namespace tern::protocol {

// ---- the order of replies ----

Pipeline::Ticket Pipeline::join() {
  if (count_ == ring_.size()) grow();
  const Ticket t = head_ + count_;
  at(t) = Entry{};
  ++count_;
  ++live_;
  return t;
}

void Pipeline::grow() {
  std::vector<Entry> bigger(ring_.empty() ? 8 : ring_.size() * 2);
  for (Ticket t = head_; t < head_ + count_; ++t)
    bigger[t & (bigger.size() - 1)] = at(t);
  ring_ = std::move(bigger);
}

bool Pipeline::all_before_abandoned(Ticket t) const noexcept {
  for (Ticket x = head_; x < t; ++x) {
    if (!at(x).abandoned) return false;
  }
  return true;
}

bool Pipeline::try_read(Ticket t) noexcept {
  if (reading_ || !all_before_abandoned(t)) return false;
  reading_ = true;
  return true;
}

// The wait without a deadline: no timer, no coroutine frame; the caller whose reply comes
// next resumes it as soon as it suspends itself (release_read(), Loop::resume_soon), so a run
// of replies that arrived together is read in one loop turn. A stop request abandons the place at
// once (so that the next reader skips it) and resumes the waiter on a coming turn.
class Pipeline::TurnAwaiter {
 public:
  TurnAwaiter(Pipeline& p, Ticket t) noexcept : p_(p), t_(t) {}
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    p_.at(t_).waiter = h;
    const std::stop_token& stop = ring::detail::context_of(h).stop;
    if (stop.stop_possible()) stop_.emplace(stop, OnStop{&p_, t_});
  }
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

ring::Task<bool> Pipeline::wait_turn(Ticket t, ring::Deadline deadline) {
  if (deadline == ring::kNoDeadline) {
    co_await TurnAwaiter(*this, t);
    co_return true;
  }
  ring::Signal signal(loop_);
  at(t).signal = &signal;
  bool woken = false;
  try {
    woken = co_await signal.wait(deadline);
  } catch (...) {
    at(t).signal = nullptr;
    if (signal.notified()) {  // handed the read side as the stop came: pass it on
      abandon(t);
      release_read();
    }
    throw;
  }
  at(t).signal = nullptr;
  co_return woken;
}

void Pipeline::pop_front() noexcept {
  if (!at(head_).abandoned) --live_;
  ++head_;
  --count_;
}

void Pipeline::abandon(Ticket t) noexcept {
  Entry& e = at(t);
  if (e.abandoned) return;
  e.abandoned = true;
  --live_;
}

void Pipeline::release_read() noexcept {
  reading_ = false;
  for (Ticket x = head_; x < head_ + count_; ++x) {
    Entry& e = at(x);
    if (e.abandoned) continue;
    // The first caller still waiting: its turn (it reads and drops the abandoned replies
    // before its own). One that is not asleep yet takes the turn itself with try_read().
    if (e.waiter) {
      reading_ = true;
      loop_.resume_soon(std::exchange(e.waiter, nullptr));
    } else if (e.signal != nullptr) {
      reading_ = true;
      e.signal->notify();
    }
    return;
  }
}

// ---- sending ----

void Pipeline::send_soon(Transport& transport, std::string& out, bool& broken) {
  // A send in flight takes what was appended when it ends (send_all, end_own_send,
  // release_sends).
  if (sending_ || held_ || out.empty()) return;
  sending_ = true;
  // Spawned tasks start on the coming loop turn, after every task this turn resumes has
  // appended its request: one write for all of them.
  senders_.spawn(send_all(transport, out, broken));
}

ring::Task<void> Pipeline::send_all(Transport& transport, std::string& out, bool& broken) {
  try {
    while (!out.empty() && !held_ && !broken) {
      wire_.swap(out);  // `out` keeps taking requests while these bytes travel
      co_await transport.write(as_bytes(wire_), ring::kNoDeadline);
      wire_.clear();
    }
  } catch (...) {
    // Part of a request may have gone out: the stream is out of sync. The reader's pending
    // read then ends too, and every caller gets ConnectionLost.
    broken = true;
    transport.shutdown();
  }
  sending_ = false;
}

void Pipeline::end_own_send(Transport& transport, std::string& out, bool& broken) {
  sending_ = false;
  if (!out.empty()) send_soon(transport, out, broken);
}

void Pipeline::release_sends(Transport& transport, std::string& out, bool& broken) {
  held_ = false;
  if (!out.empty()) send_soon(transport, out, broken);
}

ring::Task<void> Pipeline::stop() {
  senders_.cancel();
  try {
    co_await senders_.join();
  } catch (...) {  // the sender records its failure on the connection
  }
}

}  // namespace tern::protocol
