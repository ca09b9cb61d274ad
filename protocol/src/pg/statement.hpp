// Internal: one entry of a connection's statement cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tern/protocol/pg/connection.hpp"

namespace tern::pg {

/// A statement known to the connection: prepared on the server under `name` (named mode) or
/// only described (unnamed mode), with its result columns and the formats to ask for them in.
struct Connection::Statement {
  /// SQL text, a NUL, then the parameter type OIDs' bytes: the cache key.
  std::string key;
  std::size_t sql_size = 0;
  /// The parameter type OIDs, for Parse (the key's copy of them is not aligned for reading).
  std::vector<Oid> param_types;
  /// Server-side name; empty in unnamed mode.
  std::string name;
  /// Result columns with the format each is fetched in when binary results are asked for;
  /// null when the statement returns no rows.
  std::shared_ptr<const std::vector<backend::Column>> columns;
  /// The Bind result-format codes matching `columns` (one code when all are the same).
  std::vector<Format> result_formats;
  /// True once Parse + Describe succeeded.
  bool described = false;
  /// True while a call's Parse + Describe is in flight (others wait for it).
  bool preparing = false;
  /// True once forgotten while in use (it sits in the retired list until unused).
  bool retired = false;
  /// Calls in flight using it: it is neither evicted nor freed meanwhile.
  std::uint32_t users = 0;
  /// The batch that last used it (never evicted while that batch is being built).
  std::uint64_t batch = 0;

  std::string_view sql() const noexcept { return std::string_view(key).substr(0, sql_size); }
};

}  // namespace tern::pg
