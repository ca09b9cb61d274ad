#include "tern/protocol/exceptions.hpp"

#include <string_view>
#include <utility>

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
  if (cls == "08" || cls == "28" || cls == "40" || cls == "53" || cls == "54" || cls == "55" ||
      cls == "57" || cls == "58") {
    throw OperationalError(std::move(info));
  }
  throw DatabaseError(std::move(info));
}

}  // namespace tern
