#include "tern/protocol/transport.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tern/ring/error.hpp"

namespace tern::protocol {

ring::Task<void> Transport::start_tls(std::shared_ptr<const ring::TlsContext> context,
                                      std::string host, ring::Deadline deadline) {
  ring::TlsStream stream = co_await ring::TlsStream::handshake(
      std::move(socket_), std::move(context), std::move(host), deadline);
  tls_ = std::make_unique<ring::TlsStream>(std::move(stream));
}

void Transport::shutdown() noexcept {
  if (fd() >= 0) ::shutdown(fd(), SHUT_RDWR);
}

ring::Task<std::size_t> Transport::read_filtered(std::span<std::byte> buf,
                                                 ring::Deadline deadline) {
  // Everything read is kept by the filter: a read cut short by the deadline loses nothing.
  for (;;) {
    if (const std::size_t n = filter_->decode(buf)) co_return n;
    const std::span<std::byte> space = filter_->wire_space();
    std::size_t got = 0;
    if (tls_) {
      got = co_await tls_->read(space, deadline);
    } else {
      got = co_await socket_.recv(space, deadline);
    }
    if (got == 0) co_return 0;
    filter_->wire_received(got);
  }
}

ring::Task<void> Transport::write_filtered(std::span<const std::byte> buf,
                                           ring::Deadline deadline) {
  encoded_.clear();
  filter_->encode(buf, encoded_);
  if (tls_) {
    co_await tls_->write_all(as_bytes(encoded_), deadline);
  } else {
    co_await socket_.send_all(as_bytes(encoded_), deadline);
  }
}

bool Transport::has_unexpected_input() const noexcept {
  if (filter_ && filter_->buffered()) return true;
  if (fd() < 0) return true;
  char byte;
  const ssize_t n = ::recv(fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: end of stream; > 0: unsolicited bytes (a FATAL error before the server hung up, a TLS
  // alert); EAGAIN: nothing, as it should be.
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

ring::Task<void> Transport::close() {
  if (tls_) {
    co_await tls_->close();
    tls_.reset();
  } else if (socket_.is_open()) {
    co_await socket_.close();
  }
}

void throw_startup_failure(std::exception_ptr e, const std::string& target,
                           std::chrono::milliseconds connect_timeout,
                           bool (*server_said_why)(const ConnectionLost&)) {
  const std::string context = absl::StrCat("could not connect to server at ", target);
  try {
    std::rethrow_exception(e);
  } catch (const ring::TimeoutError&) {
    throw ConnectionFailed(
        absl::StrCat(context, ": timed out after ", connect_timeout.count(), " ms"));
  } catch (const ring::TlsError& err) {
    throw ConnectionFailed(absl::StrCat(context, ": TLS failed: ", err.what()));
  } catch (const ring::CancelledError&) {
    throw;  // the caller asked for it: not a connection failure
  } catch (const ConnectionFailed&) {
    throw;  // said already
  } catch (const ring::IoError& err) {
    throw ConnectionFailed(absl::StrCat(context, ": ", err.what()));
  } catch (const ConnectionLost& err) {
    if (server_said_why(err)) throw ConnectionFailed(err.info(), context);
    throw ConnectionFailed(
        absl::StrCat(context, ": connection lost during start-up: ", err.what()));
  }
}

}  // namespace tern::protocol
