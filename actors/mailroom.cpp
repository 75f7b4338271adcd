#include "actors/mailroom.hpp"

#include <algorithm>

#include "storage/message_store.hpp"
#include "storage/process_store.hpp"

namespace baton::actors {

namespace {

message_outcome failed(const storage::status& s, std::string_view doing) {
  message_outcome o;
  o.code = errc_of(s);
  o.message = storage_message(s, doing);
  return o;
}

message_outcome from_record(const storage::message_answer_record& r) {
  message_outcome o;
  o.completed = r.completed;
  o.processes = r.processes;
  o.buffered = r.buffered;
  for (const auto& [step, why] : r.refused) {
    message_refusal refusal;
    refusal.step_id = step;
    refusal.code = engine_errc::not_waiting;
    refusal.message = why;
    o.refused.push_back(std::move(refusal));
  }
  o.replayed = true;
  return o;
}

}  // namespace

mailroom::mailroom(storage::process_store& store, std::function<std::int64_t()> now_ms,
                   deliver_fn deliver, storage::write_scope scope)
    : store_(store), now_ms_(std::move(now_ms)), deliver_(std::move(deliver)), scope_(scope) {}

void mailroom::post(message_post m, std::function<void(message_outcome)> done) {
  if (!m.message_id.empty()) {
    std::lock_guard lock(mutex_);
    auto kept = storage::message_answer(store_.database(), m.message_id);
    if (!kept.ok()) return done(failed(kept.error(), "reading a message answer"));
    if (kept.value() && kept.value()->expires_ms > now_ms_()) {
      return done(from_record(*kept.value()));
    }
    if (!posting_.insert(m.message_id).second) {
      message_outcome o;
      o.code = engine_errc::conflict;
      o.message = "a message with this messageId is being delivered; ask again for its answer";
      return done(std::move(o));
    }
  }
  auto steps = storage::waiting_steps(store_.database(), m.name, m.correlation);
  if (!steps.ok()) {
    auto o = failed(steps.error(), "reading the message index");
    return finish(m, std::move(o), std::move(done));
  }
  if (m.may_use) {
    std::erase_if(steps.value(), [&](const std::string& step) {
      auto process_id = model::process_id_of_step(step);
      auto p = process_id ? store_.load_process(*process_id)
                          : storage::result<std::optional<model::process_state>>(std::nullopt);
      return !p.ok() || !p.value() || !m.may_use(p.value()->definition);
    });
  }
  if (!steps.value().empty()) {
    return deliver_to_waiting(std::move(m), std::move(steps).value(), std::move(done));
  }
  if (m.ttl_ms > 0) return buffer(std::move(m), std::move(done));
  finish(m, {}, std::move(done));
}

void mailroom::deliver_to_waiting(message_post m, std::vector<std::string> steps,
                                  std::function<void(message_outcome)> done) {
  struct gathering {
    std::mutex mutex;
    message_post message;
    message_outcome outcome;
    std::size_t open = 0;
    std::function<void(message_outcome)> done;
  };
  auto g = std::make_shared<gathering>();
  g->message = m;
  g->open = steps.size();
  g->done = std::move(done);
  for (auto& step : steps) {
    delivery d{step, m.name, m.values, {}, m.by};
    deliver_(std::move(d), [this, g, step](process_answer a) {
      std::unique_lock lock(g->mutex);
      if (a.code == engine_errc::ok) {
        ++g->outcome.completed;
        g->outcome.processes.push_back(a.process_id);
      } else {
        g->outcome.refused.push_back({step, a.code, a.message, std::move(a.field_errors)});
      }
      if (--g->open > 0) return;
      lock.unlock();
      // The same order for the same steps, whichever answered first.
      std::ranges::sort(g->outcome.processes);
      std::ranges::sort(g->outcome.refused, {}, &message_refusal::step_id);
      finish(g->message, std::move(g->outcome), std::move(g->done));
    });
  }
}

void mailroom::buffer(message_post m, std::function<void(message_outcome)> done) {
  storage::buffered_message record;
  record.name = m.name;
  record.correlation = m.correlation;
  record.values = m.values;
  record.expires_ms = now_ms_() + m.ttl_ms;
  record.message_id = m.message_id;
  storage::batch b;
  b.set_scope(scope_);
  storage::put_buffered_message(b, record, now_ms_());
  store_.committer().submit(std::move(b), [this, m = std::move(m), done = std::move(done)](
                                              const storage::status& written) mutable {
    if (!written.ok()) return finish(m, failed(written, "buffering a message"), std::move(done));
    message_outcome o;
    o.buffered = true;
    auto name = m.name;
    auto correlation = m.correlation;
    finish(m, std::move(o), std::move(done));
    // A step that began waiting while this was being written did not see it: look again.
    match_buffered(name, correlation);
  });
}

void mailroom::finish(const message_post& m, message_outcome outcome,
                      std::function<void(message_outcome)> done) {
  if (m.message_id.empty()) return done(std::move(outcome));
  auto release = [this, id = m.message_id] {
    std::lock_guard lock(mutex_);
    posting_.erase(id);
  };
  if (outcome.code != engine_errc::ok) {
    release();
    return done(std::move(outcome));
  }
  storage::message_answer_record r;
  r.expires_ms = now_ms_() + std::max(m.ttl_ms, answer_kept_ms);
  r.completed = outcome.completed;
  r.processes = outcome.processes;
  r.buffered = outcome.buffered;
  for (const auto& refusal : outcome.refused)
    r.refused.emplace_back(refusal.step_id, refusal.message);
  storage::batch b;
  b.set_scope(scope_);
  storage::put_message_answer(b, m.message_id, r);
  store_.committer().submit(
      std::move(b), [release, outcome = std::move(outcome),
                     done = std::move(done)](const storage::status& written) mutable {
        release();
        // The message did its work; only its repeat would not know it. Say so.
        if (!written.ok()) {
          auto o = failed(written, "keeping a message answer");
          o.message = "the message was delivered but its messageId could not be kept: " + o.message;
          return done(std::move(o));
        }
        done(std::move(outcome));
      });
}

void mailroom::awaited(const std::string& name, const std::string& correlation) {
  match_buffered(name, correlation);
}

void mailroom::match_buffered(const std::string& name, const std::string& correlation) {
  std::vector<std::pair<storage::buffered_message, std::string>> handed;  // message → step
  std::vector<std::string> expired;
  {
    std::lock_guard lock(mutex_);
    auto messages = storage::buffered_messages(store_.database(), name, correlation);
    if (!messages.ok() || messages.value().empty()) return;  // the next post or restart retries
    auto steps = storage::waiting_steps(store_.database(), name, correlation);
    if (!steps.ok()) return;
    auto now = now_ms_();
    auto step = steps.value().begin();
    for (auto& message : messages.value()) {
      if (message.expires_ms <= now) {
        if (!in_flight_.count(message.key)) expired.push_back(message.key);
        continue;
      }
      if (in_flight_.count(message.key)) continue;
      while (step != steps.value().end() && targeted_.count(*step)) ++step;
      if (step == steps.value().end()) break;
      in_flight_.insert(message.key);
      targeted_.insert(*step);
      handed.emplace_back(std::move(message), *step++);
    }
  }
  erase_expired(expired);
  for (auto& [message, step] : handed) {
    delivery d{step, name, message.values, message.key, "buffered message"};
    deliver_(std::move(d),
             [this, key = message.key, step, name, correlation](const process_answer& a) {
               {
                 std::lock_guard lock(mutex_);
                 in_flight_.erase(key);
                 targeted_.erase(step);
               }
               // Not taken (its params do not fit the step, or the step ended meanwhile): it stays
               // buffered for a later step until it expires.
               (void)a;
             });
  }
}

void mailroom::erase_expired(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  storage::batch b;
  b.set_scope(scope_);
  for (const auto& k : keys) storage::erase_buffered_message(b, k);
  // Best effort: an expired record left behind is ignored and erased on the next look.
  store_.committer().submit(std::move(b), {});
}

void mailroom::recover() {
  auto messages = storage::all_buffered_messages(store_.database());
  if (messages.ok()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& m : messages.value()) pairs.emplace_back(m.name, m.correlation);
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (const auto& [name, correlation] : pairs) match_buffered(name, correlation);
  }
  // Answers to messageIds past their time are forgotten.
  auto answers = storage::message_answer_expiries(store_.database());
  if (!answers.ok()) return;
  storage::batch b;
  b.set_scope(scope_);
  auto now = now_ms_();
  for (const auto& [id, expires] : answers.value()) {
    if (expires <= now) storage::erase_message_answer(b, id);
  }
  if (!b.empty()) store_.committer().submit(std::move(b), {});
}

}  // namespace baton::actors
