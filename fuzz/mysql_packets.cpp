// libFuzzer harness of the MySQL/MariaDB codec: the first input byte picks the negotiated
// capabilities, the rest is a stream of server packets. Packets are reassembled; the first
// payload goes to the Initial Handshake parser, and every payload is then handed to each
// parser (OK, ERR, EOF, AuthSwitch, AuthMoreData, column count and definition, text and
// binary rows, COM_STMT_PREPARE_OK), and row values to the type codecs. ProtocolError and
// TypeError are the codec's ways to reject bytes; any other exception, a sanitizer report or a
// broken invariant (trap) is a finding.
// Protocol: https://mariadb.com/kb/en/clientserver-protocol/ and
// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/column.hpp"
#include "tern/protocol/mysql/handshake.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/mysql/rows.hpp"
#include "tern/protocol/mysql/statement.hpp"
#include "tern/protocol/mysql/types.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace {

namespace my = tern::mysql;
using tern::protocol::Bytes;
using tern::protocol::ProtocolError;

// Makes the optimizer keep reads of parsed views, so ASan checks every byte they cover.
volatile unsigned char g_sink;
void touch(Bytes b) {
  unsigned char x = 0;
  for (std::byte c : b)
    x = static_cast<unsigned char>(x ^ static_cast<unsigned char>(c));
  g_sink = x;
}
void touch(std::string_view s) {
  touch(Bytes(reinterpret_cast<const std::byte*>(s.data()), s.size()));
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(Bytes part, Bytes whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

struct State {
  std::uint64_t caps = 0;
  bool handshake_done = false;
  int payloads = 0;  // seen so far
  bool mismatch_tried = false;
  std::vector<my::ColumnType> columns;  // from the column definitions seen so far
  std::vector<my::FieldType> types;
};

// Decodes with the codecs that read the column's type: a mismatch throws before any byte is
// read, and thrown exceptions are most of an input's cost under ASan, so the mismatch path
// runs once per value (std::string below), not once per codec.
template <class T>
void try_decode(const my::ColumnType& c, my::Format f, const std::optional<Bytes>& v) {
  if (!my::Type<T>::accepts(c)) return;
  try {
    (void)my::decode_value<std::optional<T>>(c, f, v);
  } catch (const tern::TypeError&) {
  }
}

// `mismatch_tried`: whether this input already ran a codec on a column it does not read (the
// type-mismatch path, which throws: once per input is enough).
void decode_all(const my::ColumnType& c, my::Format f, const std::optional<Bytes>& v,
                bool& mismatch_tried) {
  if (!mismatch_tried && v) {
    mismatch_tried = true;
    try {
      (void)my::decode_value<std::optional<std::string>>(c, f, v);
      (void)my::decode_value<std::optional<my::Date>>(c, f, v);
    } catch (const tern::TypeError&) {
    }
  }
  try_decode<std::string>(c, f, v);
  try_decode<std::int64_t>(c, f, v);
  try_decode<std::uint64_t>(c, f, v);
  try_decode<std::int8_t>(c, f, v);
  try_decode<bool>(c, f, v);
  try_decode<double>(c, f, v);
  try_decode<float>(c, f, v);
  try_decode<my::Decimal>(c, f, v);
  try_decode<my::ByteString>(c, f, v);
  try_decode<my::Date>(c, f, v);
  try_decode<my::DateTime>(c, f, v);
  try_decode<my::RawDateTime>(c, f, v);
  try_decode<my::Time>(c, f, v);
  try_decode<my::Year>(c, f, v);
  try_decode<my::Bit>(c, f, v);
}

template <class F>
void attempt(F&& f) {
  try {
    f();
  } catch (const ProtocolError&) {
  }
}

void payload(Bytes p, State& s) {
  // The first payloads of an input go to every parser (their rejection paths); later ones only
  // to the parsers a client would hand a packet with that header byte: parsers reject by
  // throwing, and the throws were most of the harness's time.
  const bool every = s.payloads++ < 4;
  const int header = p.empty() ? -1 : std::to_integer<int>(p[0]);
  const auto wants = [&](std::initializer_list<int> headers) {
    if (every) return true;
    for (int h : headers)
      if (h == header) return true;
    return false;
  };
  if (!s.handshake_done) {
    s.handshake_done = true;
    attempt([&] {
      const my::InitialHandshake h = my::parse_initial_handshake(p);
      touch(h.server_version);
      touch(h.version());
      touch(h.auth_plugin);
      check(h.auth_plugin_data.size() <= p.size());
    });
  }
  if (wants({0x00, 0xFE}))
    attempt([&] {
      const my::OkPacket ok = my::parse_ok(p, s.caps);
      check(inside(tern::protocol::as_bytes(ok.info), p) && inside(ok.session_state, p));
      touch(ok.info);
      touch(ok.session_state);
    });
  if (wants({0xFF}))
    attempt([&] {
      const tern::ServerErrorInfo e = my::parse_err(p);
      check(e.sqlstate.empty() || e.sqlstate.size() == 5);
    });
  if (wants({0xFE})) attempt([&] { (void)my::parse_eof(p, s.caps); });
  if (wants({0xFE})) attempt([&] { (void)my::end_of_rows_status(p, s.caps); });
  attempt([&] { (void)my::classify_response(p, s.caps); });
  attempt([&] { (void)my::classify_row(p); });
  attempt([&] { (void)my::classify_auth(p); });
  if (wants({0xFE}))
    attempt([&] {
      const my::AuthSwitchRequest a = my::parse_auth_switch_request(p);
      check(inside(a.data, p) && inside(a.scramble(), p));
      touch(a.plugin);
      touch(a.scramble());
    });
  if (wants({0x01})) attempt([&] { touch(my::parse_auth_more_data(p)); });
  if (wants({0xFB})) attempt([&] { touch(my::parse_local_infile_request(p)); });
  if (every || p.size() <= 9)
    attempt([&] {  // a lone length-encoded integer
      const std::size_t n = my::parse_column_count(p);
      check(n > 0 && n <= my::kMaxColumns);
    });
  if (wants({0x00})) attempt([&] { (void)my::parse_prepare_ok(p); });
  if (wants({0x03}))
    attempt([&] {  // the catalog, "def"
      const my::ColumnDefinition c = my::parse_column_definition(p, s.caps);
      touch(c.catalog);
      touch(c.schema);
      touch(c.table);
      touch(c.org_table);
      touch(c.name);
      touch(c.org_name);
      if (s.columns.size() < 32) {
        s.columns.push_back(c.type);
        s.types.push_back(c.type.type);
      }
    });
  my::RowValues values;
  if (every || !s.columns.empty())
    attempt([&] {
      my::parse_text_row(p, s.columns.size(), values);
      check(values.size() == s.columns.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i]) check(inside(*values[i], p));
        decode_all(s.columns[i], my::Format::kText, values[i], s.mismatch_tried);
      }
    });
  if (wants({0x00}))
    attempt([&] {
      my::parse_binary_row(p, s.types, values);
      check(values.size() == s.types.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i]) check(inside(*values[i], p));
        decode_all(s.columns[i], my::Format::kBinary, values[i], s.mismatch_tried);
      }
    });
  // Re-framing the payload and reassembling it gives it back.
  if (p.size() < 4096) {
    std::string wire;
    my::write_packets(wire, 0, p);
    my::Reassembler r;
    std::size_t used = 0;
    const std::optional<my::Payload> again = r.next(tern::protocol::as_bytes(wire), used);
    check(again && used == wire.size() && again->bytes.size() == p.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  State s;
  const std::uint8_t sel = data[0];
  s.caps = my::cap::kProtocol41 | my::cap::kTransactions | my::cap::kSecureConnection;
  if (sel & 1) s.caps |= my::cap::kDeprecateEof;
  if (sel & 2) s.caps |= my::cap::kSessionTrack;
  if (sel & 4)
    s.caps |= my::cap::kMariadbExtendedTypeInfo;
  else
    s.caps |= my::cap::kLongPassword;
  Bytes stream(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  my::Reassembler reassembler(std::size_t{1} << 20);
  try {
    for (;;) {
      std::size_t used = 0;
      const std::optional<my::Payload> p = reassembler.next(stream, used);
      stream = stream.subspan(used);
      if (!p) break;
      payload(p->bytes, s);
    }
  } catch (const ProtocolError&) {
  }
  return 0;
}
