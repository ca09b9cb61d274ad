// Record values (composite types, ROW(...)) split into fields: text as record_out writes it and
// binary as record_send does (bytes recorded from PostgreSQL 15), and record text written for
// record_in.
#include "tern/protocol/pg/record.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tern/protocol/exceptions.hpp"

namespace tern::pg {
namespace {

using protocol::as_bytes;

std::vector<RecordField> text(std::string_view s) {
  return decode_record(Format::kText, as_bytes(s));
}
std::vector<RecordField> binary(const std::string& s) {
  return decode_record(Format::kBinary, as_bytes(s));
}
RecordField field(std::optional<std::string> v, Oid type = oid::kUnknown) {
  return RecordField{.type = type, .value = std::move(v)};
}

TEST(PgRecord, TextAsRecordOutWritesIt) {
  // SELECT ROW(1, 'a b', NULL, '', 'say "hi"', 'back\slash', '(x,y)')
  EXPECT_EQ(text(R"x((1,"a b",,"","say ""hi""","back\\slash","(x,y)"))x"),
            (std::vector<RecordField>{field("1"), field("a b"), field(std::nullopt), field(""),
                                      field("say \"hi\""), field("back\\slash"), field("(x,y)")}));
  // record_in's other spellings: backslash escapes anywhere, space around the parentheses.
  EXPECT_EQ(text(" (a\\,b,\"x\"y\\\"z) "),
            (std::vector<RecordField>{field("a,b"), field("xy\"z")}));
  EXPECT_EQ(text("()"), std::vector<RecordField>{field(std::nullopt)});
  EXPECT_EQ(text("(,)"), (std::vector<RecordField>{field(std::nullopt), field(std::nullopt)}));
  for (const char* bad : {"", "1,2", "(1,2", "(1,\"2)", "(1)x", "(a\\", "(\"a\"\"", "x(1)"}) {
    EXPECT_THROW(text(bad), TypeError) << bad;
  }
}

TEST(PgRecord, BinaryAsRecordSendWritesIt) {
  // SELECT record_send(ROW(7, 'ab'::text, NULL::int4)) on PostgreSQL 15.
  const std::string sent(
      "\0\0\0\3"
      "\0\0\0\x17\0\0\0\4\0\0\0\7"
      "\0\0\0\x19\0\0\0\2ab"
      "\0\0\0\x17\xff\xff\xff\xff",
      4 + 12 + 10 + 8);
  EXPECT_EQ(binary(sent),
            (std::vector<RecordField>{field(std::string("\0\0\0\7", 4), oid::kInt4),
                                      field("ab", oid::kText), field(std::nullopt, oid::kInt4)}));
  EXPECT_EQ(binary(std::string("\0\0\0\0", 4)), std::vector<RecordField>{});
  // Truncated, negative, too many fields, trailing bytes.
  for (const std::string& bad :
       {std::string("\0\0\0", 3), std::string("\0\0\0\1\0\0\0\x17\0\0\0\4\0\0", 14),
        std::string("\xff\xff\xff\xff", 4), std::string("\0\0\0\1\0\0\0\x17\xff\xff\xff\xfe", 12),
        std::string("\x7f\xff\xff\xff\0\0\0\0", 8), std::string("\0\0\0\0x", 5)}) {
    EXPECT_THROW(binary(bad), TypeError);
  }
}

TEST(PgRecord, TextForRecordIn) {
  const std::vector<std::optional<std::string>> fields{
      "1", "a b", std::nullopt, "", "say \"hi\"", "back\\slash", "(x,y)", "plain"};
  const std::string t = record_text(fields);
  EXPECT_EQ(t, R"x((1,"a b",,"","say ""hi""","back\\slash","(x,y)",plain))x");
  // And it reads back.
  std::vector<RecordField> back = text(t);
  ASSERT_EQ(back.size(), fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i)
    EXPECT_EQ(back[i].value, fields[i]);
}

}  // namespace
}  // namespace tern::pg
