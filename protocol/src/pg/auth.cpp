#include "tern/protocol/pg/auth.hpp"
