#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace baton::cmd {

namespace json = boost::json;

/// Rows of text printed in aligned columns under a header, for people.
class text_table {
 public:
  explicit text_table(std::vector<std::string> header);
  void add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// `v` on one line, doubles as people write them ("4.5").
std::string compact_json(const json::value& v);

/// `v` indented two spaces a level, for people reading a document.
std::string pretty_json(const json::value& v);

/// How a member reads in a table cell: strings bare, absent or null as "-", the rest as JSON.
std::string cell(const json::object& o, std::string_view key);

/// A step's param contract for people: "approved:bool comment:string?" ('?': optional), from
/// `{"name": "type"}` or `{"name": {"type": "bool", "required": false}}`.
std::string contract_text(const json::value& params);

/// Epoch milliseconds as an ISO-8601 UTC instant ("-" for zero or absent).
std::string instant(const json::object& o, std::string_view key);

/// Parses `k=v` pairs into a JSON object: `v` as JSON when it is JSON (true, 12, "x",
/// {...}), else as a string. @throws CLI::ValidationError (a usage error) naming the pair
/// without '=' or with an empty name.
json::object assignments(const std::vector<std::string>& pairs, std::string_view option);

/// The answer body as JSON. @throws std::runtime_error when it is not (a server error).
json::value parse_answer(std::string_view body);

/// How `--watch` redraws a get or list.
struct watch_options {
  bool watch = false;
  double interval_s = 2.0;
  std::size_t count = 0;  ///< redraws before returning; 0: until interrupted
};

/// Runs `draw` once, or with `--watch` every `interval_s` seconds (clearing a terminal
/// first) until `count` redraws were made or `draw` fails. @returns the last exit code.
int watch_loop(const watch_options& options, const std::function<int()>& draw);

}  // namespace baton::cmd
