// libFuzzer harness of the PostgreSQL backend codec: frames the input as a stream of server
// messages and hands each to the parser its type byte calls for. ProtocolError is the codec's
// way to reject bytes; any other exception, a sanitizer report or a broken invariant (trap) is a
// finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tern/protocol/pg/backend.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace {

namespace be = tern::pg::backend;
using tern::pg::Bytes;
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

struct State {
  std::optional<std::size_t> columns;  // of the last RowDescription
  std::vector<be::Column> row_description;
  std::vector<tern::pg::Oid> parameter_types;
};

void data_row(Bytes body, const State& state) {
  // Against the last RowDescription's column count, or else the count the row announces.
  std::size_t expected = 0;
  if (state.columns) {
    expected = *state.columns;
  } else if (body.size() >= 2) {
    expected = static_cast<std::size_t>(static_cast<std::uint16_t>(
        (std::to_integer<unsigned>(body[0]) << 8) | std::to_integer<unsigned>(body[1])));
  }
  const be::DataRow row(body, expected);
  check(row.size() == expected);
  for (std::size_t i = 0; i < row.size(); ++i) {
    const std::optional<Bytes> v = row.value(i);
    const std::optional<Bytes> w = be::DataRow::value_at(body, i);
    check(v.has_value() == w.has_value());
    if (v) {
      check(v->data() >= body.data() && v->data() + v->size() <= body.data() + body.size());
      check(v->data() == w->data() && v->size() == w->size());
      touch(*v);
    }
  }
}

void dispatch(const be::Message& m, State& state) {
  switch (m.type) {
    case 'R': {
      const be::Authentication a = be::parse_authentication(m.body);
      touch(a.data);
      touch(std::string_view(be::auth_code_name(a.code)));
      if (a.code == be::AuthCode::kSasl) {
        for (std::string_view name : be::parse_sasl_mechanisms(a.data))
          touch(name);
      }
      break;
    }
    case 'S': {
      const be::ParameterStatus s = be::parse_parameter_status(m.body);
      touch(s.name);
      touch(s.value);
      break;
    }
    case 'K': {
      const be::BackendKeyData k = be::parse_backend_key_data(m.body);
      g_sink = static_cast<unsigned char>(k.pid ^ k.secret);
      break;
    }
    case 'Z': {
      const be::TransactionStatus s = be::parse_ready_for_query(m.body);
      check(s == be::TransactionStatus::kIdle || s == be::TransactionStatus::kInTransaction ||
            s == be::TransactionStatus::kFailed);
      break;
    }
    case 'E':
    case 'N': {
      const tern::ServerErrorInfo info = be::parse_error_fields(m.body);
      touch(info.severity);
      touch(info.message);
      break;
    }
    case 'T':
      state.columns.reset();
      be::parse_row_description(m.body, state.row_description);
      state.columns = state.row_description.size();
      for (const be::Column& c : state.row_description) {
        touch(c.name);
        check(c.format == tern::pg::Format::kText || c.format == tern::pg::Format::kBinary);
      }
      break;
    case 'D':
      data_row(m.body, state);
      break;
    case 'C': {
      const std::string_view tag = be::parse_command_complete(m.body);
      touch(tag);
      if (const std::optional<std::uint64_t> n = be::rows_in_tag(tag)) {
        g_sink = static_cast<unsigned char>(*n);
      }
      break;
    }
    case 't':
      be::parse_parameter_description(m.body, state.parameter_types);
      check(state.parameter_types.size() * 4 + 2 == m.body.size());
      break;
    case 'A': {
      const be::Notification n = be::parse_notification(m.body);
      touch(n.channel);
      touch(n.payload);
      break;
    }
    case 'G':
    case 'H':
    case 'W': {
      const be::CopyResponse c = be::parse_copy_response(m.body);
      check(c.column_formats.size() * 2 + 3 == m.body.size());
      break;
    }
    case 'v': {
      const be::NegotiateProtocolVersion v = be::parse_negotiate_protocol_version(m.body);
      for (std::string_view option : v.unrecognized_options)
        touch(option);
      break;
    }
    case '1':
    case '2':
    case '3':
    case 'n':
    case 's':
    case 'I':
    case 'c':
      be::expect_empty(m);
      break;
    default:  // CopyData ('d') and unknown types: the body is opaque.
      touch(m.body);
      break;
  }
}

// Frames with a small cap: only checks the framing invariants (frame_size agreeing with frame).
void frame_with_cap(Bytes input, std::size_t cap) {
  std::size_t consumed = 0;
  try {
    while (const std::optional<be::Message> m = be::frame(input, consumed, cap)) {
      check(consumed >= 5 && consumed - 5 <= cap && consumed <= input.size());
      input = input.subspan(consumed);
    }
  } catch (const ProtocolError&) {
    // frame_size, which a reader grows its buffer to, must reject the same length.
    bool rejected = false;
    try {
      (void)be::frame_size(input, cap);
    } catch (const ProtocolError&) {
      rejected = true;
    }
    check(rejected);
    return;
  }
  // Incomplete: the room asked for is more than there is, never more than the cap allows.
  const std::size_t need = be::frame_size(input, cap);
  check(need > input.size() && need <= std::max<std::size_t>(cap + 1, 5));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes input(reinterpret_cast<const std::byte*>(data), size);
  frame_with_cap(input, 64);

  State state;
  std::size_t consumed = 0;
  for (;;) {
    std::optional<be::Message> m;
    try {
      m = be::frame(input, consumed);
    } catch (const ProtocolError&) {
      return 0;  // a bad length: a reader would drop the connection here
    }
    if (!m) {
      // Incomplete: frame_size must ask for more than there is.
      check(consumed == 0 && be::frame_size(input) > input.size());
      return 0;
    }
    check(consumed == m->body.size() + 5 && consumed <= input.size());
    check(be::frame_size(input) == consumed);
    check(m->body.data() == input.data() + 5);
    try {
      dispatch(*m, state);
    } catch (const ProtocolError&) {
      // Rejected message: keep going, as if each message were the first of a new input.
    }
    input = input.subspan(consumed);
  }
}
