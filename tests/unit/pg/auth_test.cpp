#include <gtest/gtest.h>

#include "tern/protocol/pg/auth.hpp"
