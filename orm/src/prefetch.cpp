// The non-template half of aio_prefetch: finding the foreign key between two models, building
// the restricted subqueries, and keys for matching rows to owners.
#include "tern/orm/prefetch.hpp"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm::detail {

namespace {

std::size_t field_index(const ModelMeta& meta, const FieldMeta& f) {
  return static_cast<std::size_t>(&f - meta.fields.data());
}

}  // namespace

const LoadedRows* prefetch_owner(const std::vector<LoadedRows>& loaded, const ModelMeta& meta,
                                 std::size_t count) {
  const LoadedRows* found = nullptr;
  for (std::size_t i = 0; i < count && i < loaded.size(); ++i) {
    if (loaded[i].meta == &meta) found = &loaded[i];
  }
  if (found == nullptr) {
    throw InterfaceError("aio_prefetch: " + meta.name +
                         " is not the model of the query or of an earlier subquery");
  }
  return found;
}

PrefetchLink prefetch_link(const ModelMeta& owner, const ModelMeta& target, bool to_many) {
  // The model holding the foreign key, and the one it references.
  const ForeignKey link =
      single_foreign_key(to_many ? target : owner, to_many ? owner : target, "aio_prefetch");
  if (to_many) {
    return {.owner_field = field_index(owner, *link.key),
            .target_field = field_index(target, *link.fk)};
  }
  return {.owner_field = field_index(owner, *link.fk),
          .target_field = field_index(target, *link.key)};
}

ast::Query prefetch_restrict(const ast::Query& target_query, const ModelMeta& target,
                             const ast::Query& owner_query, const ModelMeta& owner,
                             const PrefetchLink& link, PrefetchType type, std::size_t step) {
  // SELECT DISTINCT _p.key FROM (owner query) AS _p: the owners' keys. The derived table also
  // keeps MySQL happy, which refuses LIMIT inside IN (...).
  const std::string& owner_column = owner.fields[link.owner_field].column.name;
  const std::string owners = absl::StrCat("_prefetch_owner", step);
  ast::Query keys;
  keys.kind = ast::Query::Kind::kSelect;
  keys.distinct = true;
  keys.columns = {column_ref(owners, owner_column)};
  keys.from =
      ast::TableRef{.alias = owners, .subquery = std::make_shared<const ast::Query>(owner_query)};
  const ast::ExprPtr target_column = column_of(target, target.fields[link.target_field]);

  ast::Query q = target_query;
  if (type == PrefetchType::kWhere) {
    q.where = and_(std::move(q.where), binary("IN", target_column, subquery(keys)));
  } else {
    const std::string alias = absl::StrCat("_prefetch_keys", step);
    q.joins.push_back(
        {.type = ast::Join::Type::kInner,
         .table = {.alias = alias, .subquery = std::make_shared<const ast::Query>(std::move(keys))},
         .on = binary("=", target_column, column_ref(alias, owner_column))});
  }
  return q;
}

std::string prefetch_key(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>) {
          return absl::StrCat("i", v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          return absl::StrCat("s", v);
        } else if constexpr (std::is_same_v<V, Uuid>) {
          return std::string("u") +
                 std::string(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
        } else {
          throw InterfaceError("aio_prefetch: key columns must be integers, text or UUIDs");
        }
      },
      value.storage());
}

}  // namespace tern::orm::detail
