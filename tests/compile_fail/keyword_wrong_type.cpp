// Must not compile: a keyword argument whose value the member cannot hold.
#include "model.hpp"

void check() {
  (void)Check::aio_create(Check::c.price = std::string("x"));
}
