// BackendConnection::copy_in's default (MySQL/MariaDB, SQLite): the rows go in as prepared
// multi-row INSERTs with bound parameters (never LOAD DATA LOCAL INFILE, never values spliced
// into SQL), each statement under the placeholder limit and a byte budget well below MySQL's
// default max_allowed_packet, all inside one transaction unless the caller has one open.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "identifiers.hpp"
#include "tern/db/backend.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern {

namespace {

// Placeholders one statement may carry: MySQL's COM_STMT_PREPARE counts them in 16 bits;
// SQLite's SQLITE_MAX_VARIABLE_NUMBER defaults to 32766.
constexpr std::size_t kMysqlMaxPlaceholders = 65535;
constexpr std::size_t kSqliteMaxPlaceholders = 32766;
// Rows per statement at most: past a few hundred, bigger statements gain nothing.
constexpr std::size_t kMaxRowsPerStatement = 1000;
// Bytes of values per statement at most, far under MariaDB's default max_allowed_packet
// (16 MiB) and MySQL 8's (64 MiB).
constexpr std::size_t kMaxStatementBytes = 4 * 1024 * 1024;

// About how many bytes a value takes in a COM_STMT_EXECUTE packet.
std::size_t wire_size(const Value& v) noexcept {
  return std::visit(
      [](const auto& x) -> std::size_t {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::string>) {
          return x.size() + 9;
        } else if constexpr (std::is_same_v<X, ByteString>) {
          return x.size() + 9;
        } else if constexpr (std::is_same_v<X, Json> || std::is_same_v<X, Jsonb>) {
          return x.text.size() + 9;
        } else {
          return 16;
        }
      },
      v.storage());
}

std::string insert_sql(const std::string& head, std::size_t width, std::size_t rows) {
  std::string one = "(";
  for (std::size_t i = 0; i < width; ++i)
    one += i == 0 ? "?" : ",?";
  one += ')';
  std::string sql = head;
  sql.reserve(head.size() + rows * (one.size() + 1));
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) sql += ',';
    sql += one;
  }
  return sql;
}

}  // namespace

ring::Task<std::uint64_t> BackendConnection::copy_in(std::string_view table,
                                                     std::span<const std::string> columns,
                                                     std::span<const Params> rows,
                                                     ring::Deadline deadline) {
  const Dialect d = dialect();
  std::string head = absl::StrCat("INSERT INTO ", detail::quote_identifier(table, d));
  if (!columns.empty()) absl::StrAppend(&head, " (", detail::quote_identifiers(columns, d), ")");
  head += " VALUES ";
  if (rows.empty()) co_return 0;
  const std::size_t width = columns.empty() ? rows.front().size() : columns.size();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != width || width == 0) {
      throw TypeError(absl::StrCat("aio_copy_in into ", std::string(table), ": row ", r, " has ",
                                   rows[r].size(), " values for ", width, " columns"));
    }
  }
  const std::size_t max_placeholders =
      d == Dialect::kSqlite ? kSqliteMaxPlaceholders : kMysqlMaxPlaceholders;
  const std::size_t full =
      std::clamp<std::size_t>(max_placeholders / width, 1, kMaxRowsPerStatement);
  const std::string full_sql = insert_sql(head, width, full);

  const bool own_transaction = !in_transaction();
  if (own_transaction) co_await run("BEGIN", deadline);
  std::exception_ptr error;
  try {
    std::vector<Value> batch;
    batch.reserve(full * width);
    std::size_t bytes = 0;
    std::size_t in_batch = 0;
    std::string other_sql;  // a batch cut short by the byte budget, or the last one
    for (std::size_t r = 0; r <= rows.size(); ++r) {
      std::size_t row_bytes = 0;
      if (r < rows.size()) {
        for (const Value& v : rows[r])
          row_bytes += wire_size(v);
      }
      const bool flush = in_batch > 0 && (r == rows.size() || in_batch == full ||
                                          bytes + row_bytes > kMaxStatementBytes);
      if (flush) {
        if (in_batch == full) {
          co_await execute(full_sql, batch, deadline);
        } else {
          other_sql = insert_sql(head, width, in_batch);
          co_await execute(other_sql, batch, deadline);
        }
        batch.clear();
        bytes = 0;
        in_batch = 0;
      }
      if (r == rows.size()) break;
      batch.insert(batch.end(), rows[r].begin(), rows[r].end());
      bytes += row_bytes;
      ++in_batch;
    }
    if (own_transaction) co_await run("COMMIT", deadline);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    if (own_transaction && is_usable() && in_transaction()) {
      try {
        co_await run("ROLLBACK", deadline);
      } catch (...) {  // the load's error is the one to report; the pool resets the session
      }
    }
    std::rethrow_exception(error);
  }
  co_return rows.size();
}

}  // namespace tern
