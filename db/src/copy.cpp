// Bulk load and bulk read on an AioDatabase (aio_copy_in, aio_copy_out): the connection is
// chosen as for aio_stream — the task's scope connection, held for the whole load, or one
// leased from the pool alone — and the backend does the load (BackendConnection::copy_in).
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "identifiers.hpp"
#include "observer.hpp"
#include "scopes.hpp"
#include "tern/db/database.hpp"

namespace tern {

ring::Task<std::uint64_t> AioDatabase::aio_copy_in(std::string table,
                                                   std::vector<std::string> columns,
                                                   std::span<const Params> rows,
                                                   QueryOptions options) {
  ring::TaskContext& ctx = co_await ring::this_task::context();
  if (detail::ScopeBinding* b = binding(ctx)) {
    if (b->stream_owner == &ctx) {
      throw InterfaceError(
          "this task has a row stream open on the aio_atomic block's connection: read it to "
          "the end or close it first");
    }
    // The block's connection alone for the whole load: its other tasks wait their turn.
    auto turn = co_await b->lock.scoped();
    if (b->ended) detail::throw_scope_ended();
    co_await detail::quiesce(*b);
    co_return co_await run_copy(*b->conn, table, columns, rows, options.deadline);
  }
  Lease lease = co_await pool().acquire();
  co_return co_await run_copy(*lease, table, columns, rows, options.deadline);
}

ring::Task<std::uint64_t> AioDatabase::run_copy(BackendConnection& conn, std::string_view table,
                                                std::span<const std::string> columns,
                                                std::span<const Params> rows,
                                                ring::Deadline deadline) {
  if (!observed_) co_return co_await conn.copy_in(table, columns, rows, deadline);
  // The hook sees the load as one statement (its rows are not listed).
  const std::string what = absl::StrCat("COPY ", detail::quote_identifier(table, dialect_),
                                        " FROM client (", rows.size(), " rows)");
  detail::Observer::Span span(*observer_, SpanKind::kQuery, what, {}, conn.server_address(),
                              conn.server_port());
  std::exception_ptr error;
  std::uint64_t loaded = 0;
  try {
    loaded = co_await conn.copy_in(table, columns, rows, deadline);
  } catch (...) {
    error = std::current_exception();
  }
  span.end(loaded, error);
  if (error) std::rethrow_exception(error);
  co_return loaded;
}

ring::Task<RowStream> AioDatabase::aio_copy_out(std::string table, std::vector<std::string> columns,
                                                std::uint32_t batch_rows, QueryOptions options) {
  const std::string names = columns.empty() ? "*" : detail::quote_identifiers(columns, dialect_);
  const std::string sql =
      absl::StrCat("SELECT ", names, " FROM ", detail::quote_identifier(table, dialect_));
  co_return co_await aio_stream(sql, Params(), batch_rows, options);
}

}  // namespace tern
