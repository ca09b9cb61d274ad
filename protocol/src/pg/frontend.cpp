// Frontend (client -> server) message writers: each appends its tag, a length patched in at
// the end, and the body. https://www.postgresql.org/docs/15/protocol-message-formats.html
#include "tern/protocol/pg/frontend.hpp"

#include <cstring>
#include <string>

#include "tern/protocol/exceptions.hpp"

namespace tern::pg::frontend {

namespace {

// Writes a message type byte and a placeholder length; end_message() patches the length.
std::size_t begin_message(ByteWriter& w, char type) {
  w.u8(static_cast<std::uint8_t>(type));
  const std::size_t at = w.size();
  w.i32(0);
  return at;
}

void end_message(ByteWriter& w, std::size_t at) {
  w.patch_be32(at, static_cast<std::uint32_t>(w.size() - at));
}

// A message whose body is just strings.
template <class... S>
void simple(std::string& out, char type, const S&... strings) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, type);
  (w.cstring(strings), ...);
  end_message(w, at);
}

// The protocol counts parameters in an int16; more cannot be sent (libpq refuses them too).
void check_param_count(std::size_t n) {
  if (n > 65535) {
    throw InterfaceError("a statement can have at most 65535 parameters, not " + std::to_string(n));
  }
}

void empty(std::string& out, char type) {
  const char m[] = {type, 0, 0, 0, 4};
  out.append(m, sizeof m);
}

}  // namespace

void startup(std::string& out,
             std::span<const std::pair<std::string_view, std::string_view>> params) {
  ByteWriter w(out);
  const std::size_t at = w.size();
  w.i32(0);
  w.i32(kProtocolVersion);
  for (const auto& [name, value] : params) {
    w.cstring(name);
    w.cstring(value);
  }
  w.u8(0);
  end_message(w, at);
}

void ssl_request(std::string& out) {
  ByteWriter w(out);
  w.i32(8);
  w.i32(kSslRequestCode);
}

void cancel_request(std::string& out, std::int32_t pid, std::int32_t secret) {
  ByteWriter w(out);
  w.i32(16);
  w.i32(kCancelRequestCode);
  w.i32(pid);
  w.i32(secret);
}

void password(std::string& out, std::string_view password) {
  simple(out, kPasswordMessage, password);
}

void sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kPasswordMessage);
  w.cstring(mechanism);
  w.i32(static_cast<std::int32_t>(data.size()));
  w.raw(data);
  end_message(w, at);
}

void sasl_response(std::string& out, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kPasswordMessage);
  w.raw(data);
  end_message(w, at);
}

void query(std::string& out, std::string_view sql) {
  simple(out, kQuery, sql);
}

void parse(std::string& out, std::string_view name, std::string_view sql,
           std::span<const Oid> param_types) {
  check_param_count(param_types.size());
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kParse);
  w.cstring(name);
  w.cstring(sql);
  w.i16(static_cast<std::int16_t>(param_types.size()));
  for (Oid t : param_types)
    w.u32(t);
  end_message(w, at);
}

void bind(std::string& out, std::string_view portal, std::string_view statement,
          std::span<const Format> param_formats, std::size_t param_count, std::string_view values,
          std::span<const Format> result_formats) {
  check_param_count(param_count);
  check_param_count(param_formats.size());
  // Sized up front and written in place: Bind goes out with every query, and a ByteWriter
  // append per field cost more than the rest of the encoding.
  const std::size_t length = 4 + portal.size() + 1 + statement.size() + 1 + 2 +
                             2 * param_formats.size() + 2 + values.size() + 2 +
                             2 * result_formats.size();
  const std::size_t at = out.size();
  out.resize(at + 1 + length);
  char* p = out.data() + at;
  auto put16 = [&p](std::uint16_t v) {
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v & 0xff);
    p += 2;
  };
  auto put_cstring = [&p](std::string_view v) {
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    p += v.size();
    *p++ = '\0';
  };
  *p++ = kBind;
  const auto len = static_cast<std::uint32_t>(length);
  p[0] = static_cast<char>(len >> 24);
  p[1] = static_cast<char>((len >> 16) & 0xff);
  p[2] = static_cast<char>((len >> 8) & 0xff);
  p[3] = static_cast<char>(len & 0xff);
  p += 4;
  put_cstring(portal);
  put_cstring(statement);
  put16(static_cast<std::uint16_t>(param_formats.size()));
  for (Format f : param_formats)
    put16(static_cast<std::uint16_t>(f));
  put16(static_cast<std::uint16_t>(param_count));
  if (!values.empty()) std::memcpy(p, values.data(), values.size());
  p += values.size();
  put16(static_cast<std::uint16_t>(result_formats.size()));
  for (Format f : result_formats)
    put16(static_cast<std::uint16_t>(f));
}

void describe(std::string& out, char kind, std::string_view name) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kDescribe);
  w.u8(static_cast<std::uint8_t>(kind));
  w.cstring(name);
  end_message(w, at);
}

void execute(std::string& out, std::string_view portal, std::int32_t max_rows) {
  if (portal.empty()) {  // the usual one: a fixed size, written in one append
    char m[] = {kExecute, 0, 0, 0, 9, 0, 0, 0, 0, 0};
    const auto n = static_cast<std::uint32_t>(max_rows);
    for (int i = 0; i < 4; ++i)
      m[6 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
    out.append(m, sizeof m);
    return;
  }
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kExecute);
  w.cstring(portal);
  w.i32(max_rows);
  end_message(w, at);
}

void close(std::string& out, char kind, std::string_view name) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kClose);
  w.u8(static_cast<std::uint8_t>(kind));
  w.cstring(name);
  end_message(w, at);
}

void sync(std::string& out) {
  empty(out, kSync);
}
void flush(std::string& out) {
  empty(out, kFlush);
}
void terminate(std::string& out) {
  empty(out, kTerminate);
}

void copy_data(std::string& out, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, kCopyData);
  w.raw(data);
  end_message(w, at);
}

void copy_done(std::string& out) {
  empty(out, kCopyDone);
}
void copy_fail(std::string& out, std::string_view reason) {
  simple(out, kCopyFail, reason);
}

}  // namespace tern::pg::frontend
