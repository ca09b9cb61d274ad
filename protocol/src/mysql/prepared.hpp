// Internal: one entry of a MySQL connection's prepared-statement cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tern/protocol/mysql/connection.hpp"
#include "tern/protocol/mysql/statement.hpp"

namespace tern::mysql {

/// A statement prepared on the server: its id, parameter count and result columns as the
/// prepare reported them (an execute's own column definitions take precedence).
struct Connection::Statement {
  std::string sql;
  std::uint32_t id = 0;
  std::uint16_t num_params = 0;
  std::uint16_t num_columns = 0;
  /// The columns of its last result set: the next execute's identical definitions reuse them
  /// (no allocation), different ones (DDL) replace them.
  std::shared_ptr<const std::vector<Column>> columns;
  /// Calls in flight using it: it is neither closed nor freed meanwhile.
  std::uint32_t users = 0;
  /// True once COM_STMT_PREPARE_OK and the definitions were read (id is the server's).
  bool prepared = false;
  /// True while a call's COM_STMT_PREPARE is in flight (other callers wait for it). A cached
  /// statement is prepared or preparing.
  bool preparing = false;
  /// True once forgotten while in use (it sits in the retired list until unused).
  bool retired = false;
};

inline std::uint8_t Connection::write_execute(const Statement& s, const Params& params) {
  // Throws ClientError on a parameter count mismatch, having written nothing.
  return write_com_stmt_execute(out_, s.id, s.num_params, params);
}

inline void Connection::hold(Statement& s) noexcept {
  ++s.users;
}

inline void Connection::unhold(Statement& s) {
  if (--s.users == 0 && s.retired) free_retired(s);
}

}  // namespace tern::mysql
