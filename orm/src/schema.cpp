// Table management beyond one CREATE/DROP: dependency order, TRUNCATE.
#include "tern/orm/schema.hpp"

#include <algorithm>
#include <functional>

#include "tern/orm/compiler.hpp"
#include "tern/orm/model.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm::detail {

std::vector<TableOf> sort_by_dependencies(std::vector<TableOf> tables) {
  std::vector<TableOf> sorted;
  sorted.reserve(tables.size());
  std::vector<char> state(tables.size(), 0);  // 0 new, 1 visiting, 2 placed
  // Depth first: a table is placed after every table of the list it references.
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i] != 0) return;  // placed, or a cycle: broken here
    state[i] = 1;
    for (const FieldMeta& f : tables[i].meta->fields) {
      if (f.column.references_table.empty()) continue;
      for (std::size_t j = 0; j < tables.size(); ++j) {
        if (j != i && tables[j].meta->table == f.column.references_table) visit(j);
      }
    }
    state[i] = 2;
    sorted.push_back(tables[i]);
  };
  for (std::size_t i = 0; i < tables.size(); ++i)
    visit(i);
  return sorted;
}

ring::Task<void> create_tables(std::vector<TableOf> tables, bool safe) {
  for (const TableOf& t : sort_by_dependencies(std::move(tables))) {
    co_await create_table(*t.db, *t.meta, safe);
  }
}

ring::Task<void> drop_tables(std::vector<TableOf> tables, bool safe, bool cascade) {
  std::vector<TableOf> order = sort_by_dependencies(std::move(tables));
  std::reverse(order.begin(), order.end());
  for (const TableOf& t : order) {
    co_await drop_table(*t.db, *t.meta, safe, cascade);
  }
}

ring::Task<void> truncate_table(AioDatabase& db, const ModelMeta& meta, bool restart_identity,
                                bool cascade) {
  if (db.dialect() == Dialect::kSqlite) {
    // SQLite has no TRUNCATE: DELETE without WHERE empties the table as fast. Its rowid keys
    // restart by themselves (max + 1) once the table is empty.
    if (cascade) throw NotSupportedError("TRUNCATE ... CASCADE is PostgreSQL's");
    co_await db.aio_execute("DELETE FROM " + quote_identifier(meta.table, db.dialect()));
    co_return;
  }
  std::string sql = "TRUNCATE TABLE " + quote_identifier(meta.table, db.dialect());
  if (db.dialect() == Dialect::kPostgres) {
    if (restart_identity) sql += " RESTART IDENTITY";
    if (cascade) sql += " CASCADE";
  } else if (cascade) {
    throw NotSupportedError(
        "TRUNCATE ... CASCADE is PostgreSQL's (MySQL refuses to truncate a "
        "referenced table)");
  }
  co_await db.aio_execute(sql);
}

}  // namespace tern::orm::detail
