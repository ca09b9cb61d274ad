// Unit tests of tern/db/json.hpp and json_dom.hpp: building documents (escapes, numbers,
// nesting, misuse), checking, comparing and walking them with simdjson.
#include "tern/db/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tern/db/json_dom.hpp"
#include "tern/protocol/exceptions.hpp"

namespace {

namespace json = tern::json;
using tern::Json;
using tern::Jsonb;

TEST(JsonBuild, ScalarsAndNesting) {
  const Json doc = json::object({{"s", "x"},
                                 {"i", -42},
                                 {"u", std::uint64_t{18446744073709551615U}},
                                 {"d", 0.1},
                                 {"t", true},
                                 {"f", false},
                                 {"n", nullptr},
                                 {"a", json::array({1, "two", nullptr, json::array({})})},
                                 {"o", json::object({})}});
  EXPECT_EQ(doc.text, R"({"s":"x","i":-42,"u":18446744073709551615,"d":0.1,"t":true,"f":false,)"
                      R"("n":null,"a":[1,"two",null,[]],"o":{}})");
  EXPECT_TRUE(json::valid(doc.text));
}

TEST(JsonBuild, StringsAreEscaped) {
  EXPECT_EQ(json::quote("a\"b\\c/d"), R"("a\"b\\c/d")");
  EXPECT_EQ(json::quote("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json::quote(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(json::quote(std::string("nul\0in", 6)), R"("nul\u0000in")");
  // UTF-8 goes as it is.
  EXPECT_EQ(json::quote("Zoë ✓ 😀"), "\"Zoë ✓ 😀\"");
  const Json doc = json::object({{"k\"ey", "v\\al\n"}});
  EXPECT_EQ(doc.text, R"({"k\"ey":"v\\al\n"})");
  EXPECT_TRUE(json::valid(doc.text));
}

TEST(JsonBuild, RefusesWhatJsonCannotHold) {
  EXPECT_THROW(json::Node{std::nan("")}, tern::TypeError);
  EXPECT_THROW(json::Node{std::numeric_limits<double>::infinity()}, tern::TypeError);
  EXPECT_THROW(json::Node{std::string_view("\xff\xfe")}, tern::TypeError);  // not UTF-8
  EXPECT_THROW(json::object({{"\xc3", 1}}), tern::TypeError);               // cut UTF-8
}

TEST(JsonBuild, NumbersReadBackExactly) {
  for (double d : {0.1, 1e300, -2.5e-308, 123456789.125, 5e-324}) {
    const Json doc = json::array({d});
    json::Parser p;
    EXPECT_EQ(p.parse(doc).at(0).get_double().value(), d) << doc.text;
  }
  EXPECT_EQ(json::array({std::numeric_limits<std::int64_t>::min()}).text, "[-9223372036854775808]");
}

TEST(JsonBuild, EmbeddedDocumentsAndRunTimeLists) {
  const Json inner{R"({"x": [1, 2]})"};
  EXPECT_EQ(json::object({{"inner", inner}, {"b", Jsonb{"true"}}}).text,
            R"({"inner":{"x": [1, 2]},"b":true})");
  std::vector<std::pair<std::string, json::Node>> members;
  std::vector<json::Node> items;
  for (int i = 0; i < 3; ++i) {
    members.emplace_back("k" + std::to_string(i), i);
    items.emplace_back(std::to_string(i));
  }
  EXPECT_EQ(json::object(members).text, R"({"k0":0,"k1":1,"k2":2})");
  EXPECT_EQ(json::array(items).text, R"(["0","1","2"])");
}

TEST(JsonWriter, BuildsInLoops) {
  json::Writer w;
  w.begin_object().key("ids").begin_array();
  for (int id : {3, 1, 2})
    w.value(id);
  w.end_array().key("name").value("x").key("empty").begin_object().end_object();
  w.end_object();
  EXPECT_EQ(std::move(w).json().text, R"({"ids":[3,1,2],"name":"x","empty":{}})");

  json::Writer scalar;
  scalar.value(1.5);
  EXPECT_EQ(std::move(scalar).json().text, "1.5");
}

TEST(JsonWriter, RefusesMisuse) {
  {
    json::Writer w;
    w.begin_object();
    EXPECT_THROW(w.value(1), tern::InterfaceError);  // a member without a key
    EXPECT_THROW(w.end_array(), tern::InterfaceError);
    EXPECT_THROW(std::move(w).json(), tern::InterfaceError);  // still open
  }
  {
    json::Writer w;
    w.begin_array();
    EXPECT_THROW(w.key("k"), tern::InterfaceError);  // a key in an array
  }
  {
    json::Writer w;
    w.value(1);
    EXPECT_THROW(w.value(2), tern::InterfaceError);  // two top-level values
  }
  {
    json::Writer w;
    EXPECT_THROW(std::move(w).json(), tern::InterfaceError);  // nothing
  }
  {
    json::Writer w;
    w.begin_object().key("a");
    EXPECT_THROW(w.key("b"), tern::InterfaceError);
    EXPECT_THROW(w.end_object(), tern::InterfaceError);  // a key without its value
  }
}

TEST(JsonCheck, ValidAndParse) {
  EXPECT_TRUE(json::valid(R"({"a": [1, 2.5e3, "\u00e9", null, true]})"));
  EXPECT_TRUE(json::valid(" 42 "));
  for (const char* bad : {"", "{", R"({"a" 1})", "[1,]", "nul", "'a'", "{\"a\":1}x", "NaN"}) {
    EXPECT_FALSE(json::valid(bad)) << bad;
    EXPECT_THROW(json::parse(bad), tern::DataError) << bad;
  }
  EXPECT_FALSE(json::valid("\"\xff\""));                        // not UTF-8
  EXPECT_EQ(json::parse(R"( {"a":1} )").text, R"( {"a":1} )");  // kept as written
}

TEST(JsonCheck, EqualIgnoresOrderSpacingAndNumberSpelling) {
  // What PostgreSQL's jsonb gives back for what was sent.
  EXPECT_TRUE(json::equal(R"({"b":[1,2],"a":{"x":null}})", R"({"a": {"x": null}, "b": [1, 2]})"));
  EXPECT_TRUE(json::equal("1.0", "1"));
  EXPECT_TRUE(json::equal("1e2", "100"));
  EXPECT_TRUE(json::equal(R"("\u00e9\n")", "\"é\\n\""));  // escapes compared unescaped
  EXPECT_FALSE(json::equal("[1,2]", "[2,1]"));            // array order matters
  EXPECT_FALSE(json::equal(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(json::equal(R"({"a":1})", R"({"b":1})"));
  EXPECT_FALSE(json::equal("true", "1"));
  EXPECT_FALSE(json::equal("null", "false"));
  EXPECT_FALSE(json::equal(R"("1")", "1"));
  EXPECT_FALSE(json::equal("-1", "18446744073709551615"));
  EXPECT_TRUE(json::equal("18446744073709551615", "18446744073709551615"));
  EXPECT_TRUE(json::equal(Json{"[1]"}, Jsonb{"[1.0]"}));
  EXPECT_THROW(json::equal("[", "[]"), tern::DataError);
}

TEST(JsonDom, WalksDocumentsWithSimdjson) {
  json::Parser parser;
  const Json doc = json::object({{"name", "Zoë"}, {"ids", json::array({1, 2, 3})}});
  simdjson::dom::element root = parser.parse(doc);
  EXPECT_EQ(std::string_view(root["name"].get_string().value()), "Zoë");
  std::int64_t sum = 0;
  for (std::int64_t id : root["ids"].get_array())
    sum += id;
  EXPECT_EQ(sum, 6);
  EXPECT_EQ(json::to_json(root["ids"].value()).text, "[1,2,3]");
  EXPECT_THROW(parser.parse(std::string_view("{")), tern::DataError);
  // Reused for the next document.
  EXPECT_EQ(parser.parse(Jsonb{R"({"a": true})"})["a"].get_bool().value(), true);
}

}  // namespace
