#include "tern/protocol/mysql/conninfo.hpp"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

namespace {

// What a connection string gave, before the environment fills the rest in.
struct Given {
  bool host = false;
  bool port = false;
  bool user = false;
  bool password = false;
};

// The environment fills what the connection string left out, as the mysql client does; then a
// host list becomes `hosts` (its first entry also host and port).
void finish(ConnectOptions& o, const Given& given, std::vector<HostAddress> list) {
  if (!given.host) {
    if (const char* v = env("MYSQL_HOST")) o.host = v;
  }
  if (!given.port) {
    if (const char* v = env("MYSQL_TCP_PORT"))
      o.port = parse_number<std::uint16_t>(v, "MYSQL_TCP_PORT");
  }
  if (o.unix_socket.empty() && !given.host) {
    if (const char* v = env("MYSQL_UNIX_PORT")) o.unix_socket = v;
  }
  if (!given.password) {
    if (const char* v = env("MYSQL_PWD")) o.password = v;
  }
  if (!given.user) {
    if (const char* v = env("USER")) o.user = v;
  }
  if (list.empty()) return;
  if (!o.unix_socket.empty()) bad("socket with several hosts (a socket names one server)");
  if (!o.hostaddr.empty()) bad("hostaddr with several hosts (it names one address)");
  for (HostAddress& h : list) {
    if (h.host.empty()) bad("empty host in the host list");
    if (h.port == 0) h.port = o.port;  // no port of its own: the default, or MYSQL_TCP_PORT
  }
  o.hosts = std::move(list);
  o.host = o.hosts.front().host;
  o.port = o.hosts.front().port;
}

// The keywords of the libpq-style form: the URL's parts, then the URL's query keys.
bool is_keyword(std::string_view key) {
  if (key == "host" || key == "port" || key == "user" || key == "password" || key == "dbname" ||
      key == "database") {
    return true;
  }
  ConnectOptions scratch;
  try {
    return apply(scratch, std::string(key), "");
  } catch (const InterfaceError&) {
    return true;  // known: only the empty value was refused
  }
}

// host=h1,h2 port=p1,p2 user=... password=... dbname=... and the URL's query keys, parsed by
// the PostgreSQL keyword parser (protocol::for_each_keyword). Values are taken as written (no
// percent-decoding); ports pair with hosts as in libpq: one for all, or one each.
ConnectOptions parse_keywords(std::string_view text) {
  ConnectOptions o;
  Given given;
  std::string hosts;
  std::string ports;
  protocol::for_each_keyword(
      text, "invalid MySQL connection string: ", "a mysql:// URL or key=value keywords", is_keyword,
      [&](std::string key, std::string value) {
        if (key == "host") {
          given.host = !value.empty();
          hosts = std::move(value);
        } else if (key == "port") {
          given.port = !value.empty();
          ports = std::move(value);
        } else if (key == "user") {
          given.user = !value.empty();
          o.user = std::move(value);
        } else if (key == "password") {
          given.password = true;
          o.password = std::move(value);
        } else if (key == "dbname" || key == "database") {
          o.database = std::move(value);
        } else {
          apply(o, key, value);
        }
      });
  const std::vector<std::string_view> host_list = protocol::split_commas(hosts);
  const std::vector<std::string_view> port_list = protocol::split_commas(ports);
  if (port_list.size() != 1 && port_list.size() != host_list.size()) {
    bad("port has " + std::to_string(port_list.size()) + " entries for " +
        std::to_string(host_list.size()) + " hosts");
  }
  std::vector<HostAddress> list;
  for (std::size_t i = 0; i < host_list.size(); ++i) {
    const std::string_view port = port_list.size() == 1 ? port_list[0] : port_list[i];
    list.push_back(
        {.host = std::string(host_list[i]),
         .port = port.empty() ? std::uint16_t{0} : parse_number<std::uint16_t>(port, "port")});
  }
  if (list.size() == 1) {  // one server: host and port as the URL sets them
    if (given.host) o.host = list[0].host;
    if (list[0].port != 0) o.port = list[0].port;
    list.clear();
  }
  finish(o, given, std::move(list));
  return o;
}

}  // namespace

ConnectOptions ConnectOptions::parse(std::string_view url) {
  if (!is_mysql_url(url)) {
    const std::optional<std::string_view> scheme = protocol::url_scheme(url);
    if (!scheme && url.find('=') != std::string_view::npos) return parse_keywords(url);
    bad(scheme ? protocol::scheme_mismatch(*scheme, "mysql", "mariadb") + ")"
               : std::string("not a URL (expected mysql:// or mariadb://, or key=value "
                             "keywords)"));
  }
  std::string rest(url.substr(url.find("://") + 3));
  // A host list is taken out first: split_url knows one host:port only.
  const std::vector<protocol::UrlHost> url_hosts =
      protocol::take_host_list(rest, "invalid MySQL URL: ");
  const protocol::UrlParts u = protocol::split_url(rest, "invalid MySQL URL: ");
  ConnectOptions o;
  Given given;
  if (u.path) o.database = percent_decode(*u.path, "database name");
  if (u.user) o.user = percent_decode(*u.user, "user name");
  if (u.password) o.password = percent_decode(*u.password, "password");
  given.user = !o.user.empty();
  given.password = u.password.has_value();
  given.host = !u.host.empty() || !url_hosts.empty();
  if (given.host) o.host = percent_decode(u.host, "host");
  given.port = !u.port.empty();
  if (given.port) o.port = parse_number<std::uint16_t>(u.port, "port");
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
  std::vector<HostAddress> list;
  for (const protocol::UrlHost& h : url_hosts) {
    list.push_back(
        {.host = percent_decode(h.host, "host"),
         .port = h.port.empty() ? std::uint16_t{0} : parse_number<std::uint16_t>(h.port, "port")});
  }
  finish(o, given, std::move(list));
  return o;
}

std::vector<HostAddress> ConnectOptions::candidates() const {
  if (!hosts.empty()) return hosts;
  return {HostAddress{.host = host, .hostaddr = hostaddr, .port = port}};
}

}  // namespace tern::mysql
