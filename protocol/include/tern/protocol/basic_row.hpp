// The part of a result row both backends share: its column count and lookup by column name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tern/protocol/exceptions.hpp"

namespace tern::protocol {

/// A view of one row of a `Result` (anything with columns(), each column with a `name`),
/// valid while the Result lives. `Row` derives from it (CRTP) and adds raw(i) and
/// get<T>(std::size_t i), its backend's decoding; it says `using BasicRow::get;` to keep
/// get<T>(name) beside its own get.
template <class Row, class Result>
class BasicRow {
 public:
  /// Number of columns.
  std::size_t size() const noexcept { return result_->columns().size(); }
  /// The column named `name` decoded as T. Throws InterfaceError for an unknown name.
  template <class T>
  T get(std::string_view name) const {
    return static_cast<const Row&>(*this).template get<T>(column_index(name));
  }
  /// Index of the column named `name`; throws InterfaceError when there is none.
  std::size_t column_index(std::string_view name) const {
    const auto& columns = result_->columns();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == name) return i;
    }
    throw InterfaceError("no column named \"" + std::string(name) + "\" in the result");
  }

 protected:
  /// A row of `result`.
  explicit BasicRow(const Result* result) noexcept : result_(result) {}
  const Result* result_;  ///< the result the row belongs to
};

}  // namespace tern::protocol
