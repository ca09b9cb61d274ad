// Must not compile: save(only=...) naming a field of another model.
#include "model.hpp"

void check(Check& row) {
  (void)row.aio_save(false, Other::c.id);
}
