#pragma once

#include "actors/callback_formats.hpp"
#include "model/clock.hpp"

namespace baton::http {

/// Every callback body format the front ends speak: "native" (the process as the API shows
/// it) and "workfloo" (its status document, stamped by `clock`). Handed to the engine, whose
/// outbox renders each callback with the format its target names.
actors::callback_formats callback_bodies(model::clock_ms clock);

}  // namespace baton::http
