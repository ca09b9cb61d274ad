// The SQL compiler for queries: AST → SQL text + bound parameters, for PostgreSQL or
// MySQL/MariaDB. One pass appends into a single string; placeholders are numbered as they are
// written, so parameter order is always the order of appearance in the final text. DDL lives in
// compile_ddl.cpp; the Ext operators (JSON, hstore, arrays) in compile_ext.cpp.
#include "tern/orm/compiler.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "compile_ext.hpp"
#include "shape.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm {

namespace compiler_internal {

void interface_error(std::string_view what) {
  throw InterfaceError("SQL compiler: " + std::string(what));
}

void not_supported(std::string_view what) {
  throw NotSupportedError("SQL compiler: " + std::string(what));
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

}  // namespace compiler_internal

namespace {

using ast::Expr;
using ast::ExprList;
using ast::ExprPtr;
using ast::Query;
using Kind = Expr::Kind;
using compiler_internal::append_int;
using compiler_internal::interface_error;
using compiler_internal::not_supported;

// Appends the quoted identifier; shared by quote_identifier() and the query writer so that
// quoting never allocates a temporary.
void append_identifier(std::string& out, std::string_view name, Dialect dialect) {
  if (name.empty()) interface_error("empty identifier");
  const char quote = dialect == Dialect::kMysql ? '`' : '"';
  out += quote;
  for (char c : name) {
    if (c == '\0') interface_error("identifier contains a NUL byte");
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
}

// ASCII case-insensitive equality, for SQL keywords and type names.
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// Function names are written unquoted (quoting would make them case-sensitive on PG), so they
// must be plain identifiers, optionally schema-qualified: nothing that could carry SQL.
void check_function_name(std::string_view name) {
  if (name.empty()) interface_error("empty function name");
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    const bool dot = c == '.' && i > 0 && name[i - 1] != '.' && i + 1 < name.size();
    if (alpha || dot || (i > 0 && digit)) continue;
    interface_error("invalid function name: " + std::string(name));
  }
}

// Cast type names are spliced too: letters, digits, spaces, '_' and a "(p, s)" suffix only.
void check_type_name(std::string_view name) {
  if (name.empty()) interface_error("empty CAST type");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == ' ' || c == '(' || c == ')' || c == ',';
    if (!ok) interface_error("invalid CAST type: " + std::string(name));
  }
}

// The binary operators of the AST and how they are spelled.
enum class BinOp : std::uint8_t { kInfix, kIn, kNotIn, kIs, kIsNot, kConcat };
struct BinOpInfo {
  std::string_view name;
  std::string_view sql;
  BinOp kind;
};
constexpr BinOpInfo kBinOps[] = {
    {"=", "=", BinOp::kInfix},
    {"<>", "<>", BinOp::kInfix},
    {"<", "<", BinOp::kInfix},
    {"<=", "<=", BinOp::kInfix},
    {">", ">", BinOp::kInfix},
    {">=", ">=", BinOp::kInfix},
    {"AND", "AND", BinOp::kInfix},
    {"OR", "OR", BinOp::kInfix},
    {"+", "+", BinOp::kInfix},
    {"-", "-", BinOp::kInfix},
    {"*", "*", BinOp::kInfix},
    {"/", "/", BinOp::kInfix},
    {"%", "%", BinOp::kInfix},
    {"LIKE", "LIKE", BinOp::kInfix},
    {"NOT_LIKE", "NOT LIKE", BinOp::kInfix},
    {"ILIKE", "ILIKE", BinOp::kInfix},  // MySQL: LIKE (see binary())
    {"IN", "IN", BinOp::kIn},
    {"NOT_IN", "NOT IN", BinOp::kNotIn},
    {"IS", "IS", BinOp::kIs},
    {"IS_NOT", "IS NOT", BinOp::kIsNot},
    {"CONCAT", "||", BinOp::kConcat},
};

const BinOpInfo& binary_op(std::string_view op) {
  for (const BinOpInfo& info : kBinOps) {
    if (info.name == op) return info;
  }
  interface_error("unknown binary operator: " + std::string(op));
}

bool is_empty_in(const Expr& e) {
  if (e.kind != Kind::kBinary || (e.op != "IN" && e.op != "NOT_IN") || e.args.size() != 2 ||
      !e.args[1]) {
    return false;
  }
  return e.args[1]->kind == Kind::kList && e.args[1]->args.empty();
}

bool is_compound_op(std::string_view op) {
  return op == "UNION" || op == "UNION ALL" || op == "INTERSECT" || op == "INTERSECT ALL" ||
         op == "EXCEPT" || op == "EXCEPT ALL";
}

// MySQL's largest LIMIT: its documented way to write OFFSET without LIMIT.
constexpr std::string_view kMysqlNoLimit = "18446744073709551615";

// Writes one statement. Holds the output and the placeholder counter for the whole statement,
// nested subqueries and CTEs included. The Ext operators are its base's (compile_ext.cpp).
class Writer final : compiler_internal::ExtWriter {
 public:
  /// Each placeholder's origin is recorded in `sources` (see CompileRecord).
  Writer(Dialect dialect, ast::Compiled& out, CompileRecord& sources)
      : ExtWriter(dialect, out.sql), dialect_(dialect), params_(out.params), sources_(sources) {}

  void query(const Query& q) {
    switch (q.kind) {
      case Query::Kind::kSelect:
        with(q.with);
        select(q);
        return;
      case Query::Kind::kCompound:
        with(q.with);
        compound(q);
        return;
      case Query::Kind::kInsert:
        insert(q);  // places its WITH itself (MySQL needs it on the source SELECT)
        return;
      case Query::Kind::kUpdate:
        with(q.with);
        update(q);
        return;
      case Query::Kind::kDelete:
        with(q.with);
        remove(q);
        return;
    }
    interface_error("unknown query kind");
  }

 private:
  void ident(std::string_view name) { append_identifier(sql_, name, dialect_); }
  bool mysql() const noexcept { return !pg_ && !sqlite_; }

  // A placeholder for the value of a kParam node.
  void bound(const Expr& e) {
    sources_.origins.push_back(&e.value);
    placeholder(e.value);
  }
  // A placeholder for a LIMIT or OFFSET.
  void count(const std::optional<std::int64_t>& n) {
    sources_.origins.push_back(&n);
    placeholder(Value(*n));
  }
  // A placeholder for a value computed from the AST's values (a JSON path made of several
  // steps): the text is only valid for these values, so it cannot be reused for the shape.
  void derived(Value v) override {
    sources_.reusable = false;
    placeholder(v);
  }

  void placeholder(const Value& v) {
    params_.push_back(v);
    if (pg_) {
      sql_ += '$';
      append_int(sql_, static_cast<std::int64_t>(params_.size()));
    } else {
      sql_ += '?';
    }
  }

  static const Expr& deref(const ExprPtr& p) {
    if (!p) interface_error("null expression");
    return *p;
  }
  static const Query& deref(const ast::QueryPtr& p) {
    if (!p) interface_error("null query");
    return *p;
  }

  void ident_list(std::span<const std::string> names) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) sql_ += ", ";
      ident(names[i]);
    }
  }
  void expr_list(const ExprList& list) override {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) sql_ += ", ";
      expr(deref(list[i]));
    }
  }

  // Whether `e` must be parenthesized as the operand of an operator: anything whose own
  // operators could bind differently with its neighbour's. Atoms (columns, placeholders,
  // function calls, CASE, CAST, subqueries) never need it.
  bool needs_parens(const Expr& e) const {
    switch (e.kind) {
      case Kind::kBinary:
        if (is_empty_in(e)) return false;           // already "(1 = 0)"
        return pg_ || sqlite_ || e.op != "CONCAT";  // MySQL CONCAT is a function call
      case Kind::kUnary:
        return e.op != "NEG";  // NOT binds looser than comparisons; -(x) is an atom
      case Kind::kIsNull:
      case Kind::kBetween:
      case Kind::kRaw:
        return true;
      case Kind::kExists:
        return e.negated;
      case Kind::kTypeOp:
        // PostgreSQL's operators (@>, #>, ?...) bind tighter than comparisons but not as
        // tightly as the reader may expect; MySQL writes them all as function calls.
        if (sqlite_) return e.op == "json_path" || e.op == "json_path_text";  // -> and ->>
        return pg_ && (e.op == "json_path" || e.op == "json_path_text" || e.op == "array_any" ||
                       is_infix_type_op(e.op));
      default:
        return false;
    }
  }

  void operand(const Expr& e) override {
    if (needs_parens(e)) {
      sql_ += '(';
      expr(e);
      sql_ += ')';
    } else {
      expr(e);
    }
  }

  // An expression in a context that delimits it (a select list, WHERE, an argument list...).
  void expr(const Expr& e) override {
    switch (e.kind) {
      case Kind::kColumn:
        column(e);
        return;
      case Kind::kParam:
        bound(e);
        return;
      case Kind::kBinary:
        binary(e);
        return;
      case Kind::kUnary:
        if (e.op == "NOT") {
          sql_ += "NOT (";
        } else if (e.op == "NEG") {
          sql_ += "-(";
        } else {
          interface_error("unknown unary operator: " + e.op);
        }
        expr(arg(e, 0));
        sql_ += ')';
        return;
      case Kind::kIsNull:
        operand(arg(e, 0));
        sql_ += e.negated ? " IS NOT NULL" : " IS NULL";
        return;
      case Kind::kBetween:
        operand(arg(e, 0));
        sql_ += e.negated ? " NOT BETWEEN " : " BETWEEN ";
        operand(arg(e, 1));
        sql_ += " AND ";
        operand(arg(e, 2));
        return;
      case Kind::kFunction:
        function(e);
        return;
      case Kind::kList:
        if (e.args.empty()) interface_error("empty list outside IN");
        sql_ += '(';
        expr_list(e.args);
        sql_ += ')';
        return;
      case Kind::kAlias:
        expr(arg(e, 0));
        sql_ += " AS ";
        ident(e.name);
        return;
      case Kind::kStar:
        if (!e.table.empty()) {
          ident(e.table);
          sql_ += '.';
        }
        sql_ += '*';
        return;
      case Kind::kSubquery:
        sql_ += '(';
        query(deref(e.query));
        sql_ += ')';
        return;
      case Kind::kExists:
        sql_ += e.negated ? "NOT EXISTS (" : "EXISTS (";
        query(deref(e.query));
        sql_ += ')';
        return;
      case Kind::kCase:
        case_expr(e);
        return;
      case Kind::kCast:
        sql_ += "CAST(";
        expr(arg(e, 0));
        sql_ += " AS ";
        cast_type(e.name);
        sql_ += ')';
        return;
      case Kind::kRaw:
        raw(e);
        return;
      case Kind::kOrdering:
        ordering(e);
        return;
      case Kind::kWindow:
        window(e);
        return;
      case Kind::kTypeOp:
        type_op(e);
        return;
    }
    interface_error("unknown expression kind");
  }

  // EXCLUDED is the pseudo-table of the row proposed for insertion in an upsert: PG's
  // (unquoted: the alias is lower-case) `excluded`, MySQL's VALUES(col).
  void column(const Expr& e) {
    if (e.table == "EXCLUDED") {
      if (!mysql()) {
        sql_ += "EXCLUDED.";
        ident(e.name);
      } else {
        sql_ += "VALUES(";
        ident(e.name);
        sql_ += ')';
      }
      return;
    }
    if (!e.table.empty() && !bare_columns_) {
      ident(e.table);
      sql_ += '.';
    }
    ident(e.name);
  }

  void binary(const Expr& e) {
    const BinOpInfo& op = binary_op(e.op);
    if (e.args.size() != 2) interface_error("binary operator needs two operands");
    const Expr& lhs = arg(e, 0);
    const Expr& rhs = arg(e, 1);
    switch (op.kind) {
      case BinOp::kIn:
      case BinOp::kNotIn:
        // x IN () is a syntax error; membership in an empty set is simply false.
        if (rhs.kind == Kind::kList && rhs.args.empty()) {
          sql_ += op.kind == BinOp::kIn ? "(1 = 0)" : "(1 = 1)";
          return;
        }
        operand(lhs);
        sql_ += ' ';
        sql_ += op.sql;
        sql_ += ' ';
        if (rhs.kind == Kind::kList || rhs.kind == Kind::kSubquery) {
          expr(rhs);
        } else {
          sql_ += '(';
          expr(rhs);
          sql_ += ')';
        }
        return;
      case BinOp::kIs:
      case BinOp::kIsNot:
        is(lhs, rhs, op.kind == BinOp::kIsNot);
        return;
      case BinOp::kConcat:
        if (!pg_ && !sqlite_) {
          sql_ += "CONCAT(";
          expr(lhs);
          sql_ += ", ";
          expr(rhs);
          sql_ += ')';
          return;
        }
        break;
      case BinOp::kInfix:
        break;
    }
    operand(lhs);
    sql_ += ' ';
    // MySQL and SQLite have no ILIKE; MySQL's default collations compare case-insensitively,
    // and so does SQLite's LIKE (for ASCII letters), so LIKE matches.
    sql_ += (!pg_ && op.name == "ILIKE") ? std::string_view("LIKE") : op.sql;
    sql_ += ' ';
    operand(rhs);
    // A backslash escapes LIKE's wildcards by default on PostgreSQL and MySQL; SQLite has no
    // default escape character, so it is named (startswith() & co. rely on it).
    if (sqlite_ && (op.name == "LIKE" || op.name == "NOT_LIKE" || op.name == "ILIKE")) {
      sql_ += " ESCAPE '\\'";
    }
  }

  // IS takes a keyword on its right (NULL, TRUE, FALSE), never a placeholder: `x IS $1` is a
  // syntax error on PG. So a NULL/bool parameter becomes the keyword (a constant, not data), and
  // any other right side becomes the null-safe comparison: PG IS [NOT] DISTINCT FROM, MySQL <=>.
  void is(const Expr& lhs, const Expr& rhs, bool negated) {
    if (rhs.kind == Kind::kParam) {
      const auto& v = rhs.value.storage();
      const bool* b = std::get_if<bool>(&v);
      if (rhs.value.is_null() || b != nullptr) {
        // The value picks the keyword: this text holds only for this value.
        sources_.reusable = false;
        operand(lhs);
        sql_ += negated ? " IS NOT " : " IS ";
        sql_ += b == nullptr ? "NULL" : (*b ? "TRUE" : "FALSE");
        return;
      }
    }
    if (pg_) {
      operand(lhs);
      sql_ += negated ? " IS DISTINCT FROM " : " IS NOT DISTINCT FROM ";
      operand(rhs);
      return;
    }
    if (sqlite_) {  // SQLite's IS / IS NOT compare null-safely any two values
      operand(lhs);
      sql_ += negated ? " IS NOT " : " IS ";
      operand(rhs);
      return;
    }
    if (negated) sql_ += "NOT (";
    operand(lhs);
    sql_ += " <=> ";
    operand(rhs);
    if (negated) sql_ += ')';
  }

  void function(const Expr& e) {
    check_function_name(e.name);
    sql_ += e.name;
    sql_ += '(';
    if (e.args.empty()) {
      if (iequals(e.name, "COUNT")) {
        if (e.distinct) interface_error("COUNT(DISTINCT) needs an argument");
        sql_ += '*';
      }
    } else {
      if (e.distinct) sql_ += "DISTINCT ";
      expr_list(e.args);
    }
    sql_ += ')';
  }

  void case_expr(const Expr& e) {
    const std::size_t fixed = (e.has_operand ? 1U : 0U) + (e.has_else ? 1U : 0U);
    if (e.args.size() < fixed + 2 || (e.args.size() - fixed) % 2 != 0) {
      interface_error("CASE needs WHEN/THEN pairs");
    }
    std::size_t i = 0;
    sql_ += "CASE";
    if (e.has_operand) {
      sql_ += ' ';
      expr(arg(e, i++));
    }
    const std::size_t end = e.args.size() - (e.has_else ? 1U : 0U);
    while (i < end) {
      sql_ += " WHEN ";
      expr(arg(e, i++));
      sql_ += " THEN ";
      expr(arg(e, i++));
    }
    if (e.has_else) {
      sql_ += " ELSE ";
      expr(arg(e, i));
    }
    sql_ += " END";
  }

  // PG takes the portable (DDL) type names as they are; MySQL's CAST accepts only a few target
  // types, so the portable names map onto those.
  void cast_type(std::string_view type) {
    check_type_name(type);
    if (pg_ || sqlite_) {  // SQLite takes any type name (its affinity follows from the name)
      sql_ += type;
      return;
    }
    std::string_view base = type;
    std::string_view suffix;  // "(p,s)" when given
    if (const auto paren = type.find('('); paren != std::string_view::npos) {
      base = type.substr(0, paren);
      suffix = type.substr(paren);
    }
    while (!base.empty() && base.back() == ' ')
      base.remove_suffix(1);
    if (iequals(base, "INTEGER") || iequals(base, "INT") || iequals(base, "BIGINT") ||
        iequals(base, "SMALLINT")) {
      sql_ += "SIGNED";
    } else if (iequals(base, "TEXT")) {
      sql_ += "CHAR";
    } else if (iequals(base, "VARCHAR") || iequals(base, "CHAR")) {
      sql_ += "CHAR";
      sql_ += suffix;
    } else if (iequals(base, "NUMERIC") || iequals(base, "DECIMAL")) {
      sql_ += "DECIMAL";
      sql_ += suffix.empty() ? std::string_view("(65,30)") : suffix;
    } else if (iequals(base, "DOUBLE PRECISION") || iequals(base, "DOUBLE")) {
      sql_ += "DOUBLE";
    } else if (iequals(base, "TIMESTAMP") || iequals(base, "DATETIME")) {
      sql_ += "DATETIME";
      sql_ += suffix.empty() ? std::string_view("(6)") : suffix;
    } else if (iequals(base, "TIME")) {
      sql_ += "TIME";
      sql_ += suffix.empty() ? std::string_view("(6)") : suffix;
    } else {
      sql_ += type;  // DATE, DECIMAL(p,s) spelled natively, BINARY, ...: as given
    }
  }

  // Raw SQL: each `?` takes the next argument (parenthesized when compound, so the raw text's
  // operators cannot capture part of it).
  void raw(const Expr& e) {
    std::size_t next = 0;
    std::size_t start = 0;
    const std::string_view text = e.name;
    for (std::size_t pos = text.find('?'); pos != std::string_view::npos;
         pos = text.find('?', start)) {
      sql_ += text.substr(start, pos - start);
      operand(arg(e, next++));
      start = pos + 1;
    }
    sql_ += text.substr(start);
    if (next != e.args.size()) interface_error("raw SQL has fewer `?` than arguments");
  }

  // MySQL has no NULLS FIRST/LAST (SQLite has, since 3.30); sorting on `x IS NULL` first (0/1)
  // places the NULLs.
  void ordering(const Expr& e) {
    const Expr& x = arg(e, 0);
    const std::string_view dir = e.descending ? " DESC" : " ASC";
    if (e.nulls != Expr::Nulls::kDefault && !pg_ && !sqlite_) {
      operand(x);
      sql_ += e.nulls == Expr::Nulls::kFirst ? " IS NULL DESC, " : " IS NULL ASC, ";
      expr(x);
      sql_ += dir;
      return;
    }
    expr(x);
    sql_ += dir;
    if (e.nulls == Expr::Nulls::kFirst) sql_ += " NULLS FIRST";
    if (e.nulls == Expr::Nulls::kLast) sql_ += " NULLS LAST";
  }

  void window(const Expr& e) {
    expr(arg(e, 0));
    sql_ += " OVER (";
    if (!e.partition.empty()) {
      sql_ += "PARTITION BY ";
      expr_list(e.partition);
    }
    if (!e.order.empty()) {
      if (!e.partition.empty()) sql_ += ' ';
      sql_ += "ORDER BY ";
      expr_list(e.order);
    }
    sql_ += ')';
  }

  // ---- statements ----

  // WITH [RECURSIVE] ... followed by a space. RECURSIVE qualifies the whole list, so one
  // recursive CTE makes it appear.
  void with(const std::vector<ast::Cte>& ctes) {
    if (ctes.empty()) return;
    sql_ += "WITH ";
    for (const ast::Cte& cte : ctes) {
      if (cte.recursive) {
        sql_ += "RECURSIVE ";
        break;
      }
    }
    for (std::size_t i = 0; i < ctes.size(); ++i) {
      if (i > 0) sql_ += ", ";
      ident(ctes[i].name);
      if (!ctes[i].columns.empty()) {
        sql_ += " (";
        ident_list(ctes[i].columns);
        sql_ += ')';
      }
      sql_ += " AS (";
      query(deref(ctes[i].query));
      sql_ += ')';
    }
    sql_ += ' ';
  }

  void table_ref(const ast::TableRef& t) {
    if (t.subquery) {
      if (t.alias.empty()) interface_error("a subquery in FROM/JOIN needs an alias");
      sql_ += '(';
      query(*t.subquery);
      sql_ += ") AS ";
      ident(t.alias);
      return;
    }
    ident(t.name);
    if (!t.alias.empty()) {
      sql_ += " AS ";
      ident(t.alias);
    }
  }

  void join(const ast::Join& j) {
    using Type = ast::Join::Type;
    switch (j.type) {
      case Type::kInner:
        sql_ += " INNER JOIN ";
        break;
      case Type::kLeft:
        sql_ += " LEFT OUTER JOIN ";
        break;
      case Type::kRight:
        sql_ += " RIGHT OUTER JOIN ";
        break;
      case Type::kFull:
        if (!pg_ && !sqlite_) not_supported("FULL OUTER JOIN is not supported by MySQL/MariaDB");
        sql_ += " FULL OUTER JOIN ";
        break;
      case Type::kCross:
        if (j.on) interface_error("CROSS JOIN takes no ON condition");
        sql_ += " CROSS JOIN ";
        table_ref(j.table);
        return;
    }
    table_ref(j.table);
    if (!j.on) interface_error("JOIN needs an ON condition");
    sql_ += " ON ";
    expr(*j.on);
  }

  void select(const Query& q) {
    sql_ += q.distinct ? "SELECT DISTINCT " : "SELECT ";
    if (q.columns.empty()) {
      sql_ += '*';
    } else {
      expr_list(q.columns);
    }
    if (q.from) {
      sql_ += " FROM ";
      table_ref(*q.from);
    } else if (!q.joins.empty()) {
      interface_error("JOIN without FROM");
    }
    for (const ast::Join& j : q.joins)
      join(j);
    where(q);
    if (!q.group_by.empty()) {
      sql_ += " GROUP BY ";
      expr_list(q.group_by);
    }
    if (q.having) {
      sql_ += " HAVING ";
      expr(*q.having);
    }
    order_limit_offset(q);
    if (q.lock) lock(*q.lock);
  }

  void lock(const ast::Lock& l) {
    using S = ast::Lock::Strength;
    if (l.nowait && l.skip_locked) interface_error("NOWAIT and SKIP LOCKED exclude each other");
    if (sqlite_) {
      not_supported(
          "row locks (FOR UPDATE / FOR SHARE) are not supported by SQLite: it locks the whole "
          "database, and a write transaction (aio_atomic: BEGIN IMMEDIATE) already keeps every "
          "other writer out until it ends");
    }
    if (!pg_) {
      if (l.strength == S::kNoKeyUpdate || l.strength == S::kKeyShare) {
        not_supported("FOR NO KEY UPDATE / FOR KEY SHARE are PostgreSQL's");
      }
      if (!l.of.empty()) not_supported("FOR UPDATE OF is not supported by MySQL/MariaDB");
    }
    switch (l.strength) {
      case S::kUpdate:
        sql_ += " FOR UPDATE";
        break;
      case S::kNoKeyUpdate:
        sql_ += " FOR NO KEY UPDATE";
        break;
      case S::kShare:
        // MariaDB spells it the old way (FOR SHARE is MySQL 8's).
        sql_ += pg_ ? " FOR SHARE" : " LOCK IN SHARE MODE";
        break;
      case S::kKeyShare:
        sql_ += " FOR KEY SHARE";
        break;
    }
    for (std::size_t i = 0; i < l.of.size(); ++i) {
      sql_ += i == 0 ? " OF " : ", ";
      ident(l.of[i]);
    }
    if (l.nowait) sql_ += " NOWAIT";
    if (l.skip_locked) sql_ += " SKIP LOCKED";
  }

  void where(const Query& q) {
    if (!q.where) return;
    sql_ += " WHERE ";
    expr(*q.where);
  }

  // LIMIT/OFFSET are placeholders too, so one statement text serves every page.
  void order_limit_offset(const Query& q) {
    if (!q.order_by.empty()) {
      sql_ += " ORDER BY ";
      expr_list(q.order_by);
    }
    if ((q.limit && *q.limit < 0) || (q.offset && *q.offset < 0)) {
      interface_error("negative LIMIT or OFFSET");
    }
    if (q.limit) {
      sql_ += " LIMIT ";
      count(q.limit);
    }
    if (q.offset) {
      if (!q.limit && !pg_) {
        sql_ += " LIMIT ";
        sql_ += sqlite_ ? std::string_view("-1") : kMysqlNoLimit;  // no OFFSET without LIMIT
      }
      sql_ += " OFFSET ";
      count(q.offset);
    }
  }

  // A member of a compound SELECT. A plain SELECT goes bare (the form every server accepts);
  // one with its own ORDER BY/LIMIT/WITH/locking, or a nested compound (precedence), is
  // parenthesized — PG and MariaDB 10.4+ accept parenthesized query expressions there.
  void compound_part(const Query& p) {
    if (p.kind != Query::Kind::kSelect && p.kind != Query::Kind::kCompound) {
      interface_error("a compound query's parts must be SELECTs");
    }
    const bool wrap = p.kind == Query::Kind::kCompound || !p.order_by.empty() || p.limit ||
                      p.offset || !p.with.empty() || p.lock;
    if (wrap) sql_ += '(';
    query(p);
    if (wrap) sql_ += ')';
  }

  void compound(const Query& q) {
    if (!is_compound_op(q.compound_op)) {
      interface_error("unknown compound operator: " + q.compound_op);
    }
    if (q.lock) interface_error("FOR UPDATE on a compound query");
    compound_part(deref(q.lhs));
    sql_ += ' ';
    sql_ += q.compound_op;
    sql_ += ' ';
    compound_part(deref(q.rhs));
    // The ORDER BY of a compound names its result columns: a table qualifier is meaningless
    // there (an error on both servers), so columns are written bare.
    bare_columns_ = true;
    order_limit_offset(q);
    bare_columns_ = false;
  }

  void assignments(const std::vector<std::pair<std::string, ExprPtr>>& list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i > 0) sql_ += ", ";
      ident(list[i].first);
      sql_ += " = ";
      expr(deref(list[i].second));
    }
  }

  void returning(const Query& q) {
    if (q.returning.empty()) return;
    // MariaDB 10.5+ has INSERT/DELETE ... RETURNING, but no UPDATE ... RETURNING.
    if (!pg_ && !sqlite_ && q.kind == Query::Kind::kUpdate) {
      not_supported(
          "UPDATE ... RETURNING is not supported by MySQL/MariaDB: MariaDB (10.5+) returns rows "
          "from INSERT and DELETE only, MySQL from none; select the rows after the UPDATE, in "
          "the same transaction");
    }
    sql_ += " RETURNING ";
    expr_list(q.returning);
  }

  static void check_target(const Query& q) {
    if (q.table.empty()) interface_error("INSERT/UPDATE/DELETE needs a table");
    if (q.from || !q.joins.empty()) {
      not_supported("FROM/JOIN in INSERT/UPDATE/DELETE");
    }
  }

  void insert(const Query& q) {
    check_target(q);
    const auto& oc = q.on_conflict;
    using Action = ast::OnConflict::Action;
    if (oc && oc->action == Action::kUpdate) {
      if (oc->updates.empty()) interface_error("ON CONFLICT DO UPDATE needs assignments");
      if (!mysql() && oc->target.empty()) {
        interface_error("ON CONFLICT DO UPDATE needs a target");
      }
    }
    if (q.source && !q.rows.empty()) interface_error("INSERT with both VALUES and a SELECT");
    if (!q.with.empty()) {
      // PG, SQLite: WITH ... INSERT. MySQL/MariaDB only take the WITH on the source SELECT.
      if (!mysql()) {
        with(q.with);
      } else if (!q.source) {
        not_supported("WITH on INSERT ... VALUES is not supported by MySQL/MariaDB");
      }
    }
    const bool mysql_ignore = mysql() && oc && oc->action == Action::kIgnore;
    sql_ += mysql_ignore ? "INSERT IGNORE INTO " : "INSERT INTO ";
    ident(q.table);
    if (!q.insert_columns.empty()) {
      sql_ += " (";
      ident_list(q.insert_columns);
      sql_ += ')';
    }
    if (q.source) {
      sql_ += ' ';
      if (mysql()) with(q.with);
      // SQLite reads "SELECT ... ON CONFLICT" as a join's ON: a WHERE before the upsert clause
      // ends the SELECT (SQLite's documented way).
      const bool wrap = sqlite_ && oc && !q.source->where;
      if (wrap) sql_ += "SELECT * FROM (";
      query(*q.source);
      if (wrap) sql_ += ") WHERE true";
    } else if (!q.rows.empty()) {
      sql_ += " VALUES ";
      for (std::size_t i = 0; i < q.rows.size(); ++i) {
        const auto& row = q.rows[i];
        if (row.empty()) interface_error("empty VALUES row");
        if (!q.insert_columns.empty() && row.size() != q.insert_columns.size()) {
          interface_error("VALUES row length differs from the column list");
        }
        if (i > 0) sql_ += ", ";
        sql_ += '(';
        expr_list(row);
        sql_ += ')';
      }
    } else {
      if (!q.insert_columns.empty()) interface_error("INSERT columns without rows");
      sql_ += mysql() ? " () VALUES ()" : " DEFAULT VALUES";
    }
    if (oc) {
      if (!mysql()) {
        sql_ += " ON CONFLICT";
        if (!oc->target.empty()) {
          sql_ += " (";
          ident_list(oc->target);
          sql_ += ')';
        }
        if (oc->action == Action::kIgnore) {
          sql_ += " DO NOTHING";
        } else {
          sql_ += " DO UPDATE SET ";
          assignments(oc->updates);
        }
      } else if (oc->action == Action::kUpdate) {
        sql_ += " ON DUPLICATE KEY UPDATE ";
        assignments(oc->updates);
      }
    }
    returning(q);
  }

  // MySQL's single-table UPDATE/DELETE take ORDER BY and LIMIT (no OFFSET); PG has neither.
  void dml_order_limit(const Query& q) {
    if (q.order_by.empty() && !q.limit && !q.offset) return;
    if (pg_) not_supported("ORDER BY/LIMIT on UPDATE/DELETE is not supported by PostgreSQL");
    if (sqlite_) {
      not_supported(
          "ORDER BY/LIMIT on UPDATE/DELETE is not supported by SQLite as Debian builds it "
          "(SQLITE_ENABLE_UPDATE_DELETE_LIMIT); select the keys in a subquery instead");
    }
    if (q.offset) not_supported("OFFSET on UPDATE/DELETE is not supported by MySQL/MariaDB");
    order_limit_offset(q);
  }

  void update(const Query& q) {
    check_target(q);
    if (q.assignments.empty()) interface_error("UPDATE needs assignments");
    sql_ += "UPDATE ";
    ident(q.table);
    sql_ += " SET ";
    assignments(q.assignments);
    where(q);
    dml_order_limit(q);
    returning(q);
  }

  void remove(const Query& q) {
    check_target(q);
    sql_ += "DELETE FROM ";
    ident(q.table);
    where(q);
    dml_order_limit(q);
    returning(q);
  }

  bool bare_columns_ = false;
  Dialect dialect_;
  Params& params_;
  CompileRecord& sources_;
};

}  // namespace

ast::Compiled compile(const ast::Query& query, Dialect dialect) {
  CompileRecord unused;
  return compile_recorded(query, dialect, unused);
}

ast::Compiled compile_recorded(const ast::Query& query, Dialect dialect, CompileRecord& record) {
  ast::Compiled out;
  out.sql.reserve(256);
  Writer(dialect, out, record).query(query);
  return out;
}

std::string quote_identifier(std::string_view name, Dialect dialect) {
  std::string out;
  out.reserve(name.size() + 2);
  append_identifier(out, name, dialect);
  return out;
}

}  // namespace tern::orm
