// Enum mapping (tern/db/enum.hpp): labels both ways, unknown labels as TypeError naming the
// label and the enum, MySQL SET text, and enum values as parameters.
#include "tern/db/enum.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tern/db/value.hpp"
#include "tern/protocol/exceptions.hpp"

namespace app {
enum class Color { red, green, blue };
enum class Status { in_progress, done, forgotten };
}  // namespace app

TERN_ENUM(app::Color, "color", red, green, blue)

// Labels that are not identifiers: the trait spelled out.
template <>
struct tern::EnumTraits<app::Status> {
  static constexpr std::string_view name = "status";
  static constexpr std::array<std::pair<app::Status, std::string_view>, 2> labels{
      {{app::Status::in_progress, "in progress"}, {app::Status::done, "done"}}};
};

namespace {

using app::Color;
using app::Status;

TEST(Enum, LabelsBothWays) {
  static_assert(tern::SqlEnum<Color> && tern::SqlEnum<Status>);
  static_assert(!tern::SqlEnum<int>);
  EXPECT_EQ(tern::enum_label(Color::green), "green");
  EXPECT_EQ(tern::enum_from_label<Color>("blue"), Color::blue);
  EXPECT_EQ(tern::enum_label(Status::in_progress), "in progress");
  EXPECT_EQ(tern::enum_from_label<Status>("done"), Status::done);
  EXPECT_EQ(tern::enum_labels<Color>(), (std::vector<std::string>{"red", "green", "blue"}));
}

TEST(Enum, UnknownLabelsAndValuesAreTypeErrors) {
  try {
    tern::enum_from_label<Color>("purple");
    FAIL() << "no TypeError";
  } catch (const tern::TypeError& e) {
    EXPECT_STREQ(e.what(), "unknown label 'purple' for enum color");
  }
  // Bytes from the server are shown escaped and cut short.
  try {
    tern::enum_from_label<Color>(std::string("a\0\n", 3) + std::string(100, 'x'));
    FAIL() << "no TypeError";
  } catch (const tern::TypeError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown label 'a\\x00\\n" + std::string(61, 'x') + "...' for enum color");
  }
  EXPECT_THROW(tern::enum_from_label<Color>("Red"), tern::TypeError);
  EXPECT_THROW(tern::enum_from_label<Color>(""), tern::TypeError);
  // A value the table lacks (Status::forgotten has no label).
  EXPECT_THROW(tern::enum_label(Status::forgotten), tern::TypeError);
  EXPECT_THROW(tern::enum_label(static_cast<Color>(7)), tern::TypeError);
}

TEST(Enum, SetText) {
  EXPECT_EQ(tern::set_text(std::set<Color>{}), "");
  // In the table's order, as the server writes SET text.
  EXPECT_EQ(tern::set_text(std::set<Color>{Color::blue, Color::red}), "red,blue");
  EXPECT_EQ(tern::set_from_text<Color>(""), std::set<Color>{});
  EXPECT_EQ(tern::set_from_text<Color>("green"), std::set<Color>{Color::green});
  EXPECT_EQ(tern::set_from_text<Color>("red,blue"), (std::set<Color>{Color::red, Color::blue}));
  EXPECT_THROW(tern::set_from_text<Color>("red,"), tern::TypeError);
  EXPECT_THROW(tern::set_from_text<Color>("red,,blue"), tern::TypeError);
  EXPECT_THROW(tern::set_from_text<Color>("red,pink"), tern::TypeError);
  EXPECT_EQ(tern::detail::split_set_text(",a,"), (std::vector<std::string_view>{"", "a", ""}));
}

TEST(Enum, ValuesAreLabels) {
  EXPECT_EQ(tern::Value(Color::green), tern::Value(tern::EnumLabel{"green"}));
  EXPECT_EQ(tern::Value(std::optional<Color>{}), tern::Value());
  EXPECT_EQ(tern::Value(std::set<Color>{Color::green, Color::red}), tern::Value("red,green"));
  const tern::Value v(Status::done);
  EXPECT_EQ(std::get<tern::EnumLabel>(v.storage()).label, "done");
  EXPECT_EQ(tern::describe_values(std::vector<tern::Value>{v}), "['done']");
  EXPECT_THROW((void)tern::Value(Status::forgotten), tern::TypeError);
}

}  // namespace
