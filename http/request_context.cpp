#include "http/request_context.hpp"

#include <boost/beast/core/string.hpp>
#include <charconv>

namespace baton::http {

std::string_view request_context::param(std::string_view name) const {
  for (const auto& [key, value] : path_params)
    if (key == name) return value;
  return {};
}

std::optional<std::string_view> request_context::query_value(std::string_view name) const {
  // The last occurrence wins, as most frameworks do for a repeated scalar parameter.
  for (auto it = query.rbegin(); it != query.rend(); ++it)
    if (it->first == name) return std::string_view{it->second};
  return std::nullopt;
}

std::string_view request_context::header(std::string_view name) const {
  // Beast's field lookup by name is already case-insensitive.
  auto it = req.find(boost::beast::string_view{name.data(), name.size()});
  if (it == req.end()) return {};
  auto value = it->value();
  return {value.data(), value.size()};
}

std::optional<std::int64_t> parse_whole_int(std::string_view text) {
  std::int64_t v{};
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace baton::http
