// Opening a PostgreSQL connection: socket, SSLRequest + TLS, StartupMessage, authentication
// (trust, cleartext, MD5, SCRAM-SHA-256 and -PLUS) and the wait for the first ReadyForQuery.
// https://www.postgresql.org/docs/15/protocol-flow.html#id-1.10.6.7.3
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../multi_host.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "statement.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/pg/auth.hpp"
#include "tern/protocol/pg/connection.hpp"
#include "tern/protocol/pg/frontend.hpp"
#include "tern/protocol/pg/passfile.hpp"
#include "tern/ring/error.hpp"

namespace tern::pg {

namespace {

using protocol::ProtocolErrc;
using protocol::ProtocolError;

/// The extra_float_digits a user asks for: the last startup parameter of that name, else the
/// last `-c extra_float_digits=N` / `--extra_float_digits=N` in the options string (dashes
/// may stand for underscores, as the server allows). The server clamps it to -15..3.
std::optional<int> requested_extra_float_digits(const ConnectOptions& o) {
  const auto number = [](std::string_view v) -> std::optional<int> {
    int n = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
    return std::clamp(n, -15, 3);
  };
  const auto is_name = [](std::string_view name) {
    std::string n(name);
    std::replace(n.begin(), n.end(), '-', '_');
    return absl::AsciiStrToLower(n) == "extra_float_digits";
  };
  std::optional<int> found;
  for (const auto& [name, value] : o.parameters)
    if (is_name(name)) found = number(value);
  if (found) return found;
  std::vector<std::string_view> words;
  for (std::string_view rest = o.options; !rest.empty();) {
    const std::size_t end = std::min(rest.find_first_of(" \t\n"), rest.size());
    if (end > 0) words.push_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view setting = words[i];
    if (setting == "-c" && i + 1 < words.size()) {
      setting = words[++i];
    } else if (setting.starts_with("--")) {
      setting.remove_prefix(2);
    } else if (setting.starts_with("-c")) {
      setting.remove_prefix(2);
    } else {
      continue;
    }
    const std::size_t eq = setting.find('=');
    if (eq != std::string_view::npos && is_name(setting.substr(0, eq))) {
      found = number(setting.substr(eq + 1));
    }
  }
  return found;
}

std::string describe_target(const ConnectOptions& o) {
  return o.is_unix_socket() ? o.socket_path() : absl::StrCat(o.host, ":", o.port);
}

ring::TlsVerify verify_level(SslMode mode) {
  switch (mode) {
    case SslMode::kVerifyFull:
      return ring::TlsVerify::kFull;
    case SslMode::kVerifyCa:
      return ring::TlsVerify::kCa;
    default:
      return ring::TlsVerify::kNone;
  }
}

}  // namespace

ring::Task<Connection> Connection::connect(ring::Loop& loop, ConnectOptions options) {
  co_return co_await protocol::connect_multi_host(loop, std::move(options),
                                                  &Connection::connect_one,
                                                  &Connection::session_matches, &describe_target);
}

ring::Task<Connection> Connection::connect_one(ring::Loop& loop, ConnectOptions options) {
  const ring::Deadline deadline = options.connect_timeout.count() > 0
                                      ? ring::deadline_after(options.connect_timeout)
                                      : ring::kNoDeadline;
  // As libpq: the password file, per server of a host list, when no password was given.
  if (options.password.empty()) {
    if (std::optional<std::string> p = password_from_file(options)) options.password = *p;
  }
  Connection c(loop, std::move(options));
  co_await c.open(deadline);
  if (c.options_.pooler == PoolerMode::kAuto) co_await c.detect_pooler(deadline);
  co_return std::move(c);
}

ring::Task<bool> Connection::session_matches(TargetSessionAttrs attrs) {
  if (attrs == TargetSessionAttrs::kAny) co_return true;
  const ring::Deadline deadline = options_.connect_timeout.count() > 0
                                      ? ring::deadline_after(options_.connect_timeout)
                                      : ring::kNoDeadline;
  // PostgreSQL 14+ reports both at start-up (GUC_REPORT), so no query is needed; older
  // servers, and proxies that do not pass them on, are asked as libpq asks them.
  const auto ask = [&](std::string_view sql) -> ring::Task<std::string> {
    const std::vector<Result> r = co_await simple_query(sql, {.deadline = deadline});
    std::string value;
    if (!r.empty() && r[0].size() == 1) {
      if (const std::optional<Bytes> raw = r[0].row(0).raw(0)) {
        value = std::string(protocol::as_chars(*raw));
      }
    }
    co_return value;
  };
  std::string standby(parameter("in_hot_standby"));
  if (standby.empty()) {
    const std::string recovery = co_await ask("SELECT pg_is_in_recovery()");
    standby = recovery == "t" ? "on" : "off";
  }
  const bool in_recovery = standby == "on";
  switch (attrs) {
    case TargetSessionAttrs::kPrimary:
      co_return !in_recovery;
    case TargetSessionAttrs::kStandby:
    case TargetSessionAttrs::kPreferStandby:
      co_return in_recovery;
    default:
      break;
  }
  std::string read_only(parameter("default_transaction_read_only"));
  if (read_only.empty()) read_only = co_await ask("SHOW transaction_read_only");
  const bool read_only_session = in_recovery || read_only == "on";
  co_return attrs == TargetSessionAttrs::kReadOnly ? read_only_session : !read_only_session;
}

ring::Task<void> Connection::detect_pooler(ring::Deadline deadline) {
  // PgBouncer forwards the server's ParameterStatus messages and answers no query of its own
  // on a client connection (SHOW VERSION is for its admin console only), so nothing in the
  // start-up tells it apart from PostgreSQL. What it cannot forward is the server's process
  // id: it issues its own random cancel key, so the pid in BackendKeyData is not the pid of
  // the backend that runs our query. (A session-mode pooler is caught too; unnamed
  // statements are merely a little slower there.)
  const std::vector<Result> r =
      co_await simple_query("SELECT pg_backend_pid()", {.deadline = deadline});
  std::string pid;
  if (!r.empty() && r[0].size() == 1) {
    if (const std::optional<Bytes> raw = r[0].row(0).raw(0)) {
      pid = std::string(protocol::as_chars(*raw));
    }
  }
  const bool pooled = pid != std::to_string(key_.pid);
  options_.pooler = pooled ? PoolerMode::kOn : PoolerMode::kOff;
  options_.unnamed_statements_only = options_.unnamed_statements_only || pooled;
}

ring::Task<ring::Socket> Connection::connect_socket(ring::Deadline deadline) {
  // (No co_await inside ?: — GCC 12 miscompiles it.)
  if (options_.is_unix_socket()) {
    co_return co_await ring::Socket::connect_unix(*loop_, options_.socket_path(), deadline);
  }
  co_return co_await ring::Socket::connect_tcp(*loop_, options_.connect_host(), options_.port,
                                               deadline);
}

ring::Task<void> Connection::open(ring::Deadline deadline) {
  const std::string target = describe_target(options_);
  try {
    transport_ = protocol::Transport(co_await connect_socket(deadline));
    // libpq does not use TLS over Unix sockets either: the kernel is the only other party.
    if (!options_.is_unix_socket() && options_.ssl_mode >= SslMode::kPrefer) {
      co_await negotiate_tls(deadline);
    }
    write_startup();
    co_await authenticate(deadline);
  } catch (...) {
    broken_ = true;
    protocol::throw_startup_failure(
        std::current_exception(), target, options_.connect_timeout,
        [](const ConnectionLost& e) { return !e.info().sqlstate.empty(); });  // FATAL
  }
}

ring::Task<void> Connection::negotiate_tls(ring::Deadline deadline) {
  frontend::ssl_request(out_);
  co_await flush(deadline);
  co_await fill(deadline);
  // Anything after the one-byte answer was sent before the handshake, in plaintext, and must
  // not be taken as coming from the server (CVE-2021-23222).
  const char answer = static_cast<char>(in_.unread()[0]);
  if (in_.unread().size() != 1) {
    broken_ = true;
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        "the server sent unencrypted data after its answer to SSLRequest");
  }
  in_.clear();
  if (answer == backend::kSslRefused) {
    if (options_.ssl_mode >= SslMode::kRequire) {
      broken_ = true;
      throw ConnectionFailed(absl::StrCat("could not connect to server at ",
                                          describe_target(options_),
                                          ": the server does not support TLS, but sslmode "
                                          "requires it"));
    }
    co_return;
  }
  if (answer != backend::kSslAccepted) {
    broken_ = true;
    throw ProtocolError(ProtocolErrc::kUnexpectedMessage,
                        absl::StrCat("unexpected answer to SSLRequest: byte ", int{answer}));
  }
  if (!options_.tls_context) {
    options_.tls_context = std::make_shared<const ring::TlsContext>(
        ring::TlsConfig{.verify = verify_level(options_.ssl_mode),
                        .ca_file = options_.ssl_root_cert,
                        .cert_file = options_.ssl_cert,
                        .key_file = options_.ssl_key});
  }
  co_await transport_.start_tls(options_.tls_context, options_.host, deadline);
}

void Connection::write_startup() {
  // The server reports no extra_float_digits: to_text follows the one the connection starts
  // with. A user's own (a parameter, or -c in options) is sent alone, since startup parameters
  // override options' -c settings.
  const std::optional<int> float_digits = requested_extra_float_digits(options_);
  auto settings = std::make_shared<TextSettings>(*text_settings_);
  settings->extra_float_digits = float_digits.value_or(options_.pooler != PoolerMode::kOn ? 3 : 1);
  text_settings_ = std::move(settings);
  std::vector<std::pair<std::string_view, std::string_view>> params = {
      {"user", options_.user},
      {"database", options_.database},
      {"application_name", options_.application_name},
      // The text decoders rely on these; a user's options string may still change them.
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO"},
  };
  // PgBouncer refuses startup parameters it does not track (unless told to ignore them, and
  // then the server never sees them): behind a pooler these two are the server's business
  // (ALTER DATABASE ... SET IntervalStyle = iso_8601, or PgBouncer's connect_query).
  if (options_.pooler != PoolerMode::kOn) {
    params.emplace_back("IntervalStyle", "iso_8601");
    if (!float_digits) params.emplace_back("extra_float_digits", "3");
  }
  if (!options_.options.empty()) params.emplace_back("options", options_.options);
  for (const auto& [name, value] : options_.parameters)
    params.emplace_back(name, value);
  frontend::startup(out_, params);
}

ring::Task<void> Connection::authenticate(ring::Deadline deadline) {
  co_await flush(deadline);
  for (;;) {
    const backend::Message m = co_await read_message(deadline);
    switch (m.type) {
      case backend::kAuthentication: {
        const backend::Authentication a = backend::parse_authentication(m.body);
        switch (a.code) {
          case backend::AuthCode::kOk:
            if (auth_method_.empty()) auth_method_ = "trust";
            if (options_.channel_binding == ChannelBindingMode::kRequire &&
                auth_method_ != "SCRAM-SHA-256-PLUS") {
              broken_ = true;
              throw InterfaceError(absl::StrCat(
                  "channel_binding=require, but the server authenticated the client with ",
                  auth_method_));
            }
            break;
          case backend::AuthCode::kCleartextPassword:
          case backend::AuthCode::kMd5Password: {
            if (options_.password.empty()) {
              broken_ = true;
              throw InterfaceError(absl::StrCat("the server asks for a password (",
                                                backend::auth_code_name(a.code),
                                                ") but none was given"));
            }
            if (a.code == backend::AuthCode::kCleartextPassword) {
              auth_method_ = "password";
              frontend::password(out_, options_.password);
            } else {
              auth_method_ = "md5";
              std::array<std::uint8_t, 4> salt{};
              std::memcpy(salt.data(), a.data.data(), 4);
              frontend::password(out_, md5_password(options_.user, options_.password, salt));
            }
            co_await flush(deadline);
            break;
          }
          case backend::AuthCode::kSasl: {
            // Copied: the view dies with the next read.
            const std::string mechanisms(protocol::as_chars(a.data));
            co_await authenticate_sasl(protocol::as_bytes(mechanisms), deadline);
            break;
          }
          default:
            broken_ = true;
            throw InterfaceError(absl::StrCat("the server requested ",
                                              backend::auth_code_name(a.code),
                                              " authentication, which tern does not support"));
        }
        break;
      }
      case backend::kBackendKeyData:
        key_ = backend::parse_backend_key_data(m.body);
        break;
      case backend::kReadyForQuery:
        on_ready(m);
        co_return;
      case backend::kErrorResponse: {
        // Start-up errors (bad password, unknown database) are what they say, not a lost
        // connection; the server closes the socket after them.
        broken_ = true;
        throw_server_error(backend::parse_error_fields(m.body));
      }
      case backend::kNegotiateProtocolVersion:
        backend::parse_negotiate_protocol_version(m.body);  // tern asks for no extensions
        break;
      default:
        broken_ = true;
        backend::throw_unexpected(m.type, "start-up");
    }
  }
}

ring::Task<void> Connection::authenticate_sasl(Bytes mechanism_list, ring::Deadline deadline) {
  const std::vector<std::string_view> offered = backend::parse_sasl_mechanisms(mechanism_list);
  const auto offers = [&](std::string_view name) {
    return std::find(offered.begin(), offered.end(), name) != offered.end();
  };
  ChannelBinding binding = ChannelBinding::kNone;
  std::vector<std::uint8_t> cb_data;
  if (transport_.is_tls() && options_.channel_binding != ChannelBindingMode::kDisable) {
    cb_data = transport_.tls().server_end_point();
    if (offers("SCRAM-SHA-256-PLUS") && !cb_data.empty()) {
      binding = ChannelBinding::kTlsServerEndPoint;
    } else if (!offers("SCRAM-SHA-256-PLUS")) {
      binding = ChannelBinding::kSupportedNotOffered;
    }
  }
  if (options_.channel_binding == ChannelBindingMode::kRequire &&
      binding != ChannelBinding::kTlsServerEndPoint) {
    broken_ = true;
    throw InterfaceError(
        transport_.is_tls()
            ? "channel_binding=require, but the server does not offer SCRAM-SHA-256-PLUS or "
              "its certificate has no usable signature hash"
            : "channel_binding=require needs TLS (sslmode=require or stronger)");
  }
  if (binding != ChannelBinding::kTlsServerEndPoint && !offers("SCRAM-SHA-256")) {
    broken_ = true;
    throw InterfaceError(absl::StrCat(
        "none of the server's SASL mechanisms (",
        absl::StrJoin(offered, ", ", [](std::string* out, std::string_view m) { out->append(m); }),
        ") is supported by tern"));
  }
  if (options_.password.empty()) {
    broken_ = true;
    throw InterfaceError("the server asks for a SCRAM password but none was given");
  }
  ScramClient scram(options_.password, binding, std::move(cb_data));
  frontend::sasl_initial_response(out_, scram.mechanism(), scram.client_first());
  co_await flush(deadline);

  // Reads the next SASL step: an error from the server ends the exchange with its reason.
  const auto next_step = [&](backend::AuthCode expected) -> ring::Task<std::string> {
    const backend::Message m = co_await read_message(deadline);
    if (m.type == backend::kErrorResponse) {
      broken_ = true;
      throw_server_error(backend::parse_error_fields(m.body));
    }
    if (m.type != backend::kAuthentication)
      backend::throw_unexpected(m.type, "SASL authentication");
    const backend::Authentication a = backend::parse_authentication(m.body);
    if (a.code != expected) {
      broken_ = true;
      throw ProtocolError(ProtocolErrc::kAuthentication,
                          absl::StrCat("SASL: expected step ", static_cast<int>(expected),
                                       ", the server sent ", static_cast<int>(a.code)));
    }
    co_return std::string(protocol::as_chars(a.data));
  };
  try {
    const std::string server_first = co_await next_step(backend::AuthCode::kSaslContinue);
    frontend::sasl_response(out_, scram.client_final(server_first));
    co_await flush(deadline);
    // The server proves it knows the password too before AuthenticationOk may follow.
    scram.verify_server_final(co_await next_step(backend::AuthCode::kSaslFinal));
  } catch (const ProtocolError&) {
    broken_ = true;
    throw;
  }
  auth_method_ = scram.mechanism();
}

}  // namespace tern::pg
