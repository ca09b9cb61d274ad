// MySQL/MariaDB type codecs: C++ value <-> column value, in the text protocol (COM_QUERY rows:
// every value is its text form) and the binary protocol (COM_STMT_EXECUTE rows and parameters).
// Mirrors tern/protocol/pg/types.hpp: one `Type<T>` per C++ type, NULL as std::optional.
// MariaDB: https://mariadb.com/kb/en/resultset-row/ and
//          https://mariadb.com/kb/en/com_stmt_execute/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
//        (binary value layouts, in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
//
// Zero dates: MySQL can store '0000-00-00' (and dates with a zero month or day) when sql_mode
// allows it. They are not valid calendar dates, so Date and DateTime refuse them with TypeError
// (and std::optional<Date> does too: a zero date is not NULL). Read such columns as RawDateTime,
// which keeps the fields as sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/values.hpp"

namespace tern::mysql {

using protocol::Bytes;
using protocol::ByteWriter;

/// Where a value comes from: a text protocol row or a binary protocol row.
enum class Format : std::uint8_t { kText, kBinary };

// The shared value types (tern/protocol/values.hpp), under the names MySQL gives them.
using tern::ByteString;  ///< BLOB, BINARY, VARBINARY (and any string column, as its bytes)
using tern::Date;        ///< DATE
using tern::DateTime;    ///< DATETIME and TIMESTAMP (the session time zone's wall clock)
using tern::Decimal;     ///< DECIMAL, exactly, as its decimal text ("-12.3400")
using tern::Json;        ///< JSON: the document's text
/// TIME: a signed duration, microseconds; may be negative and exceed 24 hours (±838:59:59).
using Time = TimeOfDay;

/// YEAR (0 or 1901..2155).
struct Year {
  std::uint16_t value = 0;                                     ///< the year; 0 for the zero year
  friend bool operator==(const Year&, const Year&) = default;  ///< Member-wise equality.
};

/// BIT(n), n ≤ 64, as an unsigned integer.
struct Bit {
  std::uint64_t value = 0;                                   ///< the bits, as an unsigned integer
  friend bool operator==(const Bit&, const Bit&) = default;  ///< Member-wise equality.
};

/// DATE / DATETIME / TIMESTAMP fields as sent, unvalidated beyond their ranges: the way to read
/// zero dates ('0000-00-00 00:00:00') and dates with a zero month or day.
struct RawDateTime {
  std::uint16_t year = 0;         ///< 0..9999
  std::uint8_t month = 0;         ///< 0..12
  std::uint8_t day = 0;           ///< 0..31
  std::uint8_t hour = 0;          ///< 0..23
  std::uint8_t minute = 0;        ///< 0..59
  std::uint8_t second = 0;        ///< 0..59
  std::uint32_t microsecond = 0;  ///< 0..999999
  /// True for '0000-00-00 00:00:00'.
  bool is_zero() const noexcept;
  /// Member-wise equality.
  friend bool operator==(const RawDateTime&, const RawDateTime&) = default;
};

/// The codec of one C++ type. Specialised for: bool, std::int8_t … std::int64_t,
/// std::uint8_t … std::uint64_t, float, double, Decimal, std::string, ByteString, Json, Date,
/// DateTime, RawDateTime, Time, Year, Bit.
///
/// Each specialisation provides:
///   static constexpr FieldType kType;   // the parameter type it is sent as
///   static constexpr bool kUnsigned;    // the parameter's unsigned flag
///   static bool accepts(const ColumnType&) noexcept;   // columns it can decode losslessly
///   static void encode(const T&, ByteWriter&);         // binary parameter value
///   static T decode(const ColumnType&, Format, Bytes); // a non-NULL value; throws TypeError
template <class T>
struct Type;

/// True when T has a codec.
template <class T>
concept MysqlValue = requires {
  Type<T>::kType;
};

namespace detail {
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;
/// Throws TypeError: SQL NULL read into a non-optional type.
[[noreturn]] void throw_null_value(const ColumnType& column);
/// Throws TypeError: a column cannot be read as `cxx_type` (a typeid name).
[[noreturn]] void throw_type_mismatch(const ColumnType& column, const char* cxx_type);

/// Integers: reads every integer column (and YEAR) whose whole range fits in I, so a
/// decode never narrows; text values are range-checked too.
template <class I>
struct IntegerCodec {
  /// The parameter type: TINY, SHORT, LONG or LONGLONG by width.
  static constexpr FieldType kType = sizeof(I) == 1   ? FieldType::kTiny
                                     : sizeof(I) == 2 ? FieldType::kShort
                                     : sizeof(I) == 4 ? FieldType::kLong
                                                      : FieldType::kLongLong;
  /// The parameter's unsigned flag.
  static constexpr bool kUnsigned = std::is_unsigned_v<I>;
  /// Integer columns (TINY, SHORT, INT24, LONG, LONGLONG, YEAR) whose range fits in I.
  static bool accepts(const ColumnType& column) noexcept;
  /// sizeof(I) bytes, little-endian.
  static void encode(I value, ByteWriter& out);
  /// Text digits or the binary little-endian value (signedness from the UNSIGNED flag).
  static I decode(const ColumnType& column, Format format, Bytes data);
};
extern template struct IntegerCodec<std::int8_t>;
extern template struct IntegerCodec<std::int16_t>;
extern template struct IntegerCodec<std::int32_t>;
extern template struct IntegerCodec<std::int64_t>;
extern template struct IntegerCodec<std::uint8_t>;
extern template struct IntegerCodec<std::uint16_t>;
extern template struct IntegerCodec<std::uint32_t>;
extern template struct IntegerCodec<std::uint64_t>;
}  // namespace detail

/// Decodes a column value; `value` is empty for SQL NULL, which only std::optional accepts.
template <class T>
T decode_value(const ColumnType& column, Format format, std::optional<Bytes> value) {
  if constexpr (detail::kIsOptional<T>) {
    if (!value) return std::nullopt;
    return decode_value<typename T::value_type>(column, format, value);
  } else {
    if (!value) detail::throw_null_value(column);
    if (!Type<T>::accepts(column)) detail::throw_type_mismatch(column, typeid(T).name());
    return Type<T>::decode(column, format, *value);
  }
}

/// TINYINT (signed).
template <>
struct Type<std::int8_t> : detail::IntegerCodec<std::int8_t> {};
/// SMALLINT (signed).
template <>
struct Type<std::int16_t> : detail::IntegerCodec<std::int16_t> {};
/// INT (signed).
template <>
struct Type<std::int32_t> : detail::IntegerCodec<std::int32_t> {};
/// BIGINT (signed).
template <>
struct Type<std::int64_t> : detail::IntegerCodec<std::int64_t> {};
/// TINYINT UNSIGNED.
template <>
struct Type<std::uint8_t> : detail::IntegerCodec<std::uint8_t> {};
/// SMALLINT UNSIGNED.
template <>
struct Type<std::uint16_t> : detail::IntegerCodec<std::uint16_t> {};
/// INT UNSIGNED.
template <>
struct Type<std::uint32_t> : detail::IntegerCodec<std::uint32_t> {};
/// BIGINT UNSIGNED.
template <>
struct Type<std::uint64_t> : detail::IntegerCodec<std::uint64_t> {};

/// BOOL (TINYINT(1)): any TINY value, non-zero is true; also BIT.
template <>
struct Type<bool> {
  static constexpr FieldType kType = FieldType::kTiny;  ///< sent as TINY
  static constexpr bool kUnsigned = false;              ///< signed
  /// Reads TINY and BIT.
  static bool accepts(const ColumnType& column) noexcept;
  /// One byte, 0 or 1.
  static void encode(bool value, ByteWriter& out);
  /// Non-zero is true.
  static bool decode(const ColumnType& column, Format format, Bytes data);
};

/// FLOAT. Reads FLOAT only (not DOUBLE: that would lose precision silently).
template <>
struct Type<float> {
  static constexpr FieldType kType = FieldType::kFloat;  ///< sent as FLOAT
  static constexpr bool kUnsigned = false;               ///< signed
  /// Reads FLOAT.
  static bool accepts(const ColumnType& column) noexcept;
  /// The IEEE 754 bits, little-endian.
  static void encode(float value, ByteWriter& out);
  /// Text digits or 4 binary bytes.
  static float decode(const ColumnType& column, Format format, Bytes data);
};

/// DOUBLE. Reads FLOAT and DOUBLE.
template <>
struct Type<double> {
  static constexpr FieldType kType = FieldType::kDouble;  ///< sent as DOUBLE
  static constexpr bool kUnsigned = false;                ///< signed
  /// Reads FLOAT and DOUBLE.
  static bool accepts(const ColumnType& column) noexcept;
  /// The IEEE 754 bits, little-endian.
  static void encode(double value, ByteWriter& out);
  /// Text digits, or 4 (FLOAT) / 8 (DOUBLE) binary bytes.
  static double decode(const ColumnType& column, Format format, Bytes data);
};

/// DECIMAL, exactly.
template <>
struct Type<Decimal> {
  static constexpr FieldType kType = FieldType::kNewDecimal;  ///< sent as NEWDECIMAL
  static constexpr bool kUnsigned = false;                    ///< signed
  /// Reads DECIMAL and NEWDECIMAL.
  static bool accepts(const ColumnType& column) noexcept;
  /// The text as a length-encoded string; throws TypeError unless it is [-]digits[.digits].
  static void encode(const Decimal& value, ByteWriter& out);
  /// The text, in either format (validated).
  static Decimal decode(const ColumnType& column, Format format, Bytes data);
};

/// Character strings: CHAR, VARCHAR, TEXT, ENUM, SET (non-binary collation) and JSON.
template <>
struct Type<std::string> {
  static constexpr FieldType kType = FieldType::kString;  ///< sent as STRING
  static constexpr bool kUnsigned = false;                ///< no flag
  /// Reads string and TEXT columns whose collation is not binary (63), and JSON.
  static bool accepts(const ColumnType& column) noexcept;
  /// A length-encoded string.
  static void encode(const std::string& value, ByteWriter& out);
  /// The bytes as they are.
  static std::string decode(const ColumnType& column, Format format, Bytes data);
};

/// Byte strings: BINARY, VARBINARY, BLOB, GEOMETRY, and any string column as its bytes.
template <>
struct Type<ByteString> {
  static constexpr FieldType kType = FieldType::kBlob;  ///< sent as BLOB
  static constexpr bool kUnsigned = false;              ///< no flag
  /// Reads every string, BLOB, JSON, GEOMETRY and VECTOR column.
  static bool accepts(const ColumnType& column) noexcept;
  /// A length-encoded string.
  static void encode(const ByteString& value, ByteWriter& out);
  /// The bytes as they are.
  static ByteString decode(const ColumnType& column, Format format, Bytes data);
};

/// JSON documents: MySQL's JSON type and MariaDB's JSON (a LONGTEXT).
template <>
struct Type<Json> {
  static constexpr FieldType kType = FieldType::kString;  ///< sent as STRING
  static constexpr bool kUnsigned = false;                ///< no flag
  /// Reads JSON and non-binary string/TEXT columns.
  static bool accepts(const ColumnType& column) noexcept;
  /// The document text as a length-encoded string.
  static void encode(const Json& value, ByteWriter& out);
  /// The document text.
  static Json decode(const ColumnType& column, Format format, Bytes data);
};

/// DATE. Zero dates throw TypeError (read them as RawDateTime).
template <>
struct Type<Date> {
  static constexpr FieldType kType = FieldType::kDate;  ///< sent as DATE
  static constexpr bool kUnsigned = false;              ///< no flag
  /// Reads DATE.
  static bool accepts(const ColumnType& column) noexcept;
  /// Length 4, year (2 bytes), month, day; throws TypeError outside years 0..9999.
  static void encode(const Date& value, ByteWriter& out);
  /// Text "YYYY-MM-DD" or 4 binary bytes.
  static Date decode(const ColumnType& column, Format format, Bytes data);
};

/// DATETIME and TIMESTAMP (and DATE, at midnight). Zero dates throw TypeError.
template <>
struct Type<DateTime> {
  static constexpr FieldType kType = FieldType::kDateTime;  ///< sent as DATETIME
  static constexpr bool kUnsigned = false;                  ///< no flag
  /// Reads DATETIME, TIMESTAMP and DATE.
  static bool accepts(const ColumnType& column) noexcept;
  /// Length 4, 7 or 11 (the shortest exact); throws TypeError outside years 0..9999.
  static void encode(const DateTime& value, ByteWriter& out);
  /// Text "YYYY-MM-DD[ HH:MM:SS[.ffffff]]" or 0/4/7/11 binary bytes.
  static DateTime decode(const ColumnType& column, Format format, Bytes data);
};

/// DATE, DATETIME and TIMESTAMP fields without calendar validation (zero dates allowed).
template <>
struct Type<RawDateTime> {
  static constexpr FieldType kType = FieldType::kDateTime;  ///< sent as DATETIME
  static constexpr bool kUnsigned = false;                  ///< no flag
  /// Reads DATETIME, TIMESTAMP and DATE.
  static bool accepts(const ColumnType& column) noexcept;
  /// Length 0 for the zero date, 11 otherwise; throws TypeError for out-of-range fields.
  static void encode(const RawDateTime& value, ByteWriter& out);
  /// Text or binary; fields are range-checked (month ≤ 12, day ≤ 31, ...), not calendar-checked.
  static RawDateTime decode(const ColumnType& column, Format format, Bytes data);
};

/// TIME: signed, may exceed 24 hours.
template <>
struct Type<Time> {
  static constexpr FieldType kType = FieldType::kTime;  ///< sent as TIME
  static constexpr bool kUnsigned = false;              ///< no flag
  /// Reads TIME.
  static bool accepts(const ColumnType& column) noexcept;
  /// Length 0, 8 or 12: sign, days, hours, minutes, seconds[, microseconds].
  static void encode(const Time& value, ByteWriter& out);
  /// Text "[-]HHH:MM:SS[.ffffff]" or 0/8/12 binary bytes.
  static Time decode(const ColumnType& column, Format format, Bytes data);
};

/// YEAR.
template <>
struct Type<Year> {
  static constexpr FieldType kType = FieldType::kShort;  ///< sent as SHORT UNSIGNED
  static constexpr bool kUnsigned = true;                ///< unsigned
  /// Reads YEAR.
  static bool accepts(const ColumnType& column) noexcept;
  /// 2 bytes, little-endian.
  static void encode(const Year& value, ByteWriter& out);
  /// Text digits or 2 binary bytes.
  static Year decode(const ColumnType& column, Format format, Bytes data);
};

/// BIT(n).
template <>
struct Type<Bit> {
  static constexpr FieldType kType = FieldType::kLongLong;  ///< sent as LONGLONG UNSIGNED
  static constexpr bool kUnsigned = true;                   ///< unsigned
  /// Reads BIT.
  static bool accepts(const ColumnType& column) noexcept;
  /// 8 bytes, little-endian.
  static void encode(const Bit& value, ByteWriter& out);
  /// 1..8 bytes, big-endian, in both formats (the text protocol sends BIT as raw bytes).
  static Bit decode(const ColumnType& column, Format format, Bytes data);
};

}  // namespace tern::mysql
