// Relations loaded on request: aio_fetch (one foreign key's target, peewee-async 2.1) and
// many-to-many through a model holding two foreign keys (peewee's ManyToManyField, which
// peewee-async never made async).
//
//   Author a = co_await tern::aio_fetch<Author>(book, Book::c.author_id);
//   const Author* cached = co_await tern::aio_fetch(book, Book::c.author_id, &Book::author);
//
//   struct StudentCourse { std::int64_t id; std::int64_t student_id; std::int64_t course_id; ...};
//   auto courses = tern::many_to_many<Course, StudentCourse>(student);
//   co_await courses.aio_add(math);                 // INSERT INTO student_course ...
//   std::vector<Course> all = co_await courses.aio_execute();
//   co_await courses.aio_remove(math);  co_await courses.aio_clear();
//
// The direction is given by the types: many_to_many<Student, StudentCourse>(course) lists a
// course's students through the same model. A through model with two foreign keys to the same
// model (a self-referencing many-to-many) is ambiguous and refused (InterfaceError).
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "tern/orm/model.hpp"

namespace tern {

namespace orm::detail {
/// `target.key = <object's field>` for the foreign key `field` of `model` referencing `target`;
/// nullptr when the field is NULL. InterfaceError when it is not such a foreign key.
ast::ExprPtr fetch_condition(const ModelMeta& model, const void* object, std::size_t field,
                             const ModelMeta& target);
/// The two foreign keys of a through model: to the source and to the target model.
struct ThroughLink {
  ForeignKey source;  ///< through.fk → source.key
  ForeignKey target;  ///< through.fk → target.key
};
/// Finds them; InterfaceError when either is missing or ambiguous.
ThroughLink through_link(const ModelMeta& through, const ModelMeta& source,
                         const ModelMeta& target);
/// INSERT INTO through (source_fk, target_fk) VALUES (source, t1), (source, t2)...
ast::Query through_insert(const ModelMeta& through, const ThroughLink& link, const Value& source,
                          const std::vector<Value>& targets);
/// DELETE FROM through WHERE source_fk = source [AND target_fk IN (targets)] (all when null).
ast::Query through_delete(const ModelMeta& through, const ThroughLink& link, const Value& source,
                          const std::vector<Value>* targets);
/// target.key IN (SELECT target_fk FROM through WHERE source_fk = source).
ast::ExprPtr through_condition(const ModelMeta& through, const ModelMeta& target,
                               const ThroughLink& link, const Value& source);

template <class T>
struct FetchResult {
  using type = T;
};
template <class T>
struct FetchResult<std::optional<T>> {
  using type = std::optional<T>;
};
template <class Cache>
struct CachedTarget;
template <class T>
struct CachedTarget<std::shared_ptr<const T>> {
  using type = T;
  static void store(std::shared_ptr<const T>& cache, T value) {
    cache = std::make_shared<const T>(std::move(value));
  }
};
template <class T>
struct CachedTarget<std::optional<T>> {
  using type = T;
  static void store(std::optional<T>& cache, T value) { cache = std::move(value); }
};
}  // namespace orm::detail

/// The Target row that `object`'s foreign key `fk` references, read now. A nullable key
/// (`std::optional` member) gives std::optional<Target> (empty for NULL); otherwise Target, or
/// Target::DoesNotExist. InterfaceError when `fk` is not a foreign key to Target.
template <class Target, class M, class T>
ring::Task<typename orm::detail::FetchResult<std::conditional_t<
    std::is_same_v<T, orm::value_type_of<T>>, Target, std::optional<Target>>>::type>
aio_fetch(const M& object, const Column<M, T>& fk) {
  const orm::ast::ExprPtr condition =
      orm::detail::fetch_condition(M::tern_meta(), &object, fk.field_index(), Target::tern_meta());
  if constexpr (std::is_same_v<T, orm::value_type_of<T>>) {
    co_return co_await Target::aio_get(orm::Expr<bool>(condition));
  } else {
    if (!condition) co_return std::nullopt;
    co_return co_await Target::aio_get_or_none(orm::Expr<bool>(condition));
  }
}

/// peewee-async 2.1's aio_fetch with its cache: the Target that `fk` references, kept in
/// the member `cache` of `object` (a `std::shared_ptr<const Target>` or `std::optional<Target>`). A
/// cached row whose key still matches is returned without a query. nullptr for a NULL key.
template <class M, class T, class Cache>
ring::Task<const typename orm::detail::CachedTarget<Cache>::type*> aio_fetch(M& object,
                                                                             const Column<M, T>& fk,
                                                                             Cache M::*cache) {
  using Target = typename orm::detail::CachedTarget<Cache>::type;
  const orm::FieldMeta& field = M::tern_meta().fields.at(fk.field_index());
  const Value wanted = field.get(&object);
  if (wanted.is_null()) co_return nullptr;
  Cache& slot = object.*cache;
  if (slot &&
      Target::tern_meta().fields.at(Target::tern_meta().primary_key).get(&*slot) == wanted) {
    co_return &*slot;
  }
  const orm::ast::ExprPtr condition =
      orm::detail::fetch_condition(M::tern_meta(), &object, fk.field_index(), Target::tern_meta());
  Target loaded = co_await Target::aio_get(orm::Expr<bool>(condition));
  orm::detail::CachedTarget<Cache>::store(slot, std::move(loaded));
  co_return &*slot;
}

/// The Target rows linked to one Source row through the Through model (see the file comment).
template <class Target, class Through, class Source>
class ManyToMany {
 public:
  /// The links of `source` (its key is read now).
  explicit ManyToMany(const Source& source)
      : link_(orm::detail::through_link(Through::tern_meta(), Source::tern_meta(),
                                        Target::tern_meta())),
        source_(link_.source.key->get(&source)) {}

  /// The linked Target rows, as a select to refine (order_by, where...).
  orm::Select<Target> select() const {
    orm::Select<Target> q;
    q.where(orm::Expr<bool>(
        orm::detail::through_condition(Through::tern_meta(), Target::tern_meta(), link_, source_)));
    return q;
  }
  /// The linked Target rows.
  ring::Task<std::vector<Target>> aio_execute() const {
    const orm::Select<Target> q = select();
    co_return co_await q.aio_execute();
  }
  /// Links `target`; returns the links made.
  ring::Task<std::uint64_t> aio_add(const Target& target) const {
    const std::vector<Target> one(1, target);  // GCC 12: no braced list inside co_await
    co_return co_await aio_add(one);
  }
  /// Links every one of `targets` in one INSERT.
  ring::Task<std::uint64_t> aio_add(const std::vector<Target>& targets) const {
    if (targets.empty()) co_return 0;
    const orm::ast::Query q =
        orm::detail::through_insert(Through::tern_meta(), link_, source_, keys(targets));
    co_return co_await orm::detail::run_count(Through::tern_database(), q);
  }
  /// Unlinks `target`; returns the links removed.
  ring::Task<std::uint64_t> aio_remove(const Target& target) const {
    const std::vector<Target> one(1, target);
    co_return co_await aio_remove(one);
  }
  /// Unlinks every one of `targets`.
  ring::Task<std::uint64_t> aio_remove(const std::vector<Target>& targets) const {
    if (targets.empty()) co_return 0;
    const std::vector<Value> k = keys(targets);
    const orm::ast::Query q = orm::detail::through_delete(Through::tern_meta(), link_, source_, &k);
    co_return co_await orm::detail::run_count(Through::tern_database(), q);
  }
  /// Removes every link of the source row.
  ring::Task<std::uint64_t> aio_clear() const {
    const orm::ast::Query q =
        orm::detail::through_delete(Through::tern_meta(), link_, source_, nullptr);
    co_return co_await orm::detail::run_count(Through::tern_database(), q);
  }

  // The sync twins, each its aio_ twin run with AioDatabase::run_sync.
  /// aio_execute(), synchronously.
  std::vector<Target> execute() const { return sync(aio_execute()); }
  /// aio_add(target), synchronously.
  std::uint64_t add(const Target& target) const { return sync(aio_add(target)); }
  /// aio_add(targets), synchronously.
  std::uint64_t add(const std::vector<Target>& targets) const { return sync(aio_add(targets)); }
  /// aio_remove(target), synchronously.
  std::uint64_t remove(const Target& target) const { return sync(aio_remove(target)); }
  /// aio_remove(targets), synchronously.
  std::uint64_t remove(const std::vector<Target>& targets) const {
    return sync(aio_remove(targets));
  }
  /// aio_clear(), synchronously.
  std::uint64_t clear() const { return sync(aio_clear()); }

 private:
  template <class T>
  static T sync(ring::Task<T> task) {
    return Through::tern_database().run_sync(std::move(task));
  }
  std::vector<Value> keys(const std::vector<Target>& targets) const {
    std::vector<Value> out;
    out.reserve(targets.size());
    for (const Target& t : targets)
      out.push_back(link_.target.key->get(&t));
    return out;
  }

  orm::detail::ThroughLink link_;
  Value source_;
};

/// `ManyToMany<Target, Through, Source>(source)`, with Source deduced.
template <class Target, class Through, class Source>
ManyToMany<Target, Through, Source> many_to_many(const Source& source) {
  return ManyToMany<Target, Through, Source>(source);
}

}  // namespace tern
