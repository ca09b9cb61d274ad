// The receive buffer both protocol connections frame their messages in: bytes are read into
// it and messages are views into it until the next fill(), which may move them.
#pragma once

#include <coroutine>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/transport.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::protocol {

/// A growable receive buffer over a Transport.
class ReceiveBuffer {
 public:
  ReceiveBuffer() : data_(kInitialSize) {}

  /// The bytes received and not consumed yet.
  Bytes unread() const noexcept { return {data_.data() + begin_, end_ - begin_}; }
  /// True when everything received was consumed.
  bool empty() const noexcept { return begin_ == end_; }
  /// Marks `n` bytes at the front of unread() as used.
  void consume(std::size_t n) noexcept { begin_ += n; }
  /// Drops everything unread.
  void clear() noexcept { begin_ = end_ = 0; }

  class FillAwaiter;
  /// Reads what the transport has (at least one byte), making room first for a message of
  /// `need` bytes in all at the front of unread(): views handed out before are invalid after.
  /// A broken or closed stream throws ConnectionLost (and sets `*broken` when given);
  /// ring::TimeoutError and CancelledError pass through (nothing was read: the stream is
  /// intact). An awaiter, not a coroutine: no frame between the caller and the ring.
  FillAwaiter fill(Transport& transport, std::size_t need, ring::Deadline deadline,
                   bool* broken = nullptr);

  class ExchangeAwaiter;
  /// Sends all of `out` (cleared once sent), then fills as fill() does, as one ring operation
  /// (Transport::exchange: plain sockets only). A failed send throws as send() does (the stream
  /// is out of sync); a failed read as fill() does (the request went out whole).
  ExchangeAwaiter exchange(Transport& transport, std::string& out, std::size_t need,
                           ring::Deadline deadline, bool* broken = nullptr);

 private:
  /// Makes room for `need` bytes at the front of unread(); returns the free space to read into.
  std::span<std::byte> prepare(std::size_t need);
  /// Takes the outcome of a read into prepare()'s space.
  void received(std::size_t n) noexcept { end_ += n; }

  static constexpr std::size_t kInitialSize = 64 * 1024;
  // A buffer grown for one huge message shrinks back once it is empty again.
  static constexpr std::size_t kShrinkAbove = 4 * 1024 * 1024;

  std::vector<std::byte> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

namespace detail {
/// Turns the exception of a failed read or write into ConnectionLost (TimeoutError and
/// CancelledError pass through); sets `*broken` when given and the stream is lost.
[[noreturn]] void rethrow_io_error(bool sending, bool* broken);
}  // namespace detail

/// The awaiter of ReceiveBuffer::fill().
class ReceiveBuffer::FillAwaiter {
 public:
  /// A fill() of `buffer` from `transport`.
  FillAwaiter(ReceiveBuffer& buffer, Transport& transport, std::size_t need,
              ring::Deadline deadline, bool* broken)
      : buffer_(buffer), broken_(broken), read_(transport.read(buffer.prepare(need), deadline)) {}
  /// Coroutine protocol: as the read.
  bool await_ready() const noexcept { return read_.await_ready(); }
  template <class P>
  /// Coroutine protocol: starts the read.
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    return read_.await_suspend(h);
  }
  /// Commits the bytes read; a failure is thrown as ConnectionLost (timeouts and cancellation as
  /// they are).
  void await_resume();

 private:
  ReceiveBuffer& buffer_;
  bool* broken_;
  Transport::ReadAwaiter read_;
};

inline ReceiveBuffer::FillAwaiter ReceiveBuffer::fill(Transport& transport, std::size_t need,
                                                      ring::Deadline deadline, bool* broken) {
  return FillAwaiter(*this, transport, need, deadline, broken);
}

/// The awaiter of ReceiveBuffer::exchange().
class ReceiveBuffer::ExchangeAwaiter {
 public:
  /// An exchange(): sends `out`, then reads into `buffer`, as one round trip.
  ExchangeAwaiter(ReceiveBuffer& buffer, Transport& transport, std::string& out, std::size_t need,
                  ring::Deadline deadline, bool* broken)
      : buffer_(buffer),
        out_(out),
        broken_(broken),
        op_(transport.exchange(as_bytes(out), buffer.prepare(need), deadline)) {}
  ExchangeAwaiter(const ExchangeAwaiter&) = delete;
  ExchangeAwaiter& operator=(const ExchangeAwaiter&) = delete;
  /// Coroutine protocol: never ready at once.
  bool await_ready() const noexcept { return false; }
  template <class P>
  /// Coroutine protocol: submits the round trip.
  bool await_suspend(std::coroutine_handle<P> h) {
    return op_.await_suspend(h);
  }
  /// Commits the bytes read; a failure is thrown as ConnectionLost (timeouts and cancellation as
  /// they are).
  void await_resume();
  /// After a failure: true when the send failed (the stream is out of sync).
  bool send_failed() const noexcept { return op_.send_failed(); }

 private:
  ReceiveBuffer& buffer_;
  std::string& out_;
  bool* broken_;
  ring::SendRecvAwaiter op_;
};

inline ReceiveBuffer::ExchangeAwaiter ReceiveBuffer::exchange(Transport& transport,
                                                              std::string& out, std::size_t need,
                                                              ring::Deadline deadline,
                                                              bool* broken) {
  return ExchangeAwaiter(*this, transport, out, need, deadline, broken);
}

/// Awaiter of send().
class SendAwaiter {
 public:
  /// `sent`, when given, is cleared once all of it went out.
  SendAwaiter(Transport& transport, std::string_view out, ring::Deadline deadline, bool* broken,
              std::string* sent = nullptr)
      : broken_(broken), sent_(sent), write_(transport.write(as_bytes(out), deadline)) {}
  /// Coroutine protocol: as the write.
  bool await_ready() const noexcept { return write_.await_ready(); }
  template <class P>
  /// Coroutine protocol: starts the write.
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    return write_.await_suspend(h);
  }
  /// Returns once all was sent; a failure is thrown as ConnectionLost (timeouts and cancellation as
  /// they are).
  void await_resume() {
    try {
      write_.await_resume();
    } catch (...) {
      detail::rethrow_io_error(true, broken_);
    }
    if (sent_ != nullptr) sent_->clear();
  }

 private:
  bool* broken_;
  std::string* sent_;
  Transport::WriteAwaiter write_;
};

/// Writes all of `out`. A broken stream throws ConnectionLost; TimeoutError and CancelledError
/// pass through — after any failure an unknown prefix was sent: the stream is out of sync, and
/// `*broken` is set when given. An awaiter, not a coroutine.
inline SendAwaiter send(Transport& transport, std::string_view out, ring::Deadline deadline,
                        bool* broken = nullptr) {
  return SendAwaiter(transport, out, deadline, broken);
}

/// Ends a connection the way both backends' close() do: unless `broken`, sends `goodbye`
/// (Terminate, COM_QUIT) within a second, then closes `transport` (if open), and sets `broken`.
/// Never throws.
ring::Task<void> close_connection(Transport& transport, std::string_view goodbye, bool& broken);

}  // namespace tern::protocol
