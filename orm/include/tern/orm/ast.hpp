// The query AST: what the typed query builder produces and the SQL compiler turns into text +
// bound parameters for one dialect. Plain data, no templates: the builder's typed layer sits
// on top, and the compiler (compiler.cpp) is the only code that knows SQL syntax.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tern/db/dialect.hpp"
#include "tern/db/value.hpp"
#include "tern/ring/recycle.hpp"

namespace tern::orm {

/// The row-locking clause of a SELECT (peewee's for_update), passed to `for_update()`:
/// FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE, OF some tables, NOWAIT or SKIP LOCKED.
/// MySQL/MariaDB get FOR UPDATE or LOCK IN SHARE MODE (and NOWAIT / SKIP LOCKED as sent); the
/// PostgreSQL-only strengths and `of` throw NotSupportedError there.
struct Lock {
  /// The lock's strength.
  enum class Strength {
    kUpdate,       ///< FOR UPDATE
    kNoKeyUpdate,  ///< FOR NO KEY UPDATE (PostgreSQL)
    kShare,        ///< FOR SHARE (MySQL/MariaDB: LOCK IN SHARE MODE)
    kKeyShare,     ///< FOR KEY SHARE (PostgreSQL)
  };
  /// FOR UPDATE unless set.
  Strength strength = Strength::kUpdate;
  /// Fail at once (OperationalError, SQLSTATE 55P03) instead of waiting for a locked row.
  bool nowait = false;
  /// Leave locked rows out instead of waiting (a job queue's "claim the next free row"). Not
  /// with `nowait` (InterfaceError).
  bool skip_locked = false;
  /// Lock rows of these tables (or aliases) only (PostgreSQL); empty = every table.
  std::vector<std::string> of{};
};

}  // namespace tern::orm

namespace tern::orm::ast {

struct Expr;
struct Query;
/// Expressions are immutable and shared between queries built from one another.
using ExprPtr = std::shared_ptr<const Expr>;
using QueryPtr = std::shared_ptr<const Query>;
/// A list of expressions. Its storage comes from the per-thread recycling allocator, as the
/// nodes' do: a query built per call takes no memory from the heap in steady state.
using ExprList = std::vector<ExprPtr, ring::RecyclingAllocator<ExprPtr>>;
/// Column names of an INSERT, from the same allocator.
using NameList = std::vector<std::string, ring::RecyclingAllocator<std::string>>;
/// The VALUES rows of an INSERT, from the same allocator.
using RowList = std::vector<ExprList, ring::RecyclingAllocator<ExprList>>;

/// One expression node.
struct Expr {
  enum class Kind : std::uint8_t {
    kColumn,    ///< [table.]name: `table` (may be empty) and `name`
    kParam,     ///< a bound value: `value` (never spliced into the SQL text)
    kBinary,    ///< args[0] `op` args[1]; op is one of: = <> < <= > >= AND OR + - * / %
                ///< LIKE ILIKE NOT_LIKE IN NOT_IN IS IS_NOT CONCAT
    kUnary,     ///< `op` args[0]; op: NOT, NEG
    kIsNull,    ///< args[0] IS NULL (`negated`: IS NOT NULL)
    kBetween,   ///< args[0] BETWEEN args[1] AND args[2] (`negated`: NOT BETWEEN)
    kFunction,  ///< name(args...); `distinct` for COUNT(DISTINCT x); name "COUNT" with no args
                ///< means COUNT(*)
    kList,      ///< (args...) — the right side of IN
    kAlias,     ///< args[0] AS name
    kStar,      ///< * (or table.* when `table` is set)
    kSubquery,  ///< (query)
    kExists,    ///< EXISTS (query) (`negated`: NOT EXISTS)
    kCase,      ///< CASE [args[0] when `has_operand`] WHEN a THEN b ... [ELSE e] END: args are
                ///< [operand], then when/then pairs, then the else value when `has_else`
    kCast,      ///< CAST(args[0] AS name): name is a portable type (see ColumnType) spelled as in
                ///< the DDL ("INTEGER", "BIGINT", "TEXT", "NUMERIC", "DATE", ...)
    kRaw,       ///< SQL text `name` with `?` marking where args (kParam nodes) go, in order
    kOrdering,  ///< args[0] ASC/DESC (`descending`) [NULLS FIRST/LAST per `nulls`]
    kWindow,    ///< args[0] OVER (PARTITION BY partition... ORDER BY order...)
    kTypeOp,    ///< an operation on the Ext types, spelled per dialect: `op` names it (see
                ///< below), args[0] is the JSON/hstore/array operand, args[1..] its arguments
  };
  // kTypeOp operations (PostgreSQL / MySQL):
  //   json_path, json_path_text: args[0] at the path args[1..] (kParam keys: text; array
  //     indexes: integers, negative from the end on PostgreSQL only), as JSON / as text.
  //     PG `x #> $1` / `x #>> $1` (one text[] parameter); MySQL JSON_EXTRACT(x, ?) /
  //     JSON_UNQUOTE(JSON_EXTRACT(x, ?)) (one path parameter, `$."a"[0]`).
  //   json_contains, json_contained_by (args[1] a document), json_has_key (args[1] a key),
  //     json_has_any, json_has_all (args[1] a text array of keys): PG @> <@ ? ?| ?& on jsonb
  //     (`name` "json" marks a json operand, cast to jsonb first); MySQL JSON_CONTAINS and
  //     JSON_CONTAINS_PATH.
  //   hstore_get (->), hstore_has_key (?), hstore_contains (@>), hstore_contained_by (<@),
  //     hstore_has_any (?|), hstore_has_all (?&), hstore_keys (akeys), hstore_values (avals),
  //     hstore_slice (slice): PostgreSQL only.
  //   array_contains (@>), array_contained_by (<@), array_overlap (&&), array_subscript
  //     (x[i], 1-based), array_any (args[1] = ANY(x)), array_length (cardinality):
  //     PostgreSQL only.
  /// NULLS placement of an ordering.
  enum class Nulls : std::uint8_t { kDefault, kFirst, kLast };

  Kind kind = Kind::kParam;
  std::string table{};  ///< kColumn, kStar
  std::string name{};   ///< kColumn name, kFunction name, kAlias alias, kCast type, kRaw text
  std::string op{};     ///< kBinary, kUnary
  Value value{};        ///< kParam
  ExprList args{};
  QueryPtr query{};  ///< kSubquery, kExists
  bool negated = false;
  bool distinct = false;
  bool descending = false;
  bool has_operand = false;
  bool has_else = false;
  /// The node lives as long as the program and never changes (a model's column): the
  /// statement cache may know it by its address.
  bool interned = false;
  Nulls nulls = Nulls::kDefault;
  ExprList partition{};  ///< kWindow
  ExprList order{};      ///< kWindow (kOrdering nodes or plain expressions)
};

/// A table in FROM or JOIN: a named table, or a subquery, with an optional alias.
struct TableRef {
  std::string name{};
  std::string alias{};
  QueryPtr subquery{};  ///< when set, `(subquery) AS alias` (alias required)
};

/// One JOIN clause.
struct Join {
  enum class Type : std::uint8_t { kInner, kLeft, kRight, kFull, kCross };
  Type type = Type::kInner;
  TableRef table{};
  ExprPtr on{};  ///< null for CROSS
};

/// A common table expression: WITH [RECURSIVE] name [(columns)] AS (query).
struct Cte {
  std::string name{};
  std::vector<std::string> columns{};
  QueryPtr query{};
  bool recursive = false;
};

/// What an INSERT does on a unique conflict.
struct OnConflict {
  enum class Action : std::uint8_t { kIgnore, kUpdate };
  Action action = Action::kIgnore;
  /// PG: the conflict target columns (required for kUpdate); MySQL ignores it.
  std::vector<std::string> target{};
  /// kUpdate: column = expression. An expression may be an Excluded(column) reference: a
  /// kColumn node with table "EXCLUDED" — PG `EXCLUDED.col`, MySQL `VALUES(col)`.
  std::vector<std::pair<std::string, ExprPtr>> updates{};
};

/// The row-locking clause (tern::orm::Lock, where the API reference shows it).
using Lock = orm::Lock;

/// SELECT, INSERT, UPDATE, DELETE, or a compound SELECT.
struct Query {
  enum class Kind : std::uint8_t { kSelect, kInsert, kUpdate, kDelete, kCompound };
  Kind kind = Kind::kSelect;
  std::vector<Cte> with{};

  // SELECT
  bool distinct = false;
  ExprList columns{};  ///< empty = *
  std::optional<TableRef> from{};
  std::vector<Join> joins{};
  ExprPtr where{};
  ExprList group_by{};
  ExprPtr having{};
  ExprList order_by{};  ///< kOrdering nodes or plain expressions
  std::optional<std::int64_t> limit{};
  std::optional<std::int64_t> offset{};
  /// FOR UPDATE / FOR SHARE ... (locking clause of a select).
  std::optional<Lock> lock{};

  // compound: lhs op rhs; op is UNION, UNION ALL, INTERSECT, EXCEPT. order_by/limit/offset
  // above apply to the whole.
  std::string compound_op{};
  QueryPtr lhs{};
  QueryPtr rhs{};

  // INSERT / UPDATE / DELETE
  std::string table{};        ///< the target table
  NameList insert_columns{};  ///< INSERT column list
  RowList rows{};             ///< INSERT VALUES rows (kParam nodes mostly);
                              ///< empty rows + no source = DEFAULT VALUES
  QueryPtr source{};          ///< INSERT ... SELECT
  std::optional<OnConflict> on_conflict{};
  std::vector<std::pair<std::string, ExprPtr>> assignments{};  ///< UPDATE SET
  ExprList returning{};  ///< PG RETURNING (MySQL: NotSupportedError)
};

/// SQL text and the parameters its placeholders take, in order.
struct Compiled {
  std::string sql{};
  Params params;
};

// ---- DDL ----

/// Portable column types and how each dialect spells them.
enum class ColumnType : std::uint8_t {
  kAuto,     ///< PG SERIAL / MySQL INT AUTO_INCREMENT (primary key)
  kBigAuto,  ///< PG BIGSERIAL / MySQL BIGINT AUTO_INCREMENT
  kSmallInt,
  kInteger,
  kBigInt,
  kBoolean,  ///< PG BOOLEAN / MySQL BOOL (TINYINT(1))
  kFloat,    ///< PG REAL / MySQL FLOAT
  kDouble,   ///< PG DOUBLE PRECISION / MySQL DOUBLE
  kDecimal,  ///< NUMERIC(max_digits, decimal_places) / DECIMAL(...)
  kChar,     ///< VARCHAR(max_length)
  kText,     ///< TEXT (MySQL: LONGTEXT)
  kBlob,     ///< PG BYTEA / MySQL LONGBLOB
  kDate,
  kTime,         ///< PG TIME / MySQL TIME(6)
  kDateTime,     ///< PG TIMESTAMP / MySQL DATETIME(6)
  kTimestampTz,  ///< PG TIMESTAMPTZ / MySQL DATETIME(6) (UTC)
  kUuid,         ///< PG UUID / MySQL CHAR(36)
  kJson,         ///< PG JSON / MySQL JSON
  kJsonb,        ///< PG JSONB / MySQL JSON
  kInterval,     ///< PG INTERVAL (MySQL: NotSupportedError)
  kHStore,       ///< PG HSTORE, the extension (MySQL: NotSupportedError)
  kArray,        ///< PG element_type[], one dimension (MySQL: NotSupportedError)
  kEnum,         ///< PG enum_name (CREATE TYPE ... AS ENUM) / MySQL ENUM(labels...)
  kSet,          ///< MySQL SET(labels...) (PG: NotSupportedError)
  kComposite,    ///< PG composite_types.back().name (CREATE TYPE ... AS (...)); others refuse
};

/// One attribute of a PostgreSQL composite type: `name type`.
struct CompositeAttribute {
  std::string name{};      ///< the attribute's name
  std::string type{};      ///< a built-in type's SQL spelling (from tern), or a user type's name
  bool user_type = false;  ///< `type` names an enum or composite: quoted as an identifier
};

/// A PostgreSQL composite type: CREATE TYPE name AS (attributes...).
struct CompositeTypeDef {
  std::string name{};                            ///< the type's name
  std::vector<CompositeAttribute> attributes{};  ///< its attributes, in order
};

/// A column of CREATE TABLE.
struct ColumnDef {
  std::string name{};
  ColumnType type = ColumnType::kInteger;
  int max_length = 255;    ///< kChar
  int max_digits = 10;     ///< kDecimal
  int decimal_places = 5;  ///< kDecimal
  bool null = false;       ///< NOT NULL unless true
  bool primary_key = false;
  bool unique = false;
  std::optional<Value> default_value{};  ///< DEFAULT, written as a literal in DDL (quoted safely)
  /// CHECK (check): an SQL condition written by the program (like peewee's Check()), spliced
  /// into the DDL as is; never build it from user input.
  std::string check{};
  /// FOREIGN KEY (name) REFERENCES references_table (references_column) [ON DELETE ...]
  std::string references_table{};
  std::string references_column{};
  std::string on_delete{};  ///< "CASCADE", "SET NULL", "RESTRICT", "NO ACTION" or empty
  std::string on_update{};
  /// kArray: the elements' type (max_length, max_digits and decimal_places apply to it).
  ColumnType element_type = ColumnType::kInteger;
  /// kEnum: the SQL enum type's name (PostgreSQL CREATE TYPE).
  std::string enum_name{};
  /// kEnum, kSet: the labels, in order.
  std::vector<std::string> labels{};
  /// kComposite: the composite types to create, those its attributes use first, the column's
  /// own type last.
  std::vector<CompositeTypeDef> composite_types{};
};

/// An index of a table.
struct IndexDef {
  std::string name{};  ///< empty = table_col1_col2
  std::vector<std::string> columns{};
  bool unique = false;
};

/// CREATE TABLE (+ its indexes, as separate statements).
struct TableDef {
  std::string name{};
  std::vector<ColumnDef> columns{};
  std::vector<IndexDef> indexes{};
  /// A composite primary key (columns have primary_key=false then).
  std::vector<std::string> primary_key{};
};

}  // namespace tern::orm::ast
