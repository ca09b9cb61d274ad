#include "tern/protocol/pg/passfile.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/conninfo.hpp"

namespace tern::pg {

namespace {

std::string home_dir() {
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_dir;
  return {};
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// Consumes one ':'-terminated field of a password file line from `line` and says whether it
// matches `want` (a lone '*' matches anything). Backslash escapes the next character.
bool field_matches(std::string_view& line, std::string_view want) {
  if (line.starts_with("*:")) {
    line.remove_prefix(2);
    return true;
  }
  std::string field;
  std::size_t i = 0;
  for (; i < line.size() && line[i] != ':'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    field += line[i];
  }
  if (i == line.size()) return false;  // fewer than five fields: the line matches nothing
  line.remove_prefix(i + 1);
  return field == want;
}

// The rest of a line is the password, with its escapes undone.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

}  // namespace

std::optional<std::string> match_password_file(std::string_view text, std::string_view host,
                                               std::uint16_t port, std::string_view database,
                                               std::string_view user) {
  if (host.empty() || host.front() == '/') host = "localhost";
  const std::string port_text = std::to_string(port);
  for (std::string_view line : lines_of(text)) {
    if (line.empty() || line.front() == '#') continue;
    if (field_matches(line, host) && field_matches(line, port_text) &&
        field_matches(line, database) && field_matches(line, user)) {
      return unescape(line);
    }
  }
  return std::nullopt;
}

std::optional<std::string> password_from_file(const ConnectOptions& o) {
  std::string path = o.passfile;
  if (path.empty()) {
    const std::string home = home_dir();
    if (home.empty()) return std::nullopt;
    path = home + "/.pgpass";
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  // A password file others can read is a leak waiting to happen: libpq refuses it, and says so.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    std::fprintf(stderr,
                 "WARNING: password file \"%s\" has group or world access; permissions should "
                 "be u=rw (0600) or less\n",
                 path.c_str());
    return std::nullopt;
  }
  const std::optional<std::string> text = read_file(path);
  if (!text) return std::nullopt;
  // The name the server is known by, as libpq matches it: hostaddr only when there is no host.
  const std::string& host = o.host.empty() && !o.hostaddr.empty() ? o.hostaddr : o.host;
  return match_password_file(*text, host, o.port, o.database, o.user);
}

std::optional<std::vector<std::pair<std::string, std::string>>> read_service(
    std::string_view text, std::string_view name, std::string_view file_view) {
  const std::string file(file_view);
  std::optional<std::vector<std::pair<std::string, std::string>>> found;
  bool in_section = false;
  int number = 0;
  for (std::string_view line : lines_of(text)) {
    ++number;
    while (!line.empty() && absl::ascii_isspace(static_cast<unsigned char>(line.front())))
      line.remove_prefix(1);
    while (!line.empty() && absl::ascii_isspace(static_cast<unsigned char>(line.back())))
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      if (found) return found;  // the section ended (libpq takes the first one too)
      in_section = line.ends_with(']') && line.substr(1, line.size() - 2) == name;
      if (in_section) found.emplace();
      continue;
    }
    if (!in_section) continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw InterfaceError(
          absl::StrCat("syntax error in service file \"", file, "\", line ", number));
    }
    std::string key(line.substr(0, eq));
    if (key == "service") {
      throw InterfaceError(
          absl::StrCat("nested service specifications not supported in service "
                       "file \"",
                       file, "\", line ", number));
    }
    found->emplace_back(std::move(key), std::string(line.substr(eq + 1)));
  }
  return found;
}

std::vector<std::pair<std::string, std::string>> find_service(std::string_view name) {
  std::vector<std::string> files;
  if (const char* f = std::getenv("PGSERVICEFILE"); f != nullptr && *f != '\0') {
    files.emplace_back(f);
  } else if (const std::string home = home_dir(); !home.empty()) {
    files.push_back(home + "/.pg_service.conf");
  }
  const char* sysconf = std::getenv("PGSYSCONFDIR");
  files.push_back(
      absl::StrCat(sysconf != nullptr && *sysconf != '\0' ? sysconf : "/etc/postgresql-common",
                   "/pg_service.conf"));
  for (const std::string& file : files) {
    const std::optional<std::string> text = read_file(file);
    if (!text) continue;
    if (auto settings = read_service(*text, name, file)) return std::move(*settings);
  }
  throw InterfaceError(absl::StrCat("definition of service \"", std::string(name), "\" not found"));
}

}  // namespace tern::pg
