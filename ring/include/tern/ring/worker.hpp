// WorkerThread: one thread that runs blocking calls for a loop's coroutines, one at a time, and
// hands each result back to the loop without blocking it.
//
// For libraries that only offer blocking calls (SQLite): `co_await worker.call(loop, fn)` queues
// `fn` to the thread, suspends the task, and resumes it on a coming loop turn once `fn`
// returned. The hand-back is Loop::post_expected(), which writes the loop's eventfd: the loop
// keeps an eventfd read armed on the ring (or in epoll on the fallback backend), so the
// completion arrives with the turn's other CQEs, and run() keeps waiting while a call is out
// (expect_post). Nothing here knows what the calls do.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "tern/ring/loop.hpp"

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

  /// The awaitable of call(): `fn` runs on the worker and its result (or exception) is
  /// returned by co_await on the loop thread. `fn` lives in the awaiting coroutine's frame.
  template <class F>
  class CallAwaiter final : public Job {
   public:
    /// What `fn` returns (co_await gives it).
    using Result = decltype(std::declval<F&>()());
    /// A call of `fn` to run on `worker` for a task of `loop`.
    CallAwaiter(WorkerThread& worker, Loop& loop, F fn)
        : Job(&CallAwaiter::run_job), worker_(worker), loop_(loop), fn_(std::move(fn)) {}
    /// Always suspends: the call runs elsewhere.
    bool await_ready() const noexcept { return false; }
    /// Queues the call; the task resumes once it ran.
    void await_suspend(std::coroutine_handle<> h) {
      handle_ = h;
      loop_.expect_post();
      worker_.push(this);
    }
    /// The call's result; rethrows its exception.
    Result await_resume() {
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
