// A program that uses tern as a library user would: connects to TERN_PG_URL and runs a query.
// Built by tests/consumers/run against an installed tern three ways (meson subproject,
// pkg-config, CMake's find_package).
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <tern/tern.hpp>

int main() {
  const char* url = std::getenv("TERN_PG_URL");
  if (url == nullptr) {
    std::cerr << "consumer: TERN_PG_URL is not set\n";
    return 2;
  }
  tern::ring::Loop loop;
  const std::unique_ptr<tern::AioDatabase> db = tern::connect(url);
  const tern::ResultSet r = tern::ring::sync_wait(loop, db->aio_execute("SELECT 41 + 1"));
  std::cout << r.row(0).get<std::int64_t>(0) << '\n';
  tern::ring::sync_wait(loop, db->aio_close());
  return 0;
}
