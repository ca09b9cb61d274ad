// COM_STMT_PREPARE_OK parsing, parameter binding and the COM_STMT_EXECUTE encoder.
// MariaDB: https://mariadb.com/kb/en/com_stmt_prepare/ and
// https://mariadb.com/kb/en/com_stmt_execute/
//          (in https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html,
//        page_protocol_com_stmt_execute.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/statement.hpp"

#include <cstring>

#include "tern/protocol/mysql/commands.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/mysql/packet.hpp"
#include "tern/protocol/mysql/response.hpp"
#include "tern/protocol/protocol_error.hpp"

namespace tern::mysql {

namespace {

// Command byte, statement id, cursor flags, iteration count.
constexpr std::size_t kExecuteHeadSize = 1 + 4 + 1 + 4;

}  // namespace

using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

PrepareOk parse_prepare_ok(Bytes payload) {
  ByteReader r(payload, "COM_STMT_PREPARE_OK");
  if (r.read_le<std::uint8_t>() != header::kOk) {
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage, "COM_STMT_PREPARE_OK: bad header");
  }
  PrepareOk ok;
  ok.statement_id = r.read_le<std::uint32_t>();
  ok.num_columns = r.read_le<std::uint16_t>();
  ok.num_params = r.read_le<std::uint16_t>();
  r.read_le<std::uint8_t>();  // filler
  if (r.remaining() >= 2) ok.warnings = r.read_le<std::uint16_t>();
  // A metadata-follows byte (CLIENT_OPTIONAL_RESULTSET_METADATA) may follow; not negotiated.
  if (r.remaining() > 1) {
    throw ProtocolError(ProtocolErrc::kBadLength, "COM_STMT_PREPARE_OK: trailing bytes");
  }
  return ok;
}

void StmtParams::add(std::string_view text) {
  ByteWriter w(values_);
  write_lenenc_string(w, text);
  push_type(FieldType::kString, false, false);
}

void StmtParams::add_null() {
  push_type(FieldType::kNull, false, true);
}

void StmtParams::add_raw(FieldType type, bool is_unsigned, Bytes binary_value) {
  values_.append(protocol::as_chars(binary_value));
  push_type(type, is_unsigned, false);
}

void StmtParams::clear() noexcept {
  null_bitmap_.clear();
  types_.clear();
  values_.clear();
  count_ = 0;
}

void StmtParams::push_type(FieldType type, bool is_unsigned, bool is_null) {
  if (count_ % 8 == 0) null_bitmap_.push_back('\0');
  if (is_null) {
    null_bitmap_.back() =
        static_cast<char>(static_cast<unsigned char>(null_bitmap_.back()) | (1u << (count_ % 8)));
  }
  const char pair[2] = {static_cast<char>(type), static_cast<char>(is_unsigned ? 0x80 : 0x00)};
  types_.append(pair, 2);
  ++count_;
}

std::uint8_t write_com_stmt_execute(std::string& out, std::uint32_t statement_id,
                                    std::uint16_t num_params, const StmtParams& params,
                                    bool send_types, std::uint8_t flags) {
  if (params.size() != num_params) {
    throw ClientError(ClientErrc::kParamCountMismatch,
                      "the statement has " + std::to_string(num_params) + " parameters, " +
                          std::to_string(params.size()) + " given");
  }
  const bool with_params = num_params > 0;
  const std::size_t payload =
      kExecuteHeadSize +
      (with_params ? params.null_bitmap().size() + 1 + (send_types ? params.types().size() : 0) +
                         params.values().size()
                   : 0);
  if (payload >= kMaxPacketPayload) {  // rare: 16 MiB of values, split over several packets
    PacketBuilder p(out, 0);
    ByteWriter& w = p.body();
    w.u8(com::kStmtExecute);
    w.le(statement_id);
    w.u8(flags);
    w.le(std::uint32_t{1});  // iteration count
    if (with_params) {
      w.raw(params.null_bitmap());
      w.u8(send_types ? 1 : 0);
      if (send_types) w.raw(params.types());
      w.raw(params.values());
    }
    return p.finish();
  }
  // The common case, on every execute: sized up front and written in place (one resize, no
  // per-byte appends).
  const std::size_t start = out.size();
  out.resize(start + kPacketHeaderSize + payload);
  char* at = out.data() + start;
  auto put_le = [&at](std::uint64_t v, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i, v >>= 8)
      *at++ = static_cast<char>(v & 0xFF);
  };
  auto put = [&at](std::string_view bytes) {
    std::memcpy(at, bytes.data(), bytes.size());
    at += bytes.size();
  };
  put_le(payload, 3);
  *at++ = 0;  // sequence id: a command starts a new exchange
  *at++ = static_cast<char>(com::kStmtExecute);
  put_le(statement_id, 4);
  *at++ = static_cast<char>(flags);
  put_le(1, 4);  // iteration count
  if (with_params) {
    put(params.null_bitmap());
    *at++ = static_cast<char>(send_types ? 1 : 0);
    if (send_types) put(params.types());
    put(params.values());
  }
  return 1;
}

}  // namespace tern::mysql
