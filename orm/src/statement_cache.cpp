// The per-thread cache of compiled query shapes behind compile_cached(). A query built per call
// (`Item::aio_get(Item::c.id == k)`) has the same shape every time: its text is compiled once,
// and each later call writes the shape signature, finds the text, and copies its values out of
// the AST in the order the compiler placed them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "shape.hpp"
#include "tern/orm/compiler.hpp"
#include "tern/orm/meta.hpp"
#include "tern/orm/query.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm {
namespace {

constexpr std::size_t kMaxShapes = 512;

struct Entry {
  std::string sql;
  /// The nodes the signature names by address, kept alive so that no other node takes one.
  std::vector<ast::ExprPtr> interned;
  /// Per placeholder, the index of the slot (in the shape's walk order) its value comes from.
  std::vector<std::uint32_t> slots;
  /// False when the text holds only for the values it was compiled with: compile every time.
  bool reusable = true;
  bool read_only = false;
};

struct Cache {
  absl::flat_hash_map<std::string, std::shared_ptr<const Entry>> shapes;
  Shape shape;  // reused for every lookup
};

// initial-exec: one %fs-relative access instead of a __tls_get_addr call after every call
// this function makes (a few hundred bytes of static TLS, as ring/recycle.cpp's cache).
__attribute__((tls_model("initial-exec"))) thread_local Cache cache;

Value value_at(const ValueSlot& slot) {
  if (!slot.is_count) return *static_cast<const Value*>(slot.at);
  const std::int64_t n = **static_cast<const std::optional<std::int64_t>*>(slot.at);
  // The compiler's own check, which a cached text would otherwise skip.
  if (n < 0) throw InterfaceError("SQL compiler: negative LIMIT or OFFSET");
  return Value(n);
}

// The slot index standing for the LIMIT 1 of a model get (compile_get), which has no slot.
constexpr std::uint32_t kLimitOne = 0xffffffff;

// The entry for a shape compiled just now, or null when it must not be cached: a value reached
// from two places in this query (a node shared by two parts of it) cannot tell which place
// the compiler read, and a later query of the shape may not share it. `limit_one` is the
// address of a LIMIT that is 1 in every query of the shape, or null.
std::shared_ptr<Entry> entry_for(const CompileRecord& record, std::string sql, const Shape& shape,
                                 const void* limit_one) {
  const std::vector<ValueSlot>& slots = shape.slots;
  auto entry = std::make_shared<Entry>();
  entry->interned.reserve(shape.interned.size());
  for (const ast::ExprPtr* node : shape.interned)
    entry->interned.push_back(*node);
  if (!record.reusable) {
    entry->reusable = false;
    return entry;
  }
  absl::flat_hash_map<const void*, std::uint32_t> index;
  index.reserve(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (!index.try_emplace(slots[i].at, static_cast<std::uint32_t>(i)).second) return nullptr;
  }
  entry->slots.reserve(record.origins.size());
  for (const void* origin : record.origins) {
    if (origin == limit_one) {
      entry->slots.push_back(kLimitOne);
      continue;
    }
    const auto it = index.find(origin);
    if (it == index.end()) return nullptr;  // not a slot of the shape: never reuse the text
    entry->slots.push_back(it->second);
  }
  entry->sql = std::move(sql);
  return entry;
}

// The statement for the shape just written to c.shape: from the cache, or compiled from the
// query `build()` returns (made only on a miss) and cached. `build` returns the query and the
// address of its LIMIT when that is always 1 (else null).
template <class Build>
CachedStatement find_or_compile(Cache& c, Dialect dialect, Build build) {
  const absl::string_view signature(c.shape.buffer.data(), c.shape.size);
  CachedStatement out;
  if (const auto it = c.shapes.find(signature); it != c.shapes.end()) {
    const std::shared_ptr<const Entry>& entry = it->second;
    if (entry->reusable) {
      out.params.reserve(entry->slots.size());
      for (const std::uint32_t slot : entry->slots)
        out.params.push_back(slot == kLimitOne ? Value(std::int64_t{1})
                                               : value_at(c.shape.slots[slot]));
      out.sql = std::shared_ptr<const std::string>(entry, &entry->sql);
      out.read_only = entry->read_only;
      return out;
    }
  }
  const auto [query, limit_one] = build();
  CompileRecord record;
  ast::Compiled compiled = compile_recorded(*query, dialect, record);
  out.params.assign(compiled.params.begin(), compiled.params.end());
  out.read_only = detail::is_read_only(*query);
  if (!c.shapes.contains(signature)) {
    if (std::shared_ptr<Entry> entry = entry_for(record, compiled.sql, c.shape, limit_one)) {
      entry->read_only = out.read_only;
      if (c.shapes.size() >= kMaxShapes) c.shapes.clear();  // in-flight statements keep theirs
      c.shapes.emplace(std::string(signature), entry);
      if (entry->reusable) {
        out.sql = std::shared_ptr<const std::string>(entry, &entry->sql);
        return out;
      }
    }
  }
  out.sql = std::make_shared<const std::string>(std::move(compiled.sql));
  return out;
}

}  // namespace

CachedStatement compile_cached(const ast::Query& query, Dialect dialect) {
  Cache& c = cache;
  write_shape(query, dialect, c.shape);
  return find_or_compile(
      c, dialect, [&] { return std::pair<const ast::Query*, const void*>(&query, nullptr); });
}

namespace detail {

CachedStatement compile_get(const ModelMeta& meta, const ast::ExprPtr& condition, Dialect dialect) {
  Cache& c = cache;
  write_get_shape(&meta, condition, dialect, c.shape);
  std::optional<ast::Query> query;  // built on a miss only
  return find_or_compile(c, dialect, [&] {
    query.emplace(meta.select_all);
    query->where = condition;
    query->limit = 1;
    return std::pair<const ast::Query*, const void*>(&*query, &query->limit);
  });
}

}  // namespace detail

}  // namespace tern::orm
