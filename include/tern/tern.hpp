// tern: C++20 async PostgreSQL and MySQL/MariaDB on io_uring. The umbrella header.
#pragma once

#include "tern/ring/ring.hpp"
