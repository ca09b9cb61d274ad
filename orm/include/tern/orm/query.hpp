// Query builders over a model: SELECT, INSERT, UPDATE, DELETE. Each builds the AST (typed on
// the way in), compiles it for the model's database and runs it through AioDatabase.
//
//   std::vector<Item> cheap = co_await Item::select()
//       .where(Item::c.price < 10 && Item::c.name.startswith("a"))
//       .order_by(Item::c.price.desc()).limit(20).aio_execute();
//   co_await Item::update().set(Item::c.price, 12).where(Item::c.id == 3).aio_execute();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tern/db/database.hpp"
#include "tern/orm/ast.hpp"
#include "tern/orm/expr.hpp"
#include "tern/orm/meta.hpp"
#include "tern/ring/task.hpp"

namespace tern::orm {

/// Join types.
using JoinType = ast::Join::Type;

namespace detail {
/// Compiles `query` for `db` and runs it.
ring::Task<ResultSet> run(AioDatabase& db, const ast::Query& query);
/// The same, synchronously (needs allow_sync).
ResultSet run_sync(AioDatabase& db, const ast::Query& query);
/// "table"."column" of a field.
ast::ExprPtr column_of(const ModelMeta& meta, const FieldMeta& field);
/// SELECT of every field of a model.
ast::Query select_all(const ModelMeta& meta);
/// `a.fk = b.pk` (or `b.fk = a.pk`) for the one foreign key linking the two models.
ast::ExprPtr foreign_key_condition(const ModelMeta& a, const ModelMeta& b);
/// Appends every field of `meta`'s model to the select list of `query`.
void append_columns(ast::Query& query, const ModelMeta& meta);
/// AND of `current` (may be null) and `more`.
ast::ExprPtr and_(ast::ExprPtr current, ast::ExprPtr more);
/// INSERT of `count` objects read through `get_object(i)`; returns the query.
ast::Query insert_objects(const ModelMeta& meta, const void* const* objects, std::size_t count,
                          Dialect dialect);
/// Runs an INSERT and returns the generated key (PG: RETURNING; MySQL: LAST_INSERT_ID), 0 when
/// nothing was inserted.
ring::Task<std::int64_t> run_insert(AioDatabase& db, ast::Query query, const ModelMeta& meta);
/// The value the conflicting insert brought for `column` (EXCLUDED.column / VALUES(column)).
ast::ExprPtr excluded(const std::string& column);
/// SELECT COUNT(*) FROM (query) AS _wrapped.
ring::Task<std::int64_t> count_rows(AioDatabase& db, const ast::Query& query);
/// Runs a statement and returns the rows it affected.
ring::Task<std::uint64_t> run_count(AioDatabase& db, const ast::Query& query);
}  // namespace detail

/// SELECT over model M.
template <class M>
class Select {
 public:
  /// Every field of M, from M's table.
  Select() : q_(detail::select_all(M::tern_meta())) {}
  /// Chosen columns or expressions, from M's table; read the results with aio_rows(),
  /// aio_tuples<...>() or aio_scalar<T>().
  explicit Select(std::vector<ast::ExprPtr> columns) : Select() {
    q_.columns = std::move(columns);
    models_ = false;
  }

  /// WHERE (several calls AND together).
  Select& where(const Expr<bool>& condition) {
    q_.where = detail::and_(std::move(q_.where), condition.node());
    return *this;
  }
  /// [INNER|LEFT|...] JOIN Other ON condition.
  template <class Other>
  Select& join(const Expr<bool>& on, JoinType type = JoinType::kInner) {
    q_.joins.push_back(
        {.type = type, .table = {.name = Other::tern_meta().table}, .on = on.node()});
    return *this;
  }
  /// JOIN Other ON the foreign key between M and Other (either way round); throws
  /// InterfaceError when there is none or more than one.
  template <class Other>
  Select& join(JoinType type = JoinType::kInner) {
    q_.joins.push_back({.type = type,
                        .table = {.name = Other::tern_meta().table},
                        .on = detail::foreign_key_condition(M::tern_meta(), Other::tern_meta())});
    return *this;
  }
  /// ORDER BY (plain expressions or .asc()/.desc()).
  template <class... V>
  Select& order_by(const Expr<V>&... terms) {
    (q_.order_by.push_back(terms.node()), ...);
    return *this;
  }
  /// GROUP BY.
  template <class... V>
  Select& group_by(const Expr<V>&... terms) {
    (q_.group_by.push_back(terms.node()), ...);
    return *this;
  }
  /// HAVING.
  Select& having(const Expr<bool>& condition) {
    q_.having = detail::and_(std::move(q_.having), condition.node());
    return *this;
  }
  /// LIMIT n.
  Select& limit(std::int64_t n) {
    q_.limit = n;
    return *this;
  }
  /// OFFSET n.
  Select& offset(std::int64_t n) {
    q_.offset = n;
    return *this;
  }
  /// Page `page` (from 1) of `per_page` rows.
  Select& paginate(std::int64_t page, std::int64_t per_page) {
    q_.limit = per_page;
    q_.offset = (page > 0 ? page - 1 : 0) * per_page;
    return *this;
  }
  /// SELECT DISTINCT.
  Select& distinct() {
    q_.distinct = true;
    return *this;
  }
  /// FOR UPDATE (inside a transaction).
  Select& for_update(bool nowait = false) {
    q_.for_update = true;
    q_.for_update_nowait = nowait;
    return *this;
  }

  /// UNION with another select of the same shape (ORDER BY / LIMIT set afterwards apply to
  /// the whole).
  Select& union_(const Select& other) { return compound("UNION", other); }
  /// UNION ALL.
  Select& union_all(const Select& other) { return compound("UNION ALL", other); }
  /// INTERSECT.
  Select& intersect(const Select& other) { return compound("INTERSECT", other); }
  /// EXCEPT.
  Select& except_(const Select& other) { return compound("EXCEPT", other); }

  /// Runs the query and returns the models (a select of every field).
  ring::Task<std::vector<M>> aio_execute() const {
    require_models();
    const ResultSet rows = co_await detail::run(M::tern_database(), q_);
    co_return hydrate(rows);
  }
  /// The same, synchronously (needs allow_sync).
  std::vector<M> execute() const {
    require_models();
    return hydrate(detail::run_sync(M::tern_database(), q_));
  }
  /// Runs the query with every field of M and of each joined model `Others` selected, and
  /// returns each row as the models it holds: `.join<Category>(on).aio_models<Category>()`
  /// gives std::tuple<Item, Category> per row (peewee attaches joined objects instead).
  template <class... Others>
  ring::Task<std::vector<std::tuple<M, Others...>>> aio_models() const {
    require_models();
    ast::Query q = q_;
    (detail::append_columns(q, Others::tern_meta()), ...);
    const ResultSet rows = co_await detail::run(M::tern_database(), q);
    std::vector<std::tuple<M, Others...>> out;
    out.reserve(rows.size());
    for (const Row row : rows) {
      std::tuple<M, Others...>& t = out.emplace_back();
      std::size_t at = 0;
      std::apply([&](auto&... models) { (fill(models, row, at), ...); }, t);
    }
    co_return out;
  }
  /// Runs the query and returns its rows as they are (by index or column name).
  ring::Task<ResultSet> aio_rows() const { co_return co_await detail::run(M::tern_database(), q_); }
  /// Runs the query and returns each row as a tuple of the given types.
  template <class... T>
  ring::Task<std::vector<std::tuple<T...>>> aio_tuples() const {
    const ResultSet rows = co_await detail::run(M::tern_database(), q_);
    std::vector<std::tuple<T...>> out;
    out.reserve(rows.size());
    for (const Row row : rows)
      out.push_back(as_tuple<T...>(row, std::index_sequence_for<T...>{}));
    co_return out;
  }
  /// The first column of the first row (nullopt when there is no row or it is NULL), e.g.
  /// `co_await Item::select(fn::max(Item::c.price)).aio_scalar<double>()`.
  template <class T>
  ring::Task<std::optional<T>> aio_scalar() const {
    const ResultSet rows = co_await detail::run(M::tern_database(), q_);
    if (rows.empty()) co_return std::nullopt;
    co_return rows.row(0).get<std::optional<T>>(0);
  }
  /// COUNT of the rows the query returns (LIMIT respected).
  ring::Task<std::int64_t> aio_count() const {
    co_return co_await detail::count_rows(M::tern_database(), q_);
  }
  /// True when the query returns a row.
  ring::Task<bool> aio_exists() const {
    ast::Query probe = q_;
    probe.limit = 1;
    probe.order_by.clear();
    const ResultSet rows = co_await detail::run(M::tern_database(), probe);
    co_return !rows.empty();
  }
  /// The query's AST (for composing and for tests).
  const ast::Query& ast() const noexcept { return q_; }

 private:
  template <class... T, std::size_t... I>
  static std::tuple<T...> as_tuple(const Row& row, std::index_sequence<I...>) {
    return std::tuple<T...>(row.get<T>(I)...);
  }
  void require_models() const {
    if (!models_) {
      throw InterfaceError(
          "a select of chosen columns has no models: use aio_rows(), "
          "aio_tuples<...>() or aio_scalar<T>()");
    }
  }
  Select& compound(const char* op, const Select& other) {
    ast::Query whole;
    whole.kind = ast::Query::Kind::kCompound;
    whole.compound_op = op;
    whole.lhs = std::make_shared<const ast::Query>(std::move(q_));
    whole.rhs = std::make_shared<const ast::Query>(other.q_);
    q_ = std::move(whole);
    return *this;
  }
  // Reads the next fields of `row`, from column `at` on, into `model`.
  template <class Model>
  static void fill(Model& model, const Row& row, std::size_t& at) {
    for (const FieldMeta& f : Model::tern_meta().fields)
      f.set(&model, row, at++);
  }
  static std::vector<M> hydrate(const ResultSet& rows) {
    const ModelMeta& meta = M::tern_meta();
    std::vector<M> out;
    out.reserve(rows.size());
    for (const Row row : rows) {
      M& m = out.emplace_back();
      for (std::size_t i = 0; i < meta.fields.size(); ++i)
        meta.fields[i].set(&m, row, i);
    }
    return out;
  }

  ast::Query q_;
  bool models_ = true;
};

/// EXISTS (query).
template <class Q>
requires requires(const Q& q) {
  q.ast();
}
Expr<bool> exists(const Q& query) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kExists;
  e.query = std::make_shared<const ast::Query>(query.ast());
  return Expr<bool>(detail::node(std::move(e)));
}

/// INSERT of model instances.
template <class M>
class Insert {
 public:
  /// Inserts `objects` (one or many).
  explicit Insert(std::vector<const M*> objects) : objects_(std::move(objects)) {}
  /// ON CONFLICT DO NOTHING / INSERT IGNORE.
  Insert& on_conflict_ignore() {
    conflict_ = ast::OnConflict{};
    return *this;
  }
  /// The unique columns a conflict is about (PostgreSQL needs them for an update; MySQL uses
  /// every unique key anyway).
  template <class... V>
  Insert& on_conflict_target(const Expr<V>&... columns) {
    if (!conflict_) conflict_ = ast::OnConflict{};
    (conflict_->target.push_back(columns.node()->name), ...);
    return *this;
  }
  /// On a conflict, update these columns with the values this insert brought (PG: DO UPDATE
  /// SET c = EXCLUDED.c; MySQL: ON DUPLICATE KEY UPDATE c = VALUES(c)).
  template <class... V>
  Insert& on_conflict_update(const Expr<V>&... columns) {
    if (!conflict_) conflict_ = ast::OnConflict{};
    conflict_->action = ast::OnConflict::Action::kUpdate;
    (conflict_->updates.emplace_back(columns.node()->name, detail::excluded(columns.node()->name)),
     ...);
    return *this;
  }
  /// Runs it: the generated key of the (last) row, 0 when a conflict was ignored.
  ring::Task<std::int64_t> aio_execute() const {
    AioDatabase& db = M::tern_database();
    ast::Query q = build(db.dialect());
    co_return co_await detail::run_insert(db, std::move(q), M::tern_meta());
  }

 private:
  ast::Query build(Dialect dialect) const {
    ast::Query q = detail::insert_objects(M::tern_meta(),
                                          reinterpret_cast<const void* const*>(objects_.data()),
                                          objects_.size(), dialect);
    q.on_conflict = conflict_;
    return q;
  }
  std::vector<const M*> objects_;
  std::optional<ast::OnConflict> conflict_;
};

/// INSERT INTO M's table (columns) SELECT ...
template <class M>
class InsertFrom {
 public:
  /// Inserts the rows of `source` into `columns` (in the select's column order).
  template <class Source, class... V>
  InsertFrom(const Source& source, const Expr<V>&... columns) {
    q_.kind = ast::Query::Kind::kInsert;
    q_.table = M::tern_meta().table;
    q_.source = std::make_shared<const ast::Query>(source.ast());
    (q_.insert_columns.push_back(columns.node()->name), ...);
  }
  /// Runs it: rows inserted.
  ring::Task<std::uint64_t> aio_execute() const {
    co_return co_await detail::run_count(M::tern_database(), q_);
  }

 private:
  ast::Query q_;
};

/// UPDATE of model M's table.
template <class M>
class Update {
 public:
  Update() {
    q_.kind = ast::Query::Kind::kUpdate;
    q_.table = M::tern_meta().table;
  }
  /// SET column = value.
  template <class V, detail::ValueFor<V> U>
  Update& set(const Expr<V>& column, const U& value) {
    q_.assignments.emplace_back(column.node()->name, detail::to_param<V>(value));
    return *this;
  }
  /// SET column = expression.
  template <class V, class W>
  requires Comparable<V, W> Update& set(const Expr<V>& column, const Expr<W>& value) {
    q_.assignments.emplace_back(column.node()->name, value.node());
    return *this;
  }
  /// WHERE (several calls AND together).
  Update& where(const Expr<bool>& condition) {
    q_.where = detail::and_(std::move(q_.where), condition.node());
    return *this;
  }
  /// Runs it: rows updated.
  ring::Task<std::uint64_t> aio_execute() const {
    co_return co_await detail::run_count(M::tern_database(), q_);
  }

 private:
  ast::Query q_;
};

/// DELETE from model M's table.
template <class M>
class Delete {
 public:
  Delete() {
    q_.kind = ast::Query::Kind::kDelete;
    q_.table = M::tern_meta().table;
  }
  /// WHERE (several calls AND together).
  Delete& where(const Expr<bool>& condition) {
    q_.where = detail::and_(std::move(q_.where), condition.node());
    return *this;
  }
  /// Runs it: rows deleted.
  ring::Task<std::uint64_t> aio_execute() const {
    co_return co_await detail::run_count(M::tern_database(), q_);
  }

 private:
  ast::Query q_;
};

}  // namespace tern::orm
