// What the SQL compiler's statement writer (compiler.cpp) shares with its Ext operators
// (compile_ext.cpp: JSON paths, contains and has_key, hstore, arrays): the output, the dialect,
// the errors, and the few writer steps the operators recurse into. Private to the ORM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tern/db/dialect.hpp"
#include "tern/orm/ast.hpp"

namespace tern::orm::compiler_internal {

/// Throws InterfaceError("SQL compiler: " + what): an AST the compiler cannot write.
[[noreturn]] void interface_error(std::string_view what);
/// Throws NotSupportedError("SQL compiler: " + what): SQL the dialect does not have.
[[noreturn]] void not_supported(std::string_view what);
/// Appends `v` in decimal.
void append_int(std::string& out, std::int64_t v);

/// The statement writer's Ext half. compiler.cpp's Writer derives from it, supplies the writer
/// steps below and dispatches every kTypeOp expression to type_op(); the operators themselves
/// are defined in compile_ext.cpp. (A base with virtual steps, not a template: the operators
/// compile once, in their own file. The Writer is final, so its own calls stay direct.)
class ExtWriter {
 protected:
  ExtWriter(Dialect dialect, std::string& sql) noexcept
      : pg_(dialect == Dialect::kPostgres), sqlite_(dialect == Dialect::kSqlite), sql_(sql) {}
  ~ExtWriter() = default;
  ExtWriter(const ExtWriter&) = delete;
  ExtWriter& operator=(const ExtWriter&) = delete;

  /// Appends `e` in a context that delimits it (a select list, WHERE, an argument list...).
  virtual void expr(const ast::Expr& e) = 0;
  /// Appends `e` as an operator's operand, parenthesized when it needs to be.
  virtual void operand(const ast::Expr& e) = 0;
  /// Appends `list` separated by ", ".
  virtual void expr_list(const ast::ExprList& list) = 0;
  /// Appends a placeholder for a value computed from the AST's values (a JSON path of several
  /// steps): the text is then only valid for these values.
  virtual void derived(Value v) = 0;

  /// Argument `i` of `e`; InterfaceError when it is missing or null. (Inline: the writer
  /// reads every operand through it.)
  static const ast::Expr& arg(const ast::Expr& e, std::size_t i) {
    if (i >= e.args.size()) interface_error("expression is missing an argument");
    if (!e.args[i]) interface_error("null expression");
    return *e.args[i];
  }

  /// Appends a kTypeOp expression: a JSON, hstore or array operator.
  void type_op(const ast::Expr& e);
  /// True when the kTypeOp `op` is written as a PostgreSQL infix operator (so an operand of
  /// another operator needs parentheses around it).
  static bool is_infix_type_op(std::string_view op);

  const bool pg_;
  const bool sqlite_;  ///< SQLite (else MySQL when not pg_)
  std::string& sql_;

 private:
  static bool is_text_array_param(const ast::Expr& e);
  static const Value& path_step(const ast::Expr& step);
  static std::vector<std::string> key_list(const ast::Expr& keys);
  void json_path(const ast::Expr& e, bool text);
  void json_op(const ast::Expr& e);
  void sqlite_json_op(const ast::Expr& e);
};

}  // namespace tern::orm::compiler_internal
