#include "tern/protocol/pg/result.hpp"

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
  const std::size_t begin = i == 0 ? 0 : row_ends_[i - 1];
  return Row(this, protocol::as_bytes(std::string_view(data_).substr(begin, row_ends_[i] - begin)));
}

std::uint64_t Result::rows_affected() const noexcept {
  return backend::rows_in_tag(tag_).value_or(0);
}

void Result::add_row(Bytes body) {
  backend::DataRow check(body, columns().size());
  data_.append(protocol::as_chars(body));
  row_ends_.push_back(data_.size());
}

}  // namespace tern::pg
