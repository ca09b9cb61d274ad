// Must not compile: assigning text to a numeric column.
#include "model.hpp"

void check() {
  (void)Check::update().set(Check::c.price, std::string("x"));
}
