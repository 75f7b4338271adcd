#include "http/router.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/http/verb.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "http/problem.hpp"

namespace baton::http {

namespace {

/// A registered pattern: its text (the metrics label and `ctx.route`) and where its
/// parameters sit.
struct route_info {
  std::string pattern;
  std::vector<std::pair<std::size_t, std::string>> params;  ///< segment index, name
  std::string rest_name;  ///< name of the trailing catch-all; empty when there is none
};

struct endpoint {
  beast_http::verb method;
  handler target;
  std::shared_ptr<const route_info> route;
};

const endpoint* pick(const std::vector<endpoint>& endpoints, beast_http::verb method) {
  for (const auto& e : endpoints)
    if (e.method == method) return &e;
  if (method == beast_http::verb::head)
    for (const auto& e : endpoints)
      if (e.method == beast_http::verb::get) return &e;
  return nullptr;
}

std::uint64_t bit(beast_http::verb method) {
  auto index = static_cast<unsigned>(method);
  return index < 64 ? std::uint64_t{1} << index : 0;
}

/// Whether `target` is a path with nothing for Boost.URL to check or decode: '/' and then
/// only pchars other than escapes (RFC 3986: unreserved, sub-delims, ':' and '@') and '/',
/// so no query either. Such a target is valid origin-form as it is, and checking it here
/// costs a tenth of Boost.URL's parse (~2k instructions per request, callgrind).
bool is_plain_path(std::string_view target) {
  static constexpr auto allowed = [] {
    std::array<bool, 256> a{};
    for (unsigned char c : std::string_view{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-._~!$&'()*+,;=:@/"})
      a[c] = true;
    return a;
  }();
  if (target.empty() || target.front() != '/') return false;
  for (unsigned char c : target)
    if (!allowed[c]) return false;
  return true;
}

bool is_param(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

struct router::node {
  std::vector<std::pair<std::string, std::unique_ptr<node>>> literals;  ///< sorted by text
  std::unique_ptr<node> param;
  std::vector<endpoint> here;  ///< patterns that end at this node
  std::vector<endpoint> rest;  ///< catch-all patterns whose fixed part ends at this node

  const node* literal(std::string_view text) const {
    auto it =
        std::lower_bound(literals.begin(), literals.end(), text,
                         [](const auto& entry, std::string_view t) { return entry.first < t; });
    return it != literals.end() && it->first == text ? it->second.get() : nullptr;
  }

  node& literal_or_new(std::string_view text) {
    auto it =
        std::lower_bound(literals.begin(), literals.end(), text,
                         [](const auto& entry, std::string_view t) { return entry.first < t; });
    if (it == literals.end() || it->first != text)
      it = literals.emplace(it, std::string{text}, std::make_unique<node>());
    return *it->second;
  }
};

namespace {

/// One depth-first match of a path's segments against the tree.
struct search {
  std::span<const std::string_view> segments;
  beast_http::verb method;
  const endpoint* found = nullptr;
  std::size_t rest_from = 0;  ///< first segment of the catch-all
  std::uint64_t allowed = 0;  ///< methods of every node the path reaches, for 405
};

void note(const std::vector<endpoint>& endpoints, search& s) {
  for (const auto& e : endpoints) s.allowed |= bit(e.method);
}

// Each node is visited at most once (its depth fixes the segment index), so a miss costs
// at most the size of the tree and a hit usually one path through it.
template <class Node>
bool walk(const Node& n, std::size_t i, search& s) {
  if (i == s.segments.size()) {
    if (const auto* e = pick(n.here, s.method)) {
      s.found = e;
      return true;
    }
    note(n.here, s);
  } else {
    if (const auto* child = n.literal(s.segments[i]); child && walk(*child, i + 1, s)) return true;
    if (n.param && !s.segments[i].empty() && walk(*n.param, i + 1, s)) return true;
  }
  if (!n.rest.empty()) {
    if (const auto* e = pick(n.rest, s.method)) {
      s.found = e;
      s.rest_from = i;
      return true;
    }
    note(n.rest, s);
  }
  return false;
}

std::string allow_header(std::uint64_t allowed) {
  if (allowed & bit(beast_http::verb::get)) allowed |= bit(beast_http::verb::head);
  std::string out;
  for (unsigned i = 0; i < 64; ++i) {
    if (!(allowed & (std::uint64_t{1} << i))) continue;
    if (!out.empty()) out += ", ";
    auto name = beast_http::to_string(static_cast<beast_http::verb>(i));
    out.append(name.data(), name.size());
  }
  return out;
}

}  // namespace

router::router() : root_(std::make_unique<node>()) {}

router::~router() = default;

void router::add(beast_http::verb method, std::string pattern, handler h) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  auto info = std::make_shared<route_info>();
  info->pattern = pattern;

  std::string_view rest{pattern};
  rest.remove_prefix(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);

  node* at = root_.get();
  std::size_t index = 0;
  bool catch_all = false;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty()) throw std::invalid_argument("empty segment in route pattern: " + pattern);
    if (catch_all) throw std::invalid_argument("a catch-all must be the last segment: " + pattern);
    if (is_param(segment)) {
      auto name = segment.substr(1, segment.size() - 2);
      if (!name.empty() && name.front() == '*') {
        name.remove_prefix(1);
        catch_all = true;
        if (name.empty()) throw std::invalid_argument("unnamed catch-all: " + pattern);
        info->rest_name = std::string{name};
        continue;
      }
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad parameter in route pattern: " + pattern);
      info->params.emplace_back(index, std::string{name});
      if (!at->param) at->param = std::make_unique<node>();
      at = at->param.get();
    } else {
      if (segment.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("stray brace in route pattern: " + pattern);
      at = &at->literal_or_new(segment);
    }
    ++index;
  }

  auto& endpoints = catch_all ? at->rest : at->here;
  for (const auto& e : endpoints)
    if (e.method == method)
      throw std::invalid_argument(
          "route already registered: " + std::string{beast_http::to_string(method)} + " " +
          pattern + " (as " + e.route->pattern + ")");
  endpoints.push_back(endpoint{method, std::move(h), std::move(info)});
}

router::resolution router::resolve(request_context& ctx, response& error) const {
  auto target = std::string_view{ctx.req.target().data(), ctx.req.target().size()};
  std::optional<boost::urls::url_view> url;  ///< none for a plain path
  std::string_view encoded = target;
  if (!is_plain_path(target)) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      error =
          problem(beast_http::status::bad_request, "Bad Request",
                  "the request target is not a valid origin-form URI", "target", ctx.req.version());
      return {};
    }
    url = *parsed;
    encoded = url->encoded_path();
  }

  // Decode each segment on its own, so that an encoded '/' (%2F) stays inside its segment.
  // The decoded path is never longer than the encoded one, so the views into it stay valid.
  // Most paths have nothing to decode: they are split as they are, without Boost.URL's
  // per-character segment iterators (a third of the routing cost of a status GET).
  // Few paths have more than 8 segments, so these stay on the stack.
  boost::container::small_vector<std::string_view, 8> segments;
  if (encoded.find('%') == std::string_view::npos) {
    ctx.path.assign(encoded.data(), encoded.size());
    // As Boost.URL counts them: "/" has no segment, "/a/" has "a" and "".
    if (ctx.path.size() > 1)
      for (std::size_t start = 1;;) {
        auto slash = ctx.path.find('/', start);
        auto end = slash == std::string::npos ? ctx.path.size() : slash;
        segments.emplace_back(ctx.path.data() + start, end - start);
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
  } else {
    ctx.path.clear();
    ctx.path.reserve(encoded.size() + 1);
    boost::container::small_vector<std::pair<std::size_t, std::size_t>, 8> spans;
    for (auto segment : url->encoded_segments()) {
      ctx.path += '/';
      auto start = ctx.path.size();
      auto decoded = *segment;
      ctx.path.append(decoded.begin(), decoded.end());
      spans.emplace_back(start, ctx.path.size() - start);
    }
    for (auto [start, size] : spans) segments.emplace_back(ctx.path.data() + start, size);
  }
  if (ctx.path.empty()) ctx.path = "/";
  if (!segments.empty() && segments.back().empty()) segments.pop_back();

  ctx.query.clear();
  if (url && url->has_query())
    for (auto p : url->params()) ctx.query.emplace_back(std::move(p.key), std::move(p.value));

  search s{segments, ctx.req.method()};
  if (!walk(*root_, 0, s)) {
    if (s.allowed != 0) {
      error = problem(beast_http::status::method_not_allowed, "Method Not Allowed",
                      std::string{ctx.req.method_string()} + " is not allowed on " + ctx.path, {},
                      ctx.req.version());
      error.set(beast_http::field::allow, allow_header(s.allowed));
    } else {
      error = problem(beast_http::status::not_found, "Not Found", "no resource at " + ctx.path, {},
                      ctx.req.version());
    }
    return {};
  }

  const auto& info = *s.found->route;
  ctx.path_params.clear();
  ctx.path_params.reserve(info.params.size() + (info.rest_name.empty() ? 0 : 1));
  for (const auto& [index, name] : info.params) {
    // Every {name} in a path is a name or an id; none is longer than a client may give.
    if (auto refused = name_too_long(segments[index], name, ctx.req.version())) {
      error = std::move(*refused);
      return {};
    }
    ctx.path_params.emplace_back(name, std::string{segments[index]});
  }
  if (!info.rest_name.empty()) {
    std::string rest;
    if (s.rest_from < segments.size()) {
      const char* first = segments[s.rest_from].data();
      const char* last = segments.back().data() + segments.back().size();
      rest.assign(first, last);
    }
    ctx.path_params.emplace_back(info.rest_name, std::move(rest));
  }
  ctx.route = info.pattern;
  return {&s.found->target, info.pattern};
}

std::vector<router::route_entry> router::routes() const {
  std::vector<route_entry> out;
  auto collect = [&out](const node& n, auto& self) -> void {
    for (const auto* endpoints : {&n.here, &n.rest})
      for (const auto& e : *endpoints) out.push_back({e.method, e.route->pattern});
    for (const auto& [text, child] : n.literals) self(*child, self);
    if (n.param) self(*n.param, self);
  };
  collect(*root_, collect);
  std::sort(out.begin(), out.end(), [](const route_entry& a, const route_entry& b) {
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.method < b.method;
  });
  return out;
}

void router::dispatch(request_context ctx, responder respond) const {
  response error;
  auto found = resolve(ctx, error);
  if (found.target)
    (*found.target)(std::move(ctx), std::move(respond));
  else
    respond(std::move(error));
}

}  // namespace baton::http
