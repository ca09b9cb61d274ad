// Rendering a MySQL column value as the text protocol would send it, whatever protocol it came
// in: for tools (tern-cli), logs and dict-like rows.
#pragma once

#include <string>

#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/types.hpp"

namespace tern::mysql {

/// The text form of a non-NULL value of `column`'s type received in `format` (text values are
/// returned as they are; binary ones are formatted like the text protocol: fractional seconds
/// to the column's precision, strings and BLOBs as their bytes). Throws TypeError on malformed
/// values.
std::string to_text(const ColumnType& column, Format format, Bytes value);

}  // namespace tern::mysql
