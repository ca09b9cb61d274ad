// Query builders over a model: SELECT, INSERT, UPDATE, DELETE. Each builds the AST (typed on
// the way in), compiles it for the model's database and runs it through AioDatabase.
//
//   std::vector<Item> cheap = co_await Item::select()
//       .where(Item::c.price < 10 && Item::c.name.startswith("a"))
//       .order_by(Item::c.price.desc()).limit(20).aio_execute();
//   co_await Item::update().set(Item::c.price, 12).where(Item::c.id == 3).aio_execute();
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "tern/db/database.hpp"
#include "tern/orm/ast.hpp"
#include "tern/orm/compiler.hpp"
#include "tern/orm/expr.hpp"
#include "tern/orm/meta.hpp"
#include "tern/protocol/row_iterator.hpp"
#include "tern/ring/task.hpp"

namespace tern::orm {

/// Join types.
using JoinType = ast::Join::Type;

}  // namespace tern::orm

namespace tern {
/// No row matched a get(). Each model has its own subclass, `Model::DoesNotExist`. what()
/// names the model and shows the statement and its parameters (redacted unless the query hook
/// was installed with them: AioDatabase::describe_statement).
class DoesNotExist : public Error {
 public:
  using Error::Error;
};
/// `Model::DoesNotExist`.
template <class M>
class DoesNotExistFor : public DoesNotExist {
 public:
  using DoesNotExist::DoesNotExist;
};

/// A column of model M set to a value, as `PageBlock::c.key = "title"` builds it (Column's
/// operator=): the keyword arguments of aio_create, aio_get_or_create, insert and update
/// (peewee's `create(key="title")`). It holds a copy of the value, so nothing refers to the
/// temporaries it was made from.
template <class M, class T>
struct Assignment {
  std::size_t field;  ///< the index of the field in M's fields
  T value;            ///< the member's value (T is the member's type)
  /// Sets the member in `object`.
  void apply(M& object) const {
    *static_cast<T*>(M::tern_meta().fields[field].address(&object)) = value;
  }
};

/// aio_get_or_create's `defaults` (peewee's `defaults={...}`): the fields set only when the row
/// is created, `tern::defaults(PageBlock::c.text = "...")`.
template <class M, class... T>
struct Defaults {
  std::tuple<Assignment<M, T>...> fields;  ///< the assignments
};

/// Defaults of the given assignments.
template <class M, class... T>
Defaults<M, T...> defaults(Assignment<M, T>... fields) {
  return Defaults<M, T...>{{std::move(fields)...}};
}
}  // namespace tern

namespace tern::orm {

namespace detail {
/// True when `query` only reads: a SELECT (or UNION...) with no locking clause (FOR UPDATE /
/// SHARE) and no INSERT/UPDATE/DELETE in a WITH, anywhere in it (subqueries, joins, CTEs,
/// compound parts). run() and stream() declare such queries read only (QueryOptions), which a
/// database with read replicas runs on a replica. Functions with side effects called from a
/// SELECT are not seen: run those in a scope or through the raw API.
bool is_read_only(const ast::Query& query) noexcept;
/// Compiles `query` for `db` and runs it.
ring::Task<ResultSet> run(AioDatabase& db, const ast::Query& query);
/// Compiles `query` for `db` and opens it as a row stream.
ring::Task<RowStream> stream(AioDatabase& db, const ast::Query& query, std::uint32_t batch_rows);
/// compile_cached() of `SELECT <every field of the model> WHERE condition LIMIT 1`
/// (Model::aio_get), whose shape is found without building the query. `meta` must live as
/// long as the program, as TERN_MODEL's descriptions do.
struct GetStatement;
GetStatement compile_get(const ModelMeta& meta, const ast::ExprPtr& condition, Dialect dialect);
/// DoesNotExist's message, as peewee words it: "<Model> instance matching query does not
/// exist:\nSQL: ...\nParams: [...]" (the values redacted as db.describe_statement() does).
std::string does_not_exist_message(const ModelMeta& meta, const AioDatabase& db,
                                   std::string_view sql, std::span<const Value> params);
/// The same for `query` (compiled with LIMIT 1, as aio_get() ran it).
std::string does_not_exist_message(const ModelMeta& meta, const AioDatabase& db, ast::Query query);
/// "table"."column" of a field.
ast::ExprPtr column_of(const ModelMeta& meta, const FieldMeta& field);
/// `a.fk = b.pk` (or `b.fk = a.pk`) for the one foreign key linking the two models.
ast::ExprPtr foreign_key_condition(const ModelMeta& a, const ModelMeta& b);
/// Appends every field of `meta`'s model to the select list of `query`.
void append_columns(ast::Query& query, const ModelMeta& meta);
/// AND of `current` (may be null) and `more`.
ast::ExprPtr and_(ast::ExprPtr current, ast::ExprPtr more);
/// INSERT of `count` objects (RETURNING the key columns on PostgreSQL); returns the query.
ast::Query insert_objects(const ModelMeta& meta, const void* const* objects, std::size_t count,
                          Dialect dialect);
/// The value `field` of `object` is inserted with: default_factory's when the field has one and
/// the member is unset, else the member's.
Value insert_value(const FieldMeta& field, const void* object);
/// Sets each field of `object` that has a generated default and is unset (before an insert
/// that stores keys in the object: aio_create, aio_save, aio_bulk_create).
void fill_defaults(const ModelMeta& meta, void* object);
/// Runs an INSERT of `rows` objects and returns the integer keys in row order (empty when
/// none), or `{rows inserted}` when `rowcount`.
/// Generated keys, from the recycling allocator (an insert of one row allocates nothing).
using Keys = std::vector<std::int64_t, ring::RecyclingAllocator<std::int64_t>>;
ring::Task<Keys> run_insert(AioDatabase& db, ast::Query query, const ModelMeta& meta,
                            const void* const* objects, std::size_t rows, bool rowcount);
/// One inserted row's key: a value per key field, in the key's order.
using KeyValues = std::vector<Value>;
/// Runs the INSERT of `count` objects (with `conflict`, when given) and returns the key of each
/// row it inserted (PostgreSQL: or updated on a conflict), in order, whatever the key's type:
/// PostgreSQL RETURNING the key columns; MySQL the values sent (generated defaults included)
/// and LAST_INSERT_ID() for an auto key; a row ON DUPLICATE KEY UPDATE updated has none there.
/// MySQL refuses (NotSupportedError) what it cannot tell: a multi-row ON DUPLICATE KEY UPDATE,
/// and a multi-row insert with rows ignored.
ring::Task<std::vector<KeyValues>> insert_keys(AioDatabase& db, const ModelMeta& meta,
                                               const void* const* objects, std::size_t count,
                                               std::optional<ast::OnConflict> conflict);
/// A model INSERT ready to send, made without its AST: the text of its shape (the model, the
/// columns it sets, the number of rows, the dialect; compiled once per thread, and kept alive
/// by this object while the insert runs) and its objects' values.
/// Parameters of a statement the ORM sends, the first kInline held in the object itself (a
/// one-row insert or a get by key allocates nothing for them), the others in a block from the
/// recycling allocator. A contiguous range of Value: it converts to std::span<const Value>.
class StatementParams {
 public:
  static constexpr std::size_t kInline = 8;

  StatementParams() noexcept = default;
  StatementParams(const StatementParams&) = delete;
  StatementParams& operator=(const StatementParams&) = delete;
  StatementParams(StatementParams&& other) noexcept { take(other); }
  StatementParams& operator=(StatementParams&& other) noexcept {
    if (this != &other) {
      clear();
      take(other);
    }
    return *this;
  }
  ~StatementParams() { clear(); }

  /// Room for `n` values in all (call once, before the first emplace_back).
  void reserve(std::size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  /// Appends a Value made from `args`.
  template <class... A>
  Value& emplace_back(A&&... args) {
    if (heap_.capacity() == 0 && size_ < kInline) {
      Value* v = ::new (static_cast<void*>(inline_ + size_ * sizeof(Value)))
          Value(std::forward<A>(args)...);
      ++size_;
      return *v;
    }
    if (heap_.empty()) spill();
    return heap_.emplace_back(std::forward<A>(args)...);
  }
  void push_back(const Value& v) { emplace_back(v); }
  void push_back(Value&& v) { emplace_back(std::move(v)); }

  const Value* data() const noexcept {
    return heap_.empty() ? std::launder(reinterpret_cast<const Value*>(inline_)) : heap_.data();
  }
  std::size_t size() const noexcept { return heap_.empty() ? size_ : heap_.size(); }
  bool empty() const noexcept { return size() == 0; }
  const Value* begin() const noexcept { return data(); }
  const Value* end() const noexcept { return data() + size(); }
  const Value& operator[](std::size_t i) const noexcept { return data()[i]; }

 private:
  Value* inline_values() noexcept { return std::launder(reinterpret_cast<Value*>(inline_)); }
  // Moves the inline values to the heap (the first value past kInline, or a reserve() above it).
  void spill() {
    heap_.reserve(std::max<std::size_t>(2 * kInline, heap_.capacity()));
    for (std::size_t i = 0; i < size_; ++i)
      heap_.push_back(std::move(inline_values()[i]));
    destroy_inline();
  }
  void destroy_inline() noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      inline_values()[i].~Value();
    size_ = 0;
  }
  void clear() noexcept {
    destroy_inline();
    heap_.clear();
  }
  void take(StatementParams& other) noexcept {
    for (std::size_t i = 0; i < other.size_; ++i)
      ::new (static_cast<void*>(inline_ + i * sizeof(Value)))
          Value(std::move(other.inline_values()[i]));
    size_ = other.size_;
    other.destroy_inline();
    heap_ = std::move(other.heap_);
  }

  alignas(Value) std::byte inline_[kInline * sizeof(Value)];
  std::size_t size_ = 0;  // values in inline_ (none once they are on the heap)
  BoundParams heap_;
};

/// compile_get()'s statement: compile_cached()'s, its parameters (two for a get by key: the key
/// and the LIMIT) held inline.
struct GetStatement {
  std::shared_ptr<const std::string> sql;
  StatementParams params;
  bool read_only = false;
};

struct InsertStatement {
  std::shared_ptr<const std::string> sql;
  StatementParams params;
};
/// The INSERT insert_objects() builds, for `count` objects (RETURNING the key unless
/// `rowcount`), with the same text and parameters as compiling it.
InsertStatement prepare_insert(const ModelMeta& meta, const void* const* objects, std::size_t count,
                               Dialect dialect, bool rowcount);
/// run_insert() of the plain INSERT of `count` objects (no ON CONFLICT, the default
/// RETURNING), through prepare_insert().
ring::Task<Keys> insert_rows(AioDatabase& db, const ModelMeta& meta, const void* const* objects,
                             std::size_t count, bool rowcount);
/// The integer keys of an INSERT of `rows` `objects` that `r` answered, appended to `keys`
/// (see run_insert); false when MySQL's are LAST_INSERT_ID() onwards by an increment yet to be
/// read. `conflict`: the insert's ON CONFLICT clause, if any. MySQL: a key that is not
/// auto-increment is the one each object was inserted with; a row ON DUPLICATE KEY UPDATE
/// updated instead (2 rows affected, or 0 when unchanged) inserted nothing: no key.
bool read_keys(const ModelMeta& meta, Dialect dialect, const ResultSet& r, std::size_t rows,
               Keys& keys, const ast::OnConflict* conflict, const void* const* objects);
/// The integer key of a one-row INSERT of `object` (Insert<M, false>::aio_execute()): the
/// generated one, or on MySQL the object's own when it is not auto-increment; nullopt when a
/// conflict was ignored or the key is not an integer.
std::optional<std::int64_t> generated_key(const ModelMeta& meta, Dialect dialect,
                                          const ResultSet& result, const void* object);
/// After a one-row INSERT of `object` (Model::aio_create): its auto key, when it was unset, set
/// from the generated one.
void set_created_key(const ModelMeta& meta, void* object, Dialect dialect, const ResultSet& result);
/// The value the conflicting insert brought for `column` (EXCLUDED.column / VALUES(column)).
ast::ExprPtr excluded(const std::string& column);
/// SELECT COUNT(*) FROM (query) AS _wrapped.
ring::Task<std::int64_t> count_rows(AioDatabase& db, const ast::Query& query,
                                    bool clear_limit = false);
/// A column reference `"table"."name"` (table may be a CTE or an alias).
ast::ExprPtr column_ref(std::string table, std::string name);
/// The one foreign key of `from` referencing `to`, and the field of `to` it references;
/// throws InterfaceError (its message starting with `use`) when there is none or several.
struct ForeignKey {
  const FieldMeta* fk;
  const FieldMeta* key;
};
ForeignKey single_foreign_key(const ModelMeta& from, const ModelMeta& to, std::string_view use);
/// `child.fk = <parent's key>` for the one foreign key of `child` referencing `parent`'s model;
/// throws InterfaceError when there is none or more than one.
ast::ExprPtr backref_condition(const ModelMeta& child, const ModelMeta& parent,
                               const void* parent_object);
/// For each field of `meta`, the index of the result column of the same name, or kNoColumn.
inline constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);
std::vector<std::size_t> fields_by_name(const ModelMeta& meta, const ResultSet& rows);
/// Runs a statement and returns the rows it affected.
ring::Task<std::uint64_t> run_count(AioDatabase& db, const ast::Query& query);
}  // namespace detail

namespace detail {
/// A field's member type and field spec, as TERN_MODEL lists them for Model::tern_auto_key.
template <class T, class Spec>
struct FieldDecl {};
/// The value type of the auto field (AutoField, BigAutoField) among `Decls`, or void.
template <class... Decls>
struct AutoKeyOf {
  using type = void;
};
template <class T, class Spec, class... Rest>
struct AutoKeyOf<FieldDecl<T, Spec>, Rest...> {
  using type = std::conditional_t<Spec::kType == ast::ColumnType::kAuto ||
                                      Spec::kType == ast::ColumnType::kBigAuto,
                                  value_type_of<T>, typename AutoKeyOf<Rest...>::type>;
};
/// AutoKeyOf over TERN_MODEL's list (which starts with a `void` that is skipped).
template <class Void, class... Decls>
using AutoKey = typename AutoKeyOf<Decls...>::type;

/// A key's C++ type: the types named (one: that type; several: a std::tuple of them, in the
/// order of the key's columns), or with none the model's auto key.
template <class M, class... K>
struct KeyTypeOf {
  using type = std::tuple<K...>;
};
template <class M>
struct KeyTypeOf<M> {
  static_assert(!std::is_void_v<typename M::tern_auto_key>,
                "the model's key is not an auto field: name its type, get_id<tern::Uuid>() / "
                "aio_execute_key<std::string>(), or its types for a composite key, "
                "get_id<std::int64_t, std::string>()");
  using type = typename M::tern_auto_key;
};
template <class M, class K>
struct KeyTypeOf<M, K> {
  using type = K;
};
/// The C++ type of model M's key (see KeyTypeOf).
template <class M, class... K>
using KeyOf = typename KeyTypeOf<M, K...>::type;

/// The typeid of each key column's value type, for check_key_types.
template <class M, class... K>
std::array<const std::type_info*, std::max<std::size_t>(sizeof...(K), 1)> key_types() {
  if constexpr (sizeof...(K) == 0) {
    return {&typeid(KeyOf<M>)};
  } else {
    return {&typeid(K)...};
  }
}
/// Throws InterfaceError unless `meta`'s key is fields whose value types are `types`, in order
/// (`what` names the call in the message).
void check_key_types(const ModelMeta& meta, std::span<const std::type_info* const> types,
                     std::string_view what);
/// A key column's value as K (an integer key's Value holds an int64, a float's a double).
template <class K>
K key_value(const ModelMeta& meta, const Value& v) {
  if (v.is_null()) throw InterfaceError("model " + meta.name + ": its key is NULL");
  if constexpr (std::is_integral_v<K>) {
    return static_cast<K>(std::get<std::int64_t>(v.storage()));
  } else if constexpr (std::is_floating_point_v<K>) {
    return static_cast<K>(std::get<double>(v.storage()));
  } else {
    return std::get<K>(v.storage());
  }
}
/// One row's key (insert_keys()) as KeyOf<M, K...>; the types were checked.
template <class M, class... K>
KeyOf<M, K...> typed_key(const ModelMeta& meta, const KeyValues& key) {
  if constexpr (sizeof...(K) <= 1) {
    return key_value<KeyOf<M, K...>>(meta, key.at(0));
  } else {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<K...>(key_value<K>(meta, key.at(I))...);
    }
    (std::index_sequence_for<K...>{});
  }
}
}  // namespace detail

namespace detail {
/// The columns of `row` as a tuple of the given types, by position.
template <class... T>
std::tuple<T...> row_as_tuple(const Row& row) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<T...>(row.get<T>(I)...);
  }
  (std::index_sequence_for<T...>{});
}
/// Each row of `rows` as a tuple of the given types, by position.
template <class... T>
std::vector<std::tuple<T...>> tuples(const ResultSet& rows) {
  std::vector<std::tuple<T...>> out;
  out.reserve(rows.size());
  for (const Row row : rows)
    out.push_back(row_as_tuple<T...>(row));
  return out;
}
}  // namespace detail

/// A query builder: anything with `.ast()` returning the query's AST (usable as a subquery).
template <class Q>
concept QueryLike = requires(const Q& q) {
  { q.ast() } -> std::convertible_to<const ast::Query&>;
};

/// A typed column of a named table, CTE or subquery alias: `column<std::int64_t>("t", "n")`.
template <class T>
Expr<T> column(std::string table, std::string name) {
  return Expr<T>(detail::column_ref(std::move(table), std::move(name)));
}

/// A common table expression, `WITH name [(columns)] AS (query)`, attached to a select with
/// `.with(cte)` and read with `.from(cte)` / `cte.c<T>("column")`:
///
///   orm::Cte dear("dear", Item::select().where(Item::c.price > 100));
///   auto n = co_await Item::select().with(dear).from(dear).aio_count();
class Cte {
 public:
  /// `name AS (query)`, with optional column names (needed by recursive CTEs).
  template <QueryLike Q>
  Cte(std::string name, const Q& query, std::vector<std::string> columns = {}) {
    cte_.name = std::move(name);
    cte_.columns = std::move(columns);
    cte_.query = std::make_shared<const ast::Query>(query.ast());
  }
  /// WITH RECURSIVE: the query is `base UNION [ALL] step`, where step reads the CTE itself.
  Cte& recursive() {
    cte_.recursive = true;
    return *this;
  }
  /// The CTE's column `name`, typed: `"cte"."name"`.
  template <class T>
  Expr<T> c(std::string name) const {
    return column<T>(cte_.name, std::move(name));
  }
  /// The CTE's name.
  const std::string& name() const noexcept { return cte_.name; }
  /// The AST of the definition.
  const ast::Cte& definition() const noexcept { return cte_; }

 private:
  ast::Cte cte_;
};

/// The clauses every SELECT builder shares; `Self` is the builder (Select<M> or SelectQuery),
/// which every call returns so that chains keep their type.
template <class Self>
class SelectClauses {
 public:
  /// WHERE every condition (several calls AND together too).
  template <class... C>
  requires(std::convertible_to<const C&, const Expr<bool>&>&&...) Self& where(
      const C&... conditions) {
    ((q_.where =
          detail::and_(std::move(q_.where), static_cast<const Expr<bool>&>(conditions).node())),
     ...);
    return self();
  }
  /// [INNER|LEFT|...] JOIN Other ON condition.
  template <class Other>
  Self& join(const Expr<bool>& on, JoinType type = JoinType::kInner) {
    return join_ref({.name = Other::tern_meta().table}, on.node(), type);
  }
  /// JOIN Other ON the foreign key between M and Other (either way round); throws
  /// InterfaceError when there is none or more than one.
  template <class Other>
  Self& join(JoinType type = JoinType::kInner) {
    return join_ref({.name = Other::tern_meta().table},
                    detail::foreign_key_condition(Self::model_meta(), Other::tern_meta()), type);
  }
  /// JOIN a CTE ON condition.
  Self& join(const Cte& cte, const Expr<bool>& on, JoinType type = JoinType::kInner) {
    return join_ref({.name = cte.name()}, on.node(), type);
  }
  /// JOIN (subquery) AS alias ON condition.
  template <QueryLike Q>
  Self& join(const Q& subquery, std::string alias, const Expr<bool>& on,
             JoinType type = JoinType::kInner) {
    return join_ref(
        {.alias = std::move(alias), .subquery = std::make_shared<const ast::Query>(subquery.ast())},
        on.node(), type);
  }
  /// CROSS JOIN Other.
  template <class Other>
  Self& cross_join() {
    return join_ref({.name = Other::tern_meta().table}, nullptr, JoinType::kCross);
  }
  /// WITH cte (several calls add several, in order; a later one may read an earlier one).
  Self& with(const Cte& cte) {
    q_.with.push_back(cte.definition());
    return self();
  }
  /// FROM (subquery) AS alias. Select<M> defaults the alias to M's table, so that M's columns
  /// name the subquery's: `Item::select().from(Item::select().order_by(...).limit(10))`.
  template <QueryLike Q>
  Self& from(const Q& subquery, std::string alias = {}) {
    q_.from = ast::TableRef{.alias = alias.empty() ? self().default_alias() : std::move(alias),
                            .subquery = std::make_shared<const ast::Query>(subquery.ast())};
    return self();
  }
  /// FROM cte [AS alias] (Select<M> defaults the alias to M's table, as above).
  Self& from(const Cte& cte, std::string alias = {}) {
    q_.from = ast::TableRef{.name = cte.name(),
                            .alias = alias.empty() ? self().default_alias() : std::move(alias)};
    return self();
  }
  /// ORDER BY (plain expressions or .asc()/.desc()).
  template <class... V>
  Self& order_by(const Expr<V>&... terms) {
    (q_.order_by.push_back(terms.node()), ...);
    return self();
  }
  /// GROUP BY.
  template <class... V>
  Self& group_by(const Expr<V>&... terms) {
    (q_.group_by.push_back(terms.node()), ...);
    return self();
  }
  /// HAVING.
  Self& having(const Expr<bool>& condition) {
    q_.having = detail::and_(std::move(q_.having), condition.node());
    return self();
  }
  /// LIMIT n.
  Self& limit(std::int64_t n) {
    q_.limit = n;
    return self();
  }
  /// OFFSET n.
  Self& offset(std::int64_t n) {
    q_.offset = n;
    return self();
  }
  /// Page `page` (from 1) of `per_page` rows.
  Self& paginate(std::int64_t page, std::int64_t per_page) {
    q_.limit = per_page;
    q_.offset = (page > 0 ? page - 1 : 0) * per_page;
    return self();
  }
  /// SELECT DISTINCT.
  Self& distinct() {
    q_.distinct = true;
    return self();
  }
  /// FOR UPDATE (inside a transaction); `nowait`: fail at once on a locked row.
  Self& for_update(bool nowait = false) {
    q_.lock = Lock{.nowait = nowait};
    return self();
  }
  /// A locking clause in full: `.for_update({.skip_locked = true, .of = {"item"}})`, or
  /// `{.strength = Lock::Strength::kShare}` for FOR SHARE (tern::orm::Lock).
  Self& for_update(Lock lock) {
    q_.lock = std::move(lock);
    return self();
  }

  /// UNION with another select of the same shape (ORDER BY / LIMIT set afterwards apply to
  /// the whole).
  template <QueryLike Q>
  Self& union_(const Q& other) {
    return compound("UNION", other.ast());
  }
  /// UNION ALL.
  template <QueryLike Q>
  Self& union_all(const Q& other) {
    return compound("UNION ALL", other.ast());
  }
  /// INTERSECT.
  template <QueryLike Q>
  Self& intersect(const Q& other) {
    return compound("INTERSECT", other.ast());
  }
  /// EXCEPT.
  template <QueryLike Q>
  Self& except_(const Q& other) {
    return compound("EXCEPT", other.ast());
  }
  /// peewee's operators: `a | b` UNION, `a + b` UNION ALL, `a & b` INTERSECT, `a - b` EXCEPT.
  template <QueryLike Q>
  friend Self operator|(Self lhs, const Q& rhs) {
    lhs.union_(rhs);
    return lhs;
  }
  /// UNION ALL.
  template <QueryLike Q>
  friend Self operator+(Self lhs, const Q& rhs) {
    lhs.union_all(rhs);
    return lhs;
  }
  /// INTERSECT.
  template <QueryLike Q>
  friend Self operator&(Self lhs, const Q& rhs) {
    lhs.intersect(rhs);
    return lhs;
  }
  /// EXCEPT.
  template <QueryLike Q>
  friend Self operator-(Self lhs, const Q& rhs) {
    lhs.except_(rhs);
    return lhs;
  }

  /// Runs the query on `db` and returns its rows as they are (by index or column name).
  ring::Task<ResultSet> aio_rows(AioDatabase& db) const { return detail::run(db, q_); }
  /// Runs the query on `db` and returns each row as a tuple of the given types.
  template <class... T>
  ring::Task<std::vector<std::tuple<T...>>> aio_tuples(AioDatabase& db) const {
    const ResultSet rows = co_await detail::run(db, q_);
    co_return detail::tuples<T...>(rows);
  }
  /// The first column of the first row (nullopt when there is no row or it is NULL).
  template <class T>
  ring::Task<std::optional<T>> aio_scalar(AioDatabase& db) const {
    const ResultSet rows = co_await detail::run(db, q_);
    if (rows.empty()) co_return std::nullopt;
    co_return rows.row(0).get<std::optional<T>>(0);
  }
  /// The first row's columns as a tuple (peewee's scalar(as_tuple=True)); nullopt when there
  /// is no row.
  template <class T1, class T2, class... Rest>
  ring::Task<std::optional<std::tuple<T1, T2, Rest...>>> aio_scalar(AioDatabase& db) const {
    const ResultSet rows = co_await detail::run(db, q_);
    if (rows.empty()) co_return std::nullopt;
    co_return detail::row_as_tuple<T1, T2, Rest...>(rows.row(0));
  }
  /// COUNT of the rows the query returns: LIMIT/OFFSET respected unless `clear_limit`.
  ring::Task<std::int64_t> aio_count(AioDatabase& db, bool clear_limit = false) const {
    return detail::count_rows(db, q_, clear_limit);
  }
  /// True when the query returns a row.
  ring::Task<bool> aio_exists(AioDatabase& db) const {
    ast::Query probe = q_;
    probe.limit = 1;
    probe.order_by.clear();
    const ResultSet rows = co_await detail::run(db, probe);
    co_return !rows.empty();
  }

  // The sync twins (peewee's names; each is its aio_ twin run with AioDatabase::run_sync).
  /// aio_rows(db), synchronously.
  ResultSet rows(AioDatabase& db) const { return db.run_sync(aio_rows(db)); }
  /// aio_tuples<T...>(db), synchronously.
  template <class... T>
  std::vector<std::tuple<T...>> tuples(AioDatabase& db) const {
    return db.run_sync(aio_tuples<T...>(db));
  }
  /// aio_scalar<T...>(db), synchronously.
  template <class... T>
  requires(sizeof...(T) > 0) auto scalar(AioDatabase& db) const {
    return db.run_sync(aio_scalar<T...>(db));
  }
  /// aio_count(db), synchronously.
  std::int64_t count(AioDatabase& db, bool clear_limit = false) const {
    return db.run_sync(aio_count(db, clear_limit));
  }
  /// aio_exists(db), synchronously.
  bool exists(AioDatabase& db) const { return db.run_sync(aio_exists(db)); }

  /// The query's AST (for composing and for tests).
  const ast::Query& ast() const noexcept { return q_; }

 protected:
  SelectClauses() = default;
  /// Starts from an existing query tree.
  explicit SelectClauses(ast::Query q) : q_(std::move(q)) {}
  /// The derived query (CRTP).
  Self& self() noexcept { return static_cast<Self&>(*this); }

  ast::Query q_;  ///< The query being built.

 private:
  Self& join_ref(ast::TableRef table, ast::ExprPtr on, JoinType type) {
    q_.joins.push_back({.type = type, .table = std::move(table), .on = std::move(on)});
    return self();
  }
  Self& compound(const char* op, const ast::Query& other) {
    ast::Query whole;
    whole.kind = ast::Query::Kind::kCompound;
    whole.compound_op = op;
    whole.lhs = std::make_shared<const ast::Query>(std::move(q_));
    whole.rhs = std::make_shared<const ast::Query>(other);
    q_ = std::move(whole);
    return self();
  }
};

/// A SELECT not tied to a model: `orm::select(exprs...)`, FROM a table, CTE or subquery, or
/// none. Its results are read with aio_rows(db), aio_tuples<...>(db) or aio_scalar<T>(db):
///
///   orm::Cte t("t", orm::select(orm::value<std::int64_t>(1))
///                       .union_all(orm::select(n + 1).from_table("t").where(n < 5)), {"n"});
///   auto rows = co_await orm::select(t.c<std::int64_t>("n")).with(t.recursive()).from(t)
///                   .aio_tuples<std::int64_t>(db);
class SelectQuery : public SelectClauses<SelectQuery> {
 public:
  /// SELECT `columns` (no FROM until one is given).
  explicit SelectQuery(ast::ExprList columns) {
    q_.kind = ast::Query::Kind::kSelect;
    q_.columns = std::move(columns);
  }
  /// FROM a table by name (quoted as an identifier).
  SelectQuery& from_table(std::string table, std::string alias = {}) {
    q_.from = ast::TableRef{.name = std::move(table), .alias = std::move(alias)};
    return *this;
  }
  /// FROM model Other's table.
  template <class Other>
  SelectQuery& from() {
    return from_table(Other::tern_meta().table);
  }
  using SelectClauses::from;

 private:
  friend class SelectClauses<SelectQuery>;
  static std::string default_alias() { return {}; }
};

/// SELECT `columns...` without a model (see SelectQuery).
template <class... V>
SelectQuery select(const Expr<V>&... columns) {
  return SelectQuery(ast::ExprList{columns.node()...});
}

namespace detail {
/// Reads `Model`'s fields from `row`, from column `at` on (advanced past them).
template <class Model>
void fill_model(Model& model, const Row& row, std::size_t& at) {
  for (const FieldMeta& f : Model::tern_meta().fields)
    f.set(&model, row, at++);
}
/// The model in row `i` of `rows` (its fields in order).
template <class Model>
Model model_at(const ResultSet& rows, std::size_t i) {
  Model m;
  std::size_t at = 0;
  fill_model(m, rows.row(i), at);
  return m;
}
/// Each row of `rows` as a Model, its fields matched by column name (fields not returned keep
/// their defaults): Raw and the RETURNING of writes.
template <class Model>
std::vector<Model> models_by_name(const ResultSet& rows) {
  const ModelMeta& meta = Model::tern_meta();
  const std::vector<std::size_t> map = fields_by_name(meta, rows);
  std::vector<Model> out;
  out.reserve(rows.size());
  for (const Row row : rows) {
    Model& m = out.emplace_back();
    for (std::size_t f = 0; f < map.size(); ++f) {
      if (map[f] != kNoColumn) meta.fields[f].set(&m, row, map[f]);
    }
  }
  return out;
}
/// Reads column `i` of a row as a Value of the type of the expression it came from.
using ColumnReader = Value (*)(const Row& row, std::size_t i);
/// The ColumnReader of an Expr<V> (nullptr when a Value cannot hold a V).
template <class V>
constexpr ColumnReader reader_for() {
  if constexpr (std::is_constructible_v<Value, std::optional<V>>) {
    return [](const Row& row, std::size_t i) { return Value(row.get<std::optional<V>>(i)); };
  } else {
    return nullptr;
  }
}
}  // namespace detail

/// A row as column name → value (peewee's `.dicts()`).
using Dict = std::map<std::string, Value, std::less<>>;

namespace detail {
/// Each row of `rows` as a Dict, column `i` read by `readers[i]`; InterfaceError when a column
/// has no reader.
std::vector<Dict> dicts(const ResultSet& rows, std::span<const ColumnReader> readers);
}  // namespace detail

/// The RETURNING of an INSERT, UPDATE or DELETE of model M, read as models, tuples or name →
/// value maps; `Self` (the statement) keeps the returned expressions' readers and runs it with
/// aio_rows().
template <class Self, class M>
class ReturningReaders {
 public:
  /// Runs it and returns each RETURNING row as an M, its fields matched by column name (the
  /// fields not returned keep their defaults), as peewee's `returning(...)` gives models.
  ring::Task<std::vector<M>> aio_models() const {
    const ResultSet rows = co_await self().aio_rows();
    co_return detail::models_by_name<M>(rows);
  }
  /// Runs it and returns each RETURNING row as a tuple of the given types, by position.
  template <class... T>
  ring::Task<std::vector<std::tuple<T...>>> aio_tuples() const {
    const ResultSet rows = co_await self().aio_rows();
    co_return detail::tuples<T...>(rows);
  }
  /// Runs it and returns each RETURNING row as column name → value (peewee's `.dicts()`), each
  /// value read as the type of its expression (a field: its member's).
  ring::Task<std::vector<Dict>> aio_dicts() const {
    const ResultSet rows = co_await self().aio_rows();
    co_return detail::dicts(rows, readers_);
  }
  /// aio_models(), synchronously.
  std::vector<M> models() const { return M::tern_database().run_sync(aio_models()); }
  /// aio_tuples<T...>(), synchronously.
  template <class... T>
  std::vector<std::tuple<T...>> tuples() const {
    return M::tern_database().run_sync(aio_tuples<T...>());
  }
  /// aio_dicts(), synchronously.
  std::vector<Dict> dicts() const { return M::tern_database().run_sync(aio_dicts()); }

 protected:
  ReturningReaders() = default;
  /// Notes the reader of one more returned expression, of type V.
  template <class V>
  void read_as() {
    readers_.push_back(detail::reader_for<V>());
  }
  /// The columns of every field of M (`returning(M::c)`), noting their readers.
  ast::ExprList every_field() {
    const ModelMeta& meta = M::tern_meta();
    for (const FieldMeta& f : meta.fields)
      readers_.push_back(f.read);
    return meta.select_all.columns;
  }

 private:
  const Self& self() const noexcept { return static_cast<const Self&>(*this); }
  std::vector<detail::ColumnReader> readers_;
};

/// The rows of a model select, each turned into an M only when the iterator reaches it (the
/// result set is held once; no vector of models is built).
template <class M>
class ModelRows {
 public:
  /// An input iterator yielding M by value.
  using Iterator = protocol::RowIterator<ModelRows, M>;
  /// Wraps a result set of M's fields in order.
  explicit ModelRows(ResultSet rows) noexcept : rows_(std::move(rows)) {}
  /// The first model.
  Iterator begin() const noexcept { return {this, 0}; }
  /// Past the last model.
  Iterator end() const noexcept { return {this, rows_.size()}; }
  /// The model of row `i`.
  M row(std::size_t i) const { return detail::model_at<M>(rows_, i); }
  /// The number of rows.
  std::size_t size() const noexcept { return rows_.size(); }
  /// True when there is no row.
  bool empty() const noexcept { return rows_.empty(); }

 private:
  ResultSet rows_;
};

/// The models of a select read in batches (Select::aio_stream): a result of any size is never
/// held whole. Holds a connection until the end (or aio_close()).
///
///   auto stream = co_await Item::select().order_by(Item::c.id).aio_stream(500);
///   while (auto batch = co_await stream.next()) {
///     for (const Item item : *batch) ...
///   }
template <class M>
class ModelStream {
 public:
  /// Wraps a row stream of M's fields in order.
  explicit ModelStream(RowStream rows) noexcept : rows_(std::move(rows)) {}
  /// The next batch (models built as it is iterated); nullopt once the stream has ended.
  ring::Task<std::optional<ModelRows<M>>> next() {
    std::optional<ResultSet> batch = co_await rows_.next();
    if (!batch) co_return std::nullopt;
    co_return ModelRows<M>(std::move(*batch));
  }
  /// Ends the stream early and gives its connection back.
  ring::Task<void> aio_close() { return rows_.aio_close(); }

 private:
  RowStream rows_;
};

/// What Select::get_where() does when no row matches: throw M::DoesNotExist (aio_get) or
/// return nullopt (aio_get_or_none).
enum class IfNone { kThrow, kNullopt };

/// SELECT over model M, run on M's database.
template <class M>
class Select : public SelectClauses<Select<M>> {
  using Base = SelectClauses<Select<M>>;

 public:
  /// Every field of M, from M's table.
  Select() : Base(M::tern_meta().select_all) {}
  /// Chosen columns or expressions, from M's table; read the results with aio_rows(),
  /// aio_tuples<...>(), aio_scalar<T>() or, when `readers` gives each column's type,
  /// aio_dicts().
  explicit Select(ast::ExprList columns, std::vector<detail::ColumnReader> readers = {})
      : Select() {
    this->q_.columns = std::move(columns);
    readers_ = std::move(readers);
    models_ = false;
  }

  /// Runs the query and returns the models (a select of every field).
  ring::Task<std::vector<M>> aio_execute() const {
    require_models();
    const ResultSet rows = co_await detail::run(M::tern_database(), this->q_);
    co_return hydrate(rows);
  }
  /// Runs the query and returns each row as column name → value (peewee's `.dicts()`): a model
  /// select's fields typed as their members, chosen columns as their expressions.
  ring::Task<std::vector<Dict>> aio_dicts() const {
    const ResultSet rows = co_await detail::run(M::tern_database(), this->q_);
    if (!models_) co_return detail::dicts(rows, readers_);
    std::vector<detail::ColumnReader> fields;
    for (const FieldMeta& f : M::tern_meta().fields)
      fields.push_back(f.read);
    co_return detail::dicts(rows, fields);
  }
  /// Runs the query and returns the rows, turned into models one at a time as they are
  /// iterated (for results too large to hold twice).
  ring::Task<ModelRows<M>> aio_iterator() const {
    require_models();
    co_return ModelRows<M>(co_await detail::run(M::tern_database(), this->q_));
  }
  /// Runs the query as a stream of models read `batch_rows` at a time (PostgreSQL: a portal
  /// run in batches; MySQL: rows read as they come): for results too large to hold at all.
  ring::Task<ModelStream<M>> aio_stream(std::uint32_t batch_rows = 1000) const {
    require_models();
    co_return ModelStream<M>(co_await detail::stream(M::tern_database(), this->q_, batch_rows));
  }
  /// Runs the query with every field of M and of each joined model `Others` selected, and
  /// returns each row as the models it holds: `.join<Category>(on).aio_models<Category>()`
  /// gives std::tuple<Item, Category> per row (peewee attaches joined objects instead).
  template <class... Others>
  ring::Task<std::vector<std::tuple<M, Others...>>> aio_models() const {
    require_models();
    ast::Query q = this->q_;
    (detail::append_columns(q, Others::tern_meta()), ...);
    const ResultSet rows = co_await detail::run(M::tern_database(), q);
    std::vector<std::tuple<M, Others...>> out;
    out.reserve(rows.size());
    for (const Row row : rows) {
      std::tuple<M, Others...>& t = out.emplace_back();
      std::size_t at = 0;
      std::apply([&](auto&... models) { (detail::fill_model(models, row, at), ...); }, t);
    }
    co_return out;
  }

  using Base::aio_count;
  using Base::aio_exists;
  using Base::aio_rows;
  using Base::aio_scalar;
  using Base::aio_tuples;
  /// Runs the query and returns its rows as they are (by index or column name).
  ring::Task<ResultSet> aio_rows() const { return Base::aio_rows(M::tern_database()); }
  /// Runs the query and returns each row as a tuple of the given types.
  template <class... T>
  ring::Task<std::vector<std::tuple<T...>>> aio_tuples() const {
    return Base::template aio_tuples<T...>(M::tern_database());
  }
  /// The first column of the first row (nullopt when there is no row or it is NULL), e.g.
  /// `co_await Item::select(fn::max(Item::c.price)).aio_scalar<double>()`; with several types,
  /// the first row as a tuple (peewee's as_tuple=True).
  template <class... T>
  requires(sizeof...(T) > 0) auto aio_scalar() const {
    return Base::template aio_scalar<T...>(M::tern_database());
  }
  /// COUNT of the rows the query returns: LIMIT/OFFSET respected unless `clear_limit`.
  ring::Task<std::int64_t> aio_count(bool clear_limit = false) const {
    return Base::aio_count(M::tern_database(), clear_limit);
  }
  /// The first matching model; throws M::DoesNotExist when there is none.
  ring::Task<M> aio_get() const {
    std::optional<M> found = co_await aio_first();
    if (!found) {
      throw DoesNotExistFor<M>(
          detail::does_not_exist_message(M::tern_meta(), M::tern_database(), this->q_));
    }
    co_return std::move(*found);
  }
  /// The first model (the query with LIMIT 1), or nullopt.
  ring::Task<std::optional<M>> aio_first() const {
    require_models();
    ast::Query first = this->q_;
    first.limit = 1;
    const ResultSet rows = co_await detail::run(M::tern_database(), first);
    if (rows.empty()) co_return std::nullopt;
    co_return detail::model_at<M>(rows, 0);
  }
  /// `select().where(condition)` then aio_get() (IfNone::kThrow: M::DoesNotExist when no row
  /// matches) or aio_first() (IfNone::kNullopt), in one task whose statement is found by the
  /// condition's shape without building the query (Model::aio_get and aio_get_or_none, the ORM's
  /// hottest calls).
  template <IfNone kIfNone>
  static ring::Task<std::conditional_t<kIfNone == IfNone::kThrow, M, std::optional<M>>> get_where(
      ast::ExprPtr condition) {
    const detail::GetStatement c =
        detail::compile_get(M::tern_meta(), condition, M::tern_database().dialect());
    const ResultSet rows = co_await M::tern_database().aio_execute_view(
        *c.sql, c.params, QueryOptions{.read_only = c.read_only});
    if (rows.empty()) {
      if constexpr (kIfNone == IfNone::kThrow) {
        throw DoesNotExistFor<M>(
            detail::does_not_exist_message(M::tern_meta(), M::tern_database(), *c.sql, c.params));
      } else {
        co_return std::nullopt;
      }
    }
    co_return detail::model_at<M>(rows, 0);
  }
  /// The first `n` models (the query with LIMIT n).
  ring::Task<std::vector<M>> aio_first(std::int64_t n) const {
    Select first = *this;
    first.limit(n);
    co_return co_await first.aio_execute();
  }
  /// The first model of the query as it is (no LIMIT added, as peewee's peek()), or nullopt.
  ring::Task<std::optional<M>> aio_peek() const {
    ModelRows<M> rows = co_await aio_iterator();
    if (rows.empty()) co_return std::nullopt;
    co_return *rows.begin();
  }
  /// The first `n` models of the query as it is.
  ring::Task<std::vector<M>> aio_peek(std::size_t n) const {
    ModelRows<M> rows = co_await aio_iterator();
    std::vector<M> out;
    for (auto it = rows.begin(); it != rows.end() && out.size() < n; ++it)
      out.push_back(*it);
    co_return out;
  }
  /// True when the query returns a row.
  ring::Task<bool> aio_exists() const { return Base::aio_exists(M::tern_database()); }

  // The sync twins (peewee's names), each its aio_ twin run on M's database's sync connection
  // (AioDatabase::run_sync: InterfaceError outside allow_sync).
  using Base::count;
  using Base::exists;
  using Base::rows;
  using Base::scalar;
  using Base::tuples;
  /// aio_execute(), synchronously.
  std::vector<M> execute() const { return sync(aio_execute()); }
  /// aio_dicts(), synchronously.
  std::vector<Dict> dicts() const { return sync(aio_dicts()); }
  /// aio_iterator(), synchronously.
  ModelRows<M> iterator() const { return sync(aio_iterator()); }
  /// aio_models<Others...>(), synchronously.
  template <class... Others>
  std::vector<std::tuple<M, Others...>> models() const {
    return sync(aio_models<Others...>());
  }
  /// aio_rows(), synchronously.
  ResultSet rows() const { return sync(aio_rows()); }
  /// aio_tuples<T...>(), synchronously.
  template <class... T>
  std::vector<std::tuple<T...>> tuples() const {
    return sync(aio_tuples<T...>());
  }
  /// aio_scalar<T...>(), synchronously.
  template <class... T>
  requires(sizeof...(T) > 0) auto scalar() const { return sync(aio_scalar<T...>()); }
  /// aio_count(), synchronously.
  std::int64_t count(bool clear_limit = false) const { return sync(aio_count(clear_limit)); }
  /// aio_get(), synchronously.
  M get() const { return sync(aio_get()); }
  /// aio_first(), synchronously.
  std::optional<M> first() const { return sync(aio_first()); }
  /// aio_first(n), synchronously.
  std::vector<M> first(std::int64_t n) const { return sync(aio_first(n)); }
  /// aio_peek(), synchronously.
  std::optional<M> peek() const { return sync(aio_peek()); }
  /// aio_peek(n), synchronously.
  std::vector<M> peek(std::size_t n) const { return sync(aio_peek(n)); }
  /// aio_exists(), synchronously.
  bool exists() const { return sync(aio_exists()); }

 private:
  template <class T>
  static T sync(ring::Task<T> task) {
    return M::tern_database().run_sync(std::move(task));
  }
  friend Base;
  static std::string default_alias() { return M::tern_meta().table; }
  static const ModelMeta& model_meta() { return M::tern_meta(); }
  void require_models() const {
    if (!models_) {
      throw InterfaceError(
          "a select of chosen columns has no models: use aio_rows(), "
          "aio_tuples<...>() or aio_scalar<T>()");
    }
  }
  static std::vector<M> hydrate(const ResultSet& rows) {
    std::vector<M> out;
    out.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      out.push_back(detail::model_at<M>(rows, i));
    return out;
  }

  bool models_ = true;
  std::vector<detail::ColumnReader> readers_;  // chosen columns' types, for aio_dicts()
};

/// Raw SQL whose rows become models of M, matched by column name (fields the SQL does not
/// return keep their defaults): `Item::raw("SELECT * FROM item WHERE price > $1", 10)`.
/// Values are bound, never spliced: write $1.. on PostgreSQL, ? on MySQL.
template <class M>
class Raw {
 public:
  /// The statement and its parameters.
  Raw(std::string sql, Params params) : sql_(std::move(sql)), params_(std::move(params)) {}
  /// Runs it and returns the models.
  ring::Task<std::vector<M>> aio_execute() const {
    const ResultSet rows = co_await M::tern_database().aio_execute(sql_, params_);
    co_return detail::models_by_name<M>(rows);
  }
  /// aio_execute(), synchronously.
  std::vector<M> execute() const { return M::tern_database().run_sync(aio_execute()); }

 private:
  std::string sql_;
  Params params_;
};

/// EXISTS (query).
template <QueryLike Q>
Expr<bool> exists(const Q& query) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kExists;
  e.query = std::make_shared<const ast::Query>(query.ast());
  return Expr<bool>(detail::node(std::move(e)));
}

/// A statement run for its row count (Insert::as_rowcount()).
template <class Statement>
class RowCount {
 public:
  /// Wraps `statement`.
  explicit RowCount(Statement statement) : statement_(std::move(statement)) {}
  /// Runs it: the rows it inserted.
  ring::Task<std::uint64_t> aio_execute() const { return statement_.aio_rowcount(); }
  /// aio_execute(), synchronously.
  std::uint64_t execute() const { return statement_.rowcount(); }

 private:
  Statement statement_;
};

/// INSERT of model instances: one (`M::insert`, kMany false) or several (`M::insert_many`).
template <class M, bool kMany>
class Insert : public ReturningReaders<Insert<M, kMany>, M> {
 public:
  /// What aio_execute() returns (peewee 4): the new key of one row (nullopt when a conflict was
  /// ignored or the model has no generated key), the keys of many rows in order.
  using Result = std::conditional_t<kMany, std::vector<std::int64_t>, std::optional<std::int64_t>>;

  /// The objects to insert (from the recycling allocator: inserting one allocates nothing).
  using Objects = std::vector<const M*, ring::RecyclingAllocator<const M*>>;
  /// Inserts `objects` (one or many), which must outlive the statement.
  explicit Insert(Objects objects) : objects_(std::move(objects)) {}
  /// Inserts `objects`, kept by the statement (and its copies): from an rvalue or keyword
  /// arguments, nothing is left to dangle.
  explicit Insert(std::vector<M> objects)
      : owned_(std::make_shared<const std::vector<M>>(std::move(objects))) {
    objects_.reserve(owned_->size());
    for (const M& o : *owned_)
      objects_.push_back(&o);
  }
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
  /// RETURNING these expressions instead of the key (PostgreSQL, MariaDB 10.5+); read them
  /// with aio_models(), aio_tuples<...>(), aio_dicts() or aio_rows().
  template <class... V>
  Insert& returning(const Expr<V>&... columns) {
    (returning_.push_back(columns.node()), ...);
    (this->template read_as<V>(), ...);
    return *this;
  }
  /// RETURNING every field (peewee's `returning(Model)`): `.returning(Item::c)`.
  template <class C>
  requires std::is_same_v<C, typename M::Columns> Insert& returning(const C&) {
    for (ast::ExprPtr& column : this->every_field())
      returning_.push_back(std::move(column));
    return *this;
  }
  /// peewee's as_rowcount(): the same insert, whose aio_execute() returns the number of rows
  /// inserted instead of keys.
  RowCount<Insert> as_rowcount() const { return RowCount<Insert>(*this); }
  /// Runs it and returns the number of rows inserted.
  ring::Task<std::uint64_t> aio_rowcount() const {
    AioDatabase& db = M::tern_database();
    if (plain()) {
      const detail::Keys n =
          co_await detail::insert_rows(db, M::tern_meta(), erased(), objects_.size(), true);
      co_return static_cast<std::uint64_t>(n.front());
    }
    ast::Query q = build(db.dialect());
    const detail::Keys n = co_await detail::run_insert(db, std::move(q), M::tern_meta(), erased(),
                                                       objects_.size(), true);
    co_return static_cast<std::uint64_t>(n.front());
  }
  /// Runs it: see Result. Several rows on MySQL: the keys are LAST_INSERT_ID() onwards by
  /// @@auto_increment_increment (InnoDB gives one INSERT's rows consecutive keys); with rows
  /// ignored on conflict which keys were used is unknown there: NotSupportedError (use
  /// as_rowcount()).
  ring::Task<Result> aio_execute() const {
    AioDatabase& db = M::tern_database();
    if (plain()) {
      if constexpr (kMany) {
        const detail::Keys keys =
            co_await detail::insert_rows(db, M::tern_meta(), erased(), objects_.size(), false);
        co_return std::vector<std::int64_t>(keys.begin(), keys.end());
      } else {
        // One row: the statement awaited here, without a frame of insert_rows' too.
        const detail::InsertStatement s =
            detail::prepare_insert(M::tern_meta(), erased(), 1, db.dialect(), false);
        const ResultSet r = co_await db.aio_execute_view(*s.sql, s.params);
        co_return detail::generated_key(M::tern_meta(), db.dialect(), r, objects_[0]);
      }
    }
    ast::Query q = build(db.dialect());
    const detail::Keys keys = co_await detail::run_insert(db, std::move(q), M::tern_meta(),
                                                          erased(), objects_.size(), false);
    if constexpr (kMany) {
      co_return std::vector<std::int64_t>(keys.begin(), keys.end());
    } else {
      if (keys.empty()) co_return std::nullopt;
      co_return keys.front();
    }
  }
  /// The key type of aio_execute_key<K...>() (see detail::KeyOf).
  template <class... K>
  using KeyResult = std::conditional_t<kMany, std::vector<detail::KeyOf<M, K...>>,
                                       std::optional<detail::KeyOf<M, K...>>>;
  /// Runs it and returns the keys typed as the model's key, whatever it is: one row's key
  /// (nullopt when a conflict was ignored), many rows' keys in order. The key's type is the
  /// auto field's without template arguments; else name it, `aio_execute_key<tern::Uuid>()`,
  /// `aio_execute_key<std::string>()`, or a composite key's types in its column order,
  /// `aio_execute_key<std::int64_t, std::string>()` (a std::tuple each); InterfaceError when
  /// they are not the key members' types. Keys from default_factory are the values sent.
  /// PostgreSQL reads them with RETURNING (a conflict updated returns that row's key);
  /// MySQL/MariaDB from the values sent and LAST_INSERT_ID(): a row ON DUPLICATE KEY UPDATE
  /// updated gives nullopt there, and a multi-row upsert or insert with rows ignored is
  /// NotSupportedError. returning() is not used.
  template <class... K>
  ring::Task<KeyResult<K...>> aio_execute_key() const {
    const ModelMeta& meta = M::tern_meta();
    detail::check_key_types(meta, detail::key_types<M, K...>(), "aio_execute_key");
    const std::vector<detail::KeyValues> keys = co_await detail::insert_keys(
        M::tern_database(), meta, erased(), objects_.size(), conflict_);
    if constexpr (kMany) {
      std::vector<detail::KeyOf<M, K...>> out;
      out.reserve(keys.size());
      for (const detail::KeyValues& key : keys)
        out.push_back(detail::typed_key<M, K...>(meta, key));
      co_return out;
    } else {
      if (keys.empty()) co_return std::nullopt;
      co_return detail::typed_key<M, K...>(meta, keys.front());
    }
  }
  /// Runs it and returns the RETURNING rows.
  ring::Task<ResultSet> aio_rows() const {
    AioDatabase& db = M::tern_database();
    const ast::Query q = build(db.dialect());
    co_return co_await detail::run(db, q);
  }
  // The sync twins, each its aio_ twin run with AioDatabase::run_sync.
  /// aio_execute(), synchronously.
  Result execute() const { return M::tern_database().run_sync(aio_execute()); }
  /// aio_execute_key<K...>(), synchronously.
  template <class... K>
  KeyResult<K...> execute_key() const {
    return M::tern_database().run_sync(aio_execute_key<K...>());
  }
  /// aio_rowcount(), synchronously.
  std::uint64_t rowcount() const { return M::tern_database().run_sync(aio_rowcount()); }
  /// aio_rows(), synchronously.
  ResultSet rows() const { return M::tern_database().run_sync(aio_rows()); }

 private:
  // No ON CONFLICT and the default RETURNING: detail::prepare_insert's statement.
  bool plain() const noexcept { return !conflict_ && returning_.empty(); }
  const void* const* erased() const noexcept {
    return reinterpret_cast<const void* const*>(objects_.data());
  }
  ast::Query build(Dialect dialect) const {
    ast::Query q = detail::insert_objects(M::tern_meta(), erased(), objects_.size(), dialect);
    q.on_conflict = conflict_;
    if (!returning_.empty()) q.returning = returning_;
    return q;
  }
  std::shared_ptr<const std::vector<M>> owned_;  // the objects, when the statement keeps them
  Objects objects_;
  std::optional<ast::OnConflict> conflict_;
  ast::ExprList returning_;
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
  /// aio_execute(), synchronously.
  std::uint64_t execute() const { return M::tern_database().run_sync(aio_execute()); }

 private:
  ast::Query q_;
};

/// What UPDATE and DELETE of model M's table share: WHERE, RETURNING and running; `Self` is
/// the statement, which every call returns.
template <class Self, class M>
class WriteClauses : public ReturningReaders<Self, M> {
 public:
  /// WHERE (several calls AND together).
  Self& where(const Expr<bool>& condition) {
    q_.where = detail::and_(std::move(q_.where), condition.node());
    return static_cast<Self&>(*this);
  }
  /// RETURNING these expressions: PostgreSQL; MariaDB 10.5+ on DELETE (on UPDATE MySQL and
  /// MariaDB have none: NotSupportedError). Read them with aio_models(), aio_tuples<...>(),
  /// aio_dicts() or aio_rows().
  template <class... V>
  Self& returning(const Expr<V>&... columns) {
    (q_.returning.push_back(columns.node()), ...);
    (this->template read_as<V>(), ...);
    return static_cast<Self&>(*this);
  }
  /// RETURNING every field (peewee's `returning(Model)`): `.returning(Item::c)`.
  template <class C>
  requires std::is_same_v<C, typename M::Columns> Self& returning(const C&) {
    for (ast::ExprPtr& column : this->every_field())
      q_.returning.push_back(std::move(column));
    return static_cast<Self&>(*this);
  }
  /// Runs it: the rows it changed.
  ring::Task<std::uint64_t> aio_execute() const {
    co_return co_await detail::run_count(M::tern_database(), q_);
  }
  /// Runs it and returns the RETURNING rows.
  ring::Task<ResultSet> aio_rows() const { return detail::run(M::tern_database(), q_); }
  /// aio_execute(), synchronously.
  std::uint64_t execute() const { return M::tern_database().run_sync(aio_execute()); }
  /// aio_rows(), synchronously.
  ResultSet rows() const { return M::tern_database().run_sync(aio_rows()); }
  /// The statement's AST.
  const ast::Query& ast() const noexcept { return q_; }

 protected:
  /// A statement of `kind` on M's table.
  explicit WriteClauses(ast::Query::Kind kind) {
    q_.kind = kind;
    q_.table = M::tern_meta().table;
  }

  ast::Query q_;  ///< The statement being built.
};

/// UPDATE of model M's table.
template <class M>
class Update : public WriteClauses<Update<M>, M> {
 public:
  Update() : WriteClauses<Update<M>, M>(ast::Query::Kind::kUpdate) {}
  /// SET column = value.
  template <class V, detail::ValueFor<V> U>
  Update& set(const Expr<V>& column, const U& value) {
    this->q_.assignments.emplace_back(column.node()->name, detail::to_param<V>(value));
    return *this;
  }
  /// SET column = expression.
  template <class V, class W>
  requires Comparable<V, W> Update& set(const Expr<V>& column, const Expr<W>& value) {
    this->q_.assignments.emplace_back(column.node()->name, value.node());
    return *this;
  }
  /// SET column = value, from a keyword argument: `set(Item::c.price = 12)`.
  template <class T>
  Update& set(const Assignment<M, T>& assignment) {
    this->q_.assignments.emplace_back(M::tern_meta().fields[assignment.field].column.name,
                                      detail::param(Value(assignment.value)));
    return *this;
  }
};

/// DELETE from model M's table.
template <class M>
class Delete : public WriteClauses<Delete<M>, M> {
 public:
  Delete() : WriteClauses<Delete<M>, M>(ast::Query::Kind::kDelete) {}
};

}  // namespace tern::orm
