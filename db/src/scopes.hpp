// What the database layer's scopes (scopes.cpp) share with statement execution (execute.cpp):
// both run statements on a scope's connection, so both check that the scope is still open and
// close a stream its owner dropped before the connection runs anything else. Private to db/.
#pragma once

#include "tern/db/backend.hpp"
#include "tern/db/database.hpp"
#include "tern/ring/task.hpp"

namespace tern::detail {

/// Throws InterfaceError: the aio_connection/aio_atomic block a task belongs to has ended.
[[noreturn]] void throw_scope_ended();

/// A RowStream dropped before its end left its stream open on the block's connection: closed
/// before the connection runs anything else.
ring::Task<void> settle(BackendConnection& conn);

/// For the holder of the block's turn that needs the connection to itself (a control
/// statement, a stream, the block's end): waits until the block's pipelined statements are
/// done, then settles the connection.
ring::Task<void> quiesce(ScopeBinding& b);

}  // namespace tern::detail
