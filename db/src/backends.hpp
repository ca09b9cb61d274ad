// Internal: opening a BackendConnection of each kind.
#pragma once

#include <memory>

#include "tern/db/backend.hpp"
#include "tern/protocol/mysql/conninfo.hpp"
#include "tern/protocol/pg/conninfo.hpp"
#include "tern/protocol/sqlite/connection.hpp"

namespace tern {

/// Opens a PostgreSQL connection; with `register_hstore`, looks up the hstore type's OID so
/// that HStore values can be parameters.
ring::Task<std::unique_ptr<BackendConnection>> connect_postgres(ring::Loop& loop,
                                                                pg::ConnectOptions options,
                                                                bool register_hstore = false);
/// Opens a MySQL/MariaDB connection.
ring::Task<std::unique_ptr<BackendConnection>> connect_mysql(ring::Loop& loop,
                                                             mysql::ConnectOptions options);
/// Opens a SQLite connection (its worker thread and handle).
ring::Task<std::unique_ptr<BackendConnection>> connect_sqlite(ring::Loop& loop,
                                                              sqlite::OpenOptions options);

}  // namespace tern
