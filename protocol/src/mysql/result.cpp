#include "tern/protocol/mysql/result.hpp"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"

namespace tern::mysql {

std::optional<Bytes> Row::raw(std::size_t i) const {
  const std::size_t n = result_->types_.size();
  if (i >= n) throw InterfaceError(absl::StrCat("column ", i, " of ", n));
  const char* row = result_->row_bytes_.at(result_->row_at_[index_]);
  Result::Cell c;
  std::memcpy(&c, row + i * sizeof c, sizeof c);  // cells are not aligned in the chunk
  if (c.length == Result::kNull) return std::nullopt;
  // In bounds: add_row() made the cell from a value inside the row it stored.
  return Bytes(reinterpret_cast<const std::byte*>(row + n * sizeof c + c.offset), c.length);
}

Row Result::row(std::size_t i) const {
  if (i >= rows_) throw InterfaceError(absl::StrCat("row ", i, " of ", rows_));
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
  const std::size_t cells = scratch.size() * sizeof(Cell);
  const std::size_t need = cells + payload.size();
  if (payload.size() >= kNull || need > 0xFFFFFFFFu) {
    throw ResultTooLarge("a row of 4 GiB or more");
  }
  protocol::RowChunks::Place place = 0;
  char* at = row_bytes_.grow(need, place);
  const std::byte* const start = payload.data();
  for (const std::optional<Bytes>& v : scratch) {
    const Cell c = v ? Cell{static_cast<std::uint32_t>(v->data() - start),
                            static_cast<std::uint32_t>(v->size())}
                     : Cell{0, kNull};
    std::memcpy(at, &c, sizeof c);
    at += sizeof c;
  }
  if (!payload.empty()) std::memcpy(at, payload.data(), payload.size());
  row_at_.push_back(place);
  ++rows_;
}

void Result::set_ok(const OkPacket& ok) {
  affected_rows_ = ok.affected_rows;
  last_insert_id_ = ok.last_insert_id;
  warnings_ = ok.warnings;
  info_ = ok.info;
}

}  // namespace tern::mysql
