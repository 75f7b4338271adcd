#include "cmd/cli_client.hpp"

#include <boost/json.hpp>
#include <future>
#include <iostream>

#include "cmd/cli_output.hpp"
#include "outgoing/client.hpp"

namespace baton::cmd {

namespace json = boost::json;

int exit_code_of(const cli_reply& r) {
  if (r.ok()) return exit_ok;
  if (r.status == 404) return exit_not_found;
  if (r.status >= 400 && r.status < 500) return exit_refused;
  return exit_server;
}

namespace {

std::string string_at(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string failure_message(const cli_reply& r) {
  if (r.status == 0) return "cannot reach the server: " + r.error;
  std::string head = "server answered " + std::to_string(r.status);
  json::error_code ec;
  auto parsed = json::parse(r.body, ec);
  if (ec || !parsed.is_object()) {
    auto text = r.body.substr(0, 200);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text.empty() ? head : head + ": " + text;
  }
  const auto& o = parsed.as_object();
  // RFC 9457 problem+json: title, detail, and the field at fault.
  if (o.contains("title")) {
    std::string out = head + " " + string_at(o, "title");
    if (auto detail = string_at(o, "detail"); !detail.empty()) out += ": " + detail;
    if (auto field = string_at(o, "field"); !field.empty()) out += " (field " + field + ")";
    // A 412 of step completion lists every failing param and the contract to meet.
    if (auto* errors = o.if_contains("errors");
        errors && errors->is_array() && o.contains("expected")) {
      for (const auto& e : errors->as_array()) {
        if (!e.is_object()) continue;
        out += "; " + string_at(e.as_object(), "field") + ": " + string_at(e.as_object(), "reason");
      }
    }
    if (auto* expected = o.if_contains("expected")) out += "; expected " + contract_text(*expected);
    return out;
  }
  // The vendor envelope of complete-step: a message and a reason per failing name.
  if (o.contains("message")) {
    std::string out = head + " " + string_at(o, "message");
    if (auto* data = o.if_contains("data"); data && data->is_object()) {
      for (const auto& [name, why] : data->as_object()) {
        out += "; " + std::string(name) + ": " +
               (why.is_string() ? std::string(why.as_string()) : json::serialize(why));
      }
    }
    return out;
  }
  return head + ": " + json::serialize(parsed);
}

std::string encode_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string query_string(std::initializer_list<std::pair<const char*, std::string>> pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (value.empty()) continue;
    out += (out.empty() ? "?" : "&") + std::string(name) + "=" + encode_component(value);
  }
  return out;
}

cli_client::cli_client(cli_target target) : target_(std::move(target)) {
  outgoing::client_options options;
  options.any_host = true;  // the user named this server; no definition's allow-list applies
  options.ca_file = target_.ca_file;
  options.response_limit = 64 << 20;
  http_ = std::make_unique<outgoing::client>(config::outgoing_settings{}, options);
}

cli_client::~cli_client() = default;

cli_reply cli_client::call(std::string_view method, const std::string& path, std::string body,
                           std::chrono::milliseconds timeout) {
  outgoing::outgoing_request req;
  req.method = std::string(method);
  req.url = target_.url + path;
  req.timeout = timeout;
  if (!target_.key.empty()) req.headers.emplace_back("x-api-key", target_.key);
  if (!body.empty()) req.headers.emplace_back("content-type", "application/json");
  req.headers.emplace_back("accept", "application/json");
  req.body = std::move(body);
  std::promise<outgoing::outgoing_response> done;
  auto answer = done.get_future();
  http_->call(std::move(req),
              [&done](outgoing::outgoing_response res) { done.set_value(std::move(res)); });
  auto res = answer.get();
  return cli_reply{res.status, std::move(res.body), std::move(res.error)};
}

int cli_client::report(const cli_reply& r) const {
  std::cerr << "baton: " << failure_message(r) << "\n";
  return exit_code_of(r);
}

}  // namespace baton::cmd
