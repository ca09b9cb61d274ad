// Typed column expressions: a thin typed shell over the query AST. The value type rides in the
// C++ type, so comparing a string column with an integer does not compile, while the AST
// below stays plain data (one compiler, no template bloat).
//
//   PageBlock::c.key == "title"                      Expr<bool>
//   (Item::c.price * 2 > 10) && !Item::c.name.is_null()
//   Item::c.id.in_({1, 2, 3}), Item::c.name.startswith("a"), fn::count(), Item::c.id.desc()
//
// The Ext types have their own operations (values always bound):
//   Doc::c.data["a"]["b"], c.data.path("a", 0), c.data["a"].as_text() == "x"    JSON paths
//   c.data.contains(doc), c.data.contained_by(doc), c.data.has_key("a")         JSON(B)
//   c.attrs["k"], c.attrs.has_key("k"), c.attrs.contains(hstore), c.attrs.keys() hstore
//   c.tags.contains({1, 2}), c.tags.overlap(...), c.tags[1], c.tags.any(5)      arrays
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tern/orm/ast.hpp"

namespace tern::orm {

namespace detail {
template <class T>
struct Unoptional {
  using type = T;
};
template <class T>
struct Unoptional<std::optional<T>> {
  using type = T;
};
}  // namespace detail

/// The value type of a member: T for T and std::optional<T>.
template <class T>
using value_type_of = typename detail::Unoptional<T>::type;

/// Types that compare with each other in SQL: the same type, two arithmetic types, or text.
template <class A, class B>
concept Comparable = std::same_as<A, B> ||(std::is_arithmetic_v<A>&& std::is_arithmetic_v<B>);

template <class V>
class Expr;
class Window;

namespace detail {
ast::ExprPtr binary(std::string_view op, ast::ExprPtr lhs, ast::ExprPtr rhs);
ast::ExprPtr param(Value value);
ast::ExprPtr node(ast::Expr e);
ast::ExprPtr subquery(const ast::Query& query);
/// A kTypeOp node: `op` over `args`; `json_operand` marks a json (not jsonb) first argument.
ast::ExprPtr type_op(std::string op, ast::ExprList args, bool json_operand = false);
/// `base` at one more path step (a key or an index): extends a json_path node in place of
/// nesting one in another.
ast::ExprPtr json_step(const ast::ExprPtr& base, Value step);
/// The JSON expression `base` as text (json_path_text).
ast::ExprPtr json_text(const ast::ExprPtr& base);

/// json or jsonb.
template <class V>
inline constexpr bool kIsJson = std::is_same_v<V, Json> || std::is_same_v<V, Jsonb>;
/// A one-dimensional array: std::vector<T> or std::vector<std::optional<T>> (not bytes).
template <class V>
inline constexpr bool kIsArray = false;
template <class T>
inline constexpr bool kIsArray<std::vector<T>> = !std::is_same_v<T, std::byte>;
/// The element type of an array type (without std::optional); void for other types, so that
/// member declarations naming it stay valid in every Expr<V>.
template <class V>
struct Element {
  using type = void;
};
template <class T>
struct Element<std::vector<T>> {
  using type = value_type_of<T>;
};
template <class V>
using ElementOf = typename Element<V>::type;
/// A JSON path step: a key (text) or an array index (integer).
template <class K>
Value path_step(const K& k) {
  if constexpr (std::is_integral_v<K>) {
    return Value(static_cast<std::int64_t>(k));
  } else {
    return Value(std::string_view(k));
  }
}

/// A C++ value usable where an Expr<V> is expected (convertible to V, and not an expression).
template <class U, class V>
concept ValueFor = std::is_convertible_v<const U&, V> && !requires {
  typename U::tern_expr_tag;
};

template <class V, class U>
ast::ExprPtr to_param(const U& u) {
  return param(Value(static_cast<V>(u)));
}
}  // namespace detail

/// A typed SQL expression whose value is a V (bool for conditions).
template <class V>
class Expr {
 public:
  using tern_expr_tag = void;  ///< Marks expression types for the operators.
  using value_type = V;        ///< The C++ type of the value.

  /// Wraps an AST node.
  explicit Expr(ast::ExprPtr node) noexcept : node_(std::move(node)) {}
  /// The AST node.
  const ast::ExprPtr& node() const noexcept { return node_; }

  /// x IN (values...).
  Expr<bool> in_(std::initializer_list<V> values) const { return in_list("IN", values); }
  /// x IN (values...), from a vector.
  Expr<bool> in_(const std::vector<V>& values) const { return in_list("IN", values); }
  /// x NOT IN (values...).
  Expr<bool> not_in(std::initializer_list<V> values) const { return in_list("NOT_IN", values); }
  /// x NOT IN (values...), from a vector.
  Expr<bool> not_in(const std::vector<V>& values) const { return in_list("NOT_IN", values); }
  /// x IN (subquery): any query builder (it has .ast()).
  template <class Q>
  requires requires(const Q& q) { q.ast(); }
  Expr<bool> in_(const Q& subquery) const {
    return Expr<bool>(detail::binary("IN", node_, detail::subquery(subquery.ast())));
  }
  /// x NOT IN (subquery).
  template <class Q>
  requires requires(const Q& q) { q.ast(); }
  Expr<bool> not_in(const Q& subquery) const {
    return Expr<bool>(detail::binary("NOT_IN", node_, detail::subquery(subquery.ast())));
  }
  /// x IS NULL.
  Expr<bool> is_null() const { return null_test(false); }
  /// x IS NOT NULL.
  Expr<bool> is_not_null() const { return null_test(true); }
  /// x BETWEEN low AND high.
  template <detail::ValueFor<V> L, detail::ValueFor<V> H>
  Expr<bool> between(const L& low, const H& high) const {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kBetween;
    e.args = {node_, detail::to_param<V>(low), detail::to_param<V>(high)};
    return Expr<bool>(detail::node(std::move(e)));
  }
  /// x LIKE pattern (text only).
  Expr<bool> like(std::string_view pattern) const requires std::same_as<V, std::string> {
    return Expr<bool>(detail::binary("LIKE", node_, detail::param(Value(pattern))));
  }
  /// x ILIKE pattern (text only; MySQL: LIKE, case-insensitive by collation).
  Expr<bool> ilike(std::string_view pattern) const requires std::same_as<V, std::string> {
    return Expr<bool>(detail::binary("ILIKE", node_, detail::param(Value(pattern))));
  }
  /// Starts with `prefix` (its % and _ escaped).
  Expr<bool> startswith(std::string_view prefix) const requires std::same_as<V, std::string> {
    return like_escaped("", prefix, "%");
  }
  /// Ends with `suffix`.
  Expr<bool> endswith(std::string_view suffix) const requires std::same_as<V, std::string> {
    return like_escaped("%", suffix, "");
  }
  /// Contains `part` (case-insensitively, as peewee's contains()).
  Expr<bool> contains(std::string_view part) const requires std::same_as<V, std::string> {
    return like_escaped("%", part, "%", "ILIKE");
  }

  // ---- JSON, hstore, arrays ----

  /// JSON: the member `key` of an object, as JSON (chain them: `c.data["a"]["b"]`).
  /// hstore: the value of `key`, as text (NULL when absent): PG `x -> key`.
  auto operator[](std::string_view key) const
      requires(detail::kIsJson<V> || std::same_as<V, HStore>) {
    if constexpr (detail::kIsJson<V>) {
      return Expr<V>(detail::json_step(node_, Value(key)));
    } else {
      return Expr<std::string>(detail::type_op("hstore_get", {node_, detail::param(Value(key))}));
    }
  }
  /// JSON: element `index` of an array (0-based; negative counts from the end on PostgreSQL,
  /// NotSupportedError on MySQL/MariaDB), as JSON.
  /// Arrays: element `index`, 1-based as in SQL (PostgreSQL `x[i]`; NULL when out of range).
  template <std::integral I>
  auto operator[](I index) const requires(detail::kIsJson<V> || detail::kIsArray<V>) {
    if constexpr (detail::kIsJson<V>) {
      return Expr<V>(detail::json_step(node_, detail::path_step(index)));
    } else {
      return Expr<detail::ElementOf<V>>(detail::type_op(
          "array_subscript", {node_, detail::param(Value(static_cast<std::int64_t>(index)))}));
    }
  }
  /// JSON: the value at a path of keys and indexes, as JSON: `c.data.path("a", 0, "b")` is
  /// `c.data["a"][0]["b"]`.
  template <class... K>
  Expr<V> path(const K&... steps) const requires detail::kIsJson<V> {
    ast::ExprPtr n = node_;
    ((n = detail::json_step(n, detail::path_step(steps))), ...);
    return Expr<V>(std::move(n));
  }
  /// JSON: the value as text: a string without its quotes, other values in JSON form. PG
  /// `#>>` (JSON null → SQL NULL); MySQL JSON_UNQUOTE(JSON_EXTRACT(...)) (JSON null → "null").
  Expr<std::string> as_text() const requires detail::kIsJson<V> {
    return Expr<std::string>(detail::json_text(node_));
  }
  /// JSON: contains `doc` (a Json or Jsonb): PG jsonb `@>`, MySQL JSON_CONTAINS(x, doc).
  /// Arrays: contains every element of `items` (`@>`). hstore: contains every pair (`@>`).
  template <class D>
  Expr<bool> contains(const D& doc) const requires(detail::kIsJson<V>&& detail::kIsJson<D>) {
    return json_op("json_contains", detail::param(Value(Jsonb{doc.text})));
  }
  /// Arrays and hstore: contains `items` (`@>`).
  Expr<bool> contains(const V& items) const
      requires(detail::kIsArray<V> || std::same_as<V, HStore>) {
    return Expr<bool>(
        detail::type_op(std::same_as<V, HStore> ? "hstore_contains" : "array_contains",
                        {node_, detail::param(Value(items))}));
  }
  /// JSON: is contained in `doc`: PG jsonb `<@`, MySQL JSON_CONTAINS(doc, x). Arrays and
  /// hstore: every element / pair is in `items` (`<@`).
  template <class D>
  Expr<bool> contained_by(const D& doc) const requires(detail::kIsJson<V>&& detail::kIsJson<D>) {
    return json_op("json_contained_by", detail::param(Value(Jsonb{doc.text})));
  }
  /// Arrays and hstore: contained in `items` (`<@`).
  Expr<bool> contained_by(const V& items) const
      requires(detail::kIsArray<V> || std::same_as<V, HStore>) {
    return Expr<bool>(
        detail::type_op(std::same_as<V, HStore> ? "hstore_contained_by" : "array_contained_by",
                        {node_, detail::param(Value(items))}));
  }
  /// JSON: an object with the top-level key `key` (or an array holding the string): PG jsonb
  /// `?`, MySQL JSON_CONTAINS_PATH(x, 'one', '$."key"'). hstore: has `key` (`?`).
  Expr<bool> has_key(std::string_view key) const
      requires(detail::kIsJson<V> || std::same_as<V, HStore>) {
    return key_op("has_key", detail::param(Value(key)));
  }
  /// JSON and hstore: has at least one of `keys` (PG `?|`; MySQL JSON_CONTAINS_PATH 'one').
  Expr<bool> has_any_key(const std::vector<std::string>& keys) const
      requires(detail::kIsJson<V> || std::same_as<V, HStore>) {
    return key_op("has_any", detail::param(Value(keys)));
  }
  /// JSON and hstore: has every one of `keys` (PG `?&`; MySQL JSON_CONTAINS_PATH 'all').
  Expr<bool> has_all_keys(const std::vector<std::string>& keys) const
      requires(detail::kIsJson<V> || std::same_as<V, HStore>) {
    return key_op("has_all", detail::param(Value(keys)));
  }
  /// hstore: its keys, as a text array (akeys).
  Expr<std::vector<std::string>> keys() const requires std::same_as<V, HStore> {
    return Expr<std::vector<std::string>>(detail::type_op("hstore_keys", {node_}));
  }
  /// hstore: its values, as a text array with NULLs (avals).
  Expr<std::vector<std::optional<std::string>>> values() const requires std::same_as<V, HStore> {
    return Expr<std::vector<std::optional<std::string>>>(detail::type_op("hstore_values", {node_}));
  }
  /// hstore: only the pairs of `keys` (slice).
  Expr<HStore> slice(const std::vector<std::string>& keys) const requires std::same_as<V, HStore> {
    return Expr<HStore>(detail::type_op("hstore_slice", {node_, detail::param(Value(keys))}));
  }
  /// Arrays: shares at least one element with `items` (`&&`; peewee's contains_any).
  Expr<bool> overlap(const V& items) const requires detail::kIsArray<V> {
    return Expr<bool>(detail::type_op("array_overlap", {node_, detail::param(Value(items))}));
  }
  /// Arrays: `value = ANY(x)`, membership of one element.
  template <detail::ValueFor<detail::ElementOf<V>> U>
  Expr<bool> any(const U& value) const requires detail::kIsArray<V> {
    return Expr<bool>(
        detail::type_op("array_any", {node_, detail::to_param<detail::ElementOf<V>>(value)}));
  }
  /// Arrays: the number of elements (cardinality; 0 for an empty array).
  Expr<std::int32_t> length() const requires detail::kIsArray<V> {
    return Expr<std::int32_t>(detail::type_op("array_length", {node_}));
  }
  /// ORDER BY x ASC.
  Expr<V> asc() const { return ordering(false); }
  /// ORDER BY x DESC.
  Expr<V> desc() const { return ordering(true); }
  /// x OVER (window): a window function call, e.g.
  /// `fn::call<std::int64_t>("ROW_NUMBER").over(Window().order_by(c.price.desc()))`.
  Expr<V> over(const Window& window) const;
  /// x AS name.
  Expr<V> as(std::string name) const {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kAlias;
    e.name = std::move(name);
    e.args = {node_};
    return Expr<V>(detail::node(std::move(e)));
  }

 private:
  template <class Range>
  Expr<bool> in_list(const char* op, const Range& values) const {
    ast::Expr list;
    list.kind = ast::Expr::Kind::kList;
    for (const V& v : values)
      list.args.push_back(detail::param(Value(v)));
    return Expr<bool>(detail::binary(op, node_, detail::node(std::move(list))));
  }
  Expr<bool> null_test(bool negated) const {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kIsNull;
    e.negated = negated;
    e.args = {node_};
    return Expr<bool>(detail::node(std::move(e)));
  }
  Expr<V> ordering(bool descending) const {
    ast::Expr e;
    e.kind = ast::Expr::Kind::kOrdering;
    e.descending = descending;
    e.args = {node_};
    return Expr<V>(detail::node(std::move(e)));
  }
  Expr<bool> like_escaped(std::string_view before, std::string_view text, std::string_view after,
                          const char* op = "LIKE") const;
  // A JSON operation on this expression; json (not jsonb) operands are cast on PostgreSQL.
  Expr<bool> json_op(std::string op, ast::ExprPtr arg) const {
    return Expr<bool>(
        detail::type_op(std::move(op), {node_, std::move(arg)}, std::same_as<V, Json>));
  }
  // has_key / has_any / has_all for JSON ("json_...") or hstore ("hstore_...").
  Expr<bool> key_op(std::string_view what, ast::ExprPtr arg) const {
    if constexpr (detail::kIsJson<V>) {
      return json_op("json_" + std::string(what), std::move(arg));
    } else {
      return Expr<bool>(detail::type_op("hstore_" + std::string(what), {node_, std::move(arg)}));
    }
  }

  ast::ExprPtr node_;
};

// ---- operators ----

/// Comparisons between expressions of comparable types, or an expression and a value that
/// converts to its type. Anything else (a text column against an integer) does not compile.
#define TERN_ORM_COMPARISON(OP, SQL)                                          \
  template <class A, class B>                                                 \
  requires Comparable<A, B> Expr<bool>                                        \
  operator OP(const Expr<A>& a, const Expr<B>& b) {                           \
    return Expr<bool>(detail::binary(SQL, a.node(), b.node()));               \
  }                                                                           \
  template <class A, detail::ValueFor<A> U>                                   \
  Expr<bool> operator OP(const Expr<A>& a, const U& b) {                      \
    return Expr<bool>(detail::binary(SQL, a.node(), detail::to_param<A>(b))); \
  }                                                                           \
  template <class A, detail::ValueFor<A> U>                                   \
  Expr<bool> operator OP(const U& b, const Expr<A>& a) {                      \
    return Expr<bool>(detail::binary(SQL, detail::to_param<A>(b), a.node())); \
  }
TERN_ORM_COMPARISON(==, "=")
TERN_ORM_COMPARISON(!=, "<>")
TERN_ORM_COMPARISON(<, "<")
TERN_ORM_COMPARISON(<=, "<=")
TERN_ORM_COMPARISON(>, ">")
TERN_ORM_COMPARISON(>=, ">=")
#undef TERN_ORM_COMPARISON

/// Arithmetic on numeric expressions (and a numeric value).
#define TERN_ORM_ARITHMETIC(OP, SQL)                                                          \
  template <class A, class B>                                                                 \
  requires(std::is_arithmetic_v<A> && std::is_arithmetic_v<B>) Expr<std::common_type_t<A, B>> \
  operator OP(const Expr<A>& a, const Expr<B>& b) {                                           \
    return Expr<std::common_type_t<A, B>>(detail::binary(SQL, a.node(), b.node()));           \
  }                                                                                           \
  template <class A, class U>                                                                 \
  requires(std::is_arithmetic_v<A> && std::is_arithmetic_v<U>) Expr<A>                        \
  operator OP(const Expr<A>& a, U b) {                                                        \
    return Expr<A>(detail::binary(SQL, a.node(), detail::to_param<A>(b)));                    \
  }                                                                                           \
  template <class A, class U>                                                                 \
  requires(std::is_arithmetic_v<A> && std::is_arithmetic_v<U>) Expr<A>                        \
  operator OP(U b, const Expr<A>& a) {                                                        \
    return Expr<A>(detail::binary(SQL, detail::to_param<A>(b), a.node()));                    \
  }
TERN_ORM_ARITHMETIC(+, "+")
TERN_ORM_ARITHMETIC(-, "-")
TERN_ORM_ARITHMETIC(*, "*")
TERN_ORM_ARITHMETIC(/, "/")
#undef TERN_ORM_ARITHMETIC

/// Both conditions.
inline Expr<bool> operator&&(const Expr<bool>& a, const Expr<bool>& b) {
  return Expr<bool>(detail::binary("AND", a.node(), b.node()));
}
/// Either condition.
inline Expr<bool> operator||(const Expr<bool>& a, const Expr<bool>& b) {
  return Expr<bool>(detail::binary("OR", a.node(), b.node()));
}
/// NOT condition.
Expr<bool> operator!(const Expr<bool>& a);

/// A bound value as an expression (e.g. for SELECT lists): `value(42)`.
template <class V>
Expr<V> value(const V& v) {
  return Expr<V>(detail::param(Value(v)));
}

/// A window: OVER (PARTITION BY ... ORDER BY ...).
class Window {
 public:
  /// PARTITION BY these expressions.
  template <class... V>
  Window& partition_by(const Expr<V>&... terms) {
    (partition_.push_back(terms.node()), ...);
    return *this;
  }
  /// ORDER BY these (plain expressions or .asc()/.desc()).
  template <class... V>
  Window& order_by(const Expr<V>&... terms) {
    (order_.push_back(terms.node()), ...);
    return *this;
  }
  /// The PARTITION BY list.
  const ast::ExprList& partition() const noexcept { return partition_; }
  /// The ORDER BY list.
  const ast::ExprList& order() const noexcept { return order_; }

 private:
  ast::ExprList partition_;
  ast::ExprList order_;
};

template <class V>
Expr<V> Expr<V>::over(const Window& window) const {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kWindow;
  e.args = {node_};
  e.partition = window.partition();
  e.order = window.order();
  return Expr<V>(detail::node(std::move(e)));
}

/// CAST(x AS sql_type) as an expression of C++ type R: `cast<std::int64_t>(c.price, "BIGINT")`.
/// `sql_type` is a portable type name (INTEGER, BIGINT, TEXT, NUMERIC, DOUBLE PRECISION,
/// DATE, TIMESTAMP...), checked and mapped per dialect by the compiler.
template <class R, class V>
Expr<R> cast(const Expr<V>& x, std::string sql_type) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kCast;
  e.name = std::move(sql_type);
  e.args = {x.node()};
  return Expr<R>(detail::node(std::move(e)));
}

/// CASE WHEN condition THEN value ... ELSE value END, of C++ type V:
/// `Case<std::string>().when(c.price > 10, "dear").else_("cheap")`.
template <class V>
class Case {
 public:
  /// WHEN condition THEN value.
  template <detail::ValueFor<V> U>
  Case& when(const Expr<bool>& condition, const U& value) {
    node_.args.push_back(condition.node());
    node_.args.push_back(detail::to_param<V>(value));
    return *this;
  }
  /// WHEN condition THEN expression.
  Case& when(const Expr<bool>& condition, const Expr<V>& value) {
    node_.args.push_back(condition.node());
    node_.args.push_back(value.node());
    return *this;
  }
  /// ELSE value, ending the CASE.
  template <detail::ValueFor<V> U>
  Expr<V> else_(const U& value) const {
    ast::Expr e = node_;
    e.args.push_back(detail::to_param<V>(value));
    e.has_else = true;
    return Expr<V>(detail::node(std::move(e)));
  }
  /// The CASE without ELSE (NULL when nothing matches).
  Expr<V> end() const { return Expr<V>(detail::node(node_)); }

 private:
  ast::Expr node_{.kind = ast::Expr::Kind::kCase};
};

/// SQL functions.
namespace fn {
/// A function call node (for the templates below).
ast::Expr detail_function(std::string name, ast::ExprList args);
/// COUNT(*).
Expr<std::int64_t> count();
/// COUNT(x).
template <class V>
Expr<std::int64_t> count(const Expr<V>& x) {
  return Expr<std::int64_t>(detail::node(detail_function("COUNT", {x.node()})));
}
/// SUM(x) (numeric: same type as x, except that the server may widen it).
template <class V>
requires std::is_arithmetic_v<V> Expr<V> sum(const Expr<V>& x) {
  return Expr<V>(detail::node(detail_function("SUM", {x.node()})));
}
/// AVG(x), as a double.
template <class V>
requires std::is_arithmetic_v<V> Expr<double> avg(const Expr<V>& x) {
  return Expr<double>(detail::node(detail_function("AVG", {x.node()})));
}
/// MIN(x).
template <class V>
Expr<V> min(const Expr<V>& x) {
  return Expr<V>(detail::node(detail_function("MIN", {x.node()})));
}
/// MAX(x).
template <class V>
Expr<V> max(const Expr<V>& x) {
  return Expr<V>(detail::node(detail_function("MAX", {x.node()})));
}
/// LOWER(x).
Expr<std::string> lower(const Expr<std::string>& x);
/// UPPER(x).
Expr<std::string> upper(const Expr<std::string>& x);
/// Any function: `fn::call<double>("ROUND", x, value(2))`.
template <class R, class... Args>
Expr<R> call(std::string name, const Args&... args) {
  return Expr<R>(detail::node(detail_function(std::move(name), {args.node()...})));
}
}  // namespace fn

// ---- implementation details ----

template <class V>
Expr<bool> Expr<V>::like_escaped(std::string_view before, std::string_view text,
                                 std::string_view after, const char* op) const {
  // LIKE's wildcards in the text are matched literally ('\' is the default escape character
  // of PostgreSQL and MySQL; the SQLite dialect names it with ESCAPE).
  std::string pattern(before);
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
    pattern += ch;
  }
  pattern += after;
  return Expr<bool>(detail::binary(op, node_, detail::param(Value(std::move(pattern)))));
}

}  // namespace tern::orm
