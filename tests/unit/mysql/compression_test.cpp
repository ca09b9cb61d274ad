// Unit tests of the compressed packet layer (CLIENT_COMPRESS): decoding recorded and
// constructed compressed packets (stored and zlib payloads, several packets in one compressed
// packet, one packet over several, byte-by-byte arrival), what encode() sends, and the
// ProtocolErrors of malformed input.
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression_packet.html
#include "tern/protocol/mysql/compression.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;
using testing::packet;

std::string le24(std::size_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>((v >> 16) & 0xff)};
}

// A compressed packet holding `plain` as it is (uncompressed length 0).
std::string stored(std::uint8_t seq, std::string_view plain) {
  return le24(plain.size()) + static_cast<char>(seq) + le24(0) + std::string(plain);
}

// `plain` compressed by zlib itself, under a header claiming `claimed` bytes (default: right).
std::string zipped(std::uint8_t seq, std::string_view plain, long claimed = -1) {
  uLongf n = compressBound(plain.size());
  std::string z(n, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &n,
                     reinterpret_cast<const Bytef*>(plain.data()), plain.size()),
            Z_OK);
  z.resize(n);
  return le24(z.size()) + static_cast<char>(seq) +
         le24(claimed < 0 ? plain.size() : static_cast<std::size_t>(claimed)) + z;
}

// Everything decode() yields from what was fed, taken `chunk` bytes at a time.
std::string drain(CompressedPackets& c, std::size_t chunk = 1 << 20) {
  std::string out;
  std::vector<std::byte> buf(chunk);
  while (const std::size_t n = c.decode(buf)) {
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  return out;
}

std::string decode_all(const std::string& wire) {
  CompressedPackets c;
  c.feed(B(wire));
  std::string out = drain(c);
  EXPECT_FALSE(c.buffered());
  return out;
}

ProtocolErrc decode_error(const std::string& wire) {
  CompressedPackets c;
  c.feed(B(wire));
  try {
    drain(c);
  } catch (const ProtocolError& e) {
    return static_cast<ProtocolErrc>(e.code().value());
  }
  ADD_FAILURE() << "no ProtocolError";
  return ProtocolErrc{};
}

std::string repeated(std::size_t n) {
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; s.size() < n; ++i)
    s += "row " + std::to_string(i % 1000) + ";";
  s.resize(n);
  return s;
}

// `n` bytes that zlib cannot shrink (a linear congruential sequence from `seed`).
std::string noise(std::size_t n, std::uint32_t seed) {
  std::string s;
  s.reserve(n);
  for (std::uint32_t x = seed; s.size() < n;) {
    x = x * 1103515245 + 12345;
    s.push_back(static_cast<char>(x >> 24));
  }
  return s;
}

// The example of MySQL's protocol documentation: a COM_QUERY, compressed.
TEST(MysqlCompression, DecodesTheDocumentedExample) {
  const std::string wire = hex(
      "22 00 00 00 32 00 00 78 9c d3 63 60 60 60 2e 4e cd 49 4d 2e 51 50 32 30 34 32 36 31 35 33 "
      "b7 b0 c4 cd 52 02 00 0c d1 0a 6c");
  EXPECT_EQ(decode_all(wire), packet(0, "\x03select \"012345678901234567890123456789012345\""));
}

TEST(MysqlCompression, DecodesAStoredPayload) {
  const std::string ok = packet(1, hex("00 00 00 02 00 00 00"));
  EXPECT_EQ(decode_all(stored(1, ok)), ok);
}

TEST(MysqlCompression, DecodesBytesArrivingOneByOne) {
  const std::string plain = packet(1, repeated(3000)) + packet(2, "short");
  const std::string wire = zipped(1, plain);
  CompressedPackets c;
  std::string out;
  for (char byte : wire) {
    EXPECT_EQ(out.size(), 0u);  // nothing before the compressed packet is whole
    c.feed(B(std::string(1, byte)));
    out += drain(c, 7);  // taken in small pieces too
  }
  EXPECT_EQ(out, plain);
  EXPECT_EQ(c.stats().wire_in, wire.size());
  EXPECT_EQ(c.stats().plain_in, plain.size());
}

TEST(MysqlCompression, DecodesAPacketSplitOverCompressedPackets) {
  const std::string plain = packet(1, repeated(5000));
  const std::string wire = zipped(1, plain.substr(0, 1000)) + stored(2, plain.substr(1000, 10)) +
                           zipped(3, plain.substr(1010));
  EXPECT_EQ(decode_all(wire), plain);
}

TEST(MysqlCompression, RejectsAnOutOfOrderIdInsideAPacket) {
  const std::string plain = packet(1, repeated(500));
  const std::string wire = zipped(1, plain.substr(0, 100)) + zipped(3, plain.substr(100));
  EXPECT_EQ(decode_error(wire), ProtocolErrc::kUnexpectedMessage);
}

// Pipelined commands: each response's compressed ids restart where a packet ends.
TEST(MysqlCompression, AcceptsARestartBetweenPackets) {
  const std::string first = packet(1, hex("00 00 00 02 00 00 00"));
  const std::string second = packet(1, hex("00 01 00 02 00 00 00"));
  EXPECT_EQ(decode_all(stored(1, first) + stored(1, second)), first + second);
}

TEST(MysqlCompression, RejectsAPayloadThatDoesNotInflate) {
  EXPECT_EQ(decode_error(le24(8) + '\0' + le24(100) + "garbage!"), ProtocolErrc::kBadValue);
}

TEST(MysqlCompression, RejectsAPayloadLongerThanClaimed) {
  // Never inflated past the claim.
  EXPECT_EQ(decode_error(zipped(0, repeated(1000), 999)), ProtocolErrc::kBadLength);
  EXPECT_EQ(decode_error(zipped(0, repeated(1000), 1)), ProtocolErrc::kBadLength);
}

TEST(MysqlCompression, RejectsAPayloadShorterThanClaimed) {
  EXPECT_EQ(decode_error(zipped(0, repeated(1000), 1001)), ProtocolErrc::kBadLength);
  EXPECT_EQ(decode_error(zipped(0, repeated(1000), 0xFFFFFF)), ProtocolErrc::kBadLength);
}

TEST(MysqlCompression, RejectsBytesAfterTheZlibData) {
  std::string wire = zipped(0, repeated(1000));
  wire += "xx";
  wire.replace(0, 3, le24(wire.size() - kCompressedHeaderSize));
  EXPECT_EQ(decode_error(wire), ProtocolErrc::kBadLength);
}

TEST(MysqlCompression, RejectsTruncatedZlibData) {
  std::string wire = zipped(0, repeated(1000));
  wire.resize(wire.size() - 6);
  wire.replace(0, 3, le24(wire.size() - kCompressedHeaderSize));
  EXPECT_EQ(decode_error(wire), ProtocolErrc::kTruncated);
}

TEST(MysqlCompression, WaitsForAWholeCompressedPacket) {
  const std::string wire = zipped(1, packet(1, repeated(2000)));
  CompressedPackets c;
  c.feed(B(wire.substr(0, wire.size() - 1)));
  EXPECT_EQ(drain(c), "");
  EXPECT_TRUE(c.buffered());
  c.feed(B(wire.substr(wire.size() - 1)));
  EXPECT_EQ(drain(c), packet(1, repeated(2000)));
  EXPECT_FALSE(c.buffered());
}

// A compressed packet larger than the buffers' first size, arriving in pieces: the buffers
// grow as its bytes come (and as it inflates), not by its header's word.
TEST(MysqlCompression, DecodesALargePacketArrivingInPieces) {
  const std::string plain = packet(1, repeated(1 << 20));
  std::string wire = zipped(1, plain);
  const std::string incompressible = packet(2, noise(300000, 7));
  wire += stored(2, incompressible);
  CompressedPackets c;
  std::string out;
  for (std::size_t at = 0; at < wire.size(); at += 1000) {
    c.feed(B(wire.substr(at, 1000)));
    out += drain(c, 4096);
  }
  EXPECT_EQ(out, plain + incompressible);
  EXPECT_FALSE(c.buffered());
}

// What encode() sends, read back by a second layer (the server's side of the same rules).
std::string round_trip(const std::string& plain, std::string* wire_out = nullptr) {
  CompressedPackets sender;
  std::string wire;
  sender.encode(B(plain), wire);
  if (wire_out != nullptr) *wire_out = wire;
  return decode_all(wire);
}

TEST(MysqlCompression, SendsSmallPacketsStored) {
  const std::string ping = packet(0, "\x0e");
  std::string wire;
  EXPECT_EQ(round_trip(ping, &wire), ping);
  EXPECT_EQ(wire, stored(0, ping));
}

TEST(MysqlCompression, SendsLargePacketsCompressed) {
  const std::string query = packet(0, "\x03SELECT '" + repeated(10000) + "'");
  std::string wire;
  EXPECT_EQ(round_trip(query, &wire), query);
  EXPECT_LT(wire.size(), query.size() / 3);
  EXPECT_EQ(wire[3], '\0');                          // compressed id 0
  EXPECT_EQ(wire.substr(4, 3), le24(query.size()));  // uncompressed length
}

TEST(MysqlCompression, SendsIncompressibleBytesStored) {
  const std::string p = packet(0, noise(4000, 12345));
  std::string wire;
  EXPECT_EQ(round_trip(p, &wire), p);
  EXPECT_EQ(wire, stored(0, p));
}

// Each command of a pipelined batch gets compressed packets of its own, from id 0: the
// server reads each command afresh.
TEST(MysqlCompression, StartsEachCommandAtIdZero) {
  const std::string a = packet(0, "\x03SELECT 1");
  const std::string b = packet(0, "\x03SELECT '" + repeated(300) + "'");
  std::string wire;
  EXPECT_EQ(round_trip(a + b, &wire), a + b);
  ASSERT_GT(wire.size(), stored(0, a).size());
  EXPECT_EQ(wire.substr(0, stored(0, a).size()), stored(0, a));
  EXPECT_EQ(wire[stored(0, a).size() + 3], '\0');
}

// A payload of 16 MiB or more: its packets (0xFFFFFF bytes, then the rest) become several
// compressed packets of at most 0xFFFFFF bytes each, with consecutive ids.
TEST(MysqlCompression, SplitsAHugeRequest) {
  std::string plain;
  write_packets(plain, 0, std::string_view(repeated(kMaxPacketPayload + 1000)));
  std::string wire;
  EXPECT_EQ(round_trip(plain, &wire), plain);
  std::size_t at = 0;
  int frames = 0;
  while (at < wire.size()) {
    EXPECT_EQ(static_cast<unsigned char>(wire[at + 3]), frames);
    const std::size_t length = static_cast<unsigned char>(wire[at]) |
                               (static_cast<unsigned char>(wire[at + 1]) << 8) |
                               (static_cast<unsigned char>(wire[at + 2]) << 16);
    at += kCompressedHeaderSize + length;
    ++frames;
  }
  EXPECT_EQ(at, wire.size());
  EXPECT_EQ(frames, 2);
}

// A reply inside an exchange (the empty file answering LOCAL INFILE) continues the server's
// compressed ids, and the server's next packet follows it.
TEST(MysqlCompression, ContinuesTheIdsWhenReplying) {
  CompressedPackets c;
  c.feed(B(stored(1, packet(1, "\xfb/etc/passwd"))));
  drain(c);
  std::string wire;
  c.encode(B(packet(2, "")), wire);
  EXPECT_EQ(wire, stored(2, packet(2, "")));
  // The OK after it, split in two: the second half must carry 4.
  const std::string ok = packet(3, hex("00 00 00 02 00 00 00"));
  c.feed(B(stored(3, ok.substr(0, 5)) + stored(4, ok.substr(5))));
  EXPECT_EQ(drain(c), ok);
}

}  // namespace
}  // namespace tern::mysql
