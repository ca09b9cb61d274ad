// sqlite::Result's building and Row's decoding of SQLite's dynamically typed cells.
#include "tern/protocol/sqlite/result.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tern::sqlite {

namespace {

const char* class_name(StorageClass t) noexcept {
  switch (t) {
    case StorageClass::kInteger:
      return "INTEGER";
    case StorageClass::kReal:
      return "REAL";
    case StorageClass::kText:
      return "TEXT";
    case StorageClass::kBlob:
      return "BLOB";
    case StorageClass::kNull:
      break;
  }
  return "NULL";
}

[[noreturn]] void wrong_class(const char* name, StorageClass t) {
  throw_type_error(name, absl::StrCat("SQLite ", class_name(t), " value"));
}

std::string real_text(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
  return std::string(buf, r.ptr);
}

// ---- ISO-8601 text, as tern writes it and SQLite's date functions read it ----

// A cursor over the text with the digit-field readers the formats need.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  bool done() const noexcept { return i == s.size(); }
  bool eat(char c) noexcept {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  // Exactly `n` digits.
  bool digits(int n, std::int64_t& out) noexcept {
    if (s.size() - i < static_cast<std::size_t>(n)) return false;
    std::int64_t v = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s[i + static_cast<std::size_t>(k)];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += static_cast<std::size_t>(n);
    out = v;
    return true;
  }
  // ".f..." (1 to 9 digits) as microseconds (truncated); absent = 0.
  bool fraction(std::int64_t& micros) noexcept {
    micros = 0;
    if (!eat('.')) return true;
    int n = 0;
    std::int64_t scale = 100'000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < 9) {
      micros += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
      ++n;
    }
    return n > 0;
  }
};

bool parse_date(Cursor& c, Date& out) {
  std::int64_t y = 0, m = 0, d = 0;
  if (!c.digits(4, y) || !c.eat('-') || !c.digits(2, m) || !c.eat('-') || !c.digits(2, d)) {
    return false;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(y)),
                                        std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  out = Date(ymd);
  return true;
}

// HH:MM[:SS[.ffffff]] as microseconds since midnight.
bool parse_clock(Cursor& c, std::int64_t& micros) {
  std::int64_t h = 0, m = 0, s = 0, f = 0;
  if (!c.digits(2, h) || !c.eat(':') || !c.digits(2, m)) return false;
  if (c.eat(':') && (!c.digits(2, s) || !c.fraction(f))) return false;
  if (h > 24 || m > 59 || s > 60) return false;
  micros = ((h * 60 + m) * 60 + s) * 1'000'000 + f;
  return true;
}

// "Z", "+HH:MM", "+HHMM" or "+HH" as seconds east of UTC; absent: nullopt.
bool parse_zone(Cursor& c, std::optional<std::int64_t>& offset) {
  offset.reset();
  if (c.done()) return true;
  if (c.eat('Z') || c.eat('z')) {
    offset = 0;
    return true;
  }
  const bool west = c.s[c.i] == '-';
  if (!c.eat('+') && !c.eat('-')) return false;
  std::int64_t h = 0, m = 0;
  if (!c.digits(2, h)) return false;
  if (c.eat(':')) {
    if (!c.digits(2, m)) return false;
  } else if (!c.done() && !c.digits(2, m)) {
    return false;
  }
  offset = (west ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

// A date with an optional time ("YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone]"): the local date-time
// and the zone offset when one was written.
bool parse_datetime(std::string_view text, DateTime& local, std::optional<std::int64_t>& offset) {
  Cursor c{text};
  Date day;
  if (!parse_date(c, day)) return false;
  std::int64_t micros = 0;
  if (c.eat(' ') || c.eat('T')) {
    if (!parse_clock(c, micros)) return false;
  }
  if (!parse_zone(c, offset) || !c.done()) return false;
  local = DateTime(std::chrono::microseconds(
      std::chrono::duration_cast<std::chrono::microseconds>(day.time_since_epoch()).count() +
      micros));
  return true;
}

void append_2(std::string& out, std::int64_t v) {
  out += static_cast<char>('0' + v / 10);
  out += static_cast<char>('0' + v % 10);
}

void append_micros(std::string& out, std::int64_t micros) {
  if (micros == 0) return;
  char buf[24];
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
  out += buf;
}

}  // namespace

// ---- Result ----

void Result::reset(std::vector<Column> columns) {
  columns_ = std::move(columns);
  cells_.clear();
  bytes_.clear();
  rows_ = 0;
  changes_ = 0;
  last_insert_rowid_ = 0;
}

void Result::add_bytes(StorageClass type, const void* data, std::size_t n) {
  if (bytes_.size() + n > UINT32_MAX) throw InterfaceError("SQLite result over 4 GiB of text");
  const auto offset = static_cast<std::uint32_t>(bytes_.size());
  if (n != 0) bytes_.append(static_cast<const char*>(data), n);
  cells_.push_back({.type = type, .offset = offset, .length = static_cast<std::uint32_t>(n)});
}

Row Result::row(std::size_t i) const {
  if (i >= rows_) {
    throw InterfaceError(absl::StrCat("row ", i, " out of range (", rows_, " rows)"));
  }
  return Row(this, i);
}

// ---- Row ----

std::optional<Cell> Row::raw(std::size_t i) const {
  const std::size_t n = result_->columns_.size();
  if (i >= n) throw InterfaceError(absl::StrCat("column ", i, " out of range (", n, " columns)"));
  const Cell& c = result_->cells_[index_ * n + i];
  if (c.type == StorageClass::kNull) return std::nullopt;
  return c;
}

std::string_view Row::bytes(const Cell& c) const noexcept {
  return std::string_view(result_->bytes_).substr(c.offset, c.length);
}

std::int64_t Row::as_integer(const Cell& c, std::int64_t min, std::int64_t max,
                             const char* name) const {
  std::int64_t v = 0;
  if (c.type == StorageClass::kInteger) {
    v = c.integer;
  } else if (c.type == StorageClass::kReal && std::trunc(c.real) == c.real &&
             c.real >= -9.2233720368547758e18 && c.real < 9.2233720368547758e18) {
    v = static_cast<std::int64_t>(c.real);  // an integral REAL (SUM, AVG of integers...)
  } else {
    wrong_class(name, c.type);
  }
  if (v < min || v > max) throw_type_error(name, absl::StrCat(v, " out of range"));
  return v;
}

double Row::as_double(const Cell& c) const {
  if (c.type == StorageClass::kReal) return c.real;
  if (c.type == StorageClass::kInteger) return static_cast<double>(c.integer);
  wrong_class("double", c.type);
}

std::string Row::as_string(const Cell& c) const {
  switch (c.type) {
    case StorageClass::kInteger:
      return absl::StrCat(c.integer);
    case StorageClass::kReal:
      return real_text(c.real);
    default:
      return std::string(bytes(c));  // TEXT, or a BLOB's bytes
  }
}

std::string Row::as_text(const Cell& c, const char* name) const {
  if (c.type != StorageClass::kText) wrong_class(name, c.type);
  return std::string(bytes(c));
}

ByteString Row::as_bytes(const Cell& c) const {
  if (c.type != StorageClass::kBlob && c.type != StorageClass::kText) wrong_class("bytes", c.type);
  const std::string_view b = bytes(c);
  const auto* p = reinterpret_cast<const std::byte*>(b.data());
  return ByteString(p, p + b.size());
}

Decimal Row::as_decimal(const Cell& c) const {
  if (c.type == StorageClass::kBlob) wrong_class("decimal", c.type);
  // SQLite has no exact decimal: a NUMERIC column keeps what fits as INTEGER or REAL.
  return Decimal{as_string(c)};
}

Date Row::as_date(const Cell& c) const {
  const std::string text = as_text(c, "date");
  Cursor cur{text};
  Date d;
  if (!parse_date(cur, d) || !cur.done()) throw_type_error("date", "not YYYY-MM-DD: " + text);
  return d;
}

DateTime Row::as_datetime(const Cell& c) const {
  if (c.type == StorageClass::kInteger) {  // Unix seconds (strftime('%s'), unixepoch())
    return DateTime(std::chrono::seconds(c.integer));
  }
  const std::string text = as_text(c, "datetime");
  DateTime t;
  std::optional<std::int64_t> offset;
  if (!parse_datetime(text, t, offset) || offset) {
    throw_type_error("datetime", "not YYYY-MM-DD HH:MM:SS[.ffffff]: " + text);
  }
  return t;
}

TimeOfDay Row::as_time(const Cell& c) const {
  const std::string text = as_text(c, "time");
  Cursor cur{text};
  std::int64_t micros = 0;
  if (!parse_clock(cur, micros) || !cur.done()) {
    throw_type_error("time", "not HH:MM:SS[.ffffff]: " + text);
  }
  return TimeOfDay(micros);
}

Instant Row::as_instant(const Cell& c) const {
  if (c.type == StorageClass::kInteger) return Instant(std::chrono::seconds(c.integer));
  const std::string text = as_text(c, "instant");
  DateTime t;
  std::optional<std::int64_t> offset;
  if (!parse_datetime(text, t, offset)) {
    throw_type_error("instant", "not YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]: " + text);
  }
  // Without a zone the text is UTC, as tern writes it.
  return Instant(t.time_since_epoch() - std::chrono::seconds(offset.value_or(0)));
}

Uuid Row::as_uuid(const Cell& c) const {
  if (c.type == StorageClass::kBlob && c.length == 16) {
    Uuid u;
    std::memcpy(u.bytes.data(), bytes(c).data(), 16);
    return u;
  }
  return Uuid::parse(as_text(c, "uuid"));
}

// ---- text of the date/time values bound as parameters ----

void append_date(std::string& out, Date d) {
  const std::chrono::year_month_day ymd(d);
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) throw_type_error("date", "SQLite's date text holds years 0000 to 9999");
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  out += buf;
}

void append_datetime(std::string& out, DateTime t) {
  const auto day = std::chrono::floor<std::chrono::days>(t.time_since_epoch());
  append_date(out, Date(day));
  const std::int64_t micros = (t.time_since_epoch() - day).count();
  out += ' ';
  append_time(out, TimeOfDay(micros));
}

void append_time(std::string& out, TimeOfDay t) {
  std::int64_t micros = t.count();
  if (micros < 0) {
    out += '-';
    micros = -micros;
  }
  const std::int64_t seconds = micros / 1'000'000;
  const std::int64_t hours = seconds / 3600;
  if (hours < 100) {
    append_2(out, hours);
  } else {
    absl::StrAppend(&out, hours);
  }
  out += ':';
  append_2(out, seconds / 60 % 60);
  out += ':';
  append_2(out, seconds % 60);
  append_micros(out, micros % 1'000'000);
}

}  // namespace tern::sqlite
