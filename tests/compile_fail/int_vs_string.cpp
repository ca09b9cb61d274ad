// Must not compile: a numeric column compared with text.
#include "model.hpp"

void check() {
  (void)(Check::c.price == "cheap");
}
