#include "tern/protocol/protocol_error.hpp"

#include "absl/strings/str_cat.h"
#include "tern/protocol/bytes.hpp"

namespace tern::protocol {

namespace {

class ProtocolCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tern.protocol"; }
  std::string message(int code) const override {
    switch (static_cast<ProtocolErrc>(code)) {
      case ProtocolErrc::kTruncated:
        return "truncated message";
      case ProtocolErrc::kBadLength:
        return "invalid length";
      case ProtocolErrc::kUnexpectedMessage:
        return "unexpected message";
      case ProtocolErrc::kBadValue:
        return "invalid value";
      case ProtocolErrc::kUnsupported:
        return "unsupported protocol feature";
      case ProtocolErrc::kAuthentication:
        return "authentication failed";
    }
    return "unknown protocol error";
  }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
  static const ProtocolCategory category;
  return category;
}

void ByteReader::fail(const char* why) const {
  throw ProtocolError(ProtocolErrc::kTruncated, absl::StrCat(what_, ": ", why));
}

}  // namespace tern::protocol
