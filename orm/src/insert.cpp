// Model INSERTs without an AST: Model::aio_create, insert(), insert_many() and bulk_create send
// `INSERT INTO table (columns) VALUES (...), ... [RETURNING key]`, whose text depends only on
// the model, the columns set (an auto key left unset is left to the database), the number of
// rows and the dialect. That text is compiled once per thread and shape (from the AST, so that
// it is exactly the compiler's), and each later insert only gathers its objects' values: no
// node per value, no shape signature, no Query to build and destroy.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "tern/orm/compiler.hpp"
#include "tern/orm/query.hpp"
#include "tern/protocol/exceptions.hpp"
#include "thread_cache.hpp"

namespace tern::orm::detail {

namespace {

// Each thread keeps at most this many insert shapes (a program inserting batches of ever new
// sizes starts again from an empty cache).
constexpr std::size_t kMaxShapes = 256;

// What the text of a model insert depends on. `omitted` has bit i set for field i, an auto key
// left to the database (models of at most 64 fields; wider ones are compiled every time).
struct ShapeKey {
  const ModelMeta* meta = nullptr;
  std::uint64_t omitted = 0;
  std::size_t rows = 0;
  Dialect dialect = Dialect::kPostgres;
  bool rowcount = false;

  friend bool operator==(const ShapeKey&, const ShapeKey&) = default;
  template <class H>
  friend H AbslHashValue(H h, const ShapeKey& k) {
    return H::combine(std::move(h), k.meta, k.omitted, k.rows, static_cast<int>(k.dialect),
                      k.rowcount);
  }
};

struct Shape {
  std::string sql;
  /// The fields whose values are sent, in column order.
  absl::InlinedVector<const FieldMeta*, 16> fields;
  /// The model's fields an insert may leave out (auto keys), by index.
  absl::InlinedVector<std::uint8_t, 2> auto_fields;
  /// Some field sent has a generated default (made for the objects that leave it unset).
  bool defaults = false;
};

struct Cache {
  absl::flat_hash_map<ShapeKey, std::shared_ptr<const Shape>> shapes;
  // The last shape found: a program inserting one model over and over skips the hash.
  ShapeKey last_key;
  std::shared_ptr<const Shape> last;
  // The last shape of a model of more than 64 fields (never cached).
  std::shared_ptr<const Shape> wide;
};

inline Cache& thread_cache() {
  return detail::ThreadCache<Cache>::get();
}

[[noreturn]] void throw_unknown_rows() {
  throw NotSupportedError(
      "MySQL does not tell which keys a multi-row INSERT with ignored or updated conflicts "
      "used: call as_rowcount() or insert the rows one by one");
}

[[noreturn]] void throw_unknown_update() {
  throw NotSupportedError(
      "MySQL does not tell which rows of a multi-row INSERT ... ON DUPLICATE KEY UPDATE were "
      "inserted: insert the rows one by one");
}

bool updates(const ast::OnConflict* conflict) {
  return conflict != nullptr && conflict->action == ast::OnConflict::Action::kUpdate;
}

// The integer key `object` was inserted with (MySQL, a key that is not auto-increment).
std::int64_t given_key(const FieldMeta& pk, const void* object) {
  return std::get<std::int64_t>(pk.get(object).storage());
}

// True when field `f` is an auto key that every object leaves unset: the database makes it.
bool generated(const FieldMeta& f, const void* const* objects, std::size_t count) {
  if (!f.auto_increment || f.unset == nullptr) return false;
  for (std::size_t i = 0; i < count; ++i) {
    if (!f.unset(objects[i])) return false;
  }
  return true;
}

// The shape's text and fields, compiled from the AST insert_objects() builds, except that
// every row holds the first object's nodes: the text only depends on where values go (a batch
// of 1,000 rows is compiled without 4,000 nodes).
std::shared_ptr<const Shape> compile_shape(const ModelMeta& meta, const void* const* objects,
                                           std::size_t count, Dialect dialect, bool rowcount) {
  auto shape = std::make_shared<Shape>();
  for (std::size_t i = 0; i < meta.fields.size() && i < 64; ++i) {
    if (meta.fields[i].auto_increment && meta.fields[i].unset != nullptr) {
      shape->auto_fields.push_back(static_cast<std::uint8_t>(i));
    }
  }
  ast::Query q;
  q.kind = ast::Query::Kind::kInsert;
  q.table = meta.table;
  ast::ExprList row;
  for (const FieldMeta& f : meta.fields) {
    if (generated(f, objects, count)) continue;
    shape->fields.push_back(&f);
    shape->defaults = shape->defaults || static_cast<bool>(f.default_factory);
    q.insert_columns.push_back(f.column.name);
    if (count > 0) row.push_back(param(f.get(objects[0])));
  }
  q.rows.assign(count, row);
  if (!rowcount && dialect != Dialect::kMysql) {  // RETURNING (PG, SQLite 3.35+)
    for (const std::size_t k : meta.key)
      q.returning.push_back(column_of(meta, meta.fields[k]));
  }
  shape->sql = compile(q, dialect).sql;
  return shape;
}

// The shape of this insert: the thread's last one when the model, row count, dialect and
// RETURNING match and the same auto keys are left out (checked over the model's auto fields
// only), else from the cache, else compiled. The reference is good until the next call.
const std::shared_ptr<const Shape>& find_shape(const ModelMeta& meta, const void* const* objects,
                                               std::size_t count, Dialect dialect, bool rowcount) {
  Cache& c = thread_cache();
  if (c.last != nullptr && c.last_key.meta == &meta && c.last_key.rows == count &&
      c.last_key.dialect == dialect && c.last_key.rowcount == rowcount) {
    std::uint64_t omitted = 0;
    for (const std::uint8_t i : c.last->auto_fields) {
      if (generated(meta.fields[i], objects, count)) omitted |= std::uint64_t{1} << i;
    }
    if (omitted == c.last_key.omitted) return c.last;
  }
  if (meta.fields.size() > 64) {
    c.wide = compile_shape(meta, objects, count, dialect, rowcount);
    return c.wide;
  }
  ShapeKey key{.meta = &meta, .rows = count, .dialect = dialect, .rowcount = rowcount};
  for (std::size_t i = 0; i < meta.fields.size(); ++i) {
    if (generated(meta.fields[i], objects, count)) key.omitted |= std::uint64_t{1} << i;
  }
  if (const auto it = c.shapes.find(key); it != c.shapes.end()) {
    c.last_key = key;
    c.last = it->second;
    return c.last;
  }
  std::shared_ptr<const Shape> shape = compile_shape(meta, objects, count, dialect, rowcount);
  if (c.shapes.size() >= kMaxShapes) c.shapes.clear();  // statements in flight keep theirs
  c.shapes.emplace(key, shape);
  c.last_key = key;
  c.last = std::move(shape);
  return c.last;
}

// A field's value, made in place where it is stored (the conversion's result initialises the
// element directly: no Value temporary to move from and destroy).
struct FieldValue {
  const FieldMeta* field;
  const void* object;
  operator Value() const { return field->get(object); }  // NOLINT(google-explicit-constructor)
};

}  // namespace

InsertStatement prepare_insert(const ModelMeta& meta, const void* const* objects, std::size_t count,
                               Dialect dialect, bool rowcount) {
  const std::shared_ptr<const Shape>& shape = find_shape(meta, objects, count, dialect, rowcount);
  InsertStatement s;
  s.params.reserve(count * shape->fields.size());
  const FieldMeta* const* const fields = shape->fields.data();
  const std::size_t width = shape->fields.size();
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t f = 0; f < width; ++f) {
      if (shape->defaults) {
        s.params.emplace_back(insert_value(*fields[f], objects[i]));
      } else {
        s.params.emplace_back(FieldValue{fields[f], objects[i]});
      }
    }
  }
  s.sql = std::shared_ptr<const std::string>(shape, &shape->sql);
  return s;
}

void check_key_types(const ModelMeta& meta, std::span<const std::type_info* const> types,
                     std::string_view what) {
  bool same = types.size() == meta.key.size();
  for (std::size_t i = 0; same && i < types.size(); ++i)
    same = *types[i] == *meta.fields[meta.key[i]].value_type;
  if (same) return;
  if (meta.key.empty()) throw InterfaceError("model " + meta.name + " has no primary key");
  std::string columns;
  for (const std::size_t k : meta.key)
    columns += (columns.empty() ? "" : ", ") + meta.fields[k].member;
  throw InterfaceError(std::string(what) + ": the key of " + meta.name + " is (" + columns +
                       "); name the value type of each of those members, in that order");
}

Value insert_value(const FieldMeta& field, const void* object) {
  if (field.default_factory && field.unset(object)) return field.default_factory();
  return field.get(object);
}

void fill_defaults(const ModelMeta& meta, void* object) {
  for (const std::size_t i : meta.generated_defaults) {
    const FieldMeta& f = meta.fields[i];
    if (f.unset(object)) f.assign(object, f.default_factory());
  }
}

std::optional<std::int64_t> generated_key(const ModelMeta& meta, Dialect dialect,
                                          const ResultSet& result, const void* object) {
  if (meta.primary_key == ModelMeta::kNoPrimaryKey) return std::nullopt;
  const FieldMeta& pk = meta.fields[meta.primary_key];
  if (pk.set_id == nullptr) return std::nullopt;
  if (dialect != Dialect::kMysql) {
    // RETURNING gives the key; an ignored conflict gives no row.
    if (result.empty()) return std::nullopt;
    return result.row(0).get<std::optional<std::int64_t>>(0);
  }
  const std::uint64_t inserted = result.rows_affected();
  if (inserted == 0) return std::nullopt;  // a conflict ignored
  if (pk.auto_increment) return static_cast<std::int64_t>(result.last_insert_id());
  return given_key(pk, object);  // a plain insert: its row was inserted
}

void set_created_key(const ModelMeta& meta, void* object, Dialect dialect,
                     const ResultSet& result) {
  if (meta.primary_key == ModelMeta::kNoPrimaryKey) return;
  const FieldMeta& pk = meta.fields[meta.primary_key];
  if (pk.unset == nullptr || pk.set_id == nullptr || !pk.unset(object)) return;
  // generated_key(), its checks made.
  if (dialect != Dialect::kMysql) {
    if (result.empty()) return;  // a conflict ignored: no row
    if (const auto id = result.row(0).get<std::optional<std::int64_t>>(0)) pk.set_id(object, *id);
  } else if (pk.auto_increment && result.rows_affected() != 0) {
    pk.set_id(object, static_cast<std::int64_t>(result.last_insert_id()));
  }
}

ring::Task<Keys> insert_rows(AioDatabase& db, const ModelMeta& meta, const void* const* objects,
                             std::size_t count, bool rowcount) {
  const Dialect dialect = db.dialect();
  const InsertStatement s = prepare_insert(meta, objects, count, dialect, rowcount);
  const ResultSet r = co_await db.aio_execute_view(*s.sql, s.params);
  Keys keys;
  if (rowcount) {
    keys.push_back(static_cast<std::int64_t>(r.rows_affected()));
    co_return keys;
  }
  if (read_keys(meta, dialect, r, count, keys, nullptr, objects)) co_return keys;
  const ResultSet step =
      co_await db.aio_execute("SELECT CAST(@@auto_increment_increment AS SIGNED)");
  const std::int64_t increment = step.row(0).get<std::int64_t>(0);
  const auto first = static_cast<std::int64_t>(r.last_insert_id());
  keys.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    keys.push_back(first + static_cast<std::int64_t>(i) * increment);
  co_return keys;
}

bool read_keys(const ModelMeta& meta, Dialect dialect, const ResultSet& r, std::size_t rows,
               Keys& keys, const ast::OnConflict* conflict, const void* const* objects) {
  // Keys are integers here (a UUID or text key is the caller's own value anyway).
  if (meta.primary_key == ModelMeta::kNoPrimaryKey || meta.pk().set_id == nullptr) return true;
  if (dialect != Dialect::kMysql) {
    // RETURNING gives every inserted row's key, in order; ignored conflicts give none.
    keys.reserve(r.size());
    for (const Row row : r) {
      if (const auto key = row.get<std::optional<std::int64_t>>(0)) keys.push_back(*key);
    }
    return true;
  }
  const std::uint64_t inserted = r.rows_affected();
  if (inserted == 0) return true;  // every row's conflict ignored
  if (!meta.pk().auto_increment) {
    // The keys the rows were inserted with, when it is known that they all were.
    if (rows == 1) {
      // 2 (or 0, unchanged): ON DUPLICATE KEY UPDATE updated a row instead of inserting.
      if (inserted == 1) keys.push_back(given_key(meta.pk(), objects[0]));
      return true;
    }
    if (inserted != rows || conflict != nullptr) throw_unknown_rows();
    keys.reserve(rows);
    for (std::size_t i = 0; i < rows; ++i)
      keys.push_back(given_key(meta.pk(), objects[i]));
    return true;
  }
  if (rows == 1) {
    keys.push_back(static_cast<std::int64_t>(r.last_insert_id()));
    return true;
  }
  // An ON DUPLICATE KEY UPDATE counts 2 per updated row: only a plain all-rows insert maps.
  if (inserted != rows || conflict != nullptr) throw_unknown_rows();
  return false;  // LAST_INSERT_ID() onwards by @@auto_increment_increment
}

ring::Task<std::vector<KeyValues>> insert_keys(AioDatabase& db, const ModelMeta& meta,
                                               const void* const* objects, std::size_t count,
                                               std::optional<ast::OnConflict> conflict) {
  if (meta.key.empty()) {
    throw InterfaceError("model " + meta.name + " has no primary key: no key to return");
  }
  const Dialect dialect = db.dialect();
  const bool mysql = dialect == Dialect::kMysql;
  // Several rows' affected counts add up: 2 + 0 (one updated, one unchanged) looks like two
  // inserted.
  if (mysql && count > 1 && updates(conflict ? &*conflict : nullptr)) throw_unknown_update();
  // The fields sent, in order: the same for the cached statement and the AST.
  absl::InlinedVector<std::size_t, 16> position(meta.fields.size(), kNoColumn);
  std::size_t width = 0;
  bool any_generated = false;
  for (std::size_t f = 0; f < meta.fields.size(); ++f) {
    if (generated(meta.fields[f], objects, count)) {
      any_generated = true;
      continue;
    }
    position[f] = width++;
  }
  // The plain insert runs as its cached text; with a conflict clause, from the AST.
  InsertStatement plain;
  ast::Query q;
  ResultSet r;
  if (!conflict) {
    plain = prepare_insert(meta, objects, count, dialect, false);
    r = co_await db.aio_execute_view(*plain.sql, plain.params);
  } else {
    q = insert_objects(meta, objects, count, dialect);
    q.on_conflict = std::move(conflict);
    r = co_await run(db, q);
  }
  std::int64_t increment = 1;
  if (mysql && any_generated && count > 1 && r.rows_affected() == count) {
    const ResultSet step =
        co_await db.aio_execute("SELECT CAST(@@auto_increment_increment AS SIGNED)");
    increment = step.row(0).get<std::int64_t>(0);
  }
  std::vector<KeyValues> keys;
  if (!mysql) {
    // RETURNING the key columns: a row per row inserted (or updated on a conflict).
    keys.reserve(r.size());
    for (const Row row : r) {
      KeyValues& key = keys.emplace_back();
      for (std::size_t j = 0; j < meta.key.size(); ++j)
        key.push_back(meta.fields[meta.key[j]].read(row, j));
    }
    co_return keys;
  }
  if (r.rows_affected() == 0) co_return keys;  // every conflict ignored
  // One row: 2 when ON DUPLICATE KEY UPDATE updated a row instead (nothing inserted).
  if (count == 1 && r.rows_affected() != 1) co_return keys;
  if (r.rows_affected() != count) throw_unknown_rows();
  keys.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    KeyValues& key = keys.emplace_back();
    for (const std::size_t k : meta.key) {
      // The value sent (from the cached statement's parameters or the AST's), or a key the
      // database generated: LAST_INSERT_ID() onwards by the increment.
      const std::size_t at = position[k];
      if (at == kNoColumn) {
        key.emplace_back(static_cast<std::int64_t>(r.last_insert_id()) +
                         static_cast<std::int64_t>(i) * increment);
      } else if (q.rows.empty()) {
        key.push_back(plain.params[i * width + at]);
      } else {
        key.push_back(q.rows[i][at]->value);
      }
    }
  }
  co_return keys;
}

}  // namespace tern::orm::detail
