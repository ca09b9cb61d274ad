// Model signals (peewee-async's signals.AioModel): coroutines awaited, in the order they were
// connected, around aio_save() and aio_delete_instance() of one model type.
//
//   auto id = tern::aio_post_save<Item>().connect(
//       [](Item& item, bool created) -> tern::ring::Task<void> { ... co_return; });
//   ...
//   tern::aio_post_save<Item>().disconnect(id);
//
// The sender filter of peewee (`connect(fn, sender=Item)`) is the template argument: each model
// type has its own signals. As in peewee, bulk queries (update(), insert(), delete_()) send
// none. A receiver's exception propagates out of aio_save / aio_delete_instance (a pre_ signal's
// exception stops the write).
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "tern/ring/task.hpp"

namespace tern {

/// A list of async receivers taking Args.
template <class... Args>
class Signal {
 public:
  /// A receiver: a callable returning ring::Task<void>.
  using Receiver = std::function<ring::Task<void>(Args...)>;

  /// Adds `receiver` after those already connected; returns the id that disconnects it.
  std::uint64_t connect(Receiver receiver) {
    receivers_.emplace_back(++last_id_, std::move(receiver));
    return last_id_;
  }
  /// Removes the receiver `id`; false when it was not connected.
  bool disconnect(std::uint64_t id) {
    for (auto it = receivers_.begin(); it != receivers_.end(); ++it) {
      if (it->first == id) {
        receivers_.erase(it);
        return true;
      }
    }
    return false;
  }
  /// Removes every receiver.
  void disconnect_all() noexcept { receivers_.clear(); }
  /// True when no receiver is connected (then sending costs nothing).
  bool empty() const noexcept { return receivers_.empty(); }

  /// Awaits each receiver in turn with `args` (those connected when the send began).
  ring::Task<void> send(Args... args) const {
    const std::vector<std::pair<std::uint64_t, Receiver>> now = receivers_;
    for (const auto& [id, receiver] : now) {
      co_await receiver(args...);
    }
  }

 private:
  std::vector<std::pair<std::uint64_t, Receiver>> receivers_;
  std::uint64_t last_id_ = 0;
};

namespace detail {
// The signals themselves: variables rather than function-local statics, so that the check
// aio_create and aio_save make on every call (empty()) reads them without an initialisation
// guard. Constant-initialised (constinit), so they exist before any dynamic initialiser runs.
template <class M>
constinit inline Signal<M&, bool> pre_save_signal{};
template <class M>
constinit inline Signal<M&, bool> post_save_signal{};
template <class M>
constinit inline Signal<const M&> pre_delete_signal{};
template <class M>
constinit inline Signal<const M&> post_delete_signal{};
}  // namespace detail

/// Sent before M's aio_save() writes, with the instance and whether it will be inserted.
template <class M>
Signal<M&, bool>& aio_pre_save() {
  return detail::pre_save_signal<M>;
}
/// Sent after M's aio_save() wrote, with the instance (its key filled in) and whether it was
/// inserted.
template <class M>
Signal<M&, bool>& aio_post_save() {
  return detail::post_save_signal<M>;
}
/// Sent before M's aio_delete_instance() deletes.
template <class M>
Signal<const M&>& aio_pre_delete() {
  return detail::pre_delete_signal<M>;
}
/// Sent after M's aio_delete_instance() deleted.
template <class M>
Signal<const M&>& aio_post_delete() {
  return detail::post_delete_signal<M>;
}

}  // namespace tern
