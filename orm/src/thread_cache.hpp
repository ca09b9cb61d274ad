// Internal: one T per thread, made on first use and deleted when the thread exits, reached
// through a constant-initialised pointer in initial-exec TLS: one %fs-relative load per
// access (a thread_local T itself would need its initialisation guard, reached through
// __tls_get_addr on every access); a few bytes of static TLS whoever loads the library.
#pragma once

namespace tern::orm::detail {

/// The calling thread's T. T must be a type of one translation unit (in an unnamed namespace):
/// each T gets its own slot.
template <class T>
class ThreadCache {
 public:
  static T& get() {
    if (T* c = slot) [[likely]]
      return *c;
    return make();
  }

 private:
  // Deletes the thread's T when the thread exits; registered when the T is made.
  struct Owner {
    Owner() noexcept = default;
    Owner(const Owner&) = delete;
    Owner& operator=(const Owner&) = delete;
    ~Owner() {
      delete slot;
      slot = nullptr;
    }
  };

  [[gnu::noinline]] static T& make() {
    slot = new T();
    [[maybe_unused]] Owner* volatile owner = &owner_;  // odr-use: registers it
    return *slot;
  }

  __attribute__((tls_model("initial-exec"))) static constinit inline thread_local T* slot = nullptr;
  static inline thread_local Owner owner_;
};

}  // namespace tern::orm::detail
