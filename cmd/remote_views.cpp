#include "cmd/remote_views.hpp"

#include <boost/json.hpp>
#include <ostream>

namespace baton::cmd {

void print_fields(std::ostream& out,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [name, value] : fields)
    if (value != "-") width = std::max(width, name.size());
  for (const auto& [name, value] : fields) {
    if (value == "-") continue;
    out << name << std::string(width - name.size() + 2, ' ') << value << "\n";
  }
}

void print_process(std::ostream& out, const json::object& p) {
  print_fields(out, {{"id", cell(p, "id")},
                     {"definition", cell(p, "definition") + " v" + cell(p, "version")},
                     {"status", cell(p, "status")},
                     {"scope", cell(p, "scope")},
                     {"values", cell(p, "values")},
                     {"outputs", cell(p, "outputs")},
                     {"result", cell(p, "result")},
                     {"error", cell(p, "error")},
                     {"created", instant(p, "createdMs")},
                     {"updated", instant(p, "updatedMs")}});
  auto* steps = p.if_contains("steps");
  if (!steps || !steps->is_array() || steps->as_array().empty()) return;
  text_table table({"PROCESS STEP ID", "STEP", "KIND", "STATUS", "ATTEMPT", "ERROR"});
  for (const auto& item : steps->as_array()) {
    const auto& s = item.as_object();
    table.add({cell(s, "processStepId"), cell(s, "step"), cell(s, "kind"), cell(s, "status"),
               cell(s, "attempt"), cell(s, "error")});
  }
  out << "\n";
  table.print(out);
}

void print_schedule(std::ostream& out, const json::object& s) {
  std::string next;
  if (auto* times = s.if_contains("nextFireTimes"); times && times->is_array()) {
    for (const auto& t : times->as_array())
      next += (next.empty() ? "" : ", ") + std::string(t.as_string());
  }
  print_fields(out, {{"id", cell(s, "id")},
                     {"definition", cell(s, "definition")},
                     {"status", cell(s, "status")},
                     {"cron", cell(s, "cron")},
                     {"time zone", cell(s, "timeZone")},
                     {"scope", cell(s, "scope")},
                     {"values", cell(s, "values")},
                     {"misfire", cell(s, "misfire")},
                     {"overlap", cell(s, "overlap")},
                     {"next fires", next.empty() ? "-" : next}});
  auto* runs = s.if_contains("runs");
  if (!runs || !runs->is_array() || runs->as_array().empty()) return;
  text_table table({"FIRED", "PROCESS", "NOTE"});
  for (const auto& item : runs->as_array()) {
    const auto& r = item.as_object();
    table.add({instant(r, "fireMs"), cell(r, "processId"), cell(r, "note")});
  }
  out << "\n";
  table.print(out);
}

}  // namespace baton::cmd
