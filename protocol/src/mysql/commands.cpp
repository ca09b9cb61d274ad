// Command phase request encoders.
// MariaDB: https://mariadb.com/kb/en/2-text-protocol/ and
//          https://mariadb.com/kb/en/3-binary-protocol-prepared-statements/ (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/commands.hpp"

#include "tern/protocol/mysql/packet.hpp"

namespace tern::mysql {

namespace {

std::uint8_t command(std::string& out, std::uint8_t code, std::string_view arg = {}) {
  PacketBuilder p(out, 0);
  p.body().u8(code);
  p.body().raw(arg);
  return p.finish();
}

std::uint8_t statement_command(std::string& out, std::uint8_t code, std::uint32_t id) {
  PacketBuilder p(out, 0);
  p.body().u8(code);
  p.body().le(id);
  return p.finish();
}

}  // namespace

std::uint8_t write_com_query(std::string& out, std::string_view sql) {
  return command(out, com::kQuery, sql);
}

std::uint8_t write_com_ping(std::string& out) {
  return command(out, com::kPing);
}

std::uint8_t write_com_quit(std::string& out) {
  return command(out, com::kQuit);
}

std::uint8_t write_com_init_db(std::string& out, std::string_view database) {
  return command(out, com::kInitDb, database);
}

std::uint8_t write_com_reset_connection(std::string& out) {
  return command(out, com::kResetConnection);
}

std::uint8_t write_com_set_option(std::string& out, bool multi_statements) {
  PacketBuilder p(out, 0);
  p.body().u8(com::kSetOption);
  p.body().le(static_cast<std::uint16_t>(multi_statements ? 0 : 1));
  return p.finish();
}

std::uint8_t write_com_stmt_prepare(std::string& out, std::string_view sql) {
  return command(out, com::kStmtPrepare, sql);
}

std::uint8_t write_com_stmt_close(std::string& out, std::uint32_t statement_id) {
  return statement_command(out, com::kStmtClose, statement_id);
}

std::uint8_t write_com_stmt_reset(std::string& out, std::uint32_t statement_id) {
  return statement_command(out, com::kStmtReset, statement_id);
}

}  // namespace tern::mysql
