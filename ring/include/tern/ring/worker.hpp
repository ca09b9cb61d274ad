// WorkerThread: one thread that runs blocking calls for a loop's coroutines, one at a time, and
// hands each result back to the loop without blocking it.
//
// For libraries that only offer blocking calls (SQLite): `co_await worker.call(loop, fn)` queues
// `fn` to the thread, suspends the task, and resumes it on a coming loop turn once `fn`
// returned. The hand-back is Loop::post_expected(), which writes the loop's eventfd: the loop
// keeps an eventfd read armed on the ring (or in epoll on the fallback backend), so the
// completion arrives with the turn's other CQEs, and run() keeps waiting while a call is out
// (expect_post). Nothing here knows what the calls do; a call may come with an `on_stop`
// callable, run (on the thread that requests stop) when the awaiting task is stopped while the
// call is queued or running, for the caller to interrupt its blocking work.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

#include "tern/ring/loop.hpp"
#include "tern/ring/task.hpp"

namespace tern::ring {

/// A thread that runs one blocking call at a time for coroutines of loops. Calls queue in the
/// order they are made; the destructor runs the queued ones, then joins the thread.
class WorkerThread {
 public:
  /// Starts the thread.
  WorkerThread();
  /// Runs what is queued, then joins the thread. A call still awaited is resumed first.
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  /// One queued call: `run(job)` is called on the worker thread (a function pointer rather
  /// than a virtual, so that the awaiter needs no virtual destructor).
  class Job {
   protected:
    /// A job whose `run` does the work.
    explicit Job(void (*run)(Job*) noexcept) noexcept : run_(run) {}

   private:
    friend class WorkerThread;
    void (*run_)(Job*) noexcept;
    Job* next_ = nullptr;
  };

  /// The `on_stop` of a call that nothing can interrupt.
  struct NoStop {
    /// Does nothing.
    void operator()() const noexcept {}
  };

  /// The awaitable of call(): `fn` runs on the worker and its result (or exception) is
  /// returned by co_await on the loop thread. `fn` lives in the awaiting coroutine's frame.
  /// While the call is out, a stop request on the awaiting task runs `on_stop` (at once if
  /// stop was requested before); the call still completes and resumes the task.
  template <class F, class OnStop = NoStop>
  class CallAwaiter final : public Job {
   public:
    /// What `fn` returns (co_await gives it).
    using Result = decltype(std::declval<F&>()());
    /// A call of `fn` to run on `worker` for a task of `loop`.
    CallAwaiter(WorkerThread& worker, Loop& loop, F fn, OnStop on_stop = {})
        : Job(&CallAwaiter::run_job),
          worker_(worker),
          loop_(loop),
          fn_(std::move(fn)),
          on_stop_(std::move(on_stop)) {}
    /// Always suspends: the call runs elsewhere.
    bool await_ready() const noexcept { return false; }
    /// Queues the call; the task resumes once it ran.
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
      handle_ = h;
      if constexpr (!std::is_same_v<OnStop, NoStop>) {
        const std::stop_token& stop = detail::context_of(h).stop;
        if (stop.stop_possible()) stop_callback_.emplace(stop, on_stop_);
      }
      loop_.expect_post();
      worker_.push(this);
    }
    /// The call's result; rethrows its exception.
    Result await_resume() {
      stop_callback_.reset();  // waits for an on_stop running on another thread
      if (error_) std::rethrow_exception(error_);
      if constexpr (!std::is_void_v<Result>) return std::move(*result_);
    }

   private:
    static void run_job(Job* job) noexcept { static_cast<CallAwaiter*>(job)->run(); }
    // Runs fn (worker thread), then posts the task's resumption to its loop.
    void run() noexcept {
      try {
        if constexpr (std::is_void_v<Result>) {
          fn_();
        } else {
          result_.emplace(fn_());
        }
      } catch (...) {
        error_ = std::current_exception();
      }
      // Capturing two pointers fits std::function's inline storage: no allocation.
      Loop* loop = &loop_;
      loop_.post_expected([loop, h = handle_] { loop->schedule(h); });
    }

    struct Nothing {};
    WorkerThread& worker_;
    Loop& loop_;
    F fn_;
    OnStop on_stop_;
    std::optional<std::stop_callback<OnStop>> stop_callback_;
    std::coroutine_handle<> handle_;
    std::conditional_t<std::is_void_v<Result>, std::optional<Nothing>, std::optional<Result>>
        result_;
    std::exception_ptr error_;
  };

  /// `co_await worker.call(loop, fn)`: runs `fn()` on the worker thread, resumes the task on
  /// `loop` with its result. `fn` must not touch the loop (it runs on another thread).
  template <class F>
  CallAwaiter<F> call(Loop& loop, F fn) {
    return CallAwaiter<F>(*this, loop, std::move(fn));
  }
  /// As call(loop, fn), and a stop request on the awaiting task while the call is out runs
  /// `on_stop()` on the requesting thread (to interrupt `fn`: it must be thread-safe).
  template <class F, class OnStop>
  CallAwaiter<F, OnStop> call(Loop& loop, F fn, OnStop on_stop) {
    return CallAwaiter<F, OnStop>(*this, loop, std::move(fn), std::move(on_stop));
  }

 private:
  void push(Job* job);
  void main();

  std::mutex mutex_;
  std::condition_variable wake_;
  Job* head_ = nullptr;  // guarded by mutex_: FIFO of queued jobs
  Job* tail_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tern::ring
