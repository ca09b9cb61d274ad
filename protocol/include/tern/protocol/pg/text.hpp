// Rendering a column value as PostgreSQL's text output would show it, whatever format it came
// in: for tools (tern-cli), logs and dict-like rows. Dates, times and intervals follow the
// session settings the server reports in ParameterStatus (DateStyle, IntervalStyle, TimeZone:
// Connection::text_settings() keeps them); floats are printed as with extra_float_digits > 0
// (the shortest text that reads back exactly), bytea as with bytea_output=hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// The session settings PostgreSQL's text output of dates, times and intervals depends on.
/// The defaults are the ones the connection asks for at start-up (DateStyle=ISO,
/// IntervalStyle=iso_8601) with TimeZone=UTC.
struct TextSettings {
  /// DateStyle's output format (its first word).
  enum class DateStyle : std::uint8_t { kIso, kSql, kPostgres, kGerman };
  /// DateStyle's field order (its second word): only DMY changes the output.
  enum class DateOrder : std::uint8_t { kMdy, kDmy, kYmd };
  /// IntervalStyle.
  enum class IntervalStyle : std::uint8_t { kPostgres, kPostgresVerbose, kSqlStandard, kIso8601 };

  DateStyle date_style = DateStyle::kIso;                  ///< DateStyle, first word
  DateOrder date_order = DateOrder::kMdy;                  ///< DateStyle, second word
  IntervalStyle interval_style = IntervalStyle::kIso8601;  ///< IntervalStyle
  absl::TimeZone time_zone = absl::UTCTimeZone();          ///< TimeZone (timestamptz output)
  /// When not empty, the zone name the non-ISO styles print instead of time_zone's
  /// abbreviation: PostgreSQL names a POSIX zone "<+05:30>-05:30" (SET TIME ZONE 5.5) "+05:30".
  std::string zone_abbreviation;

  /// Applies a DateStyle value as the server reports it ("ISO, MDY", "Postgres, DMY"); unknown
  /// words are ignored.
  void set_date_style(std::string_view value) noexcept;
  /// Applies an IntervalStyle value ("postgres", "postgres_verbose", "sql_standard",
  /// "iso_8601"); an unknown one is ignored.
  void set_interval_style(std::string_view value) noexcept;
};

/// The text form of a non-NULL value of type `type` received in `format`, as the server's
/// output functions print it under `settings`. Text-format values are returned as they are;
/// binary values of types tern does not decode as "\x" + hex. Throws TypeError on malformed
/// values.
std::string to_text(Oid type, Format format, Bytes value, const TextSettings& settings = {});

}  // namespace tern::pg
