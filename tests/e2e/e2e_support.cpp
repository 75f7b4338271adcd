#include "tests/e2e/e2e_support.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace baton::test::e2e {

command_result run_command(const std::string& command, bool with_stderr) {
  command_result result;
  FILE* pipe = ::popen((with_stderr ? command + " 2>&1" : command).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

command_result run_baton(const std::vector<std::string>& args) {
  std::string command = BATON_BINARY;
  for (const auto& a : args) command += " '" + a + "'";
  return run_command(command);
}

json::value parse(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) throw std::runtime_error("not JSON (" + ec.message() + "): " + std::string(text));
  return v;
}

json::object object_of(const test_response& r) {
  auto v = parse(r.body);
  if (!v.is_object()) throw std::runtime_error("not a JSON object: " + r.body);
  return v.as_object();
}

std::string text(const json::object& obj, std::string_view key) {
  auto* v = obj.if_contains(key);
  if (!v || !v->is_string()) return {};
  return std::string(v->as_string());
}

void definitions_folder::add(const std::string& name, std::string_view json) {
  std::ofstream out(dir_.path() / (name + ".json"));
  out << json;
  if (!out) throw std::runtime_error("cannot write definition " + name);
}

bool wait_ready(std::uint16_t port, std::chrono::steady_clock::time_point until) {
  for (;;) {
    try {
      if (http_call(port, "GET", "/readyz").status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
  }
}

std::uint16_t restart(baton_server& server) {
  server.start();
  if (!wait_ready(server.port(), std::chrono::steady_clock::now() + std::chrono::seconds(10)))
    FAIL("server not ready 10 s after restart:\n" << server.output());
  return server.port();
}

test_response deploy(std::uint16_t port, const std::string& name, std::string_view json,
                     header_list headers) {
  return http_call(port, "PUT", "/api/v1/definitions/" + name, std::string(json),
                   std::move(headers));
}

std::string start(std::uint16_t port, std::string_view body, header_list headers) {
  auto r = http_call(port, "POST", "/api/v1/processes", std::string(body), std::move(headers));
  INFO("start " << body << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  auto id = text(object_of(r), "id");
  REQUIRE(!id.empty());
  return id;
}

json::object get_process(std::uint16_t port, const std::string& id, header_list headers) {
  auto r = http_call(port, "GET", "/api/v1/processes/" + id, {}, std::move(headers));
  INFO("GET process " << id << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return object_of(r);
}

json::array history(std::uint16_t port, const std::string& id) {
  auto r = http_call(port, "GET", "/api/v1/processes/" + id + "/history");
  INFO("GET history " << id << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto obj = object_of(r);
  REQUIRE(obj.contains("items"));
  REQUIRE(obj.at("items").is_array());
  return obj.at("items").as_array();
}

json::object wait_until(std::uint16_t port, const std::string& id,
                        const std::function<bool(const json::object&)>& done,
                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto p = get_process(port, id);
    if (done(p) || std::chrono::steady_clock::now() >= deadline) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

json::object wait_for_status(std::uint16_t port, const std::string& id, std::string_view status,
                             std::chrono::milliseconds timeout) {
  return wait_until(
      port, id, [&](const json::object& p) { return text(p, "status") == status; }, timeout);
}

std::string last_step_id(const json::object& process) {
  auto* steps = process.if_contains("steps");
  if (!steps || !steps->is_array() || steps->as_array().empty()) return {};
  const auto& last = steps->as_array().back();
  if (!last.is_object()) return {};
  return text(last.as_object(), "processStepId");
}

test_response complete_step(std::uint16_t port, const std::string& step,
                            std::string_view params_json, header_list headers) {
  std::string body = "{\"processStepId\":" + json::serialize(json::string(step));
  if (!params_json.empty()) body += ",\"params\":" + std::string(params_json);
  body += '}';
  return http_call(port, "POST", "/api/v1/processes/complete-step", std::move(body),
                   std::move(headers));
}

header_list key_header(const std::string& key) { return {{"x-api-key", key}}; }

std::string admin_key(const baton_server& server) {
  std::ifstream in(server.data_dir() / "data" / "initial-admin-key");
  std::string key;
  in >> key;
  return key;
}

new_client create_client(std::uint16_t port, const std::string& admin, const std::string& name,
                         const std::string& role, const std::string& globs_json) {
  auto r = http_call(
      port, "POST", "/api/v1/clients",
      R"({"name":")" + name + R"(","role":")" + role + R"(","definitions":)" + globs_json + "}",
      key_header(admin));
  INFO("create client " << name << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  auto o = object_of(r);
  new_client c{text(o, "id"), text(o, "name"), text(o, "password"), text(o, "apiKey")};
  REQUIRE(c.name == name);
  REQUIRE(!c.password.empty());
  REQUIRE(c.api_key.size() == 64);
  return c;
}

bool is_iso_utc_ms(const std::string& text) {
  static const std::regex iso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(text, iso);
}

double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace baton::test::e2e
