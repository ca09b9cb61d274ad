// libFuzzer harness of the PostgreSQL connection-string parser (URLs and keyword strings).
// InterfaceError is how it rejects input; any other exception or a sanitizer report is a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/conninfo.hpp"

namespace {

volatile std::size_t g_sink;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The parser falls back to PG* variables: make runs independent of the caller's environment.
  for (const char* name :
       {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE",
        "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGAPPNAME", "PGCONNECT_TIMEOUT", "PGOPTIONS",
        "PGCHANNELBINDING", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGSYSCONFDIR"}) {
    ::unsetenv(name);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const tern::pg::ConnectOptions o = tern::pg::ConnectOptions::parse(text);
    check(o.port != 0);
    g_sink = o.host.size() + o.user.size() + o.password.size() + o.database.size() +
             o.parameters.size() + static_cast<std::size_t>(o.is_unix_socket());
    if (o.is_unix_socket()) g_sink = o.socket_path().size();
  } catch (const tern::InterfaceError&) {
  }
  return 0;
}
