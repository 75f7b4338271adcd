#pragma once

// Free `inspect` functions (CAF 0.17 form) for every model record that is stored or travels
// in an actor message. The same functions write snapshots, history and the outbox to RocksDB
// (storage/record_codec.cpp) and carry these records in messages. They live in storage/, not
// model/, so that the model stays free of any framework header.
//
// The field order is the stored format: a change here is a change of the stored bytes, and
// needs a new format byte (storage/format.hpp) and a reader for the old one.

#include <caf/meta/type_name.hpp>
#include <cmath>

#include "model/definition.hpp"
#include "model/process.hpp"
#include "model/schedule.hpp"
#include "model/value.hpp"
#include "storage/inspect_support.hpp"

namespace baton::model {

// ---- values ---------------------------------------------------------------------------------

/// The kind, then only the member that kind uses: a snapshot holds many values.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, value& x) {
  constexpr auto name = caf::meta::type_name("baton::model::value");
  using k = value::kind;
  if constexpr (Inspector::reads_state) {
    switch (x.k) {
      case k::string:
      case k::json:
        return f(name, x.k, x.text);
      case k::integer:
        return f(name, x.k, x.integer);
      case k::number:
        // CAF's IEEE 754 packing loops forever on an infinity and garbles NaN and subnormal
        // numbers. JSON has none of them either (the API shows a non-finite number as null):
        // they are stored as null, and a subnormal as 0.
        if (!std::isfinite(x.number)) {
          auto null_kind = k::null;
          return f(name, null_kind);
        }
        if (std::fpclassify(x.number) == FP_SUBNORMAL) {
          double zero = 0.0;
          return f(name, x.k, zero);
        }
        return f(name, x.k, x.number);
      case k::boolean:
        return f(name, x.k, x.boolean);
      default:
        return f(name, x.k);
    }
  } else {
    x = value{};
    if (auto err = f(name, x.k)) return err;
    switch (x.k) {
      case k::null:
        return {};
      case k::string:
      case k::json:
        return f(x.text);
      case k::integer:
        return f(x.integer);
      case k::number: {
        auto err = f(x.number);
        // What the writer stores (see above) and nothing else: a damaged record's odd
        // number reads as the writer would have written it.
        if (!err && !std::isfinite(x.number)) x = value{};
        if (!err && std::fpclassify(x.number) == FP_SUBNORMAL) x.number = 0.0;
        return err;
      }
      case k::boolean:
        return f(x.boolean);
    }
    return caf::make_error(caf::sec::invalid_argument, "unknown value kind");
  }
}

// ---- processes ------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step_execution& x) {
  return f(caf::meta::type_name("baton::model::step_execution"), x.id, x.step, x.kind, x.status,
           x.attempt, x.created_ms, x.modified_ms, x.due_ms, x.retry_pending, x.error, x.params);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_wait& x) {
  return f(caf::meta::type_name("baton::model::message_wait"), x.step_id, x.name, x.correlation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_run& x) {
  return f(caf::meta::type_name("baton::model::child_run"), x.id, x.step_id, x.attempt, x.index,
           x.status, x.result, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_lease& x) {
  return f(caf::meta::type_name("baton::model::job_lease"), x.step_id, x.token, x.worker,
           x.expires_ms);
}

/// The lease comes after what every format_v2 snapshot holds, the awaited message after
/// the lease, and a child's parent, entry and children after that. A snapshot stored before job
/// steps (or message steps) existed ends before it: the record reader (which alone reads stored
/// snapshots and knows how much is left) leaves it empty then, so no new format byte is needed.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, process_state& x) {
  constexpr auto name = caf::meta::type_name("baton::model::process_state");
  if constexpr (requires { f.remaining(); }) {
    if (auto err = f(name, x.id, x.definition, x.version, x.scope, x.status, x.vals, x.outputs,
                     x.steps, x.retry_count, x.error, x.created_ms, x.updated_ms, x.scenario,
                     x.sandbox, x.worker, x.schedule_id, x.callback_url, x.history_seq)) {
      return err;
    }
    x.lease = {};
    x.awaited = {};
    x.parent_id.clear();
    x.parent_step.clear();
    x.entry.clear();
    x.children.clear();
    if (f.remaining() == 0) return {};
    if (auto err = f(x.lease)) return err;
    if (f.remaining() == 0) return {};
    if (auto err = f(x.awaited)) return err;
    if (f.remaining() == 0) return {};
    return f(x.parent_id, x.parent_step, x.entry, x.children);
  } else {
    return f(name, x.id, x.definition, x.version, x.scope, x.status, x.vals, x.outputs, x.steps,
             x.retry_count, x.error, x.created_ms, x.updated_ms, x.scenario, x.sandbox, x.worker,
             x.schedule_id, x.callback_url, x.history_seq, x.lease, x.awaited, x.parent_id,
             x.parent_step, x.entry, x.children);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, callback_target& x) {
  return f(caf::meta::type_name("baton::model::callback_target"), x.url, x.headers, x.format);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("baton::model::history_entry"), x.seq, x.at_ms, x.type, x.step_id,
           x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recovery_need& x) {
  return f(caf::meta::type_name("baton::model::recovery_need"), x.kind, x.due_ms, x.step_id,
           x.scope);
}

// ---- events (model::event is a std::variant of these: inspect_support.hpp) -----------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_admitted&) {
  return f(caf::meta::type_name("baton::model::ev_admitted"));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_http_answered& x) {
  return f(caf::meta::type_name("baton::model::ev_http_answered"), x.step_id, x.attempt, x.status,
           x.mapped, x.error, x.permanent);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_completed& x) {
  return f(caf::meta::type_name("baton::model::ev_completed"), x.step_id, x.params, x.lease_token,
           x.by, x.message);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_due& x) {
  return f(caf::meta::type_name("baton::model::ev_due"), x.step_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_cancel& x) {
  return f(caf::meta::type_name("baton::model::ev_cancel"), x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_retry& x) {
  return f(caf::meta::type_name("baton::model::ev_retry"), x.by, x.vals);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_child_ended& x) {
  return f(caf::meta::type_name("baton::model::ev_child_ended"), x.step_id, x.child_id, x.status,
           x.vals, x.outputs, x.error);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_execute& x) {
  return f(caf::meta::type_name("baton::model::ev_execute"), x.step_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_job_leased& x) {
  return f(caf::meta::type_name("baton::model::ev_job_leased"), x.step_id, x.token, x.worker,
           x.lease_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_job_failed& x) {
  return f(caf::meta::type_name("baton::model::ev_job_failed"), x.step_id, x.token, x.error,
           x.retry_in_ms, x.released);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ev_lease_extended& x) {
  return f(caf::meta::type_name("baton::model::ev_lease_extended"), x.step_id, x.token, x.lease_ms);
}

// ---- effects (model::effect is a std::variant of these) -------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_call_http& x) {
  return f(caf::meta::type_name("baton::model::fx_call_http"), x.step_id, x.attempt, x.method,
           x.url, x.headers, x.body, x.timeout_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_await_external& x) {
  return f(caf::meta::type_name("baton::model::fx_await_external"), x.step_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_await_message& x) {
  return f(caf::meta::type_name("baton::model::fx_await_message"), x.step_id, x.name,
           x.correlation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_start_child& x) {
  return f(caf::meta::type_name("baton::model::fx_start_child"), x.child_id, x.step_id,
           x.definition, x.version, x.vals, x.entry);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_cancel_children& x) {
  return f(caf::meta::type_name("baton::model::fx_cancel_children"), x.ids, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_arm_timer& x) {
  return f(caf::meta::type_name("baton::model::fx_arm_timer"), x.step_id, x.due_ms, x.retry);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_finished& x) {
  return f(caf::meta::type_name("baton::model::fx_finished"), x.status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fx_job& x) {
  return f(caf::meta::type_name("baton::model::fx_job"), x.step_id, x.type, x.status, x.attempt,
           x.created_ms, x.worker, x.expires_ms, x.lease_expired);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transition& x) {
  return f(caf::meta::type_name("baton::model::transition"), x.state, x.effects, x.history,
           x.rejected);
}

// ---- schedules ------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_run& x) {
  return f(caf::meta::type_name("baton::model::schedule_run"), x.fire_ms, x.process_id, x.note);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule& x) {
  return f(caf::meta::type_name("baton::model::schedule"), x.id, x.definition, x.vals, x.scope,
           x.cron, x.time_zone, x.start_ms, x.end_ms, x.run_once, x.run_immediately, x.retry_count,
           x.worker, x.misfire, x.catch_up_window_ms, x.overlap, x.status, x.created_ms,
           x.next_fire_ms, x.runs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fire_plan& x) {
  return f(caf::meta::type_name("baton::model::fire_plan"), x.fire_times, x.notes, x.next_fire_ms,
           x.status);
}

// ---- definitions (stored as their source JSON; these carry them in messages) ---------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_policy& x) {
  return f(caf::meta::type_name("baton::model::retry_policy"), x.count, x.backoff, x.initial_ms,
           x.max_ms, x.jitter);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, input_decl& x) {
  return f(caf::meta::type_name("baton::model::input_decl"), x.name, x.type, x.required,
           x.default_value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, param_decl& x) {
  return f(caf::meta::type_name("baton::model::param_decl"), x.name, x.type, x.required);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_spec& x) {
  return f(caf::meta::type_name("baton::model::http_spec"), x.method, x.url, x.headers, x.body,
           x.expect, x.map);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, switch_case& x) {
  return f(caf::meta::type_name("baton::model::switch_case"), x.when, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_rule& x) {
  return f(caf::meta::type_name("baton::model::join_rule"), x.k, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step& x) {
  return f(caf::meta::type_name("baton::model::step"), x.id, x.name, x.kind, x.next, x.retry,
           x.timeout_ms, x.set, x.http, x.params, x.duration, x.until, x.cases, x.default_next,
           x.message, x.job_type, x.correlation, x.child_definition, x.child_version,
           x.child_values, x.map, x.branches, x.join, x.continue_on_failure, x.merge_last, x.items,
           x.item_name, x.in_parallel, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scenario_step& x) {
  return f(caf::meta::type_name("baton::model::scenario_step"), x.outputs, x.fail, x.complete);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scenario& x) {
  return f(caf::meta::type_name("baton::model::scenario"), x.id, x.steps);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition& x) {
  return f(caf::meta::type_name("baton::model::definition"), x.name, x.id, x.version, x.description,
           x.inputs, x.outputs, x.steps, x.scenarios, x.requires_scenario, x.extra_values,
           x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retirement& x) {
  return f(caf::meta::type_name("baton::model::retirement"), x.at_ms, x.by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, definition_problem& x) {
  return f(caf::meta::type_name("baton::model::definition_problem"), x.pointer, x.message);
}

}  // namespace baton::model
