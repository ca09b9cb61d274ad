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

bool Transport::has_unexpected_input() const noexcept {
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
