// Rendering a column value as PostgreSQL's text output would show it, whatever format it came
// in: for tools (tern-cli), logs and dict-like rows. Rendering follows the session settings the
// connection sets (DateStyle=ISO, IntervalStyle=iso_8601, bytea_output=hex), with one
// difference: timestamptz is rendered in UTC ("+00"), as the session's TimeZone is not applied.
#pragma once

#include <string>

#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// The text form of a non-NULL value of type `type` received in `format`. Types tern does not
/// decode are returned as they are in text format, and as "\x" + hex in binary format.
/// Throws TypeError on malformed values.
std::string to_text(Oid type, Format format, Bytes value);

}  // namespace tern::pg
