// Unit tests of the MySQL/MariaDB authentication plugins. Expected values were computed
// independently with python3 (hashlib, and a pure-Python RFC 8032 Ed25519 using MariaDB's key
// derivation az = SHA512(password)); the ed25519 code is also cross-checked against OpenSSL's
// standard Ed25519 for 32-byte passwords, where both derivations agree.
#include "tern/protocol/mysql/auth.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::to_hex;

std::string scramble20() {
  std::string s;
  for (int i = 1; i <= 20; ++i)
    s.push_back(static_cast<char>(i));
  return s;
}

std::string scramble32() {
  std::string s;
  for (int i = 0x20; i < 0x40; ++i)
    s.push_back(static_cast<char>(i));
  return s;
}

TEST(MysqlAuth, NativePasswordMatchesPython) {
  const std::string s = scramble20();
  EXPECT_EQ(to_hex(native_password("secret", B(s))), "b32bb3a583e1340c0a1108d58b1be49781ad8c2f");
  EXPECT_EQ(native_password("", B(s)), "");
  // A 21-byte scramble (with the trailing NUL of AuthSwitchRequest) uses its first 20 bytes.
  const std::string with_nul = s + std::string(1, '\0');
  EXPECT_EQ(native_password("secret", B(with_nul)), native_password("secret", B(s)));
}

TEST(MysqlAuth, CachingSha2FastPathMatchesPython) {
  const std::string s = scramble20();
  EXPECT_EQ(to_hex(caching_sha2_password("secret", B(s))),
            "746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9");
  EXPECT_EQ(caching_sha2_password("", B(s)), "");
}

TEST(MysqlAuth, ShortScrambleIsRejected) {
  const std::string s(19, 'x');
  try {
    native_password("pw", B(s));
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kAuthentication);
  }
  EXPECT_THROW(caching_sha2_password("pw", B(s)), ProtocolError);
}

TEST(MysqlAuth, Cleartext) {
  EXPECT_EQ(cleartext_password("pw"), std::string("pw\0", 3));
  EXPECT_EQ(cleartext_password(""), std::string("\0", 1));
}

TEST(MysqlAuth, Ed25519MatchesPython) {
  const std::string m = scramble32();
  EXPECT_EQ(to_hex(ed25519_password("secret", B(m))),
            "86721b479a775d0f2570c4c2f41b8488d7727719881b5854ae4e979411a9c40c"
            "12a39ee0c41b0a374ef14408c88f72a210320f6f35344a838ec72ea6d708ae07");
  EXPECT_EQ(to_hex(ed25519_password("correct horse battery staple, and then some more!", B(m))),
            "4cd777b49cbdc096070c891f72e0e542b7cb6d61f9feac78682872456946d9b1"
            "7d2e77e6851a063a040dfdead283aefc9adbd0b4687df913fda4b386a041d50e");
}

// RFC 8032 section 7.1, TEST 1 signs the empty message; ours signs 32 bytes, so check the
// derivation against OpenSSL's standard Ed25519 with the 32-byte password as seed.
TEST(MysqlAuth, Ed25519With32BytePasswordIsStandardEd25519) {
  const std::string seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const std::string m = scramble32();
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                   reinterpret_cast<const unsigned char*>(seed.data()),
                                   seed.size()),
      &EVP_PKEY_free);
  ASSERT_TRUE(key);
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()), 1);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  ASSERT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(m.data()), m.size()),
            1);
  EXPECT_EQ(to_hex(ed25519_password(seed, B(m))), to_hex(sig));
}

TEST(MysqlAuth, Ed25519NeedsA32ByteScramble) {
  const std::string s = scramble20();
  EXPECT_THROW(ed25519_password("pw", B(s)), ProtocolError);
}

// The RSA path: decrypt with the private key and undo the scramble XOR.
TEST(MysqlAuth, RsaEncryptedPasswordRoundTrips) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}), &EVP_PKEY_free);
  ASSERT_TRUE(key);
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), key.get()), 1);
  char* pem_data = nullptr;
  const long pem_len = BIO_get_mem_data(bio.get(), &pem_data);
  const std::string pem(pem_data, static_cast<std::size_t>(pem_len));
  ASSERT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----"));

  const std::string s = scramble20();
  const std::string cipher = rsa_encrypted_password("hunter2 is my password!", B(s), pem);
  ASSERT_EQ(cipher.size(), 256u);

  const std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), &EVP_PKEY_CTX_free);
  ASSERT_EQ(EVP_PKEY_decrypt_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING), 1);
  std::string plain(256, '\0');
  std::size_t len = plain.size();
  ASSERT_EQ(EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                             reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size()),
            1);
  plain.resize(len);
  for (std::size_t i = 0; i < plain.size(); ++i)
    plain[i] = static_cast<char>(plain[i] ^ s[i % 20]);
  EXPECT_EQ(plain, std::string("hunter2 is my password!\0", 24));
}

TEST(MysqlAuth, RsaRejectsBadKey) {
  const std::string s = scramble20();
  try {
    rsa_encrypted_password("pw", B(s),
                           "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kAuthentication);
  }
}

}  // namespace
}  // namespace tern::mysql
