#pragma once

#include <string>

#include "config/settings.hpp"
#include "model/schedule.hpp"

namespace baton::actors {
class engine;
}

namespace baton::http {

class router;
namespace auth {
class authenticator;
}

/// Registers `/api/v1/schedules...` and `/api/v1/cron/next` on `routes`.
void add_schedule_routes(router& routes, actors::engine& engine, auth::authenticator& auth);

/// A schedule as the API shows it: the stored document plus its next fire times (ISO-8601
/// in the schedule's zone).
std::string schedule_json(const model::schedule& s, std::size_t next_count = 5);

}  // namespace baton::http
