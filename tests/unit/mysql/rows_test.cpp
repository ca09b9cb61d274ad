// Unit tests of result set metadata and rows: column count, ColumnDefinition41, text rows and
// binary rows with NULL bitmaps (https://mariadb.com/kb/en/result-set-packets/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html).
#include "tern/protocol/mysql/rows.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/result.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using namespace std::string_literals;
using protocol::as_chars;
using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;

// `SELECT id AS ident FROM t AS tt` on test.t(id INT NOT NULL AUTO_INCREMENT PRIMARY KEY).
std::string id_column() {
  return hex("03") + "def"s + hex("04") + "test" + hex("02") + "tt" + hex("01") + "t" + hex("05") +
         "ident" + hex("02") + "id" + hex("0c 3f 00 0b 00 00 00 03 03 42 00 00 00");
}

TEST(MysqlColumn, ParsesColumnDefinition41) {
  const std::string p = id_column();
  const ColumnDefinition c = parse_column_definition(B(p), cap::kProtocol41);
  EXPECT_EQ(c.catalog, "def");
  EXPECT_EQ(c.schema, "test");
  EXPECT_EQ(c.table, "tt");
  EXPECT_EQ(c.org_table, "t");
  EXPECT_EQ(c.name, "ident");
  EXPECT_EQ(c.org_name, "id");
  EXPECT_EQ(c.type.charset, 63);
  EXPECT_EQ(c.column_length, 11u);
  EXPECT_EQ(c.type.type, FieldType::kLong);
  EXPECT_EQ(c.type.flags, 0x4203);
  EXPECT_TRUE(c.type.flags & column_flag::kPrimaryKey);
  EXPECT_FALSE(c.type.is_unsigned());
  EXPECT_EQ(c.type.decimals, 0);

  const Column owned = Column::from(c);
  EXPECT_EQ(owned.name, "ident");
  EXPECT_EQ(owned.org_table, "t");
  EXPECT_EQ(owned.type.type, FieldType::kLong);
}

TEST(MysqlColumn, VarcharUtf8mb4) {
  const std::string p = hex("03") + "def"s + hex("00 00 00") + hex("01") + "s" + hex("00") +
                        hex("0c 2d 00 fc ff 03 00 fd 00 00 00 00 00");
  const ColumnDefinition c = parse_column_definition(B(p), cap::kProtocol41);
  EXPECT_EQ(c.name, "s");
  EXPECT_EQ(c.type.charset, 45);
  EXPECT_EQ(c.column_length, 0x3fffcu);
  EXPECT_EQ(c.type.type, FieldType::kVarString);
  EXPECT_FALSE(c.type.is_binary());
}

TEST(MysqlColumn, MariadbExtendedTypeInfo) {
  // MariaDB with MARIADB_CLIENT_EXTENDED_TYPE_INFO: a lenenc blob before the fixed fields.
  const std::uint64_t caps = cap::kProtocol41 | cap::kMariadbExtendedTypeInfo;
  const std::string p = hex("03") + "def"s + hex("00 00 00") + hex("01") + "j" + hex("00") +
                        hex("06 01 04") + "json" + hex("0c 2d 00 ff ff ff ff fc 90 00 00 00 00");
  const ColumnDefinition c = parse_column_definition(B(p), caps);
  EXPECT_EQ(as_chars(c.extended_type_info), "\x01\x04json"s);
  EXPECT_EQ(c.type.type, FieldType::kBlob);
}

TEST(MysqlColumn, MalformedDefinitions) {
  const std::string p = id_column();
  for (std::size_t cut = 0; cut < p.size(); ++cut) {
    const std::string head = p.substr(0, cut);
    EXPECT_THROW(parse_column_definition(B(head), cap::kProtocol41), ProtocolError) << cut;
  }
  const std::string extra = p + "x";
  EXPECT_THROW(parse_column_definition(B(extra), cap::kProtocol41), ProtocolError);
}

TEST(MysqlColumn, ColumnCount) {
  const std::string three = hex("03");
  EXPECT_EQ(parse_column_count(B(three)), 3u);
  const std::string big = hex("fc 00 01");
  EXPECT_EQ(parse_column_count(B(big)), 256u);
  for (const char* h : {"00", "fb", "ff", "fd 00 00 01", "03 00", ""}) {
    const std::string p = hex(h);
    EXPECT_THROW(parse_column_count(B(p)), ProtocolError) << h;
  }
}

TEST(MysqlColumn, ColumnCountWithCachedMetadata) {
  // MariaDB's extended capability: a metadata-follows byte after the count.
  const std::uint64_t caps = cap::kProtocol41 | cap::kMariadbCacheMetadata;
  const std::string follows = hex("03 01");
  EXPECT_EQ(parse_column_count(B(follows), caps).count, 3u);
  EXPECT_TRUE(parse_column_count(B(follows), caps).metadata_follows);
  const std::string skipped = hex("fc 00 01 00");
  EXPECT_EQ(parse_column_count(B(skipped), caps).count, 256u);
  EXPECT_FALSE(parse_column_count(B(skipped), caps).metadata_follows);
  // Without the capability (or from MySQL, which keeps CLIENT_LONG_PASSWORD) there is no byte.
  const std::string plain = hex("03");
  EXPECT_TRUE(parse_column_count(B(plain), cap::kProtocol41).metadata_follows);
  EXPECT_THROW(parse_column_count(B(plain), caps), ProtocolError);
  EXPECT_THROW(parse_column_count(B(follows), caps | cap::kLongPassword), ProtocolError);
  for (const char* h : {"03 02", "03 01 00", "00 01"}) {
    const std::string p = hex(h);
    EXPECT_THROW(parse_column_count(B(p), caps), ProtocolError) << h;
  }
}

TEST(MysqlResult, RowsAcrossChunksAndAHugeRow) {
  // (INT, VARCHAR) binary rows: enough to fill several storage chunks, one bigger than a chunk.
  auto columns = std::make_shared<std::vector<Column>>(2);
  (*columns)[0].type.type = FieldType::kLong;
  (*columns)[1].type.type = FieldType::kVarString;
  Result r;
  r.set_columns(columns, Format::kBinary);
  RowValues scratch;
  const auto row = [](std::uint32_t i, const std::string& text) {
    std::string p = hex("00 00");
    for (int b = 0; b < 4; ++b)
      p.push_back(static_cast<char>((i >> (8 * b)) & 0xFF));
    if (text.size() < 251) return p + static_cast<char>(text.size()) + text;
    const std::size_t n = text.size();  // 0xFD + 3 bytes
    return p + hex("fd") + static_cast<char>(n & 0xFF) + static_cast<char>((n >> 8) & 0xFF) +
           static_cast<char>((n >> 16) & 0xFF) + text;
  };
  const std::string huge(3 << 20, 'h');
  constexpr std::uint32_t kRows = 100'000;
  for (std::uint32_t i = 0; i < kRows; ++i) {
    const std::string p = row(i, i == 50'000 ? huge : "text-" + std::to_string(i));
    r.add_row(B(p), scratch);
  }
  const std::string null_row = hex("00 08");  // the VARCHAR (bit 1 + 2) is NULL
  r.add_row(B(null_row + hex("07 00 00 00")), scratch);
  ASSERT_EQ(r.size(), kRows + 1);
  const Result copy = r;
  for (const Result* x : {static_cast<const Result*>(&r), &copy}) {
    for (std::uint32_t i : {0u, 1u, 49'999u, 50'000u, 50'001u, kRows - 1}) {
      EXPECT_EQ(x->row(i).get<std::int32_t>(0), static_cast<std::int32_t>(i));
      EXPECT_EQ(x->row(i).get<std::string>(1), i == 50'000 ? huge : "text-" + std::to_string(i));
    }
    EXPECT_EQ(x->row(kRows).get<std::int32_t>(0), 7);
    EXPECT_FALSE(x->row(kRows).raw(1));
    EXPECT_THROW(x->row(0).raw(2), InterfaceError);
  }
}

TEST(MysqlRows, TextRow) {
  const std::string p = hex("01 31 fb 00 05") + "hello"s;
  RowValues v;
  parse_text_row(B(p), 4, v);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(as_chars(*v[0]), "1");
  EXPECT_FALSE(v[1]);
  ASSERT_TRUE(v[2]);
  EXPECT_TRUE(v[2]->empty());
  EXPECT_EQ(as_chars(*v[3]), "hello");
  // Fewer or more values than columns.
  EXPECT_THROW(parse_text_row(B(p), 5, v), ProtocolError);
  EXPECT_THROW(parse_text_row(B(p), 3, v), ProtocolError);
  const std::string overlong = hex("05 61 62");
  EXPECT_THROW(parse_text_row(B(overlong), 1, v), ProtocolError);
}

// Binary rows of n TINY columns for every NULL pattern, around the offset-2 bitmap boundary.
TEST(MysqlRows, BinaryRowNullBitmapBoundaries) {
  for (std::size_t n : {6u, 7u, 8u, 9u}) {
    const std::vector<FieldType> types(n, FieldType::kTiny);
    EXPECT_EQ(binary_row_null_bitmap_size(n), n <= 6 ? 1u : 2u);
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      std::string p(1, '\0');
      std::string bitmap(binary_row_null_bitmap_size(n), '\0');
      std::string values;
      for (std::size_t i = 0; i < n; ++i) {
        if (mask & (1u << i)) {
          bitmap[(i + 2) / 8] = static_cast<char>(bitmap[(i + 2) / 8] | (1 << ((i + 2) % 8)));
        } else {
          values.push_back(static_cast<char>(i + 100));
        }
      }
      p += bitmap + values;
      RowValues v;
      parse_binary_row(B(p), types, v);
      ASSERT_EQ(v.size(), n);
      for (std::size_t i = 0; i < n; ++i) {
        if (mask & (1u << i)) {
          EXPECT_FALSE(v[i]) << n << " " << mask << " " << i;
        } else {
          ASSERT_TRUE(v[i]);
          ASSERT_EQ(v[i]->size(), 1u);
          EXPECT_EQ(std::to_integer<std::size_t>((*v[i])[0]), i + 100);
        }
      }
    }
  }
}

// The sizes and names come from one table (protocol/src/mysql/field_types.hpp); these pin what
// the switches it replaced gave.
TEST(MysqlRows, BinaryRowFixedSizes) {
  const std::vector<FieldType> types = {
      FieldType::kTiny,     FieldType::kShort,  FieldType::kYear,
      FieldType::kInt24,    FieldType::kLong,   FieldType::kFloat,
      FieldType::kLongLong, FieldType::kDouble, FieldType::kVarchar};
  const std::size_t sizes[] = {1, 2, 2, 4, 4, 4, 8, 8};
  std::string p = hex("00 00 00");  // header, a 2-byte NULL bitmap with no NULL
  for (std::size_t i = 0; i < std::size(sizes); ++i)
    p += std::string(sizes[i], static_cast<char>('a' + i));
  p += hex("02") + "zz";  // VARCHAR: length-prefixed
  RowValues v;
  parse_binary_row(B(p), types, v);
  ASSERT_EQ(v.size(), types.size());
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    ASSERT_TRUE(v[i]);
    EXPECT_EQ(as_chars(*v[i]), std::string(sizes[i], static_cast<char>('a' + i))) << i;
  }
  EXPECT_EQ(as_chars(*v.back()), "zz");
}

TEST(MysqlColumn, FieldTypeNames) {
  EXPECT_STREQ(field_type_name(FieldType::kDecimal), "DECIMAL");
  EXPECT_STREQ(field_type_name(FieldType::kLongLong), "LONGLONG");
  EXPECT_STREQ(field_type_name(FieldType::kTime2), "TIME2");
  EXPECT_STREQ(field_type_name(FieldType::kVector), "VECTOR");
  EXPECT_STREQ(field_type_name(FieldType::kTinyBlob), "TINY_BLOB");
  EXPECT_STREQ(field_type_name(FieldType::kGeometry), "GEOMETRY");
  EXPECT_STREQ(field_type_name(static_cast<FieldType>(100)), "unknown type");
}

TEST(MysqlRows, BinaryRowRejectsStrayNullBits) {
  const std::vector<FieldType> types(7, FieldType::kTiny);
  RowValues v;
  // Reserved bit 0 set.
  const std::string reserved = hex("00 01 00") + std::string(7, 'a');
  EXPECT_THROW(parse_binary_row(B(reserved), types, v), ProtocolError);
  // Padding bit 9 (past column 6 at bit 8) set.
  const std::string padding = hex("00 00 02") + std::string(7, 'a');
  EXPECT_THROW(parse_binary_row(B(padding), types, v), ProtocolError);
  // Bitmap missing a byte.
  const std::string short_bitmap = hex("00 00");
  EXPECT_THROW(parse_binary_row(B(short_bitmap), types, v), ProtocolError);
}

TEST(MysqlRows, BinaryRowValueLayouts) {
  const std::vector<FieldType> types = {
      FieldType::kTiny,  FieldType::kShort,     FieldType::kYear,       FieldType::kLong,
      FieldType::kInt24, FieldType::kFloat,     FieldType::kLongLong,   FieldType::kDouble,
      FieldType::kDate,  FieldType::kDateTime,  FieldType::kTimestamp,  FieldType::kTime,
      FieldType::kTime,  FieldType::kVarString, FieldType::kNewDecimal, FieldType::kBlob};
  const std::string p = hex("00 0000 00") +  // header, bitmap for 16 columns (3 bytes)
                        hex("01") + hex("0200") + hex("e807") + hex("04000000") + hex("05000000") +
                        hex("0000c03f") + hex("0800000000000000") + hex("000000000000f83f") +
                        hex("04 e807 0c 1f") +                     // DATE 2024-12-31
                        hex("07 e807 01 02 03 04 05") +            // DATETIME
                        hex("0b e807 01 02 03 04 05 40e20100") +   // TIMESTAMP .123456
                        hex("00") +                                // TIME 0
                        hex("0c 01 01000000 02 03 04 01000000") +  // TIME -1 02:03:04.000001
                        hex("03") + "abc" + hex("04") + "1.50" + hex("00");
  RowValues v;
  parse_binary_row(B(p), types, v);
  ASSERT_EQ(v.size(), types.size());
  const std::size_t sizes[] = {1, 2, 2, 4, 4, 4, 8, 8, 4, 7, 11, 0, 12, 3, 4, 0};
  for (std::size_t i = 0; i < types.size(); ++i) {
    ASSERT_TRUE(v[i]) << i;
    EXPECT_EQ(v[i]->size(), sizes[i]) << i;
  }
  EXPECT_EQ(as_chars(*v[13]), "abc");
  // Every truncation is a ProtocolError.
  for (std::size_t cut = 0; cut < p.size(); ++cut) {
    const std::string head = p.substr(0, cut);
    EXPECT_THROW(parse_binary_row(B(head), types, v), ProtocolError) << cut;
  }
  const std::string extra = p + "x";
  EXPECT_THROW(parse_binary_row(B(extra), types, v), ProtocolError);
}

TEST(MysqlRows, BinaryRowBadTemporalLengthsAndHeader) {
  RowValues v;
  const std::vector<FieldType> date = {FieldType::kDate};
  const std::string bad_date = hex("00 00 05 e807 01 02 03");
  EXPECT_THROW(parse_binary_row(B(bad_date), date, v), ProtocolError);
  const std::vector<FieldType> time = {FieldType::kTime};
  const std::string bad_time = hex("00 00 07 00 00000000 01 02");
  EXPECT_THROW(parse_binary_row(B(bad_time), time, v), ProtocolError);
  const std::string bad_header = hex("01 00 00");
  EXPECT_THROW(parse_binary_row(B(bad_header), time, v), ProtocolError);
}

}  // namespace
}  // namespace tern::mysql
