// The `baton` client commands against a real server: each command's output and exit code
// (0 ok, 1 usage, 2 not found, 3 refused, 4 server error or unreachable), the connection
// settings' precedence (flags, then BATON_URL/BATON_KEY, then the profile) and completion.

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/e2e/e2e_support.hpp"

using namespace baton::test;
using namespace baton::test::e2e;

namespace {

/// Runs the real `baton` binary with only the variables given (`env -i`), so that nothing of
/// the test's own environment or home folder (a real profiles file) leaks into the command.
class cli_runner {
 public:
  explicit cli_runner(std::map<std::string, std::string> vars = {}) : vars_(std::move(vars)) {}

  void set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void unset(const std::string& name) { vars_.erase(name); }
  const std::filesystem::path& home() const { return home_.path(); }

  /// Writes `text` as the profiles file, `$HOME/.config/baton/cli.toml`.
  void write_profiles(const std::string& text) const {
    std::filesystem::create_directories(home_.path() / ".config" / "baton");
    std::ofstream out(home_.path() / ".config" / "baton" / "cli.toml");
    out << text;
  }

  /// Standard output and error of `baton args...`, and its exit code.
  command_result run(const std::vector<std::string>& args, bool with_stderr = true) const {
    std::string command = "env -i PATH=/usr/bin:/bin HOME='" + home_.path().string() + "'";
    for (const auto& [k, v] : vars_) command += " " + k + "='" + v + "'";
    command += " " + std::string(BATON_BINARY);
    for (const auto& a : args) command += " '" + a + "'";
    return run_command(command, with_stderr);
  }

 private:
  temp_dir home_;
  std::map<std::string, std::string> vars_;
};

/// A server that requires credentials, and a runner pointed at it with the admin's key.
server_options with_auth() {
  server_options o;
  o.environment["BATON_AUTH__REQUIRED"] = "true";
  return o;
}

struct cli_fixture {
  baton_server server{with_auth()};
  std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  std::string key = admin_key(server);
  cli_runner cli{{{"BATON_URL", url}, {"BATON_KEY", key}}};
};

std::string last_word(std::string_view text) {
  auto end = text.find_last_not_of(" \n\t");
  if (end == std::string_view::npos) return {};
  auto start = text.find_last_of(" \n\t", end);
  return std::string(text.substr(start == std::string_view::npos ? 0 : start + 1,
                                 end - (start == std::string_view::npos ? 0 : start + 1) + 1));
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// `baton ... --json` must print one JSON document and exit 0.
json::value json_of(const cli_runner& cli, std::vector<std::string> args) {
  args.push_back("--json");
  auto r = cli.run(args, false);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return parse(r.output);
}

}  // namespace

TEST_CASE("process start, get, list, history and cancel", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;

  // Synchronous: waits for SUCCEEDED, shows the outputs, ends with the id.
  auto done = cli.run({"process", "start", "OneStepNotepadRunner", "--value", "username=User", "-v",
                       "surname=Surname", "--wait", "succeeded"},
                      false);
  INFO(done.output);
  REQUIRE(done.exit_code == 0);
  CHECK(contains(done.output, "SUCCEEDED"));
  CHECK(contains(done.output, R"({"x":"User Surname"})"));
  auto first = last_word(done.output);
  CHECK(json_of(cli, {"process", "get", first}).at("status") == "SUCCEEDED");

  // A process that waits for a person: started, listed, with its history.
  auto started = cli.run(
      {"process", "start", "LoanApproval", "-v", "applicant=Ada", "-v", "amount=5000"}, false);
  REQUIRE(started.exit_code == 0);
  auto id = last_word(started.output);
  auto process = json_of(cli, {"process", "get", id}).as_object();
  CHECK(process.at("status") == "RUNNING");
  CHECK(process.at("values").at("amount") == 5000);  // "5000" went as the JSON number it is
  CHECK(contains(cli.run({"process", "get", id}).output, "review"));

  auto running = json_of(cli, {"process", "list", "--status", "RUNNING"}).as_object();
  REQUIRE(running.at("items").as_array().size() == 1);
  CHECK(running.at("items").as_array()[0].at("id") == id.c_str());
  auto table = cli.run({"process", "list", "--definition", "LoanApproval", "--limit", "5"});
  CHECK(table.exit_code == 0);
  CHECK(contains(table.output, id));
  CHECK_FALSE(contains(table.output, first));
  auto events = cli.run({"process", "history", id});
  CHECK(events.exit_code == 0);
  CHECK(contains(events.output, "step_started"));

  // --watch redraws a bounded number of times.
  auto watched = cli.run({"process", "get", id, "--watch", "--interval", "0.05", "--count", "2"});
  CHECK(watched.exit_code == 0);
  CHECK(watched.output.find("LoanApproval", watched.output.find("LoanApproval") + 1) !=
        std::string::npos);

  // A wait that cannot be met ends with exit 3: this one ends SUCCEEDED, not FAILED...
  auto other = cli.run({"process", "start", "OneStepNotepadRunner", "-v", "username=a", "-v",
                        "surname=b", "--wait", "FAILED"});
  CHECK(other.exit_code == 3);
  CHECK(contains(other.output, "SUCCEEDED, not FAILED"));
  // ...and this one stays RUNNING past its timeout.
  auto stuck = cli.run({"process", "start", "LoanApproval", "-v", "applicant=B", "-v", "amount=1",
                        "--wait", "SUCCEEDED", "--timeout", "0.2"});
  CHECK(stuck.exit_code == 3);
  CHECK(contains(stuck.output, "RUNNING, not SUCCEEDED"));

  auto cancelled = cli.run({"process", "cancel", id, "--reason", "no longer needed"});
  CHECK(cancelled.exit_code == 0);
  CHECK(contains(cancelled.output, "CANCELLED"));
  auto again = cli.run({"process", "cancel", id});
  CHECK(again.exit_code == 3);  // 409: already ended
  CHECK(contains(again.output, "409"));

  auto unknown = cli.run({"process", "get", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.output, "unknown process"));
  CHECK(cli.run({"process", "history", "nope"}).exit_code == 2);
  CHECK(cli.run({"process", "start", "NoSuchDefinition"}).exit_code == 2);
  auto bad_input = cli.run({"process", "start", "LoanApproval", "-v", "applicant=Ada"});
  CHECK(bad_input.exit_code == 3);  // 400: amount is required
  CHECK(contains(bad_input.output, "amount"));
}

TEST_CASE("task list and step complete, by processStepId or by the step's id", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  auto start = [&cli](const std::string& applicant) {
    auto r = cli.run(
        {"process", "start", "LoanApproval", "-v", "applicant=" + applicant, "-v", "amount=5000"},
        false);
    REQUIRE(r.exit_code == 0);
    return last_word(r.output);
  };
  auto id = start("Ada");
  auto inbox = cli.run({"task", "list", "--definition", "LoanApproval"});
  INFO(inbox.output);
  CHECK(inbox.exit_code == 0);
  CHECK(contains(inbox.output, id + "-1"));
  CHECK(contains(inbox.output, "approved:bool comment:string?"));
  CHECK(json_of(cli, {"task", "list"}).at("tasks").as_array().size() == 1);

  auto mistyped = cli.run({"step", "complete", id + "-1", "-p", "approved=maybe"});
  CHECK(mistyped.exit_code == 3);  // 412, naming the param and the contract
  CHECK(contains(mistyped.output, "/approved"));
  CHECK(contains(mistyped.output, "expected approved:bool comment:string?"));

  auto approved =
      cli.run({"step", "complete", id + "-1", "-p", "approved=true", "-p", "comment=fine"});
  CHECK(approved.exit_code == 0);
  CHECK(contains(approved.output, "SUCCEEDED"));
  CHECK(contains(approved.output, R"("decision":"approved")"));
  auto twice = cli.run({"step", "complete", id + "-1", "-p", "approved=true"});
  CHECK(twice.exit_code == 3);  // 409: no longer waiting
  CHECK(contains(twice.output, "409"));

  auto other = start("Bob");
  auto rejected = json_of(cli, {"step", "complete", "review", "--process", other, "--param",
                                "approved=false", "--param", R"(comment="too much")"})
                      .as_object();
  CHECK(rejected.at("status") == "SUCCEEDED");
  CHECK(rejected.at("outputs").at("decision") == "rejected");
  CHECK(rejected.at("outputs").at("comment") == "too much");  // a JSON string, unquoted

  CHECK(cli.run({"step", "complete", "review", "-p", "approved=true"}).exit_code == 1);
  CHECK(cli.run({"step", "complete", "nope-1", "-p", "approved=true"}).exit_code == 2);
  CHECK(cli.run({"step", "complete", "nosuchstep", "--process", other}).exit_code == 2);
  CHECK(json_of(cli, {"task", "list"}).at("tasks").as_array().empty());
}

TEST_CASE("definition deploy, list and get", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  temp_dir files;
  auto hello = (files.path() / "Hello.json").string();
  std::ofstream(hello) << R"({"inputs": {"name": "string"}, "outputs": ["greeting"],
    "steps": [{"id": "greet", "kind": "script", "set": {"greeting": "Hello ${name}"}}]})";

  auto deployed = cli.run({"definition", "deploy", hello});
  INFO(deployed.output);
  CHECK(deployed.exit_code == 0);
  CHECK(contains(deployed.output, "deployed Hello version 1"));
  CHECK(contains(cli.run({"definition", "deploy", hello}).output, "unchanged Hello version 1"));

  CHECK(contains(cli.run({"definition", "list"}).output, "Hello"));
  auto def = json_of(cli, {"definition", "get", "Hello"}).as_object();
  CHECK(def.at("name") == "Hello");
  CHECK(def.at("version") == 1);
  CHECK(cli.run({"definition", "get", "Hello", "--version", "2"}).exit_code == 2);
  CHECK(cli.run({"definition", "get", "Nope"}).exit_code == 2);

  auto broken = (files.path() / "Broken.json").string();
  std::ofstream(broken) << R"({"steps": [{"id": "a", "kind": "script", "next": "nowhere"}]})";
  auto refused = cli.run({"definition", "deploy", broken});
  CHECK(refused.exit_code == 3);
  CHECK(contains(refused.output, "/steps/0/next"));
  CHECK(cli.run({"definition", "deploy", (files.path() / "absent.json").string()}).exit_code == 1);

  auto greeted = cli.run({"process", "start", "Hello", "-v", "name=Ada", "--wait", "SUCCEEDED"});
  CHECK(greeted.exit_code == 0);
  CHECK(contains(greeted.output, "Hello Ada"));

  // Retired: not listed, not startable (a conflict), until deployed again.
  auto retired = cli.run({"definition", "retire", "Hello"});
  INFO(retired.output);
  CHECK(retired.exit_code == 0);
  CHECK(contains(retired.output, "retired Hello at "));
  CHECK_FALSE(contains(cli.run({"definition", "list"}).output, "Hello"));
  CHECK(contains(cli.run({"definition", "list", "--retired"}).output, "Hello"));
  CHECK(cli.run({"process", "start", "Hello", "-v", "name=Bo"}).exit_code == 3);
  CHECK(cli.run({"definition", "retire", "Nope"}).exit_code == 2);
  CHECK(cli.run({"definition", "deploy", hello}).exit_code == 0);
  CHECK(cli.run({"process", "start", "Hello", "-v", "name=Bo"}).exit_code == 0);

  // A file without a name takes --name; `process execute` fires its hour-long timer now.
  auto nap = (files.path() / "nap.json").string();
  std::ofstream(nap) << R"({"outputs": ["woke"], "steps": [
    {"id": "sleep", "kind": "timer", "duration": "PT1H"},
    {"id": "wake", "kind": "script", "set": {"woke": "yes"}}]})";
  REQUIRE(cli.run({"definition", "deploy", nap, "--name", "Nap"}).exit_code == 0);
  auto id = last_word(cli.run({"process", "start", "Nap"}, false).output);
  auto fired = json_of(cli, {"process", "execute", id, id + "-1"}).as_object();
  CHECK(fired.at("status") == "SUCCEEDED");
  CHECK(fired.at("outputs").at("woke") == "yes");
  CHECK(cli.run({"process", "execute", "nope", "nope-1"}).exit_code == 2);
}

TEST_CASE("schedule create, list, get, pause, resume and delete", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  auto created =
      cli.run({"schedule", "create", "OneStepNotepadRunner", "--cron", "0 0 6 ? * MON-FRI", "--tz",
               "Europe/Berlin", "-v", "username=a", "-v", "surname=b"},
              false);
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  CHECK(contains(created.output, "06:00:00+01:00"));
  auto id = last_word(created.output);

  CHECK(contains(cli.run({"schedule", "list"}).output, id));
  CHECK(json_of(cli, {"schedule", "get", id}).at("cron") == "0 0 6 ? * MON-FRI");
  CHECK(json_of(cli, {"schedule", "pause", id}).at("status") == "PAUSED");
  CHECK(json_of(cli, {"schedule", "resume", id}).at("status") == "ACTIVE");
  auto deleted = cli.run({"schedule", "delete", id});
  CHECK(deleted.exit_code == 0);
  CHECK(contains(deleted.output, "deleted " + id));
  CHECK(cli.run({"schedule", "get", id}).exit_code == 2);
  CHECK(cli.run({"schedule", "pause", id}).exit_code == 2);

  auto bad_cron = cli.run({"schedule", "create", "OneStepNotepadRunner", "--cron", "61 * * * * ?"});
  CHECK(bad_cron.exit_code == 3);
  CHECK(contains(bad_cron.output, "cron"));
  CHECK(cli.run({"schedule", "create", "OneStepNotepadRunner"}).exit_code == 1);  // no --cron
}

TEST_CASE("scope get and set-limit", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  auto first = last_word(cli.run({"process", "start", "LoanApproval", "-v", "applicant=A", "-v",
                                  "amount=1", "--scope", "desk-1"},
                                 false)
                             .output);
  auto second = last_word(cli.run({"process", "start", "LoanApproval", "-v", "applicant=B", "-v",
                                   "amount=1", "--scope", "desk-1"},
                                  false)
                              .output);
  auto scope = json_of(cli, {"scope", "get", "desk-1"}).as_object();
  CHECK(scope.at("limit") == 1);
  CHECK(scope.at("running").as_array()[0] == first.c_str());
  CHECK(scope.at("queued").as_array()[0].at("id") == second.c_str());
  auto shown = cli.run({"scope", "get", "desk-1"});
  CHECK(contains(shown.output, second + "#1"));
  CHECK(contains(cli.run({"scope", "get"}).output, "desk-1"));

  auto widened = cli.run({"scope", "set-limit", "desk-1", "2"});
  CHECK(widened.exit_code == 0);
  CHECK(contains(widened.output, "limit    2"));
  CHECK(cli.run({"scope", "set-limit", "desk-1", "0"}).exit_code == 1);  // checked before sending
  CHECK(cli.run({"scope", "set-limit", "desk-1"}).exit_code == 1);
}

TEST_CASE("client create, list, rotate-key, disable and a runner's refusals", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  auto created =
      json_of(cli, {"client", "create", "loans", "--role", "runner", "--definitions", "Loan*"})
          .as_object();
  std::string runner_key(created.at("apiKey").as_string());
  CHECK(contains(cli.run({"client", "list"}).output, "loans"));
  CHECK(cli.run({"client", "create", "loans"}).exit_code == 3);  // 409: exists

  cli_runner as_runner{{{"BATON_URL", f.url}, {"BATON_KEY", runner_key}}};
  CHECK(as_runner.run({"process", "list"}).exit_code == 0);
  auto foreign = as_runner.run({"process", "start", "OneStepNotepadRunner"});
  CHECK(foreign.exit_code == 3);  // 403: outside its globs
  CHECK(contains(foreign.output, "403"));
  CHECK(as_runner.run({"client", "list"}).exit_code == 3);  // admins only

  auto rotated = json_of(cli, {"client", "rotate-key", "loans"}).as_object();
  CHECK(rotated.at("apiKey") != runner_key.c_str());
  auto stale = as_runner.run({"process", "list"});
  CHECK(stale.exit_code == 3);  // 401
  CHECK(contains(stale.output, "401"));
  as_runner.set("BATON_KEY", std::string(rotated.at("apiKey").as_string()));
  CHECK(as_runner.run({"process", "list"}).exit_code == 0);
  CHECK(json_of(cli, {"client", "disable", "loans"}).at("enabled") == false);
  CHECK(as_runner.run({"process", "list"}).exit_code == 3);
  CHECK(cli.run({"client", "rotate-key", "nobody"}).exit_code == 2);

  // Deleted for good: its name is free again, and the new client's key is not the old one's.
  REQUIRE(json_of(cli, {"client", "enable", "loans"}).at("enabled") == true);
  REQUIRE(as_runner.run({"process", "list"}).exit_code == 0);
  CHECK(json_of(cli, {"client", "delete", "loans"}).at("name") == "loans");
  CHECK(as_runner.run({"process", "list"}).exit_code == 3);  // 401: its key is gone
  CHECK(cli.run({"client", "delete", "loans"}).exit_code == 2);
  CHECK(contains(cli.run({"client", "list"}).output, "loans") == false);
  auto again = json_of(cli, {"client", "create", "loans", "--role", "runner"}).as_object();
  CHECK(again.at("id") != created.at("id"));

  // An admin may not delete itself (nobody might be left to make clients).
  auto boss = json_of(cli, {"client", "create", "boss", "--role", "admin"}).as_object();
  cli_runner as_boss{
      {{"BATON_URL", f.url}, {"BATON_KEY", std::string(boss.at("apiKey").as_string())}}};
  auto self = as_boss.run({"client", "delete", "boss"});
  CHECK(self.exit_code == 3);
  CHECK(contains(self.output, "itself"));
}

TEST_CASE("job activate, complete and fail", "[e2e][cli]") {
  cli_fixture f;
  auto& cli = f.cli;
  auto deployed = cli.run({"definition", "deploy",
                           std::string(BATON_SOURCE_DIR) + "/examples/workers/PriceQuote.json"});
  REQUIRE(deployed.exit_code == 0);
  auto id = last_word(cli.run({"process", "start", "PriceQuote", "-v", "item=tea"}, false).output);

  auto batch = json_of(cli, {"job", "activate", "--type", "pricing", "--wait-ms", "5000"});
  REQUIRE(batch.at("jobs").as_array().size() == 1);
  const auto& job = batch.at("jobs").as_array()[0].as_object();
  std::string key(job.at("key").as_string());
  std::string token(job.at("lease").at("token").as_string());
  auto wrong_type = cli.run({"job", "complete", key, "--token", token, "-p", "price=cheap"});
  CHECK(wrong_type.exit_code == 3);  // 412: price must be a double
  CHECK(contains(wrong_type.output, "price"));
  auto completed = cli.run({"job", "complete", key, "--token", token, "-p", "price=4.5"});
  INFO(completed.output);
  CHECK(completed.exit_code == 0);
  CHECK(contains(completed.output, "COMPLETED"));
  CHECK(json_of(cli, {"process", "get", id}).at("outputs").at("quote") == "tea: 4.5");
  CHECK(cli.run({"job", "complete", key, "--token", token, "-p", "price=4.5"}).exit_code == 3);

  last_word(cli.run({"process", "start", "PriceQuote", "-v", "item=rum"}, false).output);
  auto leased = json_of(cli, {"job", "activate", "--type", "pricing", "--wait-ms", "5000"});
  REQUIRE(leased.at("jobs").as_array().size() == 1);
  const auto& second = leased.at("jobs").as_array()[0].as_object();
  auto failed = cli.run({"job", "fail", std::string(second.at("key").as_string()), "--token",
                         std::string(second.at("lease").at("token").as_string()), "--error",
                         "no price list", "--retry-in-ms", "0"});
  CHECK(failed.exit_code == 0);
  CHECK(cli.run({"job", "fail", "nope-1", "--token", "x"}).exit_code == 2);
  CHECK(cli.run({"job", "activate"}).exit_code == 1);  // --type is required
}

TEST_CASE("cluster status on a single node", "[e2e][cli]") {
  cli_fixture f;
  auto status = f.cli.run({"cluster", "status"});
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.output, "clustered  false"));
  CHECK(json_of(f.cli, {"cluster", "status"}).at("clustered") == false);
}

TEST_CASE("flags beat BATON_URL and BATON_KEY, which beat the profile", "[e2e][cli]") {
  cli_fixture f;
  std::string nowhere = "http://127.0.0.1:1";  // nothing listens on port 1
  cli_runner cli;
  cli.write_profiles("[default]\nurl = \"" + nowhere + "\"\n\n[profiles.good]\nurl = \"" + f.url +
                     "\"\nkey = \"" + f.key + "\"\n");

  auto unreachable = cli.run({"process", "list"});  // the [default] profile
  CHECK(unreachable.exit_code == 4);
  CHECK(contains(unreachable.output, "cannot reach"));
  CHECK(cli.run({"process", "list", "--profile", "good"}).exit_code == 0);
  cli.set("BATON_PROFILE", "good");
  CHECK(cli.run({"process", "list"}).exit_code == 0);
  cli.set("BATON_URL", nowhere);  // the environment beats the profile
  CHECK(cli.run({"process", "list"}).exit_code == 4);
  CHECK(cli.run({"process", "list", "--url", f.url}).exit_code == 0);  // the flag beats both
  cli.set("BATON_KEY", "wrong");
  CHECK(cli.run({"process", "list", "--url", f.url}).exit_code == 3);  // 401
  CHECK(cli.run({"process", "list", "--url", f.url, "--key", f.key}).exit_code == 0);

  auto missing = cli.run({"process", "list", "--profile", "absent"});
  CHECK(missing.exit_code == 1);
  CHECK(contains(missing.output, "absent"));
  CHECK(cli.run({"process", "list", "--url", "ftp://x"}).exit_code == 1);
}

TEST_CASE("usage mistakes exit 1 and name what is wrong", "[e2e][cli]") {
  cli_runner cli{{{"BATON_URL", "http://127.0.0.1:1"}}};
  CHECK(cli.run({"process"}).exit_code == 1);
  CHECK(cli.run({"process", "get"}).exit_code == 1);
  CHECK(cli.run({"process", "list", "--status", "DONE"}).exit_code == 1);
  CHECK(cli.run({"process", "list", "--bogus"}).exit_code == 1);
  auto pair = cli.run({"process", "start", "X", "--value", "novalue"});
  CHECK(pair.exit_code == 1);
  CHECK(contains(pair.output, "NAME=VALUE"));
  auto unnamed = run_command("echo '{}' | " + std::string(BATON_BINARY) +
                             " definition deploy - --url http://127.0.0.1:1");
  CHECK(unnamed.exit_code == 1);  // standard input has no file name to take the name from
  CHECK(contains(unnamed.output, "--name"));
  CHECK(cli.run({"process", "--help"}).exit_code == 0);
}

TEST_CASE("completion scripts are made from the command tree", "[e2e][cli]") {
  cli_runner cli;
  auto bash = cli.run({"completion", "bash"}, false);
  REQUIRE(bash.exit_code == 0);
  CHECK(contains(bash.output, "\" process start\") words="));
  CHECK(contains(bash.output, "--wait"));
  CHECK(contains(bash.output, "\" schedule pause\""));
  temp_dir dir;
  auto script = (dir.path() / "baton.bash").string();
  std::ofstream(script) << bash.output;
  // The script completes in bash: "baton sched" → schedule, "baton process start X --wa" → --wait.
  auto completed = run_command(
      "bash -c 'source " + script +
      "; COMP_WORDS=(baton sched); COMP_CWORD=1; _baton; echo \"${COMPREPLY[*]}\";"
      " COMP_WORDS=(baton process start X --wa); COMP_CWORD=4; _baton; echo \"${COMPREPLY[*]}\"'");
  CHECK(completed.exit_code == 0);
  CHECK(completed.output == "schedule\n--wait\n");

  auto zsh = cli.run({"completion", "zsh"}, false);
  CHECK(zsh.exit_code == 0);
  CHECK(contains(zsh.output, "bashcompinit"));
  CHECK(contains(zsh.output, "_baton"));
  CHECK(cli.run({"completion", "fish"}).exit_code == 1);
}

TEST_CASE("https URLs are verified, against --ca-file for a private certificate", "[e2e][cli]") {
  temp_dir tls;
  auto cert = (tls.path() / "cert.pem").string();
  auto key = (tls.path() / "key.pem").string();
  auto made = run_command(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
      " -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1"
      " -keyout " +
      key + " -out " + cert);
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  server_options o;
  o.environment = {{"BATON_HTTP__TLS_CERT", cert}, {"BATON_HTTP__TLS_KEY", key}};
  baton_server server(o);
  std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  cli_runner cli{{{"BATON_URL", url}}};

  auto untrusted = cli.run({"definition", "list"});
  CHECK(untrusted.exit_code == 4);  // a self-signed certificate is not in the system's store
  CHECK(contains(untrusted.output, "TLS handshake"));
  auto trusted = cli.run({"definition", "list", "--ca-file", cert});
  INFO(trusted.output);
  CHECK(trusted.exit_code == 0);
  CHECK(contains(trusted.output, "LoanApproval"));
  CHECK(cli.run({"definition", "list", "--ca-file", cert + ".absent"}).exit_code == 1);
  cli.write_profiles("[default]\nca_file = \"" + cert + "\"\n");  // or from the profile
  CHECK(cli.run({"definition", "list"}).exit_code == 0);
}
