// The shape signature of a query (shape.hpp). Every field of the AST that the compiler reads is
// written, each string with its length and each list with its count, so that two different
// shapes never give the same bytes; absent or empty fields are marked in a bit mask and
// skipped, which keeps the walk short for the usual query.
#include "shape.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>

namespace tern::orm {
namespace {

using ast::Expr;
using ast::ExprList;
using ast::ExprPtr;
using ast::Query;

// A field added to the AST must be added to the signature too, or two queries differing only
// there would share a cached text: these sizes make that a build error (on the ABI they were
// taken on) instead of a silent bug. Update write_shape, then the size.
#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(Expr) == 256, "ast::Expr changed: update the shape signature");
static_assert(sizeof(Query) == 600, "ast::Query changed: update the shape signature");
static_assert(sizeof(ast::TableRef) == 80, "ast::TableRef changed: update the shape signature");
static_assert(sizeof(ast::Join) == 104, "ast::Join changed: update the shape signature");
static_assert(sizeof(ast::Cte) == 80, "ast::Cte changed: update the shape signature");
static_assert(sizeof(ast::OnConflict) == 56, "ast::OnConflict changed: update the signature");
static_assert(sizeof(ast::Lock) == 32, "ast::Lock changed: update the shape signature");
#endif

class ShapeWriter {
 public:
  // The signature starts with the dialect: the same AST compiles differently for each.
  ShapeWriter(Shape& shape, Dialect dialect)
      : buffer_(shape.buffer), slots_(shape.slots), interned_(shape.interned) {
    slots_.clear();
    interned_.clear();
    u8(static_cast<std::uint8_t>(dialect));
  }

  std::size_t size() const noexcept { return used_; }

  void query(const Query& q) {
    const std::uint32_t mask =
        bit(0, !q.with.empty()) | bit(1, q.distinct) | bit(2, !q.columns.empty()) |
        bit(3, q.from.has_value()) | bit(4, !q.joins.empty()) | bit(5, q.where != nullptr) |
        bit(6, !q.group_by.empty()) | bit(7, q.having != nullptr) | bit(8, !q.order_by.empty()) |
        bit(9, q.limit.has_value()) | bit(10, q.offset.has_value()) | bit(11, q.lock.has_value()) |
        bit(12, !q.compound_op.empty()) | bit(13, q.lhs != nullptr) | bit(14, q.rhs != nullptr) |
        bit(15, !q.table.empty()) | bit(16, !q.insert_columns.empty()) | bit(17, !q.rows.empty()) |
        bit(18, q.source != nullptr) | bit(19, q.on_conflict.has_value()) |
        bit(20, !q.assignments.empty()) | bit(21, !q.returning.empty());
    u8(static_cast<std::uint8_t>(q.kind));
    u32(mask);
    if (!q.with.empty()) {
      u32(q.with.size());
      for (const ast::Cte& c : q.with) {
        str(c.name);
        strs(c.columns);
        query(c.query);
        u8(c.recursive ? 1 : 0);
      }
    }
    if (!q.columns.empty()) exprs(q.columns);
    if (q.from) table(*q.from);
    if (!q.joins.empty()) {
      u32(q.joins.size());
      for (const ast::Join& j : q.joins) {
        u8(static_cast<std::uint8_t>(j.type));
        table(j.table);
        expr(j.on);
      }
    }
    if (q.where) expr(q.where);
    if (!q.group_by.empty()) exprs(q.group_by);
    if (q.having) expr(q.having);
    if (!q.order_by.empty()) exprs(q.order_by);
    if (q.limit) slots_.push_back({.at = &q.limit, .is_count = true});
    if (q.offset) slots_.push_back({.at = &q.offset, .is_count = true});
    if (q.lock) {
      u8(static_cast<std::uint8_t>(q.lock->strength));
      u8(static_cast<std::uint8_t>(bit(0, q.lock->nowait) | bit(1, q.lock->skip_locked)));
      strs(q.lock->of);
    }
    if (!q.compound_op.empty()) str(q.compound_op);
    if (q.lhs) query(*q.lhs);
    if (q.rhs) query(*q.rhs);
    if (!q.table.empty()) str(q.table);
    if (!q.insert_columns.empty()) strs(q.insert_columns);
    if (!q.rows.empty()) {
      u32(q.rows.size());
      for (const ExprList& row : q.rows)
        exprs(row);
    }
    if (q.source) query(*q.source);
    if (q.on_conflict) {
      u8(static_cast<std::uint8_t>(q.on_conflict->action));
      strs(q.on_conflict->target);
      assignments(q.on_conflict->updates);
    }
    if (!q.assignments.empty()) assignments(q.assignments);
    if (!q.returning.empty()) exprs(q.returning);
  }

  // A model get: a tag no Query::Kind has, the model by address, the condition.
  void get(const void* model, const ExprPtr& condition) {
    u8(kModelGet);
    std::memcpy(room(sizeof model), &model, sizeof model);
    expr(condition);
  }

 private:
  // Tags that are not an Expr::Kind or a Query::Kind.
  static constexpr std::uint8_t kNull = 0xff;
  static constexpr std::uint8_t kInterned = 0xfe;
  static constexpr std::uint8_t kModelGet = 0xfd;

  static constexpr std::uint32_t bit(int n, bool on) { return on ? std::uint32_t{1} << n : 0; }

  // Room for n more bytes, written in place: the buffer only ever grows, so a steady state of
  // lookups never reallocates (or clears) it, and this is a compare and an add.
  [[gnu::always_inline]] char* room(std::size_t n) {
    if (used_ + n > buffer_.size()) [[unlikely]]
      grow(n);
    char* at = buffer_.data() + used_;
    used_ += n;
    return at;
  }
  [[gnu::noinline]] void grow(std::size_t n) {
    buffer_.resize(std::max(2 * buffer_.size(), used_ + n + 256));
  }
  [[gnu::always_inline]] void u8(std::uint8_t v) { *room(1) = static_cast<char>(v); }
  [[gnu::always_inline]] void u32(std::size_t v) {
    const auto n = static_cast<std::uint32_t>(v);
    std::memcpy(room(sizeof n), &n, sizeof n);
  }
  void str(std::string_view s) {
    u32(s.size());
    std::memcpy(room(s.size()), s.data(), s.size());
  }
  void strs(std::span<const std::string> v) {
    u32(v.size());
    for (const std::string& s : v)
      str(s);
  }

  void query(const ast::QueryPtr& q) {
    u8(q ? 1 : 0);
    if (q) query(*q);
  }

  void table(const ast::TableRef& t) {
    str(t.name);
    str(t.alias);
    query(t.subquery);
  }

  void assignments(const std::vector<std::pair<std::string, ExprPtr>>& list) {
    u32(list.size());
    for (const auto& [column, value] : list) {
      str(column);
      expr(value);
    }
  }

  void exprs(const ExprList& list) {
    u32(list.size());
    for (const ExprPtr& e : list)
      expr(e);
  }

  [[gnu::always_inline]] void expr(const ExprPtr& e) {
    if (e == nullptr) {
      u8(kNull);
    } else if (e->interned) {
      // A model's column: its address names it (the cache entry keeps it alive).
      u8(kInterned);
      const ast::Expr* at = e.get();
      std::memcpy(room(sizeof at), &at, sizeof at);
      interned_.push_back(&e);
    } else {
      expr(*e);
    }
  }

  [[gnu::noinline]] void expr(const Expr& e) {
    // The kind, then two bytes of flags and of which fields are present.
    u8(static_cast<std::uint8_t>(e.kind));
    u8(static_cast<std::uint8_t>(bit(0, e.negated) | bit(1, e.distinct) | bit(2, e.descending) |
                                 bit(3, e.has_operand) | bit(4, e.has_else) |
                                 bit(5, !e.table.empty()) | bit(6, !e.name.empty()) |
                                 bit(7, !e.op.empty())));
    u8(static_cast<std::uint8_t>(static_cast<unsigned>(e.nulls) | bit(2, !e.args.empty()) |
                                 bit(3, e.query != nullptr) | bit(4, !e.partition.empty()) |
                                 bit(5, !e.order.empty())));
    if (!e.table.empty()) str(e.table);
    if (!e.name.empty()) str(e.name);
    if (!e.op.empty()) str(e.op);
    if (e.kind == Expr::Kind::kParam) {
      // The type stays in the shape: the compiler checks it (JSON path steps, text arrays).
      u8(static_cast<std::uint8_t>(e.value.storage().index()));
      slots_.push_back({.at = &e.value});
    }
    if (!e.args.empty()) exprs(e.args);
    if (e.query) query(*e.query);
    if (!e.partition.empty()) exprs(e.partition);
    if (!e.order.empty()) exprs(e.order);
  }

  std::string& buffer_;
  std::size_t used_ = 0;
  std::vector<ValueSlot>& slots_;
  std::vector<const ExprPtr*>& interned_;
};

}  // namespace

void write_shape(const ast::Query& query, Dialect dialect, Shape& shape) {
  ShapeWriter w(shape, dialect);
  w.query(query);
  shape.size = w.size();
}

void write_get_shape(const void* model, const ast::ExprPtr& condition, Dialect dialect,
                     Shape& shape) {
  ShapeWriter w(shape, dialect);
  w.get(model, condition);
  shape.size = w.size();
}

}  // namespace tern::orm
