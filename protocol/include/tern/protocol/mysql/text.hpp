// Rendering a MySQL column value as the text protocol would send it, whatever protocol it came
// in: for tools (tern-cli), logs and dict-like rows.
#pragma once

#include <string>

#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/types.hpp"

namespace tern::mysql {

/// The text form of a non-NULL value of `column`'s type received in `format` (text values are
/// returned as they are; binary ones are formatted as the server's text protocol would:
/// fractional seconds to the column's precision, FLOAT/DOUBLE with their declared decimals or
/// in the server's general form, strings and BLOBs as their bytes). `column_length` is the
/// column's display width (Column::column_length): ZEROFILL pads to it, and YEAR(2) has 2
/// digits; 0 when unknown. Throws TypeError on malformed values.
std::string to_text(const ColumnType& column, Format format, Bytes value,
                    std::uint32_t column_length = 0);

}  // namespace tern::mysql
