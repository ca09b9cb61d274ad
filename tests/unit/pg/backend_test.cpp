// Unit tests of the sans-I/O PostgreSQL backend codec: framing and every message parser, on
// byte fixtures hand-assembled from
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#include "tern/protocol/pg/backend.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tern/protocol/protocol_error.hpp"
#include "test_util.hpp"

namespace tern::pg::backend {
namespace {

using testing::be32;
using testing::msg;

using namespace std::string_literals;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

// "52 00 00 00 08" -> the bytes 0x52 0x00 0x00 0x00 0x08 (spaces ignored).
std::string hex(std::string_view h) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    ADD_FAILURE() << "bad hex digit " << c;
    return 0;
  };
  std::string out;
  int pending = -1;
  for (char c : h) {
    if (c == ' ') continue;
    if (pending < 0) {
      pending = digit(c);
    } else {
      out.push_back(static_cast<char>(pending * 16 + digit(c)));
      pending = -1;
    }
  }
  EXPECT_EQ(pending, -1) << "odd number of hex digits";
  return out;
}

Bytes span(const std::string& s) {
  return protocol::as_bytes(s);
}
std::string_view chars(Bytes b) {
  return protocol::as_chars(b);
}

// Expects `f()` to throw ProtocolError with code `code`.
template <class F>
void expect_protocol_error(F&& f, ProtocolErrc code) {
  try {
    f();
    ADD_FAILURE() << "no ProtocolError thrown";
  } catch (const ProtocolError& e) {
    EXPECT_EQ(e.code(), make_error_code(code)) << e.what();
  }
}
#define EXPECT_PROTOCOL_ERROR(expr, errc) \
  expect_protocol_error([&] { (void)(expr); }, ProtocolErrc::errc)

// Frames `data` completely; fails the test if bytes are left over.
std::vector<std::pair<char, std::string>> frame_all(const std::string& data) {
  std::vector<std::pair<char, std::string>> out;
  Bytes rest = span(data);
  std::size_t consumed = 0;
  while (auto m = frame(rest, consumed)) {
    out.emplace_back(m->type, std::string(chars(m->body)));
    rest = rest.subspan(consumed);
  }
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(rest.empty()) << rest.size() << " bytes left unframed";
  return out;
}

// --- Fixtures -------------------------------------------------------------------------------

// What a server sends after a StartupMessage with trust authentication.
const std::string kAuthOk = hex("52 00000008 00000000");
const std::string kServerVersion = hex("53 00000018") + "server_version\0"s + "15.4\0"s;
const std::string kClientEncoding = hex("53 00000019") + "client_encoding\0"s + "UTF8\0"s;
const std::string kBackendKey = hex("4b 0000000c 00003039 deadbeef");
const std::string kReadyIdle = hex("5a 00000005 49");
const std::string kStartup = kAuthOk + kServerVersion + kClientEncoding + kBackendKey + kReadyIdle;

// SELECT id, name FROM t: RowDescription (int4 text-format, text binary-format), two rows
// (the second with a NULL name), CommandComplete "SELECT 2", ReadyForQuery.
const std::string kRowDescription = hex("54 00000032 0002") +                                     //
                                    "id\0"s + hex("00004000 0001 00000017 0004 ffffffff 0000") +  //
                                    "name\0"s +
                                    hex("00004000 0002 00000019 ffff ffffffff 0001");  //
const std::string kRow1 = hex("44 00000013 0002 00000001") + "7" + hex("00000004") + "Anna";
const std::string kRow2 = hex("44 00000010 0002 00000002") + "42" + hex("ffffffff");
const std::string kSelectComplete = hex("43 0000000d") + "SELECT 2\0"s;
const std::string kQueryResult = kRowDescription + kRow1 + kRow2 + kSelectComplete + kReadyIdle;

// ErrorResponse with every field code the docs list, plus an unknown one ('Z').
const std::string kErrorBody = "SERREUR\0"s + "VERROR\0"s + "C23505\0"s +
                               "Mduplicate key value violates unique constraint \"t_pkey\"\0"s +
                               "DKey (id)=(1) already exists.\0"s + "Hcheck your keys\0"s +
                               "P15\0"s + "p3\0"s + "qSELECT 1/0\0"s +
                               "WSQL function \"f\" statement 1\0"s + "spublic\0"s + "tt\0"s +
                               "cid\0"s + "dint4\0"s + "nt_pkey\0"s + "Fnbtinsert.c\0"s +
                               "L664\0"s + "R_bt_check_unique\0"s + "Zfuture field\0"s + "\0"s;
const std::string kError = msg('E', kErrorBody);

// AuthenticationSASL offering SCRAM-SHA-256-PLUS and SCRAM-SHA-256.
const std::string kAuthSasl =
    hex("52 0000002a 0000000a") + "SCRAM-SHA-256-PLUS\0"s + "SCRAM-SHA-256\0"s + "\0"s;

// NOTIFY jobs, 'run 42' from backend 4711.
const std::string kNotification = hex("41 00000014 00001267") + "jobs\0"s + "run 42\0"s;

// COPY t FROM STDIN (text, 3 columns).
const std::string kCopyIn = hex("47 0000000d 00 0003 0000 0000 0000");

// The server knows protocol 3.0 only and does not recognise two _pq_ options.
const std::string kNegotiate = hex("76 0000001e 00000000 00000002") + "_pq_.foo\0"s + "_pq_.bar\0"s;

// --- Framing --------------------------------------------------------------------------------

TEST(PgBackendFrame, FixtureLengthsMatchTheirBodies) {
  // Guards the hand-computed length fields above: each fixture is exactly one message.
  for (const std::string* m : {&kAuthOk, &kServerVersion, &kClientEncoding, &kBackendKey,
                               &kReadyIdle, &kRowDescription, &kRow1, &kRow2, &kSelectComplete,
                               &kError, &kAuthSasl, &kNotification, &kCopyIn, &kNegotiate}) {
    std::size_t consumed = 0;
    const auto framed = frame(span(*m), consumed);
    ASSERT_TRUE(framed.has_value());
    EXPECT_EQ(consumed, m->size()) << "message '" << framed->type << "'";
    EXPECT_EQ(frame_size(span(*m)), m->size());
  }
}

TEST(PgBackendFrame, StartupSequence) {
  const auto messages = frame_all(kStartup);
  ASSERT_EQ(messages.size(), 5u);

  EXPECT_EQ(messages[0].first, 'R');
  const Authentication auth = parse_authentication(span(messages[0].second));
  EXPECT_EQ(auth.code, AuthCode::kOk);
  EXPECT_TRUE(auth.data.empty());

  EXPECT_EQ(messages[1].first, 'S');
  const ParameterStatus version = parse_parameter_status(span(messages[1].second));
  EXPECT_EQ(version.name, "server_version");
  EXPECT_EQ(version.value, "15.4");

  EXPECT_EQ(messages[2].first, 'S');
  const ParameterStatus encoding = parse_parameter_status(span(messages[2].second));
  EXPECT_EQ(encoding.name, "client_encoding");
  EXPECT_EQ(encoding.value, "UTF8");

  EXPECT_EQ(messages[3].first, 'K');
  const BackendKeyData key = parse_backend_key_data(span(messages[3].second));
  EXPECT_EQ(key.pid, 12345);
  EXPECT_EQ(key.secret, static_cast<std::int32_t>(0xdeadbeefu));

  EXPECT_EQ(messages[4].first, 'Z');
  EXPECT_EQ(parse_ready_for_query(span(messages[4].second)), TransactionStatus::kIdle);
}

TEST(PgBackendFrame, BodiesAreViewsIntoTheInput) {
  std::size_t consumed = 0;
  const auto m = frame(span(kServerVersion), consumed);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->body.data(), span(kServerVersion).data() + 5);
  EXPECT_EQ(m->body.size(), kServerVersion.size() - 5);
}

TEST(PgBackendFrame, NeedsMoreBytes) {
  std::size_t consumed = 99;
  EXPECT_FALSE(frame(Bytes{}, consumed).has_value());
  EXPECT_EQ(consumed, 0u);
  for (std::size_t n = 0; n < kServerVersion.size(); ++n) {
    consumed = 99;
    EXPECT_FALSE(frame(span(kServerVersion).first(n), consumed).has_value()) << n;
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(PgBackendFrame, FrameSize) {
  EXPECT_EQ(frame_size(Bytes{}), 5u);
  EXPECT_EQ(frame_size(span(kServerVersion).first(4)), 5u);
  EXPECT_EQ(frame_size(span(kServerVersion).first(5)), kServerVersion.size());
  EXPECT_EQ(frame_size(span(kStartup)), kAuthOk.size());  // only the first message counts
  const std::string huge = hex("44 40000000");            // a 1 GiB DataRow announced
  EXPECT_EQ(frame_size(span(huge), std::size_t{1} << 30), std::size_t{0x40000001});
}

TEST(PgBackendFrame, FrameSizeRejectsWhatFrameRejects) {
  // A reader grows its buffer to frame_size(): a length over the cap must throw there, not
  // only once the message is framed (a leftover header announcing 1.7 GB made
  // fuzz_pg_connection allocate 1.7 GB with max_message_size = 1 MiB).
  const std::string huge = hex("44 40000000");
  EXPECT_THROW(frame_size(span(huge)), ProtocolError);  // over the default 64 MiB
  EXPECT_THROW(frame_size(span(hex("44 00100004")), 1 << 20), ProtocolError);
  EXPECT_EQ(frame_size(span(hex("44 00100000")), 1 << 20), std::size_t{0x100001});
  EXPECT_THROW(frame_size(span(hex("44 7fffffff"))), ProtocolError);
  EXPECT_THROW(frame_size(span(hex("44 ffffffff"))), ProtocolError);  // negative
  EXPECT_THROW(frame_size(span(hex("44 00000003"))), ProtocolError);  // under 4
}

TEST(PgBackendFrame, EmptyBodyMessages) {
  // ParseComplete, BindComplete, CloseComplete, NoData, PortalSuspended, EmptyQueryResponse,
  // CopyDone.
  for (char type : {'1', '2', '3', 'n', 's', 'I', 'c'}) {
    const std::string m = std::string(1, type) + hex("00000004");
    std::size_t consumed = 0;
    const auto framed = frame(span(m), consumed);
    ASSERT_TRUE(framed.has_value());
    EXPECT_EQ(framed->type, type);
    EXPECT_TRUE(framed->body.empty());
    EXPECT_EQ(consumed, 5u);
    EXPECT_NO_THROW(expect_empty(*framed));
  }
  const std::string bad = hex("31 00000005 00");
  std::size_t consumed = 0;
  const auto framed = frame(span(bad), consumed);
  ASSERT_TRUE(framed.has_value());
  EXPECT_PROTOCOL_ERROR(expect_empty(*framed), kBadLength);
}

TEST(PgBackendFrame, LengthUnderFour) {
  for (const char* len : {"00000003", "00000000", "ffffffff", "80000000"}) {
    const std::string m = "Z" + hex(len) + "I";
    std::size_t consumed = 0;
    EXPECT_PROTOCOL_ERROR(frame(span(m), consumed), kBadLength);
  }
}

TEST(PgBackendFrame, LengthOverCap) {
  std::size_t consumed = 0;
  // Rejected from the header alone, before the body arrives.
  const std::string over = hex("44 00000065");  // 101
  EXPECT_PROTOCOL_ERROR(frame(span(over), consumed, 100), kBadLength);
  const std::string at_cap = hex("44 00000064");  // 100: fine, incomplete
  EXPECT_FALSE(frame(span(at_cap), consumed, 100).has_value());
  const std::string over_default = hex("44 04000001");  // 64 MiB + 1
  EXPECT_PROTOCOL_ERROR(frame(span(over_default), consumed), kBadLength);
  const std::string max_int = hex("44 7fffffff");
  EXPECT_PROTOCOL_ERROR(frame(span(max_int), consumed), kBadLength);
  const std::string at_default = hex("44 04000000");  // 64 MiB
  EXPECT_FALSE(frame(span(at_default), consumed).has_value());
}

// A reader that accumulates what it receives and frames as much as it can.
class Reader {
 public:
  void feed(std::string_view chunk) {
    buffer_.append(chunk);
    Bytes rest = span(buffer_);
    std::size_t consumed = 0;
    while (auto m = frame(rest, consumed)) {
      messages_.emplace_back(m->type, std::string(chars(m->body)));
      rest = rest.subspan(consumed);
    }
    buffer_.erase(0, buffer_.size() - rest.size());
  }
  const std::vector<std::pair<char, std::string>>& messages() const { return messages_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  std::vector<std::pair<char, std::string>> messages_;
};

TEST(PgBackendFrame, SplitAtEveryByteBoundary) {
  const std::string session = kStartup + kQueryResult + kAuthSasl + kNotification + kCopyIn +
                              kNegotiate + kError + kReadyIdle + hex("31 00000004");
  const auto expected = frame_all(session);
  ASSERT_EQ(expected.size(), 17u);
  for (std::size_t split = 0; split <= session.size(); ++split) {
    Reader reader;
    reader.feed(std::string_view(session).substr(0, split));
    reader.feed(std::string_view(session).substr(split));
    ASSERT_EQ(reader.messages(), expected) << "split at " << split;
    EXPECT_EQ(reader.buffered(), 0u);
  }
  Reader bytewise;
  for (char c : session)
    bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.messages(), expected);
}

// --- Authentication -------------------------------------------------------------------------

TEST(PgBackendAuthentication, CodesWithoutData) {
  const std::initializer_list<std::pair<std::int32_t, AuthCode>> codes = {
      {0, AuthCode::kOk},
      {2, AuthCode::kKerberosV5},
      {3, AuthCode::kCleartextPassword},
      {7, AuthCode::kGss},
      {9, AuthCode::kSspi}};
  for (const auto& [raw_code, expected] : codes) {
    const auto code = raw_code;  // clang 14 cannot capture a structured binding (the lambda below)
    const std::string body = be32(code);
    const Authentication a = parse_authentication(span(body));
    EXPECT_EQ(a.code, expected);
    EXPECT_TRUE(a.data.empty());
    // Bytes after a code that carries no data are a protocol violation.
    EXPECT_PROTOCOL_ERROR(parse_authentication(span(be32(code) + "x")), kBadLength);
  }
}

TEST(PgBackendAuthentication, Md5Salt) {
  const std::string body = hex("00000005 01020304");
  const Authentication a = parse_authentication(span(body));
  EXPECT_EQ(a.code, AuthCode::kMd5Password);
  EXPECT_EQ(chars(a.data), hex("01020304"));
  EXPECT_PROTOCOL_ERROR(parse_authentication(span(hex("00000005 010203"))), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_authentication(span(hex("00000005 0102030405"))), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_authentication(span(hex("00000005"))), kBadLength);
}

TEST(PgBackendAuthentication, SaslWithTwoMechanisms) {
  std::size_t consumed = 0;
  const auto m = frame(span(kAuthSasl), consumed);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->type, 'R');
  const Authentication a = parse_authentication(m->body);
  EXPECT_EQ(a.code, AuthCode::kSasl);
  const std::vector<std::string_view> mechanisms = parse_sasl_mechanisms(a.data);
  ASSERT_EQ(mechanisms.size(), 2u);
  EXPECT_EQ(mechanisms[0], "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(mechanisms[1], "SCRAM-SHA-256");
}

TEST(PgBackendAuthentication, SaslMechanismsMalformed) {
  EXPECT_TRUE(parse_sasl_mechanisms(span("\0"s)).empty());
  // The list must end with an empty name.
  EXPECT_PROTOCOL_ERROR(parse_sasl_mechanisms(span("SCRAM-SHA-256\0"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_sasl_mechanisms(span("SCRAM-SHA-256"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_sasl_mechanisms(Bytes{}), kTruncated);
  // Nothing may follow the terminator.
  EXPECT_PROTOCOL_ERROR(parse_sasl_mechanisms(span("SCRAM-SHA-256\0\0junk"s)), kBadLength);
}

TEST(PgBackendAuthentication, SaslContinueAndFinal) {
  const std::string server_first = "r=abc,s=c2FsdA==,i=4096";
  const std::string cont_body = be32(11) + server_first;
  const Authentication cont = parse_authentication(span(cont_body));
  EXPECT_EQ(cont.code, AuthCode::kSaslContinue);
  EXPECT_EQ(chars(cont.data), server_first);
  const std::string server_final = "v=dmVyaWZpZXI=";
  const std::string fin_body = be32(12) + server_final;
  const Authentication fin = parse_authentication(span(fin_body));
  EXPECT_EQ(fin.code, AuthCode::kSaslFinal);
  EXPECT_EQ(chars(fin.data), server_final);
  const std::string gss_body = be32(8) + "tok";
  const Authentication gss = parse_authentication(span(gss_body));
  EXPECT_EQ(gss.code, AuthCode::kGssContinue);
  EXPECT_EQ(chars(gss.data), "tok");
}

TEST(PgBackendAuthentication, UnknownCodeIsReturned) {
  const std::string body = be32(99);
  const Authentication a = parse_authentication(span(body));
  EXPECT_EQ(static_cast<std::int32_t>(a.code), 99);
  EXPECT_STREQ(auth_code_name(a.code), "unknown");
}

TEST(PgBackendAuthentication, Truncated) {
  EXPECT_PROTOCOL_ERROR(parse_authentication(Bytes{}), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_authentication(span(hex("000000"))), kTruncated);
}

TEST(PgBackendAuthentication, CodeNames) {
  EXPECT_STREQ(auth_code_name(AuthCode::kOk), "ok");
  EXPECT_STREQ(auth_code_name(AuthCode::kKerberosV5), "Kerberos V5");
  EXPECT_STREQ(auth_code_name(AuthCode::kCleartextPassword), "cleartext password");
  EXPECT_STREQ(auth_code_name(AuthCode::kMd5Password), "MD5 password");
  EXPECT_STREQ(auth_code_name(AuthCode::kGss), "GSSAPI");
  EXPECT_STREQ(auth_code_name(AuthCode::kGssContinue), "GSSAPI");
  EXPECT_STREQ(auth_code_name(AuthCode::kSspi), "SSPI");
  EXPECT_STREQ(auth_code_name(AuthCode::kSasl), "SASL");
  EXPECT_STREQ(auth_code_name(AuthCode::kSaslContinue), "SASL");
  EXPECT_STREQ(auth_code_name(AuthCode::kSaslFinal), "SASL");
}

// --- ParameterStatus, BackendKeyData, ReadyForQuery -----------------------------------------

TEST(PgBackendParameterStatus, EmptyValue) {
  const std::string body = "application_name\0\0"s;
  const ParameterStatus s = parse_parameter_status(span(body));
  EXPECT_EQ(s.name, "application_name");
  EXPECT_EQ(s.value, "");
}

TEST(PgBackendParameterStatus, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_parameter_status(span("TimeZone\0UTC"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_parameter_status(span("TimeZone\0"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_parameter_status(Bytes{}), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_parameter_status(span("TimeZone\0UTC\0x"s)), kBadLength);
}

TEST(PgBackendKeyData, Values) {
  const BackendKeyData k = parse_backend_key_data(span(hex("7fffffff 80000000")));
  EXPECT_EQ(k.pid, std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(k.secret, std::numeric_limits<std::int32_t>::min());
}

TEST(PgBackendKeyData, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_backend_key_data(span(hex("00003039 deadbe"))), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_backend_key_data(span(hex("00003039"))), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_backend_key_data(span(hex("00003039 deadbeef 00"))), kBadLength);
}

TEST(PgBackendReadyForQuery, Statuses) {
  EXPECT_EQ(parse_ready_for_query(span("I"s)), TransactionStatus::kIdle);
  EXPECT_EQ(parse_ready_for_query(span("T"s)), TransactionStatus::kInTransaction);
  EXPECT_EQ(parse_ready_for_query(span("E"s)), TransactionStatus::kFailed);
}

TEST(PgBackendReadyForQuery, Malformed) {
  for (const std::string& bad : {"X"s, "i"s, "\0"s, "\xff"s}) {
    EXPECT_PROTOCOL_ERROR(parse_ready_for_query(span(bad)), kBadValue);
  }
  EXPECT_PROTOCOL_ERROR(parse_ready_for_query(Bytes{}), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_ready_for_query(span("II"s)), kBadLength);
}

// --- ErrorResponse / NoticeResponse ---------------------------------------------------------

TEST(PgBackendError, AllFields) {
  std::size_t consumed = 0;
  const auto m = frame(span(kError), consumed);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, 'E');
  const ServerErrorInfo e = parse_error_fields(m->body);
  EXPECT_EQ(e.severity, "ERROR");  // the non-localised V wins over S
  EXPECT_EQ(e.sqlstate, "23505");
  EXPECT_EQ(e.message, "duplicate key value violates unique constraint \"t_pkey\"");
  EXPECT_EQ(e.detail, "Key (id)=(1) already exists.");
  EXPECT_EQ(e.hint, "check your keys");
  EXPECT_EQ(e.position, "15");
  EXPECT_EQ(e.internal_position, "3");
  EXPECT_EQ(e.internal_query, "SELECT 1/0");
  EXPECT_EQ(e.where, "SQL function \"f\" statement 1");
  EXPECT_EQ(e.schema, "public");
  EXPECT_EQ(e.table, "t");
  EXPECT_EQ(e.column, "id");
  EXPECT_EQ(e.data_type, "int4");
  EXPECT_EQ(e.constraint, "t_pkey");
  EXPECT_EQ(e.file, "nbtinsert.c");
  EXPECT_EQ(e.line, "664");
  EXPECT_EQ(e.routine, "_bt_check_unique");
  EXPECT_EQ(e.code, 0u);
}

TEST(PgBackendError, LocalizedSeverityWhenNoV) {
  // Servers before 9.6 send only S; a notice has the same layout.
  const ServerErrorInfo e =
      parse_error_fields(span("SNOTICE\0"s + "C00000\0"s + "Mhello\0"s + "\0"s));
  EXPECT_EQ(e.severity, "NOTICE");
  EXPECT_EQ(e.sqlstate, "00000");
  EXPECT_EQ(e.message, "hello");
  EXPECT_TRUE(e.detail.empty());
}

TEST(PgBackendError, EmptyFieldList) {
  const ServerErrorInfo e = parse_error_fields(span("\0"s));
  EXPECT_TRUE(e.severity.empty());
  EXPECT_TRUE(e.message.empty());
}

TEST(PgBackendError, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_error_fields(Bytes{}), kTruncated);
  // No terminating zero byte after the last field.
  EXPECT_PROTOCOL_ERROR(parse_error_fields(span("SERROR\0"s + "Mboom\0"s)), kTruncated);
  // A field value without its NUL.
  EXPECT_PROTOCOL_ERROR(parse_error_fields(span("SERROR\0Mboom"s)), kTruncated);
  // A field code with no value at all.
  EXPECT_PROTOCOL_ERROR(parse_error_fields(span("M"s)), kTruncated);
  // Bytes after the terminator.
  EXPECT_PROTOCOL_ERROR(parse_error_fields(span("Mboom\0\0x"s)), kBadLength);
}

// --- RowDescription and DataRow -------------------------------------------------------------

TEST(PgBackendRowDescription, TwoColumns) {
  const auto messages = frame_all(kQueryResult);
  ASSERT_EQ(messages.size(), 5u);
  ASSERT_EQ(messages[0].first, 'T');
  std::vector<Column> columns;
  parse_row_description(span(messages[0].second), columns);
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns[0].name, "id");
  EXPECT_EQ(columns[0].table_oid, 16384u);
  EXPECT_EQ(columns[0].table_column, 1);
  EXPECT_EQ(columns[0].type, oid::kInt4);
  EXPECT_EQ(columns[0].type_size, 4);
  EXPECT_EQ(columns[0].type_modifier, -1);
  EXPECT_EQ(columns[0].format, Format::kText);
  EXPECT_EQ(columns[1].name, "name");
  EXPECT_EQ(columns[1].table_oid, 16384u);
  EXPECT_EQ(columns[1].table_column, 2);
  EXPECT_EQ(columns[1].type, oid::kText);
  EXPECT_EQ(columns[1].type_size, -1);
  EXPECT_EQ(columns[1].type_modifier, -1);
  EXPECT_EQ(columns[1].format, Format::kBinary);

  ASSERT_EQ(messages[1].first, 'D');
  const DataRow row1(span(messages[1].second), columns.size());
  ASSERT_EQ(row1.size(), 2u);
  ASSERT_TRUE(row1.value(0).has_value());
  EXPECT_EQ(chars(*row1.value(0)), "7");
  ASSERT_TRUE(row1.value(1).has_value());
  EXPECT_EQ(chars(*row1.value(1)), "Anna");

  ASSERT_EQ(messages[2].first, 'D');
  const DataRow row2(span(messages[2].second), columns.size());
  ASSERT_TRUE(row2.value(0).has_value());
  EXPECT_EQ(chars(*row2.value(0)), "42");
  EXPECT_FALSE(row2.value(1).has_value());

  ASSERT_EQ(messages[3].first, 'C');
  const std::string_view tag = parse_command_complete(span(messages[3].second));
  EXPECT_EQ(tag, "SELECT 2");
  EXPECT_EQ(rows_in_tag(tag), 2u);

  ASSERT_EQ(messages[4].first, 'Z');
  EXPECT_EQ(parse_ready_for_query(span(messages[4].second)), TransactionStatus::kIdle);
}

TEST(PgBackendRowDescription, ZeroColumnsAndReuse) {
  std::vector<Column> columns(3);
  parse_row_description(span(hex("0000")), columns);
  EXPECT_TRUE(columns.empty());
  // An empty column name is legal ("SELECT 1 AS \"\"").
  parse_row_description(span(hex("0001 00 00000000 0000 00000017 0004 ffffffff 0000")), columns);
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_EQ(columns[0].name, "");
  EXPECT_EQ(columns[0].table_oid, 0u);
}

TEST(PgBackendRowDescription, LargeOid) {
  std::vector<Column> columns;
  parse_row_description(
      span(hex("0001") + "x\0"s + hex("fffffffe 0001 fffffff0 0004 00000000 0000")), columns);
  ASSERT_EQ(columns.size(), 1u);
  EXPECT_EQ(columns[0].table_oid, 0xfffffffeu);
  EXPECT_EQ(columns[0].type, 0xfffffff0u);
  EXPECT_EQ(columns[0].type_modifier, 0);
}

TEST(PgBackendRowDescription, Malformed) {
  const std::string field = "id\0"s + hex("00004000 0001 00000017 0004 ffffffff 0000");
  std::vector<Column> columns;
  EXPECT_PROTOCOL_ERROR(parse_row_description(Bytes{}, columns), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("00")), columns), kTruncated);
  // Negative count, and a count the remaining bytes cannot hold.
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("ffff") + field), columns), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("0002") + field), columns), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("7fff") + field), columns), kBadLength);
  // One field announced, fewer than 19 bytes of it.
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("0001") + field.substr(0, 18)), columns),
                        kBadLength);
  // Enough bytes for the count check, but the name eats them: the fixed part is cut short.
  const std::string long_name = "a_very_long_column_name\0"s + hex("00004000 0001");
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("0001") + long_name), columns), kTruncated);
  // A name without its NUL.
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("0001") + std::string(30, 'x')), columns),
                        kTruncated);
  // Format codes other than 0 and 1.
  for (const char* format : {"0002", "ffff"}) {
    const std::string bad =
        hex("0001") + "id\0"s + hex("00004000 0001 00000017 0004 ffffffff") + hex(format);
    EXPECT_PROTOCOL_ERROR(parse_row_description(span(bad), columns), kBadValue);
  }
  // Trailing bytes.
  EXPECT_PROTOCOL_ERROR(parse_row_description(span(hex("0001") + field + "x"), columns),
                        kBadLength);
}

TEST(PgBackendDataRow, Values) {
  // "1", NULL, "" (empty, not NULL), "\x00\x01" (binary).
  const std::string body = hex("0004 00000001") + "1" + hex("ffffffff 00000000 00000002 0001");
  const DataRow row(span(body), 4);
  ASSERT_EQ(row.size(), 4u);
  ASSERT_TRUE(row.value(0).has_value());
  EXPECT_EQ(chars(*row.value(0)), "1");
  EXPECT_FALSE(row.value(1).has_value());
  ASSERT_TRUE(row.value(2).has_value());
  EXPECT_TRUE(row.value(2)->empty());
  ASSERT_TRUE(row.value(3).has_value());
  EXPECT_EQ(chars(*row.value(3)), hex("0001"));
  // Values are views into the body.
  EXPECT_EQ(row.value(0)->data(), span(body).data() + 6);
  // value_at on an already validated body gives the same.
  EXPECT_EQ(chars(*DataRow::value_at(span(body), 3)), hex("0001"));
  EXPECT_FALSE(DataRow::value_at(span(body), 1).has_value());
}

TEST(PgBackendDataRow, ZeroColumns) {
  const DataRow row(span(hex("0000")), 0);
  EXPECT_EQ(row.size(), 0u);
}

TEST(PgBackendDataRow, Malformed) {
  EXPECT_PROTOCOL_ERROR(DataRow(Bytes{}, 0), kTruncated);
  // Column count differs from the RowDescription's.
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 00000001") + "1"), 2), kBadValue);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0000")), 1), kBadValue);
  // Negative count; a count the bytes cannot hold (4 bytes per value at least).
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("ffff")), 0), kBadLength);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("8000 ffffffff")), 1), kBadLength);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0002 ffffffff")), 2), kBadLength);
  // A value length past the end of the message.
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 00000005") + "abcd"), 1), kTruncated);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 7fffffff") + "abcd"), 1), kTruncated);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0002 00000004") + "abcd" + hex("0000")), 2), kTruncated);
  // Lengths under -1.
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 fffffffe")), 1), kBadLength);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 80000000")), 1), kBadLength);
  // Trailing bytes after the last value.
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 00000001") + "12"), 1), kBadLength);
  EXPECT_PROTOCOL_ERROR(DataRow(span(hex("0001 ffffffff 00")), 1), kBadLength);
}

// --- CommandComplete ------------------------------------------------------------------------

TEST(PgBackendCommandComplete, Tags) {
  EXPECT_EQ(parse_command_complete(span("INSERT 0 5\0"s)), "INSERT 0 5");
  EXPECT_EQ(parse_command_complete(span("CREATE TABLE\0"s)), "CREATE TABLE");
  EXPECT_EQ(parse_command_complete(span("\0"s)), "");
}

TEST(PgBackendCommandComplete, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_command_complete(Bytes{}), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_command_complete(span("SELECT 1"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_command_complete(span("SELECT 1\0\0"s)), kBadLength);
}

TEST(PgBackendRowsInTag, Counts) {
  EXPECT_EQ(rows_in_tag("INSERT 0 5"), 5u);
  EXPECT_EQ(rows_in_tag("SELECT 3"), 3u);
  EXPECT_EQ(rows_in_tag("UPDATE 0"), 0u);
  EXPECT_EQ(rows_in_tag("DELETE 12"), 12u);
  EXPECT_EQ(rows_in_tag("MERGE 4"), 4u);
  EXPECT_EQ(rows_in_tag("COPY 1000000"), 1000000u);
  EXPECT_EQ(rows_in_tag("FETCH 7"), 7u);
  EXPECT_EQ(rows_in_tag("MOVE 2"), 2u);
  EXPECT_EQ(rows_in_tag("SELECT 18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
}

TEST(PgBackendRowsInTag, NoCount) {
  EXPECT_EQ(rows_in_tag("CREATE TABLE"), std::nullopt);
  EXPECT_EQ(rows_in_tag("BEGIN"), std::nullopt);
  EXPECT_EQ(rows_in_tag(""), std::nullopt);
  EXPECT_EQ(rows_in_tag("SELECT "), std::nullopt);
  EXPECT_EQ(rows_in_tag("SELECT 3x"), std::nullopt);
  EXPECT_EQ(rows_in_tag("SELECT -1"), std::nullopt);
  EXPECT_EQ(rows_in_tag("SELECT +1"), std::nullopt);
  EXPECT_EQ(rows_in_tag("SELECT 18446744073709551616"), std::nullopt);  // overflows
}

// --- ParameterDescription -------------------------------------------------------------------

TEST(PgBackendParameterDescription, Oids) {
  std::vector<Oid> oids{99};
  parse_parameter_description(span(hex("0002 00000017 00000019")), oids);
  EXPECT_EQ(oids, (std::vector<Oid>{oid::kInt4, oid::kText}));
  parse_parameter_description(span(hex("0000")), oids);
  EXPECT_TRUE(oids.empty());
}

TEST(PgBackendParameterDescription, Malformed) {
  std::vector<Oid> oids;
  EXPECT_PROTOCOL_ERROR(parse_parameter_description(Bytes{}, oids), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_parameter_description(span(hex("0002 00000017")), oids), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_parameter_description(span(hex("ffff 00000017")), oids), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_parameter_description(span(hex("0001 00000017 00")), oids),
                        kBadLength);
}

// --- NotificationResponse -------------------------------------------------------------------

TEST(PgBackendNotification, Fields) {
  std::size_t consumed = 0;
  const auto m = frame(span(kNotification), consumed);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, 'A');
  const Notification n = parse_notification(m->body);
  EXPECT_EQ(n.pid, 4711);
  EXPECT_EQ(n.channel, "jobs");
  EXPECT_EQ(n.payload, "run 42");
  const std::string empty_body = hex("00000001") + "c\0\0"s;
  const Notification empty = parse_notification(span(empty_body));
  EXPECT_EQ(empty.channel, "c");
  EXPECT_EQ(empty.payload, "");
}

TEST(PgBackendNotification, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_notification(span(hex("000012"))), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_notification(span(hex("00001267") + "jobs\0"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_notification(span(hex("00001267") + "jobs\0run"s)), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_notification(span(hex("00001267") + "jobs\0run\0!"s)), kBadLength);
}

// --- CopyInResponse / CopyOutResponse / CopyBothResponse ------------------------------------

TEST(PgBackendCopyResponse, CopyIn) {
  std::size_t consumed = 0;
  const auto m = frame(span(kCopyIn), consumed);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, 'G');
  const CopyResponse c = parse_copy_response(m->body);
  EXPECT_EQ(c.format, Format::kText);
  EXPECT_EQ(c.column_formats, (std::vector<Format>{Format::kText, Format::kText, Format::kText}));
}

TEST(PgBackendCopyResponse, BinaryAndEmpty) {
  const CopyResponse binary = parse_copy_response(span(hex("01 0002 0001 0001")));
  EXPECT_EQ(binary.format, Format::kBinary);
  EXPECT_EQ(binary.column_formats, (std::vector<Format>{Format::kBinary, Format::kBinary}));
  const CopyResponse none = parse_copy_response(span(hex("00 0000")));
  EXPECT_TRUE(none.column_formats.empty());
}

TEST(PgBackendCopyResponse, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_copy_response(Bytes{}), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 00"))), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("02 0000"))), kBadValue);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("ff 0000"))), kBadValue);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 0001 0002"))), kBadValue);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 0001 ffff"))), kBadValue);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 ffff 0000"))), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 0002 0000"))), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_copy_response(span(hex("00 0001 0000 00"))), kBadLength);
}

// --- NegotiateProtocolVersion ---------------------------------------------------------------

TEST(PgBackendNegotiateProtocolVersion, Options) {
  std::size_t consumed = 0;
  const auto m = frame(span(kNegotiate), consumed);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, 'v');
  const NegotiateProtocolVersion v = parse_negotiate_protocol_version(m->body);
  EXPECT_EQ(v.newest_minor, 0);
  ASSERT_EQ(v.unrecognized_options.size(), 2u);
  EXPECT_EQ(v.unrecognized_options[0], "_pq_.foo");
  EXPECT_EQ(v.unrecognized_options[1], "_pq_.bar");
  const NegotiateProtocolVersion none =
      parse_negotiate_protocol_version(span(hex("00000002 00000000")));
  EXPECT_EQ(none.newest_minor, 2);
  EXPECT_TRUE(none.unrecognized_options.empty());
}

TEST(PgBackendNegotiateProtocolVersion, Malformed) {
  EXPECT_PROTOCOL_ERROR(parse_negotiate_protocol_version(span(hex("00000000"))), kTruncated);
  EXPECT_PROTOCOL_ERROR(parse_negotiate_protocol_version(span(hex("00000000 ffffffff"))),
                        kBadLength);
  EXPECT_PROTOCOL_ERROR(
      parse_negotiate_protocol_version(span(hex("00000000 00000005") + "a\0b\0"s)), kBadLength);
  EXPECT_PROTOCOL_ERROR(parse_negotiate_protocol_version(span(hex("00000000 00000002") + "a\0bc"s)),
                        kTruncated);
  EXPECT_PROTOCOL_ERROR(
      parse_negotiate_protocol_version(span(hex("00000000 00000001") + "a\0b\0"s)), kBadLength);
}

// --- Errors carry a readable text -----------------------------------------------------------

TEST(PgBackendErrors, MessagesNameTheMessage) {
  try {
    (void)parse_backend_key_data(span(hex("0000")));
    FAIL() << "no throw";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("BackendKeyData"), std::string::npos) << e.what();
  }
  try {
    std::size_t consumed = 0;
    (void)frame(span(hex("5a 00000002 49")), consumed);
    FAIL() << "no throw";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("'Z'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tern::pg::backend
