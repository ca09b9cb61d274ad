// Big-endian byte readers and writers shared by the codecs. Every read is bounds-checked and
// throws ProtocolError(kTruncated) instead of reading past the end.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tern/protocol/protocol_error.hpp"

namespace tern::protocol {

/// Contiguous bytes received from a server; decoders hand out views into them.
using Bytes = std::span<const std::byte>;

/// Views bytes as characters (no copy).
inline std::string_view as_chars(Bytes b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// Views characters as bytes (no copy).
inline Bytes as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

/// Reads integers, strings and spans from a message body, front to back, bounds-checked.
class ByteReader {
 public:
  /// Reads from `data`; `what` names the message in error texts.
  explicit ByteReader(Bytes data, const char* what = "message") noexcept
      : data_(data), what_(what) {}

  /// Bytes not read yet.
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  /// True once everything was read.
  bool done() const noexcept { return pos_ == data_.size(); }
  /// The unread bytes.
  Bytes rest() const noexcept { return data_.subspan(pos_); }

  /// Reads an unsigned big-endian integer of type T.
  template <class T>
  T read_be() {
    static_assert(std::is_integral_v<T>);
    need(sizeof(T));
    std::make_unsigned_t<T> v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    if constexpr (std::endian::native == std::endian::little && sizeof(T) > 1) {
      v = byteswap(v);
    }
    return static_cast<T>(v);
  }
  /// Reads an unsigned little-endian integer of type T (the MySQL byte order).
  template <class T>
  T read_le() {
    static_assert(std::is_integral_v<T>);
    need(sizeof(T));
    std::make_unsigned_t<T> v;
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) v = byteswap(v);
    return static_cast<T>(v);
  }
  /// Reads an unsigned byte.
  std::uint8_t u8() { return read_be<std::uint8_t>(); }
  /// Reads a big-endian Int16.
  std::int16_t i16() { return read_be<std::int16_t>(); }
  /// Reads a big-endian UInt16.
  std::uint16_t u16() { return read_be<std::uint16_t>(); }
  /// Reads a big-endian Int32.
  std::int32_t i32() { return read_be<std::int32_t>(); }
  /// Reads a big-endian UInt32.
  std::uint32_t u32() { return read_be<std::uint32_t>(); }
  /// Reads a big-endian Int64.
  std::int64_t i64() { return read_be<std::int64_t>(); }

  /// Reads `n` bytes as a view.
  Bytes bytes(std::size_t n) {
    need(n);
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  /// Reads a NUL-terminated string (the NUL is consumed, not returned).
  std::string_view cstring() {
    if (remaining() == 0) fail("a string is missing its terminating NUL");
    const auto* begin = data_.data() + pos_;
    const void* nul = std::memchr(begin, 0, remaining());
    if (nul == nullptr) fail("a string is missing its terminating NUL");
    const auto len = static_cast<std::size_t>(static_cast<const std::byte*>(nul) - begin);
    pos_ += len + 1;
    return {reinterpret_cast<const char*>(begin), len};
  }
  /// Throws kTruncated unless `n` more bytes are available.
  void need(std::size_t n) const {
    if (remaining() < n) fail("truncated");
  }
  /// Throws ProtocolError(kTruncated) naming the message.
  [[noreturn]] void fail(const char* why) const;

 private:
  template <class U>
  static U byteswap(U v) noexcept {
    if constexpr (sizeof(U) == 2) return static_cast<U>(__builtin_bswap16(v));
    if constexpr (sizeof(U) == 4) return __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) return __builtin_bswap64(v);
  }

  Bytes data_;
  std::size_t pos_ = 0;
  const char* what_;
};

/// Appends big-endian integers and bytes to a reusable std::string buffer (the send buffer).
class ByteWriter {
 public:
  /// Appends to `out` (not cleared).
  explicit ByteWriter(std::string& out) noexcept : out_(out) {}

  /// Appends an integer in big-endian order.
  template <class T>
  void be(T v) {
    static_assert(std::is_integral_v<T>);
    auto u = static_cast<std::make_unsigned_t<T>>(v);
    char b[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      b[sizeof(T) - 1 - i] = static_cast<char>(u & 0xff);
      if constexpr (sizeof(T) > 1) u = static_cast<decltype(u)>(u >> 8);
    }
    out_.append(b, sizeof(T));
  }
  /// Appends an integer in little-endian order (the MySQL byte order).
  template <class T>
  void le(T v, std::size_t width = sizeof(T)) {
    static_assert(std::is_integral_v<T>);
    auto u = static_cast<std::uint64_t>(static_cast<std::make_unsigned_t<T>>(v));
    char b[8];  // one append, not one push_back per byte
    for (std::size_t i = 0; i < width && i < sizeof b; ++i, u >>= 8)
      b[i] = static_cast<char>(u & 0xff);
    out_.append(b, width < sizeof b ? width : sizeof b);
  }
  /// Appends a byte.
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  /// Appends a big-endian Int16.
  void i16(std::int16_t v) { be(v); }
  /// Appends a big-endian Int32.
  void i32(std::int32_t v) { be(v); }
  /// Appends a big-endian UInt32.
  void u32(std::uint32_t v) { be(v); }
  /// Appends a big-endian Int64.
  void i64(std::int64_t v) { be(v); }
  /// Appends raw bytes.
  void raw(std::string_view s) { out_.append(s); }
  /// Appends raw bytes.
  void raw(Bytes b) { out_.append(as_chars(b)); }
  /// Appends a string and its terminating NUL.
  void cstring(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
  }
  /// Current size of the buffer: a position to patch later.
  std::size_t size() const noexcept { return out_.size(); }
  /// Overwrites 4 bytes at `pos` with `v`, big-endian (a length written after its content).
  void patch_be32(std::size_t pos, std::uint32_t v) noexcept {
    for (int i = 3; i >= 0; --i, v >>= 8)
      out_[pos + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  }
  /// The underlying buffer.
  std::string& buffer() noexcept { return out_; }

 private:
  std::string& out_;
};

}  // namespace tern::protocol
