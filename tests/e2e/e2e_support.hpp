#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/baton_server.hpp"
#include "tests/support/test_client.hpp"

/// Helpers shared by the end-to-end tests: JSON answers, a folder of definitions, polling.
namespace baton::test::e2e {

namespace json = boost::json;

/// Parses `text` as JSON. @throws std::runtime_error naming the text when it is not JSON.
json::value parse(std::string_view text);
/// Parses an answer's body as a JSON object. @throws when it is not one.
json::object object_of(const test_response& r);

/// The string at `key` of `obj`; empty when absent or not a string.
std::string text(const json::object& obj, std::string_view key);

/// What a command printed and how it ended.
struct command_result {
  std::string output;
  int exit_code = -1;  ///< -1 when it did not exit normally
};

/// Runs a shell command and waits for it. `output` holds its standard output, and its
/// standard error too unless `with_stderr` is false.
command_result run_command(const std::string& command, bool with_stderr = true);

/// Runs the real `baton` binary with `args` (each quoted; test paths hold no quote).
command_result run_baton(const std::vector<std::string>& args);

/// A temporary folder of definitions, for `server_options::definitions`.
class definitions_folder {
 public:
  /// Writes `json` as `<name>.json`.
  void add(const std::string& name, std::string_view json);
  std::string path() const { return dir_.path().string(); }

 private:
  temp_dir dir_;
};

/// Polls GET /readyz every 20 ms until it answers 200 (true) or `until` passes (false); a
/// refused connection counts as not ready yet. No Catch macros: worker threads may call it.
bool wait_ready(std::uint16_t port, std::chrono::steady_clock::time_point until);

/// Starts `server` again on its data folder (after a `kill9` or `stop`) and REQUIREs it ready
/// within 10 s, failing with the server's output. @returns its new port.
std::uint16_t restart(baton_server& server);

/// PUT /api/v1/definitions/{name}. @returns the answer.
test_response deploy(std::uint16_t port, const std::string& name, std::string_view json,
                     header_list headers = {});

/// POST /api/v1/processes with `body`; REQUIREs 201 and @returns the process id.
std::string start(std::uint16_t port, std::string_view body, header_list headers = {});

/// GET /api/v1/processes/{id}; REQUIREs 200 and @returns the process.
json::object get_process(std::uint16_t port, const std::string& id, header_list headers = {});

/// GET /api/v1/processes/{id}/history; REQUIREs 200 and @returns its items.
json::array history(std::uint16_t port, const std::string& id);

/// Polls the process every 20 ms until `done` holds or `timeout` passes.
/// @returns the last process seen (check it: the deadline does not fail by itself).
json::object wait_until(std::uint16_t port, const std::string& id,
                        const std::function<bool(const json::object&)>& done,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
/// Polls `done` every 20 ms until it holds or `timeout` passes; @returns whether it held.
template <class Condition>
bool eventually(Condition done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

/// `wait_until` the process status is `status`.
json::object wait_for_status(std::uint16_t port, const std::string& id, std::string_view status,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The processStepId of the process' last step execution; empty when it has none.
std::string last_step_id(const json::object& process);

/// POST /api/v1/processes/complete-step with `{"processStepId": step, "params": params}`.
/// `params_json` is the JSON text of the params object ("" leaves params out).
test_response complete_step(std::uint16_t port, const std::string& step,
                            std::string_view params_json = "{}", header_list headers = {});

/// `x-api-key: key`.
header_list key_header(const std::string& key);

/// The admin key a server with auth required wrote at its first start.
std::string admin_key(const baton_server& server);

struct new_client {
  std::string id;
  std::string name;
  std::string password;
  std::string api_key;
};

/// POST /api/v1/clients as the admin; REQUIREs 201 with both secrets.
new_client create_client(std::uint16_t port, const std::string& admin, const std::string& name,
                         const std::string& role, const std::string& globs_json = R"(["*"])");

/// The value of the sample `series` (name and labels, exactly) in Prometheus text; -1 if absent.
double sample(const std::string& text, const std::string& series);

/// True when `text` is an ISO-8601 UTC instant with milliseconds: 2024-01-31T12:34:56.789Z.
bool is_iso_utc_ms(const std::string& text);

}  // namespace baton::test::e2e
