// A scripted BackendConnection and a connection factory over it, so that the pool's policy can
// be tested without a server: each connection's health, transaction state and reset/ping
// outcomes are flags the test sets, and what the pool did to it (pings, resets, closes,
// destruction) is recorded in a state that outlives the connection.
#pragma once

#include <coroutine>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "tern/db/backend.hpp"
#include "tern/db/pool.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/task.hpp"

namespace tern::testing {

/// What a test scripts and observes of one fake connection; shared with the connection so
/// that it stays readable after the pool destroyed it.
struct FakeState {
  std::size_t id = 0;                 ///< order of creation, from 0
  bool usable = true;                 ///< is_usable() (also false once closed)
  bool alive = true;                  ///< looks_alive()
  bool in_transaction = false;        ///< in_transaction(); reset() clears it unless reset_fails
  bool pipelines = false;             ///< pipelines(): Pool::share() may stack statements on it
  bool reset_fails = false;           ///< reset() throws and leaves the transaction open
  bool ping_fails = false;            ///< ping() throws and breaks the connection
  ring::Signal* ping_gate = nullptr;  ///< when set, ping() waits for it before answering
  int pings = 0;
  int resets = 0;
  int closes = 0;
  bool destroyed = false;
};

/// The failure of a scripted connect (its own type, so a test can tell it from the pool's).
class ConnectRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A BackendConnection whose behaviour is its FakeState. Statements are not part of the pool's
/// contract, so running one is a test bug and throws.
class FakeConnection final : public BackendConnection {
 public:
  explicit FakeConnection(std::shared_ptr<FakeState> state) : state_(std::move(state)) {}
  ~FakeConnection() override { state_->destroyed = true; }

  /// The scripted state.
  FakeState& state() const noexcept { return *state_; }

  ring::Task<ResultSet> execute(std::string_view, std::span<const Value>, ring::Deadline) override {
    throw std::logic_error("FakeConnection runs no statements");
  }
  ring::Task<void> stream_open(std::string_view, std::span<const Value>, std::uint32_t,
                               ring::Deadline) override {
    throw std::logic_error("FakeConnection runs no statements");
  }
  ring::Task<bool> stream_next(ResultSet&, ring::Deadline) override {
    throw std::logic_error("FakeConnection runs no statements");
  }
  ring::Task<void> stream_close(ring::Deadline) override { co_return; }
  bool streaming() const noexcept override { return false; }
  ring::Task<void> run(std::string_view, ring::Deadline) override { co_return; }
  ring::Task<void> reset(ring::Deadline) override {
    ++state_->resets;
    if (state_->reset_fails) throw std::runtime_error("scripted reset failure");
    state_->in_transaction = false;
    co_return;
  }
  ring::Task<void> ping(ring::Deadline deadline) override {
    ++state_->pings;
    if (state_->ping_gate != nullptr) co_await state_->ping_gate->wait(deadline);
    if (state_->ping_fails) {
      state_->usable = false;
      throw std::runtime_error("scripted ping failure");
    }
    co_return;
  }
  ring::Task<void> close() override {
    ++state_->closes;
    state_->usable = false;
    co_return;
  }
  bool is_usable() const noexcept override { return state_->usable; }
  bool looks_alive() const noexcept override { return state_->alive; }
  bool in_transaction() const noexcept override { return state_->in_transaction; }
  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  bool pipelines() const noexcept override { return state_->pipelines; }

 private:
  std::shared_ptr<FakeState> state_;
};

/// The "server": hands out fake connections, or fails the next `refuse` connects.
class FakeServer {
 public:
  /// The factory to give the Pool; the server must outlive the pool.
  ConnectionFactory factory() {
    return [this](ring::Loop&) { return connect(); };
  }
  /// Connection attempts so far (failed ones included).
  int attempts = 0;
  /// How many of the coming connects fail with ConnectRefused.
  int refuse = 0;
  /// Whether the connections it opens pipeline (FakeState::pipelines).
  bool pipelining = true;
  /// Every connection opened, in order.
  std::vector<std::shared_ptr<FakeState>> opened;

  /// The state of the connection a lease holds.
  static FakeState& of(const Lease& lease) { return static_cast<FakeConnection&>(*lease).state(); }

 private:
  ring::Task<std::unique_ptr<BackendConnection>> connect() {
    ++attempts;
    if (refuse > 0) {
      --refuse;
      throw ConnectRefused("scripted connect failure");
    }
    auto state = std::make_shared<FakeState>();
    state->id = opened.size();
    state->pipelines = pipelining;
    opened.push_back(state);
    co_return std::make_unique<FakeConnection>(std::move(state));
  }
};

/// Yields loop turns until `done()` holds; false if it still does not after many turns (the
/// test then fails instead of hanging).
inline ring::Task<bool> turns_until(ring::Loop& loop, std::function<bool()> done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) co_return true;
    co_await ring::NextTurn{loop};
  }
  co_return done();
}

}  // namespace tern::testing
