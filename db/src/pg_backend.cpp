// BackendConnection over the PostgreSQL protocol connection.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends.hpp"
#include "identifiers.hpp"
#include "pg_copy.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/hstore.hpp"

namespace tern {

namespace {

// hstore is an extension type: its OID is this database's, looked up with this query.
constexpr std::string_view kHstoreOidQuery = "SELECT CAST(to_regtype('hstore') AS oid)";

// A composite type's OID, by its name (one identifier, as create_table writes it): NULL when the
// database has no such type.
constexpr std::string_view kCompositeOidQuery = "SELECT CAST(to_regtype(quote_ident($1)) AS oid)";

bool has_hstore(std::span<const Value> params) noexcept {
  for (const Value& v : params) {
    if (std::holds_alternative<HStore>(v.storage())) return true;
  }
  return false;
}

// The composite types' OIDs this connection looked up, by name (types are database objects:
// their OIDs hold for every connection to the database, until a type is dropped).
using CompositeOids = std::vector<std::pair<std::string, pg::Oid>>;

pg::Oid composite_oid(const CompositeOids& oids, std::string_view type) noexcept {
  for (const auto& [name, oid] : oids) {
    if (name == type) return oid;
  }
  return pg::oid::kUnknown;
}

// `hstore_oid` is 0 unless hstore was registered and found.
void bind_param(const Value& value, pg::Oid hstore_oid, const CompositeOids& composites,
                pg::Params& out) {
  std::visit(
      [&out, hstore_oid, &composites](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          out.add_null();
        } else if constexpr (std::is_same_v<V, HStore>) {
          out.add(v, hstore_oid);
        } else if constexpr (std::is_same_v<V, RecordText>) {
          // Record text (record_in reads it) typed by the composite's OID, looked up by name:
          // a comparison with an untyped record would be read as an anonymous record, which
          // record_in refuses. Unknown (0) when the database lacks the type: the server then
          // casts it where the context gives the type (an INSERT's column) or says what fails.
          out.add(EnumLabel{v.text}, composite_oid(composites, v.type));
        } else {
          // bool, int8, float8, text, bytea, numeric, date, timestamp, time, timestamptz, uuid,
          // json, jsonb, interval and the arrays: each has its codec and built-in OID.
          out.add(v);
        }
      },
      value.storage());
}

class PgBackend final : public BackendConnection {
 public:
  PgBackend(pg::Connection c, bool register_hstore) noexcept
      : c_(std::move(c)), register_hstore_(register_hstore) {}

  ring::Task<ResultSet> execute(std::string_view sql, std::span<const Value> params,
                                ring::Deadline deadline) override {
    if (hstore_oid_ == 0 && has_hstore(params)) co_await require_hstore(deadline);
    if (lacks_composite_oid(params)) co_await lookup_composites(params, deadline);
    if (!bound_lent_) {
      bound_lent_ = true;
      const Unlend unlend{bound_lent_};
      co_return ResultSet(co_await c_.execute(sql, bind_all(params), {.deadline = deadline}));
    }
    // The shared buffer is lent to a call still running: it may read it again after a
    // suspension (a stale statement's retry, or a statement run again after its shared Sync
    // failed). This one binds into its own.
    pg::Params own;
    for (const Value& v : params)
      bind_param(v, hstore_oid_, composite_oids_, own);
    co_return ResultSet(co_await c_.execute(sql, own, {.deadline = deadline}));
  }
  ring::Task<std::uint64_t> copy_in(std::string_view table, std::span<const std::string> columns,
                                    std::span<const Params> rows,
                                    ring::Deadline deadline) override {
    // The target columns' types, once per load: binary COPY takes each value in exactly its
    // column's binary form.
    const std::string quoted = detail::quote_identifier(table, Dialect::kPostgres);
    pg::Params lookup;
    lookup.add(quoted);
    const pg::Result types =
        co_await c_.execute(detail::kPgCopyColumnsQuery, lookup, {.deadline = deadline});
    std::vector<detail::PgCopyColumn> all;
    all.reserve(types.size());
    for (std::size_t i = 0; i < types.size(); ++i) {
      const auto row = types.row(i);
      const std::string kind = row.get<std::string>(2);
      all.push_back({.name = row.get<std::string>(0),
                     .type = row.get<pg::OidValue>(1).value,
                     .kind = kind.empty() ? 'b' : kind[0],
                     .type_name = row.get<std::string>(3)});
    }
    std::vector<detail::PgCopyColumn> target;
    if (columns.empty()) {
      target = std::move(all);
    } else {
      target.reserve(columns.size());
      for (const std::string& name : columns) {
        const auto it =
            std::find_if(all.begin(), all.end(), [&name](const auto& c) { return c.name == name; });
        if (it == all.end()) {
          throw ProgrammingError(absl::StrCat("aio_copy_in: table ", std::string(table),
                                              " has no column ",
                                              detail::quote_identifier(name, Dialect::kPostgres),
                                              " (or it is a generated column)"));
        }
        target.push_back(*it);
      }
    }
    std::string sql = absl::StrCat("COPY ", quoted, " (");
    for (std::size_t i = 0; i < target.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += detail::quote_identifier(target[i].name, Dialect::kPostgres);
    }
    sql += ") FROM STDIN (FORMAT binary)";
    if (rows.empty()) co_return 0;
    detail::PgCopyEncoder encoder(table, target, rows);
    const pg::Connection::CopyProducer produce = [&encoder](std::string& chunk) {
      return encoder.next(chunk);
    };
    co_return co_await c_.copy_in(sql, produce, {.deadline = deadline});
  }
  ring::Task<void> run(std::string_view sql, ring::Deadline deadline) override {
    co_await c_.simple_query(sql, {.deadline = deadline});
  }
  ring::Task<void> stream_open(std::string_view sql, std::span<const Value> params,
                               std::uint32_t batch_rows, ring::Deadline deadline) override {
    if (hstore_oid_ == 0 && has_hstore(params)) co_await require_hstore(deadline);
    if (lacks_composite_oid(params)) co_await lookup_composites(params, deadline);
    co_await c_.open_stream(sql, bind_all(params), batch_rows, {.deadline = deadline});
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
  bool pipelines() const noexcept override { return true; }
  ring::Task<Notification> next_notification(ring::Deadline deadline) override {
    pg::Notification n = co_await c_.wait_for_notification(deadline);
    co_return Notification{
        .pid = n.pid, .channel = std::move(n.channel), .payload = std::move(n.payload)};
  }
  std::string_view server_address() const noexcept override {
    const auto& o = c_.options();
    return o.host.empty() ? std::string_view(o.hostaddr) : std::string_view(o.host);
  }
  std::uint16_t server_port() const noexcept override { return c_.options().port; }

  /// Looks the hstore OID up (0 when the extension is not installed in the database).
  ring::Task<void> lookup_hstore(ring::Deadline deadline) {
    const pg::Result r = co_await c_.execute(kHstoreOidQuery, {}, {.deadline = deadline});
    const auto oid = r.row(0).get<std::optional<pg::OidValue>>(0);
    hstore_oid_ = oid ? oid->value : 0;
  }

 private:
  // Gives bound_ back when the call it was lent to ends.
  struct Unlend {
    bool& lent;
    ~Unlend() { lent = false; }
  };

  // The parameters converted for the protocol, into storage kept from one statement to the
  // next (no allocation per query). Lent to one call at a time (bound_lent_): a call may read
  // its parameters again after a suspension.
  const pg::Params& bind_all(std::span<const Value> params) {
    bound_.clear();
    for (const Value& v : params)
      bind_param(v, hstore_oid_, composite_oids_, bound_);
    return bound_;
  }

  // An HStore parameter needs the OID: registered databases look it up at connect time, and
  // again here when the extension was created after this connection opened.
  ring::Task<void> require_hstore(ring::Deadline deadline) {
    if (!register_hstore_) {
      throw InterfaceError(
          "hstore parameters need hstore registered: "
          "PooledPostgresqlExtDatabase(name, options, /*register_hstore=*/true)");
    }
    co_await lookup_hstore(deadline);
    if (hstore_oid_ == 0) {
      throw ProgrammingError(
          "type \"hstore\" does not exist in this database (CREATE EXTENSION hstore)");
    }
  }

  pg::Connection c_;
  bool register_hstore_;
  // True when a parameter is a composite whose OID this connection has not looked up (a scan
  // without a coroutine: most statements have none).
  bool lacks_composite_oid(std::span<const Value> params) const noexcept {
    for (const Value& v : params) {
      const auto* r = std::get_if<RecordText>(&v.storage());
      if (r != nullptr && composite_oid(composite_oids_, r->type) == pg::oid::kUnknown) return true;
    }
    return false;
  }

  // Looks up the OIDs of the composite types of `params` this connection does not know yet
  // (one query each, the first time; a type the database lacks is asked for again next time,
  // as another connection may create it meanwhile).
  ring::Task<void> lookup_composites(std::span<const Value> params, ring::Deadline deadline) {
    for (const Value& v : params) {
      const auto* r = std::get_if<RecordText>(&v.storage());
      if (r == nullptr || composite_oid(composite_oids_, r->type) != pg::oid::kUnknown) continue;
      pg::Params p;
      p.add(std::string_view(r->type));
      const pg::Result found = co_await c_.execute(kCompositeOidQuery, p, {.deadline = deadline});
      const auto oid = found.row(0).get<std::optional<pg::OidValue>>(0);
      if (oid) composite_oids_.emplace_back(std::string(r->type), oid->value);
    }
  }

  pg::Oid hstore_oid_ = 0;
  CompositeOids composite_oids_;
  pg::Params bound_;
  bool bound_lent_ = false;
};

}  // namespace

ring::Task<std::unique_ptr<BackendConnection>> connect_postgres(ring::Loop& loop,
                                                                pg::ConnectOptions options,
                                                                bool register_hstore) {
  pg::Connection c = co_await pg::Connection::connect(loop, std::move(options));
  auto backend = std::make_unique<PgBackend>(std::move(c), register_hstore);
  // As psycopg2's register_hstore: the type is looked up once per connection.
  if (register_hstore) co_await backend->lookup_hstore(ring::kNoDeadline);
  co_return std::unique_ptr<BackendConnection>(std::move(backend));
}

}  // namespace tern
