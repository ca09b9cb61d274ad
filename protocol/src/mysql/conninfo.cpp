#include "tern/protocol/mysql/conninfo.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

#include "../url.hpp"
#include "absl/strings/ascii.h"
#include "tern/protocol/errors.hpp"

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
    bad(std::string("bad ") + what + " \"" + std::string(text) + "\"");
  }
  return value;
}

bool parse_bool(std::string_view text, const char* what) {
  const std::string v = absl::AsciiStrToLower(std::string(text));
  if (v == "true" || v == "1" || v == "on" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "off" || v == "no") return false;
  bad(std::string("bad ") + what + " \"" + std::string(text) + "\"");
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

void apply(ConnectOptions& o, const std::string& key, const std::string& value) {
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
  } else if (key == "multi-statements") {
    o.multi_statements = parse_bool(value, "multi-statements");
  } else if (key == "local-infile") {
    o.allow_local_infile = parse_bool(value, "local-infile");
  } else if (key == "cleartext-password") {
    o.allow_cleartext_password = parse_bool(value, "cleartext-password");
  } else {
    bad("unknown parameter \"" + key + "\"");
  }
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
  if (!is_mysql_url(url)) bad("it must start with mysql:// or mariadb://");
  url.remove_prefix(url.find("://") + 3);
  ConnectOptions o;
  std::string_view query;
  if (const std::size_t q = url.find('?'); q != std::string_view::npos) {
    query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  std::string_view authority = url;
  if (const std::size_t slash = url.find('/'); slash != std::string_view::npos) {
    authority = url.substr(0, slash);
    o.database = percent_decode(url.substr(slash + 1), "database name");
  }
  bool has_user = false;
  bool has_password = false;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    o.user = percent_decode(userinfo.substr(0, colon), "user name");
    has_user = !o.user.empty();
    if (colon != std::string_view::npos) {
      o.password = percent_decode(userinfo.substr(colon + 1), "password");
      has_password = true;
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad("unterminated [ in the host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') bad("junk after ]");
      port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  bool has_host = false;
  if (!host.empty()) {
    o.host = percent_decode(host, "host");
    has_host = true;
  }
  bool has_port = false;
  if (!port.empty()) {
    o.port = parse_number<std::uint16_t>(port, "port");
    has_port = true;
  }
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) bad("parameter without value");
    apply(o, percent_decode(pair.substr(0, eq), "parameter name"),
          percent_decode(pair.substr(eq + 1), "parameter value"));
  }
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
  return o;
}

}  // namespace tern::mysql
