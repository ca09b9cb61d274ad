// Internal: opening a connection over a multi-host list, for both backends. The hosts are tried
// in turn (shuffled with load_balance_hosts), each with the whole connect_timeout, until one
// accepts and fits target_session_attrs; when none does, ConnectionFailed names every host and
// why. What is protocol-specific — opening one host, asking the server what it is — is the
// caller's.
#pragma once

#include <algorithm>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tern/protocol/exceptions.hpp"
#include "tern/protocol/target_session_attrs.hpp"
#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::protocol {

/// Connects to the first server of `options.candidates()` that accepts and fits
/// `options.target_session_attrs` (libpq's rules: prefer-standby makes a pass for a standby,
/// then one for any server). `connect_one(loop, options)` opens one host (the options' host,
/// hostaddr and port set to it); `(connection.*matches)(attrs)` says whether the server fits;
/// `describe(options)` names a host in the error. One host with kAny is connect_one's errors
/// as they are.
template <class Connection, class Options, class ConnectOne>
ring::Task<Connection> connect_multi_host(
    ring::Loop& loop, Options options, ConnectOne connect_one,
    ring::Task<bool> (Connection::*matches)(TargetSessionAttrs),
    std::string (*describe)(const Options&)) {
  auto hosts = options.candidates();
  const TargetSessionAttrs wanted = options.target_session_attrs;
  if (hosts.size() == 1 && wanted == TargetSessionAttrs::kAny) {
    co_return co_await connect_one(loop, std::move(options));
  }
  if (options.load_balance_hosts) {
    std::shuffle(hosts.begin(), hosts.end(), std::mt19937(std::random_device{}()));
  }
  const bool prefer_standby = wanted == TargetSessionAttrs::kPreferStandby;
  std::string failures;
  const auto fail = [&failures](const std::string& target, const std::string& why) {
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", target, ": ", why);
  };
  for (int pass = 0; pass < (prefer_standby ? 2 : 1); ++pass) {
    const TargetSessionAttrs attrs =
        !prefer_standby ? wanted
                        : (pass == 0 ? TargetSessionAttrs::kStandby : TargetSessionAttrs::kAny);
    for (const auto& h : hosts) {
      Options one = options;
      one.host = h.host;
      one.hostaddr = h.hostaddr;
      one.port = h.port;
      const std::string target = describe(one);
      std::optional<Connection> c;
      std::string error;
      try {
        c.emplace(co_await connect_one(loop, std::move(one)));
      } catch (const ring::CancelledError&) {
        throw;
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!c) {
        fail(target, error);
        continue;
      }
      bool fits = false;
      try {
        fits = co_await ((*c).*matches)(attrs);
      } catch (const ring::CancelledError&) {
        throw;
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (fits) co_return std::move(*c);
      co_await c->close();
      fail(target, error.empty() ? absl::StrCat("not ", target_session_attrs_name(attrs)) : error);
    }
  }
  throw ConnectionFailed(
      absl::StrCat("could not connect to server: none is usable with target_session_attrs=",
                   target_session_attrs_name(wanted), " (", failures, ")"));
}

}  // namespace tern::protocol
