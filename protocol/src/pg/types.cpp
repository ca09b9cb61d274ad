#include "tern/protocol/pg/types.hpp"
