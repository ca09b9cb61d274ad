// Composite mapping (tern/db/composite.hpp) on recorded bytes: records as PostgreSQL 15's
// record_out and record_send write them read into structs (nested, enum and optional members),
// records that do not fit as TypeError naming the composite and the member, values written as
// record text, the members' SQL types, and composite values as parameters.
#include "tern/db/composite.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tern/db/value.hpp"
#include "tern/protocol/exceptions.hpp"

namespace app {
enum class Mood { happy, sad };
struct Point {
  std::int32_t x{};
  std::optional<std::int32_t> y{};
  friend bool operator==(const Point&, const Point&) = default;
};
struct Spot {
  std::string name{};
  Point at{};
  std::optional<Mood> mood{};
  double score{};
  friend bool operator==(const Spot&, const Spot&) = default;
};
}  // namespace app

TERN_ENUM(app::Mood, "mood", happy, sad)
TERN_COMPOSITE(app::Point, "point2", x, y)
TERN_COMPOSITE(app::Spot, "spot", name, at, mood, score)

namespace {

using app::Mood;
using app::Point;
using app::Spot;
using tern::pg::Format;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

template <class C>
C text(std::string_view record) {
  return tern::detail::decode_composite<C>(Format::kText, tern::protocol::as_bytes(record));
}
template <class C>
C binary(const std::string& record) {
  return tern::detail::decode_composite<C>(Format::kBinary, tern::protocol::as_bytes(record));
}

// The message of the TypeError `f` throws ("" when none).
template <class F>
std::string type_error(F&& f) {
  try {
    f();
  } catch (const tern::TypeError& e) {
    return e.what();
  }
  return "";
}

TEST(Composite, ReadsRecordOutText) {
  static_assert(tern::SqlComposite<Point> && tern::SqlComposite<Spot>);
  static_assert(!tern::SqlComposite<std::string>);
  // SELECT ROW('a "b", (c)', ROW(1, NULL)::point2, 'sad', 0.5)::spot
  EXPECT_EQ(text<Spot>(R"r(("a ""b"", (c)","(1,)",sad,0.5))r"),
            (Spot{.name = "a \"b\", (c)", .at = {.x = 1}, .mood = Mood::sad, .score = 0.5}));
  EXPECT_EQ(text<Spot>(R"r(("","(-2,3)",,-1e+300))r"),
            (Spot{.name = "", .at = {.x = -2, .y = 3}, .mood = std::nullopt, .score = -1e300}));
  EXPECT_EQ(text<Spot>(R"r((x,"(0,0)",happy,0))r").mood, Mood::happy);
}

TEST(Composite, ReadsRecordSendBytes) {
  // SELECT record_send(ROW(7, NULL)::point2)
  const std::string point = be32(2) + be32(23) + be32(4) + be32(7) + be32(23) + be32(0xffffffff);
  EXPECT_EQ(binary<Point>(point), (Point{.x = 7, .y = std::nullopt}));
  // An int8 field where the member is int4: the OID is checked.
  const std::string wide =
      be32(2) + be32(20) + be32(8) + std::string(7, '\0') + "\x07" + be32(23) + be32(0xffffffff);
  EXPECT_EQ(type_error([&] { (void)binary<Point>(wide); }),
            "composite point2 member x: its C++ type cannot read a value of type OID 20");
}

TEST(Composite, RecordsThatDoNotFitNameTheMember) {
  EXPECT_EQ(type_error([] { (void)text<Point>("(1,2,3)"); }),
            "composite point2 has 2 members, the record has 3 fields");
  EXPECT_EQ(type_error([] { (void)text<Point>("(,2)"); }),
            "composite point2 member x is NULL (make it a std::optional)");
  EXPECT_EQ(
      type_error([] { (void)text<Point>("(1,x)").y; }).rfind("composite point2 member y: ", 0), 0u);
  EXPECT_EQ(type_error([] {
              (void)text<Spot>(R"r((a,"(1,2)",angry,0))r");
            }).rfind("composite spot member mood: unknown label 'angry'", 0),
            0u);
  EXPECT_EQ(type_error([] { (void)text<Point>("1,2"); }).rfind("composite point2: ", 0), 0u);
}

TEST(Composite, WritesRecordText) {
  const Spot s{.name = R"r(q "x" \ (y), z)r", .at = {.x = 1}, .mood = Mood::happy, .score = 0.1};
  const std::string t = tern::detail::composite_text(s);
  EXPECT_EQ(t, R"r(("q ""x"" \\ (y), z","(1,)",happy,0.1))r");
  EXPECT_EQ(text<Spot>(t), s);
  EXPECT_EQ(tern::Value(s), tern::Value(tern::RecordText{"spot", t}));
  EXPECT_TRUE(tern::Value(std::optional<Spot>{}).is_null());
  EXPECT_EQ(tern::describe_values(std::vector<tern::Value>{Point{.x = 1}}), "[<point2>]");
}

TEST(Composite, MemberTypes) {
  const auto types = tern::composite_member_types<Spot>();
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(types[0].sql_type, "text");
  EXPECT_FALSE(types[0].user_type);
  EXPECT_EQ(types[1].sql_type, "point2");
  EXPECT_TRUE(types[1].user_type);
  EXPECT_EQ(types[2].sql_type, "mood");
  EXPECT_TRUE(types[2].user_type);
  EXPECT_EQ(types[3].name, "score");
  EXPECT_EQ(types[3].sql_type, "double precision");
}

}  // namespace
