// GCC < 13 must not compile: a braced temporary model in aio_create (GCC 12 destroys it twice
// inside co_await); the message names the safe forms. clang and GCC 13+ compile it.
#include "model.hpp"

void check() {
  (void)Check::aio_create({.key = "title", .price = 2});
}
