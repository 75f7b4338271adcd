#include "http/engine_errors.hpp"

#include "http/problem.hpp"

namespace baton::http {

error_mapping map_error(actors::engine_errc code) {
  using actors::engine_errc;
  using s = beast_http::status;
  switch (code) {
    case engine_errc::ok:
      return {s::ok, "OK"};
    case engine_errc::unknown_definition:
      return {s::not_found, "Unknown definition"};
    case engine_errc::unknown_scenario:
      return {s::not_found, "Unknown scenario"};
    case engine_errc::scenario_required:
      return {s::bad_request, "Scenario required"};
    case engine_errc::invalid_input:
      return {s::bad_request, "Invalid input"};
    case engine_errc::scope_busy:
      return {s::conflict, "Scope busy"};
    case engine_errc::not_found:
      return {s::not_found, "Not found"};
    case engine_errc::not_waiting:
      return {s::precondition_failed, "Step not waiting"};
    case engine_errc::invalid_params:
      return {s::precondition_failed, "Invalid params"};
    case engine_errc::conflict:
      return {s::conflict, "Conflict"};
    case engine_errc::storage_unavailable:
      return {s::service_unavailable, "Storage unavailable"};
    case engine_errc::storage_full:
      return {s::insufficient_storage, "Insufficient storage"};
    case engine_errc::shutting_down:
      return {s::service_unavailable, "Shutting down"};
    case engine_errc::timed_out:
      return {s::service_unavailable, "Engine busy"};
    case engine_errc::unsupported:
      return {s::not_implemented, "Not available"};
  }
  return {s::internal_server_error, "Internal error"};
}

beast_http::status passing_or(actors::engine_errc code, beast_http::status otherwise) {
  using actors::engine_errc;
  switch (code) {
    case engine_errc::storage_unavailable:
    case engine_errc::storage_full:
    case engine_errc::shutting_down:
    case engine_errc::timed_out:
      return map_error(code).status;
    default:
      return otherwise;
  }
}

response engine_problem(const actors::process_answer& answer) {
  auto m = map_error(answer.code);
  return problem(m.status, m.title, answer.message, answer.field);
}

storage_refusal refusal_of(const storage::status& failed, std::string_view doing) {
  return {map_error(actors::errc_of(failed)).status, actors::storage_message(failed, doing)};
}

response storage_problem(const storage::status& failed, std::string_view doing) {
  auto code = actors::errc_of(failed);
  auto m = map_error(code);
  return problem(m.status, m.title, actors::storage_message(failed, doing));
}

}  // namespace baton::http
