// A model's description: its table and fields, built once per model type by TERN_MODEL.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tern/orm/ast.hpp"
#include "tern/orm/field.hpp"

namespace tern::orm {

/// The table of a model and its fields, in declaration order.
struct ModelMeta {
  /// primary_key of a model without a single-column key.
  static constexpr std::size_t kNoPrimaryKey = static_cast<std::size_t>(-1);

  std::string name;               ///< the C++ class name
  std::string table;              ///< the table name (snake_case of the class unless overridden)
  std::vector<FieldMeta> fields;  ///< the fields, in declaration order
  std::size_t primary_key = kNoPrimaryKey;  ///< a single-column key
  /// The key's fields: the single key, or the columns of a composite key.
  std::vector<std::size_t> key;

  /// The fields with a generated default (UUIDField's default_factory), filled in on insert.
  std::vector<std::size_t> generated_defaults;

  /// Indexes over several columns (declared by the model).
  std::vector<ast::IndexDef> indexes;

  /// SELECT of every field from the table, built once: Model::select() starts from a copy.
  /// Its columns, `"table"."column"` in field order, are the fields' nodes, which every query
  /// of the model shares instead of allocating its own.
  ast::Query select_all;

  /// From the class name (or an explicit table name), the fields, extra indexes and the
  /// columns of a composite primary key (empty: the field flagged primary_key, if any).
  ModelMeta(std::string class_name, std::string_view table_name,
            std::initializer_list<FieldMeta> field_list, std::vector<ast::IndexDef> extra = {},
            std::vector<std::string> composite_key = {});
  /// Registered (see registered_models()) for as long as it lives; one per model type.
  ModelMeta(const ModelMeta&) = delete;
  ModelMeta& operator=(const ModelMeta&) = delete;
  ~ModelMeta();
  /// The primary key field; throws InterfaceError when the model has none.
  const FieldMeta& pk() const;
  /// The field whose column is `column`, or nullptr.
  const FieldMeta* field(std::string_view column) const noexcept;
  /// CREATE TABLE's description (columns, foreign keys, indexes).
  ast::TableDef table_def() const;
};

/// Every model description alive in the program (TERN_MODEL builds one per model when the
/// program starts): what recursive deletes search for rows referencing a model.
std::vector<const ModelMeta*> registered_models();

/// "PageBlock" → "page_block", "HTTPRequest" → "http_request" (peewee's snake_case).
std::string snake_case(std::string_view class_name);

}  // namespace tern::orm
