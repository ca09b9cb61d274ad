#include "tern/protocol/mysql/conninfo.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

#include "../url.hpp"
#include "absl/strings/ascii.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::mysql {

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw InterfaceError("invalid MySQL URL: " + what);
}

std::string percent_decode(std::string_view s, const char* what) {
  return protocol::percent_decode(s, what, "invalid MySQL URL: ");
}

template <class Int>
Int parse_number(std::string_view text, const char* what) {
  Int value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    // The text is not echoed: a password with an unencoded '/', '?' or '#' spills into the
    // port or the query string, and its pieces would end up in the message.
    bad(std::string("bad ") + what + " (not a number in range)");
  }
  return value;
}

bool parse_bool(std::string_view text, const char* what) {
  const std::string v = absl::AsciiStrToLower(std::string(text));
  if (v == "true" || v == "1" || v == "on" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "off" || v == "no") return false;
  bad(std::string("bad ") + what + " (true/false/1/0/on/off/yes/no)");
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// Sets the option `key` names; false for an unknown key.
bool apply(ConnectOptions& o, const std::string& key, const std::string& value) {
  if (key == "ssl-mode" || key == "sslmode") {
    o.ssl_mode = parse_ssl_mode(value);
  } else if (key == "ssl-ca") {
    o.ssl_ca = value;
  } else if (key == "ssl-cert") {
    o.ssl_cert = value;
  } else if (key == "ssl-key") {
    o.ssl_key = value;
  } else if (key == "connect-timeout") {
    o.connect_timeout = std::chrono::seconds(parse_number<unsigned>(value, "connect-timeout"));
  } else if (key == "socket") {
    o.unix_socket = value;
  } else if (key == "hostaddr") {
    o.hostaddr = value;
  } else if (key == "statement-cache-size") {
    o.statement_cache_size = parse_number<std::size_t>(value, "statement-cache-size");
  } else if (key == "max-payload-size") {
    o.max_payload_size = parse_number<std::size_t>(value, "max-payload-size");
  } else if (key == "max-result-rows") {
    o.max_result_rows = parse_number<std::size_t>(value, "max-result-rows");
  } else if (key == "multi-statements") {
    o.multi_statements = parse_bool(value, "multi-statements");
  } else if (key == "local-infile") {
    o.allow_local_infile = parse_bool(value, "local-infile");
  } else if (key == "cleartext-password") {
    o.allow_cleartext_password = parse_bool(value, "cleartext-password");
  } else if (key == "compress") {
    o.compress = parse_bool(value, "compress");
  } else if (key == "target-session-attrs" || key == "target_session_attrs") {
    const auto attrs = protocol::target_session_attrs_from_name(value);
    if (!attrs || (*attrs != TargetSessionAttrs::kAny && *attrs != TargetSessionAttrs::kReadWrite &&
                   *attrs != TargetSessionAttrs::kReadOnly)) {
      bad("bad target-session-attrs (any, read-write or read-only)");  // value not echoed
    }
    o.target_session_attrs = *attrs;
  } else if (key == "load-balance-hosts" || key == "load_balance_hosts") {
    if (value != "disable" && value != "random") {
      bad("bad load-balance-hosts (disable or random)");
    }
    o.load_balance_hosts = value == "random";
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool is_mysql_url(std::string_view url) noexcept {
  return url.starts_with("mysql://") || url.starts_with("mariadb://");
}

SslMode parse_ssl_mode(std::string_view text) {
  std::string v = absl::AsciiStrToUpper(std::string(text));
  for (char& c : v) {
    if (c == '-') c = '_';
  }
  if (v == "DISABLED") return SslMode::kDisabled;
  if (v == "PREFERRED") return SslMode::kPreferred;
  if (v == "REQUIRED") return SslMode::kRequired;
  if (v == "VERIFY_CA") return SslMode::kVerifyCa;
  if (v == "VERIFY_IDENTITY") return SslMode::kVerifyIdentity;
  bad("unknown ssl-mode \"" + std::string(text) + "\"");
}

ConnectOptions ConnectOptions::parse(std::string_view url) {
  if (!is_mysql_url(url)) {
    const std::optional<std::string_view> scheme = protocol::url_scheme(url);
    bad(scheme ? protocol::scheme_mismatch(*scheme, "mysql", "mariadb") + ")"
               : std::string("not a URL (expected mysql:// or mariadb://)"));
  }
  std::string rest(url.substr(url.find("://") + 3));
  // A host list is taken out first: split_url knows one host:port only.
  const std::vector<protocol::UrlHost> list = protocol::take_host_list(rest, "invalid MySQL URL: ");
  const protocol::UrlParts u = protocol::split_url(rest, "invalid MySQL URL: ");
  ConnectOptions o;
  if (u.path) o.database = percent_decode(*u.path, "database name");
  if (u.user) o.user = percent_decode(*u.user, "user name");
  if (u.password) o.password = percent_decode(*u.password, "password");
  const bool has_user = !o.user.empty();
  const bool has_password = u.password.has_value();
  const bool has_host = !u.host.empty() || !list.empty();
  if (has_host) o.host = percent_decode(u.host, "host");
  const bool has_port = !u.port.empty();
  if (has_port) o.port = parse_number<std::uint16_t>(u.port, "port");
  protocol::for_each_query_pair(u.query, [&o, &u](std::string_view, std::string_view name,
                                                  std::optional<std::string_view> value) {
    if (!value) bad("parameter without value");
    const std::string key = percent_decode(name, "parameter name");
    if (!apply(o, key, percent_decode(*value, "parameter value"))) {
      // libpq's words; never the value (it may be a password's tail).
      bad(protocol::unknown_query_parameter(u.query, key) +
          " (known: ssl-mode, ssl-ca, ssl-cert, ssl-key, connect-timeout, socket, hostaddr, "
          "statement-cache-size, max-payload-size, max-result-rows, multi-statements, "
          "local-infile, cleartext-password, compress, target-session-attrs, "
          "load-balance-hosts)");
    }
  });
  // The environment fills what the URL left out, as the mysql client does.
  if (!has_host) {
    if (const char* v = env("MYSQL_HOST")) o.host = v;
  }
  if (!has_port) {
    if (const char* v = env("MYSQL_TCP_PORT"))
      o.port = parse_number<std::uint16_t>(v, "MYSQL_TCP_PORT");
  }
  if (o.unix_socket.empty() && !has_host) {
    if (const char* v = env("MYSQL_UNIX_PORT")) o.unix_socket = v;
  }
  if (!has_password) {
    if (const char* v = env("MYSQL_PWD")) o.password = v;
  }
  if (!has_user) {
    if (const char* v = env("USER")) o.user = v;
  }
  if (!list.empty()) {
    if (!o.unix_socket.empty()) bad("socket with several hosts (a socket names one server)");
    if (!o.hostaddr.empty()) bad("hostaddr with several hosts (it names one address)");
    for (const protocol::UrlHost& h : list) {
      o.hosts.push_back(
          {.host = percent_decode(h.host, "host"),
           .port = h.port.empty() ? o.port : parse_number<std::uint16_t>(h.port, "port")});
      if (o.hosts.back().host.empty()) bad("empty host in the host list");
    }
    o.host = o.hosts.front().host;
    o.port = o.hosts.front().port;
  }
  return o;
}

std::vector<HostAddress> ConnectOptions::candidates() const {
  if (!hosts.empty()) return hosts;
  return {HostAddress{.host = host, .hostaddr = hostaddr, .port = port}};
}

}  // namespace tern::mysql
