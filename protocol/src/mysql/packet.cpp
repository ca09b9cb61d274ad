// Packet framing, reassembly of multi-packet payloads, and packet encoding.
// MariaDB: https://mariadb.com/kb/en/0-packet/ (in
// https://mariadb.com/kb/en/clientserver-protocol/) MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/packet.hpp"

#include <algorithm>

#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

std::size_t header_length(Bytes data) noexcept {
  return std::to_integer<std::size_t>(data[0]) | (std::to_integer<std::size_t>(data[1]) << 8) |
         (std::to_integer<std::size_t>(data[2]) << 16);
}

void write_header(char* at, std::size_t len, std::uint8_t seq) noexcept {
  at[0] = static_cast<char>(len & 0xff);
  at[1] = static_cast<char>((len >> 8) & 0xff);
  at[2] = static_cast<char>((len >> 16) & 0xff);
  at[3] = static_cast<char>(seq);
}

}  // namespace

std::optional<Packet> frame(Bytes data, std::size_t& consumed, std::size_t max_payload) {
  consumed = 0;
  if (data.size() < kPacketHeaderSize) return std::nullopt;
  const std::size_t len = header_length(data);
  if (len > max_payload) {
    throw ProtocolError(ProtocolErrc::kBadLength, "packet length " + std::to_string(len) +
                                                      " exceeds the cap of " +
                                                      std::to_string(max_payload));
  }
  if (data.size() - kPacketHeaderSize < len) return std::nullopt;
  consumed = kPacketHeaderSize + len;
  return Packet{std::to_integer<std::uint8_t>(data[3]), data.subspan(kPacketHeaderSize, len)};
}

std::size_t frame_size(Bytes data) noexcept {
  if (data.size() < kPacketHeaderSize) return kPacketHeaderSize;
  return kPacketHeaderSize + header_length(data);
}

std::optional<Payload> Reassembler::next(Bytes data, std::size_t& consumed) {
  consumed = 0;
  for (;;) {
    std::size_t used = 0;
    const std::optional<Packet> p = frame(data.subspan(consumed), used);
    if (!p) return std::nullopt;
    if (!in_progress_) {
      if (p->payload.size() > max_payload_) {
        throw ProtocolError(ProtocolErrc::kBadLength,
                            "payload exceeds the cap of " + std::to_string(max_payload_));
      }
      consumed += used;
      if (!p->continues()) return Payload{p->payload, p->seq, p->seq};  // zero copy
      buffer_.assign(protocol::as_chars(p->payload));
      in_progress_ = true;
      first_seq_ = last_seq_ = p->seq;
      continue;
    }
    if (p->seq != static_cast<std::uint8_t>(last_seq_ + 1)) {
      throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                          "packet sequence id " + std::to_string(p->seq) + " where " +
                              std::to_string(static_cast<std::uint8_t>(last_seq_ + 1)) +
                              " continues a multi-packet payload");
    }
    if (p->payload.size() > max_payload_ - buffer_.size()) {
      throw ProtocolError(ProtocolErrc::kBadLength, "multi-packet payload exceeds the cap of " +
                                                        std::to_string(max_payload_));
    }
    consumed += used;
    buffer_.append(protocol::as_chars(p->payload));
    last_seq_ = p->seq;
    if (!p->continues()) {
      in_progress_ = false;
      return Payload{protocol::as_bytes(buffer_), first_seq_, last_seq_};
    }
  }
}

std::size_t Reassembler::frame_size(Bytes data) const {
  if (data.size() < kPacketHeaderSize) return kPacketHeaderSize;
  const std::size_t len = header_length(data);
  const std::size_t room = in_progress_ ? max_payload_ - buffer_.size() : max_payload_;
  if (len > room) {
    throw ProtocolError(ProtocolErrc::kBadLength, "packet length " + std::to_string(len) +
                                                      " exceeds the cap of " +
                                                      std::to_string(max_payload_));
  }
  return kPacketHeaderSize + len;
}

void Reassembler::reset() noexcept {
  in_progress_ = false;
  buffer_.clear();
}

std::uint8_t write_packets(std::string& out, std::uint8_t seq, Bytes payload) {
  out.reserve(out.size() + payload.size() +
              kPacketHeaderSize * (payload.size() / kMaxPacketPayload + 1));
  for (;;) {
    const std::size_t n = std::min(payload.size(), kMaxPacketPayload);
    char header[kPacketHeaderSize];
    write_header(header, n, seq);
    out.append(header, kPacketHeaderSize);
    out.append(protocol::as_chars(payload.first(n)));
    seq = static_cast<std::uint8_t>(seq + 1);
    payload = payload.subspan(n);
    if (n < kMaxPacketPayload) return seq;
  }
}

PacketBuilder::PacketBuilder(std::string& out, std::uint8_t seq)
    : out_(out), writer_(out), start_(out.size()), seq_(seq) {
  out_.append(kPacketHeaderSize, '\0');
}

std::uint8_t PacketBuilder::finish() {
  const std::size_t len = payload_size();
  if (len < kMaxPacketPayload) {
    write_header(out_.data() + start_, len, seq_);
    return static_cast<std::uint8_t>(seq_ + 1);
  }
  // Rare: a payload of 16 MiB or more. Move it out and write it back in chunks.
  std::string payload = out_.substr(start_ + kPacketHeaderSize);
  out_.resize(start_);
  return write_packets(out_, seq_, std::string_view(payload));
}

}  // namespace tern::mysql
