// tern: C++20 async PostgreSQL and MySQL/MariaDB on io_uring. The umbrella header: the
// runtime, the database layer and the ORM.
#pragma once

#include "tern/db/database.hpp"
#include "tern/db/json.hpp"
#include "tern/db/replicas.hpp"
#include "tern/orm/model.hpp"
#include "tern/orm/prefetch.hpp"
#include "tern/orm/relations.hpp"
#include "tern/orm/schema.hpp"
#include "tern/orm/signals.hpp"
#include "tern/ring/ring.hpp"
