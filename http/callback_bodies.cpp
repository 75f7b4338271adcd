#include "http/callback_bodies.hpp"

#include "http/compat/workfloo.hpp"
#include "http/process_json.hpp"

namespace baton::http {

actors::callback_formats callback_bodies(model::clock_ms clock) {
  return {
      {"native",
       [](const model::process_state& p, const model::definition*) { return process_json(p); }},
      {"workfloo", compat::workfloo_callback_renderer(std::move(clock))},
  };
}

}  // namespace baton::http
