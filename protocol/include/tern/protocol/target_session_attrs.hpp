// Which server of a multi-host connection string a connection may settle on: libpq's
// target_session_attrs, shared by PostgreSQL and MySQL/MariaDB connection options.
// https://www.postgresql.org/docs/16/libpq-connect.html#LIBPQ-CONNECT-TARGET-SESSION-ATTRS
#pragma once

#include <optional>
#include <string_view>

namespace tern::protocol {

/// What the server connected to must be. MySQL/MariaDB take kAny, kReadWrite and kReadOnly
/// (read from @@read_only and @@innodb_read_only); the others are PostgreSQL's.
enum class TargetSessionAttrs {
  kAny,            ///< the first server that accepts the connection
  kReadWrite,      ///< a server that accepts writes (PG: not a hot standby, not read only)
  kReadOnly,       ///< the opposite of read-write
  kPrimary,        ///< PG: not in recovery
  kStandby,        ///< PG: in recovery (a hot standby)
  kPreferStandby,  ///< PG: a standby if any host is one, any server otherwise
};

/// The value's name in a connection string: "any", "read-write", ... "prefer-standby".
const char* target_session_attrs_name(TargetSessionAttrs attrs) noexcept;

/// The value a name gives ("any", "read-write", ...), nullopt for any other text.
std::optional<TargetSessionAttrs> target_session_attrs_from_name(std::string_view text) noexcept;

}  // namespace tern::protocol
