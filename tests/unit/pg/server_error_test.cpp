// Unit tests of throw_server_error's choice of exception by SQLSTATE (PostgreSQL), for the
// classes whose callers act on them: retry after a rollback, never after an unknown outcome.
#include <gtest/gtest.h>

#include <string>

#include "tern/protocol/exceptions.hpp"

namespace tern {
namespace {

ServerErrorInfo with_state(std::string sqlstate) {
  ServerErrorInfo info;
  info.severity = "ERROR";
  info.sqlstate = std::move(sqlstate);
  info.message = "m";
  return info;
}

TEST(ServerErrorClass, DeadlockAndSerializationFailureAreTransactionRollback) {
  EXPECT_THROW(throw_server_error(with_state("40001")), TransactionRollback);
  EXPECT_THROW(throw_server_error(with_state("40P01")), TransactionRollback);
  EXPECT_THROW(throw_server_error(with_state("40P01")), OperationalError);  // its base
}

TEST(ServerErrorClass, OtherClassFortyErrorsStayOperational) {
  // 40003 statement_completion_unknown: not known to be rolled back, so not safe to retry.
  try {
    throw_server_error(with_state("40003"));
  } catch (const TransactionRollback&) {
    ADD_FAILURE() << "40003 is not a known rollback";
  } catch (const OperationalError& e) {
    EXPECT_EQ(e.sqlstate(), "40003");
  }
  EXPECT_THROW(throw_server_error(with_state("23505")), IntegrityError);
}

}  // namespace
}  // namespace tern
