// Walking JSON documents with simdjson's DOM (https://simdjson.org), the parser tern uses:
//
//   tern::json::Parser parser;                    // reuse it: it keeps its buffers
//   simdjson::dom::element root = parser.parse(row.get<tern::Json>(0));
//   std::string_view name = root["name"].get_string();
//   for (std::int64_t id : root["ids"].get_array()) use(id);
//
// A separate header from json.hpp because simdjson.h is large: include it where documents are
// read, not everywhere.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "tern/db/json.hpp"

namespace tern::json {

/// Parses documents into simdjson's DOM. Not thread-safe; keep one per thread and reuse it.
class Parser {
 public:
  /// The root of `doc`, valid until this parser parses again or dies. Throws DataError when
  /// the text is not well-formed JSON.
  simdjson::dom::element parse(const Json& doc);
  /// The root of `doc` (see above).
  simdjson::dom::element parse(const Jsonb& doc);
  /// The root of `text` (copied into the parser's padded buffer first).
  simdjson::dom::element parse(std::string_view text);

 private:
  simdjson::dom::parser parser_;
};

/// An element (a whole document or part of one) as compact JSON text.
Json to_json(simdjson::dom::element element);

}  // namespace tern::json
