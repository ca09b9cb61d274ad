// The SQL compiler's Ext operators (PostgreSQL's Ext types and their MySQL/MariaDB spellings):
// JSON paths (#>, #>> / JSON_EXTRACT), JSON contains and has_key (@>, ?, ?|, ?& /
// JSON_CONTAINS, JSON_CONTAINS_PATH), hstore (->, ?, @>, akeys, avals, slice) and arrays (@>,
// <@, &&, ANY, subscripts, cardinality; PostgreSQL only). The statement writer (compiler.cpp)
// dispatches each kTypeOp expression here through ExtWriter (compile_ext.hpp).
#include "compile_ext.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tern/db/json.hpp"

namespace tern::orm::compiler_internal {
namespace {

using ast::Expr;
using Kind = Expr::Kind;

// kTypeOp operations written as PostgreSQL infix operators, and their symbols. The JSON ones
// are jsonb operators.
struct TypeOpInfix {
  std::string_view name;
  std::string_view sql;
};
constexpr TypeOpInfix kTypeOpInfix[] = {
    {"json_contains", "@>"},      {"json_contained_by", "<@"}, {"json_has_key", "?"},
    {"json_has_any", "?|"},       {"json_has_all", "?&"},      {"hstore_get", "->"},
    {"hstore_has_key", "?"},      {"hstore_contains", "@>"},   {"hstore_contained_by", "<@"},
    {"hstore_has_any", "?|"},     {"hstore_has_all", "?&"},    {"array_contains", "@>"},
    {"array_contained_by", "<@"}, {"array_overlap", "&&"},
};

const TypeOpInfix* type_op_infix(std::string_view op) {
  for (const TypeOpInfix& info : kTypeOpInfix) {
    if (info.name == op) return &info;
  }
  return nullptr;
}

// A MySQL JSON path step for an object key: ."key" (quoted, so any key is one step).
void append_mysql_key_step(std::string& path, std::string_view key) {
  path += '.';
  json::append_quoted(path, key);
}

// A SQLite JSON path step for an array index: [n], or [#-n] counting from the end.
void append_sqlite_index_step(std::string& path, std::int64_t index) {
  path += index < 0 ? "[#" : "[";
  append_int(path, index);
  path += ']';
}

// A MySQL JSON path step for an array index: [n]. Counting from the end ([last], [-1]) is
// refused: MariaDB 10.11 resolves `last` against the first row's array and applies that index
// to every row, so the answers would be silently wrong.
void append_mysql_index_step(std::string& path, std::int64_t index) {
  if (index < 0) {
    not_supported(
        "negative JSON array indexes are not supported on MySQL/MariaDB (MariaDB evaluates "
        "[last] against the first row only)");
  }
  path += '[';
  append_int(path, index);
  path += ']';
}

}  // namespace

bool ExtWriter::is_infix_type_op(std::string_view op) {
  return type_op_infix(op) != nullptr;
}

void ExtWriter::type_op(const Expr& e) {
  const std::string_view op = e.op;
  if (op == "json_path" || op == "json_path_text") {
    json_path(e, op == "json_path_text");
    return;
  }
  if (op.starts_with("json_")) {
    json_op(e);
    return;
  }
  if (!pg_) {
    const bool hstore = op.starts_with("hstore_");
    not_supported(std::string(hstore ? "hstore" : "array") +
                  " operations are PostgreSQL-only: " + (sqlite_ ? "SQLite" : "MySQL/MariaDB") +
                  " has no " + (hstore ? "hstore" : "array") + " type (" + e.op + ")");
  }
  if (const TypeOpInfix* infix = type_op_infix(op)) {
    // Text arrays are sent as text[]; varchar[] has no operators with text[] (anyarray needs
    // one element type), so a string array column is compared as text[] (a relabelling: the
    // values are the same).
    if (op.starts_with("array_") && is_text_array_param(arg(e, 1))) {
      sql_ += "CAST(";
      expr(arg(e, 0));
      sql_ += " AS TEXT[])";
    } else {
      operand(arg(e, 0));
    }
    sql_ += ' ';
    sql_ += infix->sql;
    sql_ += ' ';
    operand(arg(e, 1));
  } else if (op == "hstore_keys" || op == "hstore_values" || op == "hstore_slice" ||
             op == "array_length") {
    sql_ += op == "hstore_keys"     ? "akeys("
            : op == "hstore_values" ? "avals("
            : op == "hstore_slice"  ? "slice("
                                    : "cardinality(";
    expr_list(e.args);
    sql_ += ')';
  } else if (op == "array_subscript") {
    // Only a column reference takes a subscript as it is; anything else is parenthesized.
    const Expr& array = arg(e, 0);
    if (array.kind == Kind::kColumn) {
      expr(array);
    } else {
      sql_ += '(';
      expr(array);
      sql_ += ')';
    }
    sql_ += '[';
    expr(arg(e, 1));
    sql_ += ']';
  } else if (op == "array_any") {
    operand(arg(e, 1));
    sql_ += " = ANY(";
    expr(arg(e, 0));
    sql_ += ')';
  } else {
    interface_error("unknown type operation: " + e.op);
  }
}

bool ExtWriter::is_text_array_param(const Expr& e) {
  return e.kind == Kind::kParam && std::holds_alternative<Array<std::string>>(e.value.storage());
}

// A path step: a kParam holding a key (text) or an index (integer).
const Value& ExtWriter::path_step(const Expr& step) {
  if (step.kind == Kind::kParam) {
    const auto& v = step.value.storage();
    if (std::holds_alternative<std::string>(v) || std::holds_alternative<std::int64_t>(v)) {
      return step.value;
    }
  }
  interface_error("a JSON path step must be a text key or an integer index");
}

// PG: one text[] parameter (#> reads "0" as an index in arrays, as a key in objects; "-1"
// counts from the end). MySQL: one path parameter, $."key"[0].
void ExtWriter::json_path(const Expr& e, bool text) {
  const Expr& doc = arg(e, 0);
  if (pg_) {
    Array<std::string> path;
    path.reserve(e.args.size() - 1);
    for (std::size_t i = 1; i < e.args.size(); ++i) {
      const auto& v = path_step(arg(e, i)).storage();
      if (const auto* key = std::get_if<std::string>(&v)) {
        path.emplace_back(*key);
      } else {
        path.emplace_back(std::to_string(std::get<std::int64_t>(v)));
      }
    }
    operand(doc);
    sql_ += text ? " #>> " : " #> ";
    derived(Value(std::move(path)));
    return;
  }
  std::string path = "$";
  for (std::size_t i = 1; i < e.args.size(); ++i) {
    const auto& v = path_step(arg(e, i)).storage();
    if (const auto* key = std::get_if<std::string>(&v)) {
      append_mysql_key_step(path, *key);  // SQLite reads the same quoted key steps
    } else if (sqlite_) {
      append_sqlite_index_step(path, std::get<std::int64_t>(v));
    } else {
      append_mysql_index_step(path, std::get<std::int64_t>(v));
    }
  }
  if (sqlite_) {
    // SQLite 3.38's -> gives the JSON text of the part, ->> its SQL value (text unquoted).
    operand(doc);
    sql_ += text ? " ->> " : " -> ";
    derived(Value(std::move(path)));
    return;
  }
  sql_ += text ? "JSON_UNQUOTE(JSON_EXTRACT(" : "JSON_EXTRACT(";
  expr(doc);
  sql_ += ", ";
  derived(Value(std::move(path)));
  sql_ += text ? "))" : ")";
}

// The keys of has_key (a text parameter) or has_any/has_all (a text[] parameter).
std::vector<std::string> ExtWriter::key_list(const Expr& keys) {
  if (keys.kind == Kind::kParam) {
    const auto& v = keys.value.storage();
    if (const auto* one = std::get_if<std::string>(&v)) return {*one};
    if (const auto* many = std::get_if<Array<std::string>>(&v)) {
      std::vector<std::string> out;
      for (const auto& k : *many) {
        if (!k) interface_error("a JSON key is NULL");
        out.push_back(*k);
      }
      return out;
    }
  }
  interface_error("JSON keys must be bound text values");
}

void ExtWriter::json_op(const Expr& e) {
  const std::string_view op = e.op;
  const Expr& doc = arg(e, 0);
  const Expr& rhs = arg(e, 1);
  if (pg_) {
    const TypeOpInfix* infix = type_op_infix(op);
    if (infix == nullptr) interface_error("unknown type operation: " + e.op);
    // These are jsonb operators: a json operand is converted first.
    if (e.name == "json") {
      sql_ += "CAST(";
      expr(doc);
      sql_ += " AS JSONB)";
    } else {
      operand(doc);
    }
    sql_ += ' ';
    sql_ += infix->sql;
    sql_ += ' ';
    operand(rhs);
    return;
  }
  if (sqlite_) {
    sqlite_json_op(e);
    return;
  }
  if (op == "json_contains" || op == "json_contained_by") {
    // JSON_CONTAINS(target, candidate): candidate is within target.
    const bool by = op == "json_contained_by";
    sql_ += "JSON_CONTAINS(";
    expr(by ? rhs : doc);
    sql_ += ", ";
    expr(by ? doc : rhs);
    sql_ += ')';
    return;
  }
  if (op != "json_has_key" && op != "json_has_any" && op != "json_has_all") {
    interface_error("unknown type operation: " + e.op);
  }
  const bool all = op == "json_has_all";
  const std::vector<std::string> keys = key_list(rhs);
  if (keys.empty()) {
    sql_ += all ? "(1 = 1)" : "(1 = 0)";  // as PG: every one of no keys, none of them
    return;
  }
  sql_ += "JSON_CONTAINS_PATH(";
  expr(doc);
  sql_ += all ? ", 'all'" : ", 'one'";
  for (const std::string& key : keys) {
    std::string path = "$";
    append_mysql_key_step(path, key);
    sql_ += ", ";
    derived(Value(std::move(path)));
  }
  sql_ += ')';
}

// SQLite has no containment test for JSON; a key is present when json_type() finds it (NULL
// for a missing path, 'null' for a JSON null).
void ExtWriter::sqlite_json_op(const Expr& e) {
  const std::string_view op = e.op;
  if (op == "json_contains" || op == "json_contained_by") {
    not_supported("JSON containment (@>, <@) is not supported by SQLite: it has no JSON_CONTAINS");
  }
  if (op != "json_has_key" && op != "json_has_any" && op != "json_has_all") {
    interface_error("unknown type operation: " + e.op);
  }
  const bool all = op == "json_has_all";
  const std::vector<std::string> keys = key_list(arg(e, 1));
  if (keys.empty()) {
    sql_ += all ? "(1 = 1)" : "(1 = 0)";
    return;
  }
  sql_ += '(';
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) sql_ += all ? " AND " : " OR ";
    sql_ += "json_type(";
    expr(arg(e, 0));
    sql_ += ", ";
    std::string path = "$";
    append_mysql_key_step(path, keys[i]);
    derived(Value(std::move(path)));
    sql_ += ") IS NOT NULL";
  }
  sql_ += ')';
}

}  // namespace tern::orm::compiler_internal
