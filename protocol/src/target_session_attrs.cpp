#include "tern/protocol/target_session_attrs.hpp"

#include <utility>

namespace tern::protocol {

namespace {

constexpr std::pair<TargetSessionAttrs, const char*> kNames[] = {
    {TargetSessionAttrs::kAny, "any"},
    {TargetSessionAttrs::kReadWrite, "read-write"},
    {TargetSessionAttrs::kReadOnly, "read-only"},
    {TargetSessionAttrs::kPrimary, "primary"},
    {TargetSessionAttrs::kStandby, "standby"},
    {TargetSessionAttrs::kPreferStandby, "prefer-standby"},
};

}  // namespace

const char* target_session_attrs_name(TargetSessionAttrs attrs) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == attrs) return name;
  }
  return "?";
}

std::optional<TargetSessionAttrs> target_session_attrs_from_name(std::string_view text) noexcept {
  for (const auto& [value, name] : kNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

}  // namespace tern::protocol
