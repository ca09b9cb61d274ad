// MySQL packet framing: every payload travels in packets of a 3-byte little-endian length, a
// 1-byte sequence id and at most 0xFFFFFF payload bytes. A payload of 0xFFFFFF bytes or more is
// split: packets of exactly 0xFFFFFF bytes continue into the next one, and the last packet is
// shorter (possibly empty).
// MariaDB: https://mariadb.com/kb/en/0-packet/ (in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tern/protocol/bytes.hpp"

namespace tern::mysql {

using protocol::ByteReader;
using protocol::Bytes;
using protocol::ByteWriter;

/// The largest payload of one packet; a packet this full is continued by the next one.
inline constexpr std::size_t kMaxPacketPayload = 0xFFFFFF;
/// Size of a packet header: 3-byte length + sequence id.
inline constexpr std::size_t kPacketHeaderSize = 4;
/// Default cap on a reassembled payload (a row holding a huge BLOB): 64 MiB, four times the
/// servers' default max_allowed_packet (1 GiB is their largest), so that a corrupt or hostile
/// server cannot make the client buffer a GiB (ConnectOptions::max_payload_size raises it).
inline constexpr std::size_t kDefaultMaxPayload = std::size_t{64} << 20;

/// One packet as it is on the wire.
struct Packet {
  std::uint8_t seq = 0;  ///< sequence id
  Bytes payload;         ///< payload, without the header (a view into the framed bytes)
  /// True when the payload continues in the next packet (this one is exactly 0xFFFFFF bytes).
  bool continues() const noexcept { return payload.size() == kMaxPacketPayload; }
};

/// Frames the packet at the front of `data`. Returns it and sets `consumed` to its full size
/// (header included) when complete; returns nullopt (consumed = 0) when more bytes are needed.
/// Throws ProtocolError(kBadLength) when the length field exceeds `max_payload`.
std::optional<Packet> frame(Bytes data, std::size_t& consumed,
                            std::size_t max_payload = kMaxPacketPayload);

/// How many bytes the packet at the front of `data` needs in all (header included), or 4 when
/// not even its header is there. Lets the reader grow its buffer once.
std::size_t frame_size(Bytes data) noexcept;

/// A complete logical payload, possibly reassembled from several packets.
struct Payload {
  Bytes bytes;                 ///< the payload (see Reassembler::next for its lifetime)
  std::uint8_t first_seq = 0;  ///< sequence id of its first packet
  std::uint8_t last_seq = 0;   ///< sequence id of its last packet
  /// The sequence id the next packet (from either side) must carry.
  std::uint8_t next_seq() const noexcept { return static_cast<std::uint8_t>(last_seq + 1); }
};

/// Turns received packets into logical payloads. Zero copy for the common case of a payload in
/// one packet: the returned view points into the caller's receive buffer. A payload split over
/// several packets is copied into an internal buffer (the headers in between must go).
///
/// Usage: call next() with the unconsumed receive buffer; drop `consumed` bytes from the front
/// of that buffer once the returned payload is no longer needed (or at once when nullopt is
/// returned); call again.
class Reassembler {
 public:
  /// `max_payload` caps a reassembled payload (ProtocolError(kBadLength) when exceeded).
  explicit Reassembler(std::size_t max_payload = kDefaultMaxPayload) noexcept
      : max_payload_(max_payload) {}

  /// Reads packets from the front of `data`.
  ///
  /// Returns the next complete payload, or nullopt when more bytes are needed. `consumed` is
  /// the number of bytes of `data` used up; it can be non-zero even with nullopt (the full
  /// 0xFFFFFF-byte packets of an incomplete payload were copied into the internal buffer).
  /// The returned view points into `data` (single packet) or into the internal buffer
  /// (reassembled); it stays valid until the caller modifies `data` or calls next()/reset().
  ///
  /// Throws ProtocolError(kBadLength) when the payload grows past the cap and
  /// ProtocolError(kUnexpectedMessage) when a continuation packet's sequence id is not the
  /// previous one plus 1. The sequence id of the first packet is not checked: compare
  /// Payload::first_seq with what the exchange expects.
  std::optional<Payload> next(Bytes data, std::size_t& consumed);

  /// How many bytes the packet at the front of `data` needs in all (as mysql::frame_size), for
  /// a reader growing its buffer. Throws ProtocolError(kBadLength) for a packet next() would
  /// reject for its length, so that the buffer never grows for one (up to 16 MiB each).
  std::size_t frame_size(Bytes data) const;

  /// Forgets a partially received payload.
  void reset() noexcept;
  /// True while a multi-packet payload is partially received.
  bool in_progress() const noexcept { return in_progress_; }
  /// The payload cap.
  std::size_t max_payload() const noexcept { return max_payload_; }

 private:
  std::size_t max_payload_;
  std::string buffer_;
  bool in_progress_ = false;
  std::uint8_t first_seq_ = 0;
  std::uint8_t last_seq_ = 0;
};

/// Appends `payload` as packets starting at sequence id `seq`: 0xFFFFFF-byte chunks and a final
/// shorter (possibly empty) packet. Returns the sequence id of the packet after the last one.
std::uint8_t write_packets(std::string& out, std::uint8_t seq, Bytes payload);
/// The same for a payload held as characters.
inline std::uint8_t write_packets(std::string& out, std::uint8_t seq, std::string_view payload) {
  return write_packets(out, seq, protocol::as_bytes(payload));
}

/// Builds one payload in place in a send buffer and frames it when done. Usage:
///   PacketBuilder p(out, seq); p.body().u8(0x03); p.body().raw(sql); seq = p.finish();
/// A payload of 0xFFFFFF bytes or more is split into several packets by finish().
class PacketBuilder {
 public:
  /// Starts a packet with sequence id `seq` at the end of `out` (a header is reserved).
  PacketBuilder(std::string& out, std::uint8_t seq);
  PacketBuilder(const PacketBuilder&) = delete;
  PacketBuilder& operator=(const PacketBuilder&) = delete;
  /// The writer that appends the payload.
  ByteWriter& body() noexcept { return writer_; }
  /// Payload bytes written so far.
  std::size_t payload_size() const noexcept { return out_.size() - start_ - kPacketHeaderSize; }
  /// Writes the header(s); returns the sequence id of the next packet. Call exactly once.
  std::uint8_t finish();

 private:
  std::string& out_;
  ByteWriter writer_;
  std::size_t start_;
  std::uint8_t seq_;
};

}  // namespace tern::mysql
