#include "tern/protocol/mysql/text.hpp"

#include <charconv>
#include <cstdio>

namespace tern::mysql {

namespace {

template <class Number>
void append_number(std::string& out, Number v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// ".ffffff" cut to the column's fractional-second precision (0..6).
void append_fraction(std::string& out, std::uint32_t micros, std::uint8_t decimals) {
  if (decimals == 0) return;
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06u", micros);
  out.append(buf, 1 + std::min<std::size_t>(decimals, 6));
}

}  // namespace

std::string to_text(const ColumnType& column, Format format, Bytes value) {
  if (format == Format::kText) return std::string(protocol::as_chars(value));
  std::string out;
  switch (column.type) {
    case FieldType::kTiny:
    case FieldType::kShort:
    case FieldType::kInt24:
    case FieldType::kLong:
    case FieldType::kLongLong:
      if (column.is_unsigned()) {
        append_number(out, Type<std::uint64_t>::decode(column, format, value));
      } else {
        append_number(out, Type<std::int64_t>::decode(column, format, value));
      }
      return out;
    case FieldType::kYear: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04u", Type<Year>::decode(column, format, value).value);
      return buf;
    }
    case FieldType::kFloat:
      append_number(out, Type<float>::decode(column, format, value));
      return out;
    case FieldType::kDouble:
      append_number(out, Type<double>::decode(column, format, value));
      return out;
    case FieldType::kDate:
    case FieldType::kDateTime:
    case FieldType::kTimestamp: {
      const RawDateTime t = Type<RawDateTime>::decode(column, format, value);
      char buf[40];
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", t.year, t.month, t.day);
      out = buf;
      if (column.type != FieldType::kDate) {
        std::snprintf(buf, sizeof buf, " %02u:%02u:%02u", t.hour, t.minute, t.second);
        out += buf;
        append_fraction(out, t.microsecond, column.decimals);
      }
      return out;
    }
    case FieldType::kTime: {
      const std::int64_t us = Type<Time>::decode(column, format, value).count();
      const std::uint64_t abs =
          us < 0 ? static_cast<std::uint64_t>(-us) : static_cast<std::uint64_t>(us);
      const std::uint64_t seconds = abs / 1'000'000;
      char buf[40];
      std::snprintf(buf, sizeof buf, "%s%02llu:%02llu:%02llu", us < 0 ? "-" : "",
                    static_cast<unsigned long long>(seconds / 3600),
                    static_cast<unsigned long long>(seconds / 60 % 60),
                    static_cast<unsigned long long>(seconds % 60));
      out = buf;
      append_fraction(out, static_cast<std::uint32_t>(abs % 1'000'000), column.decimals);
      return out;
    }
    default:  // DECIMAL, strings, BLOBs, JSON, ENUM, SET, BIT: the same bytes in both protocols
      return std::string(protocol::as_chars(value));
  }
}

}  // namespace tern::mysql
