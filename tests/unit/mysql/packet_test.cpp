// Unit tests of MySQL packet framing, multi-packet reassembly and packet encoding
// (https://mariadb.com/kb/en/0-packet/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html).
#include "tern/protocol/mysql/packet.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using protocol::as_chars;
using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::packet;

TEST(MysqlPacket, FramesOnePacket) {
  const std::string wire = hex("05 00 00 03 68 65 6c 6c 6f ff");
  std::size_t consumed = 0;
  const auto p = frame(B(wire), consumed);
  ASSERT_TRUE(p);
  EXPECT_EQ(consumed, 9u);
  EXPECT_EQ(p->seq, 3);
  EXPECT_EQ(as_chars(p->payload), "hello");
  EXPECT_FALSE(p->continues());
  EXPECT_EQ(frame_size(B(wire)), 9u);
}

TEST(MysqlPacket, FramesEmptyPacket) {
  const std::string wire = hex("00 00 00 07");
  std::size_t consumed = 0;
  const auto p = frame(B(wire), consumed);
  ASSERT_TRUE(p);
  EXPECT_EQ(consumed, 4u);
  EXPECT_EQ(p->seq, 7);
  EXPECT_TRUE(p->payload.empty());
}

// Every prefix of a stream of packets frames exactly the complete packets in it.
TEST(MysqlPacket, SplitAtEveryByteBoundary) {
  const std::string wire = packet(0, "first") + packet(1, "") + packet(2, std::string(300, 'x'));
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    const std::string head = wire.substr(0, cut);
    std::size_t offset = 0;
    int frames = 0;
    for (;;) {
      std::size_t consumed = 0;
      const auto p = frame(B(head).subspan(offset), consumed);
      if (!p) {
        EXPECT_EQ(consumed, 0u);
        break;
      }
      EXPECT_EQ(p->seq, frames);
      offset += consumed;
      ++frames;
    }
    const int expected = cut >= wire.size() ? 3 : cut >= 13 ? 2 : cut >= 9 ? 1 : 0;
    EXPECT_EQ(frames, expected) << "cut at " << cut;
  }
}

TEST(MysqlPacket, ReassemblerSplitAtEveryByteBoundary) {
  const std::string wire = packet(0, "first") + packet(1, "second!");
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    Reassembler r;
    std::string buf = wire.substr(0, cut);
    std::vector<std::string> got;
    std::size_t fed = cut;
    for (int round = 0; round < 4; ++round) {
      for (;;) {
        std::size_t consumed = 0;
        const auto p = r.next(B(buf), consumed);
        if (p) got.emplace_back(as_chars(p->bytes));
        buf.erase(0, consumed);
        if (!p) break;
      }
      buf += wire.substr(fed);
      fed = wire.size();
    }
    ASSERT_EQ(got.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(got[0], "first");
    EXPECT_EQ(got[1], "second!");
  }
}

TEST(MysqlPacket, LengthOverCapIsBadLength) {
  const std::string wire = hex("00 01 00 00");
  std::size_t consumed = 0;
  try {
    frame(B(wire), consumed, 100);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kBadLength);
  }
}

TEST(MysqlPacket, ReassemblerFrameSizeRejectsWhatNextRejects) {
  // A reader grows its buffer to frame_size(): a packet over the cap must throw there, not
  // once 16 MiB were buffered for it (fuzz_mysql_handshake, max_payload_size = 1 MiB).
  Reassembler r(100);
  EXPECT_EQ(r.frame_size(B(hex("00 00"))), 4u);
  EXPECT_EQ(r.frame_size(B(hex("64 00 00 00"))), 104u);
  try {
    r.frame_size(B(hex("65 00 00 00")));
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kBadLength);
  }
  EXPECT_THROW(r.frame_size(B(hex("ff ff ff 00"))), ProtocolError);
  // Within a multi-packet payload the cap counts what was already received.
  std::string payload(kMaxPacketPayload + 11, 'x');
  std::string wire;
  write_packets(wire, 0, std::string_view(payload));
  Reassembler big(kMaxPacketPayload + 10);
  std::size_t consumed = 0;
  EXPECT_FALSE(big.next(B(wire.substr(0, kMaxPacketPayload + 4 + 2)), consumed));
  ASSERT_TRUE(big.in_progress());
  const std::string rest = wire.substr(consumed);
  EXPECT_THROW(big.frame_size(B(rest)), ProtocolError);  // 11 bytes where 10 are left
  Reassembler fits(kMaxPacketPayload + 11);
  EXPECT_FALSE(fits.next(B(wire.substr(0, kMaxPacketPayload + 4 + 2)), consumed));
  EXPECT_EQ(fits.frame_size(B(rest)), 15u);
}

TEST(MysqlPacket, SinglePacketPayloadIsZeroCopy) {
  const std::string wire = packet(5, "abc");
  Reassembler r;
  std::size_t consumed = 0;
  const auto p = r.next(B(wire), consumed);
  ASSERT_TRUE(p);
  EXPECT_EQ(consumed, wire.size());
  EXPECT_EQ(p->bytes.data(), B(wire).data() + 4);
  EXPECT_EQ(p->first_seq, 5);
  EXPECT_EQ(p->last_seq, 5);
  EXPECT_EQ(p->next_seq(), 6);
}

// A payload of 16 MiB + 10 bytes: encoded as 0xFFFFFF + 11 bytes, and reassembled.
TEST(MysqlPacket, MultiPacketPayloadBothWays) {
  std::string payload(kMaxPacketPayload + 11, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7 + 3);
  std::string wire;
  EXPECT_EQ(write_packets(wire, 254, std::string_view(payload)), 0);  // 254, 255, then 0
  ASSERT_EQ(wire.size(), payload.size() + 8);
  EXPECT_EQ(testing::to_hex(wire.substr(0, 4)), "fffffffe");
  EXPECT_EQ(testing::to_hex(wire.substr(4 + kMaxPacketPayload, 4)), "0b0000ff");

  // Fed in two pieces: the first packet is absorbed before the second is complete.
  Reassembler r;
  std::size_t consumed = 0;
  const std::string part1 = wire.substr(0, kMaxPacketPayload + 4 + 6);
  EXPECT_FALSE(r.next(B(part1), consumed));
  EXPECT_EQ(consumed, kMaxPacketPayload + 4);
  EXPECT_TRUE(r.in_progress());
  const std::string rest = wire.substr(consumed);
  const auto p = r.next(B(rest), consumed);
  ASSERT_TRUE(p);
  EXPECT_EQ(consumed, rest.size());
  EXPECT_EQ(p->first_seq, 254);
  EXPECT_EQ(p->last_seq, 255);
  EXPECT_EQ(p->next_seq(), 0);
  EXPECT_TRUE(as_chars(p->bytes) == payload);
  EXPECT_FALSE(r.in_progress());
}

// Exactly 0xFFFFFF bytes need a trailing empty packet.
TEST(MysqlPacket, ExactMaxPayloadGetsEmptyTrailer) {
  const std::string payload(kMaxPacketPayload, 'q');
  std::string wire;
  EXPECT_EQ(write_packets(wire, 0, std::string_view(payload)), 2);
  ASSERT_EQ(wire.size(), payload.size() + 8);
  EXPECT_EQ(testing::to_hex(wire.substr(wire.size() - 4)), "00000001");
  Reassembler r;
  std::size_t consumed = 0;
  const auto p = r.next(B(wire), consumed);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->bytes.size(), kMaxPacketPayload);
  EXPECT_EQ(consumed, wire.size());
}

TEST(MysqlPacket, PacketBuilderSplitsLargePayloads) {
  std::string out = "prefix";
  PacketBuilder b(out, 9);
  b.body().raw(std::string(kMaxPacketPayload + 1, 'z'));
  EXPECT_EQ(b.finish(), 11);
  ASSERT_EQ(out.size(), 6 + kMaxPacketPayload + 1 + 8);
  EXPECT_EQ(testing::to_hex(out.substr(6, 4)), "ffffff09");
  EXPECT_EQ(testing::to_hex(out.substr(10 + kMaxPacketPayload, 5)), "0100000a7a");

  std::string small;
  PacketBuilder s(small, 0);
  s.body().u8(0x0e);
  EXPECT_EQ(s.finish(), 1);
  EXPECT_EQ(small, hex("01 00 00 00 0e"));
}

TEST(MysqlPacket, BadContinuationSequenceIsRejected) {
  std::string wire;
  write_packets(wire, 0, std::string_view(std::string(kMaxPacketPayload + 1, 'a')));
  wire[kMaxPacketPayload + 4 + 3] = 5;  // second packet should be 1
  Reassembler r;
  std::size_t consumed = 0;
  try {
    r.next(B(wire), consumed);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kUnexpectedMessage);
  }
}

TEST(MysqlPacket, ReassembledPayloadOverCapIsBadLength) {
  std::string wire;
  write_packets(wire, 0, std::string_view(std::string(kMaxPacketPayload + 100, 'a')));
  Reassembler r(kMaxPacketPayload + 50);
  std::size_t consumed = 0;
  try {
    r.next(B(wire), consumed);
    FAIL();
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), ProtocolErrc::kBadLength);
  }
  Reassembler small(10);
  const std::string p = packet(0, "more than ten bytes");
  EXPECT_THROW(small.next(B(p), consumed), ProtocolError);
}

}  // namespace
}  // namespace tern::mysql
