// The per-thread cache of compiled query shapes behind compile_cached(). A query built per call
// (`Item::aio_get(Item::c.id == k)`) has the same shape every time: its text is compiled once,
// and each later call writes the shape signature, finds the text, and copies its values out of
// the AST in the order the compiler placed them.
#include <array>
#include <cstdint>
#include <cstring>
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
#include "thread_cache.hpp"

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

// A model get whose condition is one comparison of a model's column with a value
// (`Item::c.id == k`, the usual aio_get), known without writing its signature: the model, the
// column node (interned: its address names it), the operator, the value's type and the
// dialect are the whole of that signature.
struct SimpleGet {
  const void* meta = nullptr;
  const ast::Expr* column = nullptr;
  std::uint64_t op = 0;  // the operator's bytes (at most 8)
  std::uint8_t op_size = 0;
  std::uint8_t type = 0;
  Dialect dialect = Dialect::kPostgres;
  friend bool operator==(const SimpleGet&, const SimpleGet&) = default;
};

struct SimpleGetEntry {
  SimpleGet key;
  std::shared_ptr<const Entry> entry;  // reusable; keeps the column node alive
};

// Direct-mapped: a program's hot gets are few.
constexpr std::size_t kSimpleGets = 64;

struct Cache {
  absl::flat_hash_map<std::string, std::shared_ptr<const Entry>> shapes;
  Shape shape;  // reused for every lookup
  std::array<SimpleGetEntry, kSimpleGets> simple_gets{};
};

inline Cache& thread_cache() {
  return detail::ThreadCache<Cache>::get();
}

Value value_at(const ValueSlot& slot) {
  if (!slot.is_count) return *static_cast<const Value*>(slot.at);
  const std::int64_t n = **static_cast<const std::optional<std::int64_t>*>(slot.at);
  // The compiler's own check, which a cached text would otherwise skip.
  if (n < 0) throw InterfaceError("SQL compiler: negative LIMIT or OFFSET");
  return Value(n);
}

// The slot index standing for the LIMIT 1 of a model get (compile_get), which has no slot.
constexpr std::uint32_t kLimitOne = 0xffffffff;

// A node with nothing but its kind set, as far as the signature sees (shape.cpp's expr()).
bool bare(const ast::Expr& e) noexcept {
  return !e.negated && !e.distinct && !e.descending && !e.has_operand && !e.has_else &&
         !e.interned && e.nulls == ast::Expr::Nulls::kDefault && e.table.empty() &&
         e.name.empty() && e.query == nullptr && e.partition.empty() && e.order.empty();
}

// True when `condition` is `<interned column> <op> <value>`, with `key` set to what its shape
// signature would hold (so that equal keys mean equal shapes, as equal signatures do).
bool simple_get(const void* meta, const ast::Expr* condition, Dialect dialect,
                SimpleGet& key) noexcept {
  if (condition == nullptr || condition->kind != ast::Expr::Kind::kBinary) return false;
  const ast::Expr& e = *condition;
  if (!bare(e) || e.op.empty() || e.op.size() > sizeof key.op || e.args.size() != 2) return false;
  const ast::Expr* column = e.args[0].get();
  const ast::Expr* value = e.args[1].get();
  if (column == nullptr || !column->interned || value == nullptr) return false;
  if (value->kind != ast::Expr::Kind::kParam || !bare(*value) || !value->op.empty() ||
      !value->args.empty()) {
    return false;
  }
  key.meta = meta;
  key.column = column;
  std::memcpy(&key.op, e.op.data(), e.op.size());
  key.op_size = static_cast<std::uint8_t>(e.op.size());
  key.type = static_cast<std::uint8_t>(value->value.storage().index());
  key.dialect = dialect;
  return true;
}

std::size_t simple_slot(const SimpleGet& key) noexcept {
  const auto h = reinterpret_cast<std::uintptr_t>(key.column) >> 4 ^
                 reinterpret_cast<std::uintptr_t>(key.meta) >> 6 ^ key.op * 0x9e3779b97f4a7c15 ^
                 key.type ^ static_cast<std::uintptr_t>(key.dialect) << 5;
  return (h ^ h >> 17) % kSimpleGets;
}

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
// `used`, when given, is set to the reusable entry the statement came from (null otherwise).
template <class Build>
CachedStatement find_or_compile(Cache& c, Dialect dialect, Build build,
                                std::shared_ptr<const Entry>* used = nullptr) {
  const absl::string_view signature(c.shape.buffer.data(), c.shape.size);
  CachedStatement out;
  if (const auto it = c.shapes.find(signature); it != c.shapes.end()) {
    const std::shared_ptr<const Entry>& entry = it->second;
    if (entry->reusable) {
      if (used != nullptr) *used = entry;
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
        if (used != nullptr) *used = entry;
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
  Cache& c = thread_cache();
  write_shape(query, dialect, c.shape);
  return find_or_compile(
      c, dialect, [&] { return std::pair<const ast::Query*, const void*>(&query, nullptr); });
}

namespace detail {

GetStatement compile_get(const ModelMeta& meta, const ast::ExprPtr& condition, Dialect dialect) {
  GetStatement out;  // the one object returned (constructed in place)
  Cache& c = thread_cache();
  SimpleGet key;
  const bool simple = simple_get(&meta, condition.get(), dialect, key);
  SimpleGetEntry* slot = nullptr;
  if (simple) {
    slot = &c.simple_gets[simple_slot(key)];
    if (slot->entry != nullptr && slot->key == key) {
      const Entry& entry = *slot->entry;
      for (const std::uint32_t s : entry.slots) {
        // Slot 0 is the value (the shape's only slot), kLimitOne the LIMIT.
        if (s == kLimitOne) {
          out.params.emplace_back(std::int64_t{1});
        } else {
          out.params.push_back(condition->args[1]->value);
        }
      }
      out.sql = std::shared_ptr<const std::string>(slot->entry, &entry.sql);
      out.read_only = entry.read_only;
      return out;
    }
  }
  write_get_shape(&meta, condition, dialect, c.shape);
  std::optional<ast::Query> query;  // built on a miss only
  std::shared_ptr<const Entry> used;
  CachedStatement found = find_or_compile(
      c, dialect,
      [&] {
        query.emplace(meta.select_all);
        query->where = condition;
        query->limit = 1;
        return std::pair<const ast::Query*, const void*>(&*query, &query->limit);
      },
      simple ? &used : nullptr);
  if (used != nullptr) *slot = SimpleGetEntry{.key = key, .entry = std::move(used)};
  out.sql = std::move(found.sql);
  out.params.reserve(found.params.size());
  for (Value& v : found.params)
    out.params.push_back(std::move(v));
  out.read_only = found.read_only;
  return out;
}

}  // namespace detail

}  // namespace tern::orm
