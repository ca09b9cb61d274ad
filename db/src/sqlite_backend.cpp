// BackendConnection over a SQLite connection (protocol/sqlite): values bound as SQLite's
// INTEGER, REAL, TEXT or BLOB, transaction control as SQL, the rows copied out on the worker.
#include <string>
#include <string_view>
#include <utility>

#include "backends.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/sqlite/connection.hpp"

namespace tern {

namespace {

template <class T>
inline constexpr bool kIsArray = false;
template <class T>
inline constexpr bool kIsArray<Array<T>> = true;

// The pragma a read-only transaction starts with (scopes.cpp) and its end turns off again.
constexpr std::string_view kQueryOnly = "PRAGMA query_only = ON";

[[noreturn]] void lacks(const char* what) {
  throw NotSupportedError(std::string("SQLite has no ") + what +
                          " type: this parameter is PostgreSQL-only");
}

std::string_view as_chars(const ByteString& b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// SQLite stores what it is given: the mapping (docs/sqlite.md) keeps each type in the form
// sqlite::Row reads back and SQLite's date functions understand.
void bind(const Value& value, sqlite::Params& out) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          out.add_null();
        } else if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, std::int64_t>) {
          out.add_integer(v);
        } else if constexpr (std::is_same_v<V, double>) {
          out.add_real(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          out.add_text(v);
        } else if constexpr (std::is_same_v<V, EnumLabel>) {
          out.add_text(v.label);
        } else if constexpr (std::is_same_v<V, ByteString>) {
          out.add_blob(as_chars(v));
        } else if constexpr (std::is_same_v<V, Decimal>) {
          out.add_text(v.value);  // a NUMERIC column converts it; TEXT keeps every digit
        } else if constexpr (std::is_same_v<V, Json> || std::is_same_v<V, Jsonb>) {
          out.add_text(v.text);
        } else if constexpr (std::is_same_v<V, Uuid>) {
          out.add_owned_text(v.to_string());
        } else if constexpr (std::is_same_v<V, Date>) {
          std::string text;
          sqlite::append_date(text, v);
          out.add_owned_text(std::move(text));
        } else if constexpr (std::is_same_v<V, DateTime> || std::is_same_v<V, WideTimestamp>) {
          std::string text;
          if constexpr (std::is_same_v<V, DateTime>) {
            sqlite::append_datetime(text, v);
          } else {
            sqlite::append_datetime(text, v.to_datetime());  // throws TypeError past its range
          }
          out.add_owned_text(std::move(text));
        } else if constexpr (std::is_same_v<V, Instant> || std::is_same_v<V, WideTimestamptz>) {
          Instant t;
          if constexpr (std::is_same_v<V, Instant>) {
            t = v;
          } else {
            t = v.to_instant();
          }
          std::string text;  // UTC, without a zone (sqlite::Row reads zone-less text as UTC)
          sqlite::append_datetime(text, DateTime(t.time_since_epoch()));
          out.add_owned_text(std::move(text));
        } else if constexpr (std::is_same_v<V, TimeOfDay>) {
          std::string text;
          sqlite::append_time(text, v);
          out.add_owned_text(std::move(text));
        } else if constexpr (std::is_same_v<V, Interval>) {
          lacks("interval");
        } else if constexpr (std::is_same_v<V, HStore>) {
          lacks("hstore");
        } else if constexpr (std::is_same_v<V, RecordText>) {
          lacks("composite");
        } else {
          static_assert(kIsArray<V>);
          lacks("array");
        }
      },
      value.storage());
}

bool ends_transaction(std::string_view sql) noexcept {
  return sql == "COMMIT" || sql == "ROLLBACK";
}

class SqliteBackend final : public BackendConnection {
 public:
  explicit SqliteBackend(sqlite::Connection c) noexcept : c_(std::move(c)) {}

  ring::Task<ResultSet> execute(std::string_view sql, std::span<const Value> params,
                                ring::Deadline deadline) override {
    co_return ResultSet(co_await c_.execute(sql, bind_all(params), deadline));
  }
  ring::Task<void> run(std::string_view sql, ring::Deadline deadline) override {
    co_await c_.exec(sql, deadline);
    if (sql == kQueryOnly) query_only_ = true;
    if (query_only_ && ends_transaction(sql)) co_await end_query_only(deadline);
  }
  ring::Task<void> stream_open(std::string_view sql, std::span<const Value> params,
                               std::uint32_t batch_rows, ring::Deadline deadline) override {
    co_await c_.open_stream(sql, bind_all(params), batch_rows, deadline);
  }
  ring::Task<bool> stream_next(ResultSet& batch, ring::Deadline deadline) override {
    sqlite::Result rows;
    const bool more = co_await c_.next_batch(rows, deadline);
    batch = ResultSet(std::move(rows));
    co_return more;
  }
  ring::Task<void> stream_close(ring::Deadline) override { co_await c_.close_stream(); }
  bool streaming() const noexcept override { return c_.streaming(); }
  ring::Task<void> reset(ring::Deadline deadline) override {
    co_await c_.close_stream();
    if (in_transaction()) co_await c_.exec("ROLLBACK", deadline);
    if (query_only_) co_await end_query_only(deadline);
  }
  ring::Task<void> ping(ring::Deadline deadline) override {
    co_await c_.exec("SELECT 1", deadline);  // proves the worker thread and the handle answer
  }
  ring::Task<void> close() override { co_await c_.close(); }
  bool is_usable() const noexcept override { return c_.is_usable(); }
  bool looks_alive() const noexcept override { return c_.is_usable(); }
  bool in_transaction() const noexcept override { return c_.in_transaction(); }
  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  std::string_view server_address() const noexcept override { return c_.options().path; }

 private:
  // The parameters converted for SQLite, into storage kept from one statement to the next.
  // One call at a time (SQLite does not pipeline), so one scratch serves every call.
  const sqlite::Params& bind_all(std::span<const Value> params) {
    bound_.clear();
    for (const Value& v : params)
      bind(v, bound_);
    return bound_;
  }
  // A read-only transaction ended: the session takes writes again.
  ring::Task<void> end_query_only(ring::Deadline deadline) {
    query_only_ = false;
    co_await c_.exec("PRAGMA query_only = OFF", deadline);
  }

  sqlite::Connection c_;
  sqlite::Params bound_;
  bool query_only_ = false;
};

}  // namespace

ring::Task<std::unique_ptr<BackendConnection>> connect_sqlite(ring::Loop& loop,
                                                              sqlite::OpenOptions options) {
  sqlite::Connection c = co_await sqlite::Connection::open(loop, std::move(options));
  co_return std::make_unique<SqliteBackend>(std::move(c));
}

}  // namespace tern
