#include "tern/protocol/pg/frontend.hpp"

#include <string>

#include "tern/protocol/errors.hpp"

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
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(type));
  w.i32(4);
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
  w.i32(80877103);  // 1234 << 16 | 5679
}

void cancel_request(std::string& out, std::int32_t pid, std::int32_t secret) {
  ByteWriter w(out);
  w.i32(16);
  w.i32(80877102);  // 1234 << 16 | 5678
  w.i32(pid);
  w.i32(secret);
}

void password(std::string& out, std::string_view password) {
  simple(out, 'p', password);
}

void sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'p');
  w.cstring(mechanism);
  w.i32(static_cast<std::int32_t>(data.size()));
  w.raw(data);
  end_message(w, at);
}

void sasl_response(std::string& out, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'p');
  w.raw(data);
  end_message(w, at);
}

void query(std::string& out, std::string_view sql) {
  simple(out, 'Q', sql);
}

void parse(std::string& out, std::string_view name, std::string_view sql,
           std::span<const Oid> param_types) {
  check_param_count(param_types.size());
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'P');
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
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'B');
  w.cstring(portal);
  w.cstring(statement);
  w.i16(static_cast<std::int16_t>(param_formats.size()));
  for (Format f : param_formats)
    w.i16(static_cast<std::int16_t>(f));
  w.i16(static_cast<std::int16_t>(param_count));
  w.raw(values);
  w.i16(static_cast<std::int16_t>(result_formats.size()));
  for (Format f : result_formats)
    w.i16(static_cast<std::int16_t>(f));
  end_message(w, at);
}

void describe(std::string& out, char kind, std::string_view name) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'D');
  w.u8(static_cast<std::uint8_t>(kind));
  w.cstring(name);
  end_message(w, at);
}

void execute(std::string& out, std::string_view portal, std::int32_t max_rows) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'E');
  w.cstring(portal);
  w.i32(max_rows);
  end_message(w, at);
}

void close(std::string& out, char kind, std::string_view name) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'C');
  w.u8(static_cast<std::uint8_t>(kind));
  w.cstring(name);
  end_message(w, at);
}

void sync(std::string& out) {
  empty(out, 'S');
}
void flush(std::string& out) {
  empty(out, 'H');
}
void terminate(std::string& out) {
  empty(out, 'X');
}

void copy_data(std::string& out, std::string_view data) {
  ByteWriter w(out);
  const std::size_t at = begin_message(w, 'd');
  w.raw(data);
  end_message(w, at);
}

void copy_done(std::string& out) {
  empty(out, 'c');
}
void copy_fail(std::string& out, std::string_view reason) {
  simple(out, 'f', reason);
}

}  // namespace tern::pg::frontend
