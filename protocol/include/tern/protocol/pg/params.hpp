// Bound parameters of one extended-protocol query, encoded as they are added.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "tern/protocol/pg/types.hpp"

namespace tern::pg {

/// Parameters $1..$n, encoded once when added (values never appear in the SQL text). Up to
/// kInline parameters' types and formats, and 15 bytes of encoded values (one int8, say), are
/// held inline: no heap allocation.
class Params {
 public:
  /// Parameters whose types and formats are stored without a heap allocation.
  static constexpr std::size_t kInline = 8;

  Params() = default;
  /// Builds from values: Params(1, std::string("x"), std::optional<double>{}).
  template <class... Args>
  explicit Params(const Args&... args) {
    (add(args), ...);
  }

  /// Appends a typed value (see Type<T>); std::optional<T> without a value is NULL of T's type.
  template <class T>
  void add(const T& value) {
    if constexpr (detail::kIsOptional<T>) {
      using V = typename T::value_type;
      types_.push_back(Type<V>::kOid);
      formats_.push_back(Type<V>::kFormat);
    } else {
      types_.push_back(Type<T>::kOid);
      formats_.push_back(Type<T>::kFormat);
    }
    ByteWriter w(values_);
    encode_param(value, w);
  }
  /// Appends a value of a type whose OID is only known at run time (an extension type such
  /// as hstore, see hstore.hpp): Type<T> encodes it, `type` names it.
  template <class T>
  void add(const T& value, Oid type) {
    types_.push_back(type);
    if constexpr (detail::kIsOptional<T>) {
      formats_.push_back(Type<typename T::value_type>::kFormat);
    } else {
      formats_.push_back(Type<T>::kFormat);
    }
    ByteWriter w(values_);
    encode_param(value, w);
  }
  /// String literals are text parameters of unknown type, as std::string.
  void add(const char* value) { add(std::string_view(value)); }
  /// A string view, as a text parameter of unknown type (as std::string).
  void add(std::string_view value) {
    types_.push_back(oid::kUnknown);
    formats_.push_back(Format::kText);
    ByteWriter w(values_);
    w.i32(static_cast<std::int32_t>(value.size()));
    w.raw(value);
  }
  /// Appends SQL NULL of type `type` (unknown: the server infers it).
  void add_null(Oid type = oid::kUnknown) {
    types_.push_back(type);
    formats_.push_back(Format::kText);
    ByteWriter w(values_);
    w.i32(-1);
  }

  /// Removes every parameter, keeping the storage for the next query.
  void clear() noexcept {
    // erase(), not clear(): absl::InlinedVector::clear() gives its heap storage back, which a
    // statement of more than kInline parameters would allocate again every time.
    types_.erase(types_.begin(), types_.end());
    formats_.erase(formats_.begin(), formats_.end());
    values_.clear();
  }

  /// Number of parameters.
  std::size_t size() const noexcept { return types_.size(); }
  /// Parameter type OIDs, for Parse.
  std::span<const Oid> types() const noexcept { return {types_.data(), types_.size()}; }
  /// Parameter formats, for Bind.
  std::span<const Format> formats() const noexcept { return {formats_.data(), formats_.size()}; }
  /// The encoded values back to back, for Bind.
  std::string_view values() const noexcept { return values_; }

 private:
  absl::InlinedVector<Oid, kInline> types_;
  absl::InlinedVector<Format, kInline> formats_;
  std::string values_;
};

}  // namespace tern::pg
