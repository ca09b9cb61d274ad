// Models: a plain struct with ordinary data members, its columns declared once with
// TERN_MODEL. No per-row overhead: the description lives in one static ModelMeta per type.
//
//   struct PageBlock {
//     std::int64_t id{};
//     std::string key;
//     std::string text;
//     TERN_MODEL(PageBlock, database,
//       (id,   tern::AutoField{}),
//       (key,  tern::CharField{.max_length = 40, .unique = true}),
//       (text, tern::TextField{.default_value = ""}));
//   };
//   auto blocks = co_await PageBlock::select().where(PageBlock::c.key == "title").aio_execute();
//
// `database` is any expression naming the model's AioDatabase (an object, a reference, a
// pointer or a smart pointer), evaluated when a query runs. The table is the snake_case of the
// class name ("page_block") unless the class declares
// `static constexpr std::string_view table_name = "...";`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tern/db/database.hpp"
#include "tern/orm/expr.hpp"
#include "tern/orm/field.hpp"
#include "tern/orm/meta.hpp"
#include "tern/orm/query.hpp"
#include "tern/orm/signals.hpp"

namespace tern {

/// An index over several columns, declared in a model:
/// `static inline const std::vector<tern::Index> indexes = {{.columns = {"a", "b"}, .unique =
/// true}};`
using Index = orm::ast::IndexDef;

/// A typed column of model M holding a T (std::optional<T> for nullable columns): an
/// expression usable in queries, e.g. `PageBlock::c.key == "title"`.
template <class M, class T>
class Column : public orm::Expr<orm::value_type_of<T>> {
 public:
  /// Column `index` of M's fields.
  explicit Column(std::size_t index)
      : orm::Expr<orm::value_type_of<T>>(
            orm::detail::column_of(M::tern_meta(), M::tern_meta().fields.at(index))),
        index_(index) {}
  /// The position of the field in M's fields.
  std::size_t field_index() const noexcept { return index_; }

 private:
  std::size_t index_;
};

namespace orm::detail {
/// The database named in TERN_MODEL, whatever form it was given in.
inline AioDatabase& as_database(AioDatabase& db) noexcept {
  return db;
}
template <class P>
requires requires(P& p) {
  *p;
}
AioDatabase& as_database(P& p) {
  return *p;
}
/// The multi-column indexes a model declares
/// (`static inline const std::vector<tern::Index> indexes = {{.columns = {"a", "b"}}};`).
template <class M>
std::vector<ast::IndexDef> declared_indexes() {
  if constexpr (requires { M::indexes; }) {
    return std::vector<ast::IndexDef>(M::indexes.begin(), M::indexes.end());
  } else {
    return {};
  }
}
/// The columns of a composite primary key a model declares
/// (`static inline const std::vector<std::string> composite_key = {"a", "b"};`).
template <class M>
std::vector<std::string> declared_composite_key() {
  if constexpr (requires { M::composite_key; }) {
    return std::vector<std::string>(M::composite_key.begin(), M::composite_key.end());
  } else {
    return {};
  }
}
/// The table name a model declares, or "" for the default.
template <class M>
constexpr std::string_view declared_table_name() {
  if constexpr (requires { M::table_name; }) {
    return M::table_name;
  } else {
    return {};
  }
}
}  // namespace orm::detail

namespace orm::detail {
/// CREATE TABLE / DROP TABLE for a model, async and sync.
ring::Task<void> create_table(AioDatabase& db, const ModelMeta& meta, bool safe);
ring::Task<void> drop_table(AioDatabase& db, const ModelMeta& meta, bool safe,
                            bool cascade = false);
/// TRUNCATE TABLE (AioModel::aio_truncate_table).
ring::Task<void> truncate_table(AioDatabase& db, const ModelMeta& meta, bool restart_identity,
                                bool cascade);
/// AioModel::aio_bulk_create over type-erased objects.
ring::Task<std::uint64_t> bulk_create(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<void*> objects, std::size_t batch_size);
/// AioModel::aio_bulk_update over type-erased objects; `fields` are field indexes.
ring::Task<std::uint64_t> bulk_update(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<const void*> objects, std::size_t batch_size,
                                      std::vector<std::size_t> fields);
void create_table_sync(AioDatabase& db, const ModelMeta& meta, bool safe);
void drop_table_sync(AioDatabase& db, const ModelMeta& meta, bool safe);
/// UPDATE of the non-key fields of `object` by its primary key: every one, or those in `only`
/// (field indexes) when it is not empty.
ring::Task<std::uint64_t> update_by_pk(AioDatabase& db, const ModelMeta& meta, const void* object,
                                       std::vector<std::size_t> only = {});
/// DELETE of `object`'s row by its primary key. With `recursive`, first the rows of every
/// registered model that reference it (transitively, deepest first), as peewee's
/// delete_instance(recursive=True): nullable references are set to NULL instead unless
/// `delete_nullable`.
ring::Task<std::uint64_t> delete_by_pk(AioDatabase& db, const ModelMeta& meta, const void* object,
                                       bool recursive = false, bool delete_nullable = false);
/// `column = value AND ...` over fields of `meta` read from `object`.
ast::ExprPtr fields_condition(const ModelMeta& meta, const void* object,
                              const std::vector<std::size_t>& fields);
}  // namespace orm::detail

/// peewee-async's AioModel API for model M, as static functions. TERN_MODEL puts them on the
/// model itself (`PageBlock::aio_get(...)`, `block.aio_save()`), so a model stays a plain
/// aggregate (designated initializers work: `PageBlock{.key = "title"}`).
template <class M>
struct AioModel {
  /// The first row matching every condition; throws M::DoesNotExist when there is none:
  /// `aio_get(PageBlock::c.key == "title")`, `aio_get(c.a == 1, c.b == 2)`.
  template <class... C>
  requires(sizeof...(C) > 0 && (std::convertible_to<const C&, const orm::Expr<bool>&> &&
                                ...)) static ring::Task<M> aio_get(const C&... conditions) {
    return orm::Select<M>::get_where(all_of(conditions...));
  }
  /// The first row matching every condition, or nullopt.
  template <class... C>
  requires(sizeof...(C) > 0 &&
           (std::convertible_to<const C&, const orm::Expr<bool>&> &&
            ...)) static ring::Task<std::optional<M>> aio_get_or_none(const C&... conditions) {
    return orm::Select<M>::first_where(all_of(conditions...));
  }
  /// Inserts `object` and returns it with its generated key: `aio_create({.key = "title"})`.
  static ring::Task<M> aio_create(M object) {
    co_await aio_save(object, /*force_insert=*/true);
    co_return object;
  }
  /// The row whose `lookup` fields equal `object`'s, or `object` inserted when there is none;
  /// `.second` tells whether it was created. Race-safe as peewee's: the insert runs in a
  /// savepoint, and when a concurrent caller inserted first (IntegrityError on a unique key)
  /// the get is retried. `aio_get_or_create(block, PageBlock::c.key)`.
  template <class... T>
  requires(sizeof...(T) > 0) static ring::Task<std::pair<M, bool>> aio_get_or_create(
      M object, const Column<M, T>&... lookup) {
    const orm::Expr<bool> condition(
        orm::detail::fields_condition(M::tern_meta(), &object, {lookup.field_index()...}));
    std::optional<M> found = co_await aio_get_or_none(condition);
    if (found) co_return std::pair<M, bool>(std::move(*found), false);
    std::exception_ptr conflict;
    try {
      co_await M::tern_database().aio_atomic(
          [&]() -> ring::Task<void> { co_await aio_save(object, /*force_insert=*/true); });
    } catch (const IntegrityError&) {
      conflict = std::current_exception();  // re-read outside: no co_await in a handler
    }
    if (!conflict) co_return std::pair<M, bool>(std::move(object), true);
    found = co_await aio_get_or_none(condition);
    // Still nothing: the conflict was on another unique key than `lookup`.
    if (!found) std::rethrow_exception(conflict);
    co_return std::pair<M, bool>(std::move(*found), false);
  }
  /// Saves `self`: INSERT when its auto key is unset (or `force_insert`), else UPDATE by primary
  /// key of every other field, or only of the fields in `only`. Returns the rows affected.
  static ring::Task<std::uint64_t> aio_save(M& self, bool force_insert = false,
                                            std::vector<std::size_t> only = {}) {
    const orm::ModelMeta& meta = M::tern_meta();
    // An auto key still unset means a new row (composite keys are always given).
    const orm::FieldMeta* pk = meta.primary_key != orm::ModelMeta::kNoPrimaryKey
                                   ? &meta.fields[meta.primary_key]
                                   : nullptr;
    const bool generated = pk != nullptr && pk->unset != nullptr && pk->unset(&self);
    const bool insert = force_insert || generated;
    if (!aio_pre_save<M>().empty()) co_await aio_pre_save<M>().send(self, insert);
    std::uint64_t rows = 1;
    if (insert) {
      const std::optional<std::int64_t> id = co_await M::insert(self).aio_execute();
      if (generated && id && pk->set_id != nullptr) pk->set_id(&self, *id);
    } else {
      rows = co_await orm::detail::update_by_pk(M::tern_database(), meta, &self, std::move(only));
    }
    if (!aio_post_save<M>().empty()) co_await aio_post_save<M>().send(self, insert);
    co_return rows;
  }
  /// Deletes `self`'s row by primary key; returns the rows deleted. `recursive` first deletes
  /// (or, when nullable and not `delete_nullable`, detaches) the rows referencing it.
  static ring::Task<std::uint64_t> aio_delete_instance(const M& self, bool recursive = false,
                                                       bool delete_nullable = false) {
    if (!aio_pre_delete<M>().empty()) co_await aio_pre_delete<M>().send(self);
    const std::uint64_t rows = co_await orm::detail::delete_by_pk(
        M::tern_database(), M::tern_meta(), &self, recursive, delete_nullable);
    if (!aio_post_delete<M>().empty()) co_await aio_post_delete<M>().send(self);
    co_return rows;
  }
  /// Inserts `objects` in batches of `batch_size` rows (0: one statement), all in one
  /// transaction when there are several batches, and fills in their generated keys. Returns
  /// the rows inserted. Sends no signals (as peewee's bulk_create).
  static ring::Task<std::uint64_t> aio_bulk_create(std::vector<M>& objects,
                                                   std::size_t batch_size = 0) {
    std::vector<void*> pointers;
    pointers.reserve(objects.size());
    for (M& o : objects)
      pointers.push_back(&o);
    co_return co_await orm::detail::bulk_create(M::tern_database(), M::tern_meta(),
                                                std::move(pointers), batch_size);
  }
  /// UPDATE of the given fields of `objects` by primary key, `batch_size` rows per statement
  /// (0: one) as `SET f = CASE key WHEN k1 THEN v1 ... END WHERE key IN (k1, ...)`, in one
  /// transaction when there are several batches. Returns the rows updated.
  static ring::Task<std::uint64_t> aio_bulk_update(const std::vector<M>& objects,
                                                   std::size_t batch_size,
                                                   std::vector<std::size_t> fields) {
    std::vector<const void*> pointers;
    pointers.reserve(objects.size());
    for (const M& o : objects)
      pointers.push_back(&o);
    co_return co_await orm::detail::bulk_update(M::tern_database(), M::tern_meta(),
                                                std::move(pointers), batch_size, std::move(fields));
  }

  /// SELECT every field.
  static orm::Select<M> select() { return orm::Select<M>(); }
  /// INSERT one instance (its auto key is skipped while unset).
  static orm::Insert<M, false> insert(const M& object) { return orm::Insert<M, false>({&object}); }
  /// INSERT several instances in one statement.
  static orm::Insert<M, true> insert_many(const std::vector<M>& objects) {
    typename orm::Insert<M, true>::Objects pointers;
    pointers.reserve(objects.size());
    for (const M& o : objects)
      pointers.push_back(&o);
    return orm::Insert<M, true>(std::move(pointers));
  }
  /// UPDATE: `.set(column, value)...` then `.where(...)`.
  static orm::Update<M> update() { return orm::Update<M>(); }
  /// DELETE: `.where(...)` (without it, every row).
  static orm::Delete<M> delete_() { return orm::Delete<M>(); }

  /// CREATE TABLE [IF NOT EXISTS] and its indexes.
  static ring::Task<void> aio_create_table(bool safe = true) {
    co_await orm::detail::create_table(M::tern_database(), M::tern_meta(), safe);
  }
  /// DROP TABLE [IF EXISTS] [CASCADE (PostgreSQL)]. (peewee's drop_sequences has nothing to do:
  /// tern's auto keys are SERIAL / IDENTITY / AUTO_INCREMENT, dropped with their table.)
  static ring::Task<void> aio_drop_table(bool safe = true, bool cascade = false) {
    co_await orm::detail::drop_table(M::tern_database(), M::tern_meta(), safe, cascade);
  }
  /// TRUNCATE TABLE; PostgreSQL: [RESTART IDENTITY] [CASCADE] (MySQL always restarts the
  /// auto-increment; `cascade` there is NotSupportedError).
  static ring::Task<void> aio_truncate_table(bool restart_identity = false, bool cascade = false) {
    co_await orm::detail::truncate_table(M::tern_database(), M::tern_meta(), restart_identity,
                                         cascade);
  }
  /// True when M's table exists.
  static ring::Task<bool> aio_table_exists() {
    co_return co_await M::tern_database().aio_table_exists(M::tern_meta().table);
  }
  /// CREATE TABLE, synchronously (inside `allow_sync()`, as in the seed).
  static void create_table(bool safe = true) {
    orm::detail::create_table_sync(M::tern_database(), M::tern_meta(), safe);
  }
  /// DROP TABLE, synchronously.
  static void drop_table(bool safe = true) {
    orm::detail::drop_table_sync(M::tern_database(), M::tern_meta(), safe);
  }

 private:
  // The AND of the conditions, as where() builds it.
  template <class... C>
  static orm::ast::ExprPtr all_of(const C&... conditions) {
    orm::ast::ExprPtr all;
    ((all = orm::detail::and_(std::move(all),
                              static_cast<const orm::Expr<bool>&>(conditions).node())),
     ...);
    return all;
  }
};

/// peewee's backref: the Child rows whose foreign key references `parent`, as a select to refine
/// and run: `co_await tern::backref<Item>(category).order_by(Item::c.name).aio_execute()`.
template <class Child, class Parent>
orm::Select<Child> backref(const Parent& parent) {
  orm::Select<Child> q;
  q.where(orm::Expr<bool>(
      orm::detail::backref_condition(Child::tern_meta(), Parent::tern_meta(), &parent)));
  return q;
}

}  // namespace tern

// ---- TERN_MODEL ----

// Applies macro(context, item) to each item (up to 256), via the usual __VA_OPT__ recursion.
#define TERN_PARENS ()
#define TERN_EXPAND(...) TERN_EXPAND4(TERN_EXPAND4(TERN_EXPAND4(TERN_EXPAND4(__VA_ARGS__))))
#define TERN_EXPAND4(...) TERN_EXPAND3(TERN_EXPAND3(TERN_EXPAND3(TERN_EXPAND3(__VA_ARGS__))))
#define TERN_EXPAND3(...) TERN_EXPAND2(TERN_EXPAND2(TERN_EXPAND2(TERN_EXPAND2(__VA_ARGS__))))
#define TERN_EXPAND2(...) TERN_EXPAND1(TERN_EXPAND1(TERN_EXPAND1(TERN_EXPAND1(__VA_ARGS__))))
#define TERN_EXPAND1(...) __VA_ARGS__
#define TERN_FOR_EACH(macro, context, ...) \
  __VA_OPT__(TERN_EXPAND(TERN_FOR_EACH_STEP(macro, context, __VA_ARGS__)))
#define TERN_FOR_EACH_STEP(macro, context, item, ...) \
  macro(context, item) __VA_OPT__(TERN_FOR_EACH_AGAIN TERN_PARENS(macro, context, __VA_ARGS__))
#define TERN_FOR_EACH_AGAIN() TERN_FOR_EACH_STEP

// (member, FieldSpec{...}) → member / FieldSpec{...} (the spec may hold commas).
#define TERN_MEMBER_OF(member, ...) member
#define TERN_SPEC_OF(member, ...) __VA_ARGS__

#define TERN_MODEL_COLUMN(Type, item) \
  ::tern::Column<Type, decltype(Type::TERN_MEMBER_OF item)> TERN_MEMBER_OF item;
#define TERN_MODEL_COLUMN_INIT(Type, item) , TERN_MEMBER_OF item(tern_next_++)
#define TERN_STRINGIFY(x) TERN_STRINGIFY_(x)
#define TERN_STRINGIFY_(x) #x
#define TERN_MODEL_FIELD(Type, item)                                    \
  ::tern::orm::detail::make_field<&Type::TERN_MEMBER_OF item, Type,     \
                                  decltype(Type::TERN_MEMBER_OF item)>( \
      TERN_STRINGIFY(TERN_MEMBER_OF item), TERN_SPEC_OF item),

/// Declares a model's columns: TERN_MODEL(Type, database, (member, FieldSpec{...}), ...).
/// Generates `Type::c` (the typed columns), `Type::tern_meta()` and `Type::tern_database()`.
#define TERN_MODEL(Type, database, ...)                                                            \
  using DoesNotExist = ::tern::DoesNotExistFor<Type>;                                              \
  using tern_api = ::tern::AioModel<Type>;                                                         \
  static auto select() {                                                                           \
    return tern_api::select();                                                                     \
  }                                                                                                \
  template <class... V>                                                                            \
  requires(sizeof...(V) > 0) static auto select(const ::tern::orm::Expr<V>&... columns) {          \
    return ::tern::orm::Select<Type>(::tern::orm::ast::ExprList{columns.node()...});               \
  }                                                                                                \
  static auto insert(const Type& o) {                                                              \
    return tern_api::insert(o);                                                                    \
  }                                                                                                \
  static auto insert_many(const std::vector<Type>& o) {                                            \
    return tern_api::insert_many(o);                                                               \
  }                                                                                                \
  template <class Source, class... V>                                                              \
  static auto insert_from(const Source& source, const ::tern::orm::Expr<V>&... columns) {          \
    return ::tern::orm::InsertFrom<Type>(source, columns...);                                      \
  }                                                                                                \
  static auto update() {                                                                           \
    return tern_api::update();                                                                     \
  }                                                                                                \
  template <class... A>                                                                            \
  static auto raw(std::string sql, A&&... args) {                                                  \
    return ::tern::orm::Raw<Type>(std::move(sql),                                                  \
                                  ::tern::Params{::tern::Value(std::forward<A>(args))...});        \
  }                                                                                                \
  static auto delete_() {                                                                          \
    return tern_api::delete_();                                                                    \
  }                                                                                                \
  template <class... C>                                                                            \
  static auto aio_get(const C&... conditions) {                                                    \
    return tern_api::aio_get(conditions...);                                                       \
  }                                                                                                \
  template <class... C>                                                                            \
  static auto aio_get_or_none(const C&... conditions) {                                            \
    return tern_api::aio_get_or_none(conditions...);                                               \
  }                                                                                                \
  template <class... T>                                                                            \
  static auto aio_get_or_create(Type o, const ::tern::Column<Type, T>&... lookup) {                \
    return tern_api::aio_get_or_create(std::move(o), lookup...);                                   \
  }                                                                                                \
  static auto aio_create(Type o) {                                                                 \
    return tern_api::aio_create(std::move(o));                                                     \
  }                                                                                                \
  static auto aio_create_table(bool safe = true) {                                                 \
    return tern_api::aio_create_table(safe);                                                       \
  }                                                                                                \
  static auto aio_drop_table(bool safe = true, bool cascade = false) {                             \
    return tern_api::aio_drop_table(safe, cascade);                                                \
  }                                                                                                \
  static auto aio_truncate_table(bool restart_identity = false, bool cascade = false) {            \
    return tern_api::aio_truncate_table(restart_identity, cascade);                                \
  }                                                                                                \
  static auto aio_table_exists() {                                                                 \
    return tern_api::aio_table_exists();                                                           \
  }                                                                                                \
  static auto aio_bulk_create(std::vector<Type>& objects, std::size_t batch_size = 0) {            \
    return tern_api::aio_bulk_create(objects, batch_size);                                         \
  }                                                                                                \
  template <class... T>                                                                            \
  static auto aio_bulk_update(const std::vector<Type>& objects, std::size_t batch_size,            \
                              const ::tern::Column<Type, T>&... fields) {                          \
    return tern_api::aio_bulk_update(objects, batch_size, {fields.field_index()...});              \
  }                                                                                                \
  static void create_table(bool safe = true) {                                                     \
    tern_api::create_table(safe);                                                                  \
  }                                                                                                \
  static void drop_table(bool safe = true) {                                                       \
    tern_api::drop_table(safe);                                                                    \
  }                                                                                                \
  template <class... T>                                                                            \
  auto aio_save(bool force_insert = false, const ::tern::Column<Type, T>&... only) {               \
    return tern_api::aio_save(*this, force_insert, {only.field_index()...});                       \
  }                                                                                                \
  auto aio_delete_instance(bool recursive = false, bool delete_nullable = false) const {           \
    return tern_api::aio_delete_instance(*this, recursive, delete_nullable);                       \
  }                                                                                                \
  struct Columns {                                                                                 \
    std::size_t tern_next_ = 0;                                                                    \
    TERN_FOR_EACH(TERN_MODEL_COLUMN, Type, __VA_ARGS__)                                            \
    Columns() : tern_next_(0) TERN_FOR_EACH(TERN_MODEL_COLUMN_INIT, Type, __VA_ARGS__) {}          \
  };                                                                                               \
  static inline const Columns c{};                                                                 \
  static ::tern::AioDatabase& tern_database() {                                                    \
    return ::tern::orm::detail::as_database(database);                                             \
  }                                                                                                \
  static const ::tern::orm::ModelMeta& tern_meta() {                                               \
    static const ::tern::orm::ModelMeta meta(#Type,                                                \
                                             ::tern::orm::detail::declared_table_name<Type>(),     \
                                             {TERN_FOR_EACH(TERN_MODEL_FIELD, Type, __VA_ARGS__)}, \
                                             ::tern::orm::detail::declared_indexes<Type>(),        \
                                             ::tern::orm::detail::declared_composite_key<Type>()); \
    return meta;                                                                                   \
  }
