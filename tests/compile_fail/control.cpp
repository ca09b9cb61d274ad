// Compiles: the well-typed twin of every compile-failure check (proves the command works).
#include "model.hpp"

void control(Check& row) {
  (void)(Check::c.key == "title");
  (void)(Check::c.price > 2);
  (void)(Check::c.id == Check::c.id);
  (void)Check::update().set(Check::c.key, "x");
  (void)row.aio_save(false, Check::c.price);
  (void)Other::select();
  // The keyword forms, and named objects.
  (void)Check::aio_create(Check::c.key = "title", Check::c.price = 2);
  (void)Check::aio_create(row);
  (void)Check::aio_get_or_create(Check::c.key = "k", tern::defaults(Check::c.price = 1.5));
  (void)Check::aio_get_or_create(row, Check::c.key);
  (void)Check::insert(Check::c.key = "x");
  (void)Check::insert(row);
  (void)Check::update(Check::c.price = 3, Check::c.key = std::string("y"));
}
