// libFuzzer harness of MySQL/MariaDB result set decoding: ColumnDefinition41 packets, text and
// binary protocol rows (through mysql::Result, as the connection stores them), every type
// codec over the row values, and mysql::to_text.
// Input: byte 0 = mode; bit 7 set: byte 1 is a column count n, then a stream of packets
// (3-byte length, sequence id, payload) whose first n payloads are column definitions
// (bit 0: with MariaDB's extended type info) and the rest rows. Bit 7 clear: byte 1 is n
// (1..32), then 4 bytes per column (type, flags, charset, decimals: see column_from_spec), then
// the row packets. Every row payload is read both as a text row and as a binary row.
//
// ProtocolError (rows, column definitions) and TypeError (values) are the ways to reject
// bytes; any other exception, a sanitizer report or a broken invariant (trap) is a finding.
// Invariant: a binary value rendered by to_text decodes, as text, to what the binary decoder
// gave (where the server's text protocol would send that text).
// Protocol: https://mariadb.com/kb/en/result-set-packets/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/result.hpp"
#include "tern/protocol/mysql/text.hpp"
#include "tern/protocol/mysql/types.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace {

namespace my = tern::mysql;
using my::Bytes;
using my::FieldType;
using my::Format;
using tern::protocol::ProtocolError;

constexpr std::size_t kMaxColumns = 32;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

volatile std::size_t g_sink;

// Every field type; fuzz/make_corpus.py has a copy of this table (MYSQL_FIELD_TYPES).
constexpr FieldType kTypes[] = {
    FieldType::kDecimal,  FieldType::kTiny,       FieldType::kShort,      FieldType::kLong,
    FieldType::kFloat,    FieldType::kDouble,     FieldType::kNull,       FieldType::kTimestamp,
    FieldType::kLongLong, FieldType::kInt24,      FieldType::kDate,       FieldType::kTime,
    FieldType::kDateTime, FieldType::kYear,       FieldType::kNewDate,    FieldType::kVarchar,
    FieldType::kBit,      FieldType::kTimestamp2, FieldType::kDateTime2,  FieldType::kTime2,
    FieldType::kVector,   FieldType::kJson,       FieldType::kNewDecimal, FieldType::kEnum,
    FieldType::kSet,      FieldType::kTinyBlob,   FieldType::kMediumBlob, FieldType::kLongBlob,
    FieldType::kBlob,     FieldType::kVarString,  FieldType::kString,     FieldType::kGeometry,
};

// type: an index into kTypes; flags: bit 0 UNSIGNED, bit 1 BINARY, bit 2 NOT NULL, the rest
// shifted into the high flag bits; charset: bit 0 picks binary (63) or utf8mb4 (45);
// decimals as is.
my::Column column_from_spec(const std::uint8_t* spec) {
  my::Column c;
  c.name = "c";
  c.type.type = kTypes[spec[0] % std::size(kTypes)];
  c.type.flags = static_cast<std::uint16_t>(((spec[1] & 1) != 0 ? my::column_flag::kUnsigned : 0) |
                                            ((spec[1] & 2) != 0 ? my::column_flag::kBinary : 0) |
                                            ((spec[1] & 4) != 0 ? my::column_flag::kNotNull : 0) |
                                            ((spec[1] & 0xF8) << 8));
  c.type.charset = (spec[2] & 1) != 0 ? my::kBinaryCollation : 45;
  c.type.decimals = spec[3];
  return c;
}

// Column i of a row as T; nullopt when the codec refuses it (TypeError).
template <class T>
std::optional<T> get(const my::Row& row, std::size_t i) {
  try {
    return row.get<T>(i);
  } catch (const tern::TypeError&) {
    return std::nullopt;
  }
}

template <class T>
std::optional<T> decode_text(const my::ColumnType& c, const std::string& text) {
  try {
    return my::decode_value<T>(c, Format::kText, tern::protocol::as_bytes(text));
  } catch (const tern::TypeError&) {
    return std::nullopt;
  }
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) || (a != a && b != b);
}

// A binary value's to_text, read back with the text decoder, is the same value. Only where the
// text is what a server would send: the server never sends fractional seconds beyond the
// column's decimals, a time of day in a DATE, or a TIME past the text form's 4 hour digits.
void check_text_of_binary(const my::ColumnType& c, std::uint32_t length, const my::Row& row,
                          std::size_t i, const std::string& text) {
  switch (c.type) {
    case FieldType::kTiny:
    case FieldType::kShort:
    case FieldType::kInt24:
    case FieldType::kLong:
    case FieldType::kLongLong:
      if (c.is_unsigned()) {
        if (const auto v = get<std::uint64_t>(row, i); v) {
          check(decode_text<std::uint64_t>(c, text) == *v);
        }
      } else if (const auto v = get<std::int64_t>(row, i); v) {
        check(decode_text<std::int64_t>(c, text) == *v);
      }
      break;
    case FieldType::kYear:
      if (const auto v = get<my::Year>(row, i); v) {
        const auto t = decode_text<my::Year>(c, text);
        // YEAR(2) shows the last two digits.
        check(t && t->value == (length == 2 ? v->value % 100 : v->value));
      }
      break;
    case FieldType::kFloat:
      // The server's general form of a FLOAT has 6 significant digits; with declared decimals
      // it is rounded to them: only the parse is checked then.
      if (const auto v = get<float>(row, i); v) {
        const std::optional<float> t = decode_text<float>(c, text);
        check(t.has_value());
        if (c.decimals >= 31 && std::isfinite(*v)) {
          check(std::fabs(*t - *v) <=
                std::max(std::fabs(*v) * 1e-5f, std::numeric_limits<float>::denorm_min()));
        }
      }
      break;
    case FieldType::kDouble:
      // Without declared decimals the text is the shortest that reads back exactly, but for
      // the sign of a zero: MariaDB prints -0 as "0" (SELECT -0e0 gives 0), and so does to_text.
      if (const auto v = get<double>(row, i); v) {
        const std::optional<double> t = decode_text<double>(c, text);
        check(t.has_value() && (c.decimals < 31 || same_bits(*t, *v) || (*v == 0 && *t == 0)));
      }
      break;
    case FieldType::kDate:
    case FieldType::kDateTime:
    case FieldType::kTimestamp:
      if (const auto v = get<my::RawDateTime>(row, i); v) {
        const my::RawDateTime r = *v;
        std::uint32_t unit = 1;
        for (unsigned d = c.decimals; d < 6; ++d)
          unit *= 10;
        const bool has_time = r.hour != 0 || r.minute != 0 || r.second != 0 || r.microsecond != 0;
        if (r.microsecond % unit == 0 && !(c.type == FieldType::kDate && has_time)) {
          check(decode_text<my::RawDateTime>(c, text) == r);
        }
      }
      break;
    case FieldType::kTime:
      if (const auto v = get<my::Time>(row, i); v) {
        const std::int64_t us = (*v).count();
        const std::uint64_t abs = us < 0 ? 0 - static_cast<std::uint64_t>(us) : us;
        std::uint64_t unit = 1;
        for (unsigned d = c.decimals; d < 6; ++d)
          unit *= 10;
        if (abs % 1'000'000 % unit == 0 && abs < std::uint64_t{10'000} * 3'600'000'000) {
          check(decode_text<my::Time>(c, text) == *v);
        }
      }
      break;
    default:
      break;
  }
}

void decode_all(const my::Result& result) {
  for (const my::Row row : result) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const my::ColumnType& c = result.columns()[i].type;
      const std::optional<Bytes> raw = row.raw(i);
      if (!raw) {
        check(row.get<std::optional<std::string>>(i) == std::nullopt);
        continue;
      }
      g_sink = get<std::int8_t>(row, i).has_value() + get<std::int16_t>(row, i).has_value() +
               get<std::int32_t>(row, i).has_value() + get<std::int64_t>(row, i).has_value() +
               get<std::uint8_t>(row, i).has_value() + get<std::uint16_t>(row, i).has_value() +
               get<std::uint32_t>(row, i).has_value() + get<std::uint64_t>(row, i).has_value() +
               get<bool>(row, i).has_value() + get<float>(row, i).has_value() +
               get<double>(row, i).has_value() + get<my::Decimal>(row, i).has_value() +
               get<std::string>(row, i).has_value() + get<my::ByteString>(row, i).has_value() +
               get<my::Json>(row, i).has_value() + get<my::Date>(row, i).has_value() +
               get<my::DateTime>(row, i).has_value() + get<my::RawDateTime>(row, i).has_value() +
               get<my::Time>(row, i).has_value() + get<my::Year>(row, i).has_value() +
               get<my::Bit>(row, i).has_value();
      std::string text;
      try {
        text = my::to_text(c, result.format(), *raw, result.columns()[i].column_length);
      } catch (const tern::TypeError&) {
        continue;
      }
      if (result.format() == Format::kText) {
        check(text == tern::protocol::as_chars(*raw));
      } else {
        check_text_of_binary(c, result.columns()[i].column_length, row, i, text);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::size_t n = data[1] % kMaxColumns + 1;
  std::uint64_t caps = my::cap::kProtocol41 | my::cap::kDeprecateEof;
  if ((mode & 1) != 0) {
    caps |= my::cap::kMariadbExtendedTypeInfo;  // with CLIENT_MYSQL clear: MariaDB
  } else {
    caps |= my::cap::kLongPassword;
  }
  auto columns = std::make_shared<std::vector<my::Column>>();
  Bytes stream(reinterpret_cast<const std::byte*>(data + 2), size - 2);
  if ((mode & 0x80) == 0) {
    if (stream.size() < 4 * n) return 0;
    for (std::size_t i = 0; i < n; ++i)
      columns->push_back(column_from_spec(reinterpret_cast<const std::uint8_t*>(&stream[4 * i])));
    stream = stream.subspan(4 * n);
  }

  my::Result text;
  my::Result binary;
  my::RowValues scratch;
  try {
    for (;;) {
      std::size_t used = 0;
      const std::optional<my::Packet> p = my::frame(stream, used);
      if (!p) break;
      stream = stream.subspan(used);
      if (columns->size() < n && (mode & 0x80) != 0) {
        const my::ColumnDefinition def = my::parse_column_definition(p->payload, caps);
        columns->push_back(my::Column::from(def));
        if (columns->size() == n) {
          text.set_columns(columns, Format::kText);
          binary.set_columns(columns, Format::kBinary);
        }
        continue;
      }
      if (text.columns().empty()) {
        text.set_columns(columns, Format::kText);
        binary.set_columns(columns, Format::kBinary);
      }
      try {
        text.add_row(p->payload, scratch);
        check(text.row(text.size() - 1).size() == n);
      } catch (const ProtocolError&) {
      }
      try {
        binary.add_row(p->payload, scratch);
      } catch (const ProtocolError&) {
      }
    }
  } catch (const ProtocolError&) {
    // A bad column definition or packet length: the rows so far are still decoded.
  }
  decode_all(text);
  decode_all(binary);
  return 0;
}
