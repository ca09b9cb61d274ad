// Which SQL dialect and wire protocol a database speaks: all the ORM's compiler needs to know
// of the database layer, in a header that pulls in neither the runtime nor the protocols.
#pragma once

namespace tern {

/// Which SQL dialect and wire protocol a database speaks.
enum class Dialect { kPostgres, kMysql, kSqlite };

}  // namespace tern
