#include <gtest/gtest.h>

#include "tern/protocol/pg/types.hpp"
