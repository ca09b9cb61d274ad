// tern::uuid4(): RFC 4122 version 4 bits on OS randomness.
#include "tern/db/uuid.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tern {
namespace {

TEST(Uuid4, SetsTheVersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const Uuid u = uuid4();
    EXPECT_EQ(u.bytes[6] >> 4, 4) << u.to_string();     // version 4
    EXPECT_EQ(u.bytes[8] >> 6, 0b10) << u.to_string();  // variant RFC 4122
    const std::string text = u.to_string();
    ASSERT_EQ(text.size(), 36u);
    EXPECT_EQ(text[14], '4') << text;  // xxxxxxxx-xxxx-4xxx-...
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    EXPECT_EQ(Uuid::parse(text), u);
  }
}

TEST(Uuid4, IsRandom) {
  // 122 random bits: 10,000 draws never collide, and every other bit takes both values.
  std::set<std::string> seen;
  unsigned char ones[16] = {};
  unsigned char zeros[16] = {};
  for (int i = 0; i < 10'000; ++i) {
    const Uuid u = uuid4();
    EXPECT_TRUE(seen.insert(u.to_string()).second);
    for (int b = 0; b < 16; ++b) {
      ones[b] |= u.bytes[b];
      zeros[b] |= static_cast<unsigned char>(~u.bytes[b]);
    }
  }
  for (int b = 0; b < 16; ++b) {
    const unsigned char fixed = b == 6 ? 0xf0 : b == 8 ? 0xc0 : 0x00;
    EXPECT_EQ(ones[b] | fixed, 0xff) << "byte " << b;
    EXPECT_EQ(zeros[b] | fixed, 0xff) << "byte " << b;
  }
}

}  // namespace
}  // namespace tern
