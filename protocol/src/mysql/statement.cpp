// COM_STMT_PREPARE_OK parsing, parameter binding and the COM_STMT_EXECUTE encoder.
// MariaDB: https://mariadb.com/kb/en/com_stmt_prepare/ and
// https://mariadb.com/kb/en/com_stmt_execute/
//          (in https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html,
//        page_protocol_com_stmt_execute.html (in
//        https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/statement.hpp"

#include "tern/protocol/error.hpp"
#include "tern/protocol/mysql/commands.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/lenenc.hpp"
#include "tern/protocol/mysql/packet.hpp"

namespace tern::mysql {

using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

PrepareOk parse_prepare_ok(Bytes payload) {
  ByteReader r(payload, "COM_STMT_PREPARE_OK");
  if (r.read_le<std::uint8_t>() != 0x00) {
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
  types_.push_back(static_cast<char>(type));
  types_.push_back(static_cast<char>(is_unsigned ? 0x80 : 0x00));
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
  PacketBuilder p(out, 0);
  ByteWriter& w = p.body();
  w.u8(com::kStmtExecute);
  w.le(statement_id);
  w.u8(flags);
  w.le(std::uint32_t{1});  // iteration count
  if (num_params > 0) {
    w.raw(params.null_bitmap());
    w.u8(send_types ? 1 : 0);
    if (send_types) w.raw(params.types());
    w.raw(params.values());
  }
  return p.finish();
}

}  // namespace tern::mysql
