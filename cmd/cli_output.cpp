#include "cmd/cli_output.hpp"

#include <unistd.h>

#include <CLI/Error.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "model/time.hpp"

namespace baton::cmd {

text_table::text_table(std::vector<std::string> header) : header_(std::move(header)) {}

void text_table::add(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

void text_table::print(std::ostream& out) const {
  std::vector<std::size_t> widths(header_.size());
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      // The last column is not padded: no trailing blanks for tools that read the lines.
      if (i + 1 < row.size()) text += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << text << "\n";
  };
  line(header_);
  for (const auto& r : rows_) line(r);
}

namespace {

/// A scalar as JSON text; doubles in their shortest exact form ("4.5", where Boost.JSON
/// writes "4.5E0").
std::string scalar_json(const json::value& v) {
  if (!v.is_double()) return json::serialize(v);
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_double());
  std::string text(buf, ec == std::errc{} ? end : buf);
  // Still a double when read back: 4.0 stays 4.0, not the integer 4.
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

void compact_to(std::string& out, const json::value& v) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [k, member] : v.as_object()) {
      out += first ? "" : ",";
      first = false;
      out += json::serialize(json::string(k)) + ":";
      compact_to(out, member);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.as_array()) {
      out += first ? "" : ",";
      first = false;
      compact_to(out, item);
    }
    out += ']';
  } else {
    out += scalar_json(v);
  }
}

void pretty_to(std::string& out, const json::value& v, std::size_t depth) {
  auto indent = [&out](std::size_t d) { out += "\n" + std::string(2 * d, ' '); };
  if (v.is_object() && !v.as_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, member] : v.as_object()) {
      out += first ? "" : ",";
      first = false;
      indent(depth + 1);
      out += json::serialize(json::string(k)) + ": ";
      pretty_to(out, member, depth + 1);
    }
    indent(depth);
    out += '}';
  } else if (v.is_array() && !v.as_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.as_array()) {
      out += first ? "" : ",";
      first = false;
      indent(depth + 1);
      pretty_to(out, item, depth + 1);
    }
    indent(depth);
    out += ']';
  } else {
    out += scalar_json(v);
  }
}

}  // namespace

std::string compact_json(const json::value& v) {
  std::string out;
  compact_to(out, v);
  return out;
}

std::string pretty_json(const json::value& v) {
  std::string out;
  pretty_to(out, v, 0);
  return out;
}

std::string cell(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  return compact_json(*v);
}

std::string contract_text(const json::value& params) {
  if (!params.is_object() || params.as_object().empty()) return "-";
  std::string out;
  for (const auto& [name, spec] : params.as_object()) {
    out += (out.empty() ? "" : " ") + std::string(name) + ":";
    if (spec.is_string()) {
      out += std::string(spec.as_string());
    } else if (spec.is_object()) {
      out += cell(spec.as_object(), "type");
      if (auto* required = spec.as_object().if_contains("required");
          required && required->is_bool() && !required->as_bool())
        out += "?";
    }
  }
  return out;
}

std::string instant(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_int64() || v->as_int64() == 0) return "-";
  return model::format_iso_instant(v->as_int64());
}

json::object assignments(const std::vector<std::string>& pairs, std::string_view option) {
  json::object out;
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CLI::ValidationError(std::string(option), "expected NAME=VALUE, got \"" + pair + "\"");
    }
    auto text = std::string_view(pair).substr(eq + 1);
    json::error_code ec;
    auto parsed = json::parse(text, ec);
    out[pair.substr(0, eq)] = ec ? json::value(json::string(text)) : std::move(parsed);
  }
  return out;
}

json::value parse_answer(std::string_view body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (ec)
    throw std::runtime_error("the server's answer is not JSON: " +
                             std::string(body.substr(0, 200)));
  return v;
}

int watch_loop(const watch_options& options, const std::function<int()>& draw) {
  if (!options.watch) return draw();
  bool terminal = ::isatty(STDOUT_FILENO) == 1;
  for (std::size_t i = 0; options.count == 0 || i < options.count; ++i) {
    if (i > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(options.interval_s));
      if (!terminal) std::cout << "\n";
    }
    // Home and clear, so each redraw replaces the last one on a terminal.
    if (terminal) std::cout << "\033[H\033[2J";
    auto code = draw();
    std::cout << std::flush;
    if (code != 0) return code;
  }
  return 0;
}

}  // namespace baton::cmd
