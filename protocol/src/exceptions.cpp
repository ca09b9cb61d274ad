#include "tern/protocol/exceptions.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tern {

namespace {

std::string describe(const ServerErrorInfo& info) {
  // "23505: message" (PostgreSQL), "23000 (1062): message" (MySQL: its error number too).
  std::string out = info.sqlstate;
  if (info.code != 0) absl::StrAppend(&out, out.empty() ? "" : " ", "(", info.code, ")");
  absl::StrAppend(&out, out.empty() ? "" : ": ", info.message);
  if (!info.detail.empty()) absl::StrAppend(&out, " (detail: ", info.detail, ")");
  if (!info.hint.empty()) absl::StrAppend(&out, " (hint: ", info.hint, ")");
  return out;
}

}  // namespace

DatabaseError::DatabaseError(ServerErrorInfo info)
    : Error(describe(info)), info_(std::move(info)) {}

DatabaseError::DatabaseError(ServerErrorInfo info, std::string_view context)
    : Error(std::string(context) + ": " + describe(info)), info_(std::move(info)) {}

void DatabaseError::set_statement(std::string_view sql) {
  if (info_.position.empty() || !info_.statement.empty()) return;
  const std::string& p = info_.position;
  std::size_t position = 0;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), position);
  if (ec != std::errc{} || end != p.data() + p.size() || position == 0) return;
  info_.statement = sql;
  what_with_position_ = std::make_shared<const std::string>(
      absl::StrCat(Error::what(), "\n", error_position_lines(sql, position)));
}

const char* DatabaseError::what() const noexcept {
  return what_with_position_ ? what_with_position_->c_str() : Error::what();
}

std::string error_position_lines(std::string_view statement, std::size_t position) {
  if (position == 0) return {};
  // The server counts characters (code points), not bytes: where each one starts.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < statement.size(); ++i) {
    if ((static_cast<unsigned char>(statement[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  const std::size_t n = starts.size();
  starts.push_back(statement.size());
  const auto at = [&](std::size_t c) { return statement[starts[c]]; };
  std::size_t loc = std::min(position - 1, n);  // past the end: "at end of input"
  std::size_t line = 1;
  std::size_t begin = 0;
  for (std::size_t c = 0; c < loc; ++c) {
    if (at(c) == '\n') {
      ++line;
      begin = c + 1;
    }
  }
  std::size_t end = begin;
  while (end < n && at(end) != '\n')
    ++end;
  if (end > begin && at(end - 1) == '\r') --end;
  loc = std::min(loc, end);
  // libpq's cut: at most 60 characters, keeping 10 to the right of the position.
  constexpr std::size_t kDisplay = 60;
  constexpr std::size_t kMinRightCut = 10;
  bool cut_left = false;
  bool cut_right = false;
  if (end - begin > kDisplay) {
    if (loc - begin + kMinRightCut <= kDisplay) {
      end = begin + kDisplay;
      cut_right = true;
    } else {
      if (loc + kMinRightCut < end) {
        end = loc + kMinRightCut;
        cut_right = true;
      }
      if (end - begin > kDisplay) {
        begin = end - kDisplay;
        cut_left = true;
      }
    }
  }
  std::string out = absl::StrCat("LINE ", line, ": ", cut_left ? "..." : "");
  const std::size_t caret_column = out.size() + (loc - begin);
  std::string text(statement.substr(starts[begin], starts[end] - starts[begin]));
  std::replace(text.begin(), text.end(), '\t', ' ');  // as psql: one column each
  absl::StrAppend(&out, text, cut_right ? "..." : "", "\n");
  out.append(caret_column, ' ');
  out += '^';
  return out;
}

void throw_type_error(const char* type_name, std::string_view why) {
  std::string msg = "cannot decode ";
  msg += type_name;
  msg += " value: ";
  msg += why;
  throw TypeError(msg);
}

void throw_server_error(ServerErrorInfo info) {
  // The SQLSTATE class (first two characters) picks the exception, as psycopg2 does.
  const std::string_view cls = std::string_view(info.sqlstate).substr(0, 2);
  if (cls == "23") throw IntegrityError(std::move(info));
  if (cls == "21" || cls == "22") throw DataError(std::move(info));
  if (cls == "42" || cls == "26" || cls == "2F" || cls == "34" || cls == "3D" || cls == "3F" ||
      cls == "44") {
    throw ProgrammingError(std::move(info));
  }
  if (cls == "0A") throw NotSupportedError(std::move(info));
  if (cls == "25" || cls == "2D" || cls == "XX" || cls == "F0" || cls == "HV" || cls == "P0") {
    throw InternalError(std::move(info));
  }
  // Deadlocks and serialization failures: the transaction is gone, retrying it is safe.
  if (info.sqlstate == "40001" || info.sqlstate == "40P01") {
    throw TransactionRollback(std::move(info));
  }
  if (cls == "08" || cls == "28" || cls == "40" || cls == "53" || cls == "54" || cls == "55" ||
      cls == "57" || cls == "58") {
    throw OperationalError(std::move(info));
  }
  throw DatabaseError(std::move(info));
}

}  // namespace tern
