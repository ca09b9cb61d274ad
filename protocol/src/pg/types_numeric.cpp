// PostgreSQL numeric codec. Binary layout of numeric_send/numeric_recv
// (src/backend/utils/adt/numeric.c): int16 ndigits, int16 weight (of the first digit, in powers
// of 10000), uint16 sign (0x0000 +, 0x4000 -, 0xC000 NaN, 0xD000 +Infinity, 0xF000 -Infinity),
// uint16 dscale (display scale: decimal digits after the point), then ndigits base-10000 digits.
// The decimal text form is get_str_from_var's: integer part, then exactly dscale fraction digits.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

namespace {

using detail::throw_type_error;

constexpr std::uint16_t kPos = 0x0000, kNeg = 0x4000, kNaN = 0xC000, kPinf = 0xD000, kNinf = 0xF000;
constexpr std::uint16_t kDscaleMask = 0x3FFF;
constexpr std::int64_t kMaxWeight = 32767, kMinWeight = -32768;

std::int64_t floor_div4(std::int64_t v) noexcept {
  return v >= 0 ? v / 4 : -((-v + 3) / 4);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

void write_header(ByteWriter& out, std::size_t ndigits, std::int64_t weight, std::uint16_t sign,
                  std::uint16_t dscale) {
  out.i16(static_cast<std::int16_t>(ndigits));
  out.i16(static_cast<std::int16_t>(weight));
  out.be(sign);
  out.be(dscale);
}

[[noreturn]] void bad_text(std::string_view text) {
  throw TypeError("cannot encode numeric: malformed decimal text \"" +
                  std::string(text.substr(0, 60)) + "\"");
}

}  // namespace

bool Type<Numeric>::accepts(Oid type) noexcept {
  return type == oid::kNumeric;
}

void Type<Numeric>::encode(const Numeric& value, ByteWriter& out) {
  std::string_view text = value.value;
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (iequals(text, "nan")) return write_header(out, 0, 0, kNaN, 0);

  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (iequals(s, "infinity") || iequals(s, "inf")) {
    return write_header(out, 0, 0, negative ? kNinf : kPinf, 0);
  }

  // Mantissa digits (without the point) and the count of digits after the point.
  std::string digits;
  std::int64_t frac_len = 0;
  bool seen_point = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      if (seen_point) ++frac_len;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) bad_text(text);
  std::int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i == s.size()) bad_text(text);
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > 1'000'000) throw TypeError("cannot encode numeric: exponent out of range");
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) bad_text(text);

  // value = digits * 10^-scale
  const std::int64_t scale = frac_len - exponent;
  const std::int64_t dscale = std::max<std::int64_t>(scale, 0);
  if (dscale > kDscaleMask) throw TypeError("cannot encode numeric: too many fraction digits");
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    return write_header(out, 0, 0, kPos, static_cast<std::uint16_t>(dscale));
  }
  const std::string_view d = std::string_view(digits).substr(first);
  const auto len = static_cast<std::int64_t>(d.size());
  // Decimal power of the first and the last digit.
  const std::int64_t top = len - scale - 1;
  const std::int64_t bottom = top - len + 1;
  const std::int64_t wmax = floor_div4(top);
  const std::int64_t wmin = floor_div4(bottom);
  if (wmax > kMaxWeight || wmin < kMinWeight) {
    throw TypeError("cannot encode numeric: value out of range");
  }
  static constexpr int kPow10[4] = {1, 10, 100, 1000};
  std::vector<std::int16_t> groups(static_cast<std::size_t>(wmax - wmin + 1), 0);
  for (std::int64_t k = 0; k < len; ++k) {
    const std::int64_t p = top - k;
    const std::int64_t w = floor_div4(p);
    groups[static_cast<std::size_t>(wmax - w)] =
        static_cast<std::int16_t>(groups[static_cast<std::size_t>(wmax - w)] +
                                  (d[static_cast<std::size_t>(k)] - '0') * kPow10[p - 4 * w]);
  }
  while (groups.back() == 0)
    groups.pop_back();  // groups.front() != 0: d starts non-zero
  write_header(out, groups.size(), wmax, negative ? kNeg : kPos,
               static_cast<std::uint16_t>(dscale));
  for (const std::int16_t g : groups)
    out.i16(g);
}

Numeric Type<Numeric>::decode(Oid, Format format, Bytes data) {
  if (format == Format::kText) return Numeric{std::string(protocol::as_chars(data))};
  if (data.size() < 8) throw_type_error("numeric", "binary value shorter than its 8-byte header");
  protocol::ByteReader r(data, "numeric");
  const std::int16_t ndigits = r.i16();
  const std::int16_t weight = r.i16();
  const std::uint16_t sign = r.u16();
  const std::uint16_t dscale = r.u16();
  if (ndigits < 0) throw_type_error("numeric", "negative digit count");
  if (r.remaining() != static_cast<std::size_t>(ndigits) * 2) {
    throw_type_error("numeric", "digit count " + std::to_string(ndigits) + " does not match " +
                                    std::to_string(r.remaining()) + " remaining bytes");
  }
  switch (sign) {
    case kNaN:
      return Numeric{"NaN"};
    case kPinf:
      return Numeric{"Infinity"};
    case kNinf:
      return Numeric{"-Infinity"};
    case kPos:
    case kNeg:
      break;
    default:
      throw_type_error("numeric", "invalid sign field " + std::to_string(sign));
  }
  if ((dscale & ~kDscaleMask) != 0) throw_type_error("numeric", "invalid display scale");
  std::vector<std::int16_t> digits(static_cast<std::size_t>(ndigits));
  for (auto& g : digits) {
    g = r.i16();
    if (g < 0 || g > 9999) throw_type_error("numeric", "digit outside 0..9999");
  }
  const auto digit_at = [&](std::int64_t index) -> int {
    return index >= 0 && index < ndigits ? digits[static_cast<std::size_t>(index)] : 0;
  };

  std::string out;
  if (sign == kNeg) out.push_back('-');
  if (weight < 0) {
    out.push_back('0');
  } else {
    const std::size_t start = out.size();
    for (std::int64_t g = 0; g <= weight; ++g) {
      const int v = digit_at(g);
      const char group[4] = {static_cast<char>('0' + v / 1000),
                             static_cast<char>('0' + v / 100 % 10),
                             static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
      out.append(group, 4);
    }
    const std::size_t nz = out.find_first_not_of('0', start);
    out.erase(start, (nz == std::string::npos ? out.size() - 1 : nz) - start);
  }
  if (dscale > 0) {
    out.push_back('.');
    static constexpr int kDiv[4] = {1000, 100, 10, 1};
    for (std::int64_t i = 0; i < dscale; ++i) {
      const int v = digit_at(weight + 1 + i / 4);
      out.push_back(static_cast<char>('0' + v / kDiv[i % 4] % 10));
    }
  }
  // No "-0.00": the sign goes only with a non-zero shown value (digits past dscale, which a
  // server never sends, do not count).
  if (sign == kNeg && out.find_first_of("123456789") == std::string::npos) out.erase(0, 1);
  return Numeric{std::move(out)};
}

}  // namespace tern::pg
