#include "tern/protocol/receive_buffer.hpp"

#include <cstring>
#include <string>

#include "tern/protocol/errors.hpp"
#include "tern/ring/error.hpp"

namespace tern::protocol {

ring::Task<void> ReceiveBuffer::fill(Transport& transport, std::size_t need,
                                     ring::Deadline deadline) {
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
  std::size_t n = 0;
  try {
    n = co_await transport.read(std::span(data_.data() + end_, data_.size() - end_), deadline);
  } catch (const ring::TimeoutError&) {
    throw;
  } catch (const ring::CancelledError&) {
    throw;
  } catch (const ring::IoError& e) {
    throw ConnectionLost(std::string("connection to the server lost: ") + e.what());
  } catch (const ring::TlsError& e) {
    throw ConnectionLost(std::string("TLS failure: ") + e.what());
  }
  if (n == 0) throw ConnectionLost("the server closed the connection");
  end_ += n;
}

ring::Task<void> send(Transport& transport, std::string_view out, ring::Deadline deadline) {
  try {
    co_await transport.write(as_bytes(out), deadline);
  } catch (const ring::TimeoutError&) {
    throw;
  } catch (const ring::CancelledError&) {
    throw;
  } catch (const ring::IoError& e) {
    throw ConnectionLost(std::string("connection to the server lost while sending: ") + e.what());
  } catch (const ring::TlsError& e) {
    throw ConnectionLost(std::string("TLS failure while sending: ") + e.what());
  }
}

}  // namespace tern::protocol
