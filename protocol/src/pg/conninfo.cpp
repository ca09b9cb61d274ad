#include "tern/protocol/pg/conninfo.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>

#include "../url.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/passfile.hpp"

namespace tern::pg {

namespace {

constexpr const char* kErrorPrefix = "invalid PostgreSQL connection string: ";

[[noreturn]] void bad(const std::string& what) {
  throw InterfaceError(kErrorPrefix + what);
}

std::string percent_decode(std::string_view s, const char* what) {
  return protocol::percent_decode(s, what, kErrorPrefix);
}

using Settings = std::map<std::string, std::string, std::less<>>;

// The keywords parse() knows: libpq's that tern implements, and tern's own. Anything else is
// refused before connecting, as libpq does (a typo such as "sslmod" would otherwise reach the
// server as a startup parameter and fail there, far from its cause).
bool known_keyword(std::string_view key) {
  static constexpr std::string_view kKnown[] = {"host",
                                                "hostaddr",
                                                "port",
                                                "user",
                                                "password",
                                                "passfile",
                                                "dbname",
                                                "service",
                                                "options",
                                                "sslmode",
                                                "sslrootcert",
                                                "sslcert",
                                                "sslkey",
                                                "channel_binding",
                                                "connect_timeout",
                                                "application_name",
                                                "fallback_application_name",
                                                "target_session_attrs",
                                                "load_balance_hosts",
                                                "statement_cache_size",
                                                "max_message_size",
                                                "max_result_rows",
                                                "pgbouncer"};
  return std::find(std::begin(kKnown), std::end(kKnown), key) != std::end(kKnown);
}

// The host list of a multi-host URL, comma-joined into `s` as a keyword string gives it.
void set_url_hosts(const std::vector<protocol::UrlHost>& list, Settings& s) {
  std::string hosts;
  std::string ports;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) {
      hosts += ',';
      ports += ',';
    }
    hosts += percent_decode(list[i].host, "host");
    ports += list[i].port;
  }
  s["host"] = std::move(hosts);
  if (ports.find_first_not_of(',') != std::string::npos) s["port"] = std::move(ports);
}

// postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?param=value&...]
Settings parse_url(std::string_view url) {
  Settings s;
  std::string rest(url.substr(url.find("://") + 3));
  // A host list is taken out first: split_url knows one host:port only.
  const std::vector<protocol::UrlHost> hosts = protocol::take_host_list(rest, kErrorPrefix);
  if (!hosts.empty()) set_url_hosts(hosts, s);
  const protocol::UrlParts u = protocol::split_url(rest, kErrorPrefix);
  if (u.path && !u.path->empty()) s["dbname"] = percent_decode(*u.path, "database name");
  if (u.user) s["user"] = percent_decode(*u.user, "user name");
  if (u.password) s["password"] = percent_decode(*u.password, "password");
  if (!u.host.empty()) s["host"] = percent_decode(u.host, "host");
  if (!u.port.empty()) s["port"] = std::string(u.port);
  protocol::for_each_query_pair(u.query, [&](std::string_view /*pair*/, std::string_view name,
                                             std::optional<std::string_view> value) {
    // Never echoed: a password with an unencoded '?' spills into the query string.
    if (!value) bad("a parameter has no value");
    std::string key = percent_decode(name, "parameter name");
    if (key.empty()) bad("a parameter has an empty name");
    // libpq's words; never the value, which may be a password's tail.
    if (!known_keyword(key)) bad(protocol::unknown_query_parameter(u.query, key));
    s[std::move(key)] = percent_decode(*value, "parameter value");
  });
  return s;
}

// key=value pairs separated by spaces (protocol::for_each_keyword, shared with MySQL's).
Settings parse_keywords(std::string_view text) {
  Settings s;
  protocol::for_each_keyword(
      text, kErrorPrefix, "a postgresql:// URL or key=value keywords", known_keyword,
      [&s](std::string key, std::string value) { s[std::move(key)] = std::move(value); });
  return s;
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::uint16_t parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    // Not echoed: a password with an unencoded '/', '?' or '#' ends up in the port's place.
    bad("bad port (not a number from 1 to 65535)");
  }
  return static_cast<std::uint16_t>(value);
}

// A non-negative count for keyword `key`; a bad one is echoed (counts hold no secrets).
std::size_t parse_count(std::string_view key, std::string_view text) {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    bad("bad " + std::string(key) + " \"" + std::string(text) + "\"");
  }
  return value;
}

std::string os_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return {};
}

// host, hostaddr and port as libpq takes them: comma-separated lists of one length (a single
// port applies to every host; an empty entry means the default).
void set_hosts(ConnectOptions& o, std::string_view host_list, std::string_view hostaddr_list,
               std::string_view port_list) {
  const std::vector<std::string_view> hosts = protocol::split_commas(host_list);
  const std::vector<std::string_view> addrs = protocol::split_commas(hostaddr_list);
  const std::vector<std::string_view> ports = protocol::split_commas(port_list);
  const std::size_t n = std::max(hosts.size(), addrs.size());
  if ((hosts.size() != 1 && hosts.size() != n) || (addrs.size() != 1 && addrs.size() != n)) {
    bad(absl::StrCat("host has ", hosts.size(), " entries but hostaddr has ", addrs.size()));
  }
  if (ports.size() != 1 && ports.size() != n) {
    bad(absl::StrCat("port has ", ports.size(), " entries for ", n, " hosts"));
  }
  std::vector<HostAddress> list(n);
  for (std::size_t i = 0; i < n; ++i) {
    list[i].host = hosts.size() == 1 ? hosts[0] : hosts[i];
    list[i].hostaddr = addrs.size() == 1 ? addrs[0] : addrs[i];
    const std::string_view port = ports.size() == 1 ? ports[0] : ports[i];
    if (!port.empty()) list[i].port = parse_port(port);
  }
  const HostAddress& first = list.at(0);  // split_commas gives one entry at least
  o.host = first.host;
  o.hostaddr = first.hostaddr;
  o.port = first.port;
  if (n > 1) o.hosts = std::move(list);
}

}  // namespace

TargetSessionAttrs parse_target_session_attrs(std::string_view text) {
  if (const auto attrs = protocol::target_session_attrs_from_name(text)) return *attrs;
  bad("unknown target_session_attrs \"" + std::string(text) + "\"");
}

std::vector<HostAddress> ConnectOptions::candidates() const {
  if (!hosts.empty()) return hosts;
  return {HostAddress{.host = host, .hostaddr = hostaddr, .port = port}};
}

SslMode parse_ssl_mode(std::string_view text) {
  if (text == "disable") return SslMode::kDisable;
  if (text == "allow") return SslMode::kAllow;
  if (text == "prefer") return SslMode::kPrefer;
  if (text == "require") return SslMode::kRequire;
  if (text == "verify-ca") return SslMode::kVerifyCa;
  if (text == "verify-full") return SslMode::kVerifyFull;
  bad("unknown sslmode \"" + std::string(text) + "\"");
}

ConnectOptions ConnectOptions::parse(std::string_view conninfo) {
  const bool url = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  if (const std::optional<std::string_view> scheme = protocol::url_scheme(conninfo);
      !url && scheme) {
    bad(protocol::scheme_mismatch(*scheme, "postgresql", "postgres") + ", or key=value keywords)");
  }
  Settings s = url ? parse_url(conninfo) : parse_keywords(conninfo);

  // A service's settings come after the string's and before the environment, as in libpq.
  std::optional<std::string> service = s.contains("service") ? s["service"] : env("PGSERVICE");
  if (service && !service->empty()) {
    for (auto& [key, value] : find_service(*service)) {
      if (!known_keyword(key)) {
        bad(absl::StrCat("invalid connection option \"", key, "\" in service \"", *service, "\""));
      }
      s.try_emplace(std::move(key), std::move(value));
    }
  }

  // Unset keywords fall back to the environment, as in libpq.
  static constexpr std::pair<const char*, const char*> kEnvironment[] = {
      {"host", "PGHOST"},
      {"hostaddr", "PGHOSTADDR"},
      {"port", "PGPORT"},
      {"user", "PGUSER"},
      {"password", "PGPASSWORD"},
      {"passfile", "PGPASSFILE"},
      {"dbname", "PGDATABASE"},
      {"sslmode", "PGSSLMODE"},
      {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcert", "PGSSLCERT"},
      {"sslkey", "PGSSLKEY"},
      {"application_name", "PGAPPNAME"},
      {"connect_timeout", "PGCONNECT_TIMEOUT"},
      {"options", "PGOPTIONS"},
      {"channel_binding", "PGCHANNELBINDING"},
      {"target_session_attrs", "PGTARGETSESSIONATTRS"},
      {"load_balance_hosts", "PGLOADBALANCEHOSTS"},
  };
  for (const auto& [key, var] : kEnvironment) {
    if (!s.contains(key)) {
      if (auto v = env(var)) s[key] = *v;
    }
  }

  ConnectOptions o;
  std::string_view host_list;
  std::string_view hostaddr_list;
  std::string_view port_list;
  for (auto& [key, value] : s) {
    if (key == "host") {
      host_list = value;
    } else if (key == "hostaddr") {
      hostaddr_list = value;
    } else if (key == "port") {
      if (value.empty()) parse_port(value);  // throws: only list entries may be empty
      port_list = value;
    } else if (key == "target_session_attrs") {
      o.target_session_attrs = parse_target_session_attrs(value);
    } else if (key == "load_balance_hosts") {
      if (value == "random") {
        o.load_balance_hosts = true;
      } else if (value == "disable") {
        o.load_balance_hosts = false;
      } else {
        bad(absl::StrCat("bad load_balance_hosts \"", value, "\" (disable or random)"));
      }
    } else if (key == "user") {
      o.user = value;
    } else if (key == "password") {
      o.password = value;
    } else if (key == "dbname") {
      o.database = value;
    } else if (key == "application_name") {
      o.application_name = value;
    } else if (key == "fallback_application_name") {
      if (!s.contains("application_name")) o.application_name = value;
    } else if (key == "passfile") {
      o.passfile = value;
    } else if (key == "options") {
      o.options = value;
    } else if (key == "channel_binding") {
      if (value == "disable") {
        o.channel_binding = ChannelBindingMode::kDisable;
      } else if (value == "prefer") {
        o.channel_binding = ChannelBindingMode::kPrefer;
      } else if (value == "require") {
        o.channel_binding = ChannelBindingMode::kRequire;
      } else {
        bad("unknown channel_binding \"" + value + "\"");
      }
    } else if (key == "sslmode") {
      o.ssl_mode = parse_ssl_mode(value);
    } else if (key == "sslrootcert") {
      o.ssl_root_cert = value;
    } else if (key == "sslcert") {
      o.ssl_cert = value;
    } else if (key == "sslkey") {
      o.ssl_key = value;
    } else if (key == "connect_timeout") {
      int seconds = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc{} || ptr != value.data() + value.size() || seconds < 0) {
        bad(absl::StrCat("bad connect_timeout \"", value, "\""));
      }
      o.connect_timeout = std::chrono::seconds(seconds);
    } else if (key == "statement_cache_size") {
      o.statement_cache_size = parse_count(key, value);
      o.unnamed_statements_only = o.statement_cache_size == 0;
    } else if (key == "max_message_size") {
      o.max_message_size = parse_count(key, value);
    } else if (key == "max_result_rows") {
      o.max_result_rows = parse_count(key, value);
    } else if (key == "pgbouncer") {
      if (value == "true" || value == "on" || value == "1") {
        o.pooler = PoolerMode::kOn;
      } else if (value == "false" || value == "off" || value == "0") {
        o.pooler = PoolerMode::kOff;
      } else if (value == "auto") {
        o.pooler = PoolerMode::kAuto;
      } else {
        bad(absl::StrCat("bad pgbouncer \"", value, "\" (true, false or auto)"));
      }
    }
    // "service" was taken in above; known_keyword() let nothing else through.
  }
  set_hosts(o, host_list, hostaddr_list, port_list);
  if (o.pooler == PoolerMode::kOn) o.unnamed_statements_only = true;
  if (o.user.empty()) o.user = os_user();
  if (o.database.empty()) o.database = o.user;
  return o;
}

std::string ConnectOptions::socket_path() const {
  return absl::StrCat(host.empty() ? "/var/run/postgresql" : host, "/.s.PGSQL.", port);
}

}  // namespace tern::pg
