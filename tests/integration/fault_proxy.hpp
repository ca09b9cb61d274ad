// A loopback TCP proxy for fault-injection tests: clients connect to port(), each connection is
// relayed to the real server, and the test can, on command, delay every chunk, or arm one-shot
// faults that fire at a chosen point of one direction's byte stream (after N bytes, or where a
// chunk contains a given string): cut the connection (both ends closed: FIN, or RST), stall it
// (hold the bytes, for a while or until resume_all()), or corrupt one byte.
//
// Thread-based and independent of tern's runtime (two relay threads per connection, one
// acceptor), so that faults happen outside the code under test. A test owns one FaultProxy;
// its destructor cuts every connection and joins every thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace tern::testing {

/// Which way bytes travel through the proxy.
enum class Direction { kToServer, kToClient };

/// What an armed fault does when its trigger point is reached.
enum class FaultAction {
  /// Forwards the bytes before the trigger point, then closes both ends (the rest is dropped).
  kCut,
  /// Forwards the whole chunk that reached the trigger point, then closes both ends (e.g. a
  /// COMMIT delivered to the server whose reply never comes back).
  kCutAfterChunk,
  /// Forwards the bytes before the trigger point and holds the rest: for `stall_for`, or until
  /// resume_all() or a cut when `stall_for` is zero. Later chunks queue behind them.
  kStall,
  /// Replaces the byte at trigger point + `offset` (within the same chunk) with `value`.
  kCorrupt,
};

/// A one-shot fault: fires once, on the first connection whose `direction` stream reaches the
/// trigger point.
struct Fault {
  Direction direction = Direction::kToClient;
  FaultAction action = FaultAction::kCut;
  /// Trigger: empty = the next chunk (at its first byte, after `after_bytes`); otherwise the
  /// first occurrence of this string inside one chunk.
  std::string contains{};
  /// Trigger: the point lies at least this many bytes after the moment the fault was armed,
  /// counting the bytes travelling `direction` over all connections.
  std::uint64_t after_bytes = 0;
  /// kCut/kCutAfterChunk: reset (RST, SO_LINGER 0) instead of an orderly close (FIN).
  bool reset = false;
  /// kStall: how long; zero = until resume_all() or a cut.
  std::chrono::milliseconds stall_for{0};
  /// kCorrupt: which byte, relative to the trigger point, and its new value (or, with
  /// `set_bits`, the bits to set in it).
  std::size_t offset = 0;
  std::uint8_t value = 0;
  bool set_bits = false;
};

/// Counters since construction.
struct ProxyStats {
  std::uint64_t accepted = 0;  ///< client connections relayed
  std::uint64_t fired = 0;     ///< armed faults that fired
  std::uint64_t cuts = 0;      ///< connections cut (by a fault or cut_all())
  std::uint64_t open = 0;      ///< connections currently relayed
};

/// The proxy. All member functions are thread-safe.
class FaultProxy {
 public:
  /// Listens on 127.0.0.1 (an ephemeral port) and relays to `upstream_host`:`upstream_port`.
  FaultProxy(std::string upstream_host, std::uint16_t upstream_port);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  /// Cuts every connection and joins all threads.
  ~FaultProxy();

  /// The port clients connect to.
  std::uint16_t port() const noexcept { return port_; }

  /// Delays every chunk travelling `direction` by `delay` (zero = none), on all connections.
  void set_delay(Direction direction, std::chrono::milliseconds delay);
  /// Arms a one-shot fault. At most one fault fires per chunk: the earliest armed that matches.
  void arm(Fault fault);
  /// Forgets faults that have not fired yet.
  void disarm_all();
  /// Armed faults that have not fired yet.
  std::size_t armed() const;
  /// Ends every stall (held bytes are forwarded).
  void resume_all();
  /// Cuts every open connection (FIN, or RST when `reset`).
  void cut_all(bool reset = false);
  /// Cuts one open connection chosen by `pick` modulo the number open; false when none is.
  bool cut_one(std::size_t pick, bool reset = false);
  /// The counters.
  ProxyStats stats() const;

 private:
  struct Conn;
  struct Decision;

  void accept_loop();
  void relay(const std::shared_ptr<Conn>& conn, Direction direction);
  Decision decide(Direction direction, char* data, std::size_t size);
  void cut(Conn& conn, bool reset);  // with mu_ held
  void reap();                       // with mu_ held: joins finished connections

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: the acceptor stops
  std::uint16_t port_ = 0;
  std::string upstream_host_;
  std::uint16_t upstream_port_;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // stalls end, delays are cut short
  std::chrono::milliseconds delay_[2]{};
  struct Armed {
    Fault fault;
    std::uint64_t base = 0;  // total_[direction] when armed
  };
  std::deque<Armed> faults_;
  std::uint64_t total_[2]{};  // bytes received per direction, all connections
  std::list<std::shared_ptr<Conn>> conns_;
  ProxyStats stats_{};
  std::uint64_t resume_epoch_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
};

}  // namespace tern::testing
