// PostgreSQL type codecs: C++ value <-> wire bytes, in text and binary format.
// Binary layouts follow the server's *send/*recv functions (src/backend/utils/adt/*.c);
// text layouts are the output functions' with client_encoding=UTF8; dates, times and intervals
// follow the session's DateStyle, TimeZone and IntervalStyle (TextSettings), which a Result
// passes to the decoders.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/timestamp.hpp"
#include "tern/protocol/values.hpp"

namespace tern::pg {

using protocol::Bytes;
using protocol::ByteWriter;

/// A PostgreSQL type OID.
using Oid = std::uint32_t;

/// OIDs of the built-in types tern maps (pg_type.dat).
namespace oid {
inline constexpr Oid kUnknown = 0,  ///< unknown: the server infers the type
    kBool = 16,                     ///< boolean
    kBytea = 17,                    ///< bytea
    kChar = 18,                     ///< "char" (one byte)
    kName = 19,                     ///< name
    kInt8 = 20,                     ///< bigint (int8)
    kInt2 = 21,                     ///< smallint (int2)
    kInt4 = 23,                     ///< integer (int4)
    kText = 25,                     ///< text
    kOid = 26,                      ///< oid
    kJson = 114,                    ///< json
    kFloat4 = 700,                  ///< real (float4)
    kFloat8 = 701,                  ///< double precision (float8)
    kBpchar = 1042,                 ///< character(n) (bpchar)
    kVarchar = 1043,                ///< character varying (varchar)
    kDate = 1082,                   ///< date
    kTime = 1083,                   ///< time without time zone
    kTimestamp = 1114,              ///< timestamp without time zone
    kTimestamptz = 1184,            ///< timestamp with time zone
    kInterval = 1186,               ///< interval
    kNumeric = 1700,                ///< numeric
    kUuid = 2950,                   ///< uuid
    kJsonb = 3802;                  ///< jsonb
/// The first OID the server gives to objects users create (FirstNormalObjectId): enum,
/// composite and extension types are at or above it, built-in types below.
inline constexpr Oid kFirstNormalObjectId = 16384;
// Their one-dimensional array types.
inline constexpr Oid kBoolArray = 1000,  ///< boolean[]
    kByteaArray = 1001,                  ///< bytea[]
    kCharArray = 1002,                   ///< "char"[]
    kNameArray = 1003,                   ///< name[]
    kInt2Array = 1005,                   ///< smallint[]
    kInt4Array = 1007,                   ///< integer[]
    kTextArray = 1009,                   ///< text[]
    kOidArray = 1028,                    ///< oid[]
    kBpcharArray = 1014,                 ///< character(n) (bpchar)[]
    kVarcharArray = 1015,                ///< character varying[]
    kInt8Array = 1016,                   ///< bigint[]
    kFloat4Array = 1021,                 ///< real[]
    kFloat8Array = 1022,                 ///< double precision[]
    kJsonArray = 199,                    ///< json[]
    kDateArray = 1182,                   ///< date[]
    kTimeArray = 1183,                   ///< time without time zone[]
    kTimestampArray = 1115,              ///< timestamp without time zone[]
    kTimestamptzArray = 1185,            ///< timestamp with time zone[]
    kIntervalArray = 1187,               ///< interval[]
    kNumericArray = 1231,                ///< numeric[]
    kUuidArray = 2951,                   ///< uuid[]
    kJsonbArray = 3807;                  ///< jsonb[]
}  // namespace oid

/// The session settings text output follows (text_settings.hpp).
struct TextSettings;

/// Wire format of a parameter or result column.
enum class Format : std::int16_t { kText = 0, kBinary = 1 };

// The shared value types (tern/protocol/values.hpp), under the names PostgreSQL gives them.
using tern::ByteString;  ///< bytea
using tern::Date;        ///< date; 'infinity' / '-infinity' map to Date::max() / Date::min()
using tern::EnumLabel;   ///< a label of a user-defined enum type
using tern::Interval;    ///< interval
using tern::Json;        ///< json
using tern::Jsonb;       ///< jsonb
using tern::Uuid;        ///< uuid
/// numeric, exactly, as its decimal text ("-12.3400", "NaN", "Infinity", "-Infinity").
using Numeric = Decimal;
/// time (without time zone): time of day since midnight, microsecond precision.
using Time = TimeOfDay;
/// timestamp (without time zone): a local date-time, microseconds. Infinities map to max()/min().
/// Ends at 294247-01-10: read later values as WideTimestamp (timestamp.hpp).
using Timestamp = DateTime;
/// timestamptz: an instant in UTC, microseconds. Infinities map to max()/min(). Ends at
/// 294247-01-10: read later values as WideTimestamptz (timestamp.hpp).
using Timestamptz = Instant;

/// The codec of one C++ type. Specialised for: bool, std::int16_t, std::int32_t, std::int64_t,
/// float, double, Numeric, std::string (text, varchar, bpchar, name, char; also decodes json),
/// ByteString, Date, Time, Timestamp, Timestamptz, WideTimestamp, WideTimestamptz, Interval, Uuid,
/// Json, Jsonb, Oid (as the wrapper `OidValue`), std::vector<T> / std::vector<std::optional<T>> of
/// those (one-dimensional arrays; NULL elements need the optional form), and pg::Array<T> /
/// pg::Array<std::optional<T>> (any dimensions, with their lower bounds).
///
/// Each specialisation provides:
///   static constexpr Oid kOid;            // the OID a parameter of this type is sent as
///   static constexpr Format kFormat;      // the format a parameter is sent in
///   static bool accepts(Oid);             // result columns it can decode (e.g. int8 reads int2/4)
///   static void encode(const T&, ByteWriter&);    // parameter body, in kFormat, no length
///                                                 // (small scalars take T by value)
///   static T decode(Oid, Format, Bytes);          // a non-NULL column value; throws TypeError
/// Types whose text form depends on the session's settings (date, timestamp, timestamptz,
/// interval and their arrays) also have
///   static T decode(Oid, Format, Bytes, const TextSettings&);   // text in those settings
/// which decode_value calls when it is given the settings (a Result carries its connection's);
/// the three-argument form reads text with the defaults (DateStyle=ISO, MDY; TimeZone=UTC).
///   static constexpr Oid kArrayOid;       // scalars only: the OID of T's array type
template <class T>
struct Type;

/// oid values, kept apart from std::uint32_t so that an integer is never sent as an oid.
struct OidValue {
  Oid value = 0;                                                       ///< the oid
  friend bool operator==(const OidValue&, const OidValue&) = default;  ///< Member-wise equality.
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
/// As above; an empty optional is NULL (length -1).
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
/// Throws TypeError: SQL NULL read into a non-optional type.
[[noreturn]] void throw_null_value(Oid type);
/// Throws TypeError: a column of `type` cannot be read as `cxx_type` (a typeid name).
[[noreturn]] void throw_type_mismatch(Oid type, const char* cxx_type);
/// Throws TypeError("cannot decode <type_name> value: <why>"): tern::throw_type_error.
using tern::throw_type_error;
/// The SQL name of a built-in type OID ("int4", "text[]"), or "oid <n>" for others.
std::string oid_name(Oid type);

/// T's codec reads text by the session's settings (see Type).
template <class T>
concept DecodesBySettings = requires(Oid o, Format f, Bytes b, const TextSettings& s) {
  Type<T>::decode(o, f, b, s);
};
/// Decodes a non-NULL value by T's codec, with the session's settings when T's text depends
/// on them and they are known.
template <class T>
T decode_with(Oid type, Format format, Bytes value, const TextSettings* settings) {
  if constexpr (DecodesBySettings<T>) {
    if (settings != nullptr) return Type<T>::decode(type, format, value, *settings);
  }
  return Type<T>::decode(type, format, value);
}
}  // namespace detail

/// Decodes a column value; `value` is empty for SQL NULL, which only std::optional accepts.
/// `settings` are the session's (DateStyle, IntervalStyle, TimeZone) for text-format dates,
/// timestamps and intervals; without them such text is read in the connection's defaults.
template <class T>
T decode_value(Oid type, Format format, std::optional<Bytes> value,
               const TextSettings* settings = nullptr) {
  if constexpr (detail::kIsOptional<T>) {
    if (!value) return std::nullopt;
    return decode_value<typename T::value_type>(type, format, value, settings);
  } else {
    if (!value) detail::throw_null_value(type);
    if (!Type<T>::accepts(type)) detail::throw_type_mismatch(type, typeid(T).name());
    return detail::decode_with<T>(type, format, *value, settings);
  }
}

// ---- codecs (declarations; definitions in protocol/src/pg/types*.cpp) ----
//
// Every scalar specialisation also has `kArrayOid`, the OID of its one-dimensional array type,
// which makes std::vector<T> and std::vector<std::optional<T>> codecs available.
//
// Parameters are all sent in binary. Numeric is sent in binary too (converted from its decimal
// text, which is validated): the text format would work for a scalar, but an array parameter's
// elements must all be in the array's format, so numeric[] needs the binary element encoding.
// std::string is sent as text (not unknown): with an unknown OID the server would infer a type
// and then read our bytes with that type's binary receive function.

/// bool. Text "t"/"f"; binary one byte 0/1.
template <>
struct Type<bool> {
  static constexpr Oid kOid = oid::kBool;             ///< sent as bool
  static constexpr Oid kArrayOid = oid::kBoolArray;   ///< bool[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads bool.
  static bool accepts(Oid type) noexcept;
  /// One byte, 1 or 0.
  static void encode(bool value, ByteWriter& out);
  /// Decodes a bool value; throws TypeError.
  static bool decode(Oid type, Format format, Bytes data);
};

/// smallint. Reads int2.
template <>
struct Type<std::int16_t> {
  static constexpr Oid kOid = oid::kInt2;             ///< sent as int2
  static constexpr Oid kArrayOid = oid::kInt2Array;   ///< int2[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads int2.
  static bool accepts(Oid type) noexcept;
  /// Two bytes, big-endian.
  static void encode(std::int16_t value, ByteWriter& out);
  /// Decodes an int2 value; throws TypeError.
  static std::int16_t decode(Oid type, Format format, Bytes data);
};

/// integer. Reads int2 and int4.
template <>
struct Type<std::int32_t> {
  static constexpr Oid kOid = oid::kInt4;             ///< sent as int4
  static constexpr Oid kArrayOid = oid::kInt4Array;   ///< int4[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads int2 and int4.
  static bool accepts(Oid type) noexcept;
  /// Four bytes, big-endian.
  static void encode(std::int32_t value, ByteWriter& out);
  /// Decodes an int2/int4 value; throws TypeError.
  static std::int32_t decode(Oid type, Format format, Bytes data);
};

/// bigint. Reads int2, int4 and int8.
template <>
struct Type<std::int64_t> {
  static constexpr Oid kOid = oid::kInt8;             ///< sent as int8
  static constexpr Oid kArrayOid = oid::kInt8Array;   ///< int8[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads int2, int4 and int8.
  static bool accepts(Oid type) noexcept;
  /// Eight bytes, big-endian.
  static void encode(std::int64_t value, ByteWriter& out);
  /// Decodes an int2/int4/int8 value; throws TypeError.
  static std::int64_t decode(Oid type, Format format, Bytes data);
};

/// real. Reads float4 (not float8: that would lose precision silently).
template <>
struct Type<float> {
  static constexpr Oid kOid = oid::kFloat4;            ///< sent as float4
  static constexpr Oid kArrayOid = oid::kFloat4Array;  ///< float4[]
  static constexpr Format kFormat = Format::kBinary;   ///< sent in binary
  /// Reads float4.
  static bool accepts(Oid type) noexcept;
  /// The IEEE 754 bits, big-endian.
  static void encode(float value, ByteWriter& out);
  /// Decodes a float4 value (text: shortest-exact digits, NaN, Infinity, -Infinity).
  static float decode(Oid type, Format format, Bytes data);
};

/// double precision. Reads float4 and float8.
template <>
struct Type<double> {
  static constexpr Oid kOid = oid::kFloat8;            ///< sent as float8
  static constexpr Oid kArrayOid = oid::kFloat8Array;  ///< float8[]
  static constexpr Format kFormat = Format::kBinary;   ///< sent in binary
  /// Reads float4 and float8.
  static bool accepts(Oid type) noexcept;
  /// The IEEE 754 bits, big-endian.
  static void encode(double value, ByteWriter& out);
  /// Decodes a float4/float8 value (text: shortest-exact digits, NaN, Infinity, -Infinity).
  static double decode(Oid type, Format format, Bytes data);
};

/// numeric, as exact decimal text.
template <>
struct Type<Numeric> {
  static constexpr Oid kOid = oid::kNumeric;            ///< sent as numeric
  static constexpr Oid kArrayOid = oid::kNumericArray;  ///< numeric[]
  static constexpr Format kFormat = Format::kBinary;    ///< sent in binary (see above)
  /// Reads numeric.
  static bool accepts(Oid type) noexcept;
  /// Converts the decimal text ("-12.34", "1e-3", "NaN", "Infinity", "-Infinity") to the
  /// base-10000 binary form; throws TypeError on malformed or out-of-range text.
  static void encode(const Numeric& value, ByteWriter& out);
  /// Decodes to the server's text form, keeping the display scale ("-12.3400").
  static Numeric decode(Oid type, Format format, Bytes data);
};

/// Character strings: text, varchar, bpchar, name, "char", unknown; also json and jsonb text.
template <>
struct Type<std::string> {
  static constexpr Oid kOid = oid::kText;             ///< sent as text
  static constexpr Oid kArrayOid = oid::kTextArray;   ///< text[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary (the UTF-8 bytes)
  /// Reads text, varchar, bpchar, name, char, unknown, json and jsonb.
  static bool accepts(Oid type) noexcept;
  /// The bytes as they are.
  static void encode(const std::string& value, ByteWriter& out);
  /// The bytes as they are (jsonb binary: without its version byte).
  static std::string decode(Oid type, Format format, Bytes data);
};

/// bytea.
template <>
struct Type<ByteString> {
  static constexpr Oid kOid = oid::kBytea;            ///< sent as bytea
  static constexpr Oid kArrayOid = oid::kByteaArray;  ///< bytea[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads bytea.
  static bool accepts(Oid type) noexcept;
  /// The bytes as they are.
  static void encode(const ByteString& value, ByteWriter& out);
  /// Binary: the bytes; text: hex ("\x0102") or the older escape format.
  static ByteString decode(Oid type, Format format, Bytes data);
};

/// date. Infinities map to Date::min()/max().
template <>
struct Type<Date> {
  static constexpr Oid kOid = oid::kDate;             ///< sent as date
  static constexpr Oid kArrayOid = oid::kDateArray;   ///< date[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads date.
  static bool accepts(Oid type) noexcept;
  /// int32 days since 2000-01-01; throws TypeError when out of range.
  static void encode(const Date& value, ByteWriter& out);
  /// Binary int32 days, or ISO text ("2024-01-02", "0044-03-15 BC", "infinity").
  static Date decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's DateStyle ("12/26/2001", "26.12.2001", "12-26-2001");
  /// text in another style is read by its shape, and a day/month pair that fits both orders
  /// throws TypeError naming the DateStyle.
  static Date decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// time (without time zone).
template <>
struct Type<Time> {
  static constexpr Oid kOid = oid::kTime;             ///< sent as time
  static constexpr Oid kArrayOid = oid::kTimeArray;   ///< time[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads time.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds since midnight; throws TypeError outside [00:00, 24:00].
  static void encode(const Time& value, ByteWriter& out);
  /// Binary int64 microseconds, or text "HH:MM:SS[.ffffff]".
  static Time decode(Oid type, Format format, Bytes data);
};

/// timestamp (without time zone) over PostgreSQL's whole range, as its own count.
template <>
struct Type<WideTimestamp> {
  static constexpr Oid kOid = oid::kTimestamp;            ///< sent as timestamp
  static constexpr Oid kArrayOid = oid::kTimestampArray;  ///< timestamp[]
  static constexpr Format kFormat = Format::kBinary;      ///< sent in binary
  /// Reads timestamp.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds since 2000-01-01 00:00; throws TypeError outside PostgreSQL's range.
  static void encode(const WideTimestamp& value, ByteWriter& out);
  /// Binary int64 microseconds, or ISO text ("2024-01-02 03:04:05.5", " BC" suffix, infinity).
  static WideTimestamp decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's DateStyle ("Wed Dec 26 20:05:06.5 2001"), as
  /// Type<Date>.
  static WideTimestamp decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// timestamptz over PostgreSQL's whole range, as its own count (UTC).
template <>
struct Type<WideTimestamptz> {
  static constexpr Oid kOid = oid::kTimestamptz;            ///< sent as timestamptz
  static constexpr Oid kArrayOid = oid::kTimestamptzArray;  ///< timestamptz[]
  static constexpr Format kFormat = Format::kBinary;        ///< sent in binary
  /// Reads timestamptz.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds since 2000-01-01 00:00 UTC; throws TypeError outside the range.
  static void encode(const WideTimestamptz& value, ByteWriter& out);
  /// Binary int64 microseconds (UTC), or ISO text with a zone offset, converted to UTC.
  static WideTimestamptz decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's DateStyle: an offset (ISO) or the session TimeZone's
  /// abbreviation ("Wed Dec 26 20:05:06 2001 EST"), resolved with that TimeZone (TypeError
  /// when it does not use that name then), as Type<Date>.
  static WideTimestamptz decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// timestamp (without time zone). Infinities map to Timestamp::min()/max(); a value after
/// 294247-01-10 throws TypeError (read it as WideTimestamp).
template <>
struct Type<Timestamp> {
  static constexpr Oid kOid = oid::kTimestamp;            ///< sent as timestamp
  static constexpr Oid kArrayOid = oid::kTimestampArray;  ///< timestamp[]
  static constexpr Format kFormat = Format::kBinary;      ///< sent in binary
  /// Reads timestamp.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds since 2000-01-01 00:00; throws TypeError on overflow.
  static void encode(const Timestamp& value, ByteWriter& out);
  /// Binary int64 microseconds, or ISO text ("2024-01-02 03:04:05.5", " BC" suffix, infinity).
  static Timestamp decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's DateStyle (as Type<WideTimestamp>).
  static Timestamp decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// timestamptz: an instant. Infinities map to Timestamptz::min()/max(); a value after
/// 294247-01-10 throws TypeError (read it as WideTimestamptz).
template <>
struct Type<Timestamptz> {
  static constexpr Oid kOid = oid::kTimestamptz;            ///< sent as timestamptz
  static constexpr Oid kArrayOid = oid::kTimestamptzArray;  ///< timestamptz[]
  static constexpr Format kFormat = Format::kBinary;        ///< sent in binary
  /// Reads timestamptz.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds since 2000-01-01 00:00 UTC; throws TypeError on overflow.
  static void encode(const Timestamptz& value, ByteWriter& out);
  /// Binary int64 microseconds (UTC), or ISO text with a zone offset ("...+05:30"), converted
  /// to UTC.
  static Timestamptz decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's DateStyle and TimeZone (as Type<WideTimestamptz>).
  static Timestamptz decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// interval.
template <>
struct Type<Interval> {
  static constexpr Oid kOid = oid::kInterval;            ///< sent as interval
  static constexpr Oid kArrayOid = oid::kIntervalArray;  ///< interval[]
  static constexpr Format kFormat = Format::kBinary;     ///< sent in binary
  /// Reads interval.
  static bool accepts(Oid type) noexcept;
  /// int64 microseconds, int32 days, int32 months.
  static void encode(const Interval& value, ByteWriter& out);
  /// Binary, or ISO 8601 text (IntervalStyle=iso_8601: "P1Y2M3DT4H5M6.5S", "PT0S").
  static Interval decode(Oid type, Format format, Bytes data);
  /// Binary, or text in the session's IntervalStyle ("1 year 2 mons 03:00:00", "@ 1 hour ago",
  /// "+1-2 -3 +4:05:06"): each style reads by its shape; throws TypeError naming the
  /// IntervalStyle on malformed text.
  static Interval decode(Oid type, Format format, Bytes data, const TextSettings& settings);
};

/// uuid.
template <>
struct Type<Uuid> {
  static constexpr Oid kOid = oid::kUuid;             ///< sent as uuid
  static constexpr Oid kArrayOid = oid::kUuidArray;   ///< uuid[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads uuid.
  static bool accepts(Oid type) noexcept;
  /// The 16 bytes.
  static void encode(const Uuid& value, ByteWriter& out);
  /// Binary 16 bytes, or the text form.
  static Uuid decode(Oid type, Format format, Bytes data);
};

/// json. Also reads jsonb.
template <>
struct Type<Json> {
  static constexpr Oid kOid = oid::kJson;             ///< sent as json
  static constexpr Oid kArrayOid = oid::kJsonArray;   ///< json[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary (the text)
  /// Reads json and jsonb.
  static bool accepts(Oid type) noexcept;
  /// The document text.
  static void encode(const Json& value, ByteWriter& out);
  /// The document text (jsonb binary: after its version byte).
  static Json decode(Oid type, Format format, Bytes data);
};

/// jsonb. Also reads json.
template <>
struct Type<Jsonb> {
  static constexpr Oid kOid = oid::kJsonb;            ///< sent as jsonb
  static constexpr Oid kArrayOid = oid::kJsonbArray;  ///< jsonb[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads jsonb and json.
  static bool accepts(Oid type) noexcept;
  /// Version byte 1, then the document text.
  static void encode(const Jsonb& value, ByteWriter& out);
  /// The document text; binary jsonb must have version 1.
  static Jsonb decode(Oid type, Format format, Bytes data);
};

/// oid.
template <>
struct Type<OidValue> {
  static constexpr Oid kOid = oid::kOid;              ///< sent as oid
  static constexpr Oid kArrayOid = oid::kOidArray;    ///< oid[]
  static constexpr Format kFormat = Format::kBinary;  ///< sent in binary
  /// Reads oid.
  static bool accepts(Oid type) noexcept;
  /// Four bytes, big-endian, unsigned.
  static void encode(OidValue value, ByteWriter& out);
  /// Decodes an oid value; throws TypeError.
  static OidValue decode(Oid type, Format format, Bytes data);
};

/// A label of an enum type created by the program (CREATE TYPE ... AS ENUM): its OID is the
/// database's own, so a parameter is sent as text of unknown type (OID 0), which the server
/// casts to the enum its context needs (a column, a comparison). No array type.
template <>
struct Type<EnumLabel> {
  static constexpr Oid kOid = oid::kUnknown;        ///< sent untyped: the server infers the enum
  static constexpr Format kFormat = Format::kText;  ///< sent as text (enum_in reads the label)
  /// Reads user-defined types (OID >= kFirstNormalObjectId, where enums are) and strings.
  static bool accepts(Oid type) noexcept;
  /// The label's bytes.
  static void encode(const EnumLabel& value, ByteWriter& out);
  /// The label: enum_out and enum_send both give its bytes as they are.
  static EnumLabel decode(Oid type, Format format, Bytes data);
};

// ---- arrays: a thin template over non-template helpers (types_array.cpp) ----

/// The dimensions of an array value, outermost first: each one's length and lower bound (what
/// array_out prints as "[lb:ub]" when a bound is not 1). Held inline: PostgreSQL arrays have at
/// most kMaxDims dimensions (MAXDIM). An empty array has no dimensions.
struct ArrayShape {
  static constexpr int kMaxDims = 6;  ///< PostgreSQL's MAXDIM
  /// Number of dimensions, 0..kMaxDims.
  std::int32_t ndim = 0;
  /// Length of each dimension (the first `ndim` are used, the rest stay 0).
  std::array<std::int32_t, kMaxDims> lengths{};
  /// Lower bound of each dimension (the first `ndim` are used, the rest stay 0).
  std::array<std::int32_t, kMaxDims> lower_bounds{};
  /// A one-dimensional shape of `count` elements from index 1 (empty when count is 0).
  static ArrayShape one_dimensional(std::size_t count) noexcept {
    ArrayShape s;
    if (count > 0)
      s.ndim = 1, s.lengths[0] = static_cast<std::int32_t>(count), s.lower_bounds[0] = 1;
    return s;
  }
  /// The number of elements: the product of the lengths (0 without dimensions).
  std::size_t element_count() const noexcept {
    if (ndim == 0) return 0;
    std::size_t n = 1;
    for (std::int32_t i = 0; i < ndim; ++i)
      n *= static_cast<std::size_t>(lengths[static_cast<std::size_t>(i)]);
    return n;
  }
  /// Member-wise equality.
  friend bool operator==(const ArrayShape&, const ArrayShape&) = default;
};

/// An array of any dimension count with its bounds, as the server sent it: `elements` in
/// row-major order (the last dimension varies fastest), `shape` their dimensions. E is a scalar
/// with a codec, or std::optional of one when elements may be NULL. std::vector<E> reads
/// one-dimensional arrays (dropping a lower bound other than 1); pg::Array<E> reads them all.
template <class E>
struct Array {
  /// The dimensions and lower bounds.
  ArrayShape shape;
  /// The elements, row-major.
  std::vector<E> elements;
  friend bool operator==(const Array&, const Array&) = default;  ///< Member-wise equality.
};

namespace detail {
/// Receives the elements of an array being decoded.
struct ArraySink {
  /// The container being filled, passed back to the callbacks.
  void* self;
  /// Called once with the element count when it is known up front (binary format).
  void (*reserve)(void* self, std::size_t count);
  /// Called per element in row-major order; `value` is nullptr for NULL.
  void (*element)(void* self, Oid elem_type, Format format, const Bytes* value);
};
/// The element type of an array type tern knows, or nullopt.
std::optional<Oid> array_element_oid(Oid array_type) noexcept;
/// Walks an array value in `format` (binary: array_send layout; text: array_out layout, with
/// nested braces and "[lb:ub]..." decorations), feeds its elements to `sink` and returns its
/// shape; `accepts` checks the element type. Throws TypeError.
ArrayShape decode_array(Oid array_type, Format format, Bytes data, bool (*accepts)(Oid),
                        const ArraySink& sink);
/// Writes the binary array header (ndim, has-null flag, element type, each dimension's length
/// and lower bound); the caller appends `shape.element_count()` length-prefixed elements.
/// Throws TypeError when `count` (the elements the caller has) does not fill the shape.
void encode_array_header(Oid elem_type, const ArrayShape& shape, std::size_t count, bool has_null,
                         ByteWriter& out);
/// Throws TypeError: a NULL element read into std::vector<T> instead of
/// std::vector<std::optional<T>>.
[[noreturn]] void throw_null_element(Oid array_type);
/// Throws TypeError: a multi-dimensional array read into std::vector (read it as pg::Array).
[[noreturn]] void throw_multi_dimensional(Oid array_type, std::int32_t ndim);
/// True when T is a scalar with an array type.
template <class T>
concept PgArrayElement = requires {
  Type<T>::kArrayOid;
};
/// The scalar of an array element type: T, or U for std::optional<U> (NULL allowed).
template <class T>
struct ArrayElementOf {
  using Scalar = T;
};
template <class T>
struct ArrayElementOf<std::optional<T>> {
  using Scalar = T;
};
/// E is an element type of std::vector<E> / Array<E>: a scalar with an array type, or its
/// optional.
template <class E>
concept PgArrayItem = PgArrayElement<typename ArrayElementOf<E>::Scalar>;

/// Decodes the elements of an array into `out` (nullable when E is std::optional) and returns
/// the shape; the one decoding loop under std::vector<E> and Array<E>. `settings`: as for
/// decode_value.
template <class E>
ArrayShape decode_elements(Oid type, Format format, Bytes data, std::vector<E>& out,
                           const TextSettings* settings) {
  using T = typename ArrayElementOf<E>::Scalar;
  struct Target {
    std::vector<E>* out;
    const TextSettings* settings;
  } target{&out, settings};
  const ArraySink sink{
      &target, [](void* self, std::size_t n) { static_cast<Target*>(self)->out->reserve(n); },
      [](void* self, Oid elem, Format f, const Bytes* v) {
        auto* t = static_cast<Target*>(self);
        if constexpr (kIsOptional<E>) {
          if (v == nullptr) {
            t->out->emplace_back();
            return;
          }
        } else {
          if (v == nullptr) throw_null_element(Type<T>::kArrayOid);
        }
        t->out->emplace_back(decode_with<T>(elem, f, *v, t->settings));
      }};
  return decode_array(type, format, data, &Type<T>::accepts, sink);
}

/// Encodes an array of `shape` holding `values` (row-major).
template <class E>
void encode_elements(const ArrayShape& shape, const std::vector<E>& values, ByteWriter& out) {
  bool has_null = false;
  if constexpr (kIsOptional<E>) {
    for (const auto& v : values)
      has_null = has_null || !v;
  }
  encode_array_header(Type<typename ArrayElementOf<E>::Scalar>::kOid, shape, values.size(),
                      has_null, out);
  for (const E& v : values)
    encode_param(v, out);
}
}  // namespace detail

/// One-dimensional arrays (any lower bound, which is not kept). Without std::optional a NULL
/// element throws TypeError; a multi-dimensional array throws TypeError (read pg::Array<E>).
template <detail::PgArrayItem E>
struct Type<std::vector<E>> {
  using Scalar = typename detail::ArrayElementOf<E>::Scalar;  ///< E without std::optional
  static constexpr Oid kOid = Type<Scalar>::kArrayOid;        ///< sent as the element's array type
  static constexpr Format kFormat = Format::kBinary;          ///< sent in binary
  /// Reads arrays whose element type the scalar's codec reads.
  static bool accepts(Oid type) noexcept {
    const std::optional<Oid> elem = detail::array_element_oid(type);
    return elem && Type<Scalar>::accepts(*elem);
  }
  /// The binary array layout (an empty vector is a zero-dimensional array); std::nullopt
  /// elements are NULL.
  static void encode(const std::vector<E>& value, ByteWriter& out) {
    detail::encode_elements(ArrayShape::one_dimensional(value.size()), value, out);
  }
  /// Decodes an array in either format; throws TypeError.
  static std::vector<E> decode(Oid type, Format format, Bytes data) {
    return decode(type, format, data, nullptr);
  }
  /// Decodes an array whose elements' text follows the session's `settings`.
  static std::vector<E> decode(
      Oid type, Format format, Bytes data,
      const TextSettings& settings) requires detail::DecodesBySettings<Scalar> {
    return decode(type, format, data, &settings);
  }

 private:
  static std::vector<E> decode(Oid type, Format format, Bytes data, const TextSettings* settings) {
    std::vector<E> out;
    const ArrayShape shape = detail::decode_elements(type, format, data, out, settings);
    if (shape.ndim > 1) detail::throw_multi_dimensional(type, shape.ndim);
    return out;
  }
};

/// Arrays of any dimension count, keeping their dimensions and lower bounds.
template <detail::PgArrayItem E>
struct Type<Array<E>> {
  static constexpr Oid kOid = Type<std::vector<E>>::kOid;  ///< sent as the element's array type
  static constexpr Format kFormat = Format::kBinary;       ///< sent in binary
  /// Reads arrays whose element type the scalar's codec reads.
  static bool accepts(Oid type) noexcept { return Type<std::vector<E>>::accepts(type); }
  /// The binary array layout; throws TypeError when the elements do not fill the shape.
  static void encode(const Array<E>& value, ByteWriter& out) {
    detail::encode_elements(value.shape, value.elements, out);
  }
  /// Decodes an array in either format with its shape; throws TypeError.
  static Array<E> decode(Oid type, Format format, Bytes data) {
    return decode(type, format, data, nullptr);
  }
  /// Decodes an array whose elements' text follows the session's `settings`.
  static Array<E> decode(Oid type, Format format, Bytes data, const TextSettings& settings) requires
      detail::DecodesBySettings<typename detail::ArrayElementOf<E>::Scalar> {
    return decode(type, format, data, &settings);
  }

 private:
  static Array<E> decode(Oid type, Format format, Bytes data, const TextSettings* settings) {
    Array<E> out;
    out.shape = detail::decode_elements(type, format, data, out.elements, settings);
    return out;
  }
};

}  // namespace tern::pg
