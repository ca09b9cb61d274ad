// LoopGroup's threads: each makes its loop, runs it until stop(), and destroys it, all on that
// thread (a ring set up SINGLE_ISSUER refuses any other submitter).
#include "tern/ring/loop_group.hpp"

#include <optional>
#include <stdexcept>
#include <thread>

#include "tern/ring/task_group.hpp"

namespace tern::ring {

struct LoopGroup::Worker {
  std::thread thread;
  Loop* loop = nullptr;        // set by the thread before the constructor returns
  TaskGroup* tasks = nullptr;  // the submitted tasks, on that loop
  bool stopped = false;

  // The thread's body: the loop stays alive (expect_post) until stop() posts the end.
  void run(LoopOptions options, std::promise<void>& ready) {
    std::optional<Loop> own;
    try {
      own.emplace(options);
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    TaskGroup group(*own);
    loop = &*own;
    tasks = &group;
    own->expect_post();
    ready.set_value();
    own->run();  // returns once stop() has posted and every task has ended
    tasks = nullptr;
    loop = nullptr;
  }
};

LoopGroup::LoopGroup(std::size_t threads, LoopOptions options) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) {
      auto& w = *workers_.emplace_back(std::make_unique<Worker>());
      std::promise<void> ready;
      std::future<void> started = ready.get_future();
      w.thread = std::thread([&w, options, &ready] { w.run(options, ready); });
      started.get();  // rethrows the loop's construction error
    }
  } catch (...) {
    stop();
    throw;
  }
}

LoopGroup::~LoopGroup() {
  stop();
}

Loop& LoopGroup::loop(std::size_t i) const noexcept {
  return *workers_[i]->loop;
}

void LoopGroup::post_task(std::size_t i, std::function<Task<void>()> start) {
  Worker* w = workers_.at(i).get();
  if (w->stopped) throw std::logic_error("LoopGroup: a task submitted after stop()");
  w->loop->post([w, start = std::move(start)] { w->tasks->spawn(start()); });
}

void LoopGroup::wait_all(std::vector<std::future<void>>& ends) {
  std::exception_ptr first;
  for (std::future<void>& end : ends) {
    try {
      end.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void LoopGroup::stop() {
  for (auto& w : workers_) {
    if (w->loop != nullptr && !w->stopped) {
      w->stopped = true;
      w->loop->post_expected([] {});
    }
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace tern::ring
