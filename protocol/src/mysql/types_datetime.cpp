// MySQL type codecs for DATE, DATETIME, TIMESTAMP and TIME, in text ("YYYY-MM-DD HH:MM:SS.ffffff",
// "[-]HHH:MM:SS.ffffff") and binary (length-prefixed fields) form.
// MariaDB: https://mariadb.com/kb/en/resultset-row/#binary-resultset-row (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
//        (ProtocolBinary::MYSQL_TYPE_DATETIME / MYSQL_TYPE_TIME, in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include <limits>

#include "tern/protocol/mysql/types.hpp"
#include "types_internal.hpp"

namespace tern::mysql {

using protocol::as_chars;
using namespace std::chrono;

namespace {

using detail::load_le;
using detail::throw_type_error;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
constexpr std::uint32_t kMaxTimeDays = 100'000;  // far beyond ±838:59:59, no overflow

bool is_datetime_column(const ColumnType& c) noexcept {
  return c.type == FieldType::kDateTime || c.type == FieldType::kTimestamp ||
         c.type == FieldType::kDate;
}

// Reads `n` decimal digits at `pos`; false when they are not all digits or run past the end.
bool digits(std::string_view s, std::size_t pos, std::size_t n, std::uint32_t& out) noexcept {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<std::uint32_t>(s[i] - '0');
  }
  return true;
}

// ".f" .. ".ffffff" at `pos` to the end: microseconds.
bool fraction(std::string_view s, std::size_t pos, std::uint32_t& micros) noexcept {
  micros = 0;
  if (pos == s.size()) return true;
  const std::size_t n = s.size() - pos - 1;
  if (s[pos] != '.' || n == 0 || n > 6 || !digits(s, pos + 1, n, micros)) return false;
  for (std::size_t i = n; i < 6; ++i)
    micros *= 10;
  return true;
}

[[noreturn]] void malformed(const char* name, std::string_view text) {
  throw_type_error(name, "malformed text \"" + std::string(text.substr(0, 40)) + "\"");
}

void check_ranges(const char* name, const RawDateTime& r) {
  // (Years stop at 9999 as in the servers; a binary year field could say 65535.)
  if (r.year > 9999 || r.month > 12 || r.day > 31 || r.hour > 23 || r.minute > 59 ||
      r.second > 59 || r.microsecond >= kMicrosPerSecond) {
    throw_type_error(name, "field out of range");
  }
}

RawDateTime decode_raw(const ColumnType& column, Format format, Bytes data) {
  const char* name = field_type_name(column.type);
  RawDateTime r;
  if (format == Format::kText) {
    const std::string_view s = as_chars(data);
    std::uint32_t y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, us = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d)) {
      malformed(name, s);
    }
    if (s.size() > 10) {
      if (s.size() < 19 || s[10] != ' ' || !digits(s, 11, 2, h) || s[13] != ':' ||
          !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se) || !fraction(s, 19, us)) {
        malformed(name, s);
      }
    }
    r = RawDateTime{static_cast<std::uint16_t>(y),
                    static_cast<std::uint8_t>(mo),
                    static_cast<std::uint8_t>(d),
                    static_cast<std::uint8_t>(h),
                    static_cast<std::uint8_t>(mi),
                    static_cast<std::uint8_t>(se),
                    us};
  } else {
    const std::size_t n = data.size();
    if (n != 0 && n != 4 && n != 7 && n != 11) {
      throw_type_error(name, "binary value has " + std::to_string(n) + " bytes");
    }
    auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>(data[i]); };
    if (n >= 4) {
      r.year = static_cast<std::uint16_t>(load_le(data.first(2)));
      r.month = byte(2);
      r.day = byte(3);
    }
    if (n >= 7) {
      r.hour = byte(4);
      r.minute = byte(5);
      r.second = byte(6);
    }
    if (n == 11) r.microsecond = static_cast<std::uint32_t>(load_le(data.subspan(7, 4)));
  }
  check_ranges(name, r);
  return r;
}

year_month_day calendar_date(const char* name, const RawDateTime& r) {
  if (r.year == 0 && r.month == 0 && r.day == 0) {
    throw_type_error(name, "zero date '0000-00-00' (read it as RawDateTime)");
  }
  const year_month_day ymd{year{r.year}, month{r.month}, day{r.day}};
  if (!ymd.ok()) {
    throw_type_error(name, "invalid date " + std::to_string(r.year) + "-" +
                               std::to_string(r.month) + "-" + std::to_string(r.day) +
                               " (read it as RawDateTime)");
  }
  return ymd;
}

year_month_day encodable_date(const char* name, sys_days d) {
  const year_month_day ymd{d};
  if (static_cast<int>(ymd.year()) < 0 || static_cast<int>(ymd.year()) > 9999) {
    throw TypeError(std::string("cannot encode ") + name + " parameter: year " +
                    std::to_string(static_cast<int>(ymd.year())) + " is outside 0..9999");
  }
  return ymd;
}

void put_date(ByteWriter& out, const year_month_day& ymd) {
  out.le(static_cast<std::uint16_t>(static_cast<int>(ymd.year())));
  out.u8(static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month())));
  out.u8(static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day())));
}

}  // namespace

bool RawDateTime::is_zero() const noexcept {
  return year == 0 && month == 0 && day == 0 && hour == 0 && minute == 0 && second == 0 &&
         microsecond == 0;
}

// ---- DATE ----

bool Type<Date>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kDate;
}

void Type<Date>::encode(const Date& value, ByteWriter& out) {
  const year_month_day ymd = encodable_date("DATE", value);
  out.u8(4);
  put_date(out, ymd);
}

Date Type<Date>::decode(const ColumnType& column, Format format, Bytes data) {
  const RawDateTime r = decode_raw(column, format, data);
  if (r.hour != 0 || r.minute != 0 || r.second != 0 || r.microsecond != 0) {
    throw_type_error("DATE", "value has a time of day");
  }
  return sys_days{calendar_date("DATE", r)};
}

// ---- DATETIME / TIMESTAMP ----

bool Type<DateTime>::accepts(const ColumnType& column) noexcept {
  return is_datetime_column(column);
}

void Type<DateTime>::encode(const DateTime& value, ByteWriter& out) {
  const auto day_start = floor<days>(value);
  const year_month_day ymd = encodable_date("DATETIME", sys_days{day_start.time_since_epoch()});
  const std::int64_t tod = (value - day_start).count();  // 0 .. one day
  const auto secs = tod / kMicrosPerSecond;
  const auto micros = static_cast<std::uint32_t>(tod % kMicrosPerSecond);
  const std::uint8_t len = micros != 0 ? 11 : secs != 0 ? 7 : 4;
  out.u8(len);
  put_date(out, ymd);
  if (len >= 7) {
    out.u8(static_cast<std::uint8_t>(secs / 3600));
    out.u8(static_cast<std::uint8_t>(secs / 60 % 60));
    out.u8(static_cast<std::uint8_t>(secs % 60));
  }
  if (len == 11) out.le(micros);
}

DateTime Type<DateTime>::decode(const ColumnType& column, Format format, Bytes data) {
  const char* name = field_type_name(column.type);
  const RawDateTime r = decode_raw(column, format, data);
  const local_days d{calendar_date(name, r)};
  return DateTime{d} + hours{r.hour} + minutes{r.minute} + seconds{r.second} +
         microseconds{r.microsecond};
}

// ---- RawDateTime ----

bool Type<RawDateTime>::accepts(const ColumnType& column) noexcept {
  return is_datetime_column(column);
}

void Type<RawDateTime>::encode(const RawDateTime& value, ByteWriter& out) {
  if (value.year > 9999 || value.month > 12 || value.day > 31 || value.hour > 23 ||
      value.minute > 59 || value.second > 59 || value.microsecond >= kMicrosPerSecond) {
    throw TypeError("cannot encode DATETIME parameter: field out of range");
  }
  if (value.is_zero()) {
    out.u8(0);
    return;
  }
  out.u8(11);
  out.le(value.year);
  out.u8(value.month);
  out.u8(value.day);
  out.u8(value.hour);
  out.u8(value.minute);
  out.u8(value.second);
  out.le(value.microsecond);
}

RawDateTime Type<RawDateTime>::decode(const ColumnType& column, Format format, Bytes data) {
  return decode_raw(column, format, data);
}

// ---- TIME ----

bool Type<Time>::accepts(const ColumnType& column) noexcept {
  return column.type == FieldType::kTime;
}

void Type<Time>::encode(const Time& value, ByteWriter& out) {
  if (value == Time::min()) throw TypeError("cannot encode TIME parameter: out of range");
  const bool negative = value.count() < 0;
  const std::int64_t total = negative ? -value.count() : value.count();
  const auto days_part = static_cast<std::uint32_t>(total / kMicrosPerDay);
  const std::int64_t in_day = total % kMicrosPerDay;
  const std::int64_t secs = in_day / kMicrosPerSecond;
  const auto micros = static_cast<std::uint32_t>(in_day % kMicrosPerSecond);
  if (total == 0) {
    out.u8(0);
    return;
  }
  out.u8(micros != 0 ? 12 : 8);
  out.u8(negative ? 1 : 0);
  out.le(days_part);
  out.u8(static_cast<std::uint8_t>(secs / 3600));
  out.u8(static_cast<std::uint8_t>(secs / 60 % 60));
  out.u8(static_cast<std::uint8_t>(secs % 60));
  if (micros != 0) out.le(micros);
}

Time Type<Time>::decode(const ColumnType& /*column*/, Format format, Bytes data) {
  if (format == Format::kText) {
    const std::string_view s = as_chars(data);
    std::size_t pos = 0;
    const bool negative = !s.empty() && s[0] == '-';
    if (negative) ++pos;
    std::size_t hour_digits = 0;
    while (pos + hour_digits < s.size() && s[pos + hour_digits] != ':')
      ++hour_digits;
    std::uint32_t h = 0, m = 0, sec = 0, us = 0;
    if (hour_digits < 1 || hour_digits > 4 || !digits(s, pos, hour_digits, h)) malformed("TIME", s);
    pos += hour_digits;
    if (s.size() < pos + 6 || s[pos] != ':' || !digits(s, pos + 1, 2, m) || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, sec) || !fraction(s, pos + 6, us) || m > 59 || sec > 59) {
      malformed("TIME", s);
    }
    const std::int64_t total =
        ((static_cast<std::int64_t>(h) * 60 + m) * 60 + sec) * kMicrosPerSecond + us;
    return Time{negative ? -total : total};
  }
  const std::size_t n = data.size();
  if (n == 0) return Time{0};
  if (n != 8 && n != 12) {
    throw_type_error("TIME", "binary value has " + std::to_string(n) + " bytes");
  }
  auto byte = [&](std::size_t i) { return std::to_integer<std::uint8_t>(data[i]); };
  const std::uint8_t negative = byte(0);
  const auto days_part = static_cast<std::uint32_t>(load_le(data.subspan(1, 4)));
  const std::uint8_t h = byte(5), m = byte(6), sec = byte(7);
  const std::uint32_t us = n == 12 ? static_cast<std::uint32_t>(load_le(data.subspan(8, 4))) : 0;
  if (negative > 1 || days_part > kMaxTimeDays || h > 23 || m > 59 || sec > 59 ||
      us >= kMicrosPerSecond) {
    throw_type_error("TIME", "field out of range");
  }
  const std::int64_t total =
      days_part * kMicrosPerDay + ((h * 60LL + m) * 60 + sec) * kMicrosPerSecond + us;
  return Time{negative != 0 ? -total : total};
}

}  // namespace tern::mysql
