// Compiles: the well-typed twin of every compile-failure check (proves the command works).
#include "model.hpp"

void control(Check& row) {
  (void)(Check::c.key == "title");
  (void)(Check::c.price > 2);
  (void)(Check::c.id == Check::c.id);
  (void)Check::update().set(Check::c.key, "x");
  (void)row.aio_save(false, Check::c.price);
  (void)Other::select();
}
