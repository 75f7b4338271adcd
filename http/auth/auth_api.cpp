#include "http/auth/auth_api.hpp"

#include <spdlog/spdlog.h>

#include "http/auth/grants.hpp"
#include "http/auth/guard.hpp"
#include "http/json_body.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "storage/audit_log.hpp"
#include "storage/status.hpp"

namespace baton::http::auth {

using beast_http::status;
using beast_http::verb;

namespace {

std::string client_json(const client& c) {
  std::string out = "{\"id\":\"" + c.id + "\",\"name\":\"" + json_escape(c.name) +
                    "\",\"role\":\"" + std::string(to_string(c.role)) + "\",\"definitions\":[";
  for (std::size_t i = 0; i < c.definitions.size(); ++i) {
    out += (i ? ",\"" : "\"") + json_escape(c.definitions[i]) + "\"";
  }
  out += "],\"enabled\":" + std::string(c.enabled ? "true" : "false") +
         ",\"createdMs\":" + std::to_string(c.created_ms) + "}";
  return out;
}

std::string with_secrets(const client& c, const issued_secrets& s) {
  auto out = client_json(c);
  out.pop_back();
  return out + ",\"password\":\"" + s.password + "\",\"apiKey\":\"" + s.api_key + "\"}";
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// application/x-www-form-urlencoded → value of `key` (last wins).
std::string form_value(std::string_view body, std::string_view key) {
  std::string found;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == key) {
      found = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return found;
}

using done_fn = client_directory::done_fn;

/// A write the store did not make durable: our fault, and likely brief. The caller gets 503
/// with Retry-After and no storage text; the log gets the text with the request id.
response not_stored(const std::string& request_id, std::string_view what,
                    const storage::status& failed) {
  spdlog::error("request {}: {} not stored: {}", request_id, what, failed.describe());
  // A full volume is 507, which clears only when an operator frees space.
  if (failed.code() == storage::storage_errc::no_space) {
    auto r = problem(status::insufficient_storage, "Insufficient storage",
                     "the data volume is full; nothing was changed. Retry after space is freed");
    r.set(beast_http::field::retry_after, "1");
    return r;
  }
  auto r = problem(status::service_unavailable, "Not stored",
                   "the change could not be stored; nothing was changed, try again");
  r.set(beast_http::field::retry_after, "1");
  return r;
}

/// 503 with Retry-After when no password check slot was free, in the route's own format.
response busy(response r, int retry_after) {
  r.set(beast_http::field::retry_after, std::to_string(retry_after));
  return r;
}

/// Answers a client mutation: the client (with its new secrets when `show_secrets`).
/// Runs from the group commit's callback: the answer goes out only once the change is durable.
done_fn answer_client(responder respond, status ok_status, bool show_secrets, audit_log& audit,
                      std::string event, std::string by, const request_context& ctx) {
  return [=, &audit, source = ctx.remote_address,
          request_id = ctx.request_id](client_directory::result r) {
    if (auto* error = std::get_if<client_error>(&r)) {
      using kind = client_error::kind;
      if (error->code == kind::not_stored) {
        return respond(not_stored(request_id, event, error->written));
      }
      auto code = error->code == kind::unknown        ? status::not_found
                  : error->code == kind::invalid_name ? status::bad_request
                                                      : status::conflict;
      return respond(problem(code, "Client not changed", error->message, "name"));
    }
    auto& [c, secrets] = std::get<0>(r);
    // Audit entries do not wait for their own sync: the change they record is durable
    // already, and losing the last entries in a crash loses no acknowledged state.
    audit.record(event, by, source, c.name);
    respond(json_response(ok_status, show_secrets ? with_secrets(c, secrets) : client_json(c)));
  };
}

void create_client(authenticator& auth, request_context ctx, const client& who, responder respond) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok() || !body.root.is_object()) {
    return respond(problem(status::bad_request, "Bad request", "body must be a JSON object", ""));
  }
  std::string name;
  role r = role::runner;
  std::vector<std::string> globs;
  for (auto [k, v] : as_object(body.root)) {
    if (k == "name" && v.is_string()) {
      name = std::string(v.get_string().value());
      if (auto refused = name_too_long(name, "/name")) return respond(std::move(*refused));
    } else if (k == "role" && v.is_string() && parse_role(v.get_string().value()))
      r = *parse_role(v.get_string().value());
    else if (k == "definitions" && v.is_array()) {
      for (auto g : as_array(v)) {
        if (!g.is_string())
          return respond(problem(status::bad_request, "Bad request", "definitions are name globs",
                                 "/definitions"));
        globs.emplace_back(g.get_string().value());
      }
    } else {
      return respond(problem(status::bad_request, "Bad request",
                             "expected name, role (runner, operator, admin), definitions",
                             "/" + std::string(k)));
    }
  }
  if (name.empty())
    return respond(problem(status::bad_request, "Bad request", "name is required", "/name"));
  auth.clients().create(
      name, r, globs,
      answer_client(respond, status::created, true, auth.audit(), "client_created", who.name, ctx));
}

response login_answer(status s, int code, std::string_view message) {
  std::string body = "{\"Code\":" + std::to_string(code) + ",\"Message\":\"" +
                     json_escape(message) +
                     "\",\"Exception\":null,\"PasswordChangeUrl\":null,\"RedirectUrl\":null}";
  return json_response(s, std::move(body));
}

void login(authenticator& auth, request_context ctx, responder respond) {
  auto body = parse_json_body(ctx.req.body());
  if (!body.ok() || !body.root.is_object()) {
    return respond(login_answer(status::bad_request, 1, "The request body is not valid JSON."));
  }
  auto obj = as_object(body.root);
  auto user = member(obj, "UserName");
  auto password = member(obj, "UserPassword");
  if (!user || !password || !user->is_string() || !password->is_string()) {
    return respond(login_answer(status::ok, 1, "UserName and UserPassword are required."));
  }
  std::string name(user->get_string().value());
  auto o = auth.check_password(name, password->get_string().value(), ctx.remote_address);
  if (o.result == outcome::kind::throttled) {
    auto r =
        login_answer(status::too_many_requests, 1, "Too many failed attempts; try again later.");
    r.set(beast_http::field::retry_after, std::to_string(o.retry_after));
    return respond(std::move(r));
  }
  if (o.result == outcome::kind::busy) {
    return respond(
        busy(login_answer(status::service_unavailable, 1, "Too many logins at once; try again."),
             o.retry_after));
  }
  if (o.result != outcome::kind::ok || o.who->id == o.who->name) {
    // Static config credentials have no client record to bind a session to.
    return respond(
        login_answer(status::ok, 1, "Either the user name or the password is incorrect."));
  }
  auth.grants().open_session(
      o.who->id,
      [&auth, who = o.who, respond, source = ctx.remote_address, request_id = ctx.request_id](
          const storage::status& written, const issued_session& s) {
        if (!written.ok()) return respond(not_stored(request_id, "session", written));
        auth.audit().record("login", who->name, source, "session");
        auto r = login_answer(status::ok, 0, "");
        r.insert(beast_http::field::set_cookie,
                 "BPMSESSIONID=" + s.id + "; Path=/; HttpOnly; SameSite=Lax");
        r.insert(beast_http::field::set_cookie,
                 ".ASPXAUTH=" + s.aspxauth + "; Path=/; HttpOnly; SameSite=Lax");
        r.insert(beast_http::field::set_cookie, "BPMCSRF=" + s.csrf + "; Path=/; SameSite=Lax");
        r.insert(beast_http::field::set_cookie, "UserName=" + who->name + "; Path=/; SameSite=Lax");
        respond(std::move(r));
      });
}

response logged_out() {
  auto r = login_answer(status::ok, 0, "");
  for (auto name : {"BPMSESSIONID", ".ASPXAUTH", "BPMCSRF", "UserName"}) {
    r.insert(beast_http::field::set_cookie, std::string(name) + "=; Path=/; Max-Age=0");
  }
  return r;
}

void logout(authenticator& auth, request_context ctx, responder respond) {
  // Only a request that proves the session (cookie + matching BPMCSRF header) ends it:
  // another site's form could send the cookie, never the header.
  auto sid = cookie(ctx, "BPMSESSIONID");
  if (sid.empty() || auth.authenticate(ctx, session).result != outcome::kind::ok) {
    return respond(logged_out());
  }
  auth.grants().close_session(
      sid, [&auth, respond, source = ctx.remote_address, request_id = ctx.request_id](
               const storage::status& written, bool closed) {
        if (!written.ok()) return respond(not_stored(request_id, "logout", written));
        if (closed) auth.audit().record("logout", "", source, "session");
        respond(logged_out());
      });
}

response oauth_error(status s, std::string_view error, std::string_view description) {
  return json_response(s, "{\"error\":\"" + std::string(error) + "\",\"error_description\":\"" +
                              json_escape(description) + "\"}");
}

void token(authenticator& auth, request_context ctx, responder respond) {
  if (!auth.settings().oauth_host.empty() &&
      ctx.header("x-forwarded-host") != auth.settings().oauth_host) {
    return respond(oauth_error(status::bad_request, "invalid_request", "wrong host"));
  }
  const auto& body = ctx.req.body();
  auto grant = form_value(body, "grant_type");
  std::string name, secret;
  if (grant == "password") {
    name = form_value(body, "username");
    secret = form_value(body, "password");
  } else if (grant == "client_credentials") {
    name = form_value(body, "client_id");
    secret = form_value(body, "client_secret");
  } else {
    return respond(
        oauth_error(status::bad_request, "unsupported_grant_type", "grant type not supported"));
  }
  auto o = auth.check_password(name, secret, ctx.remote_address);
  if (o.result == outcome::kind::throttled) {
    auto r = oauth_error(status::too_many_requests, "invalid_grant", "too many failed attempts");
    r.set(beast_http::field::retry_after, std::to_string(o.retry_after));
    return respond(std::move(r));
  }
  if (o.result == outcome::kind::busy) {
    return respond(busy(oauth_error(status::service_unavailable, "temporarily_unavailable",
                                    "too many password checks at once"),
                        o.retry_after));
  }
  if (o.result != outcome::kind::ok || o.who->id == o.who->name) {
    return respond(oauth_error(status::bad_request, "invalid_grant", "authentication failure"));
  }
  auto host = ctx.header("x-forwarded-host");
  if (host.empty()) host = ctx.header("host");
  auto instance = "https://" + std::string(host);
  auto id = instance + "/id/" + o.who->id;
  auth.grants().issue_token(
      o.who->id, id,
      [&auth, who = o.who, respond, instance, id, grant, source = ctx.remote_address,
       request_id = ctx.request_id](const storage::status& written, const issued_token& t) {
        if (!written.ok()) return respond(not_stored(request_id, "token", written));
        auth.audit().record("token_issued", who->name, source, grant);
        respond(json_response(status::ok, "{\"access_token\":\"" + t.access_token +
                                              "\",\"instance_url\":\"" + json_escape(instance) +
                                              "\",\"id\":\"" + json_escape(id) +
                                              "\",\"token_type\":\"Bearer\",\"issued_at\":\"" +
                                              std::to_string(t.issued_ms) + "\",\"signature\":\"" +
                                              t.signature + "\"}"));
      });
}

}  // namespace

void add_auth_routes(router& routes, authenticator& auth) {
  auto admin = [&auth](guarded_handler h) {
    return protect(auth, native_schemes, role::admin, problem_format, std::move(h));
  };
  routes.add(verb::get, "/api/v1/clients",
             admin([&auth](request_context, const client&, responder respond) {
               std::string out = "[";
               for (const auto& c : auth.clients().list())
                 out += (out.size() > 1 ? "," : "") + client_json(c);
               respond(json_response(status::ok, out + "]"));
             }));
  routes.add(verb::post, "/api/v1/clients",
             admin([&auth](request_context ctx, const client& who, responder respond) {
               create_client(auth, std::move(ctx), who, std::move(respond));
             }));
  routes.add(verb::get, "/api/v1/clients/{name}",
             admin([&auth](request_context ctx, const client&, responder respond) {
               auto c = auth.clients().find(ctx.param("name"));
               if (!c)
                 return respond(problem(status::not_found, "Not found", "unknown client", "name"));
               respond(json_response(status::ok, client_json(*c)));
             }));
  routes.add(verb::post, "/api/v1/clients/{name}/rotate",
             admin([&auth](request_context ctx, const client& who, responder respond) {
               auth.clients().rotate(ctx.param("name"),
                                     answer_client(respond, status::ok, true, auth.audit(),
                                                   "client_rotated", who.name, ctx));
             }));
  routes.add(verb::delete_, "/api/v1/clients/{name}",
             admin([&auth](request_context ctx, const client& who, responder respond) {
               auto name = ctx.param("name");
               if (name == who.name || name == who.id) {
                 // An admin who deletes itself may leave nobody able to make clients.
                 return respond(problem(status::conflict, "Client not changed",
                                        "a client cannot delete itself", "name"));
               }
               // 200 with the client as it was, so a script sees what it deleted.
               auth.clients().remove(name, answer_client(respond, status::ok, false, auth.audit(),
                                                         "client_deleted", who.name, ctx));
             }));
  for (bool enable : {false, true}) {
    routes.add(verb::post,
               enable ? "/api/v1/clients/{name}/enable" : "/api/v1/clients/{name}/disable",
               admin([&auth, enable](request_context ctx, const client& who, responder respond) {
                 auth.clients().set_enabled(
                     ctx.param("name"), enable,
                     answer_client(respond, status::ok, false, auth.audit(),
                                   enable ? "client_enabled" : "client_disabled", who.name, ctx));
               }));
  }
  routes.add(verb::get, "/api/v1/audit",
             admin([&auth](request_context ctx, const client&, responder respond) {
               std::size_t limit = 100;
               if (auto l = ctx.query_value("limit"))
                 limit = std::clamp<std::size_t>(std::atoi(std::string(*l).c_str()), 1, 10'000);
               respond(json_response(status::ok, auth.audit().latest_json(
                                                     limit, ctx.query_value("type").value_or(""))));
             }));
  routes.add(verb::post, "/services/oauth2/token", [&auth](request_context ctx, responder respond) {
    token(auth, std::move(ctx), std::move(respond));
  });
  routes.add(verb::post, "/services/oauth2/revoke",
             [&auth](request_context ctx, responder respond) {
               auto t = form_value(ctx.req.body(), "token");
               // RFC 7009: the same answer for unknown tokens.
               if (t.empty()) return respond(text_response(status::ok, ""));
               auth.grants().revoke_token(
                   t, [&auth, respond, source = ctx.remote_address, request_id = ctx.request_id](
                          const storage::status& written, bool revoked) {
                     if (!written.ok())
                       return respond(not_stored(request_id, "revocation", written));
                     if (revoked) auth.audit().record("token_revoked", "", source);
                     respond(text_response(status::ok, ""));
                   });
             });
  for (std::string prefix : {"", "/0"}) {
    routes.add(verb::post, prefix + "/ServiceModel/AuthService.svc/Login",
               [&auth](request_context ctx, responder respond) {
                 login(auth, std::move(ctx), std::move(respond));
               });
    routes.add(verb::post, prefix + "/ServiceModel/AuthService.svc/Logout",
               [&auth](request_context ctx, responder respond) {
                 logout(auth, std::move(ctx), std::move(respond));
               });
  }
}

}  // namespace baton::http::auth
