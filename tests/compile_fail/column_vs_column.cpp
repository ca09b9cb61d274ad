// Must not compile: a text column compared with a numeric column.
#include "model.hpp"

void check() {
  (void)(Check::c.key == Check::c.price);
}
