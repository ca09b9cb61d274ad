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
  frontend::query(out_, sql);
  std::uint64_t rows = 0;
  auto receive = [&]() -> ring::Task<void> {
    std::exception_ptr error;
    for (;;) {
      const backend::Message m = co_await read_message(options.deadline);
      switch (m.type) {
        case backend::kCopyInResponse:
          backend::parse_copy_response(m.body);
          for (const std::string& chunk : chunks) {
            frontend::copy_data(out_, chunk);
            if (out_.size() >= kCopyFlushSize) co_await flush(options.deadline);
          }
          frontend::copy_done(out_);
          co_await flush(options.deadline);
          break;
        case backend::kCommandComplete:
          rows = backend::rows_in_tag(backend::parse_command_complete(m.body)).value_or(0);
          break;
        default:
          if (reply_tail(m, error, "COPY FROM STDIN")) co_return;
          break;
      }
    }
  };
  co_await round_trip(options, receive());
  co_return rows;
}

ring::Task<std::uint64_t> Connection::copy_out(std::string_view sql,
                                               const std::function<void(std::string_view)>& sink,
                                               QueryOptions options) {
  frontend::query(out_, sql);
  std::uint64_t rows = 0;
  auto receive = [&]() -> ring::Task<void> {
    std::exception_ptr error;
    for (;;) {
      const backend::Message m = co_await read_message(options.deadline);
      switch (m.type) {
        case backend::kCopyOutResponse:
          backend::parse_copy_response(m.body);
          break;
        case backend::kCopyData:
          if (!error) {
            try {
              sink(protocol::as_chars(m.body));
            } catch (...) {  // the rest of the data is still read, to stay in sync
              error = std::current_exception();
            }
          }
          break;
        case backend::kCopyDone:
          backend::expect_empty(m);
          break;
        case backend::kCommandComplete:
          rows = backend::rows_in_tag(backend::parse_command_complete(m.body)).value_or(0);
          break;
        default:
          if (reply_tail(m, error, "COPY TO STDOUT")) co_return;
          break;
      }
    }
  };
  co_await round_trip(options, receive());
  co_return rows;
}

}  // namespace tern::pg
