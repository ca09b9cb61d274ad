// The rows and command tag of one executed statement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/basic_row.hpp"
#include "tern/protocol/pg/backend.hpp"
#include "tern/protocol/pg/types.hpp"
#include "tern/protocol/row_chunks.hpp"
#include "tern/protocol/row_iterator.hpp"
#include "tern/ring/recycle.hpp"

namespace tern::pg {

class Result;

/// One row of a Result: a view, valid while the Result lives.
class Row : public protocol::BasicRow<Row, Result> {
 public:
  using BasicRow::get;
  /// The raw value of column i (nullopt for NULL), in the column's format.
  std::optional<Bytes> raw(std::size_t i) const;
  /// The description of column i (its type OID and the format of its values).
  const backend::Column& column(std::size_t i) const;
  /// Column i decoded as T (use std::optional<T> for nullable columns). Throws TypeError.
  template <class T>
  T get(std::size_t i) const;

 private:
  friend class Result;
  Row(const Result* result, Bytes body) noexcept : BasicRow(result), body_(body) {}
  Bytes body_;
};

/// The outcome of one statement: column descriptions, rows (stored compactly, decoded on
/// access) and the command tag.
class Result {
 public:
  /// Column descriptions (empty for statements without a result set).
  const std::vector<backend::Column>& columns() const noexcept {
    static const std::vector<backend::Column> kNone;
    return columns_ ? *columns_ : kNone;
  }
  /// Number of rows.
  std::size_t size() const noexcept { return row_ends_.size(); }
  /// True when there are no rows.
  bool empty() const noexcept { return row_ends_.empty(); }
  /// Row i (bounds-checked: throws InterfaceError).
  Row row(std::size_t i) const;
  /// Row i, as row(i).
  Row operator[](std::size_t i) const { return row(i); }
  /// The command tag, e.g. "UPDATE 3".
  const std::string& command_tag() const noexcept { return tag_; }
  /// Rows inserted/updated/deleted/selected according to the tag (0 when it has no count).
  std::uint64_t rows_affected() const noexcept;

  /// Iteration over rows.
  using Iterator = protocol::RowIterator<Result, Row>;
  /// The first row.
  Iterator begin() const noexcept { return {this, 0}; }
  /// Past the last row.
  Iterator end() const noexcept { return {this, size()}; }

  // Building (used by the connection).
  /// Sets the column descriptions (shared with the statement cache).
  void set_columns(std::shared_ptr<const std::vector<backend::Column>> columns) noexcept {
    columns_ = std::move(columns);
  }
  /// Appends a DataRow body (validated against the column count).
  void add_row(Bytes body);
  /// Sets the command tag.
  void set_command_tag(std::string_view tag) { tag_ = tag; }
  /// Sets the session settings the rows came under (their text dates and intervals follow
  /// them); shared with the connection.
  void set_text_settings(std::shared_ptr<const TextSettings> settings) noexcept {
    settings_ = std::move(settings);
  }
  /// The session settings the rows came under; nullptr for a Result built by hand (its text
  /// is then read in the connection's defaults).
  const TextSettings* text_settings() const noexcept { return settings_.get(); }
  /// Sets the notices (NoticeResponse: NOTICE, WARNING, INFO...) the statement raised.
  void set_notices(std::vector<ServerErrorInfo> notices) {
    notices_ = std::make_shared<const std::vector<ServerErrorInfo>>(std::move(notices));
  }
  /// The notices the statement raised, in order (RAISE NOTICE, "table exists, skipping"...);
  /// tern::log reports them too. Empty for row streams' batches.
  std::span<const ServerErrorInfo> notices() const noexcept {
    if (!notices_) return {};
    return *notices_;
  }

 private:
  friend class Row;
  std::shared_ptr<const std::vector<backend::Column>> columns_;
  protocol::RowChunks row_bytes_;  // the DataRow bodies
  // Per row: the place where its body ends in row_bytes_ (it starts where the row before it ends,
  // or at the start of its chunk).
  std::vector<protocol::RowChunks::Place, ring::RecyclingAllocator<protocol::RowChunks::Place>>
      row_ends_;
  std::string tag_;
  std::shared_ptr<const TextSettings> settings_;
  // Shared, not a vector of its own: nearly every result has none, and a null pointer is
  // cheaper to move than an empty vector (a Result moves several times per query).
  std::shared_ptr<const std::vector<ServerErrorInfo>> notices_;
};

template <class T>
T Row::get(std::size_t i) const {
  const backend::Column& c = result_->columns().at(i);
  return decode_value<T>(c.type, c.format, raw(i), result_->settings_.get());
}

}  // namespace tern::pg
