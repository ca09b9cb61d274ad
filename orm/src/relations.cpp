// The non-template halves of aio_fetch and ManyToMany: finding the foreign keys and building
// the statements.
#include "tern/orm/relations.hpp"

#include "tern/protocol/exceptions.hpp"

namespace tern::orm::detail {

ast::ExprPtr fetch_condition(const ModelMeta& model, const void* object, std::size_t field,
                             const ModelMeta& target) {
  const FieldMeta& f = model.fields.at(field);
  const FieldMeta* key = f.column.references_table == target.table
                             ? target.field(f.column.references_column)
                             : nullptr;
  if (key == nullptr) {
    throw InterfaceError("aio_fetch: " + model.name + "." + f.member + " is not a foreign key to " +
                         target.name);
  }
  Value value = f.get(object);
  if (value.is_null()) return nullptr;
  return binary("=", column_of(target, *key), param(std::move(value)));
}

ThroughLink through_link(const ModelMeta& through, const ModelMeta& source,
                         const ModelMeta& target) {
  if (&source == &target) {
    throw InterfaceError("many_to_many: " + through.name +
                         " links a model to itself: which foreign key is the source is ambiguous");
  }
  return {single_foreign_key(through, source, "many_to_many"),
          single_foreign_key(through, target, "many_to_many")};
}

ast::Query through_insert(const ModelMeta& through, const ThroughLink& link, const Value& source,
                          const std::vector<Value>& targets) {
  ast::Query q;
  q.kind = ast::Query::Kind::kInsert;
  q.table = through.table;
  q.insert_columns = {link.source.fk->column.name, link.target.fk->column.name};
  for (const Value& t : targets)
    q.rows.push_back({param(source), param(t)});
  return q;
}

ast::Query through_delete(const ModelMeta& through, const ThroughLink& link, const Value& source,
                          const std::vector<Value>* targets) {
  ast::Query q;
  q.kind = ast::Query::Kind::kDelete;
  q.table = through.table;
  q.where = binary("=", column_of(through, *link.source.fk), param(source));
  if (targets != nullptr) {
    ast::Expr list;
    list.kind = ast::Expr::Kind::kList;
    for (const Value& t : *targets)
      list.args.push_back(param(t));
    q.where = and_(std::move(q.where),
                   binary("IN", column_of(through, *link.target.fk), node(std::move(list))));
  }
  return q;
}

ast::ExprPtr through_condition(const ModelMeta& through, const ModelMeta& target,
                               const ThroughLink& link, const Value& source) {
  ast::Query links;
  links.kind = ast::Query::Kind::kSelect;
  links.columns = {column_of(through, *link.target.fk)};
  links.from = ast::TableRef{.name = through.table};
  links.where = binary("=", column_of(through, *link.source.fk), param(source));
  ast::Expr sub;
  sub.kind = ast::Expr::Kind::kSubquery;
  sub.query = std::make_shared<const ast::Query>(std::move(links));
  return binary("IN", column_of(target, *link.target.key), node(std::move(sub)));
}

}  // namespace tern::orm::detail
