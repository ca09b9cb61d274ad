// Creating and dropping several models' tables at once, in foreign-key order (peewee's
// create_tables / drop_tables, peewee-async's aio_create_tables / aio_drop_tables):
//
//   co_await tern::aio_create_tables<Author, Book, Review>();   // any order: sorted
//   co_await tern::aio_drop_tables<Author, Book, Review>();     // referencing tables first
//   tern::create_tables<Author, Book, Review>();                 // the same, sync (allow_sync)
#pragma once

#include <utility>
#include <vector>

#include "tern/db/database.hpp"
#include "tern/orm/meta.hpp"
#include "tern/ring/task.hpp"

namespace tern {

namespace orm::detail {
/// A model's table and the database it lives in.
struct TableOf {
  AioDatabase* db = nullptr;
  const ModelMeta* meta = nullptr;
};
/// `tables` ordered so that every table comes after those it references (the given order is
/// kept otherwise; a cycle is broken where it is met).
std::vector<TableOf> sort_by_dependencies(std::vector<TableOf> tables);
/// CREATE TABLE for each, referenced tables first.
ring::Task<void> create_tables(std::vector<TableOf> tables, bool safe);
/// DROP TABLE for each, referencing tables first.
ring::Task<void> drop_tables(std::vector<TableOf> tables, bool safe, bool cascade);
}  // namespace orm::detail

/// Creates the tables of Models (and their indexes), referenced ones first; `safe`: IF NOT
/// EXISTS.
template <class... Models>
ring::Task<void> aio_create_tables(bool safe = true) {
  std::vector<orm::detail::TableOf> tables{{&Models::tern_database(), &Models::tern_meta()}...};
  co_await orm::detail::create_tables(std::move(tables), safe);
}

/// Drops the tables of Models, referencing ones first; `safe`: IF EXISTS; `cascade`: CASCADE
/// (PostgreSQL).
template <class... Models>
ring::Task<void> aio_drop_tables(bool safe = true, bool cascade = false) {
  std::vector<orm::detail::TableOf> tables{{&Models::tern_database(), &Models::tern_meta()}...};
  co_await orm::detail::drop_tables(std::move(tables), safe, cascade);
}

/// aio_create_tables, synchronously (on the first model's database: AioDatabase::run_sync).
template <class First, class... Models>
void create_tables(bool safe = true) {
  First::tern_database().run_sync(aio_create_tables<First, Models...>(safe));
}

/// aio_drop_tables, synchronously (on the first model's database: AioDatabase::run_sync).
template <class First, class... Models>
void drop_tables(bool safe = true, bool cascade = false) {
  First::tern_database().run_sync(aio_drop_tables<First, Models...>(safe, cascade));
}

}  // namespace tern
