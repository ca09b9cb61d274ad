// aio_prefetch: peewee's prefetch(). One query per subquery loads the related rows of every
// object of a query, and attaches them to the objects that own them, through members the
// caller names:
//
//   struct Category { ...; std::vector<Item> items; };              // not a column
//   struct Item { ...; std::int64_t category_id; std::shared_ptr<const Category> category; };
//
//   std::vector<Category> cats = co_await tern::aio_prefetch(
//       Category::select().where(...),
//       tern::into(&Category::items, Item::select().order_by(Item::c.name)));
//   // cats[i].items: the category's items, in the subquery's order
//
// A std::vector<Child> member receives the rows whose foreign key references the owner (one
// to many); a std::shared_ptr<const Parent> or std::optional<Parent> member receives the row
// the owner's foreign key references (many to one). Each subquery's owner is the first query's
// model or the model of an earlier subquery, so that chains (categories → items → tags) load in
// one query per level. PrefetchType::kWhere restricts a subquery with
// `fk IN (SELECT key FROM (owner query))`, kJoin with a join to the owner query's distinct keys.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tern/orm/query.hpp"

namespace tern {

/// How aio_prefetch restricts each subquery to the rows related to the owner query.
enum class PrefetchType { kWhere, kJoin };

namespace orm::detail {

/// The foreign key between an owner and the model attached to it: `owner_field` of the owner
/// equals `target_field` of the target.
struct PrefetchLink {
  std::size_t owner_field = 0;
  std::size_t target_field = 0;
};
/// Finds the one foreign key: in `target` referencing `owner` when `to_many`, in `owner`
/// referencing `target` otherwise. Throws InterfaceError for none or several.
PrefetchLink prefetch_link(const ModelMeta& owner, const ModelMeta& target, bool to_many);
/// `target_query` restricted to the rows related to `owner_query`'s.
ast::Query prefetch_restrict(const ast::Query& target_query, const ModelMeta& target,
                             const ast::Query& owner_query, const ModelMeta& owner,
                             const PrefetchLink& link, PrefetchType type, std::size_t step);
/// A hashable key for a key column's value (integers, text, UUIDs).
std::string prefetch_key(const Value& value);

/// The vector of `Model`s loaded by one step, as the owner of later steps sees it.
struct LoadedRows {
  const ModelMeta* meta = nullptr;
  ast::Query query;
  std::shared_ptr<void> rows;  // std::vector<Model>
};

template <class T>
struct ManyToOne : std::false_type {
  using target = void;
};
template <class T>
struct ManyToOne<std::shared_ptr<const T>> : std::true_type {
  using target = T;
};
template <class T>
struct ManyToOne<std::optional<T>> : std::true_type {
  using target = T;
};

}  // namespace orm::detail

/// One subquery of aio_prefetch: the rows of `query`, attached to `member` of their owners.
template <class Owner, class Member, class Target>
struct PrefetchInto {
  Member Owner::*member;      ///< where the rows go in each owner
  orm::Select<Target> query;  ///< the rows to attach
};

/// `query`'s rows go into `member` of the objects that own them (see aio_prefetch).
template <class Owner, class Member, class Target>
PrefetchInto<Owner, Member, Target> into(Member Owner::*member, orm::Select<Target> query) {
  constexpr bool to_many = std::is_same_v<Member, std::vector<Target>>;
  static_assert(to_many || std::is_same_v<typename orm::detail::ManyToOne<Member>::target, Target>,
                "the member must be std::vector<Target>, std::shared_ptr<const Target> or "
                "std::optional<Target>");
  return {member, std::move(query)};
}

namespace orm::detail {

// The last loaded rows of model `meta` among the first `count`, or nullptr.
const LoadedRows* prefetch_owner(const std::vector<LoadedRows>& loaded, const ModelMeta& meta,
                                 std::size_t count);

// Runs one subquery restricted to its owners' rows (loaded by an earlier step).
template <class Owner, class Member, class Target>
ring::Task<void> prefetch_load(const PrefetchInto<Owner, Member, Target>& step, PrefetchType type,
                               std::vector<LoadedRows>& loaded) {
  const LoadedRows* owner = prefetch_owner(loaded, Owner::tern_meta(), loaded.size());
  constexpr bool to_many = std::is_same_v<Member, std::vector<Target>>;
  const PrefetchLink link = prefetch_link(Owner::tern_meta(), Target::tern_meta(), to_many);
  ast::Query q = prefetch_restrict(step.query.ast(), Target::tern_meta(), owner->query,
                                   Owner::tern_meta(), link, type, loaded.size());
  auto rows = std::make_shared<std::vector<Target>>();
  const ModelRows<Target> models(co_await detail::run(Target::tern_database(), q));
  rows->reserve(models.size());
  for (Target t : models)
    rows->push_back(std::move(t));
  loaded.push_back({&Target::tern_meta(), std::move(q), std::move(rows)});
}

template <std::size_t I, class Tuple>
ring::Task<void> prefetch_load_all(const Tuple& steps, PrefetchType type,
                                   std::vector<LoadedRows>& loaded) {
  if constexpr (I < std::tuple_size_v<Tuple>) {
    co_await prefetch_load(std::get<I>(steps), type, loaded);
    co_await prefetch_load_all<I + 1>(steps, type, loaded);
  }
  co_return;
}

// Attaches the rows step `index` loaded (loaded[index + 1]) to their owners.
template <class Owner, class Member, class Target>
void prefetch_attach(const PrefetchInto<Owner, Member, Target>& step, std::size_t index,
                     const std::vector<LoadedRows>& loaded) {
  const LoadedRows& owner_rows = *prefetch_owner(loaded, Owner::tern_meta(), index + 1);
  const LoadedRows& target_rows = loaded[index + 1];
  constexpr bool to_many = std::is_same_v<Member, std::vector<Target>>;
  const ModelMeta& om = Owner::tern_meta();
  const ModelMeta& tm = Target::tern_meta();
  const PrefetchLink link = prefetch_link(om, tm, to_many);
  auto& owners = *static_cast<std::vector<Owner>*>(owner_rows.rows.get());
  const auto& targets = *static_cast<const std::vector<Target>*>(target_rows.rows.get());
  // Owners by key value; several owners may share one (many to one).
  std::unordered_map<std::string, std::vector<Owner*>> by_key;
  for (Owner& o : owners) {
    const Value key = om.fields[link.owner_field].get(&o);
    if (!key.is_null()) by_key[prefetch_key(key)].push_back(&o);
  }
  for (const Target& t : targets) {
    const auto it = by_key.find(prefetch_key(tm.fields[link.target_field].get(&t)));
    if (it == by_key.end()) continue;
    if constexpr (to_many) {
      for (Owner* o : it->second)
        (o->*step.member).push_back(t);
    } else if constexpr (std::is_same_v<Member, std::optional<Target>>) {
      for (Owner* o : it->second)
        o->*step.member = t;
    } else {
      const auto shared = std::make_shared<const Target>(t);
      for (Owner* o : it->second)
        o->*step.member = shared;
    }
  }
}

// Attaches every step's rows, from the last step to the first: a row is complete (its own
// attachments made) before it is copied into its owner.
template <class Tuple, std::size_t... I>
void prefetch_attach_all(const Tuple& steps, const std::vector<LoadedRows>& loaded,
                         std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(I);
  (prefetch_attach(std::get<n - 1 - I>(steps), n - 1 - I, loaded), ...);
}

}  // namespace orm::detail

/// peewee's prefetch(): runs `query`, then each subquery restricted to the rows related to its
/// owner's, and returns `query`'s models with the related rows attached (see the top of this
/// file). One query per subquery; `type` picks WHERE ... IN or a JOIN for the restriction.
template <class M, class... Steps>
ring::Task<std::vector<M>> aio_prefetch(PrefetchType type, orm::Select<M> query, Steps... steps) {
  const std::tuple<Steps...> all(std::move(steps)...);
  std::vector<orm::detail::LoadedRows> loaded;
  loaded.reserve(1 + sizeof...(Steps));
  auto roots = std::make_shared<std::vector<M>>(co_await query.aio_execute());
  loaded.push_back({&M::tern_meta(), query.ast(), roots});
  co_await orm::detail::prefetch_load_all<0>(all, type, loaded);
  orm::detail::prefetch_attach_all(all, loaded, std::index_sequence_for<Steps...>{});
  co_return std::move(*roots);
}

/// aio_prefetch with PrefetchType::kWhere.
template <class M, class... Steps>
ring::Task<std::vector<M>> aio_prefetch(orm::Select<M> query, Steps... steps) {
  return aio_prefetch(PrefetchType::kWhere, std::move(query), std::move(steps)...);
}

/// aio_prefetch, synchronously (AioDatabase::run_sync on M's database).
template <class M, class... Steps>
std::vector<M> prefetch(PrefetchType type, orm::Select<M> query, Steps... steps) {
  return M::tern_database().run_sync(aio_prefetch(type, std::move(query), std::move(steps)...));
}

/// aio_prefetch with PrefetchType::kWhere, synchronously.
template <class M, class... Steps>
std::vector<M> prefetch(orm::Select<M> query, Steps... steps) {
  return M::tern_database().run_sync(aio_prefetch(std::move(query), std::move(steps)...));
}

}  // namespace tern
