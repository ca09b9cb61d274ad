// The compressed protocol (CLIENT_COMPRESS, zlib): once the handshake ends with OK, both sides
// wrap their byte stream of ordinary packets into compressed packets. Each has a 7-byte header:
// the 3-byte length of its payload on the wire, a 1-byte compressed sequence id and the 3-byte
// length of the payload before compression; a payload whose uncompressed length is 0 is stored
// as it is (small packets, data that does not shrink). The payload is zlib data (RFC 1950) of
// any part of the packet stream: several packets may share one compressed packet and one
// packet may span several. The compressed sequence id counts compressed packets independently
// of the packets' own ids and restarts at 0 with each command, as those do.
// MariaDB: https://mariadb.com/kb/en/0-packet/ ("compressed packet", in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html
//
// MariaDB (10.11 included) offers zlib only: it never announces
// CLIENT_ZSTD_COMPRESSION_ALGORITHM, which is MySQL 8's; tern does not speak zstd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tern/protocol/bytes.hpp"
#include "tern/protocol/transport.hpp"

namespace tern::mysql {

/// Size of a compressed packet's header.
inline constexpr std::size_t kCompressedHeaderSize = 7;
/// Payloads shorter than this are sent stored, not compressed (as MariaDB's own client does:
/// zlib's framing would make them longer).
inline constexpr std::size_t kMinCompressLength = 50;
/// The largest payload (before or after compression) of one compressed packet.
inline constexpr std::size_t kMaxCompressedPayload = 0xFFFFFF;

/// Byte counts of a compressed stream, both directions.
struct CompressionStats {
  std::uint64_t wire_in = 0;    ///< compressed packets received, headers included
  std::uint64_t plain_in = 0;   ///< packet bytes they held
  std::uint64_t wire_out = 0;   ///< compressed packets sent, headers included
  std::uint64_t plain_out = 0;  ///< packet bytes they held
};

/// The compressed packet layer, sans-I/O: encode() turns outgoing packets into compressed
/// packets; wire bytes fed with wire_space()/wire_received() (or feed()) come back out of
/// decode() as the packets they hold. A protocol::StreamFilter, so that a Transport can apply
/// it to everything it reads and writes once the handshake switched compression on.
///
/// Checks on received bytes, each a ProtocolError (the connection must then be discarded): a
/// payload that does not inflate (kBadValue), that inflates to more or fewer bytes than its
/// header claims or leaves bytes over (kBadLength: no more than the claimed length, at most
/// 16 MiB, is ever inflated), and a compressed sequence id out of order (kUnexpectedMessage).
/// The compressed id must continue its predecessor's wherever the packets inside are not at a
/// boundary between two exchanges; at such a boundary (the first compressed packet of a
/// response to a pipelined command) it may restart, and the packets' own sequence ids, which
/// the connection checks, keep the order.
class CompressedPackets final : public protocol::StreamFilter {
 public:
  /// A layer in its initial state (sequence ids at 0, nothing buffered).
  CompressedPackets();
  ~CompressedPackets() override;
  CompressedPackets(const CompressedPackets&) = delete;
  CompressedPackets& operator=(const CompressedPackets&) = delete;

  /// Appends `plain`, whole packets (their headers never split between calls), as compressed
  /// packets to `wire`. Each request (a packet with sequence id 0 and any continuation of its
  /// payload) gets compressed packets of its own with ids from 0; a packet answering the
  /// server within an exchange (LOCAL INFILE data) continues the received ids.
  void encode(protocol::Bytes plain, std::string& wire) override;

  /// Free space of at least 1 byte for received wire bytes; room for the whole compressed
  /// packet at the front once its header is in.
  std::span<std::byte> wire_space() override;
  /// `n` bytes were written into wire_space().
  void wire_received(std::size_t n) override;
  /// Copies wire bytes in (for tests and fuzzing: wire_space() + wire_received()).
  void feed(protocol::Bytes wire);
  /// Moves up to out.size() packet bytes decoded from the wire bytes received into `out`;
  /// returns how many (0: a whole compressed packet has not been received yet). Throws
  /// ProtocolError as the class says.
  std::size_t decode(std::span<std::byte> out) override;
  /// True while bytes are held: decoded and not taken, or part of a compressed packet.
  bool buffered() const noexcept override;

  /// Bytes in and out so far.
  const CompressionStats& stats() const noexcept { return stats_; }

 private:
  /// Where a stream of packets stands: inside a packet's header, inside its payload, or
  /// between two packets.
  struct PacketCursor {
    std::uint8_t header[4] = {};
    std::uint8_t header_got = 0;  ///< header bytes seen of the current packet
    std::size_t left = 0;         ///< payload bytes of the current packet still to come
    bool last_full = false;       ///< the last packet was 0xFFFFFF bytes: its payload continues
    /// True between two packets.
    bool at_boundary() const noexcept { return header_got == 0 && left == 0; }
    /// Advances over `bytes`.
    void advance(protocol::Bytes bytes) noexcept;
  };
  struct Deflater;
  struct Inflater;

  /// Decodes the compressed packet at the front of the received bytes into plain_; false when
  /// it is not whole yet.
  bool decode_frame();
  /// Inflates `payload` into the front of plain_, `original` bytes exactly.
  void inflate_into(protocol::Bytes payload, std::size_t original);
  /// Appends `segment` (part of one request or reply) as compressed packets.
  void write_frames(protocol::Bytes segment, std::string& wire);

  std::unique_ptr<Deflater> deflater_;  // made on first use
  std::unique_ptr<Inflater> inflater_;
  // Received: wire bytes [in_begin_, in_end_) of in_, and decoded bytes
  // [plain_begin_, plain_end_) of plain_ not handed out yet.
  std::vector<std::byte> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::vector<std::byte> plain_;
  std::size_t plain_begin_ = 0;
  std::size_t plain_end_ = 0;
  PacketCursor received_;       // the packets decoded so far
  PacketCursor sent_;           // the packets encoded so far
  std::uint8_t read_seq_ = 0;   // the compressed sequence id due next from the server
  std::uint8_t write_seq_ = 0;  // the compressed sequence id of the next packet sent
  bool reply_ = false;          // the segment being sent answers the server (not a command)
  CompressionStats stats_;
};

}  // namespace tern::mysql
