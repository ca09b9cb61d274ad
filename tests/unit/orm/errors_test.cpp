// The exception tree: every exception tern throws is a tern::Error, except ring::CancelledError,
// which must unwind a cancelled task through `catch (const tern::Error&)` blocks. It lives in
// orm-unit because the ORM is the top layer: it sees every layer's exception classes.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

#include "tern/protocol/mysql/error.hpp"
#include "tern/protocol/mysql/types.hpp"
#include "tern/protocol/pg/types.hpp"
#include "tern/protocol/protocol_error.hpp"
#include "tern/tern.hpp"

namespace tern {
namespace {

template <class E>
constexpr bool kInTree = std::is_base_of_v<Error, E>;

// Every public exception class, layer by layer.
static_assert(kInTree<ring::IoError>);
static_assert(kInTree<ring::TimeoutError>);
static_assert(kInTree<ring::RingUnavailable>);
static_assert(kInTree<ring::TlsError>);
static_assert(kInTree<InterfaceError>);
static_assert(kInTree<TypeError>);
static_assert(kInTree<ResultTooLarge>);
static_assert(kInTree<mysql::ClientError>);
static_assert(kInTree<DatabaseError>);
static_assert(kInTree<DataError>);
static_assert(kInTree<OperationalError>);
static_assert(kInTree<IntegrityError>);
static_assert(kInTree<InternalError>);
static_assert(kInTree<ProgrammingError>);
static_assert(kInTree<NotSupportedError>);
static_assert(kInTree<ConnectionLost>);
static_assert(kInTree<TransactionOutcomeUnknown>);
static_assert(kInTree<QueryTimeout>);
static_assert(kInTree<protocol::ProtocolError>);
static_assert(kInTree<PoolTimeout>);
static_assert(kInTree<DoesNotExist>);

// Where the less obvious ones sit.
static_assert(std::is_base_of_v<OperationalError, protocol::ProtocolError>);
static_assert(!std::is_base_of_v<ConnectionLost, protocol::ProtocolError>);
static_assert(std::is_base_of_v<InterfaceError, TypeError>);
static_assert(std::is_base_of_v<ring::IoError, ring::TimeoutError>);
static_assert(std::is_base_of_v<ring::IoError, ring::RingUnavailable>);

// A cancellation is outside the tree, and outside std::runtime_error / std::system_error too,
// so that no broad catch of tern's or the standard library's error families swallows it.
static_assert(!kInTree<ring::CancelledError>);
static_assert(!std::is_base_of_v<ring::IoError, ring::CancelledError>);
static_assert(!std::is_base_of_v<std::runtime_error, ring::CancelledError>);
static_assert(!std::is_base_of_v<std::system_error, ring::CancelledError>);
static_assert(std::is_base_of_v<std::exception, ring::CancelledError>);

TEST(Errors, ProtocolErrorCodeIsItsProtocolErrc) {
  const protocol::ProtocolError e(protocol::ProtocolErrc::kBadLength, "DataRow");
  EXPECT_EQ(e.code(), protocol::ProtocolErrc::kBadLength);
  EXPECT_EQ(&e.code().category(), &protocol::protocol_category());
  EXPECT_EQ(std::string(e.what()), "DataRow: invalid length");  // worded as before
  const Error& root = e;
  EXPECT_EQ(root.code(), protocol::ProtocolErrc::kBadLength);
  EXPECT_TRUE(e.sqlstate().empty());  // not a server error
}

TEST(Errors, IoErrorCodeIsItsErrno) {
  const ring::IoError e(ECONNRESET, "recv");
  EXPECT_EQ(e.code().value(), ECONNRESET);
  EXPECT_EQ(&e.code().category(), &std::generic_category());
  EXPECT_EQ(e.code(), std::errc::connection_reset);
  EXPECT_EQ(std::string(e.what()), "recv: " + std::generic_category().message(ECONNRESET));
  EXPECT_EQ(ring::TimeoutError("recv").code(), std::errc::timed_out);
}

TEST(Errors, ErrorsWithoutACodeHaveAnEmptyOne) {
  EXPECT_FALSE(InterfaceError("misuse").code());
  EXPECT_FALSE(ConnectionLost("gone").code());
  EXPECT_FALSE(ring::TlsError("handshake").code());
  EXPECT_EQ(mysql::ClientError(mysql::ClientErrc::kInsecureCleartext, "no").code(),
            mysql::ClientErrc::kInsecureCleartext);
}

TEST(Errors, CancelledErrorKeepsItsMessageAndCode) {
  const ring::CancelledError e("recv");
  EXPECT_EQ(std::string(e.what()).rfind("recv: cancelled", 0), 0u) << e.what();
  EXPECT_EQ(e.code(), std::errc::operation_canceled);
}

TEST(Errors, ACatchOfTheRootLetsACancellationThrough) {
  auto recover = [] {
    try {
      throw ring::CancelledError("query");
    } catch (const Error&) {
      return false;  // a retry block: must not see the cancellation
    }
  };
  EXPECT_THROW(recover(), ring::CancelledError);
}

TEST(Errors, PgDecodeMismatchIsATypeErrorAndAnError) {
  const protocol::Bytes three = protocol::as_bytes(std::string_view("abc"));
  EXPECT_THROW((void)pg::decode_value<std::int32_t>(pg::oid::kInt4, pg::Format::kBinary, three),
               TypeError);
  EXPECT_THROW((void)pg::decode_value<std::int32_t>(pg::oid::kInt4, pg::Format::kBinary, three),
               Error);
  EXPECT_THROW(
      (void)pg::decode_value<std::int32_t>(pg::oid::kInt4, pg::Format::kBinary, std::nullopt),
      TypeError);
}

TEST(Errors, MysqlDecodeMismatchIsATypeErrorAndAnError) {
  const mysql::ColumnType column{mysql::FieldType::kLong, 0, 45, 0};
  const protocol::Bytes bad = protocol::as_bytes(std::string_view("12a"));
  EXPECT_THROW((void)mysql::decode_value<std::int32_t>(column, mysql::Format::kText, bad),
               TypeError);
  EXPECT_THROW((void)mysql::decode_value<std::int32_t>(column, mysql::Format::kText, bad), Error);
  EXPECT_THROW((void)mysql::decode_value<std::int32_t>(column, mysql::Format::kText, std::nullopt),
               TypeError);
}

}  // namespace
}  // namespace tern
