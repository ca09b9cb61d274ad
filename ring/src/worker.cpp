// WorkerThread: a FIFO of intrusive jobs under one mutex, and the thread that runs them.
#include "tern/ring/worker.hpp"

namespace tern::ring {

WorkerThread::WorkerThread() : thread_([this] { main(); }) {}

WorkerThread::~WorkerThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WorkerThread::push(Job* job) {
  {
    std::lock_guard lock(mutex_);
    job->next_ = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ = job;
    } else {
      head_ = job;
    }
    tail_ = job;
  }
  wake_.notify_one();
}

void WorkerThread::main() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return head_ != nullptr || stopping_; });
    if (head_ == nullptr) return;  // stopping, and nothing left to run
    Job* job = head_;
    head_ = job->next_;
    if (head_ == nullptr) tail_ = nullptr;
    lock.unlock();
    job->run_(job);  // the job may be freed by its task once this returns: not touched after
    lock.lock();
  }
}

}  // namespace tern::ring
