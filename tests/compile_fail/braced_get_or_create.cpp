// GCC < 13 must not compile: a braced temporary model in aio_get_or_create (see
// braced_aio_create.cpp).
#include "model.hpp"

void check() {
  (void)Check::aio_get_or_create({.key = "title"}, Check::c.key);
}
