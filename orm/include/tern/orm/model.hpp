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

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
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
  /// `PageBlock::c.key = "title"`: a keyword argument (Assignment) holding a copy of `value`;
  /// the column itself is unchanged. A value the member cannot hold does not compile.
  template <class U>
  requires(std::is_constructible_v<T, U&&> &&
           !requires { typename std::remove_cvref_t<U>::tern_expr_tag; }) Assignment<M, T>
  operator=(U&& value) const { return Assignment<M, T>{index_, T(std::forward<U>(value))}; }

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
/// CREATE TABLE / DROP TABLE for a model.
ring::Task<void> create_table(AioDatabase& db, const ModelMeta& meta, bool safe);
ring::Task<void> drop_table(AioDatabase& db, const ModelMeta& meta, bool safe,
                            bool cascade = false);
/// TRUNCATE TABLE (Model::aio_truncate_table).
ring::Task<void> truncate_table(AioDatabase& db, const ModelMeta& meta, bool restart_identity,
                                bool cascade);
/// Model::aio_bulk_create over type-erased objects.
ring::Task<std::uint64_t> bulk_create(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<void*> objects, std::size_t batch_size);
/// Model::aio_bulk_update over type-erased objects; `fields` are field indexes.
ring::Task<std::uint64_t> bulk_update(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<const void*> objects, std::size_t batch_size,
                                      std::vector<std::size_t> fields);
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

/// peewee-async's AioModel API of model M: the model itself, whose TERN_MODEL declares it
/// (`tern::AioModel<PageBlock>::aio_get(...)` is `PageBlock::aio_get(...)`).
template <class M>
using AioModel = M;

namespace orm::detail {
/// True for the keyword arguments of model M's aio_get_or_create: assignments (the lookup)
/// and tern::defaults(...).
template <class A, class M>
inline constexpr bool kKeywordOf = false;
template <class M, class T>
inline constexpr bool kKeywordOf<Assignment<M, T>, M> = true;
template <class M, class... T>
inline constexpr bool kKeywordOf<Defaults<M, T...>, M> = true;
/// True for an Assignment (a lookup column of aio_get_or_create), false for Defaults.
template <class A>
inline constexpr bool kIsAssignment = false;
template <class M, class T>
inline constexpr bool kIsAssignment<Assignment<M, T>> = true;
/// T, named through G: a parameter or expression of type Deferred<T, G> in a member template
/// of T's class (G defaulted) is only checked when the template is used. clang checks the
/// non-dependent ones where the class is defined, when a member of T (a `std::vector<Child>`
/// that prefetch fills) may still be of an incomplete type; GCC waits.
template <class T, class... G>
struct Defer {
  using type = T;
};
template <class T, class... G>
using Deferred = typename Defer<T, G...>::type;
/// False, for any T: a static_assert that fires only when its template is instantiated.
template <class... T>
inline constexpr bool kNever = false;
/// The object keyword arguments describe, and the fields its Assignments name (the lookup of
/// aio_get_or_create; those of Defaults are set but not looked up).
template <class M>
struct KeywordObject {
  M object{};
  std::vector<std::size_t> lookup;
};
template <class M, class T>
void apply_keyword(KeywordObject<M>& k, const Assignment<M, T>& a) {
  a.apply(k.object);
  k.lookup.push_back(a.field);
}
template <class M, class... T>
void apply_keyword(KeywordObject<M>& k, const Defaults<M, T...>& d) {
  std::apply([&](const auto&... a) { (a.apply(k.object), ...); }, d.fields);
}
/// M{} (its default member initializers) with every keyword argument applied, in order.
template <class M, class... A>
KeywordObject<M> keyword_object(const A&... args) {
  KeywordObject<M> k;
  k.lookup.reserve(sizeof...(A));
  (apply_keyword(k, args), ...);
  return k;
}
}  // namespace orm::detail

/// A condition argument of Model::aio_get / aio_get_or_none: a boolean expression.
template <class C>
concept Condition = requires(const C& c) {
  { c } -> std::convertible_to<const orm::Expr<bool>&>;
};

// The bodies of the model API that TERN_MODEL declares (its AioModel API, after peewee-async):
// TERN_MODEL holds each public signature once, with one-line bodies; what takes more than a line
// lives here, as templates (instantiated only for the methods a program calls, and compile
// errors name a line of this file instead of the macro's one line).
namespace orm::detail {
/// The AND of the conditions, as where() builds it.
template <class... C>
ast::ExprPtr all_of(const C&... conditions) {
  ast::ExprPtr all;
  ((all = and_(std::move(all), static_cast<const Expr<bool>&>(conditions).node())), ...);
  return all;
}
/// Pointers to each of `objects`, in order, as the type-erased bulk paths take them.
template <class Pointers, class Objects>
Pointers pointers_to(Objects& objects) {
  Pointers pointers;
  pointers.reserve(objects.size());
  for (auto& o : objects)
    pointers.push_back(&o);
  return pointers;
}
/// Model::aio_save: INSERT when the auto key (or a default_factory key) is unset, or with
/// `force_insert`, else UPDATE by primary key of every other field or of the fields in `only`;
/// sends the save signals.
template <class M>
ring::Task<std::uint64_t> save(M& self, bool force_insert, std::vector<std::size_t> only) {
  const ModelMeta& meta = M::tern_meta();
  // An auto key still unset means a new row (composite keys are always given).
  const FieldMeta* pk =
      meta.primary_key != ModelMeta::kNoPrimaryKey ? &meta.fields[meta.primary_key] : nullptr;
  const bool generated = pk != nullptr && pk->unset != nullptr && pk->unset(&self);
  const bool insert = force_insert || generated;
  if (!aio_pre_save<M>().empty()) co_await aio_pre_save<M>().send(self, insert);
  std::uint64_t rows = 1;
  if (insert) {
    fill_defaults(meta, &self);  // a generated key is the object's before it is sent
    const std::optional<std::int64_t> id = co_await M::insert(self).aio_execute();
    if (generated && id && pk->set_id != nullptr) pk->set_id(&self, *id);
  } else {
    rows = co_await update_by_pk(M::tern_database(), meta, &self, std::move(only));
  }
  if (!aio_post_save<M>().empty()) co_await aio_post_save<M>().send(self, insert);
  co_return rows;
}
/// Model::aio_create: `object` inserted, with its generated key.
template <class M>
ring::Task<M> create(M object) {
  if (!aio_pre_save<M>().empty() || !aio_post_save<M>().empty()) {
    co_await save(object, /*force_insert=*/true, {});
    co_return object;
  }
  // save()'s insert without its frames: the statement is awaited here.
  AioDatabase& db = M::tern_database();
  const ModelMeta& meta = M::tern_meta();
  fill_defaults(meta, &object);
  const void* const objects[1] = {&object};
  const InsertStatement s = prepare_insert(meta, objects, 1, db.dialect(), false);
  const ResultSet r = co_await db.aio_execute_view(*s.sql, s.params);
  set_created_key(meta, &object, db.dialect(), r);
  co_return object;
}
/// Model::aio_get_or_create; `lookup` are field indexes. Race-safe as peewee's: the insert runs
/// in a savepoint, and when a concurrent caller inserted first (IntegrityError on a unique key)
/// the get is retried.
template <class M>
ring::Task<std::pair<M, bool>> get_or_create(M object, std::vector<std::size_t> lookup) {
  const Expr<bool> condition(fields_condition(M::tern_meta(), &object, lookup));
  std::optional<M> found =
      co_await Select<M>::template get_where<IfNone::kNullopt>(condition.node());
  if (found) co_return std::pair<M, bool>(std::move(*found), false);
  std::exception_ptr conflict;
  try {
    co_await M::tern_database().aio_atomic(
        [&]() -> ring::Task<void> { co_await save(object, /*force_insert=*/true, {}); });
  } catch (const IntegrityError&) {
    conflict = std::current_exception();  // re-read outside: no co_await in a handler
  }
  if (!conflict) co_return std::pair<M, bool>(std::move(object), true);
  found = co_await Select<M>::template get_where<IfNone::kNullopt>(condition.node());
  // Still nothing: the conflict was on another unique key than `lookup`.
  if (!found) std::rethrow_exception(conflict);
  co_return std::pair<M, bool>(std::move(*found), false);
}
/// Model::get_id<K...>(): `object`'s key typed as KeyOf<M, K...>.
template <class M, class... K>
KeyOf<M, K...> get_id(const M& object) {
  const ModelMeta& meta = M::tern_meta();
  check_key_types(meta, key_types<M, K...>(), "get_id");
  // The members hold the types checked: read them in place.
  const auto member = [&]<class V>(std::size_t i) -> const V& {
    const FieldMeta& f = meta.fields[meta.key[i]];
    const void* value = f.value_address(&object);
    if (value == nullptr)
      throw InterfaceError("model " + meta.name + ": its key " + f.member + " is NULL");
    return *static_cast<const V*>(value);
  };
  if constexpr (sizeof...(K) <= 1) {
    return member.template operator()<KeyOf<M, K...>>(0);
  } else {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<K...>(member.template operator()<K>(I)...);
    }
    (std::index_sequence_for<K...>{});
  }
}
/// Model::aio_delete_instance, between the delete signals.
template <class M>
ring::Task<std::uint64_t> delete_instance(const M& self, bool recursive, bool delete_nullable) {
  if (!aio_pre_delete<M>().empty()) co_await aio_pre_delete<M>().send(self);
  const std::uint64_t rows =
      co_await delete_by_pk(M::tern_database(), M::tern_meta(), &self, recursive, delete_nullable);
  if (!aio_post_delete<M>().empty()) co_await aio_post_delete<M>().send(self);
  co_return rows;
}
}  // namespace orm::detail

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
#define TERN_MODEL_FIELD_DECL(Type, item) \
  , ::tern::orm::detail::FieldDecl<decltype(Type::TERN_MEMBER_OF item), decltype(TERN_SPEC_OF item)>
#define TERN_STRINGIFY(x) TERN_STRINGIFY_(x)
#define TERN_STRINGIFY_(x) #x
#define TERN_MODEL_FIELD(Type, item)                                    \
  ::tern::orm::detail::make_field<&Type::TERN_MEMBER_OF item, Type,     \
                                  decltype(Type::TERN_MEMBER_OF item)>( \
      TERN_STRINGIFY(TERN_MEMBER_OF item), TERN_SPEC_OF item),

// The model API's calls that take a model object by value (aio_create, aio_get_or_create) or
// keep it (insert, insert_many). GCC before 13 destroys a braced temporary argument of a call
// inside co_await twice (`co_await M::aio_create({.key = "title"})`: silent memory
// corruption, docs/troubleshooting.md). Overload resolution cannot tell a braced list from
// another rvalue, so there an rvalue object does not compile (a static_assert naming the safe
// forms): a named object, or the keyword form `M::aio_create(M::c.key = "title")`. Elsewhere
// an rvalue is taken by value, and insert / insert_many keep it in the statement (a statement
// stored and run later does not refer to a temporary).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define TERN_BRACED_MESSAGE                                                                   \
  "GCC < 13 destroys a braced temporary argument inside co_await twice: name the object "     \
  "(`M object{...}; co_await M::aio_create(object);`) or use the keyword form "               \
  "`M::aio_create(M::c.key = \"title\", M::c.text = \"...\")`, `M::insert(M::c.key = ...)`, " \
  "`M::aio_get_or_create(M::c.key = ..., tern::defaults(M::c.text = ...))`"
#define TERN_MODEL_RVALUE_ARGUMENTS(Type)                                                        \
  /** Inserts `object` (copied) and returns it with its generated key: `aio_create(block)`. */   \
  static ::tern::ring::Task<Type> aio_create(const Type& object) {                               \
    return ::tern::orm::detail::create(object);                                                  \
  }                                                                                              \
  /** Refused: see TERN_MODEL_RVALUE_ARGUMENTS. */                                               \
  template <class G = void>                                                                      \
  static ::tern::ring::Task<Type> aio_create(Type&& object) {                                    \
    static_assert(::tern::orm::detail::kNever<G>, TERN_BRACED_MESSAGE);                          \
    return aio_create(static_cast<const Type&>(object));                                         \
  }                                                                                              \
  /** See aio_get_or_create's keyword form below; `object` is copied. */                         \
  template <class... T>                                                                          \
  requires(sizeof...(T) > 0) static ::tern::ring::Task<std::pair<Type, bool>> aio_get_or_create( \
      const Type& object, const ::tern::Column<Type, T>&... lookup) {                            \
    return ::tern::orm::detail::get_or_create(object, {lookup.field_index()...});                \
  }                                                                                              \
  /** Refused: see TERN_MODEL_RVALUE_ARGUMENTS. */                                               \
  template <class... T>                                                                          \
  requires(sizeof...(T) > 0) static ::tern::ring::Task<std::pair<Type, bool>> aio_get_or_create( \
      Type&& object, const ::tern::Column<Type, T>&... lookup) {                                 \
    static_assert(::tern::orm::detail::kNever<T...>, TERN_BRACED_MESSAGE);                       \
    return aio_get_or_create(static_cast<const Type&>(object), lookup...);                       \
  }                                                                                              \
  /** Refused: see TERN_MODEL_RVALUE_ARGUMENTS. */                                               \
  template <class G = void>                                                                      \
  static ::tern::orm::Insert<Type, false> insert(Type&& object) {                                \
    static_assert(::tern::orm::detail::kNever<G>, TERN_BRACED_MESSAGE);                          \
    return insert(static_cast<const Type&>(object));                                             \
  }                                                                                              \
  /** Refused: see TERN_MODEL_RVALUE_ARGUMENTS. */                                               \
  template <class G = void>                                                                      \
  static ::tern::orm::Insert<Type, true> insert_many(std::vector<Type>&& objects) {              \
    static_assert(::tern::orm::detail::kNever<G>, TERN_BRACED_MESSAGE);                          \
    return insert_many(static_cast<const std::vector<Type>&>(objects));                          \
  }
#else
#define TERN_MODEL_RVALUE_ARGUMENTS(Type)                                                        \
  /** Inserts `object` and returns it with its generated key: `aio_create(block)` (a template */ \
  /** for detail::Deferred). */                                                                  \
  template <class G = void>                                                                      \
  static ::tern::ring::Task<Type> aio_create(::tern::orm::detail::Deferred<Type, G> object) {    \
    return ::tern::orm::detail::create(std::move(object));                                       \
  }                                                                                              \
  /** See aio_get_or_create's keyword form below. */                                             \
  template <class... T>                                                                          \
  requires(sizeof...(T) > 0) static ::tern::ring::Task<std::pair<Type, bool>> aio_get_or_create( \
      ::tern::orm::detail::Deferred<Type, ::tern::Column<Type, T>...> object,                    \
      const ::tern::Column<Type, T>&... lookup) {                                                \
    return ::tern::orm::detail::get_or_create(std::move(object), {lookup.field_index()...});     \
  }                                                                                              \
  /** INSERT of `object`, kept by the statement (a template: instantiated when used, once */     \
  /** every model a member holds is complete). */                                                \
  template <class G = void>                                                                      \
  static ::tern::orm::Insert<Type, false> insert(Type&& object) {                                \
    return ::tern::orm::Insert<Type, false>(                                                     \
        std::vector<::tern::orm::detail::Deferred<Type, G>>(1, std::move(object)));              \
  }                                                                                              \
  /** INSERT of `objects`, kept by the statement. */                                             \
  template <class G = void>                                                                      \
  static ::tern::orm::Insert<Type, true> insert_many(                                            \
      std::vector<::tern::orm::detail::Deferred<Type, G>>&& objects) {                           \
    return ::tern::orm::Insert<Type, true>(std::move(objects));                                  \
  }
#endif

/// Declares a model's columns: TERN_MODEL(Type, database, (member, FieldSpec{...}), ...).
/// Generates `Type::c` (the typed columns), `Type::tern_meta()`, `Type::tern_database()` and
/// the model API (peewee-async's AioModel), each documented where it is declared below:
/// queries `select`, `insert`, `insert_many`, `insert_from`, `update`, `delete_`, `raw`; rows
/// `aio_get`, `aio_get_or_none`, `aio_get_or_create`, `aio_create`, `aio_bulk_create`,
/// `aio_bulk_update`; instances `aio_save`, `aio_delete_instance`; tables `aio_create_table`,
/// `aio_drop_table`, `aio_truncate_table`, `aio_table_exists`, `create_table`, `drop_table`.
/// Each is written once, here; the longer bodies live in orm::detail above.
#define TERN_MODEL(Type, database, ...)                                                            \
  using DoesNotExist = ::tern::DoesNotExistFor<Type>;                                              \
  /** The key's type when it is an auto field, else void: what get_id() returns untyped. */        \
  using tern_auto_key =                                                                            \
      ::tern::orm::detail::AutoKey<void TERN_FOR_EACH(TERN_MODEL_FIELD_DECL, Type, __VA_ARGS__)>;  \
  /** peewee's get_id(): this instance's key. An auto key's type without template arguments; */    \
  /** else the key members' value types, `get_id<tern::Uuid>()`, or for a composite key a */       \
  /** std::tuple in its column order, `get_id<std::int64_t, std::string>()` (InterfaceError */     \
  /** when they are not the key's). */                                                             \
  template <class... K>                                                                            \
  ::tern::orm::detail::KeyOf<Type, K...> get_id() const {                                          \
    return ::tern::orm::detail::get_id<Type, K...>(*this);                                         \
  }                                                                                                \
  /** SELECT every field. */                                                                       \
  static ::tern::orm::Select<Type> select() {                                                      \
    return ::tern::orm::Select<Type>();                                                            \
  }                                                                                                \
  /** SELECT of the given expressions (read with aio_tuples / aio_scalar / aio_rows). */           \
  template <class... V>                                                                            \
  requires(sizeof...(V) > 0) static ::tern::orm::Select<Type> select(                              \
      const ::tern::orm::Expr<V>&... columns) {                                                    \
    return ::tern::orm::Select<Type>(::tern::orm::ast::ExprList{columns.node()...},                \
                                     {::tern::orm::detail::reader_for<V>()...});                   \
  }                                                                                                \
  /** INSERT one instance (its auto key is skipped while unset); `object` must outlive the */      \
  /** statement (an rvalue is kept by it: see TERN_MODEL_RVALUE_ARGUMENTS). */                     \
  static ::tern::orm::Insert<Type, false> insert(const Type& object) {                             \
    return ::tern::orm::Insert<Type, false>({&object});                                            \
  }                                                                                                \
  /** INSERT of the keyword form: `insert(PageBlock::c.key = "title")`, kept by the statement. */  \
  template <class... T>                                                                            \
  requires(sizeof...(T) > 0) static ::tern::orm::Insert<Type, false> insert(                       \
      const ::tern::Assignment<Type, T>&... fields) {                                              \
    return ::tern::orm::Insert<Type, false>(                                                       \
        std::vector<Type>(1, ::tern::orm::detail::keyword_object<Type>(fields...).object));        \
  }                                                                                                \
  /** INSERT several instances in one statement; `objects` must outlive it. */                     \
  static ::tern::orm::Insert<Type, true> insert_many(const std::vector<Type>& objects) {           \
    return ::tern::orm::Insert<Type, true>(                                                        \
        ::tern::orm::detail::pointers_to<typename ::tern::orm::Insert<Type, true>::Objects>(       \
            objects));                                                                             \
  }                                                                                                \
  /** INSERT INTO Type (columns...) SELECT ...: the rows of `source`. */                           \
  template <class Source, class... V>                                                              \
  static ::tern::orm::InsertFrom<Type> insert_from(const Source& source,                           \
                                                   const ::tern::orm::Expr<V>&... columns) {       \
    return ::tern::orm::InsertFrom<Type>(source, columns...);                                      \
  }                                                                                                \
  /** UPDATE: `.set(column, value)...` then `.where(...)`. */                                      \
  static ::tern::orm::Update<Type> update() {                                                      \
    return ::tern::orm::Update<Type>();                                                            \
  }                                                                                                \
  /** UPDATE of the keyword form: `update(Item::c.price = 12, Item::c.name = "x").where(...)`. */  \
  template <class... T>                                                                            \
  requires(sizeof...(T) > 0) static ::tern::orm::Update<Type> update(                              \
      const ::tern::Assignment<Type, T>&... fields) {                                              \
    ::tern::orm::Update<Type> u;                                                                   \
    (u.set(fields), ...);                                                                          \
    return u;                                                                                      \
  }                                                                                                \
  /** DELETE: `.where(...)` (without it, every row). */                                            \
  static ::tern::orm::Delete<Type> delete_() {                                                     \
    return ::tern::orm::Delete<Type>();                                                            \
  }                                                                                                \
  /** Raw SQL with `args` bound to its placeholders, read as models. */                            \
  template <class... A>                                                                            \
  static ::tern::orm::Raw<Type> raw(std::string sql, A&&... args) {                                \
    return ::tern::orm::Raw<Type>(std::move(sql),                                                  \
                                  ::tern::Params{::tern::Value(std::forward<A>(args))...});        \
  }                                                                                                \
  /** The first row matching every condition; throws DoesNotExist when there is none: */           \
  /** `aio_get(Type::c.key == "title")`, `aio_get(c.a == 1, c.b == 2)`. */                         \
  template <::tern::Condition... C>                                                                \
  requires(sizeof...(C) > 0) static ::tern::ring::Task<Type> aio_get(const C&... conditions) {     \
    return ::tern::orm::Select<Type>::template get_where<::tern::orm::IfNone::kThrow>(             \
        ::tern::orm::detail::all_of(conditions...));                                               \
  }                                                                                                \
  /** The first row matching every condition, or nullopt. */                                       \
  template <::tern::Condition... C>                                                                \
  requires(sizeof...(C) > 0) static ::tern::ring::Task<std::optional<Type>> aio_get_or_none(       \
      const C&... conditions) {                                                                    \
    return ::tern::orm::Select<Type>::template get_where<::tern::orm::IfNone::kNullopt>(           \
        ::tern::orm::detail::all_of(conditions...));                                               \
  }                                                                                                \
  /** The row whose `lookup` fields equal `object`'s, or `object` inserted when there is none; */  \
  /** `.second` tells whether it was created (race-safe: see detail::get_or_create). */            \
  /** (GCC < 13: `object` is named, see TERN_MODEL_RVALUE_ARGUMENTS.) */                           \
  TERN_MODEL_RVALUE_ARGUMENTS(Type)                                                                \
  /** peewee's keyword form: the row whose columns equal the assignments, or one created with */   \
  /** them and the `tern::defaults(...)`: `aio_get_or_create(PageBlock::c.key = "title", */        \
  /** tern::defaults(PageBlock::c.text = "..."))`. */                                              \
  template <class... A>                                                                            \
  requires((::tern::orm::detail::kKeywordOf<A, Type> && ...) &&                                    \
           (::tern::orm::detail::kIsAssignment<A> ||                                               \
            ...)) static ::tern::ring::Task<std::pair<Type, bool>>                                 \
  aio_get_or_create(const A&... args) {                                                            \
    auto k = ::tern::orm::detail::keyword_object<Type>(args...); /* dependent: Deferred's why */   \
    return ::tern::orm::detail::get_or_create(std::move(k.object), std::move(k.lookup));           \
  }                                                                                                \
  /** peewee's keyword form of create: `aio_create(PageBlock::c.key = "title", */                  \
  /** PageBlock::c.text = "...")`, the other members as their default initializers leave them. */  \
  template <class... T>                                                                            \
  requires(sizeof...(T) > 0) static ::tern::ring::Task<Type> aio_create(                           \
      const ::tern::Assignment<Type, T>&... fields) {                                              \
    return ::tern::orm::detail::create(                                                            \
        ::tern::orm::detail::keyword_object<Type>(fields...).object);                              \
  }                                                                                                \
  /** Inserts `objects` in batches of `batch_size` rows (0: one statement), all in one */          \
  /** transaction when there are several, and fills in their generated keys. Returns the rows */   \
  /** inserted. Sends no signals (as peewee's bulk_create). */                                     \
  static ::tern::ring::Task<std::uint64_t> aio_bulk_create(std::vector<Type>& objects,             \
                                                           std::size_t batch_size = 0) {           \
    return ::tern::orm::detail::bulk_create(                                                       \
        tern_database(), tern_meta(),                                                              \
        ::tern::orm::detail::pointers_to<std::vector<void*>>(objects), batch_size);                \
  }                                                                                                \
  /** UPDATE of the given fields of `objects` by primary key, `batch_size` rows per statement */   \
  /** (0: one) as `SET f = CASE key WHEN k1 THEN v1 ... END WHERE key IN (k1, ...)`, in one */     \
  /** transaction when there are several batches. Returns the rows updated. */                     \
  template <class... T>                                                                            \
  static ::tern::ring::Task<std::uint64_t> aio_bulk_update(                                        \
      const std::vector<Type>& objects, std::size_t batch_size,                                    \
      const ::tern::Column<Type, T>&... fields) {                                                  \
    return ::tern::orm::detail::bulk_update(                                                       \
        tern_database(), tern_meta(),                                                              \
        ::tern::orm::detail::pointers_to<std::vector<const void*>>(objects), batch_size,           \
        {fields.field_index()...});                                                                \
  }                                                                                                \
  /** Saves this instance: INSERT when its auto key, or a key with a default_factory, is unset */  \
  /** (or with `force_insert`), else UPDATE */                                                     \
  /** by primary key of every other field, or only of the `only` columns. Returns the rows */      \
  /** affected. */                                                                                 \
  template <class... T>                                                                            \
  ::tern::ring::Task<std::uint64_t> aio_save(bool force_insert = false,                            \
                                             const ::tern::Column<Type, T>&... only) {             \
    return ::tern::orm::detail::save(*this, force_insert, {only.field_index()...});                \
  }                                                                                                \
  /** Deletes this instance's row by primary key; returns the rows deleted. `recursive` first */   \
  /** deletes (or, when nullable and not `delete_nullable`, detaches) the rows referencing it. */  \
  ::tern::ring::Task<std::uint64_t> aio_delete_instance(bool recursive = false,                    \
                                                        bool delete_nullable = false) const {      \
    return ::tern::orm::detail::delete_instance(*this, recursive, delete_nullable);                \
  }                                                                                                \
  /** CREATE TABLE [IF NOT EXISTS] and its indexes. */                                             \
  static ::tern::ring::Task<void> aio_create_table(bool safe = true) {                             \
    return ::tern::orm::detail::create_table(tern_database(), tern_meta(), safe);                  \
  }                                                                                                \
  /** DROP TABLE [IF EXISTS] [CASCADE (PostgreSQL)]. (peewee's drop_sequences has nothing to */    \
  /** do: auto keys are SERIAL / IDENTITY / AUTO_INCREMENT, dropped with their table.) */          \
  static ::tern::ring::Task<void> aio_drop_table(bool safe = true, bool cascade = false) {         \
    return ::tern::orm::detail::drop_table(tern_database(), tern_meta(), safe, cascade);           \
  }                                                                                                \
  /** TRUNCATE TABLE; PostgreSQL: [RESTART IDENTITY] [CASCADE] (MySQL always restarts the */       \
  /** auto-increment; `cascade` there is NotSupportedError). */                                    \
  static ::tern::ring::Task<void> aio_truncate_table(bool restart_identity = false,                \
                                                     bool cascade = false) {                       \
    return ::tern::orm::detail::truncate_table(tern_database(), tern_meta(), restart_identity,     \
                                               cascade);                                           \
  }                                                                                                \
  /** True when the model's table exists. */                                                       \
  static ::tern::ring::Task<bool> aio_table_exists() {                                             \
    return tern_database().aio_table_exists(tern_meta().table);                                    \
  }                                                                                                \
  /* The sync twins, peewee's names (inside `allow_sync()`, as in the seed): each runs its aio_ */ \
  /* twin on the database's sync connection (AioDatabase::run_sync; InterfaceError outside */      \
  /* allow_sync). */                                                                               \
  /** aio_get, synchronously. */                                                                   \
  template <::tern::Condition... C>                                                                \
  requires(sizeof...(C) > 0) static Type get(const C&... conditions) {                             \
    return tern_database().run_sync(aio_get(conditions...));                                       \
  }                                                                                                \
  /** aio_get_or_none, synchronously: a std::optional<Type> (`auto`: see detail::Deferred). */     \
  template <::tern::Condition... C>                                                                \
  requires(sizeof...(C) > 0) static auto get_or_none(const C&... conditions) {                     \
    return tern_database().run_sync(aio_get_or_none(conditions...));                               \
  }                                                                                                \
  /** aio_get_or_create, synchronously: a std::pair<Type, bool> (`auto`: see detail::Deferred). */ \
  template <class... T>                                                                            \
  requires(sizeof...(T) > 0) static auto get_or_create(                                            \
      ::tern::orm::detail::Deferred<Type, ::tern::Column<Type, T>...> object,                      \
      const ::tern::Column<Type, T>&... lookup) {                                                  \
    return tern_database().run_sync(                                                               \
        ::tern::orm::detail::get_or_create(std::move(object), {lookup.field_index()...}));         \
  }                                                                                                \
  /** aio_get_or_create's keyword form, synchronously. */                                          \
  template <class... A>                                                                            \
  requires((::tern::orm::detail::kKeywordOf<A, Type> && ...) &&                                    \
           (::tern::orm::detail::kIsAssignment<A> || ...)) static auto                             \
  get_or_create(const A&... args) {                                                                \
    return tern_database().run_sync(aio_get_or_create(args...));                                   \
  }                                                                                                \
  /** aio_create, synchronously. */                                                                \
  template <class G = void>                                                                        \
  static Type create(::tern::orm::detail::Deferred<Type, G> object) {                              \
    return tern_database().run_sync(::tern::orm::detail::create(std::move(object)));               \
  }                                                                                                \
  /** aio_create's keyword form, synchronously. */                                                 \
  template <class... T>                                                                            \
  requires(sizeof...(T) > 0) static Type create(const ::tern::Assignment<Type, T>&... fields) {    \
    return tern_database().run_sync(aio_create(fields...));                                        \
  }                                                                                                \
  /** aio_bulk_create, synchronously. */                                                           \
  static std::uint64_t bulk_create(std::vector<Type>& objects, std::size_t batch_size = 0) {       \
    return tern_database().run_sync(aio_bulk_create(objects, batch_size));                         \
  }                                                                                                \
  /** aio_bulk_update, synchronously. */                                                           \
  template <class... T>                                                                            \
  static std::uint64_t bulk_update(const std::vector<Type>& objects, std::size_t batch_size,       \
                                   const ::tern::Column<Type, T>&... fields) {                     \
    return tern_database().run_sync(aio_bulk_update(objects, batch_size, fields...));              \
  }                                                                                                \
  /** aio_save, synchronously. */                                                                  \
  template <class... T>                                                                            \
  std::uint64_t save(bool force_insert = false, const ::tern::Column<Type, T>&... only) {          \
    return tern_database().run_sync(aio_save(force_insert, only...));                              \
  }                                                                                                \
  /** aio_delete_instance, synchronously. */                                                       \
  std::uint64_t delete_instance(bool recursive = false, bool delete_nullable = false) const {      \
    return tern_database().run_sync(aio_delete_instance(recursive, delete_nullable));              \
  }                                                                                                \
  /** aio_create_table, synchronously. */                                                          \
  static void create_table(bool safe = true) {                                                     \
    tern_database().run_sync(aio_create_table(safe));                                              \
  }                                                                                                \
  /** aio_drop_table, synchronously. */                                                            \
  static void drop_table(bool safe = true, bool cascade = false) {                                 \
    tern_database().run_sync(aio_drop_table(safe, cascade));                                       \
  }                                                                                                \
  /** aio_truncate_table, synchronously. */                                                        \
  static void truncate_table(bool restart_identity = false, bool cascade = false) {                \
    tern_database().run_sync(aio_truncate_table(restart_identity, cascade));                       \
  }                                                                                                \
  /** aio_table_exists, synchronously. */                                                          \
  static bool table_exists() {                                                                     \
    return tern_database().run_sync(aio_table_exists());                                           \
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
