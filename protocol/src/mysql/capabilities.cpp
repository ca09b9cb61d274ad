// The client's choice of capability flags.
// MariaDB: https://mariadb.com/kb/en/connection/#capabilities (in
//          https://mariadb.com/kb/en/clientserver-protocol/)
// MySQL:
// https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html
//        (in https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
#include "tern/protocol/mysql/capabilities.hpp"

#include "tern/protocol/mysql/error.hpp"

namespace tern::mysql {

std::uint64_t choose_capabilities(std::uint64_t server, const CapabilityOptions& options) {
  if ((server & cap::kProtocol41) == 0 || (server & cap::kSecureConnection) == 0) {
    throw ClientError(ClientErrc::kServerTooOld,
                      "the server does not support the 4.1 protocol with secure authentication");
  }
  std::uint64_t want = cap::kLongPassword | cap::kLongFlag | cap::kProtocol41 |
                       cap::kSecureConnection | cap::kTransactions | cap::kPluginAuth |
                       cap::kPluginAuthLenencClientData | cap::kDeprecateEof | cap::kMultiResults |
                       cap::kPsMultiResults;
  if (options.tls) want |= cap::kSsl;
  if (options.with_database) want |= cap::kConnectWithDb;
  if (options.multi_statements) want |= cap::kMultiStatements;
  if (options.local_files) want |= cap::kLocalFiles;
  if (options.connect_attrs) want |= cap::kConnectAttrs;
  if (options.found_rows) want |= cap::kFoundRows;
  if (options.session_track) want |= cap::kSessionTrack;
  if (options.compress) want |= cap::kCompress;
  if (options.cache_metadata) want |= cap::kMariadbCacheMetadata;
  want |= options.extra;
  return want & server;
}

}  // namespace tern::mysql
