// The model the compile-failure checks use.
#pragma once

#include <string>

#include "tern/orm/model.hpp"

inline tern::AioDatabase* check_db = nullptr;

struct Check {
  std::int64_t id{};
  std::string key;
  double price = 0;
  TERN_MODEL(Check, check_db, (id, tern::AutoField{}), (key, tern::CharField{.max_length = 40}),
             (price, tern::DoubleField{}));
};

struct Other {
  std::int64_t id{};
  TERN_MODEL(Other, check_db, (id, tern::AutoField{}));
};
