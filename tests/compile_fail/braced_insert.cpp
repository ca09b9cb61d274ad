// GCC < 13 must not compile: a braced temporary model in insert (see braced_aio_create.cpp).
#include "model.hpp"

void check() {
  (void)Check::insert({.key = "title"});
}
