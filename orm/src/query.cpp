// The non-template halves of the query builders and table management: building the ASTs that
// depend only on a ModelMeta, compiling, running, and reading back generated keys.
#include "tern/orm/query.hpp"

#include <algorithm>
#include <functional>

#include "absl/container/inlined_vector.h"
#include "tern/orm/compiler.hpp"
#include "tern/orm/model.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm::detail {

ast::ExprPtr column_ref(std::string table, std::string name) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kColumn;
  e.table = std::move(table);
  e.name = std::move(name);
  return node(std::move(e));
}

ast::ExprPtr column_of(const ModelMeta& meta, const FieldMeta& field) {
  // A field of `meta` has its node built once; std::less orders unrelated pointers too.
  const std::less<const FieldMeta*> before;
  const FieldMeta* first = meta.fields.data();
  if (!before(&field, first) && before(&field, first + meta.select_all.columns.size())) {
    return meta.select_all.columns[static_cast<std::size_t>(&field - first)];
  }
  return column_ref(meta.table, field.column.name);
}

ast::ExprPtr excluded(const std::string& column) {
  return column_ref("EXCLUDED", column);
}

ast::ExprPtr foreign_key_condition(const ModelMeta& a, const ModelMeta& b) {
  ast::ExprPtr found;
  int matches = 0;
  const auto scan = [&](const ModelMeta& from, const ModelMeta& to) {
    for (const FieldMeta& f : from.fields) {
      if (f.column.references_table != to.table) continue;
      const FieldMeta* key = to.field(f.column.references_column);
      if (key == nullptr) continue;
      found = binary("=", column_of(from, f), column_of(to, *key));
      ++matches;
    }
  };
  scan(a, b);
  if (&a != &b) scan(b, a);
  if (matches != 1) {
    throw InterfaceError("cannot join " + a.name + " and " + b.name + " implicitly: " +
                         std::to_string(matches) + " foreign keys link them (give the ON)");
  }
  return found;
}

ForeignKey single_foreign_key(const ModelMeta& from, const ModelMeta& to, std::string_view use) {
  const FieldMeta* fk = nullptr;
  int matches = 0;
  for (const FieldMeta& f : from.fields) {
    if (f.column.references_table != to.table) continue;
    fk = &f;
    ++matches;
  }
  const FieldMeta* key = fk != nullptr ? to.field(fk->column.references_column) : nullptr;
  if (matches != 1 || key == nullptr) {
    throw InterfaceError(std::string(use) + ": no single foreign key from " + from.name + " to " +
                         to.name + " (" + std::to_string(matches) + " found)");
  }
  return {fk, key};
}

ast::ExprPtr backref_condition(const ModelMeta& child, const ModelMeta& parent,
                               const void* parent_object) {
  const ForeignKey link =
      single_foreign_key(child, parent, "backref (filter with where() instead)");
  return binary("=", column_of(child, *link.fk), param(link.key->get(parent_object)));
}

void append_columns(ast::Query& query, const ModelMeta& meta) {
  for (const FieldMeta& f : meta.fields)
    query.columns.push_back(column_of(meta, f));
}

ast::ExprPtr and_(ast::ExprPtr current, ast::ExprPtr more) {
  return current ? binary("AND", std::move(current), std::move(more)) : std::move(more);
}

ast::Query insert_objects(const ModelMeta& meta, const void* const* objects, std::size_t count,
                          Dialect dialect) {
  ast::Query q;
  q.kind = ast::Query::Kind::kInsert;
  q.table = meta.table;
  // An auto key still unset on every object is left to the database.
  absl::InlinedVector<const FieldMeta*, 16> fields;
  q.insert_columns.reserve(meta.fields.size());
  for (const FieldMeta& f : meta.fields) {
    bool generated = f.auto_increment && f.unset != nullptr;
    for (std::size_t i = 0; generated && i < count; ++i)
      generated = f.unset(objects[i]);
    if (!generated) {
      fields.push_back(&f);
      q.insert_columns.push_back(f.column.name);
    }
  }
  q.rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    ast::ExprList& row = q.rows.emplace_back();
    row.reserve(fields.size());
    for (const FieldMeta* f : fields)
      row.push_back(param(insert_value(*f, objects[i])));
  }
  if (dialect != Dialect::kMysql) {  // RETURNING (PG, SQLite 3.35+)
    for (const std::size_t k : meta.key)
      q.returning.push_back(column_of(meta, meta.fields[k]));
  }
  return q;
}

namespace {

bool reads_only(const ast::Expr* e) noexcept;

bool reads_only_all(const ast::ExprList& exprs) noexcept {
  for (const ast::ExprPtr& e : exprs) {
    if (!reads_only(e.get())) return false;
  }
  return true;
}

// Expressions only read unless a subquery in them locks rows.
bool reads_only(const ast::Expr* e) noexcept {
  if (e == nullptr) return true;
  if (e->query && !is_read_only(*e->query)) return false;
  return reads_only_all(e->args) && reads_only_all(e->partition) && reads_only_all(e->order);
}

bool reads_only(const ast::TableRef& t) noexcept {
  return !t.subquery || is_read_only(*t.subquery);
}

}  // namespace

bool is_read_only(const ast::Query& q) noexcept {
  if (q.kind != ast::Query::Kind::kSelect && q.kind != ast::Query::Kind::kCompound) return false;
  if (q.lock) return false;
  for (const ast::Cte& cte : q.with) {
    if (cte.query && !is_read_only(*cte.query)) return false;
  }
  if (q.kind == ast::Query::Kind::kCompound) {
    return (!q.lhs || is_read_only(*q.lhs)) && (!q.rhs || is_read_only(*q.rhs));
  }
  if (q.from && !reads_only(*q.from)) return false;
  for (const ast::Join& j : q.joins) {
    if (!reads_only(j.table) || !reads_only(j.on.get())) return false;
  }
  return reads_only_all(q.columns) && reads_only(q.where.get()) && reads_only_all(q.group_by) &&
         reads_only(q.having.get()) && reads_only_all(q.order_by);
}

ring::Task<ResultSet> run(AioDatabase& db, const ast::Query& query) {
  const CachedStatement c = compile_cached(query, db.dialect());
  QueryOptions options;
  options.read_only = c.read_only;
  co_return co_await db.aio_execute_view(*c.sql, c.params, options);
}

std::string does_not_exist_message(const ModelMeta& meta, const AioDatabase& db,
                                   std::string_view sql, std::span<const Value> params) {
  return meta.name + " instance matching query does not exist:\n" +
         db.describe_statement(sql, params);
}

std::string does_not_exist_message(const ModelMeta& meta, const AioDatabase& db, ast::Query query) {
  query.limit = 1;  // as aio_first() ran it
  const CachedStatement c = compile_cached(query, db.dialect());
  return does_not_exist_message(meta, db, *c.sql, c.params);
}

ring::Task<RowStream> stream(AioDatabase& db, const ast::Query& query, std::uint32_t batch_rows) {
  const CachedStatement c = compile_cached(query, db.dialect());
  QueryOptions options;
  options.read_only = c.read_only;
  co_return co_await db.aio_stream(*c.sql, Params(c.params.begin(), c.params.end()), batch_rows,
                                   options);
}

ring::Task<Keys> run_insert(AioDatabase& db, ast::Query query, const ModelMeta& meta,
                            const void* const* objects, std::size_t rows, bool rowcount) {
  if (rowcount) query.returning.clear();
  const ResultSet r = co_await run(db, query);
  Keys keys;
  if (rowcount) {
    keys.push_back(static_cast<std::int64_t>(r.rows_affected()));
    co_return keys;
  }
  const ast::OnConflict* conflict = query.on_conflict ? &*query.on_conflict : nullptr;
  if (read_keys(meta, db.dialect(), r, rows, keys, conflict, objects)) {
    co_return keys;
  }
  const ResultSet step =
      co_await db.aio_execute("SELECT CAST(@@auto_increment_increment AS SIGNED)");
  const std::int64_t increment = step.row(0).get<std::int64_t>(0);
  const auto first = static_cast<std::int64_t>(r.last_insert_id());
  keys.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i)
    keys.push_back(first + static_cast<std::int64_t>(i) * increment);
  co_return keys;
}

ring::Task<std::int64_t> count_rows(AioDatabase& db, const ast::Query& query, bool clear_limit) {
  ast::Query inner = query;
  inner.order_by.clear();  // order does not change a count
  if (clear_limit) {
    inner.limit.reset();
    inner.offset.reset();
  }
  ast::Query outer;
  outer.kind = ast::Query::Kind::kSelect;
  outer.columns = {node(fn::detail_function("COUNT", {}))};
  outer.from = ast::TableRef{.name = "",
                             .alias = "_wrapped",
                             .subquery = std::make_shared<const ast::Query>(std::move(inner))};
  const ResultSet r = co_await run(db, outer);
  co_return r.row(0).get<std::int64_t>(0);
}

std::vector<Dict> dicts(const ResultSet& rows, std::span<const ColumnReader> readers) {
  std::vector<Dict> out;
  if (rows.empty()) return out;
  const std::vector<std::string> names = rows.column_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i >= readers.size() || readers[i] == nullptr) {
      throw InterfaceError("aio_dicts: no type known for column \"" + names[i] +
                           "\": read it with aio_tuples<...>() or aio_rows()");
    }
  }
  out.reserve(rows.size());
  for (const Row row : rows) {
    Dict& d = out.emplace_back();
    for (std::size_t i = 0; i < names.size(); ++i)
      d.emplace(names[i], readers[i](row, i));
  }
  return out;
}

std::vector<std::size_t> fields_by_name(const ModelMeta& meta, const ResultSet& rows) {
  const std::vector<std::string> names = rows.column_names();
  std::vector<std::size_t> map(meta.fields.size(), kNoColumn);
  for (std::size_t f = 0; f < meta.fields.size(); ++f) {
    const auto it = std::find(names.begin(), names.end(), meta.fields[f].column.name);
    if (it != names.end()) map[f] = static_cast<std::size_t>(it - names.begin());
  }
  return map;
}

ring::Task<std::uint64_t> run_count(AioDatabase& db, const ast::Query& query) {
  co_return (co_await run(db, query)).rows_affected();
}

ast::ExprPtr fields_condition(const ModelMeta& meta, const void* object,
                              const std::vector<std::size_t>& fields) {
  ast::ExprPtr condition;
  for (std::size_t i : fields) {
    const FieldMeta& f = meta.fields.at(i);
    condition = and_(std::move(condition), binary("=", column_of(meta, f), param(f.get(object))));
  }
  return condition;
}

namespace {

// key1 = $1 AND key2 = $2 ... over the primary key's fields.
ast::ExprPtr pk_condition(const ModelMeta& meta, const void* object) {
  if (meta.key.empty()) throw InterfaceError("model " + meta.name + " has no primary key");
  return fields_condition(meta, object, meta.key);
}

}  // namespace

ring::Task<std::uint64_t> update_by_pk(AioDatabase& db, const ModelMeta& meta, const void* object,
                                       std::vector<std::size_t> only) {
  const auto is_key = [&](std::size_t i) {
    return std::find(meta.key.begin(), meta.key.end(), i) != meta.key.end();
  };
  ast::Query q;
  q.kind = ast::Query::Kind::kUpdate;
  q.table = meta.table;
  for (std::size_t i = 0; i < meta.fields.size(); ++i) {
    if (is_key(i)) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), i) == only.end()) continue;
    q.assignments.emplace_back(meta.fields[i].column.name, param(meta.fields[i].get(object)));
  }
  if (q.assignments.empty()) co_return 0;  // only key fields listed: nothing to write
  q.where = pk_condition(meta, object);
  co_return co_await run_count(db, q);
}

namespace {

// A set of rows that reference the instance being deleted, directly or through other rows:
// `fk` of `model` matches `condition`.
struct Dependent {
  const ModelMeta* model;
  const FieldMeta* fk;
  ast::ExprPtr condition;
};

// peewee's Model.dependencies(): breadth-first over the registered models' foreign keys, from
// the instance outwards. Rows one step away match the instance's key value; rows further away
// match `fk IN (SELECT referenced column FROM parent WHERE parent's condition)`. Nullable
// references are followed further only when they will be deleted rather than set to NULL.
std::vector<Dependent> dependents(const ModelMeta& root, const void* object, bool delete_nullable) {
  const std::vector<const ModelMeta*> models = registered_models();
  std::vector<Dependent> out;
  std::vector<std::pair<const ModelMeta*, ast::ExprPtr>> stack = {{&root, nullptr}};
  std::vector<const ModelMeta*> seen;
  while (!stack.empty()) {
    const auto [parent, parent_condition] = stack.back();
    stack.pop_back();
    if (std::find(seen.begin(), seen.end(), parent) != seen.end()) continue;
    seen.push_back(parent);
    for (const ModelMeta* child : models) {
      for (const FieldMeta& fk : child->fields) {
        if (fk.column.references_table != parent->table) continue;
        const FieldMeta* target = parent->field(fk.column.references_column);
        if (target == nullptr) continue;
        ast::ExprPtr condition;
        if (parent == &root || !parent_condition) {
          condition = binary("=", column_of(*child, fk), param(target->get(object)));
        } else {
          ast::Query keys;
          keys.kind = ast::Query::Kind::kSelect;
          keys.columns = {column_of(*parent, *target)};
          keys.from = ast::TableRef{.name = parent->table};
          keys.where = parent_condition;
          condition = binary("IN", column_of(*child, fk), subquery(keys));
        }
        if (!fk.column.null || delete_nullable) stack.emplace_back(child, condition);
        out.push_back({child, &fk, std::move(condition)});
      }
    }
  }
  return out;
}

ring::Task<std::uint64_t> delete_with_dependents(AioDatabase& db, const ModelMeta& meta,
                                                 const void* object, bool delete_nullable) {
  const std::vector<Dependent> deps = dependents(meta, object, delete_nullable);
  // Deepest first, so that no row is deleted while others still reference it.
  for (auto it = deps.rbegin(); it != deps.rend(); ++it) {
    ast::Query q;
    q.table = it->model->table;
    q.where = it->condition;
    if (it->fk->column.null && !delete_nullable) {
      q.kind = ast::Query::Kind::kUpdate;
      q.assignments.emplace_back(it->fk->column.name, param(Value()));
    } else {
      q.kind = ast::Query::Kind::kDelete;
    }
    co_await run_count(db, q);
  }
  ast::Query q;
  q.kind = ast::Query::Kind::kDelete;
  q.table = meta.table;
  q.where = pk_condition(meta, object);
  co_return co_await run_count(db, q);
}

}  // namespace

ring::Task<std::uint64_t> delete_by_pk(AioDatabase& db, const ModelMeta& meta, const void* object,
                                       bool recursive, bool delete_nullable) {
  if (recursive) {
    // All or nothing: a failure half-way leaves every row as it was.
    co_return co_await db.aio_atomic([&]() -> ring::Task<std::uint64_t> {
      co_return co_await delete_with_dependents(db, meta, object, delete_nullable);
    });
  }
  ast::Query q;
  q.kind = ast::Query::Kind::kDelete;
  q.table = meta.table;
  q.where = pk_condition(meta, object);
  co_return co_await run_count(db, q);
}

ring::Task<void> create_table(AioDatabase& db, const ModelMeta& meta, bool safe) {
  for (const std::string& sql : compile_create_table(meta.table_def(), db.dialect(), safe)) {
    co_await db.aio_execute(sql);
  }
}

ring::Task<void> drop_table(AioDatabase& db, const ModelMeta& meta, bool safe, bool cascade) {
  co_await db.aio_execute(compile_drop_table(meta.table, db.dialect(), safe, cascade));
}

}  // namespace tern::orm::detail
