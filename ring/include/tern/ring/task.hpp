// Task<T>: the lazy coroutine type of tern's async path.
//
// A Task does nothing until awaited; awaiting it transfers control to it symmetrically (no stack
// growth however deep the chain), its result or exception comes back to the awaiter, and its frame
// is the only allocation (recycled per thread: see recycle.hpp). Each task runs with a TaskContext
// inherited from whoever awaits it: the stop token that cancels its I/O and one slot that upper
// layers use for task-local state (the open transaction's connection, for instance).
#pragma once

#include <coroutine>
#include <exception>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

#include "tern/ring/recycle.hpp"

namespace tern::ring {

/// State that a task tree shares: awaited child tasks see the same context as their parent.
struct TaskContext {
  /// Requesting stop on its source cancels every pending ring operation of the tree.
  std::stop_token stop;
  /// One slot for the layers above the ring (e.g. the transaction bound to this task tree).
  void* local = nullptr;
};

namespace detail {

/// The context of coroutines that were started without one.
inline TaskContext& empty_context() noexcept {
  static TaskContext ctx;
  return ctx;
}

/// Common part of every tern promise: where to go when done and the inherited context.
struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  TaskContext* context = &empty_context();

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      return h.promise().continuation;
    }
    void await_resume() const noexcept {}
  };
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }

  // Frames come from the per-thread recycling allocator: a steady-state query creates and
  // destroys the same frames every time, so after the first one none reaches malloc.
  static void* operator new(std::size_t size) { return recycled_allocate(size); }
  static void operator delete(void* frame, std::size_t size) noexcept {
    recycled_deallocate(frame, size);
  }
};

/// The context of the coroutine `h`, or the empty context for coroutines foreign to tern.
template <class P>
TaskContext& context_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<PromiseBase, P>) {
    return *h.promise().context;
  } else {
    return empty_context();
  }
}

template <class T>
struct Promise;

}  // namespace detail

/// A lazily started coroutine producing a T (or void). Move-only; awaiting consumes it.
template <class T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;                  ///< The coroutine promise.
  using handle_type = std::coroutine_handle<promise_type>;  ///< The coroutine handle.

  Task() noexcept = default;
  /// Owns the coroutine `h` (made by the promise).
  explicit Task(handle_type h) noexcept : h_(h) {}
  /// Takes over the coroutine; `other` is left empty.
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  /// Destroys the coroutine held, then takes over the other.
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  /// True when this Task holds a coroutine (it was not moved from).
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  /// Awaiting starts the task with the awaiter's context and yields its result.
  auto operator co_await() && noexcept { return Awaiter{h_}; }
  /// Awaiting an lvalue task works the same; the task is spent afterwards.
  auto operator co_await() & noexcept { return Awaiter{h_}; }

  /// Gives up ownership of the coroutine frame (used by spawn and sync_wait).
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  struct Awaiter {
    handle_type h;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      h.promise().continuation = parent;
      h.promise().context = &detail::context_of(parent);
      return h;
    }
    T await_resume() { return h.promise().result(); }
  };

  handle_type h_;
};

namespace detail {

template <class T>
struct Promise : PromiseBase {
  std::variant<std::monostate, T, std::exception_ptr> value;

  Task<T> get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise>::from_promise(*this));
  }
  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) { value.template emplace<1>(std::forward<U>(v)); }
  void unhandled_exception() noexcept { value.template emplace<2>(std::current_exception()); }
  T result() {
    if (value.index() == 2) std::rethrow_exception(std::get<2>(value));
    return std::move(std::get<1>(value));
  }
};

template <>
struct Promise<void> : PromiseBase {
  std::exception_ptr error;

  Task<void> get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise>::from_promise(*this));
  }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { error = std::current_exception(); }
  void result() {
    if (error) std::rethrow_exception(error);
  }
};

/// Reads the awaiting coroutine's context without suspending it.
struct ContextAwaiter {
  TaskContext* ctx = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    ctx = &context_of(h);
    return false;
  }
  TaskContext& await_resume() const noexcept { return *ctx; }
};

/// Starts a task with a given context instead of the awaiter's; owns (and destroys) the task.
template <class T>
struct RebindAwaiter {
  typename Task<T>::handle_type h;
  TaskContext* ctx;
  RebindAwaiter(typename Task<T>::handle_type handle, TaskContext* context) noexcept
      : h(handle), ctx(context) {}
  RebindAwaiter(const RebindAwaiter&) = delete;
  RebindAwaiter& operator=(const RebindAwaiter&) = delete;
  ~RebindAwaiter() {
    if (h) h.destroy();
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
    h.promise().continuation = parent;
    h.promise().context = ctx;
    return h;
  }
  T await_resume() { return h.promise().result(); }
};

}  // namespace detail

namespace this_task {

/// `co_await this_task::context()` yields the running task's TaskContext without suspending.
inline detail::ContextAwaiter context() noexcept {
  return {};
}

}  // namespace this_task

/// Runs `task` with `ctx` as its context (and that of everything it awaits). `ctx` must outlive
/// the await; layers above use this to bind task-local state such as an open transaction.
template <class T>
Task<T> with_context(TaskContext& ctx, Task<T> task) {
  co_return co_await detail::RebindAwaiter<T>{task.release(), &ctx};
}

}  // namespace tern::ring
