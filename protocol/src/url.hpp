// Internal: the pieces of URL and keyword-string parsing both connection-string parsers share.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::protocol {

/// Decodes %XX escapes of a URL component. A bad escape throws InterfaceError(`error_prefix` +
/// "bad percent escape in the " + `what`): the component's text is never shown, since it may
/// be a password.
inline std::string percent_decode(std::string_view s, const char* what, const char* error_prefix) {
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? hex(s[i + 1]) : -1;
    const int lo = hi >= 0 ? hex(s[i + 2]) : -1;
    if (lo < 0) {
      throw InterfaceError(std::string(error_prefix) + "bad percent escape in the " + what);
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

/// The parts of "[user[:password]@][host][:port][/path][?query]", still percent-encoded.
struct UrlParts {
  std::optional<std::string_view> user;      ///< present when there is an '@'
  std::optional<std::string_view> password;  ///< present when the user info has a ':'
  std::string_view host;                     ///< without the brackets of an IPv6 address
  std::string_view port;
  std::optional<std::string_view> path;  ///< after the first '/', when there is one
  std::string_view query;                ///< after the first '?'
};

/// Splits what follows a URL's "scheme://". A malformed [IPv6] host throws
/// InterfaceError(`error_prefix` + why).
inline UrlParts split_url(std::string_view url, const char* error_prefix) {
  UrlParts u;
  if (const std::size_t q = url.find('?'); q != std::string_view::npos) {
    u.query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  std::string_view authority = url;
  if (const std::size_t slash = url.find('/'); slash != std::string_view::npos) {
    authority = url.substr(0, slash);
    u.path = url.substr(slash + 1);
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) u.password = userinfo.substr(colon + 1);
  }
  u.host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw InterfaceError(std::string(error_prefix) + "unterminated [ in the host");
    }
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        throw InterfaceError(std::string(error_prefix) + "junk after ]");
      }
      u.port = authority.substr(close + 2);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  }
  return u;
}

/// One entry of a multi-host URL's host list, still percent-encoded.
struct UrlHost {
  std::string host;  ///< without the brackets of an IPv6 address
  std::string port;  ///< empty when not given
};

/// Takes the host list out of what follows a URL's "scheme://" when it names several hosts
/// ("[user@]h1:p1,[::1]:p2,h3[/db]..."): returns its entries and erases the list from `rest`, so
/// that split_url sees a URL without a host. Empty, with `rest` unchanged, for one host.
inline std::vector<UrlHost> take_host_list(std::string& rest, const char* error_prefix) {
  const std::size_t authority_end = std::min(rest.find('/'), rest.find('?'));
  const std::string_view authority = std::string_view(rest).substr(0, authority_end);
  const std::size_t at = authority.rfind('@');
  const std::size_t begin = at == std::string_view::npos ? 0 : at + 1;
  if (authority.find(',', begin) == std::string_view::npos) return {};
  std::vector<UrlHost> hosts;
  std::string_view list = authority.substr(begin);
  for (;;) {
    const std::size_t comma = list.find(',');
    // split_url takes "host:port" apart as the authority of a URL without anything else.
    const UrlParts u = split_url(list.substr(0, comma), error_prefix);
    hosts.push_back({std::string(u.host), std::string(u.port)});
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  rest.erase(begin, authority.size() - begin);
  return hosts;
}

/// The scheme of a text that starts like a URL ("http" for "http://x", "mysql" for "mysql:/x"),
/// as RFC 3986 spells one: a letter, then letters, digits, '+', '-' or '.', then ':'. Nullopt
/// for anything else (a libpq keyword string's first word ends with '=' or a space instead).
inline std::optional<std::string_view> url_scheme(std::string_view text) {
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (text.empty() || !alpha(text[0])) return std::nullopt;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') return text.substr(0, i);
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') break;
  }
  return std::nullopt;
}

/// Why a text whose scheme is `scheme` is not a URL of `first` or `second` (scheme names
/// without "://"): the scheme is named, or the missing "//" of a right one.
inline std::string scheme_mismatch(std::string_view scheme, std::string_view first,
                                   std::string_view second) {
  std::string why;
  if (scheme == first || scheme == second) {
    why.append("a URL starts with \"").append(scheme).append("://\"");
  } else {
    why.append("unsupported URL scheme \"").append(scheme).append("\"");
  }
  why.append(" (expected ").append(first).append(":// or ").append(second).append("://");
  return why;
}

/// The error text for unknown URL query parameter `key` of `query`, in libpq's words
/// (`invalid URI query parameter: "key"`), but without the name when the query string holds an
/// '@': the '?' was then most likely an unencoded one in the password, and the "name" a piece
/// of it.
inline std::string unknown_query_parameter(std::string_view query, std::string_view key) {
  if (query.find('@') != std::string_view::npos) {
    return "invalid URI query parameter (its name is not shown: the query string holds an '@', "
           "as when a password has an unencoded '?')";
  }
  return std::string("invalid URI query parameter: \"").append(key).append("\"");
}

/// Calls `f(pair, key, value)` for each non-empty '&'-separated pair of a query string; `value`
/// is nullopt when the pair has no '='. Nothing is decoded.
template <class F>
void for_each_query_pair(std::string_view query, F f) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      f(pair, pair, std::optional<std::string_view>());
    } else {
      f(pair, pair.substr(0, eq), std::optional<std::string_view>(pair.substr(eq + 1)));
    }
  }
}

/// The comma-separated entries of a keyword's value ("a,b" for host=a,b), one at least.
inline std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    text.remove_prefix(comma + 1);
  }
}

/// Calls `f(key, value)` for each pair of a libpq-style keyword string: key=value pairs
/// separated by spaces, values maybe 'single quoted' with \' and \\ escapes. A key that
/// `known(key)` refuses is InterfaceError(`error_prefix` + `invalid connection option "key"`),
/// before its value is read; `expected` ends the error of a word without '=' ("a
/// postgresql:// URL or key=value keywords"). Values are never echoed (one may be a password).
template <class Known, class F>
void for_each_keyword(std::string_view text, const char* error_prefix, const char* expected,
                      Known known, F f) {
  const auto bad = [error_prefix](const std::string& what) {
    throw InterfaceError(error_prefix + what);
  };
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
    // The word is not echoed: it may be the second half of an unquoted password with a space.
    if (i >= text.size() || text[i] != '=') {
      bad(absl::StrCat("missing \"=\" after the word at offset ", key_start, " (expected ",
                       expected, ")"));
    }
    if (!known(std::string_view(key))) {
      bad(absl::StrCat("invalid connection option \"", key, "\""));
    }
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
    f(std::move(key), std::move(value));
  }
}

}  // namespace tern::protocol
