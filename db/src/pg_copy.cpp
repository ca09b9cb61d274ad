// aio_copy_in's binary COPY data for PostgreSQL: each value encoded as its column's type.
// Binary COPY does no conversion on the server (a field is read by the column type's receive
// function), so a value is converted here to exactly that type, or refused with a TypeError
// naming the column and the row before the server sees it.
// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4
#include "pg_copy.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/hstore.hpp"

namespace tern::detail {

// A domain is copied as its base type (its receive function); its CHECK constraints still run.
const std::string_view kPgCopyColumnsQuery =
    "SELECT a.attname, b.oid, b.typtype, b.typname FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
    "JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype "
    "ELSE t.oid END "
    "WHERE a.attrelid = CAST($1 AS regclass) AND a.attnum > 0 AND NOT a.attisdropped "
    "AND a.attgenerated = '' ORDER BY a.attnum";

namespace {

using pg::ByteWriter;
namespace oid = pg::oid;

// The binary COPY file header: signature, flags (no OIDs), header extension length 0.
constexpr std::string_view kSignature{"PGCOPY\n\377\r\n\0", 11};

template <class T>
const char* kind_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::int64_t>) return "integer";
  if constexpr (std::is_same_v<T, double>) return "floating point";
  if constexpr (std::is_same_v<T, std::string>) return "text";
  if constexpr (std::is_same_v<T, ByteString>) return "bytes";
  if constexpr (std::is_same_v<T, Decimal>) return "decimal";
  if constexpr (std::is_same_v<T, Date>) return "date";
  if constexpr (std::is_same_v<T, DateTime> || std::is_same_v<T, WideTimestamp>) {
    return "date-time";
  }
  if constexpr (std::is_same_v<T, TimeOfDay>) return "time of day";
  if constexpr (std::is_same_v<T, Instant> || std::is_same_v<T, WideTimestamptz>) {
    return "instant";
  }
  if constexpr (std::is_same_v<T, Uuid>) return "uuid";
  if constexpr (std::is_same_v<T, Json>) return "json";
  if constexpr (std::is_same_v<T, Jsonb>) return "jsonb";
  if constexpr (std::is_same_v<T, Interval>) return "interval";
  if constexpr (std::is_same_v<T, HStore>) return "hstore";
  if constexpr (std::is_same_v<T, EnumLabel>) return "enum label";
  if constexpr (std::is_same_v<T, RecordText>) return "composite";
  return "array";
}

bool is_text(const PgCopyColumn& c) noexcept {
  return c.type == oid::kText || c.type == oid::kVarchar || c.type == oid::kBpchar ||
         c.type == oid::kName || (c.kind == 'b' && c.type_name == "citext");
}

// A field: int32 length (-1 for NULL), then the body (what a Bind parameter is).
void raw_field(std::string_view bytes, ByteWriter& out) {
  out.i32(static_cast<std::int32_t>(bytes.size()));
  out.raw(bytes);
}

// Encodes `v` as column `c`'s type; false when that type cannot take it (`why` says why when
// it is the value, not its type).
template <class T>
bool encode_as(const T& v, const PgCopyColumn& c, ByteWriter& out, std::string& why) {
  const pg::Oid t = c.type;
  if constexpr (std::is_same_v<T, std::monostate>) {
    out.i32(-1);
    return true;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    switch (t) {
      case oid::kInt8:
        pg::encode_param(v, out);
        return true;
      case oid::kInt4:
        if (v < std::numeric_limits<std::int32_t>::min() ||
            v > std::numeric_limits<std::int32_t>::max()) {
          why = absl::StrCat(v, " is out of range for integer");
          return false;
        }
        pg::encode_param(static_cast<std::int32_t>(v), out);
        return true;
      case oid::kInt2:
        if (v < std::numeric_limits<std::int16_t>::min() ||
            v > std::numeric_limits<std::int16_t>::max()) {
          why = absl::StrCat(v, " is out of range for smallint");
          return false;
        }
        pg::encode_param(static_cast<std::int16_t>(v), out);
        return true;
      case oid::kFloat8:
        pg::encode_param(static_cast<double>(v), out);
        return true;
      case oid::kFloat4:
        pg::encode_param(static_cast<float>(v), out);
        return true;
      case oid::kNumeric:
        pg::encode_param(Decimal{absl::StrCat(v)}, out);
        return true;
      default:
        return false;
    }
  } else if constexpr (std::is_same_v<T, double>) {
    if (t == oid::kFloat8) {
      pg::encode_param(v, out);
      return true;
    }
    if (t == oid::kFloat4) {
      pg::encode_param(static_cast<float>(v), out);
      return true;
    }
    return false;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (is_text(c) || c.kind == 'e') {
      raw_field(v, out);  // text, varchar, bpchar, name, citext, an enum's label: the bytes
      return true;
    }
    if (t == oid::kJson) {
      pg::encode_param(Json{v}, out);
      return true;
    }
    if (t == oid::kJsonb) {
      pg::encode_param(Jsonb{v}, out);
      return true;
    }
    return false;
  } else if constexpr (std::is_same_v<T, EnumLabel>) {
    if (!is_text(c) && c.kind != 'e') return false;
    raw_field(v.label, out);
    return true;
  } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>) {
    if (t == oid::kJson) {
      pg::encode_param(Json{v.text}, out);
      return true;
    }
    if (t == oid::kJsonb) {
      pg::encode_param(Jsonb{v.text}, out);
      return true;
    }
    return false;
  } else if constexpr (std::is_same_v<T, RecordText>) {
    // Binary COPY takes record_send's layout, which names each member's type: record text
    // does not carry them.
    why = absl::StrCat("a composite (", std::string(v.type),
                       ") cannot be copied in binary; insert it with aio_execute");
    return false;
  } else if constexpr (std::is_same_v<T, HStore>) {
    if (c.kind != 'b' || c.type_name != "hstore") return false;
    const std::size_t at = out.size();
    out.i32(0);
    pg::hstore::encode_binary(v, out);
    out.patch_be32(at, static_cast<std::uint32_t>(out.size() - at - 4));
    return true;
  } else if constexpr (std::is_same_v<T, std::vector<std::optional<std::string>>>) {
    // text[] also fills varchar[] and bpchar[]: the same element bytes, the element type in
    // the array header (ndim, has-null, element OID) set to the column's.
    pg::Oid elem = 0;
    if (t == oid::kTextArray) elem = oid::kText;
    if (t == oid::kVarcharArray) elem = oid::kVarchar;
    if (t == oid::kBpcharArray) elem = oid::kBpchar;
    if (elem == 0) return false;
    const std::size_t at = out.size();
    pg::encode_param(v, out);
    if (out.size() >= at + 16) out.patch_be32(at + 12, elem);
    return true;
  } else {
    // The rest map one to one: bool, bytea, numeric, date, timestamp, time, timestamptz,
    // uuid, interval and the other arrays.
    if (t != pg::Type<T>::kOid) return false;
    pg::encode_param(v, out);
    return true;
  }
}

}  // namespace

bool PgCopyEncoder::next(std::string& out) {
  if (!started_) {
    started_ = true;
    ByteWriter w(out);
    w.raw(kSignature);
    w.i32(0);  // flags
    w.i32(0);  // header extension length
  }
  while (next_row_ < rows_.size() && out.size() < piece_) {
    encode_row(rows_[next_row_], out);
    ++next_row_;
  }
  if (next_row_ < rows_.size()) return true;
  ByteWriter(out).i16(-1);  // the trailer
  return false;
}

void PgCopyEncoder::encode_row(const Params& row, std::string& out) const {
  if (row.size() != columns_.size()) {
    throw TypeError(absl::StrCat("aio_copy_in into ", std::string(table_), ": row ", next_row_,
                                 " has ", row.size(), " values for ", columns_.size(), " columns"));
  }
  ByteWriter w(out);
  w.i16(static_cast<std::int16_t>(columns_.size()));
  for (std::size_t i = 0; i < row.size(); ++i) {
    const PgCopyColumn& c = columns_[i];
    std::string why;
    const char* kind = nullptr;
    const bool ok = std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (!std::is_same_v<V, std::monostate>) kind = kind_name<V>();
          return encode_as(v, c, w, why);
        },
        row[i].storage());
    if (!ok) {
      throw TypeError(absl::StrCat(
          "aio_copy_in: ", std::string(table_), ".", c.name, ", row ", next_row_, ": ",
          why.empty() ? absl::StrCat("a ", kind, " value does not fit type ", c.type_name) : why));
    }
  }
}

}  // namespace tern::detail
