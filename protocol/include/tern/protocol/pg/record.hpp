// PostgreSQL record values (composite types and anonymous ROW(...) records) split into their
// fields, and written back as record text: the layer under composite-type mapping. Text
// follows record_out / record_in (src/backend/utils/adt/rowtypes.c), binary record_send.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// One field of a record value.
struct RecordField {
  /// The field's type OID (binary format; 0 in text, where record_out names no types).
  Oid type = oid::kUnknown;
  /// The field's value in the record's format (text, or its type's binary layout); nullopt
  /// for NULL.
  std::optional<std::string> value;
  /// Member-wise equality.
  friend bool operator==(const RecordField&, const RecordField&) = default;
};

/// The fields of a record value: text `(1,"a b",,"")` as record_out writes it (an empty
/// unquoted field is NULL, a quoted empty one the empty string; a doubled quote inside quotes
/// and a backslash anywhere escape the next character), or binary (int32 count, then per field
/// OID, int32 length or -1 for NULL, the bytes). Text `()` is one NULL field, as record_in reads
/// it. Throws TypeError on malformed input.
std::vector<RecordField> decode_record(Format format, Bytes data);

/// Record text of fields given in text form (nullopt: NULL), which record_in reads: each
/// field quoted when record_out would quote it (empty, or holding a quote, backslash,
/// parenthesis, comma or space), with quotes and backslashes doubled.
std::string record_text(std::span<const std::optional<std::string>> fields);

}  // namespace tern::pg
