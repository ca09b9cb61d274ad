// The io_uring runtime in one include: Loop, Task, TaskGroup, sync_wait, sockets, timers, TLS,
// worker threads.
#pragma once

#include "tern/ring/error.hpp"
#include "tern/ring/loop.hpp"
#include "tern/ring/loop_group.hpp"
#include "tern/ring/mutex.hpp"
#include "tern/ring/resolve.hpp"
#include "tern/ring/signal.hpp"
#include "tern/ring/socket.hpp"
#include "tern/ring/sync_wait.hpp"
#include "tern/ring/task.hpp"
#include "tern/ring/task_group.hpp"
#include "tern/ring/timer.hpp"
#include "tern/ring/tls.hpp"
#include "tern/ring/worker.hpp"
