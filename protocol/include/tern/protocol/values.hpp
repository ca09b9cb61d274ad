// The value types both backends' codecs read and write, defined once: an exact decimal, JSON
// documents, bytes, a UUID, an interval and the date/time points. The PostgreSQL and MySQL
// codecs (pg::Type<T>, mysql::Type<T>) specialise on these, and the database layer's Value holds
// them, so a value travels from a result to a parameter without conversion. Each backend keeps
// its own names for them where its SQL names differ (pg::Numeric is Decimal, pg::Timestamptz is
// Instant, mysql::DateTime is DateTime...), as aliases of these, never as copies.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern {

/// An exact decimal number as its text ("-12.3400", and for PostgreSQL numeric also "NaN",
/// "Infinity", "-Infinity"): PostgreSQL numeric, MySQL DECIMAL. Text keeps every digit and the
/// scale the server sent.
struct Decimal {
  std::string value;  ///< the number as text
  /// Same text (not numeric equality: "1.0" != "1.00").
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

/// json: the document's text as stored (PostgreSQL json, MySQL JSON).
struct Json {
  std::string text;  ///< the document
  /// Same text (json::equal compares documents).
  friend bool operator==(const Json&, const Json&) = default;
};

/// jsonb: the document's text (PostgreSQL jsonb, which the server normalises; its binary format
/// is a version byte and the text). A type apart from Json because PostgreSQL types a
/// parameter by it: jsonb and json compare and index differently.
struct Jsonb {
  std::string text;  ///< the document
  /// Same text (json::equal compares documents).
  friend bool operator==(const Jsonb&, const Jsonb&) = default;
};

/// Binary strings: PostgreSQL bytea, MySQL BLOB/BINARY/VARBINARY.
using ByteString = std::vector<std::byte>;

/// The label of an enum value (PostgreSQL CREATE TYPE ... AS ENUM, MySQL/MariaDB ENUM): text
/// the server reads as the column's enum type. PostgreSQL gets it as a parameter of unknown
/// type (OID 0, text format), which the server casts to the enum its context needs, since an
/// enum's OID is the database's own; MySQL and SQLite get it as a string.
struct EnumLabel {
  std::string label;  ///< the label's text
  /// Same label.
  friend bool operator==(const EnumLabel&, const EnumLabel&) = default;
};

/// A value of a PostgreSQL composite type as record text (what record_in reads, see
/// pg::record_text), sent in text format typed by the composite's OID, which the database layer
/// looks up by `type` (a composite's OID is the database's own; OID 0 when the database lacks
/// it). MySQL/MariaDB and SQLite have no composite types and refuse it.
/// The type's name is a view (a Value holding one stays as large as before): of static storage
/// when made from a mapped struct (CompositeTraits::name); else the caller keeps it alive.
struct RecordText {
  std::string_view type;  ///< the composite type's SQL name (its OID is looked up by it)
  std::string text;       ///< the record text, `(1,"a b",)`
  /// Same type and text.
  friend bool operator==(const RecordText&, const RecordText&) = default;
};

/// uuid, as its 16 bytes (PostgreSQL uuid; MySQL has no such type and stores the text).
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};  ///< in network order
  /// Parses "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (hyphens optional, braces allowed); throws
  /// tern::TypeError (defined with the PostgreSQL codecs, in protocol/src/pg/types.cpp).
  static Uuid parse(std::string_view text);
  /// The canonical lower-case hyphenated form.
  std::string to_string() const;
  friend bool operator==(const Uuid&, const Uuid&) = default;  ///< Member-wise equality.
};

/// interval (PostgreSQL): months, days and microseconds, kept apart as the server does (a month
/// is not a fixed number of days, nor a day of microseconds across a DST change).
struct Interval {
  std::int32_t months = 0;        ///< months (and years: 12 each)
  std::int32_t days = 0;          ///< days
  std::int64_t microseconds = 0;  ///< the time part
  /// Field-wise: 1 month is not 30 days here, although PostgreSQL's `=` says they are equal.
  friend bool operator==(const Interval&, const Interval&) = default;
};

/// date: days since the Unix epoch. PostgreSQL's 'infinity' / '-infinity' map to Date::max() /
/// Date::min().
using Date = std::chrono::sys_days;
/// A date and time without a zone, microseconds: PostgreSQL timestamp, MySQL DATETIME and
/// TIMESTAMP (in the session time zone). PostgreSQL's infinities map to max() / min().
using DateTime = std::chrono::local_time<std::chrono::microseconds>;
/// Time of day (PostgreSQL time), or a signed duration (MySQL TIME: negative or past 24 hours,
/// ±838:59:59), microseconds.
using TimeOfDay = std::chrono::microseconds;
/// An instant in UTC, microseconds: PostgreSQL timestamptz (infinities map to max() / min());
/// sent to MySQL as its UTC date-time.
using Instant = std::chrono::sys_time<std::chrono::microseconds>;

}  // namespace tern
