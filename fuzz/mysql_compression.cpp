// libFuzzer harness of the compressed packet layer (mysql::CompressedPackets, CLIENT_COMPRESS):
// the first input byte picks how the rest arrives (its low bits: the size of each feed; its
// next bits: the size of each decode() buffer), the rest is a stream of compressed packets
// from a server. ProtocolError is the layer's way to reject bytes; any other exception, a
// sanitizer report or a broken invariant (trap) is a finding. Invariants: decode() never
// yields more than the headers announced, and anything encode() sends decodes back to itself.
// Protocol: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression.html
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tern/protocol/mysql/compression.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace {

namespace my = tern::mysql;
using tern::protocol::Bytes;
using tern::protocol::ProtocolError;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Decodes what `c` holds, `chunk` bytes at a time, appending to `out`.
void drain(my::CompressedPackets& c, std::size_t chunk, std::string& out) {
  std::vector<std::byte> buf(chunk);
  while (const std::size_t n = c.decode(buf)) {
    check(n <= chunk);
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t sel = data[0];
  const std::size_t feed = std::size_t{1} << (sel & 7);                // 1 .. 128 bytes per feed
  const std::size_t chunk = std::size_t{1} << (((sel >> 3) & 7) + 2);  // 4 .. 512 per decode
  const Bytes stream(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  my::CompressedPackets c;
  std::string plain;
  try {
    for (std::size_t at = 0; at < stream.size(); at += feed) {
      c.feed(stream.subspan(at, std::min(feed, stream.size() - at)));
      drain(c, chunk, plain);
    }
  } catch (const ProtocolError&) {
  }
  // Each compressed packet yields at most 0xFFFFFF bytes and costs at least 7 on the wire.
  check(plain.size() <= (stream.size() / my::kCompressedHeaderSize) * my::kMaxCompressedPayload);
  check(c.stats().plain_in >= plain.size());

  // Whatever bytes a connection sends come back out of the layer on the other side unchanged.
  my::CompressedPackets sender;
  my::CompressedPackets receiver;
  std::string wire;
  sender.encode(stream, wire);
  receiver.feed(tern::protocol::as_bytes(wire));
  std::string back;
  drain(receiver, 4096, back);
  check(back.size() == stream.size() && std::memcmp(back.data(), stream.data(), back.size()) == 0);
  check(!receiver.buffered());
  return 0;
}
