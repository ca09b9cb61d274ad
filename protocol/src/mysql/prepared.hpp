// Internal: one entry of a MySQL connection's prepared-statement cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tern/protocol/mysql/connection.hpp"

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
};

}  // namespace tern::mysql
