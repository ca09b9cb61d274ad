// Must not compile: a text column compared with an integer.
#include "model.hpp"

void check() {
  (void)(Check::c.key == 42);
}
