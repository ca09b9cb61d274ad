// Rendering a column value as PostgreSQL's text output would show it, whatever format it came
// in: for tools (tern-cli), logs and dict-like rows. Dates, times and intervals follow the
// session settings the server reports in ParameterStatus (DateStyle, IntervalStyle, TimeZone:
// Connection::text_settings() keeps them); floats follow the extra_float_digits the connection
// started with, bytea is printed as with bytea_output=hex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tern/protocol/pg/text_settings.hpp"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// The text form of a non-NULL value of type `type` received in `format`, as the server's
/// output functions print it under `settings`. Text-format values are returned as they are;
/// binary values of types tern does not decode as "\x" + hex. Throws TypeError on malformed
/// values.
std::string to_text(Oid type, Format format, Bytes value, const TextSettings& settings = {});

}  // namespace tern::pg
