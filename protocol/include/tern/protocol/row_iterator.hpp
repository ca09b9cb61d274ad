// The input iterator every result type uses: an index into a container with row(i).
#pragma once

#include <cstddef>

namespace tern::protocol {

/// Iterates `Container::row(i)` for i in [0, size()): `for (Row r : result)`.
template <class Container, class Row>
class RowIterator {
 public:
  using value_type = Row;                  ///< What dereferencing yields (by value).
  using difference_type = std::ptrdiff_t;  ///< Iterator distance.
  RowIterator() = default;
  /// Row `i` of `c`.
  RowIterator(const Container* c, std::size_t i) noexcept : c_(c), i_(i) {}
  /// The current row.
  Row operator*() const { return c_->row(i_); }
  /// The next row.
  RowIterator& operator++() noexcept {
    ++i_;
    return *this;
  }
  /// The next row; returns the current.
  RowIterator operator++(int) noexcept {
    RowIterator t = *this;
    ++i_;
    return t;
  }
  /// Same position.
  bool operator==(const RowIterator& o) const noexcept { return i_ == o.i_; }

 private:
  const Container* c_ = nullptr;
  std::size_t i_ = 0;
};

}  // namespace tern::protocol
