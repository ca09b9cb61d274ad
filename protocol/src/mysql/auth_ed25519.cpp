// MariaDB client_ed25519: an Ed25519 signature of the server's 32-byte scramble whose private
// scalar derives from SHA-512 of the whole password (not of a 32-byte seed), built from
// libsodium's low-level primitives (RFC 8032 section 5.1.6 otherwise).
// MariaDB: https://mariadb.com/kb/en/authentication-plugin-ed25519/ and
//          https://mariadb.com/kb/en/connection/#client_ed25519-plugin (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: not supported by MySQL servers (see
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html for the others).
#include <sodium.h>

#include <array>
#include <cstring>
#include <mutex>
#include <span>
#include <string>

#include "tern/protocol/mysql/auth.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

using Hash = std::array<unsigned char, crypto_hash_sha512_BYTES>;
using Scalar = std::array<unsigned char, crypto_core_ed25519_SCALARBYTES>;
using Point = std::array<unsigned char, crypto_core_ed25519_BYTES>;

// Wipes the secrets of a signature when it goes out of scope.
struct Secrets {
  Hash az{};
  Hash nonce{};
  Scalar a{};
  Scalar r{};
  ~Secrets() {
    sodium_memzero(az.data(), az.size());
    sodium_memzero(nonce.data(), nonce.size());
    sodium_memzero(a.data(), a.size());
    sodium_memzero(r.data(), r.size());
  }
};

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      throw ProtocolError(ProtocolErrc::kAuthentication, "client_ed25519: libsodium init failed");
    }
  });
}

// SHA-512 of the concatenation of up to three inputs.
Hash sha512(std::span<const unsigned char> a, std::span<const unsigned char> b = {},
            std::span<const unsigned char> c = {}) {
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, a.data(), a.size());
  crypto_hash_sha512_update(&st, b.data(), b.size());
  crypto_hash_sha512_update(&st, c.data(), c.size());
  Hash out;
  crypto_hash_sha512_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

[[noreturn]] void fail(const char* why) {
  throw ProtocolError(ProtocolErrc::kAuthentication, std::string("client_ed25519: ") + why);
}

}  // namespace

std::string ed25519_password(std::string_view password, Bytes scramble) {
  if (scramble.size() != kEd25519ScrambleLength) fail("the scramble is not 32 bytes");
  ensure_sodium();
  const std::span<const unsigned char> pw(reinterpret_cast<const unsigned char*>(password.data()),
                                          password.size());
  const std::span<const unsigned char> msg(reinterpret_cast<const unsigned char*>(scramble.data()),
                                           scramble.size());
  Secrets s;
  // az = SHA512(password); a = clamp(az[0..31]).
  s.az = sha512(pw);
  s.az[0] &= 248;
  s.az[31] &= 63;
  s.az[31] |= 64;
  Point public_key;
  if (crypto_scalarmult_ed25519_base_noclamp(public_key.data(), s.az.data()) != 0) {
    fail("cannot derive the public key");
  }
  // a mod L (the clamped scalar is below 2^255; reduce it as a 64-byte number).
  {
    Hash wide{};
    std::memcpy(wide.data(), s.az.data(), 32);
    crypto_core_ed25519_scalar_reduce(s.a.data(), wide.data());
    sodium_memzero(wide.data(), wide.size());
  }
  // r = SHA512(az[32..63] || M) mod L; R = r*B.
  s.nonce = sha512(std::span<const unsigned char>(s.az.data() + 32, 32), msg);
  crypto_core_ed25519_scalar_reduce(s.r.data(), s.nonce.data());
  Point big_r;
  if (crypto_scalarmult_ed25519_base_noclamp(big_r.data(), s.r.data()) != 0) {
    fail("degenerate nonce");
  }
  // h = SHA512(R || A || M) mod L; S = (r + h*a) mod L.
  const Hash h_wide = sha512(big_r, public_key, msg);
  Scalar h;
  crypto_core_ed25519_scalar_reduce(h.data(), h_wide.data());
  Scalar ha;
  crypto_core_ed25519_scalar_mul(ha.data(), h.data(), s.a.data());
  Scalar big_s;
  crypto_core_ed25519_scalar_add(big_s.data(), s.r.data(), ha.data());
  sodium_memzero(ha.data(), ha.size());

  std::string signature(64, '\0');
  std::memcpy(signature.data(), big_r.data(), 32);
  std::memcpy(signature.data() + 32, big_s.data(), 32);
  return signature;
}

}  // namespace tern::mysql
