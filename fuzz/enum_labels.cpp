// libFuzzer harness of the enum and record decoders: PostgreSQL enum labels
// (pg::Type<EnumLabel>, either format) mapped to a C++ enum (enum_from_label), MySQL/MariaDB
// SET text (split_set_text, set_from_text), and PostgreSQL record values (pg::decode_record,
// the composite-type layer). Input: byte 0 bits 0-1 pick the decoder (0 enum label, 1 SET
// text, 2 record text, 3 record binary), bit 2 the enum label's format; the rest is the value.
//
// TypeError is the only way to reject a value; any other exception, a sanitizer report or a
// broken invariant (trap) is a finding. Invariants:
//   - a label that decodes is the label of the value it decodes to;
//   - split_set_text's pieces joined by commas give the text back;
//   - a SET that decodes is written back (set_text) as text that decodes to the same set;
//   - a text record's fields written back (record_text) decode to the same fields.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tern/db/enum.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/record.hpp"
#include "tern/protocol/pg/types.hpp"

namespace fuzz {
enum class Flag { read, write, admin, in_progress };
}  // namespace fuzz

template <>
struct tern::EnumTraits<fuzz::Flag> {
  static constexpr std::string_view name = "flag";
  static constexpr std::pair<fuzz::Flag, std::string_view> labels[] = {
      {fuzz::Flag::read, "read"},
      {fuzz::Flag::write, "write"},
      {fuzz::Flag::admin, "admin"},
      {fuzz::Flag::in_progress, "in progress"}};
};

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void enum_label(std::string_view data, tern::pg::Format format) {
  const tern::EnumLabel l = tern::pg::Type<tern::EnumLabel>::decode(
      tern::pg::oid::kFirstNormalObjectId, format, tern::protocol::as_bytes(data));
  check(l.label == data);
  const fuzz::Flag f = tern::enum_from_label<fuzz::Flag>(l.label);
  check(tern::enum_label(f) == l.label);
}

void set_text(std::string_view data) {
  std::string joined;
  const auto pieces = tern::detail::split_set_text(data);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) joined += ',';
    joined += pieces[i];
  }
  check(joined == data);
  const std::set<fuzz::Flag> s = tern::set_from_text<fuzz::Flag>(data);
  check(tern::set_from_text<fuzz::Flag>(tern::set_text(s)) == s);
}

void record(std::string_view data, tern::pg::Format format) {
  const auto fields = tern::pg::decode_record(format, tern::protocol::as_bytes(data));
  if (format == tern::pg::Format::kBinary) return;
  std::vector<std::optional<std::string>> values;
  for (const auto& f : fields)
    values.push_back(f.value);
  const std::string text = tern::pg::record_text(values);
  const auto again =
      tern::pg::decode_record(tern::pg::Format::kText, tern::protocol::as_bytes(text));
  check(again == fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] & 3) {
      case 0:
        enum_label(value, (data[0] & 4) != 0 ? tern::pg::Format::kBinary : tern::pg::Format::kText);
        break;
      case 1:
        set_text(value);
        break;
      default:
        record(value, (data[0] & 3) == 3 ? tern::pg::Format::kBinary : tern::pg::Format::kText);
    }
  } catch (const tern::TypeError&) {
    // A label or SET text the enum does not have, a malformed record: the expected rejection.
  }
  return 0;
}
