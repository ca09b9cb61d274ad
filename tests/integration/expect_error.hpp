// A test that expects an error names it: the exception class and the server's code, never
// "something was thrown" (EXPECT_ANY_THROW) or the DatabaseError base alone.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string_view>
#include <typeinfo>
#include <utility>

#include "tern/protocol/exceptions.hpp"

namespace tern::testing {

/// Runs `f` and returns the E it throws; a test failure (and nullopt) when it throws nothing or
/// another exception (named in the message).
template <class E, class F>
std::optional<E> thrown(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": "
                  << e.what();
    return std::nullopt;
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
  return std::nullopt;
}

/// Checks a server error's SQLSTATE and (MySQL/MariaDB; 0 for PostgreSQL) error number.
template <class E>
void expect_server_error(const std::optional<E>& e, std::string_view sqlstate,
                         std::uint32_t code = 0) {
  if (!e) return;  // thrown() reported it
  EXPECT_EQ(e->sqlstate(), sqlstate) << e->what();
  EXPECT_EQ(e->info().code, code) << e->what();
}

}  // namespace tern::testing
