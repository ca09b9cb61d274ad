#include "tern/orm/meta.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "tern/orm/query.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm {

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<const ModelMeta*> models;
};
// Built on first use: models register from static initializers in any translation unit.
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

std::vector<const ModelMeta*> registered_models() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  return r.models;
}

ModelMeta::~ModelMeta() {
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  std::erase(r.models, this);
}

std::string snake_case(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c) != 0) {
      const bool after_lower = i > 0 && std::islower(static_cast<unsigned char>(name[i - 1])) != 0;
      const bool acronym_end = i > 0 && i + 1 < name.size() &&
                               std::isupper(static_cast<unsigned char>(name[i - 1])) != 0 &&
                               std::islower(static_cast<unsigned char>(name[i + 1])) != 0;
      if (after_lower || acronym_end) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

ModelMeta::ModelMeta(std::string class_name, std::string_view table_name,
                     std::initializer_list<FieldMeta> field_list, std::vector<ast::IndexDef> extra,
                     std::vector<std::string> composite_key)
    : name(std::move(class_name)),
      table(table_name.empty() ? snake_case(name) : std::string(table_name)),
      fields(field_list),
      indexes(std::move(extra)) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].default_factory) generated_defaults.push_back(i);
    if (fields[i].column.primary_key) {
      if (primary_key != kNoPrimaryKey || !composite_key.empty()) {
        throw InterfaceError("model " + name + " declares two primary keys");
      }
      primary_key = i;
      key.push_back(i);
    }
  }
  for (const std::string& column : composite_key) {
    const FieldMeta* f = field(column);
    if (f == nullptr) {
      throw InterfaceError("model " + name + ": no column \"" + column + "\" for its key");
    }
    key.push_back(static_cast<std::size_t>(f - fields.data()));
  }
  select_all.kind = ast::Query::Kind::kSelect;
  select_all.from = ast::TableRef{.name = table};
  select_all.columns.reserve(fields.size());
  for (const FieldMeta& f : fields) {
    ast::Expr column;
    column.kind = ast::Expr::Kind::kColumn;
    column.table = table;
    column.name = f.column.name;
    column.interned = true;  // lives with this description, which lives with the program
    select_all.columns.push_back(detail::node(std::move(column)));
  }
  Registry& r = registry();
  const std::lock_guard lock(r.mutex);
  r.models.push_back(this);
}

const FieldMeta& ModelMeta::pk() const {
  if (primary_key == kNoPrimaryKey) throw InterfaceError("model " + name + " has no primary key");
  return fields[primary_key];
}

const FieldMeta* ModelMeta::field(std::string_view column) const noexcept {
  for (const FieldMeta& f : fields) {
    if (f.column.name == column) return &f;
  }
  return nullptr;
}

ast::TableDef ModelMeta::table_def() const {
  ast::TableDef t;
  t.name = table;
  for (const FieldMeta& f : fields) {
    t.columns.push_back(f.column);
    if (f.index && !f.column.unique && !f.column.primary_key) {
      t.indexes.push_back({.name = table + "_" + f.column.name, .columns = {f.column.name}});
    }
  }
  for (const ast::IndexDef& index : indexes)
    t.indexes.push_back(index);
  if (primary_key == kNoPrimaryKey) {
    for (std::size_t i : key)
      t.primary_key.push_back(fields[i].column.name);
  }
  return t;
}

}  // namespace tern::orm
