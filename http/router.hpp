#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_context.hpp"

namespace baton::http {

/// Maps (method, path) to a handler. Patterns are `/`-separated segments, each a literal,
/// a `{name}` parameter (one non-empty segment) or, last only, a `{*name}` catch-all (the
/// rest of the path, possibly empty, without its leading `/`). Patterns are compiled into
/// a segment tree once; matching walks it without regexes or allocation beyond the
/// request's own strings. At any depth a literal segment wins over a parameter, and a
/// parameter over a catch-all; a later branch is tried only when an earlier one leads
/// nowhere. A path that ends in one `/` matches as if it did not.
///
/// A HEAD request without its own route runs the GET handler (the server drops the body).
///
/// Routes are added before the server starts; after that the router is read-only and
/// `resolve`/`dispatch` may run on any number of threads at once.
class router {
 public:
  /// What `resolve` found.
  struct resolution {
    const handler* target = nullptr;  ///< the handler to run; null when `error` is the answer
    std::string_view route;           ///< the matched pattern (stable while the router lives)
  };

  router();
  ~router();
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  /// Registers `h` for `method` on `pattern`, e.g. `"/api/v1/processes/{id}/steps/{stepId}"`.
  /// Several patterns may share one handler: register each.
  /// @pre no server is using this router yet.
  /// @throws std::invalid_argument when the pattern is malformed (no leading `/`, an empty
  ///         segment, a stray brace, a catch-all not last) or (method, pattern shape) is taken.
  void add(beast_http::verb method, std::string pattern, handler h);

  /// Fills `ctx.path` (percent-decoded), `ctx.query` (decoded, `+` as space, in order),
  /// `ctx.path_params` and `ctx.route` from `ctx.req`.
  /// @returns the handler to run, or a null target with `error` set to a problem+json
  ///          answer: 400 for a target that is not origin-form, 404 for an unknown path,
  ///          405 with `Allow` for a known path with another method.
  resolution resolve(request_context& ctx, response& error) const;

  /// `resolve`, then runs the handler with `respond`, or answers the error through it.
  /// Exceptions from the handler propagate to the caller.
  void dispatch(request_context ctx, responder respond) const;

  /// One registered route, as given to `add`.
  struct route_entry {
    beast_http::verb method;
    std::string pattern;
  };

  /// Every registered (method, pattern), sorted by pattern then method: lets a test hold each
  /// route to a table of expectations, so that a new route cannot go unchecked.
  std::vector<route_entry> routes() const;

 private:
  struct node;
  std::unique_ptr<node> root_;
};

}  // namespace baton::http
