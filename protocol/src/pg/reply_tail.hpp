// Internal: Connection::reply_tail, the end every reply loop shares (query.cpp, stream.cpp,
// copy.cpp). Inline because it runs once per query, on its ReadyForQuery: as an out-of-line
// call it cost about 20 instructions of the ~3,600 a cached point select takes.
// https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
#pragma once

#include <exception>

#include "tern/protocol/pg/backend.hpp"
#include "tern/protocol/pg/connection.hpp"

namespace tern::pg {

[[gnu::always_inline]] inline bool Connection::reply_tail(const backend::Message& m,
                                                          std::exception_ptr& error,
                                                          const char* during) {
  switch (m.type) {
    case backend::kErrorResponse:
      if (!error) error = error_response(m);
      return false;
    case backend::kReadyForQuery:
      on_ready(m);
      if (error) std::rethrow_exception(error);
      return true;
    default:
      broken_ = true;
      backend::throw_unexpected(m.type, during);
  }
}

}  // namespace tern::pg
