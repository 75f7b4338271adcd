// Fuzzes the vendor's typed params of complete-step (http/typed_params): every param is
// either a value of its declared type or a reason, and params the server accepted, written
// back as the vendor's answer shows them, read again as the same values.

#include "http/typed_params.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/json_body.hpp"
#include "tests/fuzz/property.hpp"

using namespace baton;
using baton::fuzz::require;

namespace {

/// Reads every member of a params object; reasons are kept apart from values.
struct read_params {
  model::values accepted;
  std::size_t refused = 0;
};

read_params read(http::dom::element root, std::string_view input) {
  read_params out;
  for (auto [name, spec] : http::as_object(root)) {
    auto parsed = http::typed_param(spec);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
      require(!reason->empty(), "a refused param says why", input);
      ++out.refused;
      continue;
    }
    auto& v = std::get<model::value>(parsed);
    require(v.k == model::value::kind::string || v.k == model::value::kind::integer ||
                v.k == model::value::kind::number || v.k == model::value::kind::boolean,
            "a typed param is a string, long, double or bool", input);
    out.accepted[std::string(name)] = std::move(v);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = http::parse_json_body(text);
  if (!body.ok()) return 0;
  auto first = read(body.root, text);

  auto shown = http::typed_params_json(first.accepted);
  auto again = http::parse_json_body(shown);
  require(again.ok(), "typed params write valid JSON", text);
  auto second = read(again.root, text);
  require(second.refused == 0, "typed params the server wrote are accepted again", text);
  require(second.accepted == first.accepted, "typed params read back as the same values", text);
  return 0;
}
