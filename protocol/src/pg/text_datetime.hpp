// Internal: the date, time and interval parts of pg::to_text (text_datetime.cpp), following
// EncodeDateOnly, EncodeTimeOnly, EncodeDateTime and EncodeInterval of PostgreSQL's
// src/backend/utils/adt/datetime.c under the session's DateStyle, IntervalStyle and TimeZone.
#pragma once

#include <cstdint>
#include <string>

#include "tern/protocol/pg/text.hpp"

namespace tern::pg::detail {

/// A date (days since 1970-01-01, not an infinity) in the session's DateStyle.
void append_date(std::string& out, std::int64_t unix_days, const TextSettings& settings);
/// A time of day: "HH:MM:SS" plus ".ffffff" without trailing zeros.
void append_time_of_day(std::string& out, std::int64_t micros);
/// A binary timestamp (`with_zone`: timestamptz, shown in the session's TimeZone); throws
/// TypeError outside PostgreSQL's range.
void append_timestamp(std::string& out, Bytes value, bool with_zone, const TextSettings& settings);
/// An interval in `style`.
void append_interval(std::string& out, const Interval& v, TextSettings::IntervalStyle style);

}  // namespace tern::pg::detail
