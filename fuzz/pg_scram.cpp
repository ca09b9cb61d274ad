// libFuzzer harness of the SCRAM-SHA-256(-PLUS) client (protocol/src/pg/auth.cpp) fed with
// fuzzed server messages: client_first(), client_final(server-first), then
// verify_server_final(server-final). Input: byte 0 picks the channel binding (bits 0-1: none,
// "y", tls-server-end-point) and whether the client names a user (bit 2); bytes 1-2 are the
// little-endian length of server-first, which follows; the rest is server-final.
// The client nonce and password are fixed (RFC 7677's example), so a seed can carry a valid
// exchange and the fuzzer can mutate it step by step.
//
// ProtocolError(kAuthentication) is how the client rejects the server; any other exception, a
// sanitizer report or a broken invariant (trap) is a finding.
// Protocol: https://www.postgresql.org/docs/15/sasl-authentication.html, RFC 5802, RFC 7677.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/pg/auth.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace {

using tern::protocol::ProtocolErrc;
using tern::protocol::ProtocolError;

constexpr std::string_view kNonce = "rOprNGfwEbeRWgbNEkqO";
// Above this the exchange is the same code, only slower (PBKDF2): skip to keep exec/s up.
constexpr std::uint64_t kMaxFuzzIterations = 4096;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// The value of the first "i=" attribute, or 0.
std::uint64_t iterations(std::string_view server_first) {
  std::size_t at = server_first.starts_with("i=") ? 0 : server_first.find(",i=");
  if (at == std::string_view::npos) return 0;
  at += server_first[at] == ',' ? 3 : 2;
  std::uint64_t n = 0;
  for (; at < server_first.size() && server_first[at] >= '0' && server_first[at] <= '9'; ++at) {
    n = n * 10 + static_cast<std::uint64_t>(server_first[at] - '0');
    if (n > tern::pg::ScramClient::kMaxIterations) return 0;  // rejected early: cheap
  }
  return n;
}

template <class F>
bool rejected(F&& f) {
  try {
    f();
    return false;
  } catch (const ProtocolError& e) {
    check(e.code() == ProtocolErrc::kAuthentication);
    return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint8_t flags = data[0];
  const std::size_t first_len = std::min<std::size_t>(data[1] | (data[2] << 8), size - 3);
  const std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  const std::string_view server_first = rest.substr(0, first_len);
  const std::string_view server_final = rest.substr(first_len);
  if (iterations(server_first) > kMaxFuzzIterations) return 0;

  tern::pg::ChannelBinding binding = tern::pg::ChannelBinding::kNone;
  std::vector<std::uint8_t> cb_data;
  switch (flags & 3) {
    case 1:
      binding = tern::pg::ChannelBinding::kSupportedNotOffered;
      break;
    case 2:
    case 3:
      binding = tern::pg::ChannelBinding::kTlsServerEndPoint;
      cb_data.assign(32, 0xAB);
      break;
  }
  tern::pg::ScramClient scram("pencil", binding, cb_data, std::string(kNonce),
                              (flags & 4) != 0 ? "user" : "");
  const std::string first = scram.client_first();
  check(first.ends_with(std::string(",r=") + std::string(kNonce)));

  std::string final_message;
  if (rejected([&] { final_message = scram.client_final(server_first); })) return 0;
  // c=<binding>,r=<server nonce that extends ours>,p=<proof>
  check(final_message.starts_with("c="));
  const std::size_t r = final_message.find(",r=");
  check(r != std::string::npos &&
        final_message.compare(r + 3, kNonce.size(), kNonce.data(), kNonce.size()) == 0);
  check(final_message.find(",p=", r) != std::string::npos);

  const bool verified = !rejected([&] { scram.verify_server_final(server_final); });
  if (std::getenv("TERN_FUZZ_DEBUG") != nullptr) std::fprintf(stderr, "verified: %d\n", verified);
  return 0;
}
