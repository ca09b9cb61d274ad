// The session settings PostgreSQL's text output depends on, as a connection knows them: the
// typed text decoders read dates, times and intervals by them, and pg::to_text renders by them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace tern::pg {

/// The session settings PostgreSQL's text output of dates, times, intervals and floats depends
/// on. The defaults are the ones the connection asks for at start-up (DateStyle=ISO,
/// IntervalStyle=iso_8601, extra_float_digits=3) with TimeZone=UTC.
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

  /// extra_float_digits as the connection started with it (a startup parameter or
  /// `options=-c extra_float_digits=N`; the server default 1 when none is sent): > 0 prints the
  /// shortest exact digits, <= 0 rounds to 15 + n (float8) or 6 + n (float4) significant
  /// digits. The server does not report this setting, so a later SET is not seen.
  int extra_float_digits = 3;

  /// Applies a DateStyle value as the server reports it ("ISO, MDY", "Postgres, DMY"); unknown
  /// words are ignored.
  void set_date_style(std::string_view value) noexcept;
  /// Applies an IntervalStyle value ("postgres", "postgres_verbose", "sql_standard",
  /// "iso_8601"); an unknown one is ignored.
  void set_interval_style(std::string_view value) noexcept;
};

}  // namespace tern::pg
