// The error category of the MySQL codec's client-side errors (ClientErrc).
// Protocol: https://mariadb.com/kb/en/clientserver-protocol/ and
// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
#include "tern/protocol/mysql/error.hpp"

namespace tern::mysql {

namespace {

class ClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tern.mysql.client"; }
  std::string message(int code) const override {
    switch (static_cast<ClientErrc>(code)) {
      case ClientErrc::kParamCountMismatch:
        return "wrong number of statement parameters";
      case ClientErrc::kLocalInfileRefused:
        return "LOCAL INFILE request refused";
      case ClientErrc::kInsecureCleartext:
        return "refusing to send a cleartext password without TLS";
      case ClientErrc::kUnknownAuthPlugin:
        return "unsupported authentication plugin";
      case ClientErrc::kTlsUnavailable:
        return "the server does not support TLS";
      case ClientErrc::kServerTooOld:
        return "the server does not support protocol 4.1";
      case ClientErrc::kInvalidValue:
        return "value cannot be sent in its protocol field";
    }
    return "unknown client error";
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const ClientCategory category;
  return category;
}

}  // namespace tern::mysql
