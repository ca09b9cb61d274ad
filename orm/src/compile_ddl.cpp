// The SQL compiler for DDL: CREATE TABLE (+ CREATE INDEX, and CREATE TYPE of PostgreSQL enums),
// DROP TABLE and the pieces of ALTER TABLE the Migrator builds on, per dialect. DDL cannot take
// bound parameters, so DEFAULT values are written as literals — each one quoted or validated so
// that no value can end its literal early.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tern/orm/compiler.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/hstore.hpp"

namespace tern::orm {
namespace {

using ast::ColumnDef;
using ast::ColumnType;

[[noreturn]] void interface_error(std::string_view what) {
  throw InterfaceError("SQL compiler: " + std::string(what));
}
[[noreturn]] void lacks(Dialect dialect, std::string_view what, std::string_view column) {
  throw NotSupportedError(
      "SQL compiler: " + std::string(dialect == Dialect::kSqlite ? "SQLite" : "MySQL/MariaDB") +
      " has no " + std::string(what) + " type (column " + std::string(column) +
      "; PostgreSQL only)");
}

[[noreturn]] void set_lacks(Dialect dialect, std::string_view column) {
  throw NotSupportedError(
      "SQL compiler: " + std::string(dialect == Dialect::kSqlite ? "SQLite" : "PostgreSQL") +
      " has no SET type (column " + std::string(column) + "; MySQL/MariaDB only)");
}

template <class T>
inline constexpr bool kIsArray = false;
template <class T>
inline constexpr bool kIsArray<Array<T>> = true;

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

// Appends `v` zero-padded to `width` digits (v >= 0).
void append_padded(std::string& out, std::int64_t v, int width) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  for (auto n = res.ptr - buf; n < width; ++n)
    out += '0';
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

// YYYY-MM-DD. Only years 1..9999 have this four-digit form on both servers.
void append_date(std::string& out, std::chrono::sys_days day) {
  const std::chrono::year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999) interface_error("DEFAULT date outside years 1..9999");
  append_padded(out, year, 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(ymd.day()), 2);
}

// [-]HH:MM:SS[.ffffff]; hours may exceed 23 (MySQL TIME is an interval up to 838 h).
void append_time(std::string& out, std::chrono::microseconds t) {
  std::int64_t us = t.count();
  if (us < 0) {
    out += '-';
    us = -us;
  }
  append_padded(out, us / 3'600'000'000, 2);
  out += ':';
  append_padded(out, us / 60'000'000 % 60, 2);
  out += ':';
  append_padded(out, us / 1'000'000 % 60, 2);
  if (us % 1'000'000 != 0) {
    out += '.';
    append_padded(out, us % 1'000'000, 6);
  }
}

void append_datetime(std::string& out, std::chrono::sys_time<std::chrono::microseconds> t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  append_date(out, day);
  out += ' ';
  append_time(out, t - day);
}

// '...' with ' doubled. A backslash is an escape character in MySQL literals, so it is doubled
// there; PG (standard_conforming_strings) takes it literally in '...', and its E'...' form,
// where backslashes are doubled, reads the same whatever that setting is. SQLite never
// escapes with a backslash.
void append_string(std::string& out, std::string_view s, Dialect dialect) {
  if (s.find('\0') != std::string_view::npos) interface_error("DEFAULT text holds a NUL byte");
  const bool backslash = dialect != Dialect::kSqlite && s.find('\\') != std::string_view::npos;
  if (backslash && dialect == Dialect::kPostgres) out += 'E';
  out += '\'';
  for (char c : s) {
    if (c == '\'' || (c == '\\' && backslash)) out += c;
    out += c;
  }
  out += '\'';
}

// A decimal must be [-+]digits[.digits]: it goes into the SQL text unquoted.
void append_decimal(std::string& out, std::string_view d) {
  std::size_t i = 0;
  if (i < d.size() && (d[i] == '-' || d[i] == '+')) ++i;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < d.size() && d[i] >= '0' && d[i] <= '9')
      ++i;
    return i > start;
  };
  bool ok = digits();
  if (ok && i < d.size() && d[i] == '.') {
    ++i;
    ok = digits();
  }
  if (!ok || i != d.size()) interface_error("invalid DEFAULT decimal: " + std::string(d));
  out += d;
}

void append_literal(std::string& out, const Value& value, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  const bool mysql = dialect == Dialect::kMysql;
  // The PostgreSQL-only types reach here only for PostgreSQL: their columns stop the others
  // first.
  const auto pg_only = [pg, dialect](std::string_view what) {
    if (!pg) lacks(dialect, what, "DEFAULT");
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out += "NULL";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "TRUE" : "FALSE";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          append_number(out, v);
        } else if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(v)) interface_error("DEFAULT double is not finite");
          append_number(out, v);  // shortest form that reads back exactly
        } else if constexpr (std::is_same_v<T, std::string>) {
          append_string(out, v, dialect);
        } else if constexpr (std::is_same_v<T, EnumLabel>) {
          append_string(out, v.label, dialect);  // PG casts the literal to the column's enum
        } else if constexpr (std::is_same_v<T, RecordText>) {
          pg_only("composite");
          append_string(out, v.text, dialect);  // record text, cast to the column's type
        } else if constexpr (std::is_same_v<T, ByteString>) {
          // PG: E'\\x0aff'::bytea (hex bytea input); MySQL: a hex literal X'0aff'.
          constexpr char kHex[] = "0123456789abcdef";
          out += pg ? "E'\\\\x" : "X'";
          for (std::byte b : v) {
            const auto u = std::to_integer<unsigned>(b);
            out += kHex[u >> 4];
            out += kHex[u & 0xF];
          }
          out += pg ? "'::bytea" : "'";
        } else if constexpr (std::is_same_v<T, Decimal>) {
          append_decimal(out, v.value);
        } else if constexpr (std::is_same_v<T, Date>) {
          out += '\'';
          append_date(out, v);
          out += '\'';
        } else if constexpr (std::is_same_v<T, DateTime>) {
          out += '\'';
          append_datetime(out,
                          std::chrono::sys_time<std::chrono::microseconds>(v.time_since_epoch()));
          out += '\'';
        } else if constexpr (std::is_same_v<T, WideTimestamp>) {
          // A default past 294247 AD (where DateTime ends) throws TypeError here.
          append_literal(out, Value(v.to_datetime()), dialect);
        } else if constexpr (std::is_same_v<T, WideTimestamptz>) {
          append_literal(out, Value(v.to_instant()), dialect);
        } else if constexpr (std::is_same_v<T, TimeOfDay>) {
          out += '\'';
          append_time(out, v);
          out += '\'';
        } else if constexpr (std::is_same_v<T, Uuid>) {
          append_string(out, v.to_string(), dialect);  // its canonical text: both accept it
        } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>) {
          // MySQL 8 takes a JSON default only as an expression, (...); MariaDB takes both.
          if (mysql) out += '(';
          append_string(out, v.text, dialect);
          if (mysql) out += ')';
        } else if constexpr (std::is_same_v<T, Interval>) {
          pg_only("interval");
          // Each field with its unit, so no IntervalStyle can read it differently.
          out += '\'';
          append_number(out, v.months);
          out += " months ";
          append_number(out, v.days);
          out += " days ";
          append_number(out, v.microseconds);
          out += " microseconds'";
        } else if constexpr (std::is_same_v<T, HStore>) {
          pg_only("hstore");
          append_string(out, pg::hstore::to_text(v), dialect);
        } else if constexpr (kIsArray<T>) {
          pg_only("array");
          // '{}' fits any array type; ARRAY[...] takes the elements as literals, and the column
          // type coerces it on assignment.
          if (v.empty()) {
            out += "'{}'";
            return;
          }
          out += "ARRAY[";
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            append_literal(out, Value(v[i]), dialect);
          }
          out += ']';
        } else {
          static_assert(std::is_same_v<T, Instant>);
          // PG: an explicit UTC offset, so the session TimeZone cannot shift it. MySQL DATETIME
          // and SQLite's text hold instants as UTC.
          out += '\'';
          append_datetime(out, v);
          if (pg) out += "+00";
          out += '\'';
        }
      },
      value.storage());
}

// SQLite's types are affinities chosen by the type name (docs/sqlite.md): an auto key must be
// spelled INTEGER to alias the rowid; JSON, UUID and the date/time kinds are TEXT-like names
// (a NUMERIC affinity would turn the JSON text "1" into the integer 1).
void append_sqlite_type(std::string& out, const ColumnDef& c) {
  switch (c.type) {
    case ColumnType::kAuto:
    case ColumnType::kBigAuto:
    case ColumnType::kInteger:
    case ColumnType::kBoolean:
      out += "INTEGER";
      return;
    case ColumnType::kSmallInt:
      out += "SMALLINT";
      return;
    case ColumnType::kBigInt:
      out += "BIGINT";
      return;
    case ColumnType::kFloat:
    case ColumnType::kDouble:
      out += "REAL";
      return;
    case ColumnType::kDecimal:
    case ColumnType::kChar:
      break;  // as the other dialects: DECIMAL(p,s), VARCHAR(n)
    case ColumnType::kText:
    case ColumnType::kUuid:
    case ColumnType::kJson:
    case ColumnType::kJsonb:
      out += "TEXT";
      return;
    case ColumnType::kBlob:
      out += "BLOB";
      return;
    case ColumnType::kDate:
      out += "DATE";
      return;
    case ColumnType::kTime:
      out += "TIME";
      return;
    case ColumnType::kDateTime:
    case ColumnType::kTimestampTz:
      out += "DATETIME";
      return;
    case ColumnType::kInterval:
      lacks(Dialect::kSqlite, "interval", c.name);
    case ColumnType::kHStore:
      lacks(Dialect::kSqlite, "hstore", c.name);
    case ColumnType::kArray:
      lacks(Dialect::kSqlite, "array", c.name);
    case ColumnType::kEnum:
      out += "TEXT";  // no enum type: the label
      return;
    case ColumnType::kSet:
      set_lacks(Dialect::kSqlite, c.name);
    case ColumnType::kComposite:
      lacks(Dialect::kSqlite, "composite", c.name);
  }
  if (c.type == ColumnType::kChar) {
    if (c.max_length < 1) interface_error("invalid max_length for column " + c.name);
    out += "VARCHAR(";
    append_number(out, c.max_length);
    out += ')';
    return;
  }
  if (c.type != ColumnType::kDecimal) interface_error("unknown column type");
  if (c.max_digits < 1 || c.decimal_places < 0 || c.decimal_places > c.max_digits) {
    interface_error("invalid decimal precision/scale for column " + c.name);
  }
  out += "DECIMAL(";
  append_number(out, c.max_digits);
  out += ',';
  append_number(out, c.decimal_places);
  out += ')';
}

// The labels of an enum or SET column, quoted: ('a', 'b'). SET labels cannot hold a comma (the
// server's SET text separates them with commas).
void append_labels(std::string& out, const ColumnDef& c, Dialect dialect) {
  if (c.labels.empty()) interface_error("enum column " + c.name + " has no labels");
  out += '(';
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    if (c.type == ColumnType::kSet && c.labels[i].find(',') != std::string::npos) {
      interface_error("SET label holds a comma (column " + c.name + ")");
    }
    if (i > 0) out += ", ";
    append_string(out, c.labels[i], dialect);
  }
  out += ')';
}

void append_type(std::string& out, const ColumnDef& c, Dialect dialect) {
  if (dialect == Dialect::kSqlite) {
    append_sqlite_type(out, c);
    return;
  }
  const bool pg = dialect == Dialect::kPostgres;
  switch (c.type) {
    case ColumnType::kAuto:
      out += pg ? "SERIAL" : "INT AUTO_INCREMENT";
      return;
    case ColumnType::kBigAuto:
      out += pg ? "BIGSERIAL" : "BIGINT AUTO_INCREMENT";
      return;
    case ColumnType::kSmallInt:
      out += "SMALLINT";
      return;
    case ColumnType::kInteger:
      out += pg ? "INTEGER" : "INT";
      return;
    case ColumnType::kBigInt:
      out += "BIGINT";
      return;
    case ColumnType::kBoolean:
      out += pg ? "BOOLEAN" : "BOOL";
      return;
    case ColumnType::kFloat:
      out += pg ? "REAL" : "FLOAT";
      return;
    case ColumnType::kDouble:
      out += pg ? "DOUBLE PRECISION" : "DOUBLE";
      return;
    case ColumnType::kDecimal:
      if (c.max_digits < 1 || c.decimal_places < 0 || c.decimal_places > c.max_digits) {
        interface_error("invalid decimal precision/scale for column " + c.name);
      }
      out += pg ? "NUMERIC(" : "DECIMAL(";
      append_number(out, c.max_digits);
      out += ',';
      append_number(out, c.decimal_places);
      out += ')';
      return;
    case ColumnType::kChar:
      if (c.max_length < 1) interface_error("invalid max_length for column " + c.name);
      out += "VARCHAR(";
      append_number(out, c.max_length);
      out += ')';
      return;
    case ColumnType::kText:
      out += pg ? "TEXT" : "LONGTEXT";
      return;
    case ColumnType::kBlob:
      out += pg ? "BYTEA" : "LONGBLOB";
      return;
    case ColumnType::kDate:
      out += "DATE";
      return;
    case ColumnType::kTime:
      out += pg ? "TIME" : "TIME(6)";
      return;
    case ColumnType::kDateTime:
      out += pg ? "TIMESTAMP" : "DATETIME(6)";
      return;
    case ColumnType::kTimestampTz:
      out += pg ? "TIMESTAMPTZ" : "DATETIME(6)";
      return;
    case ColumnType::kUuid:
      out += pg ? "UUID" : "CHAR(36)";
      return;
    case ColumnType::kJson:
      out += "JSON";
      return;
    case ColumnType::kJsonb:
      out += pg ? "JSONB" : "JSON";
      return;
    case ColumnType::kInterval:
      if (!pg) lacks(dialect, "interval", c.name);
      out += "INTERVAL";
      return;
    case ColumnType::kHStore:
      if (!pg) lacks(dialect, "hstore", c.name);
      out += "HSTORE";
      return;
    case ColumnType::kArray: {
      if (!pg) lacks(dialect, "array", c.name);
      if (c.element_type == ColumnType::kArray || c.element_type == ColumnType::kAuto ||
          c.element_type == ColumnType::kBigAuto) {
        interface_error("invalid array element type for column " + c.name);
      }
      ColumnDef element = c;
      element.type = c.element_type;
      append_type(out, element, dialect);
      out += "[]";
      return;
    }
    case ColumnType::kEnum:
      if (pg) {
        if (c.enum_name.empty()) interface_error("enum column " + c.name + " has no type name");
        out += quote_identifier(c.enum_name, dialect);  // CREATE TYPE comes first
        return;
      }
      out += "ENUM";
      append_labels(out, c, dialect);
      return;
    case ColumnType::kSet:
      if (pg) set_lacks(dialect, c.name);
      out += "SET";
      append_labels(out, c, dialect);
      return;
    case ColumnType::kComposite:
      if (!pg) lacks(dialect, "composite", c.name);
      if (c.composite_types.empty() || c.composite_types.back().name.empty())
        interface_error("composite column " + c.name + " has no type name");
      out += quote_identifier(c.composite_types.back().name, dialect);  // CREATE TYPE first
      return;
  }
  interface_error("unknown column type");
}

// Referential actions are keywords written into the text: only the five SQL knows pass.
void append_action(std::string& out, std::string_view clause, std::string_view action) {
  if (action.empty()) return;
  if (action != "CASCADE" && action != "SET NULL" && action != "SET DEFAULT" &&
      action != "RESTRICT" && action != "NO ACTION") {
    interface_error("invalid referential action: " + std::string(action));
  }
  out += clause;
  out += action;
}

void append_ident(std::string& out, std::string_view name, Dialect dialect) {
  out += quote_identifier(name, dialect);
}

void append_ident_list(std::string& out, const std::vector<std::string>& names, Dialect dialect) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    append_ident(out, names[i], dialect);
  }
}

void append_column(std::string& out, const ColumnDef& c, Dialect dialect) {
  append_ident(out, c.name, dialect);
  out += ' ';
  append_type(out, c, dialect);
  if (!c.null) out += " NOT NULL";
  if (c.primary_key) out += " PRIMARY KEY";
  if (c.unique) out += " UNIQUE";
  if (c.default_value) {
    out += " DEFAULT ";
    append_literal(out, *c.default_value, dialect);
  }
  if (!c.check.empty()) {
    out += " CHECK (";
    out += c.check;
    out += ')';
  }
}

// REFERENCES table (column) [ON DELETE ...] [ON UPDATE ...]
void append_references(std::string& out, const ColumnDef& c, Dialect dialect) {
  if (c.references_column.empty()) {
    interface_error("foreign key " + c.name + " needs references_column");
  }
  out += "REFERENCES ";
  append_ident(out, c.references_table, dialect);
  out += " (";
  append_ident(out, c.references_column, dialect);
  out += ')';
  append_action(out, " ON DELETE ", c.on_delete);
  append_action(out, " ON UPDATE ", c.on_update);
}

void append_foreign_key(std::string& out, const ColumnDef& c, Dialect dialect) {
  out += "FOREIGN KEY (";
  append_ident(out, c.name, dialect);
  out += ") ";
  append_references(out, c, dialect);
}

void check_references(const ColumnDef& c) {
  if (c.references_table.empty() &&
      (!c.references_column.empty() || !c.on_delete.empty() || !c.on_update.empty())) {
    interface_error("column " + c.name + " has reference details but no references_table");
  }
}

// Appends `create` (CREATE TYPE ...) wrapped in a DO block that ignores an existing type, unless
// `out` already holds the same statement. The body is dollar-quoted with `tag`: a `what` (a
// label, a name) holding the tag would end it early, and is refused.
void append_create_type(std::vector<std::string>& out, const std::string& create,
                        std::string_view tag, std::string_view what) {
  if (create.find(tag) != std::string::npos) {
    interface_error(std::string(what) + " holds " + std::string(tag));
  }
  std::string sql = "DO ";
  sql += tag;
  sql += " BEGIN ";
  sql += create;
  sql += "; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END ";
  sql += tag;
  if (std::find(out.begin(), out.end(), sql) == out.end()) out.push_back(std::move(sql));
}

// PostgreSQL's enum type, made when the database lacks it: CREATE TYPE has no IF NOT EXISTS,
// so a DO block runs it and ignores duplicate_object (a type of that name already there, made
// by another table's create_table; unique_violation when another session makes it at the same
// moment). An existing type is left as it is, even when its labels differ. The same enum in two
// columns makes one statement.
void append_create_enum(std::vector<std::string>& out, const ColumnDef& c) {
  std::string create = "CREATE TYPE ";
  append_ident(create, c.enum_name, Dialect::kPostgres);
  create += " AS ENUM ";
  append_labels(create, c, Dialect::kPostgres);
  append_create_type(out, create, "$tern_enum$", "enum label");
}

// PostgreSQL's composite types, made when the database lacks them, as enums are (a DO block
// ignoring duplicate_object): those a column's attributes use first. An existing type is left
// as it is, even when its attributes differ.
void append_create_composites(std::vector<std::string>& out, const ColumnDef& c) {
  for (const ast::CompositeTypeDef& t : c.composite_types) {
    if (t.attributes.empty()) interface_error("composite type " + t.name + " has no attributes");
    std::string create = "CREATE TYPE ";
    append_ident(create, t.name, Dialect::kPostgres);
    create += " AS (";
    for (std::size_t i = 0; i < t.attributes.size(); ++i) {
      const ast::CompositeAttribute& a = t.attributes[i];
      if (i > 0) create += ", ";
      append_ident(create, a.name, Dialect::kPostgres);
      create += ' ';
      if (a.user_type) {
        append_ident(create, a.type, Dialect::kPostgres);
      } else {
        create += a.type;  // tern's own spelling of a built-in type (composite_sql_type)
      }
    }
    create += ')';
    append_create_type(out, create, "$tern_type$", "composite type " + t.name);
  }
}

}  // namespace

std::vector<std::string> compile_create_table(const ast::TableDef& table, Dialect dialect,
                                              bool safe) {
  if (table.columns.empty()) interface_error("CREATE TABLE needs columns");
  std::vector<std::string> out;
  out.reserve(1 + table.indexes.size());
  if (dialect == Dialect::kPostgres) {
    for (const ColumnDef& c : table.columns) {
      if (c.type == ColumnType::kEnum) append_create_enum(out, c);
      if (c.type == ColumnType::kComposite) append_create_composites(out, c);
    }
  }
  std::string sql;
  sql.reserve(64 + 48 * table.columns.size());
  sql += safe ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ";
  append_ident(sql, table.name, dialect);
  sql += " (";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnDef& c = table.columns[i];
    if (c.primary_key && !table.primary_key.empty()) {
      interface_error("column " + c.name + " is a primary key besides the composite key");
    }
    check_references(c);
    if (i > 0) sql += ", ";
    append_column(sql, c, dialect);
  }
  if (!table.primary_key.empty()) {
    sql += ", PRIMARY KEY (";
    append_ident_list(sql, table.primary_key, dialect);
    sql += ')';
  }
  for (const ColumnDef& c : table.columns) {
    if (c.references_table.empty()) continue;
    sql += ", ";
    append_foreign_key(sql, c, dialect);
  }
  sql += ')';
  out.push_back(std::move(sql));

  // Indexes are separate statements (MySQL's inline INDEX has no IF NOT EXISTS form, and PG
  // has no inline form at all).
  for (const ast::IndexDef& index : table.indexes) {
    out.push_back(compile_create_index(table.name, index, dialect, safe));
  }
  return out;
}

std::string compile_create_index(std::string_view table, const ast::IndexDef& index,
                                 Dialect dialect, bool safe) {
  if (index.columns.empty()) interface_error("index without columns on " + std::string(table));
  std::string name = index.name;
  if (name.empty()) {
    name = table;
    for (const std::string& col : index.columns) {
      name += '_';
      name += col;
    }
  }
  std::string sql = index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
  if (safe) sql += "IF NOT EXISTS ";
  append_ident(sql, name, dialect);
  sql += " ON ";
  append_ident(sql, table, dialect);
  sql += " (";
  append_ident_list(sql, index.columns, dialect);
  sql += ')';
  return sql;
}

std::string compile_add_column(std::string_view table, const ast::ColumnDef& column,
                               Dialect dialect) {
  check_references(column);
  std::string sql = "ALTER TABLE ";
  append_ident(sql, table, dialect);
  sql += " ADD COLUMN ";
  append_column(sql, column, dialect);
  if (!column.references_table.empty()) {
    // SQLite adds no table constraint by ALTER TABLE, but takes REFERENCES on the column.
    if (dialect == Dialect::kSqlite) {
      sql += ' ';
      append_references(sql, column, dialect);
    } else {
      sql += ", ADD ";
      append_foreign_key(sql, column, dialect);
    }
  }
  return sql;
}

std::vector<std::string> compile_create_types(const ast::ColumnDef& column, Dialect dialect) {
  std::vector<std::string> out;
  if (dialect == Dialect::kPostgres && column.type == ColumnType::kEnum) {
    append_create_enum(out, column);
  }
  if (dialect == Dialect::kPostgres && column.type == ColumnType::kComposite) {
    append_create_composites(out, column);
  }
  return out;
}

std::string compile_column_definition(const ast::ColumnDef& column, Dialect dialect) {
  std::string sql;
  append_column(sql, column, dialect);
  return sql;
}

std::string compile_column_type(const ast::ColumnDef& column, Dialect dialect) {
  std::string sql;
  append_type(sql, column, dialect);
  return sql;
}

std::string compile_literal(const Value& value, Dialect dialect) {
  std::string sql;
  append_literal(sql, value, dialect);
  return sql;
}

std::string compile_drop_table(std::string_view table, Dialect dialect, bool safe, bool cascade) {
  std::string sql = safe ? "DROP TABLE IF EXISTS " : "DROP TABLE ";
  append_ident(sql, table, dialect);
  // MySQL parses CASCADE but ignores it; it is left out rather than promise anything.
  if (cascade && dialect == Dialect::kPostgres) sql += " CASCADE";
  return sql;
}

}  // namespace tern::orm
