#include "http/auth/guard.hpp"

#include "http/problem.hpp"
#include "storage/audit_log.hpp"

namespace baton::http::auth {

using beast_http::status;

response problem_format(status s, std::string_view message) {
  std::string_view title = s == status::unauthorized          ? "Unauthorized"
                           : s == status::forbidden           ? "Forbidden"
                           : s == status::too_many_requests   ? "Too many failed attempts"
                           : s == status::service_unavailable ? "Busy"
                                                              : "Error";
  return problem(s, title, message);
}

handler protect(authenticator& auth, unsigned schemes, role need, error_format format,
                guarded_handler h) {
  return [&auth, schemes, need, format = std::move(format), h = std::move(h)](request_context&& ctx,
                                                                              responder respond) {
    auto o = auth.authenticate(ctx, schemes);
    switch (o.result) {
      case outcome::kind::ok:
        break;
      case outcome::kind::throttled: {
        auto r = format(status::too_many_requests, "too many failed attempts; try again later");
        r.set(beast_http::field::retry_after, std::to_string(o.retry_after));
        return respond(std::move(r));
      }
      case outcome::kind::busy: {
        auto r = format(status::service_unavailable, "too many password checks at once; retry");
        r.set(beast_http::field::retry_after, std::to_string(o.retry_after));
        return respond(std::move(r));
      }
      default: {
        // One message for every failure: it never says whether the name or the secret was
        // wrong. A hint says only what a client must send besides (a missing CSRF header).
        auto r =
            format(status::unauthorized, o.result == outcome::kind::missing ? "credentials required"
                                         : !o.hint.empty()                  ? o.hint
                                                           : "invalid credentials");
        // A script's request (the web UI's) gets no Basic challenge: a browser would answer
        // it with its own password dialog instead of letting the page say what went wrong.
        bool script = !ctx.header("X-Requested-With").empty();
        r.set(beast_http::field::www_authenticate,
              authenticator::challenge(script ? schemes & ~unsigned{basic} : schemes));
        return respond(std::move(r));
      }
    }
    if (!allows(o.who->role, need)) {
      return respond(format(status::forbidden, "role " + std::string(to_string(o.who->role)) +
                                                   " may not do this; it needs " +
                                                   std::string(to_string(need))));
    }
    h(std::move(ctx), *o.who, std::move(respond));
  };
}

guarded_handler audited(authenticator& auth, const char* event, guarded_handler h) {
  return [&auth, event, h = std::move(h)](request_context&& ctx, const client& who,
                                          responder respond) {
    respond = [respond, &auth, event, name = who.name, source = ctx.remote_address,
               path = ctx.path](response r) {
      if (r.result_int() < 300) auth.audit().record(event, name, source, path);
      respond(std::move(r));
    };
    h(std::move(ctx), who, std::move(respond));
  };
}

}  // namespace baton::http::auth
