// The rows and OK data of one MySQL/MariaDB result set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/basic_row.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/mysql/rows.hpp"
#include "tern/protocol/mysql/types.hpp"
#include "tern/protocol/row_chunks.hpp"
#include "tern/protocol/row_iterator.hpp"
#include "tern/ring/recycle.hpp"

namespace tern::mysql {

class Result;

/// One row of a Result: a view, valid while the Result lives.
class Row : public protocol::BasicRow<Row, Result> {
 public:
  using BasicRow::get;
  /// The raw value of column i (nullopt for NULL): text form (text protocol) or binary layout.
  std::optional<Bytes> raw(std::size_t i) const;
  /// Column i decoded as T (std::optional<T> for nullable columns). Throws TypeError.
  template <class T>
  T get(std::size_t i) const;

 private:
  friend class Result;
  Row(const Result* result, std::size_t index) noexcept : BasicRow(result), index_(index) {}
  std::size_t index_;
};

/// The outcome of one statement: columns and rows (values kept compactly, decoded on access),
/// or the affected-rows data of its OK packet.
class Result {
 public:
  /// Column definitions (empty for statements without a result set).
  const std::vector<Column>& columns() const noexcept {
    static const std::vector<Column> kNone;
    return columns_ ? *columns_ : kNone;
  }
  /// Text protocol (COM_QUERY) or binary protocol (prepared statement) values.
  Format format() const noexcept { return format_; }
  /// Number of rows.
  std::size_t size() const noexcept { return rows_; }
  /// True when there are no rows.
  bool empty() const noexcept { return rows_ == 0; }
  /// Row i (bounds-checked: throws InterfaceError).
  Row row(std::size_t i) const;
  /// Row i, as row(i).
  Row operator[](std::size_t i) const { return row(i); }
  /// Rows changed by INSERT/UPDATE/DELETE (CLIENT_FOUND_ROWS off: changed, not matched).
  std::uint64_t affected_rows() const noexcept { return affected_rows_; }
  /// The AUTO_INCREMENT value the statement generated, or 0.
  std::uint64_t last_insert_id() const noexcept { return last_insert_id_; }
  /// Number of warnings (SHOW WARNINGS lists them).
  std::uint16_t warnings() const noexcept { return warnings_; }
  /// The server's info string ("Records: 3  Duplicates: 0  Warnings: 0").
  const std::string& info() const noexcept { return info_; }

  /// Iteration over rows.
  using Iterator = protocol::RowIterator<Result, Row>;
  /// The first row.
  Iterator begin() const noexcept { return {this, 0}; }
  /// Past the last row.
  Iterator end() const noexcept { return {this, size()}; }

  // Building (used by the connection).
  /// Sets the column definitions and the protocol the rows come in.
  void set_columns(std::shared_ptr<const std::vector<Column>> columns, Format format);
  /// Appends a row payload, validated against the columns; `scratch` is reused between rows.
  void add_row(Bytes payload, RowValues& scratch);
  /// Takes the counters of the OK packet that ended the statement.
  void set_ok(const OkPacket& ok);
  /// Takes the warning count of the EOF packet that ended the rows.
  void set_warnings(std::uint16_t warnings) noexcept { warnings_ = warnings; }

 private:
  friend class Row;
  // Where a value is in its row's payload; length kNull marks SQL NULL.
  struct Cell {
    std::uint32_t offset;
    std::uint32_t length;
  };
  static constexpr std::uint32_t kNull = 0xFFFFFFFF;

  // Kept from the per-thread recycling allocator: a steady-state query reuses the blocks of the
  // previous one instead of reaching malloc.
  template <class T>
  using Vector = std::vector<T, ring::RecyclingAllocator<T>>;

  // A vector of trivially copyable T whose first N elements live in the object: a small
  // result (a point select's row) allocates nothing at all. Past N everything moves to the heap.
  template <class T, std::size_t N>
  class SmallVector {
   public:
    std::size_t size() const noexcept { return on_heap_ ? heap_.size() : size_; }
    const T* data() const noexcept { return on_heap_ ? heap_.data() : inline_; }
    const T& operator[](std::size_t i) const noexcept { return data()[i]; }
    void clear() noexcept {
      heap_.clear();
      on_heap_ = false;
      size_ = 0;
    }
    void push_back(T v) { *grow(1) = v; }
    /// Appends `n` elements (unset) and returns the first.
    T* grow(std::size_t n) {
      if (!on_heap_) {
        if (n <= N - size_) {
          size_ += n;
          return inline_ + size_ - n;
        }
        heap_.assign(inline_, inline_ + size_);
        on_heap_ = true;
      }
      const std::size_t first = heap_.size();
      heap_.resize(first + n);
      return heap_.data() + first;
    }

   private:
    T inline_[N]{};
    std::size_t size_ = 0;  // elements in inline_ (while !on_heap_)
    bool on_heap_ = false;
    Vector<T> heap_;
  };

  std::shared_ptr<const std::vector<Column>> columns_;
  SmallVector<FieldType, 16> types_;  // per column, for the binary row layout
  Format format_ = Format::kText;
  protocol::RowChunks row_bytes_;  // each row as its cells, then its payload
  // Per row: the place of its cells in row_bytes_.
  SmallVector<protocol::RowChunks::Place, 1> row_at_;
  std::size_t rows_ = 0;
  std::uint64_t affected_rows_ = 0;
  std::uint64_t last_insert_id_ = 0;
  std::uint16_t warnings_ = 0;
  std::string info_;
};

template <class T>
T Row::get(std::size_t i) const {
  return decode_value<T>(result_->columns().at(i).type, result_->format(), raw(i));
}

}  // namespace tern::mysql
