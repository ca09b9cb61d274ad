// libFuzzer harness of the MySQL/MariaDB connection-string parser (mysql:// and mariadb:// URLs,
// the libpq-style key=value form, with the MYSQL_* environment fallbacks) and of the ssl-mode
// names. InterfaceError is how it rejects input; any other exception or a sanitizer report is a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/conninfo.hpp"

namespace {

volatile std::size_t g_sink;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The parser falls back to these: make runs independent of the caller's environment.
  for (const char* name :
       {"MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT", "MYSQL_PWD", "USER"}) {
    ::unsetenv(name);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const tern::mysql::ConnectOptions o = tern::mysql::ConnectOptions::parse(text);
    check(tern::mysql::is_mysql_url(text) || text.find('=') != std::string_view::npos);
    g_sink = o.host.size() + o.hostaddr.size() + o.unix_socket.size() + o.user.size() +
             o.password.size() + o.database.size() + o.ssl_ca.size() + o.port +
             static_cast<std::size_t>(o.ssl_mode) + o.statement_cache_size +
             static_cast<std::size_t>(o.connect_timeout.count()) + o.connect_host().size();
  } catch (const tern::InterfaceError&) {
  }
  try {
    g_sink = static_cast<std::size_t>(tern::mysql::parse_ssl_mode(text));
  } catch (const tern::InterfaceError&) {
  }
  return 0;
}
