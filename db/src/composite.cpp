// The non-template parts of composite mapping (composite.hpp): splitting a record, its
// errors, a member's text form and a built-in type's SQL spelling.
#include "tern/db/composite.hpp"

#include <initializer_list>
#include <string>

#include "tern/protocol/pg/text.hpp"

namespace {

// `parts` joined: the names are string_views, which absl's StrCat here does not take.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts)
    out += p;
  return out;
}

}  // namespace

namespace tern::detail {

std::vector<pg::RecordField> split_composite(std::string_view composite, std::size_t members,
                                             pg::Format format, pg::Bytes data) {
  std::vector<pg::RecordField> fields;
  try {
    fields = pg::decode_record(format, data);
  } catch (const TypeError& e) {
    throw TypeError(cat({"composite ", composite, ": ", e.what()}));
  }
  if (fields.size() != members) {
    throw TypeError(cat({"composite ", composite, " has ", std::to_string(members),
                         " members, the record has ", std::to_string(fields.size()), " fields"}));
  }
  return fields;
}

void throw_composite_null(std::string_view composite, std::string_view member) {
  throw TypeError(
      cat({"composite ", composite, " member ", member, " is NULL (make it a std::optional)"}));
}

void throw_composite_type(std::string_view composite, std::string_view member, pg::Oid type) {
  throw TypeError(cat({"composite ", composite, " member ", member,
                       ": its C++ type cannot read a value of type OID ", std::to_string(type)}));
}

void throw_composite_member(std::string_view composite, std::string_view member,
                            std::string_view why) {
  throw TypeError(cat({"composite ", composite, " member ", member, ": ", why}));
}

std::string composite_value_text(pg::Oid type, pg::Format format, std::string_view encoded) {
  // The default settings print what the server's input functions read back exactly: ISO
  // dates, shortest exact floats, timestamptz with its offset.
  return pg::to_text(type, format, protocol::as_bytes(encoded));
}

std::string_view composite_sql_type(pg::Oid type) {
  switch (type) {
    case pg::oid::kBool:
      return "boolean";
    case pg::oid::kBytea:
      return "bytea";
    case pg::oid::kInt2:
      return "smallint";
    case pg::oid::kInt4:
      return "integer";
    case pg::oid::kInt8:
      return "bigint";
    case pg::oid::kText:
      return "text";
    case pg::oid::kJson:
      return "json";
    case pg::oid::kJsonb:
      return "jsonb";
    case pg::oid::kFloat4:
      return "real";
    case pg::oid::kFloat8:
      return "double precision";
    case pg::oid::kDate:
      return "date";
    case pg::oid::kTime:
      return "time";
    case pg::oid::kTimestamp:
      return "timestamp";
    case pg::oid::kTimestamptz:
      return "timestamptz";
    case pg::oid::kInterval:
      return "interval";
    case pg::oid::kNumeric:
      return "numeric";
    case pg::oid::kUuid:
      return "uuid";
    default:
      throw InterfaceError("no SQL type for a composite member of type OID " +
                           std::to_string(type));
  }
}

}  // namespace tern::detail
