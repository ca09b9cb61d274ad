// tern-cli: runs SQL against a PostgreSQL or MySQL/MariaDB server and prints each result as TSV.
//
//   tern-cli [--param VALUE]... [--binary] URL SQL...
//
// URL is postgresql://... (or a libpq keyword string) or mysql:// / mariadb://. Each SQL
// argument runs as a simple/text query (several ';'-separated statements allowed), or, with
// --param, as a prepared statement with the given parameters ($n for PostgreSQL, ? for MySQL).
// A result with columns is printed as a header row and one line per row, tab-separated, NULL
// as \N, with tab, newline, carriage return and backslash escaped as in COPY's text format.
// --binary asks for binary results (MySQL: a prepared statement) and renders them as the
// text format would.
// Exit status: 0 on success (and for --help / -h, which print the usage), 1 on a server error
// (SQLSTATE and message on stderr), 2 on a connection, TLS or authentication failure (reason on
// stderr), 64 on a usage error: a missing argument, an unknown option, a URL that does not
// parse (sysexits.h's EX_USAGE).
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/text.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/text.hpp"
#include "tern/ring/ring.hpp"

namespace {

using tern::pg::Format;

struct Args {
  std::vector<std::string> params;
  bool binary = false;
  std::string url;
  std::vector<std::string> sql;
  // The URL parsed for one backend (parsed before connecting: a bad one is a usage error).
  std::optional<tern::pg::ConnectOptions> pg;
  std::optional<tern::mysql::ConnectOptions> mysql;
};

constexpr int kUsage = 64;  // sysexits.h's EX_USAGE

constexpr const char* kUsageText =
    "usage: tern-cli [--param VALUE]... [--binary] URL SQL...\n"
    "  URL      postgresql://... (or libpq key=value keywords), mysql://... or mariadb://...\n"
    "  SQL      statements to run, in order; each result is printed as TSV\n"
    "  --param  a parameter of the statements ($1.. for PostgreSQL, ? for MySQL)\n"
    "  --binary binary results (MySQL: a prepared statement)\n"
    "  -h, --help  this text\n"
    "exit status: 0 ok, 1 server error, 2 connection failure, 64 usage error\n";

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "tern-cli: " << why << '\n' << kUsageText;
  std::exit(kUsage);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsageText;
      std::exit(0);
    } else if (arg == "--param") {
      if (++i >= argc) usage("--param needs a value");
      a.params.emplace_back(argv[i]);
    } else if (arg == "--binary") {
      a.binary = true;
    } else if (a.url.empty() && arg.starts_with("-")) {
      usage("unknown option " + std::string(arg));
    } else if (a.url.empty()) {
      a.url = arg;
    } else {
      a.sql.emplace_back(arg);
    }
  }
  if (a.url.empty()) usage("missing URL");
  if (a.sql.empty()) usage("missing SQL");
  try {
    if (tern::mysql::is_mysql_url(a.url)) {
      a.mysql = tern::mysql::ConnectOptions::parse(a.url);
    } else {
      a.pg = tern::pg::ConnectOptions::parse(a.url);
    }
  } catch (const tern::InterfaceError& e) {
    usage(e.what());
  }
  return a;
}

void put_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
}

// Prints a result of either backend: `render(row, i)` gives column i's text, or nullopt.
template <class Result, class Render>
void print(const Result& result, Render render) {
  const auto& columns = result.columns();
  if (columns.empty()) return;
  std::string out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += '\t';
    put_escaped(out, columns[i].name);
  }
  out += '\n';
  for (const auto row : result) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += '\t';
      const std::optional<std::string> text = render(row, i);
      if (text) {
        put_escaped(out, *text);
      } else {
        out += "\\N";
      }
    }
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// Renders under the session's DateStyle, IntervalStyle and TimeZone, as psql shows them.
void print(const tern::pg::Result& result, const tern::pg::TextSettings& settings) {
  print(result, [&](const tern::pg::Row& row, std::size_t i) -> std::optional<std::string> {
    const std::optional<tern::protocol::Bytes> raw = row.raw(i);
    if (!raw) return std::nullopt;
    const auto& column = result.columns()[i];
    return tern::pg::to_text(column.type, column.format, *raw, settings);
  });
}

void print(const tern::mysql::Result& result) {
  print(result, [&](const tern::mysql::Row& row, std::size_t i) -> std::optional<std::string> {
    const std::optional<tern::protocol::Bytes> raw = row.raw(i);
    if (!raw) return std::nullopt;
    const auto& column = result.columns()[i];
    return tern::mysql::to_text(column.type, result.format(), *raw, column.column_length);
  });
}

tern::ring::Task<void> run_pg(tern::ring::Loop& loop, const Args& args, bool& connected) {
  tern::pg::Connection c = co_await tern::pg::Connection::connect(loop, *args.pg);
  connected = true;
  const tern::pg::QueryOptions options{.result_format =
                                           args.binary ? Format::kBinary : Format::kText};
  for (const std::string& sql : args.sql) {
    if (args.params.empty() && !args.binary) {
      for (const tern::pg::Result& r : co_await c.simple_query(sql, options))
        print(r, c.text_settings());
    } else {
      tern::pg::Params params;
      for (const std::string& p : args.params)
        params.add(std::string_view(p));
      print(co_await c.execute(sql, params, options), c.text_settings());
    }
  }
  co_await c.close();
}

tern::ring::Task<void> run_mysql(tern::ring::Loop& loop, const Args& args, bool& connected) {
  tern::mysql::ConnectOptions o = *args.mysql;
  o.multi_statements = true;  // as the mysql client: "SELECT 1; SELECT 2" is two queries
  tern::mysql::Connection c = co_await tern::mysql::Connection::connect(loop, std::move(o));
  connected = true;
  for (const std::string& sql : args.sql) {
    if (args.params.empty() && !args.binary) {
      for (const tern::mysql::Result& r : co_await c.query(sql))
        print(r);
    } else {
      tern::mysql::Params params;
      for (const std::string& p : args.params)
        params.add(std::string_view(p));
      print(co_await c.execute(sql, params));
    }
  }
  co_await c.close();
}

tern::ring::Task<void> run(tern::ring::Loop& loop, const Args& args, bool& connected) {
  if (args.mysql) {
    co_await run_mysql(loop, args, connected);
  } else {
    co_await run_pg(loop, args, connected);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  bool connected = false;
  try {
    tern::ring::Loop loop;
    tern::ring::sync_wait(loop, run(loop, args, connected));
    return 0;
  } catch (const tern::ConnectionFailed& e) {  // "could not connect to server at ..."
    std::cerr << "tern-cli: " << e.what() << '\n';
    return 2;
  } catch (const tern::ConnectionLost& e) {
    std::cerr << "tern-cli: connection lost: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    // Before the connection is up, any error (authentication, unknown database, TLS) is a
    // connection failure; afterwards it is the statement's.
    std::cerr << "tern-cli: " << (connected ? "" : "connection failed: ") << e.what() << '\n';
    return connected ? 1 : 2;
  }
}
