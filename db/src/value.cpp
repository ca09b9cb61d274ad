#include "tern/db/value.hpp"

#include "tern/db/result.hpp"

namespace tern {

void Value::throw_out_of_range() {
  // A C++ value the parameter cannot carry: TypeError, as the codecs say for their values.
  throw TypeError("an unsigned value above 2^63-1 cannot be a parameter");
}

namespace detail {
void throw_unsupported_type(const char* backend, const char* cxx_type) {
  throw InterfaceError(std::string(backend) + " has no codec for the C++ type " + cxx_type);
}
void throw_mysql_lacks(const char* what) {
  throw NotSupportedError(std::string("MySQL/MariaDB has no ") + what + " type (PostgreSQL only)");
}
}  // namespace detail

const ResultSet::Storage& ResultSet::no_result() noexcept {
  static const Storage kEmpty;
  return kEmpty;
}

std::vector<std::string> ResultSet::column_names() const {
  std::vector<std::string> names;
  std::visit(
      [&](const auto& r) {
        for (const auto& c : r.columns())
          names.push_back(c.name);
      },
      storage());
  return names;
}

std::uint64_t ResultSet::rows_affected() const noexcept {
  if (r_ == nullptr) return 0;  // an empty result's tag names no count
  if (const auto* p = std::get_if<pg::Result>(r_)) return p->rows_affected();
  if (const auto* m = std::get_if<mysql::Result>(r_)) return m->affected_rows();
  return 0;
}

std::uint64_t ResultSet::last_insert_id() const noexcept {
  if (r_ == nullptr) return 0;
  if (const auto* m = std::get_if<mysql::Result>(r_)) return m->last_insert_id();
  return 0;
}

}  // namespace tern
