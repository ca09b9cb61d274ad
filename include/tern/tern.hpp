// tern: C++20 async PostgreSQL, MySQL/MariaDB and SQLite on io_uring. The umbrella header: the
// runtime, the database layer and the ORM.
#pragma once

#include "tern/db/database.hpp"
#include "tern/db/json.hpp"
#include "tern/db/replicas.hpp"
#include "tern/db/uuid.hpp"
#include "tern/orm/migrate.hpp"
#include "tern/orm/model.hpp"
#include "tern/orm/prefetch.hpp"
#include "tern/orm/relations.hpp"
#include "tern/orm/schema.hpp"
#include "tern/orm/signals.hpp"
#include "tern/ring/log.hpp"
#include "tern/ring/ring.hpp"

/// \namespace tern
/// Everything tern offers: the database layer (AioDatabase and its flavours, pools, scopes,
/// results), the models and fields of the ORM, and the exception classes (tern::Error and
/// peewee's names under it).
///
/// \namespace tern::ring
/// The io_uring runtime: one Loop per thread, Task coroutines, TaskGroup, sockets, TLS,
/// timers. Knows no SQL.
///
/// \namespace tern::ring::this_task
/// What a running task can ask about itself (its TaskContext).
///
/// \namespace tern::protocol
/// What the PostgreSQL and MySQL protocol layers share: byte readers and writers, the receive
/// buffer, the transport (plain socket or TLS), request pipelining and ProtocolError.
///
/// \namespace tern::pg
/// PostgreSQL: connection options (libpq's URLs, keywords and environment), the connection,
/// parameters, results and the type codecs. Sans-I/O codecs under pg::backend and
/// pg::frontend.
///
/// \namespace tern::pg::backend
/// Parsers of the messages a PostgreSQL server sends (sans-I/O).
///
/// \namespace tern::pg::frontend
/// Writers of the messages a PostgreSQL client sends (sans-I/O).
///
/// \namespace tern::mysql
/// MySQL and MariaDB: connection options, the connection, parameters, results, the packet
/// codecs and the type codecs.
///
/// \namespace tern::sqlite
/// SQLite: the connection (a handle driven on its worker thread), its open options,
/// parameters and results.
///
/// \namespace tern::orm
/// The query builder, the SQL compiler and the model machinery behind TERN_MODEL.
///
/// \namespace tern::orm::fn
/// SQL functions for query expressions (count, sum, lower...).
///
/// \namespace tern::json
/// Building, checking and comparing JSON documents (simdjson underneath).
