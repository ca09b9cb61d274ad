// BackendConnection over the PostgreSQL protocol connection.
#include <utility>

#include "backends.hpp"
#include "tern/protocol/pg/connection.hpp"

namespace tern {

namespace {

void bind(const Value& value, pg::Params& out) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          out.add_null();
        } else if constexpr (std::is_same_v<V, Decimal>) {
          out.add(pg::Numeric{v.value});
        } else {
          out.add(v);  // bool, int8, float8, text, bytea, date, timestamp, time, timestamptz
        }
      },
      value.storage());
}

class PgBackend final : public BackendConnection {
 public:
  explicit PgBackend(pg::Connection c) noexcept : c_(std::move(c)) {}

  ring::Task<ResultSet> execute(std::string_view sql, std::span<const Value> params,
                                ring::Deadline deadline) override {
    pg::Params bound;
    for (const Value& v : params)
      bind(v, bound);
    co_return ResultSet(co_await c_.execute(sql, bound, {.deadline = deadline}));
  }
  ring::Task<void> run(std::string_view sql, ring::Deadline deadline) override {
    co_await c_.simple_query(sql, {.deadline = deadline});
  }
  ring::Task<void> stream_open(std::string_view sql, std::span<const Value> params,
                               std::uint32_t batch_rows, ring::Deadline deadline) override {
    pg::Params bound;
    for (const Value& v : params)
      bind(v, bound);
    co_await c_.open_stream(sql, bound, batch_rows, {.deadline = deadline});
  }
  ring::Task<bool> stream_next(ResultSet& batch, ring::Deadline deadline) override {
    pg::Result rows;
    const bool more = co_await c_.next_batch(rows, deadline);
    batch = ResultSet(std::move(rows));
    co_return more;
  }
  ring::Task<void> stream_close(ring::Deadline deadline) override {
    co_await c_.close_stream(deadline);
  }
  bool streaming() const noexcept override { return c_.streaming(); }
  ring::Task<void> reset(ring::Deadline deadline) override {
    co_await c_.close_stream(deadline);
    if (in_transaction()) co_await c_.simple_query("ROLLBACK", {.deadline = deadline});
  }
  ring::Task<void> ping(ring::Deadline deadline) override {
    co_await c_.simple_query("", {.deadline = deadline});  // EmptyQueryResponse: one round trip
  }
  ring::Task<void> close() override { co_await c_.close(); }
  bool is_usable() const noexcept override { return c_.is_usable(); }
  bool looks_alive() const noexcept override { return c_.looks_alive(); }
  bool in_transaction() const noexcept override {
    return c_.transaction_status() != pg::backend::TransactionStatus::kIdle;
  }
  Dialect dialect() const noexcept override { return Dialect::kPostgres; }

 private:
  pg::Connection c_;
};

}  // namespace

ring::Task<std::unique_ptr<BackendConnection>> connect_postgres(ring::Loop& loop,
                                                                pg::ConnectOptions options) {
  pg::Connection c = co_await pg::Connection::connect(loop, std::move(options));
  co_return std::make_unique<PgBackend>(std::move(c));
}

}  // namespace tern
