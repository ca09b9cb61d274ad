#include "tern/protocol/pipeline.hpp"

#include <optional>
#include <stop_token>
#include <utility>

#include "tern/protocol/bytes.hpp"
#include "tern/ring/error.hpp"

namespace tern::protocol {

// ---- the order of replies ----

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

Pipeline::TurnAwaiter Pipeline::turn(Ticket t) noexcept {
  return TurnAwaiter(*this, t);
}

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

void Pipeline::abandon(Ticket t) noexcept {
  Entry& e = at(t);
  if (e.abandoned) return;
  e.abandoned = true;
  --live_;
}

void Pipeline::wake_next() noexcept {
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
      if (sealer_ != nullptr) sealer_->seal(out);
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
