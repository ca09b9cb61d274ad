// Unit tests of pg::Result's row storage: rows kept in chunks of at most 1 MiB (a row bigger
// than that in a chunk of its own), read back whole and in order from a Result and its copy.
#include "tern/protocol/pg/result.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tern/protocol/exceptions.hpp"
#include "test_util.hpp"

namespace tern::pg {
namespace {

using testing::be32;

// A binary DataRow body of (int4 i, text t); a null text when `null_text`.
std::string data_row(std::uint32_t i, const std::string& t, bool null_text = false) {
  return std::string("\0\2", 2) + be32(4) + be32(i) +
         (null_text ? be32(0xFFFFFFFF) : be32(static_cast<std::uint32_t>(t.size())) + t);
}

TEST(PgResult, RowsAcrossChunksAndAHugeRow) {
  auto columns = std::make_shared<std::vector<backend::Column>>(2);
  (*columns)[0].type = 23;  // int4
  (*columns)[1].type = 25;  // text
  for (backend::Column& c : *columns)
    c.format = Format::kBinary;
  Result r;
  r.set_columns(columns);
  const std::string huge(3 << 20, 'h');
  constexpr std::uint32_t kRows = 100'000;  // about 2.5 MiB: several chunks
  for (std::uint32_t i = 0; i < kRows; ++i) {
    const std::string body = data_row(i, i == 50'000 ? huge : "text-" + std::to_string(i));
    r.add_row(protocol::as_bytes(std::string_view(body)));
  }
  const std::string last = data_row(7, "", true);
  r.add_row(protocol::as_bytes(std::string_view(last)));
  ASSERT_EQ(r.size(), kRows + 1);
  const Result copy = r;
  for (const Result* x : {static_cast<const Result*>(&r), &copy}) {
    for (std::uint32_t i = 0; i < kRows; ++i) {
      ASSERT_EQ(x->row(i).get<std::int32_t>(0), static_cast<std::int32_t>(i));
      ASSERT_EQ(x->row(i).get<std::string>(1), i == 50'000 ? huge : "text-" + std::to_string(i));
    }
    EXPECT_EQ(x->row(kRows).get<std::int32_t>(0), 7);
    EXPECT_FALSE(x->row(kRows).raw(1));
    EXPECT_THROW(x->row(kRows + 1), InterfaceError);
    EXPECT_THROW(x->row(0).raw(2), InterfaceError);
  }
}

}  // namespace
}  // namespace tern::pg
