#include "tern/protocol/pg/result.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::pg {

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
  const std::uint64_t end = row_ends_[i];
  const std::uint64_t before = i == 0 ? 0 : row_ends_[i - 1];
  const std::size_t chunk = end >> 32;
  const std::size_t begin = (before >> 32) == chunk ? before & 0xFFFFFFFFu : 0;
  const RowBytes& bytes = chunk == 0 ? data_ : chunks_[chunk - 1];
  return Row(
      this, protocol::as_bytes(std::string_view(bytes).substr(begin, (end & 0xFFFFFFFFu) - begin)));
}

std::uint64_t Result::rows_affected() const noexcept {
  return backend::rows_in_tag(tag_).value_or(0);
}

void Result::add_row(Bytes body) {
  backend::DataRow check(body, columns().size());
  // A DataRow is under 1 GiB (its length is an int32): offsets fit in 32 bits.
  RowBytes* chunk = chunks_.empty() ? &data_ : &chunks_.back();
  if (!chunk->empty() && chunk->size() + body.size() > kChunkSize) {
    chunk = &chunks_.emplace_back();
    chunk->reserve(std::max(kChunkSize, body.size()));
  }
  chunk->append(protocol::as_chars(body));
  row_ends_.push_back(std::uint64_t{chunks_.size()} << 32 | chunk->size());
}

}  // namespace tern::pg
