// A query's shape: everything its SQL text depends on — the AST without its parameter values
// (their types stay). Two queries of the same shape compile to the same text, so the statement
// cache (statement_cache.cpp) compiles a shape once and afterwards only gathers the values.
// Private to the ORM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tern/db/dialect.hpp"
#include "tern/orm/ast.hpp"

namespace tern::orm {

/// Where a compilation took each placeholder's value: what the statement cache needs to reuse
/// the text for another query of the same shape.
struct CompileRecord {
  /// Per placeholder, in order: the `value` of a kParam node or a Query's `limit` / `offset`.
  std::vector<const void*> origins;
  /// False when the text holds only for these values (a NULL or boolean spliced as a keyword
  /// after IS, a parameter computed from several values such as a JSON path).
  bool reusable = true;
};

/// compile(), recording the placeholders' origins into `record`.
ast::Compiled compile_recorded(const ast::Query& query, Dialect dialect, CompileRecord& record);

/// A place a value is read from: a kParam node's `value` or a LIMIT/OFFSET.
struct ValueSlot {
  const void* at = nullptr;  ///< a const Value* or a const std::optional<std::int64_t>*
  bool is_count = false;     ///< LIMIT/OFFSET
};

/// A query's shape as write_shape() finds it; one is reused from one query to the next.
struct Shape {
  /// The signature at the start (an unambiguous byte encoding: equal signatures mean equal
  /// shapes); the buffer only ever grows.
  std::string buffer;
  std::size_t size = 0;
  /// The value slots, in a walk order that depends only on the shape.
  std::vector<ValueSlot> slots;
  /// The interned nodes the signature names by address: whoever keeps the signature must keep
  /// these alive, so that no other node can take their addresses.
  std::vector<const ast::ExprPtr*> interned;
};

/// Writes the shape of `query` for `dialect` into `shape` (replacing what it held).
void write_shape(const ast::Query& query, Dialect dialect, Shape& shape);
/// Writes the shape of a model get, `SELECT <every field> WHERE condition LIMIT 1`, without the
/// query: the model's description by address (it lives as long as the program), then the
/// condition. The LIMIT has no slot.
void write_get_shape(const void* model, const ast::ExprPtr& condition, Dialect dialect,
                     Shape& shape);

}  // namespace tern::orm
