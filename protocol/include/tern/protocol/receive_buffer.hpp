// The receive buffer both protocol connections frame their messages in: bytes are read into
// it and messages are views into it until the next fill(), which may move them.
#pragma once

#include <cstddef>
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

  /// Reads what the transport has (at least one byte), making room first for a message of
  /// `need` bytes in all at the front of unread(): views handed out before are invalid after.
  /// A broken or closed stream throws ConnectionLost; ring::TimeoutError and CancelledError
  /// pass through (nothing was read: the stream is intact).
  ring::Task<void> fill(Transport& transport, std::size_t need, ring::Deadline deadline);

 private:
  static constexpr std::size_t kInitialSize = 64 * 1024;
  // A buffer grown for one huge message shrinks back once it is empty again.
  static constexpr std::size_t kShrinkAbove = 4 * 1024 * 1024;

  std::vector<std::byte> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// Writes all of `out`. A broken stream throws ConnectionLost; TimeoutError and CancelledError
/// pass through — after any failure an unknown prefix was sent: the stream is out of sync.
ring::Task<void> send(Transport& transport, std::string_view out, ring::Deadline deadline);

}  // namespace tern::protocol
