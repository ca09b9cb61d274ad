// The compressed packet layer (CLIENT_COMPRESS) over zlib.
// MariaDB: https://mariadb.com/kb/en/0-packet/ ("compressed packet", in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression_packet.html
#include "tern/protocol/mysql/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::Bytes;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

std::size_t le24(const std::byte* p) noexcept {
  return std::to_integer<std::size_t>(p[0]) | (std::to_integer<std::size_t>(p[1]) << 8) |
         (std::to_integer<std::size_t>(p[2]) << 16);
}

void put_le24(char* at, std::size_t v) noexcept {
  at[0] = static_cast<char>(v & 0xff);
  at[1] = static_cast<char>((v >> 8) & 0xff);
  at[2] = static_cast<char>((v >> 16) & 0xff);
}

// Buffers start at 64 KiB, grow for a packet up to 16 MiB, and shrink back when a huge one is
// gone.
constexpr std::size_t kInitialSize = 64 * 1024;
constexpr std::size_t kShrinkAbove = 4 * 1024 * 1024;

// zlib's in and out pointers are not const and are at most uInt long; frames are < 16 MiB.
Bytef* zin(const std::byte* p) noexcept {
  return reinterpret_cast<Bytef*>(const_cast<std::byte*>(p));
}

}  // namespace

// A deflate and an inflate stream, each made on first use (a connection that only ever sends
// small packets never pays deflate's ~256 KiB) and reset for each compressed packet.
struct CompressedPackets::Deflater {
  z_stream z{};
  Deflater() {
    if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK) throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&z); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
};

struct CompressedPackets::Inflater {
  z_stream z{};
  Inflater() {
    if (inflateInit(&z) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&z); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

CompressedPackets::CompressedPackets() = default;
CompressedPackets::~CompressedPackets() = default;

void CompressedPackets::PacketCursor::advance(Bytes bytes) noexcept {
  while (!bytes.empty()) {
    if (left > 0) {
      const std::size_t n = std::min(left, bytes.size());
      left -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    header[header_got++] = std::to_integer<std::uint8_t>(bytes[0]);
    bytes = bytes.subspan(1);
    if (header_got == kPacketHeaderSize) {
      header_got = 0;
      left = static_cast<std::size_t>(header[0]) | (static_cast<std::size_t>(header[1]) << 8) |
             (static_cast<std::size_t>(header[2]) << 16);
      last_full = left == kMaxPacketPayload;
    }
  }
}

// ---- sending ----

void CompressedPackets::encode(Bytes plain, std::string& wire) {
  // Splits `plain` into segments, one per request or reply, each written as compressed
  // packets of its own: a server reads each command's compressed packets from id 0.
  std::size_t start = 0;
  std::size_t at = 0;
  while (at < plain.size()) {
    if (sent_.at_boundary() && !sent_.last_full && plain.size() - at >= kPacketHeaderSize) {
      // A packet that starts a payload: a new request (id 0) or a reply inside an exchange.
      write_frames(plain.subspan(start, at - start), wire);
      start = at;
      reply_ = std::to_integer<std::uint8_t>(plain[at + 3]) != 0;
      write_seq_ = reply_ ? read_seq_ : 0;
    }
    // Step over one packet (or what of it this call holds).
    const Bytes rest = plain.subspan(at);
    std::size_t step = 0;
    if (sent_.left > 0) {
      step = std::min(sent_.left, rest.size());
    } else {
      step = std::min<std::size_t>(kPacketHeaderSize - sent_.header_got, rest.size());
    }
    sent_.advance(rest.first(step));
    at += step;
  }
  write_frames(plain.subspan(start), wire);
}

void CompressedPackets::write_frames(Bytes segment, std::string& wire) {
  while (!segment.empty()) {
    const Bytes piece = segment.first(std::min(segment.size(), kMaxCompressedPayload));
    segment = segment.subspan(piece.size());
    const std::size_t header_at = wire.size();
    wire.append(kCompressedHeaderSize, '\0');
    std::size_t stored_length = piece.size();  // on the wire
    std::size_t original_length = 0;           // 0: stored as it is
    if (piece.size() >= kMinCompressLength) {
      if (!deflater_) deflater_ = std::make_unique<Deflater>();
      z_stream& z = deflater_->z;
      deflateReset(&z);
      const std::size_t bound = deflateBound(&z, static_cast<uLong>(piece.size()));
      wire.resize(header_at + kCompressedHeaderSize + bound);
      z.next_in = zin(piece.data());
      z.avail_in = static_cast<uInt>(piece.size());
      z.next_out = reinterpret_cast<Bytef*>(wire.data() + header_at + kCompressedHeaderSize);
      z.avail_out = static_cast<uInt>(bound);
      const int rc = ::deflate(&z, Z_FINISH);
      // Worth it only when it shrinks; deflate into deflateBound() bytes always ends.
      if (rc == Z_STREAM_END && z.total_out < piece.size()) {
        stored_length = z.total_out;
        original_length = piece.size();
      }
      wire.resize(header_at + kCompressedHeaderSize + (original_length != 0 ? stored_length : 0));
    }
    if (original_length == 0) wire.append(protocol::as_chars(piece));
    char* h = wire.data() + header_at;
    put_le24(h, stored_length);
    h[3] = static_cast<char>(write_seq_++);
    put_le24(h + 4, original_length);
    stats_.wire_out += kCompressedHeaderSize + stored_length;
    stats_.plain_out += piece.size();
  }
  // Within an exchange the ids are shared: the server's next packet follows ours.
  if (reply_) read_seq_ = write_seq_;
}

// ---- receiving ----

std::span<std::byte> CompressedPackets::wire_space() {
  std::size_t need = kCompressedHeaderSize;
  if (in_end_ - in_begin_ >= kCompressedHeaderSize) {
    need += le24(in_.data() + in_begin_);
  }
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_.size() > kShrinkAbove) {  // after a huge packet
      in_.resize(kInitialSize);
      in_.shrink_to_fit();
    }
  }
  // Compact when the packet would not fit behind the unread bytes, or little room is left.
  if (in_begin_ > 0 && (in_.size() - in_begin_ < need || in_.size() - in_end_ < 4096)) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  // Room for the rest of the front packet, grown as its bytes arrive rather than all at once
  // for the length its header claims: a bogus 16 MiB header costs nothing until 16 MiB come.
  const std::size_t buffered = in_end_ - in_begin_;
  const std::size_t missing = need > buffered ? need - buffered : 0;
  const std::size_t room =
      std::clamp<std::size_t>(missing, 4096, std::max(in_.size(), kInitialSize));
  const std::size_t size = std::max(in_end_ + room, kInitialSize);
  if (in_.size() < size) in_.resize(size);
  return std::span(in_.data() + in_end_, in_.size() - in_end_);
}

void CompressedPackets::wire_received(std::size_t n) {
  in_end_ += n;
  stats_.wire_in += n;
}

void CompressedPackets::feed(Bytes wire) {
  while (!wire.empty()) {
    const std::span<std::byte> space = wire_space();
    const std::size_t n = std::min(space.size(), wire.size());
    std::memcpy(space.data(), wire.data(), n);
    wire_received(n);
    wire = wire.subspan(n);
  }
}

bool CompressedPackets::buffered() const noexcept {
  return in_begin_ != in_end_ || plain_begin_ != plain_end_;
}

std::size_t CompressedPackets::decode(std::span<std::byte> out) {
  // As many buffered compressed packets as fit: the reader parses them in one go.
  std::size_t n = 0;
  while (n < out.size()) {
    if (plain_begin_ == plain_end_ && !decode_frame()) break;
    const std::size_t k = std::min(out.size() - n, plain_end_ - plain_begin_);
    if (k > 0) std::memcpy(out.data() + n, plain_.data() + plain_begin_, k);
    plain_begin_ += k;
    n += k;
  }
  return n;
}

bool CompressedPackets::decode_frame() {
  const std::size_t have = in_end_ - in_begin_;
  if (have < kCompressedHeaderSize) return false;
  const std::byte* h = in_.data() + in_begin_;
  const std::size_t length = le24(h);
  const auto seq = std::to_integer<std::uint8_t>(h[3]);
  const std::size_t original = le24(h + 4);
  // A compressed packet that continues a packet split over several must follow its
  // predecessor; one that starts the response to a later (pipelined) command restarts.
  if (seq != read_seq_ && !(received_.at_boundary() && !received_.last_full)) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        absl::StrCat("compressed packet sequence id ", seq, " where ", read_seq_,
                                     " was due inside a packet"));
  }
  if (have - kCompressedHeaderSize < length) return false;
  const Bytes payload(h + kCompressedHeaderSize, length);
  // plain_ only grows (its size is its capacity; plain_end_ marks the bytes in use), so that
  // no packet pays for zeroing it.
  const std::size_t size = original == 0 ? length : original;
  if (plain_.size() > kShrinkAbove && size <= kInitialSize) {
    plain_.resize(kInitialSize);  // after a huge packet
    plain_.shrink_to_fit();
  }
  plain_begin_ = plain_end_ = 0;
  if (original == 0) {
    if (plain_.size() < length) plain_.resize(length);
    if (length > 0) std::memcpy(plain_.data(), payload.data(), length);
  } else {
    inflate_into(payload, original);
  }
  plain_end_ = size;
  in_begin_ += kCompressedHeaderSize + length;
  read_seq_ = static_cast<std::uint8_t>(seq + 1);
  stats_.plain_in += size;
  received_.advance(Bytes(plain_.data(), size));
  return true;
}

void CompressedPackets::inflate_into(Bytes payload, std::size_t original) {
  // Never more than the header claims (at most 16 MiB): a payload that would inflate past it
  // is rejected, not followed. plain_ grows as inflate fills it (doubling), not to the claimed
  // size up front: a header claiming 16 MiB over a few bytes of zlib data costs what those
  // bytes inflate to.
  if (!inflater_) inflater_ = std::make_unique<Inflater>();
  z_stream& z = inflater_->z;
  inflateReset(&z);
  z.next_in = zin(payload.data());
  z.avail_in = static_cast<uInt>(payload.size());
  std::size_t produced = 0;
  int rc = Z_OK;
  for (;;) {
    const std::size_t room =
        std::min(original, std::max({plain_.size(), kInitialSize, produced * 2}));
    if (plain_.size() < room) plain_.resize(room);
    z.next_out = reinterpret_cast<Bytef*>(plain_.data() + produced);
    z.avail_out = static_cast<uInt>(room - produced);
    rc = ::inflate(&z, Z_NO_FLUSH);
    produced = room - z.avail_out;
    // More room helps only when inflate stopped for the lack of it.
    if (rc == Z_STREAM_END || z.avail_out > 0 || room == original) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  if (rc == Z_OK) rc = Z_BUF_ERROR;  // stopped short of the stream's end: out of input or room
  if (rc == Z_STREAM_END) {
    if (produced != original || z.avail_in != 0) {
      throw ProtocolError(
          ProtocolErrc::kBadLength,
          absl::StrCat("compressed packet inflates to ", produced, " bytes where its header says ",
                       original, z.avail_in != 0 ? ", with bytes after its zlib data" : ""));
    }
  } else if (rc == Z_BUF_ERROR && z.avail_out == 0) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        absl::StrCat("compressed packet inflates to more than the ", original,
                                     " bytes its header says"));
  } else if (rc == Z_BUF_ERROR) {
    throw ProtocolError(ProtocolErrc::kTruncated,
                        absl::StrCat("compressed packet's zlib data ends early (", payload.size(),
                                     " bytes inflate to ", produced, " of ", original, ")"));
  } else {
    throw ProtocolError(ProtocolErrc::kBadValue,
                        absl::StrCat("compressed packet does not inflate: ",
                                     z.msg != nullptr ? z.msg : "zlib error ",
                                     z.msg != nullptr ? "" : std::to_string(rc)));
  }
}

}  // namespace tern::mysql
