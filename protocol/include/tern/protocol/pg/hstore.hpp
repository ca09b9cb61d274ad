// hstore (the contrib extension): a set of text keys, each with a text value or NULL.
// Sans-I/O codec for its binary layout (hstore_send/hstore_recv in contrib/hstore/hstore_io.c:
// int32 pair count, then per pair int32 key length + key bytes, int32 value length, -1 for
// NULL, + value bytes) and its text layout (hstore_out: `"k"=>"v", "k2"=>NULL`; hstore_in's
// looser input, with unquoted words, is read too).
//
// hstore is an extension type: its OID differs from one database to the next, so it has no
// Type<Hstore>::kOid. Send it with Params::add(value, oid) once the OID is known
// (`SELECT to_regtype('hstore')::oid`).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// hstore: key → value (std::nullopt for NULL). Keys are unique; std::map keeps them sorted.
using Hstore = std::map<std::string, std::optional<std::string>>;

namespace hstore {
/// Appends the binary body (hstore_send layout; no length prefix).
void encode_binary(const Hstore& value, ByteWriter& out);
/// Decodes a binary body; throws TypeError on truncated or inconsistent data. A repeated key
/// keeps its first value, as hstore_in does.
Hstore decode_binary(Bytes data);
/// Parses the text form (`"a"=>"1", b=>NULL`, as hstore_in accepts it); throws TypeError.
Hstore parse_text(std::string_view text);
/// The text form hstore_out writes: `"a"=>"1", "b"=>NULL` (keys and values quoted, `"` and
/// `\` escaped with a backslash), pairs in hstore's order: shorter keys first, then by bytes.
std::string to_text(const Hstore& value);
}  // namespace hstore

/// hstore. No kOid (per-database OID): it is not a PgValue, but Params::add(value, oid) sends
/// it and Row::get<Hstore> reads it.
template <>
struct Type<Hstore> {
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// The hstore OID is not known here, so this accepts every non-built-in type (extension
  /// types have OIDs from 16384 up) and the text types (an `hstore::text` column). Decoding
  /// garbage still throws TypeError.
  static bool accepts(Oid type) noexcept;
  /// hstore_send's layout.
  static void encode(const Hstore& value, ByteWriter& out);
  /// Binary (hstore_recv layout) or text (hstore_out layout).
  static Hstore decode(Oid type, Format format, Bytes data);
};

}  // namespace tern::pg
