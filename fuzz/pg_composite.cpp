// libFuzzer harness of the composite-type decoders (tern/db/composite.hpp): a PostgreSQL record
// value, text (record_out) or binary (record_send), read as a C++ struct through
// TERN_COMPOSITE: a nested composite, an enum member, optional members, text, integer and
// float members. Input: byte 0 bit 0 picks the format (0 text, 1 binary); the rest is the
// value.
//
// TypeError is the only way to reject a value; any other exception, a sanitizer report or a
// broken invariant (trap) is a finding. Invariant: a value that decodes, written back as
// record text (what a parameter sends), decodes from that text to the same value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tern/db/composite.hpp"
#include "tern/db/enum.hpp"
#include "tern/protocol/exceptions.hpp"

namespace fuzz {
enum class Mood { happy, sad, in_between };
struct Inner {
  std::string street{};
  std::optional<std::string> city{};
  std::int32_t zip{};
  friend bool operator==(const Inner&, const Inner&) = default;
};
struct Outer {
  std::optional<std::int64_t> id{};
  Inner inner{};
  std::optional<Mood> mood{};
  std::optional<double> rating{};
  bool flag{};
  std::int16_t small{};
  friend bool operator==(const Outer&, const Outer&) = default;
};
}  // namespace fuzz

TERN_ENUM(fuzz::Mood, "mood", happy, sad, in_between)
TERN_COMPOSITE(fuzz::Inner, "inner", street, city, zip)
TERN_COMPOSITE(fuzz::Outer, "outer", id, inner, mood, rating, flag, small)

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto format = (data[0] & 1) != 0 ? tern::pg::Format::kBinary : tern::pg::Format::kText;
  fuzz::Outer decoded;
  try {
    decoded = tern::detail::decode_composite<fuzz::Outer>(format, tern::protocol::as_bytes(value));
  } catch (const tern::TypeError&) {
    return 0;  // a malformed record, a field the member's type cannot read: the rejection
  }
  if (decoded.rating && std::isnan(*decoded.rating)) return 0;  // NaN equals nothing
  const std::string text = tern::detail::composite_text(decoded);
  const fuzz::Outer again = tern::detail::decode_composite<fuzz::Outer>(
      tern::pg::Format::kText, tern::protocol::as_bytes(text));
  check(again == decoded);
  return 0;
}
