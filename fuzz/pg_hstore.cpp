// libFuzzer harness of the hstore codec (protocol/src/pg/types_hstore.cpp). Input: byte 0 picks
// the decoder (bit 0: 0 text, hstore_in's layout; 1 binary, hstore_recv's; bit 1: through
// Type<Hstore>::decode with an extension OID instead of the hstore:: functions); the rest is
// the value.
//
// TypeError is the codec's only way to reject a value; any other exception, a sanitizer report
// or a broken invariant (trap) is a finding. Invariants checked on values that decode:
//   - encode_binary then decode_binary gives the same map;
//   - to_text then parse_text gives the same map (hstore_out's text is hstore_in's input);
//   - the codec table (Type<Hstore>::decode) agrees with the hstore:: functions.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tern/protocol/pg/hstore.hpp"

namespace {

namespace pg = tern::pg;
using pg::Bytes;
using pg::Format;
using pg::Hstore;

// Any OID from FirstNormalObjectId up: Type<Hstore> treats it as the extension's.
constexpr pg::Oid kHstoreOid = 16392;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::optional<Hstore> try_decode(bool binary, bool via_type, Bytes data) {
  try {
    if (via_type) {
      return pg::Type<Hstore>::decode(kHstoreOid, binary ? Format::kBinary : Format::kText, data);
    }
    return binary ? pg::hstore::decode_binary(data)
                  : pg::hstore::parse_text(tern::protocol::as_chars(data));
  } catch (const tern::TypeError&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool binary = (data[0] & 1) != 0;
  const bool via_type = (data[0] & 2) != 0;
  const Bytes value(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  const std::optional<Hstore> v = try_decode(binary, via_type, value);
  if (!v) return 0;
  // Both entry points decode the same bytes alike.
  check(try_decode(binary, !via_type, value) == v);

  // Binary round trip. Encoding only refuses lengths over 2^31, which no fuzz input reaches.
  std::string wire;
  pg::ByteWriter w(wire);
  pg::hstore::encode_binary(*v, w);
  check(try_decode(true, false, tern::protocol::as_bytes(wire)) == v);

  // Text round trip: what to_text writes parses back to the same pairs.
  const std::string text = pg::hstore::to_text(*v);
  check(try_decode(false, false, tern::protocol::as_bytes(text)) == v);
  return 0;
}
