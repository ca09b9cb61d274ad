#include "tern/db/value.hpp"

#include "absl/strings/str_cat.h"
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
void throw_set_lacks(const char* backend) {
  throw NotSupportedError(std::string(backend) +
                          " has no SET type: a std::set of an enum is MySQL/MariaDB only");
}
void throw_composite_lacks(const char* backend) {
  throw NotSupportedError(std::string(backend) +
                          " has no composite types: a composite is PostgreSQL only");
}
void throw_sqlite_lacks(const char* what) {
  throw NotSupportedError(std::string("SQLite has no ") + what + " type (PostgreSQL only)");
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
  if (const auto* s = std::get_if<sqlite::Result>(r_)) return s->changes();
  return 0;
}

std::uint64_t ResultSet::last_insert_id() const noexcept {
  if (r_ == nullptr) return 0;
  if (const auto* m = std::get_if<mysql::Result>(r_)) return m->last_insert_id();
  if (const auto* s = std::get_if<sqlite::Result>(r_)) {
    return static_cast<std::uint64_t>(s->last_insert_rowid());
  }
  return 0;
}

std::span<const ServerErrorInfo> ResultSet::notices() const noexcept {
  if (r_ == nullptr) return {};
  if (const auto* p = std::get_if<pg::Result>(r_)) return p->notices();
  return {};
}

std::uint16_t ResultSet::warning_count() const noexcept {
  if (r_ == nullptr) return 0;
  if (const auto* m = std::get_if<mysql::Result>(r_)) return m->warnings();
  return 0;
}

std::string describe_values(std::span<const Value> values) {
  std::string out = "[";
  for (const Value& v : values) {
    if (out.size() > 1) out += ", ";
    std::visit(
        [&out]<class T>(const T& x) {
          if constexpr (std::is_same_v<T, std::monostate>) {
            out += "NULL";
          } else if constexpr (std::is_same_v<T, bool>) {
            out += x ? "true" : "false";
          } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
            absl::StrAppend(&out, x);
          } else if constexpr (std::is_same_v<T, std::string>) {
            absl::StrAppend(&out, "'", x, "'");
          } else if constexpr (std::is_same_v<T, EnumLabel>) {
            absl::StrAppend(&out, "'", x.label, "'");
          } else if constexpr (std::is_same_v<T, RecordText>) {
            out += '<';
            out += x.type;  // a std::string_view, which absl's StrAppend here does not take
            out += '>';
          } else if constexpr (std::is_same_v<T, Decimal>) {
            out += x.value;
          } else if constexpr (std::is_same_v<T, Uuid>) {
            out += x.to_string();
          } else if constexpr (std::is_same_v<T, Json> || std::is_same_v<T, Jsonb>) {
            absl::StrAppend(&out, "'", x.text, "'");
          } else if constexpr (std::is_same_v<T, ByteString>) {
            absl::StrAppend(&out, "<", x.size(), " bytes>");
          } else if constexpr (std::is_same_v<T, HStore>) {
            out += "<hstore>";
          } else if constexpr (std::is_same_v<T, Date>) {
            out += "<date>";
          } else if constexpr (std::is_same_v<T, DateTime>) {
            out += "<datetime>";
          } else if constexpr (std::is_same_v<T, TimeOfDay>) {
            out += "<time>";
          } else if constexpr (std::is_same_v<T, Instant>) {
            out += "<timestamptz>";
          } else if constexpr (std::is_same_v<T, WideTimestamp>) {
            out += "<timestamp>";
          } else if constexpr (std::is_same_v<T, WideTimestamptz>) {
            out += "<timestamptz>";
          } else if constexpr (std::is_same_v<T, Interval>) {
            out += "<interval>";
          } else {
            absl::StrAppend(&out, "<array of ", x.size(), ">");
          }
        },
        v.storage());
  }
  return out + "]";
}

}  // namespace tern
