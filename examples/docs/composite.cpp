// PostgreSQL composite types as C++ structs (docs/orm.md, docs/postgresql.md): TERN_COMPOSITE,
// a CompositeField model, a filter on the composite, a composite parameter and its row.
//   build/examples/doc-composite postgresql://tern:tern_pw@127.0.0.1:5432/tern_test
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <tern/tern.hpp>

using tern::ring::Task;

/// [composite]
struct Address {
  std::string street{};
  std::optional<std::string> city{};  // may be NULL
  std::int32_t zip{};
};
// CREATE TYPE address AS (street text, city text, zip integer)
TERN_COMPOSITE(Address, "address", street, city, zip)

std::unique_ptr<tern::AioDatabase> db;

struct Customer {
  std::int64_t id{};
  std::string name{};
  Address home{};
  std::optional<Address> work{};
  // clang-format off
  TERN_MODEL(Customer, db,
    (id,   tern::AutoField{}),
    (name, tern::CharField{.max_length = 40}),
    (home, tern::CompositeField<Address>{}),
    (work, tern::CompositeField<Address>{}));
  // clang-format on
};

Task<void> composites() {
  co_await Customer::aio_create_table();  // creates the type first, when missing
  Customer ann{.name = "ann", .home = {.street = "1 \"Main\" St, (rear)", .zip = 12345}};
  co_await Customer::aio_create(ann);
  const Address home{.street = "1 \"Main\" St, (rear)", .zip = 12345};
  const Customer got = co_await Customer::aio_get(Customer::c.home == home);
  std::printf("%s lives at %s, %d\n", got.name.c_str(), got.home.street.c_str(), got.home.zip);

  // Outside the ORM: a composite parameter, a composite column.
  const Address elm{.street = "Elm", .zip = 7};  // named: no braced temporary in co_await
  const tern::ResultSet r = co_await db->aio_execute("SELECT CAST($1 AS address)", elm);
  const auto a = r[0].get<Address>(0);
  std::printf("%s %s %d\n", a.street.c_str(), a.city ? a.city->c_str() : "NULL", a.zip);
  co_await Customer::aio_drop_table();  // the type stays
}
/// [composite]

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  tern::ring::Loop loop;
  db = tern::connect(argv[1]);
  tern::ring::sync_wait(loop, composites());
  tern::ring::sync_wait(loop, db->aio_close());
}
