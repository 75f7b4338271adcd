#include "outgoing/allow_list.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <optional>

namespace baton::outgoing {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::variant<url_target, std::string> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "invalid url: " + std::string(url);
  url_target out;
  auto scheme = lower(parsed->scheme());
  out.tls = scheme == "https";
  if (!out.tls && scheme != "http") return "unsupported scheme: " + scheme;
  out.host = parsed->host_address();
  if (out.host.empty()) return "invalid url: " + std::string(url);
  out.port = parsed->has_port() ? parsed->port_number() : (out.tls ? 443 : 80);
  if (parsed->has_port() && out.port == 0) return "invalid url: " + std::string(url);
  out.authority = parsed->encoded_host_and_port();
  out.target = parsed->encoded_path();
  if (out.target.empty()) out.target = "/";
  if (parsed->has_query()) {
    out.target += '?';
    out.target += parsed->encoded_query();
  }
  return out;
}

allow_list::allow_list(const std::vector<std::string>& entries) {
  for (std::string_view text : entries) {
    // "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 address has no port.
    entry e;
    std::string_view port_text;
    bool ok = true;
    if (!text.empty() && text.front() == '[') {
      auto close = text.find(']');
      ok = close != std::string_view::npos;
      if (ok) {
        e.host = lower(text.substr(1, close - 1));
        auto after = text.substr(close + 1);
        ok = after.empty() || after.front() == ':';
        if (ok && !after.empty()) port_text = after.substr(1), e.any_port = false;
      }
    } else if (auto colon = text.find(':'); colon != std::string_view::npos &&
                                            text.find(':', colon + 1) == std::string_view::npos) {
      e.host = lower(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      e.any_port = false;
    } else {
      e.host = lower(text);
    }
    if (ok && !e.any_port) {
      auto port = parse_port(port_text);
      ok = port.has_value();
      e.port = port.value_or(0);
    }
    if (ok && !e.host.empty())
      entries_.push_back(std::move(e));
    else
      malformed_.emplace_back(text);
  }
}

bool allow_list::allows(std::string_view host, std::uint16_t port) const {
  auto h = lower(host);
  return std::ranges::any_of(
      entries_, [&](const entry& e) { return e.host == h && (e.any_port || e.port == port); });
}

std::string allow_list::refusal(const url_target& target) const {
  return allows(target.host, target.port) ? std::string{} : "host not allowed: " + target.authority;
}

}  // namespace baton::outgoing
