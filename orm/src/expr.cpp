#include "tern/orm/expr.hpp"

#include "tern/ring/recycle.hpp"

namespace tern::orm {

namespace detail {

namespace {
// Nodes come from the per-thread recycling allocator: a query built per call (a condition's
// parameter and operator nodes) reuses the blocks of the previous one instead of the heap.
std::shared_ptr<ast::Expr> new_node(ast::Expr::Kind kind) {
  auto e = std::allocate_shared<ast::Expr>(ring::RecyclingAllocator<ast::Expr>{});
  e->kind = kind;
  return e;
}
}  // namespace

ast::ExprPtr node(ast::Expr e) {
  return std::allocate_shared<const ast::Expr>(ring::RecyclingAllocator<ast::Expr>{}, std::move(e));
}

// binary() and param() fill their node in place: they run for every condition of every query.
ast::ExprPtr binary(std::string_view op, ast::ExprPtr lhs, ast::ExprPtr rhs) {
  std::shared_ptr<ast::Expr> e = new_node(ast::Expr::Kind::kBinary);
  e->op.assign(op.data(), op.size());
  e->args.reserve(2);
  e->args.push_back(std::move(lhs));
  e->args.push_back(std::move(rhs));
  return e;
}

ast::ExprPtr subquery(const ast::Query& query) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kSubquery;
  e.query = std::make_shared<const ast::Query>(query);
  return node(std::move(e));
}

ast::ExprPtr param(Value value) {
  std::shared_ptr<ast::Expr> e = new_node(ast::Expr::Kind::kParam);
  e->value = std::move(value);
  return e;
}

ast::ExprPtr type_op(std::string op, ast::ExprList args, bool json_operand) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kTypeOp;
  e.op = std::move(op);
  e.args = std::move(args);
  if (json_operand) e.name = "json";
  return node(std::move(e));
}

ast::ExprPtr json_step(const ast::ExprPtr& base, Value step) {
  // c.data["a"]["b"] is one path, not a path of a path: one parameter for the server to read.
  if (base && base->kind == ast::Expr::Kind::kTypeOp && base->op == "json_path") {
    ast::Expr e = *base;
    e.args.push_back(param(std::move(step)));
    return node(std::move(e));
  }
  return type_op("json_path", {base, param(std::move(step))});
}

ast::ExprPtr json_text(const ast::ExprPtr& base) {
  if (base && base->kind == ast::Expr::Kind::kTypeOp && base->op == "json_path") {
    ast::Expr e = *base;
    e.op = "json_path_text";
    return node(std::move(e));
  }
  return type_op("json_path_text", {base});
}

}  // namespace detail

Expr<bool> operator!(const Expr<bool>& a) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kUnary;
  e.op = "NOT";
  e.args = {a.node()};
  return Expr<bool>(detail::node(std::move(e)));
}

namespace fn {

ast::Expr detail_function(std::string name, ast::ExprList args) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kFunction;
  e.name = std::move(name);
  e.args = std::move(args);
  return e;
}

Expr<std::int64_t> count() {
  return Expr<std::int64_t>(orm::detail::node(detail_function("COUNT", {})));
}

Expr<std::string> lower(const Expr<std::string>& x) {
  return Expr<std::string>(orm::detail::node(detail_function("LOWER", {x.node()})));
}

Expr<std::string> upper(const Expr<std::string>& x) {
  return Expr<std::string>(orm::detail::node(detail_function("UPPER", {x.node()})));
}

}  // namespace fn
}  // namespace tern::orm
