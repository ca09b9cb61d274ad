// The input iterator every result type uses: an index into a container with row(i).
#pragma once

#include <cstddef>

namespace tern::protocol {

/// Iterates `Container::row(i)` for i in [0, size()): `for (Row r : result)`.
template <class Container, class Row>
class RowIterator {
 public:
  using value_type = Row;
  using difference_type = std::ptrdiff_t;
  RowIterator() = default;
  /// Row `i` of `c`.
  RowIterator(const Container* c, std::size_t i) noexcept : c_(c), i_(i) {}
  Row operator*() const { return c_->row(i_); }
  RowIterator& operator++() noexcept {
    ++i_;
    return *this;
  }
  RowIterator operator++(int) noexcept {
    RowIterator t = *this;
    ++i_;
    return t;
  }
  bool operator==(const RowIterator& o) const noexcept { return i_ == o.i_; }

 private:
  const Container* c_ = nullptr;
  std::size_t i_ = 0;
};

}  // namespace tern::protocol
