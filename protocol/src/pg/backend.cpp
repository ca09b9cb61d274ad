// Backend message framing and parsers: views into the message body, every length checked.
// https://www.postgresql.org/docs/15/protocol-message-formats.html
#include "tern/protocol/pg/backend.hpp"

#include <bit>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tern::pg::backend {

using protocol::ByteReader;
using protocol::ProtocolErrc;
using protocol::ProtocolError;

namespace {

// Every parser ends here: bytes left over mean the message is not what its type says.
void expect_done(const ByteReader& r, const char* what) {
  if (!r.done()) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        absl::StrCat(what, ": ", r.remaining(), " unexpected trailing bytes"));
  }
}

// A count read from the wire can never exceed what the remaining bytes could hold.
std::size_t checked_count(std::int64_t count, std::size_t min_item_size, const ByteReader& r,
                          const char* what) {
  if (count < 0 || static_cast<std::size_t>(count) * min_item_size > r.remaining()) {
    throw ProtocolError(ProtocolErrc::kBadLength, absl::StrCat(what, ": bad count ", count));
  }
  return static_cast<std::size_t>(count);
}

Format read_format(ByteReader& r, const char* what) {
  const std::int16_t f = r.i16();
  if (f != 0 && f != 1) {
    throw ProtocolError(ProtocolErrc::kBadValue, absl::StrCat(what, ": bad format code ", f));
  }
  return static_cast<Format>(f);
}

}  // namespace

namespace detail {
void throw_bad_length(Bytes data, std::int32_t len) {
  throw ProtocolError(ProtocolErrc::kBadLength,
                      absl::StrCat("message '", std::string(1, static_cast<char>(data[0])),
                                   "' has invalid length ", len));
}
}  // namespace detail

Authentication parse_authentication(Bytes body) {
  ByteReader r(body, "Authentication");
  Authentication a;
  a.code = static_cast<AuthCode>(r.i32());
  a.data = r.rest();
  const bool has_data = a.code == AuthCode::kMd5Password || a.code == AuthCode::kSasl ||
                        a.code == AuthCode::kSaslContinue || a.code == AuthCode::kSaslFinal ||
                        a.code == AuthCode::kGssContinue;
  if (a.code == AuthCode::kMd5Password && a.data.size() != 4) {
    throw ProtocolError(ProtocolErrc::kBadLength, "AuthenticationMD5Password: salt is not 4 bytes");
  }
  if (!has_data && !a.data.empty()) expect_done(r, "Authentication");
  return a;
}

std::vector<std::string_view> parse_sasl_mechanisms(Bytes data) {
  ByteReader r(data, "AuthenticationSASL");
  std::vector<std::string_view> out;
  for (std::string_view m = r.cstring(); !m.empty(); m = r.cstring())
    out.push_back(m);
  expect_done(r, "AuthenticationSASL");
  return out;
}

const char* auth_code_name(AuthCode code) {
  switch (code) {
    case AuthCode::kOk:
      return "ok";
    case AuthCode::kKerberosV5:
      return "Kerberos V5";
    case AuthCode::kCleartextPassword:
      return "cleartext password";
    case AuthCode::kMd5Password:
      return "MD5 password";
    case AuthCode::kGss:
    case AuthCode::kGssContinue:
      return "GSSAPI";
    case AuthCode::kSspi:
      return "SSPI";
    case AuthCode::kSasl:
    case AuthCode::kSaslContinue:
    case AuthCode::kSaslFinal:
      return "SASL";
  }
  return "unknown";
}

ParameterStatus parse_parameter_status(Bytes body) {
  ByteReader r(body, "ParameterStatus");
  ParameterStatus s{r.cstring(), r.cstring()};
  expect_done(r, "ParameterStatus");
  return s;
}

BackendKeyData parse_backend_key_data(Bytes body) {
  ByteReader r(body, "BackendKeyData");
  BackendKeyData k{r.i32(), r.i32()};
  expect_done(r, "BackendKeyData");
  return k;
}

TransactionStatus parse_ready_for_query(Bytes body) {
  ByteReader r(body, "ReadyForQuery");
  const char s = static_cast<char>(r.u8());
  expect_done(r, "ReadyForQuery");
  if (s != static_cast<char>(TransactionStatus::kIdle) &&
      s != static_cast<char>(TransactionStatus::kInTransaction) &&
      s != static_cast<char>(TransactionStatus::kFailed)) {
    throw ProtocolError(ProtocolErrc::kBadValue,
                        absl::StrCat("ReadyForQuery: unknown transaction status ", int{s}));
  }
  return static_cast<TransactionStatus>(s);
}

ServerErrorInfo parse_error_fields(Bytes body) {
  ByteReader r(body, "ErrorResponse");
  ServerErrorInfo info;
  std::string localized_severity;
  for (char code = static_cast<char>(r.u8()); code != '\0'; code = static_cast<char>(r.u8())) {
    const std::string_view value = r.cstring();
    std::string* field = nullptr;
    switch (code) {
      case error_field::kSeverityLocalized:
        field = &localized_severity;
        break;
      case error_field::kSeverity:
        field = &info.severity;
        break;
      case error_field::kSqlstate:
        field = &info.sqlstate;
        break;
      case error_field::kMessage:
        field = &info.message;
        break;
      case error_field::kDetail:
        field = &info.detail;
        break;
      case error_field::kHint:
        field = &info.hint;
        break;
      case error_field::kPosition:
        field = &info.position;
        break;
      case error_field::kInternalPosition:
        field = &info.internal_position;
        break;
      case error_field::kInternalQuery:
        field = &info.internal_query;
        break;
      case error_field::kWhere:
        field = &info.where;
        break;
      case error_field::kSchema:
        field = &info.schema;
        break;
      case error_field::kTable:
        field = &info.table;
        break;
      case error_field::kColumn:
        field = &info.column;
        break;
      case error_field::kDataType:
        field = &info.data_type;
        break;
      case error_field::kConstraint:
        field = &info.constraint;
        break;
      case error_field::kFile:
        field = &info.file;
        break;
      case error_field::kLine:
        field = &info.line;
        break;
      case error_field::kRoutine:
        field = &info.routine;
        break;
      default:
        break;  // "frontends should silently ignore fields of unrecognized type"
    }
    if (field != nullptr) field->assign(value);
  }
  expect_done(r, "ErrorResponse");
  if (info.severity.empty()) info.severity = std::move(localized_severity);
  return info;
}

void parse_row_description(Bytes body, std::vector<Column>& out) {
  ByteReader r(body, "RowDescription");
  const std::size_t n = checked_count(r.i16(), 19, r, "RowDescription");
  out.clear();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Column& c = out.emplace_back();
    c.name = r.cstring();
    c.table_oid = r.u32();
    c.table_column = r.i16();
    c.type = r.u32();
    c.type_size = r.i16();
    c.type_modifier = r.i32();
    c.format = read_format(r, "RowDescription");
  }
  expect_done(r, "RowDescription");
}

namespace {

// A big-endian int32 at p (the caller checked that 4 bytes are there).
inline std::int32_t load_be32(const std::byte* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  return static_cast<std::int32_t>(v);
}

}  // namespace

// The hot loop of a large result: one pass over the value lengths with plain pointer
// arithmetic (a ByteReader call per field cost twice as much), same checks.
DataRow::DataRow(Bytes body, std::size_t expected_columns) : body_(body) {
  const ByteReader errors(body, "DataRow");  // for its error messages only
  if (body.size() < 2) errors.fail("truncated");
  const auto count = static_cast<std::int16_t>((std::to_integer<unsigned>(body[0]) << 8) |
                                               std::to_integer<unsigned>(body[1]));
  if (count < 0 || static_cast<std::size_t>(count) * 4 > body.size() - 2) {
    throw ProtocolError(ProtocolErrc::kBadLength, absl::StrCat("DataRow: bad count ", count));
  }
  count_ = static_cast<std::size_t>(count);
  if (count_ != expected_columns) {
    throw ProtocolError(ProtocolErrc::kBadValue, absl::StrCat("DataRow: ", count_, " values for ",
                                                              expected_columns, " columns"));
  }
  const std::byte* p = body.data() + 2;
  const std::byte* const end = body.data() + body.size();
  for (std::size_t i = 0; i < count_; ++i) {
    if (end - p < 4) errors.fail("truncated");
    const std::int32_t len = load_be32(p);
    p += 4;
    if (len < -1) throw ProtocolError(ProtocolErrc::kBadLength, "DataRow: negative value length");
    if (len > 0) {
      if (static_cast<std::size_t>(end - p) < static_cast<std::size_t>(len))
        errors.fail("truncated");
      p += len;
    }
  }
  if (p != end) {
    throw ProtocolError(ProtocolErrc::kBadLength,
                        absl::StrCat("DataRow: ", end - p, " unexpected trailing bytes"));
  }
}

std::optional<Bytes> DataRow::value_at(Bytes validated_body, std::size_t i) {
  // Validated: every length is in bounds, so the walk needs no checks.
  const std::byte* p = validated_body.data() + 2;
  for (std::size_t k = 0;; ++k) {
    const std::int32_t len = load_be32(p);
    p += 4;
    if (k == i) {
      if (len < 0) return std::nullopt;
      return Bytes(p, static_cast<std::size_t>(len));
    }
    if (len > 0) p += len;
  }
}

std::string_view parse_command_complete(Bytes body) {
  ByteReader r(body, "CommandComplete");
  const std::string_view tag = r.cstring();
  expect_done(r, "CommandComplete");
  return tag;
}

std::optional<std::uint64_t> rows_in_tag(std::string_view tag) {
  const std::size_t space = tag.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::uint64_t n = 0;
  const char* end = tag.data() + tag.size();
  const auto [ptr, ec] = std::from_chars(tag.data() + space + 1, end, n);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return n;
}

void parse_parameter_description(Bytes body, std::vector<Oid>& out) {
  ByteReader r(body, "ParameterDescription");
  const std::size_t n = checked_count(r.u16(), 4, r, "ParameterDescription");
  out.clear();
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(r.u32());
  expect_done(r, "ParameterDescription");
}

Notification parse_notification(Bytes body) {
  ByteReader r(body, "NotificationResponse");
  Notification n{r.i32(), r.cstring(), r.cstring()};
  expect_done(r, "NotificationResponse");
  return n;
}

CopyResponse parse_copy_response(Bytes body) {
  ByteReader r(body, "CopyResponse");
  CopyResponse c;
  const std::int8_t overall = static_cast<std::int8_t>(r.u8());
  if (overall != 0 && overall != 1) {
    throw ProtocolError(ProtocolErrc::kBadValue, "CopyResponse: bad format code");
  }
  c.format = static_cast<Format>(overall);
  const std::size_t n = checked_count(r.i16(), 2, r, "CopyResponse");
  c.column_formats.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    c.column_formats.push_back(read_format(r, "CopyResponse"));
  expect_done(r, "CopyResponse");
  return c;
}

NegotiateProtocolVersion parse_negotiate_protocol_version(Bytes body) {
  ByteReader r(body, "NegotiateProtocolVersion");
  NegotiateProtocolVersion v;
  v.newest_minor = r.i32();
  const std::size_t n = checked_count(r.i32(), 1, r, "NegotiateProtocolVersion");
  for (std::size_t i = 0; i < n; ++i)
    v.unrecognized_options.push_back(r.cstring());
  expect_done(r, "NegotiateProtocolVersion");
  return v;
}

void throw_unexpected(char type, const char* during) {
  throw ProtocolError(
      ProtocolErrc::kUnexpectedMessage,
      absl::StrCat("unexpected message '", std::string(1, type), "' during ", during));
}

void expect_empty(const Message& message) {
  if (!message.body.empty()) {
    throw ProtocolError(
        ProtocolErrc::kBadLength,
        absl::StrCat("message '", std::string(1, message.type), "' should have an empty body"));
  }
}

}  // namespace tern::pg::backend
