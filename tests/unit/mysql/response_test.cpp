// Unit tests of OK/ERR/EOF packets, response classifiers, LOCAL INFILE and the error mapping
// (https://mariadb.com/kb/en/ok_packet/, https://mariadb.com/kb/en/err_packet/,
// https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html).
#include "tern/protocol/mysql/response.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/server_error.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::mysql {
namespace {

using namespace std::string_literals;
using protocol::as_chars;
using protocol::ProtocolErrc;
using protocol::ProtocolError;
using testing::B;
using testing::hex;

constexpr std::uint64_t kCaps41 = cap::kProtocol41 | cap::kTransactions;
constexpr std::uint64_t kCapsDeprecateEof = kCaps41 | cap::kDeprecateEof;

TEST(MysqlResponse, OkPacket) {
  // UPDATE: 1 row, insert id 0x10000, autocommit, 2 warnings, info text.
  const std::string p = hex("00 01 fd 00 00 01 02 00 02 00") + "Rows matched: 1"s;
  const OkPacket ok = parse_ok(B(p), kCaps41);
  EXPECT_EQ(ok.affected_rows, 1u);
  EXPECT_EQ(ok.last_insert_id, 0x10000u);
  EXPECT_EQ(ok.status_flags, status::kAutocommit);
  EXPECT_EQ(ok.warnings, 2);
  EXPECT_EQ(ok.info, "Rows matched: 1");
  EXPECT_TRUE(ok.session_state.empty());
  EXPECT_EQ(classify_response(B(p), kCaps41), ResponseKind::kOk);
}

TEST(MysqlResponse, OkPacketWithSessionTrack) {
  const std::uint64_t caps = kCaps41 | cap::kSessionTrack;
  // status: autocommit | session state changed; info ""; state: schema change to "db".
  const std::string p = hex("00 00 00 02 40 00 00 00 05 01 03 02 64 62");
  const OkPacket ok = parse_ok(B(p), caps);
  EXPECT_EQ(ok.info, "");
  EXPECT_EQ(testing::to_hex(ok.session_state), "0103026462");
  // Without state change the info may be omitted entirely.
  const std::string bare = hex("00 00 00 02 00 00 00");
  EXPECT_EQ(parse_ok(B(bare), caps).info, "");
  const std::string bad = hex("00 00 00 02 40 00 00 00 09 01");
  EXPECT_THROW(parse_ok(B(bad), caps), ProtocolError);
}

TEST(MysqlResponse, EndOfResultSetWithAndWithoutDeprecateEof) {
  // Classic EOF: warnings 0, status more-results | autocommit.
  const std::string eof = hex("fe 00 00 0a 00");
  EXPECT_TRUE(is_eof_packet(B(eof)));
  EXPECT_EQ(classify_row(B(eof)), RowKind::kEnd);
  const EofPacket e = parse_eof(B(eof), kCaps41);
  EXPECT_EQ(e.warnings, 0);
  EXPECT_EQ(e.status_flags, status::kMoreResultsExist | status::kAutocommit);
  EXPECT_EQ(end_of_rows_status(B(eof), kCaps41), 0x0a);
  // DEPRECATE_EOF: an OK with header 0xFE, 7 bytes (still under 9).
  const std::string ok_eof = hex("fe 00 00 22 00 01 00");
  EXPECT_EQ(classify_row(B(ok_eof)), RowKind::kEnd);
  const OkPacket ok = parse_ok(B(ok_eof), kCapsDeprecateEof);
  EXPECT_EQ(ok.status_flags, 0x22);
  EXPECT_EQ(ok.warnings, 1);
  EXPECT_EQ(end_of_rows_status(B(ok_eof), kCapsDeprecateEof), 0x22);
  // A long OK (with info) also ends rows under DEPRECATE_EOF.
  const std::string long_ok = hex("fe 00 00 02 00 00 00") + "some info text"s;
  EXPECT_EQ(classify_row(B(long_ok)), RowKind::kEnd);
  EXPECT_EQ(classify_response(B(long_ok), kCapsDeprecateEof), ResponseKind::kOk);
  EXPECT_EQ(classify_response(B(long_ok), kCaps41), ResponseKind::kResultSet);
  EXPECT_EQ(parse_ok(B(long_ok), kCapsDeprecateEof).info, "some info text");
  EXPECT_THROW(parse_eof(B(long_ok), kCaps41), ProtocolError);
}

TEST(MysqlResponse, RowsAreNotEnds) {
  const std::string row = hex("03 61 62 63");
  EXPECT_EQ(classify_row(B(row)), RowKind::kRow);
  const std::string binary_row = hex("00 00 01");
  EXPECT_EQ(classify_row(B(binary_row)), RowKind::kRow);
  const std::string err = hex("ff 15 04 23 34 32 30 30 30") + "x"s;
  EXPECT_EQ(classify_row(B(err)), RowKind::kErr);
  EXPECT_THROW(classify_row(Bytes{}), ProtocolError);
}

TEST(MysqlResponse, ErrPacket) {
  const std::string p = hex("ff 26 04 23") + "23000Duplicate entry '1' for key 'PRIMARY'"s;
  EXPECT_TRUE(is_err_packet(B(p)));
  EXPECT_EQ(classify_response(B(p), kCaps41), ResponseKind::kErr);
  const ServerErrorInfo e = parse_err(B(p));
  EXPECT_EQ(e.code, 1062u);
  EXPECT_EQ(e.sqlstate, "23000");
  EXPECT_EQ(e.message, "Duplicate entry '1' for key 'PRIMARY'");
  // Without the SQLSTATE marker (errors before the handshake completes).
  const std::string early = hex("ff 10 04") + "Too many connections"s;
  const ServerErrorInfo e2 = parse_err(B(early));
  EXPECT_EQ(e2.code, 1040u);
  EXPECT_EQ(e2.sqlstate, "");
  EXPECT_EQ(e2.message, "Too many connections");
  // Truncated SQLSTATE / errno.
  const std::string short_state = hex("ff 26 04 23 32 33");
  EXPECT_THROW(parse_err(B(short_state)), ProtocolError);
  const std::string short_errno = hex("ff 26");
  EXPECT_THROW(parse_err(B(short_errno)), ProtocolError);
}

TEST(MysqlResponse, ClassifyResponse) {
  const std::string cols = hex("03");
  EXPECT_EQ(classify_response(B(cols), kCaps41), ResponseKind::kResultSet);
  const std::string infile = hex("fb") + "/etc/passwd"s;
  EXPECT_EQ(classify_response(B(infile), kCaps41), ResponseKind::kLocalInfile);
  EXPECT_EQ(parse_local_infile_request(B(infile)), "/etc/passwd");
  std::string out;
  EXPECT_EQ(write_local_infile_refusal(out, 2), 3);
  EXPECT_EQ(out, hex("00 00 00 02"));
  const std::string eof = hex("fe 00 00 02 00");
  EXPECT_EQ(classify_response(B(eof), kCaps41), ResponseKind::kEof);
  EXPECT_THROW(classify_response(Bytes{}, kCaps41), ProtocolError);
}

TEST(MysqlResponse, ClassifyAuth) {
  const std::string ok = hex("00 00 00 02 00 00 00");
  const std::string sw = hex("fe") + "x"s;
  const std::string more = hex("01 03");
  const std::string err = hex("ff 15 04");
  const std::string bad = hex("05");
  EXPECT_EQ(classify_auth(B(ok)), AuthKind::kOk);
  EXPECT_EQ(classify_auth(B(sw)), AuthKind::kAuthSwitch);
  EXPECT_EQ(classify_auth(B(more)), AuthKind::kMoreData);
  EXPECT_EQ(classify_auth(B(err)), AuthKind::kErr);
  EXPECT_THROW(classify_auth(B(bad)), ProtocolError);
}

TEST(MysqlResponse, MalformedOk) {
  for (const char* h : {"00", "00 fc 01", "00 00", "00 00 00 02", "ff 00 00 00 00 00 00"}) {
    const std::string p = hex(h);
    EXPECT_THROW(parse_ok(B(p), kCaps41), ProtocolError) << h;
  }
}

ServerErrorInfo err(std::uint32_t code, std::string sqlstate) {
  ServerErrorInfo e;
  e.code = code;
  e.sqlstate = std::move(sqlstate);
  e.message = "m";
  return e;
}

TEST(MysqlServerError, ClassifiesByErrnoThenSqlstate) {
  EXPECT_EQ(classify_error(err(1062, "23000")), ErrorClass::kIntegrity);
  EXPECT_EQ(classify_error(err(1452, "23000")), ErrorClass::kIntegrity);
  EXPECT_EQ(classify_error(err(1451, "23000")), ErrorClass::kIntegrity);
  EXPECT_EQ(classify_error(err(1048, "23000")), ErrorClass::kIntegrity);
  EXPECT_EQ(classify_error(err(1364, "HY000")), ErrorClass::kIntegrity);
  EXPECT_EQ(classify_error(err(1064, "42000")), ErrorClass::kProgramming);
  EXPECT_EQ(classify_error(err(1146, "42S02")), ErrorClass::kProgramming);
  EXPECT_EQ(classify_error(err(1054, "42S22")), ErrorClass::kProgramming);
  EXPECT_EQ(classify_error(err(1213, "40001")), ErrorClass::kTransactionRollback);
  EXPECT_EQ(classify_error(err(1205, "HY000")), ErrorClass::kOperational);
  EXPECT_EQ(classify_error(err(1317, "70100")), ErrorClass::kOperational);
  EXPECT_EQ(classify_error(err(1927, "70100")), ErrorClass::kConnectionLost);
  EXPECT_EQ(classify_error(err(1406, "22001")), ErrorClass::kData);
  EXPECT_EQ(classify_error(err(1235, "42000")), ErrorClass::kNotSupported);
  EXPECT_EQ(classify_error(err(9999, "22003")), ErrorClass::kData);
  EXPECT_EQ(classify_error(err(9999, "HY000")), ErrorClass::kOperational);
  EXPECT_EQ(classify_error(err(9999, "")), ErrorClass::kOperational);
}

TEST(MysqlServerError, ThrowsTheMappedException) {
  EXPECT_THROW(throw_mysql_error(err(1062, "23000")), IntegrityError);
  EXPECT_THROW(throw_mysql_error(err(1364, "HY000")), IntegrityError);
  EXPECT_THROW(throw_mysql_error(err(1064, "42000")), ProgrammingError);
  EXPECT_THROW(throw_mysql_error(err(1213, "40001")), TransactionRollback);
  EXPECT_THROW(throw_mysql_error(err(1213, "40001")), OperationalError);  // its base
  EXPECT_THROW(throw_mysql_error(err(4031, "HY000")), ConnectionLost);
  EXPECT_THROW(throw_mysql_error(err(1366, "HY000")), DataError);
  EXPECT_THROW(throw_mysql_error(err(1289, "HY000")), NotSupportedError);
  try {
    throw_mysql_error(err(1146, "42S02"));
  } catch (const ProgrammingError& e) {
    EXPECT_EQ(e.info().code, 1146u);
    EXPECT_EQ(e.sqlstate(), "42S02");
  }
}

}  // namespace
}  // namespace tern::mysql
