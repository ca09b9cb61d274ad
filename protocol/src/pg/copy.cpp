// COPY FROM STDIN and COPY TO STDOUT over the simple protocol.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-COPY
#include "reply_tail.hpp"
#include "statement.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/frontend.hpp"

namespace tern::pg {

namespace {

// CopyData is sent in writes of about this size.
constexpr std::size_t kCopyFlushSize = 256 * 1024;

}  // namespace

ring::Task<std::uint64_t> Connection::copy_in(std::string_view sql,
                                              const std::vector<std::string>& chunks,
                                              QueryOptions options) {
  const CopyProducer produce = [&chunks, next = std::size_t{0}](std::string& chunk) mutable {
    if (next < chunks.size()) chunk.append(chunks[next++]);
    return next < chunks.size();
  };
  co_return co_await copy(sql, &produce, nullptr, options);
}

ring::Task<std::uint64_t> Connection::copy_in(std::string_view sql, const CopyProducer& produce,
                                              QueryOptions options) {
  return copy(sql, &produce, nullptr, options);
}

ring::Task<std::uint64_t> Connection::copy_out(std::string_view sql,
                                               const std::function<void(std::string_view)>& sink,
                                               QueryOptions options) {
  return copy(sql, nullptr, &sink, options);
}

ring::Task<std::uint64_t> Connection::copy(std::string_view sql, const CopyProducer* produce,
                                           const std::function<void(std::string_view)>* sink,
                                           QueryOptions options) {
  const char* const during = produce != nullptr ? "COPY FROM STDIN" : "COPY TO STDOUT";
  check_ready();
  check_alone();
  frontend::query(out_, sql);
  std::uint64_t rows = 0;
  auto receive = [&]() -> ring::Task<void> {
    std::exception_ptr error;
    for (;;) {
      const backend::Message m = co_await read_message(options.deadline);
      // Each case takes a message of this COPY and goes on; the rest, the other direction's
      // messages included, is the reply's tail: ErrorResponse, ReadyForQuery or unexpected.
      switch (m.type) {
        case backend::kCopyInResponse: {
          if (produce == nullptr) break;
          backend::parse_copy_response(m.body);
          std::string chunk;
          for (bool more = true; more;) {
            chunk.clear();
            try {
              more = (*produce)(chunk);
            } catch (...) {
              // Nothing of this COPY is loaded: the server answers CopyFail with an error
              // (skipped by reply_tail, which keeps the first) and ReadyForQuery.
              error = std::current_exception();
              break;
            }
            if (!chunk.empty()) frontend::copy_data(out_, chunk);
            if (out_.size() >= kCopyFlushSize) co_await flush(options.deadline);
          }
          if (error) {
            frontend::copy_fail(out_, "aborted by the client");
          } else {
            frontend::copy_done(out_);
          }
          co_await flush(options.deadline);
          continue;
        }
        case backend::kCopyOutResponse:
          if (sink == nullptr) break;
          backend::parse_copy_response(m.body);
          continue;
        case backend::kCopyData:
          if (sink == nullptr) break;
          if (!error) {
            try {
              (*sink)(protocol::as_chars(m.body));
            } catch (...) {  // the rest of the data is still read, to stay in sync
              error = std::current_exception();
            }
          }
          continue;
        case backend::kCopyDone:
          if (sink == nullptr) break;
          backend::expect_empty(m);
          continue;
        case backend::kCommandComplete:
          rows = backend::rows_in_tag(backend::parse_command_complete(m.body)).value_or(0);
          continue;
        default:
          break;
      }
      if (reply_tail(m, error, during)) co_return;
    }
  };
  co_await round_trip(options, receive());
  co_return rows;
}

}  // namespace tern::pg
