// Internal: the I/O steps of a MySQL connection's commands that are defined inline for the hot
// path — the whole-packet fast path of next_buffered() and the awaiters returned by
// fill_for_command() and exchange_for_command(). Kept out of the public
// tern/protocol/mysql/connection.hpp, whose users see only the Connection's API.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <utility>

#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/pipeline.hpp"
#include "tern/protocol/receive_buffer.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/task.hpp"

namespace tern::mysql {

inline std::optional<Payload> Connection::next_buffered() {
  // Once per packet: a whole packet under 16 MiB at the front of the buffer, with the sequence
  // id due. Anything else (split, partial, over the cap, out of sequence) goes through the
  // reassembler, which also throws for what breaks the protocol.
  const Bytes data = in_.unread();
  if (!reassembler_.in_progress()) {
    if (data.size() < kPacketHeaderSize) return std::nullopt;  // not even a header yet
    const std::size_t len = std::to_integer<std::size_t>(data[0]) |
                            (std::to_integer<std::size_t>(data[1]) << 8) |
                            (std::to_integer<std::size_t>(data[2]) << 16);
    const auto seq = std::to_integer<std::uint8_t>(data[3]);
    if (len < kMaxPacketPayload && len <= reassembler_.max_payload() && seq == seq_) {
      if (data.size() - kPacketHeaderSize < len) return std::nullopt;  // the rest is to come
      in_.consume(kPacketHeaderSize + len);
      seq_ = static_cast<std::uint8_t>(seq + 1);
      return Payload{data.subspan(kPacketHeaderSize, len), seq, seq};
    }
  }
  return next_buffered_slow();
}

/// The awaitable of Connection::fill_for_command(): the receive buffer's fill awaiter, made in
/// place (ring operations do not move), whose deadline or stop request is recorded instead of
/// thrown; or, to act on one, a task. Not movable: await it where it is made.
class Connection::CommandFill {
 public:
  /// Awaits the fill awaiter `make()` returns (made in place); a TimeoutError or
  /// CancelledError goes to `*caught`.
  template <class Make>
  CommandFill(std::in_place_t, Make make, Interruption* caught) : caught_(caught) {
    ::new (static_cast<void*>(storage_)) FillAwaiter(make());
  }
  /// Awaits `task`.
  explicit CommandFill(ring::Task<void> task) noexcept : task_(std::move(task)) {}
  CommandFill(const CommandFill&) = delete;
  CommandFill& operator=(const CommandFill&) = delete;
  ~CommandFill() {
    if (caught_ != nullptr) fill().~FillAwaiter();
  }

  bool await_ready() const noexcept { return caught_ != nullptr && fill().await_ready(); }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    if (caught_ == nullptr) return task_.operator co_await().await_suspend(h);
    return fill().await_suspend(h);
  }
  void await_resume() {
    if (caught_ == nullptr) return task_.operator co_await().await_resume();
    try {
      fill().await_resume();
    } catch (const ring::TimeoutError&) {
      *caught_ = Interruption::kTimeout;
    } catch (const ring::CancelledError&) {
      *caught_ = Interruption::kCancelled;
    }
  }

 private:
  using FillAwaiter = protocol::ReceiveBuffer::FillAwaiter;
  FillAwaiter& fill() noexcept { return *std::launder(reinterpret_cast<FillAwaiter*>(storage_)); }
  const FillAwaiter& fill() const noexcept {
    return *std::launder(reinterpret_cast<const FillAwaiter*>(storage_));
  }

  alignas(FillAwaiter) unsigned char storage_[sizeof(FillAwaiter)];
  Interruption* caught_ = nullptr;  // null: awaiting task_
  ring::Task<void> task_;
};

/// The awaitable of Connection::exchange_for_command(): the receive buffer's exchange awaiter
/// over the connection's own send (wire_), whose read's deadline or stop request is recorded
/// (as CommandFill does) instead of thrown. Requests other calls wrote meanwhile go out once
/// it is done.
class Connection::CommandExchange {
 public:
  CommandExchange(Connection& c, std::size_t need)
      : c_(c), exchange_(c.in_.exchange(c.transport_, c.wire_, need, c.deadline_, &c.broken_)) {}
  CommandExchange(const CommandExchange&) = delete;
  CommandExchange& operator=(const CommandExchange&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return exchange_.await_suspend(h);
  }
  void await_resume() {
    c_.own_send_ = false;
    if (!c_.out_.empty()) c_.pipeline_->send_soon(c_.transport_, c_.out_, c_.broken_);
    // A send cut short broke the stream: that throws. A read cut short left it intact: the
    // next fill_for_command() gives the response up.
    try {
      exchange_.await_resume();
    } catch (const ring::TimeoutError&) {
      if (exchange_.send_failed()) throw;
      c_.caught_ = Interruption::kTimeout;
    } catch (const ring::CancelledError&) {
      if (exchange_.send_failed()) throw;
      c_.caught_ = Interruption::kCancelled;
    }
  }

 private:
  Connection& c_;
  protocol::ReceiveBuffer::ExchangeAwaiter exchange_;
};

inline bool Connection::can_exchange_for_command() const noexcept {
  return transport_.can_exchange() && caught_ == Interruption::kNone;
}

inline Connection::CommandExchange Connection::exchange_for_command() {
  const std::size_t need = fill_size();
  // Sent from wire_, so that other calls can go on writing requests into out_ meanwhile; they
  // go out once it is done (own_send_ holds them back: one send at a time keeps them in
  // order).
  own_send_ = true;
  wire_.swap(out_);
  return CommandExchange(*this, need);
}

}  // namespace tern::mysql
