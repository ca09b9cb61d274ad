// PostgreSQL type codecs: C++ value <-> wire bytes, in text and binary format.
// Binary layouts follow the server's *send/*recv functions (src/backend/utils/adt/*.c);
// text layouts assume the session settings the connection sets at startup: DateStyle=ISO,
// IntervalStyle=iso_8601, client_encoding=UTF8, extra_float_digits=3.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "tern/protocol/bytes.hpp"

namespace tern::pg {

using protocol::Bytes;
using protocol::ByteWriter;

/// A PostgreSQL type OID.
using Oid = std::uint32_t;

/// OIDs of the built-in types tern maps (pg_type.dat).
namespace oid {
inline constexpr Oid kUnknown = 0, kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20,
                     kInt2 = 21, kInt4 = 23, kText = 25, kOid = 26, kJson = 114, kFloat4 = 700,
                     kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTime = 1083,
                     kTimestamp = 1114, kTimestamptz = 1184, kInterval = 1186, kNumeric = 1700,
                     kUuid = 2950, kJsonb = 3802;
// Their one-dimensional array types.
inline constexpr Oid kBoolArray = 1000, kByteaArray = 1001, kCharArray = 1002, kNameArray = 1003,
                     kInt2Array = 1005, kInt4Array = 1007, kTextArray = 1009, kOidArray = 1028,
                     kBpcharArray = 1014, kVarcharArray = 1015, kInt8Array = 1016,
                     kFloat4Array = 1021, kFloat8Array = 1022, kJsonArray = 199, kDateArray = 1182,
                     kTimeArray = 1183, kTimestampArray = 1115, kTimestamptzArray = 1185,
                     kIntervalArray = 1187, kNumericArray = 1231, kUuidArray = 2951,
                     kJsonbArray = 3807;
}  // namespace oid

/// Wire format of a parameter or result column.
enum class Format : std::int16_t { kText = 0, kBinary = 1 };

/// A value the server sent cannot be decoded as the requested C++ type: wrong type, out of
/// range, or malformed content.
class TypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// numeric, exactly, as its decimal text ("-12.3400", "NaN", "Infinity", "-Infinity").
struct Numeric {
  std::string value;
  friend bool operator==(const Numeric&, const Numeric&) = default;
};

/// json: the document's text.
struct Json {
  std::string text;
  friend bool operator==(const Json&, const Json&) = default;
};

/// jsonb: the document's text (the binary format is a version byte + text).
struct Jsonb {
  std::string text;
  friend bool operator==(const Jsonb&, const Jsonb&) = default;
};

/// bytea.
using ByteString = std::vector<std::byte>;

/// uuid, as its 16 bytes.
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  /// Parses "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (hyphens optional, braces allowed);
  /// throws TypeError.
  static Uuid parse(std::string_view text);
  /// The canonical lower-case hyphenated form.
  std::string to_string() const;
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

/// date: days since the Unix epoch. PostgreSQL's 'infinity' / '-infinity' map to
/// Date::max() / Date::min().
using Date = std::chrono::sys_days;
/// time (without time zone): time of day since midnight, microsecond precision.
using Time = std::chrono::microseconds;
/// timestamp (without time zone): a local date-time, microseconds. Infinities map to max()/min().
using Timestamp = std::chrono::local_time<std::chrono::microseconds>;
/// timestamptz: an instant in UTC, microseconds. Infinities map to max()/min().
using Timestamptz = std::chrono::sys_time<std::chrono::microseconds>;

/// interval: PostgreSQL keeps months, days and microseconds apart.
struct Interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t microseconds = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

/// The codec of one C++ type. Specialised for: bool, std::int16_t, std::int32_t, std::int64_t,
/// float, double, Numeric, std::string (text, varchar, bpchar, name, char; also decodes json),
/// ByteString, Date, Time, Timestamp, Timestamptz, Interval, Uuid, Json, Jsonb, Oid (as the
/// wrapper `OidValue`), and std::vector<T> / std::vector<std::optional<T>> of those
/// (one-dimensional arrays; NULL elements need the optional form).
///
/// Each specialisation provides:
///   static constexpr Oid kOid;            // the OID a parameter of this type is sent as
///   static constexpr Format kFormat;      // the format a parameter is sent in
///   static bool accepts(Oid);             // result columns it can decode (e.g. int8 reads int2/4)
///   static void encode(const T&, ByteWriter&);    // parameter body, in kFormat, no length
///   static T decode(Oid, Format, Bytes);          // a non-NULL column value; throws TypeError
template <class T>
struct Type;

/// oid values, kept apart from std::uint32_t so that an integer is never sent as an oid.
struct OidValue {
  Oid value = 0;
  friend bool operator==(const OidValue&, const OidValue&) = default;
};

/// True when T has a codec.
template <class T>
concept PgValue = requires {
  Type<T>::kOid;
};

/// Appends a Bind parameter: int32 length (-1 for NULL) and the encoded body.
template <class T>
void encode_param(const T& value, ByteWriter& out) {
  const std::size_t at = out.size();
  out.i32(0);
  Type<T>::encode(value, out);
  out.patch_be32(at, static_cast<std::uint32_t>(out.size() - at - 4));
}
template <class T>
void encode_param(const std::optional<T>& value, ByteWriter& out) {
  if (value) {
    encode_param(*value, out);
  } else {
    out.i32(-1);
  }
}

namespace detail {
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;
[[noreturn]] void throw_null_value(Oid type);
[[noreturn]] void throw_type_mismatch(Oid type, const char* cxx_type);
}  // namespace detail

/// Decodes a column value; `value` is empty for SQL NULL, which only std::optional accepts.
template <class T>
T decode_value(Oid type, Format format, std::optional<Bytes> value) {
  if constexpr (detail::kIsOptional<T>) {
    if (!value) return std::nullopt;
    return decode_value<typename T::value_type>(type, format, value);
  } else {
    if (!value) detail::throw_null_value(type);
    if (!Type<T>::accepts(type)) detail::throw_type_mismatch(type, typeid(T).name());
    return Type<T>::decode(type, format, *value);
  }
}

// ---- codecs (declarations; definitions in protocol/src/pg/types*.cpp) ----

}  // namespace tern::pg
