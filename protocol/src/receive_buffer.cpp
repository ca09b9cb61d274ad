#include "tern/protocol/receive_buffer.hpp"

#include <chrono>
#include <cstring>
#include <string>

#include "tern/protocol/exceptions.hpp"
#include "tern/ring/error.hpp"

namespace tern::protocol {

std::span<std::byte> ReceiveBuffer::prepare(std::size_t need) {
  if (empty()) {
    begin_ = end_ = 0;
    if (data_.size() > kShrinkAbove) {
      data_.resize(kInitialSize);
      data_.shrink_to_fit();
    }
  }
  // Compact when the message would not fit behind the unread bytes, or little room is left.
  if (begin_ > 0 && (data_.size() - begin_ < need || data_.size() - end_ < 4096)) {
    std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (data_.size() < need) data_.resize(need);
  return std::span(data_.data() + end_, data_.size() - end_);
}

void ReceiveBuffer::FillAwaiter::await_resume() {
  std::size_t n = 0;
  try {
    n = read_.await_resume();
  } catch (...) {
    detail::rethrow_io_error(false, broken_);
  }
  if (n == 0) {
    if (broken_ != nullptr) *broken_ = true;
    throw ConnectionLost("the server closed the connection");
  }
  buffer_.received(n);
}

void ReceiveBuffer::ExchangeAwaiter::await_resume() {
  std::size_t n = 0;
  try {
    n = op_.await_resume();
  } catch (...) {
    const bool sending = op_.send_failed();
    if (!sending) out_.clear();  // sent whole: only the read failed
    detail::rethrow_io_error(sending, broken_);
  }
  out_.clear();
  if (n == 0) {
    if (broken_ != nullptr) *broken_ = true;
    throw ConnectionLost("the server closed the connection");
  }
  buffer_.received(n);
}

namespace detail {

void rethrow_io_error(bool sending, bool* broken) {
  try {
    throw;
  } catch (const ring::TimeoutError&) {
    // A send cut short leaves an unknown prefix on the wire; a read that did not happen
    // leaves the stream intact.
    if (sending && broken != nullptr) *broken = true;
    throw;
  } catch (const ring::CancelledError&) {
    if (sending && broken != nullptr) *broken = true;
    throw;
  } catch (const ring::IoError& e) {
    if (broken != nullptr) *broken = true;
    throw ConnectionLost(std::string(sending ? "connection to the server lost while sending: "
                                             : "connection to the server lost: ") +
                         e.what());
  } catch (const ring::TlsError& e) {
    if (broken != nullptr) *broken = true;
    throw ConnectionLost(std::string(sending ? "TLS failure while sending: " : "TLS failure: ") +
                         e.what());
  } catch (...) {
    if (broken != nullptr) *broken = true;
    throw;
  }
}

}  // namespace detail

ring::Task<void> close_connection(Transport& transport, std::string_view goodbye, bool& broken) {
  if (transport.is_open()) {
    if (!broken) {
      try {
        co_await SendAwaiter(transport, goodbye, ring::deadline_after(std::chrono::seconds(1)),
                             &broken);
      } catch (...) {  // closing anyway
      }
    }
    try {
      co_await transport.close();
    } catch (...) {  // a broken peer cannot stop us from letting go
    }
  }
  broken = true;
}

}  // namespace tern::protocol
