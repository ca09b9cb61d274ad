#include "tern/protocol/pg/auth.hpp"

#include <idn-free.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stringprep.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tern/protocol/protocol_error.hpp"

namespace tern::pg {

namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

constexpr std::size_t kKeySize = 32;  // SHA-256 output
constexpr std::size_t kNonceBytes = 18;
using Key = std::array<unsigned char, kKeySize>;

// Debian's abseil has its own string_view type.
absl::string_view absl_sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

[[noreturn]] void fail(std::string_view why) {
  throw ProtocolError(ProtocolErrc::kAuthentication, absl::StrCat("SCRAM: ", absl_sv(why)));
}

// Overwrites `n` bytes at `p` in a way the compiler may not elide.
void wipe(void* p, std::size_t n) noexcept {
  if (n != 0) OPENSSL_cleanse(p, n);
}
void wipe(std::string& s) noexcept {
  wipe(s.data(), s.size());
  s.clear();
}

// Wipes a fixed-size key when it goes out of scope.
struct KeyWiper {
  Key& key;
  ~KeyWiper() { wipe(key.data(), key.size()); }
};

std::string base64(std::string_view bytes) {
  return absl::Base64Escape(absl_sv(bytes));
}
std::string base64(std::span<const unsigned char> bytes) {
  return base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Strict standard base64 (RFC 4648 section 4) as RFC 5802 asks: abseil's decoder, which also
// takes text without padding, skips whitespace and ignores stray low bits, and the canonical
// form checked by encoding the result again. False on malformed input.
bool base64_decode(std::string_view in, std::vector<std::uint8_t>& out) {
  std::string bytes;
  if (!absl::Base64Unescape(absl_sv(in), &bytes) || absl::Base64Escape(bytes) != absl_sv(in)) {
    return false;
  }
  out.assign(bytes.begin(), bytes.end());
  return true;
}

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

// MD5 of `data` as 32 lowercase hex digits.
std::string md5_hex(std::string_view data) {
  std::array<unsigned char, 16> digest{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_md5(), nullptr) != 1 ||
      len != digest.size()) {
    throw ProtocolError(ProtocolErrc::kAuthentication, "MD5 is not available in OpenSSL");
  }
  return hex(digest);
}

void hmac_sha256(std::span<const unsigned char> key, std::string_view data, Key& out) {
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    fail("HMAC-SHA-256 failed");
  }
}

void sha256(std::span<const unsigned char> data, Key& out) {
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    fail("SHA-256 failed");
  }
}

// A SCRAM nonce is printable ASCII other than ','.
bool valid_nonce(std::string_view nonce) {
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return !nonce.empty();
}

// RFC 5802 saslname: ',' and '=' are escaped as "=2C" and "=3D".
std::string saslname(std::string_view user) {
  std::string out;
  out.reserve(user.size());
  for (const char c : user) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Parses the decimal iteration count; 0 if malformed, out of range or above `max`.
std::uint32_t parse_iterations(std::string_view s, std::uint32_t max) {
  if (s.empty()) return 0;
  std::uint64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return 0;
  }
  return static_cast<std::uint32_t>(value);
}

// Splits "a=v1,b=v2" on ','. An attribute is one ASCII letter followed by '='.
struct Attribute {
  char name;
  std::string_view value;
};

std::vector<Attribute> parse_attributes(std::string_view message, std::string_view which) {
  std::vector<Attribute> attrs;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = message.find(',', pos);
    const std::string_view part =
        message.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const char name = part.empty() ? '\0' : part[0];
    if (part.size() < 2 || part[1] != '=' ||
        !((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) {
      fail(absl::StrCat("malformed attribute in ", absl_sv(which), " message"));
    }
    attrs.push_back({name, part.substr(2)});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return attrs;
}

// The GS2 header: channel-binding flag, then an empty authzid.
std::string_view gs2_header(ChannelBinding binding) {
  switch (binding) {
    case ChannelBinding::kNone:
      return "n,,";
    case ChannelBinding::kSupportedNotOffered:
      return "y,,";
    case ChannelBinding::kTlsServerEndPoint:
      return "p=tls-server-end-point,,";
  }
  return "n,,";
}

}  // namespace

std::string sasl_prep(std::string_view password) {
  if (std::none_of(password.begin(), password.end(), [](char c) { return (c & 0x80) != 0; })) {
    return std::string(password);  // SASLprep leaves ASCII alone (libpq skips it too)
  }
  std::string in(password);  // NUL-terminated for libidn
  char* out = nullptr;
  // A stored string (no unassigned code points), as the server prepares the password it keeps.
  const int rc = stringprep_profile(in.c_str(), &out, "SASLprep", STRINGPREP_NO_UNASSIGNED);
  if (rc != STRINGPREP_OK || out == nullptr || *out == '\0') {
    if (out != nullptr) idn_free(out);
    return in;  // as libpq: the password as it is
  }
  wipe(in);
  std::string prepared(out);
  wipe(out, std::strlen(out));
  idn_free(out);
  return prepared;
}

std::string md5_password(std::string_view user, std::string_view password,
                         std::span<const std::uint8_t, 4> salt) {
  std::string inner = absl::StrCat(absl_sv(password), absl_sv(user));
  std::string inner_hex = md5_hex(inner);
  wipe(inner);
  inner_hex.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  std::string out = absl::StrCat("md5", md5_hex(inner_hex));
  wipe(inner_hex);
  return out;
}

ScramClient::ScramClient(std::string password, ChannelBinding binding,
                         std::vector<std::uint8_t> cb_data, std::string client_nonce,
                         std::string user)
    : password_(std::move(password)),
      binding_(binding),
      cb_data_(std::move(cb_data)),
      client_nonce_(std::move(client_nonce)),
      user_(std::move(user)) {
  if (binding_ == ChannelBinding::kTlsServerEndPoint && cb_data_.empty()) {
    throw InterfaceError("SCRAM: tls-server-end-point binding needs the certificate hash");
  }
  if (binding_ != ChannelBinding::kTlsServerEndPoint) cb_data_.clear();
  if (client_nonce_.empty()) {
    std::array<unsigned char, kNonceBytes> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
      throw ProtocolError(ProtocolErrc::kAuthentication, "SCRAM: RAND_bytes failed");
    }
    client_nonce_ = base64(raw);
  } else if (!valid_nonce(client_nonce_)) {
    throw InterfaceError("SCRAM: client nonce must be printable ASCII without ','");
  }
}

ScramClient::~ScramClient() {
  wipe(password_);
  wipe(server_signature_.data(), server_signature_.size());
}

const char* ScramClient::mechanism() const noexcept {
  return binding_ == ChannelBinding::kTlsServerEndPoint ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256";
}

std::string ScramClient::client_first() {
  if (state_ != State::kInitial) throw InterfaceError("SCRAM: client_first called twice");
  client_first_bare_ = absl::StrCat("n=", saslname(user_), ",r=", client_nonce_);
  state_ = State::kFirstSent;
  return absl::StrCat(absl_sv(gs2_header(binding_)), client_first_bare_);
}

std::string ScramClient::client_final(std::string_view server_first) {
  if (state_ != State::kFirstSent) {
    throw InterfaceError("SCRAM: client_final must follow client_first, once");
  }
  // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," ext]
  const std::vector<Attribute> attrs = parse_attributes(server_first, "server-first");
  if (attrs[0].name == 'm') fail("server requires an unsupported mandatory extension (m=)");
  if (attrs.size() < 3 || attrs[0].name != 'r' || attrs[1].name != 's' || attrs[2].name != 'i') {
    fail("server-first message is not r=...,s=...,i=...");
  }
  const std::string_view server_nonce = attrs[0].value;
  if (!valid_nonce(server_nonce)) fail("server nonce has invalid characters");
  if (server_nonce.size() <= client_nonce_.size() ||
      server_nonce.substr(0, client_nonce_.size()) != client_nonce_) {
    fail("server nonce does not extend the client nonce");
  }
  std::vector<std::uint8_t> salt;
  if (!base64_decode(attrs[1].value, salt)) fail("salt is not valid base64");
  if (salt.empty()) fail("salt is empty");
  const std::uint32_t iterations = parse_iterations(attrs[2].value, kMaxIterations);
  if (iterations == 0) {
    fail(absl::StrCat("iteration count must be an integer from 1 to ", kMaxIterations));
  }

  // c= is base64(gs2-header [cb-data]).
  std::string binding_input(gs2_header(binding_));
  binding_input.append(reinterpret_cast<const char*>(cb_data_.data()), cb_data_.size());
  const std::string without_proof =
      absl::StrCat("c=", base64(binding_input), ",r=", absl_sv(server_nonce));
  const std::string auth_message =
      absl::StrCat(client_first_bare_, ",", absl_sv(server_first), ",", without_proof);

  Key salted{}, client_key{}, stored_key{}, client_signature{}, proof{}, server_key{},
      server_signature{};
  const KeyWiper wipers[] = {{salted}, {client_key}, {stored_key},      {client_signature},
                             {proof},  {server_key}, {server_signature}};
  static_cast<void>(wipers);

  std::string prepared = sasl_prep(password_);
  wipe(password_);  // no longer needed
  const int derived =
      PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()), salt.data(),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(salted.size()), salted.data());
  wipe(prepared);
  if (derived != 1) fail("PBKDF2-HMAC-SHA-256 failed");

  hmac_sha256(salted, "Client Key", client_key);
  sha256(client_key, stored_key);
  hmac_sha256(stored_key, auth_message, client_signature);
  for (std::size_t i = 0; i < proof.size(); ++i) {
    proof[i] = static_cast<unsigned char>(client_key[i] ^ client_signature[i]);
  }
  hmac_sha256(salted, "Server Key", server_key);
  hmac_sha256(server_key, auth_message, server_signature);
  server_signature_.assign(server_signature.begin(), server_signature.end());

  state_ = State::kFinalSent;
  return absl::StrCat(without_proof, ",p=", base64(proof));
}

void ScramClient::verify_server_final(std::string_view server_final) const {
  if (state_ != State::kFinalSent) fail("server-final message before client-final");
  // server-final-message = (server-error / verifier) ["," extensions]
  const std::vector<Attribute> attrs = parse_attributes(server_final, "server-final");
  if (attrs[0].name == 'e') {
    fail(absl::StrCat("server reported error \"", absl_sv(attrs[0].value), "\""));
  }
  if (attrs[0].name != 'v') fail("server-final message has no verifier (v=)");
  std::vector<std::uint8_t> signature;
  if (!base64_decode(attrs[0].value, signature)) fail("server signature is not valid base64");
  if (signature.size() != server_signature_.size() ||
      CRYPTO_memcmp(signature.data(), server_signature_.data(), signature.size()) != 0) {
    fail("server signature does not match: the server does not know the password");
  }
}

}  // namespace tern::pg
