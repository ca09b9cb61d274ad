// Authentication plugins on OpenSSL 3 EVP: mysql_native_password, caching_sha2_password (fast
// path and RSA full authentication), cleartext. client_ed25519 is in auth_ed25519.cpp.
// MariaDB: https://mariadb.com/kb/en/connection/#authentication-plugins (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html,
//        page_caching_sha2_authentication_exchanges.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>

#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

[[noreturn]] void fail(const std::string& why) {
  throw ProtocolError(ProtocolErrc::kAuthentication, why);
}

// A message digest of the concatenation of up to two inputs.
template <std::size_t N>
std::array<unsigned char, N> digest(const char* name, std::string_view a, std::string_view b = {}) {
  std::array<unsigned char, N> out{};
  const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, name, nullptr),
                                                           &EVP_MD_free);
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  unsigned int len = 0;
  if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) {
    fail(std::string("OpenSSL cannot compute ") + name);
  }
  return out;
}

template <std::size_t N>
std::string_view view(const std::array<unsigned char, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}

std::string_view scramble20(Bytes scramble, const char* plugin) {
  if (scramble.size() < kScrambleLength) {
    fail(std::string(plugin) + ": the scramble has " + std::to_string(scramble.size()) +
         " bytes, expected 20");
  }
  return protocol::as_chars(scramble.first(kScrambleLength));
}

template <std::size_t N>
void wipe(std::array<unsigned char, N>& a) {
  OPENSSL_cleanse(a.data(), a.size());
}

}  // namespace

std::string native_password(std::string_view password, Bytes scramble) {
  const std::string_view salt = scramble20(scramble, "mysql_native_password");
  if (password.empty()) return {};
  auto stage1 = digest<20>("SHA1", password);
  auto stage2 = digest<20>("SHA1", view(stage1));
  const auto mask = digest<20>("SHA1", salt, view(stage2));
  std::string out(20, '\0');
  for (std::size_t i = 0; i < 20; ++i)
    out[i] = static_cast<char>(stage1[i] ^ mask[i]);
  wipe(stage1);
  wipe(stage2);
  return out;
}

std::string caching_sha2_password(std::string_view password, Bytes scramble) {
  const std::string_view salt = scramble20(scramble, "caching_sha2_password");
  if (password.empty()) return {};
  auto stage1 = digest<32>("SHA256", password);
  auto stage2 = digest<32>("SHA256", view(stage1));
  const auto mask = digest<32>("SHA256", view(stage2), salt);
  std::string out(32, '\0');
  for (std::size_t i = 0; i < 32; ++i)
    out[i] = static_cast<char>(stage1[i] ^ mask[i]);
  wipe(stage1);
  wipe(stage2);
  return out;
}

std::string cleartext_password(std::string_view password) {
  std::string out(password);
  out.push_back('\0');
  return out;
}

std::string rsa_encrypted_password(std::string_view password, Bytes scramble,
                                   std::string_view pem) {
  if (scramble.empty()) fail("RSA password encryption: empty scramble");
  EVP_PKEY* raw_key = nullptr;
  const std::unique_ptr<OSSL_DECODER_CTX, decltype(&OSSL_DECODER_CTX_free)> dctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw_key, "PEM", nullptr, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr,
                                    nullptr),
      &OSSL_DECODER_CTX_free);
  const auto* pem_data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t pem_len = pem.size();
  if (!dctx || OSSL_DECODER_from_data(dctx.get(), &pem_data, &pem_len) != 1 || raw_key == nullptr) {
    fail("RSA password encryption: the server's public key is not a PEM RSA key");
  }
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw_key, &EVP_PKEY_free);

  std::string plain(password);
  plain.push_back('\0');
  for (std::size_t i = 0; i < plain.size(); ++i) {
    plain[i] = static_cast<char>(plain[i] ^ std::to_integer<char>(scramble[i % scramble.size()]));
  }
  const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), &EVP_PKEY_CTX_free);
  std::size_t out_len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  bool ok = ctx && EVP_PKEY_encrypt_init(ctx.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
            EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, in, plain.size()) == 1;
  std::string out(out_len, '\0');
  ok = ok && EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len, in,
                              plain.size()) == 1;
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) fail("RSA password encryption failed (password too long for the key?)");
  out.resize(out_len);
  return out;
}

}  // namespace tern::mysql
