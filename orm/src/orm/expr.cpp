#include "tern/orm/expr.hpp"

namespace tern::orm {

namespace detail {

ast::ExprPtr node(ast::Expr e) {
  return std::make_shared<const ast::Expr>(std::move(e));
}

ast::ExprPtr binary(std::string op, ast::ExprPtr lhs, ast::ExprPtr rhs) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kBinary;
  e.op = std::move(op);
  e.args = {std::move(lhs), std::move(rhs)};
  return node(std::move(e));
}

ast::ExprPtr subquery(const ast::Query& query) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kSubquery;
  e.query = std::make_shared<const ast::Query>(query);
  return node(std::move(e));
}

ast::ExprPtr param(Value value) {
  ast::Expr e;
  e.kind = ast::Expr::Kind::kParam;
  e.value = std::move(value);
  return node(std::move(e));
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

ast::Expr detail_function(std::string name, std::vector<ast::ExprPtr> args) {
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
