#include "tern/protocol/pg/auth.hpp"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "tern/protocol/protocol_error.hpp"

namespace tern::pg {
namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

// Expected values below were computed independently with Python's hashlib/hmac.

// RFC 7677 section 3.
constexpr const char* kRfcNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramClient rfc_client() {
  return ScramClient("pencil", ChannelBinding::kNone, {}, kRfcNonce, "user");
}

// Runs `f` and checks it throws ProtocolError(kAuthentication) whose message contains `needle`.
template <class F>
void expect_auth_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning \"" << needle << "\"";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kAuthentication);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// A server-first message for kRfcNonce with the given salt and iteration attributes.
std::string server_first(const std::string& salt, const std::string& iterations) {
  return std::string("r=") + kRfcNonce + "XYZ,s=" + salt + ",i=" + iterations;
}

TEST(Md5Password, MatchesReference) {
  const std::array<std::uint8_t, 4> salt{0x9a, 0x00, 0x7f, 0xff};
  EXPECT_EQ(md5_password("postgres", "s3cr3t pass", salt), "md5599071b7b1a03f54a45023d8e9e05c54");
  const std::array<std::uint8_t, 4> salt2{1, 2, 3, 4};
  EXPECT_EQ(md5_password("user", "pencil", salt2), "md54376eb6913b38f9aaff38dc7cf19ca76");
}

TEST(ScramClient, Rfc7677Vector) {
  ScramClient scram = rfc_client();
  EXPECT_STREQ(scram.mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(scram.client_final(kRfcServerFirst), kRfcClientFinal);
  EXPECT_NO_THROW(scram.verify_server_final(kRfcServerFinal));
}

TEST(ScramClient, DefaultUserIsEmptyAndNonceIsRandom) {
  ScramClient a("pw", ChannelBinding::kNone);
  ScramClient b("pw", ChannelBinding::kNone);
  const std::string first_a = a.client_first();
  const std::string first_b = b.client_first();
  ASSERT_EQ(first_a.rfind("n,,n=,r=", 0), 0u) << first_a;
  // 18 random bytes are 24 base64 characters.
  EXPECT_EQ(first_a.size(), std::string("n,,n=,r=").size() + 24);
  EXPECT_NE(first_a, first_b);
}

TEST(ScramClient, UserNameIsEscaped) {
  ScramClient scram("pw", ChannelBinding::kNone, {}, "abc", "a,b=c");
  EXPECT_EQ(scram.client_first(), "n,,n=a=2Cb=3Dc,r=abc");
}

TEST(ScramClient, SupportedNotOfferedBinding) {
  ScramClient scram("hunter2", ChannelBinding::kSupportedNotOffered, {}, "clientNonceY");
  EXPECT_STREQ(scram.mechanism(), "SCRAM-SHA-256");
  EXPECT_EQ(scram.client_first(), "y,,n=,r=clientNonceY");
  EXPECT_EQ(scram.client_final("r=clientNonceYserverPartY,s=c2FsdHNhbHQ=,i=4096"),
            "c=eSws,r=clientNonceYserverPartY,p=QV6UqHwuTfwAXZrDZQYSZWqFJXu/0PzxIn6fx6gz4RI=");
  EXPECT_NO_THROW(scram.verify_server_final("v=16NOB1bqbiy2kPYWyxVubMBzbDTq4Tppi72DD8i8RlM="));
}

TEST(ScramClient, TlsServerEndPointBinding) {
  std::vector<std::uint8_t> cb;
  for (int b = 0xf0; b <= 0xff; ++b)
    cb.push_back(static_cast<std::uint8_t>(b));
  cb.insert(cb.end(), {0x00, 0x01, 0xab});
  ScramClient scram("hunter2", ChannelBinding::kTlsServerEndPoint, cb, "clientNonceP");
  EXPECT_STREQ(scram.mechanism(), "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(scram.client_first(), "p=tls-server-end-point,,n=,r=clientNonceP");
  EXPECT_EQ(scram.client_final("r=clientNoncePserverPartP,s=AAECA/8=,i=4096"),
            "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws8PHy8/T19vf4+fr7/P3+/wABqw==,"
            "r=clientNoncePserverPartP,p=xhNMhqByWVOZfipRnGGXhPgU0QVVv6XYq5k+SAcBigw=");
  EXPECT_NO_THROW(scram.verify_server_final("v=QfJFMVEhQ2R8BYTm3h716GakMZBzPie7uq3cnaqy0Fk="));
}

TEST(ScramClient, TlsServerEndPointNeedsData) {
  EXPECT_THROW(ScramClient("pw", ChannelBinding::kTlsServerEndPoint), InterfaceError);
}

TEST(ScramClient, NonAsciiPasswordPassesThroughAsUtf8) {
  // "pässwörd" in NFC, which SASLprep leaves unchanged.
  ScramClient scram("p\xc3\xa4sswörd", ChannelBinding::kNone, {}, "clientNonceU");
  scram.client_first();
  EXPECT_EQ(scram.client_final("r=clientNonceUserverPartU,s=c2FsdA==,i=4096"),
            "c=biws,r=clientNonceUserverPartU,p=+OOLcZp7BMzIN3d0zZdwmX8XC7OMK17pmz7dV4DQoeE=");
  EXPECT_NO_THROW(scram.verify_server_final("v=LYeG4e47SGQ/AXACfEdALpqEsxiJUVn3T1Oss+jYyqc="));
}

// RFC 4013 section 3's examples, and what libpq does where SASLprep fails.
TEST(SaslPrep, Rfc4013Examples) {
  EXPECT_EQ(sasl_prep("I\xc2\xadX"), "IX");    // SOFT HYPHEN mapped to nothing
  EXPECT_EQ(sasl_prep("user"), "user");        // no transformation
  EXPECT_EQ(sasl_prep("USER"), "USER");        // case preserved
  EXPECT_EQ(sasl_prep("\xc2\xaa"), "a");       // U+00AA: NFKC
  EXPECT_EQ(sasl_prep("\xe2\x85\xa8"), "IX");  // U+2168 ROMAN NUMERAL NINE: NFKC
  // Prohibited (U+0007) and bad bidirectional text (U+0627 U+0031) are errors in the RFC;
  // libpq then uses the password as it is, and so does tern.
  EXPECT_EQ(sasl_prep("\x07"), "\x07");
  EXPECT_EQ(sasl_prep("\xd8\xa7\x31"), "\xd8\xa7\x31");
}

TEST(SaslPrep, SpacesInvalidUtf8AndUnassigned) {
  EXPECT_EQ(sasl_prep("a\xc2\xa0"
                      "b"),
            "a b");  // NO-BREAK SPACE: a non-ASCII space
  // ZERO WIDTH JOINER: mapped to nothing (ZERO WIDTH SPACE is a non-ASCII space first).
  const std::string joiner = "a\xe2\x80\x8d";
  EXPECT_EQ(sasl_prep(joiner + "b"), "ab");
  EXPECT_EQ(sasl_prep("a\xe2\x80\x8b" + std::string("b")), "a b");
  EXPECT_EQ(sasl_prep("p\xc3\xa4ss"), "p\xc3\xa4ss");   // already NFKC: unchanged
  EXPECT_EQ(sasl_prep("pa\xcc\x88ss"), "p\xc3\xa4ss");  // a + combining diaeresis: composed
  EXPECT_EQ(sasl_prep("\xff\xfe"), "\xff\xfe");         // not UTF-8: as it is
  EXPECT_EQ(sasl_prep("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");  // unassigned in Unicode 3.2
}

// A password SASLprep rewrites hashes as its prepared form (it used to be hashed as it was,
// and the server, which prepares it, refused it).
TEST(ScramClient, PasswordIsPreparedBeforeHashing) {
  const auto final_message = [](std::string password) {
    ScramClient scram(std::move(password), ChannelBinding::kNone, {}, "clientNonceS");
    scram.client_first();
    return scram.client_final("r=clientNonceSserverPartS,s=c2FsdA==,i=4096");
  };
  EXPECT_EQ(final_message("I\xc2\xadX\xe2\x85\xa8"), final_message("IXIX"));
  EXPECT_NE(final_message("I\xc2\xad"
                          "X"),
            final_message("I\xc2\xad"
                          "Y"));
}

TEST(ScramClient, TamperedServerSignatureRejected) {
  ScramClient scram = rfc_client();
  scram.client_first();
  scram.client_final(kRfcServerFirst);
  // Last signature byte changed.
  expect_auth_error(
      [&] { scram.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G0="); },
      "signature does not match");
  // Too short.
  expect_auth_error([&] { scram.verify_server_final("v=6rriTRBi23WpRR/w"); },
                    "signature does not match");
  expect_auth_error([&] { scram.verify_server_final("v=not*base64"); }, "base64");
  expect_auth_error([&] { scram.verify_server_final("x=foo"); }, "verifier");
  expect_auth_error([&] { scram.verify_server_final(""); }, "malformed");
  // The genuine one still verifies.
  EXPECT_NO_THROW(scram.verify_server_final(kRfcServerFinal));
}

TEST(ScramClient, ServerErrorReported) {
  ScramClient scram = rfc_client();
  scram.client_first();
  scram.client_final(kRfcServerFirst);
  expect_auth_error([&] { scram.verify_server_final("e=invalid-proof"); }, "invalid-proof");
}

TEST(ScramClient, ServerFinalBeforeClientFinalRejected) {
  ScramClient scram = rfc_client();
  scram.client_first();
  expect_auth_error([&] { scram.verify_server_final(kRfcServerFinal); }, "before client-final");
}

TEST(ScramClient, ServerNonceMustExtendClientNonce) {
  const char* bad[] = {
      "r=XXXXNGfwEbeRWgbNEkqO%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // different prefix
      "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",       // not longer
      "r=rOprNGfwEbe,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",                // shorter
  };
  for (const char* message : bad) {
    ScramClient scram = rfc_client();
    scram.client_first();
    expect_auth_error([&] { scram.client_final(message); }, "nonce");
  }
}

TEST(ScramClient, BadIterationCountsRejected) {
  const std::string bad[] = {
      "0", "-1", "", "abc", "4096x", "+4096", "1000001", "4294967297", "99999999999999999999999"};
  for (const std::string& iterations : bad) {
    ScramClient scram = rfc_client();
    scram.client_first();
    expect_auth_error(
        [&] { scram.client_final(server_first("W22ZaJ0SNY7soEsUEjb6gQ==", iterations)); },
        "iteration count");
  }
  // The minimum is accepted.
  ScramClient scram = rfc_client();
  scram.client_first();
  EXPECT_NO_THROW(scram.client_final(server_first("W22ZaJ0SNY7soEsUEjb6gQ==", "1")));
}

TEST(ScramClient, BadSaltRejected) {
  struct Case {
    const char* salt;
    const char* why;
  };
  const Case bad[] = {{"", "empty"},
                      {"W22ZaJ0SNY7soEsUEjb6gQ", "base64"},
                      {"W22Z aJ0S", "base64"},
                      {"====", "base64"},
                      {"W2=Z", "base64"}};
  for (const Case& c : bad) {
    ScramClient scram = rfc_client();
    scram.client_first();
    expect_auth_error([&] { scram.client_final(server_first(c.salt, "4096")); }, c.why);
  }
}

TEST(ScramClient, MalformedServerFirstRejected) {
  const std::string nonce = std::string("r=") + kRfcNonce + "XYZ";
  const std::string bad[] = {
      "m=ext," + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // mandatory extension
      "s=W22ZaJ0SNY7soEsUEjb6gQ==," + nonce + ",i=4096",        // wrong order
      nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==",                    // missing i=
      nonce + ",,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",            // empty attribute
      "",
      "garbage",
  };
  for (const std::string& message : bad) {
    ScramClient scram = rfc_client();
    scram.client_first();
    EXPECT_THROW(scram.client_final(message), ProtocolError) << message;
  }
  ScramClient scram = rfc_client();
  scram.client_first();
  expect_auth_error([&] { scram.client_final(bad[0]); }, "mandatory extension");
}

TEST(ScramClient, TrailingExtensionsIgnored) {
  ScramClient scram = rfc_client();
  scram.client_first();
  // The extension is part of the auth message, so only the proof differs from the RFC's.
  const std::string final = scram.client_final(std::string(kRfcServerFirst) + ",x=ext");
  const std::string rfc = kRfcClientFinal;
  const std::size_t proof_at = rfc.find(",p=");
  EXPECT_EQ(final.substr(0, proof_at + 3), rfc.substr(0, proof_at + 3));
  EXPECT_NE(final, rfc);
}

TEST(ScramClient, StepsOutOfOrderAreLogicErrors) {
  ScramClient scram = rfc_client();
  EXPECT_THROW(scram.client_final(kRfcServerFirst), InterfaceError);
  scram.client_first();
  EXPECT_THROW(scram.client_first(), InterfaceError);
  scram.client_final(kRfcServerFirst);
  EXPECT_THROW(scram.client_final(kRfcServerFirst), InterfaceError);
}

}  // namespace
}  // namespace tern::pg
