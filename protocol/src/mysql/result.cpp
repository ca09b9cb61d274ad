#include "tern/protocol/mysql/result.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "tern/protocol/errors.hpp"

namespace tern::mysql {

std::optional<Bytes> Row::raw(std::size_t i) const {
  const std::size_t n = result_->types_.size();
  if (i >= n) throw std::out_of_range(absl::StrCat("column ", i, " of ", n));
  const Result::Cell& c = result_->cells_[index_ * n + i];
  if (c.length == Result::kNull) return std::nullopt;
  // In bounds: add_row() made the cell from a value inside the row it appended.
  return Bytes(reinterpret_cast<const std::byte*>(result_->data_.data()) + c.offset, c.length);
}

std::size_t Row::column_index(std::string_view name) const {
  const auto& columns = result_->columns();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  throw InterfaceError("no column named \"" + std::string(name) + "\" in the result");
}

Row Result::row(std::size_t i) const {
  if (i >= rows_) throw std::out_of_range(absl::StrCat("row ", i, " of ", rows_));
  return Row(this, i);
}

void Result::set_columns(std::shared_ptr<const std::vector<Column>> columns, Format format) {
  columns_ = std::move(columns);
  format_ = format;
  types_.clear();
  for (const Column& c : *columns_)
    types_.push_back(c.type.type);
}

void Result::add_row(Bytes payload, RowValues& scratch) {
  if (format_ == Format::kText) {
    parse_text_row(payload, types_.size(), scratch);
  } else {
    parse_binary_row(payload, std::span(types_.data(), types_.size()), scratch);
  }
  const std::size_t base = data_.size();
  const std::byte* const start = payload.data();
  data_.append(protocol::as_chars(payload));
  Cell* cell = cells_.grow(scratch.size());
  for (const std::optional<Bytes>& v : scratch) {
    *cell++ = v ? Cell{base + static_cast<std::size_t>(v->data() - start),
                       static_cast<std::uint32_t>(v->size())}
                : Cell{0, kNull};
  }
  ++rows_;
}

void Result::set_ok(const OkPacket& ok) {
  affected_rows_ = ok.affected_rows;
  last_insert_id_ = ok.last_insert_id;
  warnings_ = ok.warnings;
  info_ = ok.info;
}

}  // namespace tern::mysql
