// Opening a MySQL/MariaDB connection: socket, Initial Handshake, SSLRequest + TLS,
// HandshakeResponse41 and the authentication exchange (AuthSwitchRequest, AuthMoreData).
// https://mariadb.com/kb/en/connection/
#include "../multi_host.hpp"
#include "absl/strings/str_cat.h"
#include "command_io.hpp"
#include "prepared.hpp"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/mysql/auth.hpp"
#include "tern/protocol/mysql/capabilities.hpp"
#include "tern/protocol/mysql/compression.hpp"
#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/handshake.hpp"
#include "tern/protocol/mysql/server_error.hpp"
#include "tern/ring/error.hpp"

namespace tern::mysql {

namespace {

std::string describe_target(const ConnectOptions& o) {
  return o.unix_socket.empty() ? absl::StrCat(o.host, ":", o.port) : o.unix_socket;
}

ring::TlsVerify verify_level(SslMode mode) {
  switch (mode) {
    case SslMode::kVerifyIdentity:
      return ring::TlsVerify::kFull;
    case SslMode::kVerifyCa:
      return ring::TlsVerify::kCa;
    default:
      return ring::TlsVerify::kNone;
  }
}

constexpr std::pair<std::string_view, std::string_view> kAttributes[] = {
    {"_client_name", "tern"},
    {"_client_version", "0.1.0"},
};

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
  Connection c(loop, std::move(options));
  co_await c.open(deadline);
  co_return std::move(c);
}

ring::Task<bool> Connection::session_matches(TargetSessionAttrs attrs) {
  if (attrs == TargetSessionAttrs::kAny) co_return true;
  // Neither setting is reported in the handshake or tracked by session state, so it costs one
  // round trip. read_only is 0/1 (MariaDB 10.x, MySQL) or OFF/ON/NO_LOCK... (MariaDB 11.x);
  // a user with READ ONLY ADMIN (SUPER) may still write to such a server, but it is a replica
  // or a node kept out of writes, which is what read-write is meant to avoid.
  const ring::Deadline deadline = options_.connect_timeout.count() > 0
                                      ? ring::deadline_after(options_.connect_timeout)
                                      : ring::kNoDeadline;
  const std::vector<Result> r = co_await query(
      "SELECT @@global.read_only, @@global.innodb_read_only", {.deadline = deadline});
  bool read_only = false;
  if (!r.empty() && r[0].size() == 1) {
    for (std::size_t i = 0; i < 2; ++i) {
      const std::optional<Bytes> raw = r[0].row(0).raw(i);
      const std::string_view v = raw ? protocol::as_chars(*raw) : std::string_view("0");
      read_only = read_only || (v != "0" && v != "OFF");
    }
  }
  co_return attrs == TargetSessionAttrs::kReadOnly ? read_only : !read_only;
}

bool Connection::secure_channel() const noexcept {
  return transport_.is_tls() || !options_.unix_socket.empty();
}

std::string Connection::auth_response(std::string_view plugin, std::string_view scramble) const {
  const Bytes data = protocol::as_bytes(scramble);
  if (plugin == plugin::kNativePassword) return native_password(options_.password, data);
  if (plugin == plugin::kCachingSha2Password) return caching_sha2_password(options_.password, data);
  if (plugin == plugin::kEd25519) return ed25519_password(options_.password, data);
  if (plugin == plugin::kClearPassword || plugin == plugin::kSha256Password) {
    if (plugin == plugin::kSha256Password && options_.password.empty()) return std::string(1, '\0');
    if (!secure_channel() && !options_.allow_cleartext_password) {
      throw ClientError(
          ClientErrc::kInsecureCleartext,
          absl::StrCat("the server asks for ", std::string(plugin),
                       ", which sends the password in clear; tern only does that "
                       "over TLS or a Unix socket (or with cleartext-password=true)"));
    }
    return cleartext_password(options_.password);
  }
  throw ClientError(ClientErrc::kUnknownAuthPlugin,
                    absl::StrCat("the server asks for the authentication plugin \"",
                                 std::string(plugin), "\", which tern does not support"));
}

ring::Task<void> Connection::open(ring::Deadline deadline) {
  const std::string target = describe_target(options_);
  deadline_ = deadline;
  try {
    // (No co_await inside ?: — GCC 12 miscompiles it.)
    ring::Socket socket;
    if (!options_.unix_socket.empty()) {
      socket = co_await ring::Socket::connect_unix(*loop_, options_.unix_socket, deadline);
    } else {
      socket = co_await ring::Socket::connect_tcp(*loop_, options_.connect_host(), options_.port,
                                                  deadline);
    }
    transport_ = protocol::Transport(std::move(socket));
    seq_ = 0;
    std::string plugin;
    std::string scramble;
    {
      std::optional<Payload> p;
      while (!(p = next_buffered()))
        co_await fill(deadline);
      if (is_err_packet(p->bytes)) {
        broken_ = true;
        throw_mysql_error(parse_err(p->bytes));  // "Too many connections", "Host blocked"...
      }
      const InitialHandshake hs = parse_initial_handshake(p->bytes);
      connection_id_ = hs.connection_id;
      server_version_ = std::string(hs.version());
      mariadb_ = hs.is_mariadb();
      status_flags_ = hs.status_flags;
      plugin = hs.auth_plugin.empty() ? std::string(plugin::kNativePassword)
                                      : std::string(hs.auth_plugin);
      scramble = hs.auth_plugin_data;
      // TLS is never used over a Unix socket: the kernel is the only other party.
      const bool want_tls = options_.unix_socket.empty() && options_.ssl_mode != SslMode::kDisabled;
      capabilities_ =
          choose_capabilities(hs.capabilities, {.tls = want_tls,
                                                .with_database = !options_.database.empty(),
                                                .multi_statements = options_.multi_statements,
                                                .local_files = options_.allow_local_infile,
                                                .compress = options_.compress,
                                                .cache_metadata = true});
      if (want_tls && (capabilities_ & cap::kSsl) == 0 && options_.ssl_mode >= SslMode::kRequired) {
        broken_ = true;
        throw ClientError(ClientErrc::kTlsUnavailable,
                          absl::StrCat("the server at ", target,
                                       " does not offer TLS, but ssl-mode requires it"));
      }
    }
    if ((capabilities_ & cap::kSsl) != 0) {
      seq_ = write_ssl_request(out_, seq_, capabilities_);
      co_await flush(deadline);
      if (!options_.tls_context) {
        options_.tls_context = std::make_shared<const ring::TlsContext>(
            ring::TlsConfig{.verify = verify_level(options_.ssl_mode),
                            .ca_file = options_.ssl_ca,
                            .cert_file = options_.ssl_cert,
                            .key_file = options_.ssl_key});
      }
      co_await transport_.start_tls(options_.tls_context, options_.host, deadline);
    }
    // The server's default plugin may not be the user's; it then switches us.
    std::string response;
    try {
      response = auth_response(plugin, scramble);
    } catch (const ClientError&) {
      plugin = std::string(plugin::kNativePassword);
      response = auth_response(plugin, scramble);
    }
    seq_ = write_handshake_response(out_, seq_,
                                    {.capabilities = capabilities_,
                                     .user = options_.user,
                                     .auth_response = response,
                                     .database = options_.database,
                                     .auth_plugin = plugin,
                                     .attributes = kAttributes});
    co_await flush(deadline);
    co_await authenticate(std::move(plugin), std::move(scramble));
    // Compression starts after the OK that ends authentication, in both directions.
    if ((capabilities_ & cap::kCompress) != 0) {
      transport_.set_filter(std::make_unique<CompressedPackets>());
    }
  } catch (...) {
    broken_ = true;
    protocol::throw_startup_failure(std::current_exception(), target, options_.connect_timeout,
                                    [](const ConnectionLost& e) { return e.info().code != 0; });
  }
}

ring::Task<void> Connection::authenticate(std::string plugin, std::string scramble) {
  for (;;) {
    std::optional<Payload> p;
    while (!(p = next_buffered()))
      co_await fill(deadline_);
    const Bytes payload = p->bytes;
    switch (classify_auth(payload)) {
      case AuthKind::kOk:
        status_flags_ = parse_ok(payload, capabilities_).status_flags;
        auth_plugin_ = plugin;
        co_return;
      case AuthKind::kErr:
        broken_ = true;
        throw_mysql_error(parse_err(payload));
      case AuthKind::kAuthSwitch: {
        const AuthSwitchRequest sw = parse_auth_switch_request(payload);
        plugin = std::string(sw.plugin);
        scramble = std::string(protocol::as_chars(sw.scramble()));
        seq_ = write_auth_data(out_, seq_, auth_response(plugin, scramble));
        co_await flush(deadline_);
        break;
      }
      case AuthKind::kMoreData: {
        const std::string data(protocol::as_chars(parse_auth_more_data(payload)));
        if (plugin != plugin::kCachingSha2Password && plugin != plugin::kSha256Password) {
          throw protocol::ProtocolError(protocol::ProtocolErrc::kUnexpectedMessage,
                                        absl::StrCat("AuthMoreData during ", plugin));
        }
        if (data.size() == 1 && data[0] == sha2::kFastAuthSuccess) break;  // an OK follows
        if (data.size() == 1 && data[0] == sha2::kPerformFullAuthentication) {
          if (secure_channel()) {
            seq_ = write_auth_data(out_, seq_, cleartext_password(options_.password));
          } else {
            const char request[] = {static_cast<char>(sha2::kRequestPublicKey)};
            seq_ = write_auth_data(out_, seq_, std::string_view(request, 1));
          }
        } else {
          // The server's RSA public key, asked for above.
          seq_ = write_auth_data(
              out_, seq_,
              rsa_encrypted_password(options_.password, protocol::as_bytes(scramble), data));
        }
        co_await flush(deadline_);
        break;
      }
    }
  }
}

}  // namespace tern::mysql
