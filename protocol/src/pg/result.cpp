#include "tern/protocol/pg/result.hpp"

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::pg {

using protocol::RowChunks;

std::optional<Bytes> Row::raw(std::size_t i) const {
  if (i >= size()) throw InterfaceError(absl::StrCat("column ", i, " of ", size()));
  return backend::DataRow::value_at(body_, i);  // validated by add_row()
}

const backend::Column& Row::column(std::size_t i) const {
  if (i >= size()) throw InterfaceError(absl::StrCat("column ", i, " of ", size()));
  return result_->columns()[i];
}

Row Result::row(std::size_t i) const {
  if (i >= size()) throw InterfaceError(absl::StrCat("row ", i, " of ", size()));
  // A row starts where the one before it ends, or at the start of its chunk.
  const RowChunks::Place end = row_ends_[i];
  const RowChunks::Place before = i == 0 ? 0 : row_ends_[i - 1];
  const RowChunks::Place start = RowChunks::chunk_start(end);
  const RowChunks::Place begin = RowChunks::chunk_start(before) == start ? before : start;
  return Row(this, protocol::as_bytes(std::string_view(row_bytes_.at(begin), end - begin)));
}

std::uint64_t Result::rows_affected() const noexcept {
  return backend::rows_in_tag(tag_).value_or(0);
}

void Result::add_row(Bytes body) {
  backend::DataRow check(body, columns().size());
  // A DataRow is under 1 GiB (its length is an int32).
  row_ends_.push_back(row_bytes_.append(protocol::as_chars(body)) + body.size());
}

}  // namespace tern::pg
