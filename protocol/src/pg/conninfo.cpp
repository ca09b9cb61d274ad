#include "tern/protocol/pg/conninfo.hpp"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>

#include "../url.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tern/protocol/errors.hpp"

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

// postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]
Settings parse_url(std::string_view url) {
  Settings s;
  const protocol::UrlParts u = protocol::split_url(url.substr(url.find("://") + 3), kErrorPrefix);
  if (u.path && !u.path->empty()) s["dbname"] = percent_decode(*u.path, "database name");
  if (u.user) s["user"] = percent_decode(*u.user, "user name");
  if (u.password) s["password"] = percent_decode(*u.password, "password");
  if (!u.host.empty()) s["host"] = percent_decode(u.host, "host");
  if (!u.port.empty()) s["port"] = std::string(u.port);
  protocol::for_each_query_pair(u.query, [&](std::string_view pair, std::string_view name,
                                             std::optional<std::string_view> value) {
    if (!value) bad("parameter without value: " + std::string(pair));
    std::string key = percent_decode(name, "parameter name");
    if (key.empty()) bad("a parameter has an empty name");
    s[std::move(key)] = percent_decode(*value, "parameter value");
  });
  return s;
}

// key=value pairs separated by spaces; values may be 'single quoted' with \' and \\ escapes.
Settings parse_keywords(std::string_view text) {
  Settings s;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i])))
      ++i;
  };
  for (skip_space(); i < text.size(); skip_space()) {
    const std::size_t key_start = i;
    while (i < text.size() && text[i] != '=' &&
           !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string key(text.substr(key_start, i - key_start));
    if (key.empty()) bad("a keyword is empty");
    skip_space();
    if (i >= text.size() || text[i] != '=') bad(absl::StrCat("missing \"=\" after \"", key, "\""));
    ++i;
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '\'') {
      for (++i;; ++i) {
        if (i >= text.size()) bad("unterminated quoted string");
        if (text[i] == '\'') break;
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i]);
      }
      ++i;
    } else {
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i]))) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i++]);
      }
    }
    s[std::move(key)] = std::move(value);
  }
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
    bad("bad port \"" + std::string(text) + "\"");
  }
  return static_cast<std::uint16_t>(value);
}

std::string os_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return {};
}

}  // namespace

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
  Settings s = url ? parse_url(conninfo) : parse_keywords(conninfo);

  // Unset keywords fall back to the environment, as in libpq.
  static constexpr std::pair<const char*, const char*> kEnvironment[] = {
      {"host", "PGHOST"},
      {"hostaddr", "PGHOSTADDR"},
      {"port", "PGPORT"},
      {"user", "PGUSER"},
      {"password", "PGPASSWORD"},
      {"dbname", "PGDATABASE"},
      {"sslmode", "PGSSLMODE"},
      {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcert", "PGSSLCERT"},
      {"sslkey", "PGSSLKEY"},
      {"application_name", "PGAPPNAME"},
      {"connect_timeout", "PGCONNECT_TIMEOUT"},
      {"options", "PGOPTIONS"},
      {"channel_binding", "PGCHANNELBINDING"},
  };
  for (const auto& [key, var] : kEnvironment) {
    if (!s.contains(key)) {
      if (auto v = env(var)) s[key] = *v;
    }
  }

  ConnectOptions o;
  for (auto& [key, value] : s) {
    if (key == "host") {
      o.host = value;
    } else if (key == "hostaddr") {
      o.hostaddr = value;
    } else if (key == "port") {
      o.port = parse_port(value);
    } else if (key == "user") {
      o.user = value;
    } else if (key == "password") {
      o.password = value;
    } else if (key == "dbname") {
      o.database = value;
    } else if (key == "application_name") {
      o.application_name = value;
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
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size()) {
        bad(absl::StrCat("bad statement_cache_size \"", value, "\""));
      }
      o.statement_cache_size = n;
      o.unnamed_statements_only = n == 0;
    } else {
      // Anything else is a server setting sent at startup, as libpq does with unknown
      // keywords only for some; tern is explicit: it must be a GUC name.
      o.parameters.emplace_back(key, value);
    }
  }
  if (o.user.empty()) o.user = os_user();
  if (o.database.empty()) o.database = o.user;
  return o;
}

std::string ConnectOptions::socket_path() const {
  return absl::StrCat(host.empty() ? "/var/run/postgresql" : host, "/.s.PGSQL.", port);
}

}  // namespace tern::pg
