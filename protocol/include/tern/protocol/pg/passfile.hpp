// libpq's two files of connection settings: the password file (~/.pgpass, PGPASSFILE) and the
// connection service file (~/.pg_service.conf, PGSERVICEFILE, PGSYSCONFDIR/pg_service.conf).
// https://www.postgresql.org/docs/15/libpq-pgpass.html
// https://www.postgresql.org/docs/15/libpq-pgservice.html
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::pg {

struct ConnectOptions;

/// The password of the first line of a password file's text `text` that matches: each line is
/// hostname:port:database:username:password, `*` matches anything in the first four fields,
/// `\` escapes `:` and `\`, and lines starting with `#` are comments. A Unix socket `host`
/// (empty or starting with '/') matches "localhost", as in libpq. Nullopt when none matches.
std::optional<std::string> match_password_file(std::string_view text, std::string_view host,
                                               std::uint16_t port, std::string_view database,
                                               std::string_view user);

/// The password for `o`'s host, port, database and user from its password file: o.passfile
/// (from `passfile=` or PGPASSFILE) or ~/.pgpass. A missing or unreadable file, or one that is
/// not a regular file, gives nullopt; so does one that the group or others may access, as in
/// libpq, with a warning on stderr saying so.
std::optional<std::string> password_from_file(const ConnectOptions& o);

/// The keyword settings of service `name` in a service file's text: an INI file whose
/// `[name]` sections hold `keyword=value` lines (`#` starts a comment). Nullopt when there is
/// no such section. A line that is not a section, a comment or keyword=value, or a nested
/// `service=`, throws InterfaceError naming `file` and the line number. (The keywords are
/// checked where they are used, by ConnectOptions::parse.)
std::optional<std::vector<std::pair<std::string, std::string>>> read_service(std::string_view text,
                                                                             std::string_view name,
                                                                             std::string_view file);

/// The settings of service `name`, looked up as libpq does: in PGSERVICEFILE or
/// ~/.pg_service.conf first, then in PGSYSCONFDIR/pg_service.conf (PGSYSCONFDIR defaults to
/// /etc/postgresql-common, Debian's). Throws InterfaceError when no file defines it.
std::vector<std::pair<std::string, std::string>> find_service(std::string_view name);

}  // namespace tern::pg
