// BackendConnection over the MySQL protocol connection.
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/ring/log.hpp"

namespace tern {

namespace {

template <class T>
inline constexpr bool kIsArray = false;
template <class T>
inline constexpr bool kIsArray<Array<T>> = true;

[[noreturn]] void lacks(const char* what) {
  throw NotSupportedError(std::string("MySQL/MariaDB has no ") + what +
                          " type: this parameter is PostgreSQL-only");
}

void bind(const Value& value, mysql::Params& out) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          out.add_null();
        } else if constexpr (std::is_same_v<V, std::string>) {
          out.add(std::string_view(v));
        } else if constexpr (std::is_same_v<V, EnumLabel>) {
          out.add(std::string_view(v.label));  // an ENUM column reads it as its label
        } else if constexpr (std::is_same_v<V, Uuid>) {
          out.add(std::string_view(v.to_string()));  // CHAR(36)
        } else if constexpr (std::is_same_v<V, Instant>) {
          out.add(DateTime(v.time_since_epoch()));  // MySQL has no zone: UTC
        } else if constexpr (std::is_same_v<V, WideTimestamp>) {
          out.add(v.to_datetime());  // throws TypeError past DateTime's range
        } else if constexpr (std::is_same_v<V, WideTimestamptz>) {
          out.add(DateTime(v.to_instant().time_since_epoch()));
        } else if constexpr (std::is_same_v<V, Json> || std::is_same_v<V, Jsonb>) {
          out.add(std::string_view(v.text));  // JSON travels as its text
        } else if constexpr (std::is_same_v<V, Interval>) {
          lacks("interval");
        } else if constexpr (std::is_same_v<V, HStore>) {
          lacks("hstore");
        } else if constexpr (std::is_same_v<V, RecordText>) {
          lacks("composite");
        } else if constexpr (kIsArray<V>) {
          lacks("array");
        } else {
          out.add(v);  // bool, BIGINT, DOUBLE, BLOB, DECIMAL, DATE, DATETIME, TIME
        }
      },
      value.storage());
}

// MySQL keeps a statement's warnings on the server (SHOW WARNINGS); the count is what the
// reply carries, and what is logged.
void log_warnings(std::string_view sql, std::uint16_t count) {
  if (!log_enabled(LogLevel::warning)) return;
  log(LogLevel::warning, "mysql",
      absl::StrCat(count, count == 1 ? " warning" : " warnings", " (SHOW WARNINGS lists ",
                   count == 1 ? "it" : "them", ") from: ", std::string(sql.substr(0, 200))));
}

class MysqlBackend final : public BackendConnection {
 public:
  explicit MysqlBackend(mysql::Connection c) noexcept : c_(std::move(c)) {}

  ring::Task<ResultSet> execute(std::string_view sql, std::span<const Value> params,
                                ring::Deadline deadline) override {
    mysql::Result rows;
    if (!bound_in_use_) {
      const Scratch scratch(*this);
      rows = co_await c_.execute(sql, bind_all(params, bound_), {.deadline = deadline});
    } else {
      mysql::Params own;  // the scratch is another pipelined call's
      rows = co_await c_.execute(sql, bind_all(params, own), {.deadline = deadline});
    }
    if (rows.warnings() != 0) [[unlikely]]
      log_warnings(sql, rows.warnings());
    co_return ResultSet(std::move(rows));
  }
  ring::Task<void> run(std::string_view sql, ring::Deadline deadline) override {
    co_await c_.query(sql, {.deadline = deadline});
  }
  ring::Task<void> stream_open(std::string_view sql, std::span<const Value> params,
                               std::uint32_t batch_rows, ring::Deadline deadline) override {
    batch_rows_ = batch_rows;
    if (!bound_in_use_) {
      const Scratch scratch(*this);
      co_await c_.open_stream(sql, bind_all(params, bound_), {.deadline = deadline});
      co_return;
    }
    mysql::Params own;  // (open_stream throws InterfaceError: calls are in flight)
    co_await c_.open_stream(sql, bind_all(params, own), {.deadline = deadline});
  }
  ring::Task<bool> stream_next(ResultSet& batch, ring::Deadline deadline) override {
    mysql::Result rows;
    const bool more = co_await c_.next_batch(rows, batch_rows_, deadline);
    batch = ResultSet(std::move(rows));
    co_return more;
  }
  ring::Task<void> stream_close(ring::Deadline deadline) override {
    co_await c_.close_stream(deadline);
  }
  bool streaming() const noexcept override { return c_.streaming(); }
  ring::Task<void> reset(ring::Deadline deadline) override {
    co_await c_.close_stream(deadline);
    if (in_transaction()) co_await c_.query("ROLLBACK", {.deadline = deadline});
  }
  ring::Task<void> ping(ring::Deadline deadline) override {
    co_await c_.ping({.deadline = deadline});
  }
  ring::Task<void> close() override { co_await c_.close(); }
  bool is_usable() const noexcept override { return c_.is_usable(); }
  bool looks_alive() const noexcept override { return c_.looks_alive(); }
  bool in_transaction() const noexcept override {
    return (c_.status_flags() & mysql::status::kInTrans) != 0;
  }
  Dialect dialect() const noexcept override { return Dialect::kMysql; }
  bool pipelines() const noexcept override { return true; }
  std::string_view server_address() const noexcept override {
    const auto& o = c_.options();
    return o.host.empty() ? std::string_view(o.hostaddr) : std::string_view(o.host);
  }
  std::uint16_t server_port() const noexcept override { return c_.options().port; }

 private:
  // The parameters converted for the protocol, into storage kept from one statement to the
  // next (no allocation per query). mysql::Connection reads a call's parameters until the call
  // completes (a statement the server asks to prepare again is executed again with them), so
  // pipelined calls cannot share it: the first call in flight takes it, the others bind into
  // storage of their own.
  static const mysql::Params& bind_all(std::span<const Value> params, mysql::Params& out) {
    out.clear();
    for (const Value& v : params)
      bind(v, out);
    return out;
  }
  // bound_ taken for the lifetime of one call.
  struct Scratch {
    explicit Scratch(MysqlBackend& b) noexcept : in_use(b.bound_in_use_) { in_use = true; }
    ~Scratch() { in_use = false; }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    bool& in_use;
  };

  mysql::Connection c_;
  std::uint32_t batch_rows_ = 1;
  mysql::Params bound_;
  bool bound_in_use_ = false;
};

}  // namespace

ring::Task<std::unique_ptr<BackendConnection>> connect_mysql(ring::Loop& loop,
                                                             mysql::ConnectOptions options) {
  mysql::Connection c = co_await mysql::Connection::connect(loop, std::move(options));
  co_return std::make_unique<MysqlBackend>(std::move(c));
}

}  // namespace tern
