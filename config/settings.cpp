#include "config/settings.hpp"

#include <date/tz.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

extern char** environ;

namespace baton::config {
namespace {

constexpr std::string_view env_prefix = "BATON_";

/// Variables the `baton` CLI reads to reach a server. A shell that exports them for the CLI
/// may also start `baton serve`; they are not settings, so they must not stop it.
bool is_client_variable(std::string_view name) {
  return name == "BATON_URL" || name == "BATON_KEY" || name == "BATON_PROFILE";
}

constexpr std::int64_t no_limit = std::numeric_limits<std::int64_t>::max();

/// What a value must satisfy beyond its C++ type.
enum class rule : std::uint8_t {
  none,
  non_empty,
  listen_address,  ///< host:port, port 0-65535
  byte_size,       ///< integer bytes, or a string such as "16KiB"
  time_zone,       ///< empty, or a zone in the IANA database
  host_list,       ///< every entry is host or host:port, port 1-65535
  secret_list,     ///< no entry is empty
  name,            ///< empty, or 1-64 of letters, digits, '-', '_' and '.' (an etcd key part)
  url_list,        ///< every entry is http://host:port
};

/// The field a key writes to; the alternative also decides how the value is read.
using target = std::variant<std::string*, std::size_t*, millis*, bool*, durability*, engine_mode*,
                            std::vector<std::string>*>;

struct key_spec {
  std::string_view key;  ///< dotted, as in the file's [section] key
  target (*bind)(settings&);
  rule check = rule::none;
  std::int64_t min = 0;  ///< inclusive bounds for integers
  std::int64_t max = no_limit;
};

// Beast takes the header limit as a 32-bit count; refuse here what it would truncate.
constexpr std::int64_t max_header_limit = std::numeric_limits<std::uint32_t>::max();

// The one table of keys: the file, the environment and the flags all resolve through it.
const key_spec specs[] = {
    {"http.listen", [](settings& s) -> target { return &s.http.listen; }, rule::listen_address},
    {"http.io_threads", [](settings& s) -> target { return &s.http.io_threads; }, rule::none, 1,
     1024},
    {"http.body_limit", [](settings& s) -> target { return &s.http.body_limit; }, rule::byte_size,
     1},
    {"http.header_limit", [](settings& s) -> target { return &s.http.header_limit; },
     rule::byte_size, 1, max_header_limit},
    {"http.header_timeout_ms", [](settings& s) -> target { return &s.http.header_timeout; },
     rule::none, 1},
    {"http.idle_timeout_ms", [](settings& s) -> target { return &s.http.idle_timeout; }, rule::none,
     1},
    {"http.pipeline_limit", [](settings& s) -> target { return &s.http.pipeline_limit; },
     rule::none, 1},
    {"http.body_timeout_ms", [](settings& s) -> target { return &s.http.body_timeout; }, rule::none,
     1},
    {"http.write_timeout_ms", [](settings& s) -> target { return &s.http.write_timeout; },
     rule::none, 1},
    {"http.max_buffered_per_connection",
     [](settings& s) -> target { return &s.http.max_buffered_per_connection; }, rule::byte_size, 1},
    {"http.max_buffered_total", [](settings& s) -> target { return &s.http.max_buffered_total; },
     rule::byte_size, 1},
    {"http.drain_timeout_ms", [](settings& s) -> target { return &s.http.drain_timeout; },
     rule::none, 1},
    {"http.max_connections", [](settings& s) -> target { return &s.http.max_connections; },
     rule::none, 1},
    {"http.tls_cert", [](settings& s) -> target { return &s.http.tls_cert; }},
    {"http.tls_key", [](settings& s) -> target { return &s.http.tls_key; }},
    {"http.metrics_public", [](settings& s) -> target { return &s.http.metrics_public; }},
    {"storage.data_dir", [](settings& s) -> target { return &s.storage.data_dir; },
     rule::non_empty},
    {"storage.mode", [](settings& s) -> target { return &s.storage.mode; }},
    {"storage.min_free_bytes", [](settings& s) -> target { return &s.storage.min_free_bytes; },
     rule::byte_size},
    {"storage.ballast_bytes", [](settings& s) -> target { return &s.storage.ballast_bytes; },
     rule::byte_size},
    {"engine.definitions_dir", [](settings& s) -> target { return &s.engine.definitions_dir; }},
    {"engine.passivate_after_ms", [](settings& s) -> target { return &s.engine.passivate_after; }},
    {"engine.mode", [](settings& s) -> target { return &s.engine.mode; }},
    {"engine.time_zone", [](settings& s) -> target { return &s.engine.time_zone; },
     rule::time_zone},
    {"engine.parallel_scopes", [](settings& s) -> target { return &s.engine.parallel_scopes; }},
    // A hold is a batching window, not a wait: a second is already far past useful.
    {"engine.job_activation_hold_ms",
     [](settings& s) -> target { return &s.engine.job_activation_hold; }, rule::none, 0, 1000},
    {"outgoing.allow_hosts", [](settings& s) -> target { return &s.outgoing.allow_hosts; },
     rule::host_list},
    {"outgoing.default_timeout_ms",
     [](settings& s) -> target { return &s.outgoing.default_timeout; }, rule::none, 1},
    {"outgoing.callback_attempts",
     [](settings& s) -> target { return &s.outgoing.callback_attempts; }, rule::none, 1},
    {"outgoing.callback_backoff_ms",
     [](settings& s) -> target { return &s.outgoing.callback_backoff; }, rule::none, 1},
    {"outgoing.callback_max_in_flight",
     [](settings& s) -> target { return &s.outgoing.callback_max_in_flight; }, rule::none, 1},
    {"auth.api_keys", [](settings& s) -> target { return &s.auth.api_keys; }, rule::secret_list},
    {"auth.basic_users", [](settings& s) -> target { return &s.auth.basic_users; },
     rule::secret_list},
    {"auth.required", [](settings& s) -> target { return &s.auth.required; }},
    {"auth.token_ttl_ms", [](settings& s) -> target { return &s.auth.token_ttl; }, rule::none, 1},
    {"auth.session_ttl_ms", [](settings& s) -> target { return &s.auth.session_ttl; }, rule::none,
     1},
    {"auth.oauth_host", [](settings& s) -> target { return &s.auth.oauth_host; }},
    {"auth.password_checks_at_once",
     [](settings& s) -> target { return &s.auth.password_checks_at_once; }, rule::none, 1, 64},
    {"cluster.etcd", [](settings& s) -> target { return &s.cluster.etcd; }, rule::url_list},
    {"cluster.node", [](settings& s) -> target { return &s.cluster.node; }, rule::name},
    {"cluster.name", [](settings& s) -> target { return &s.cluster.name; }, rule::name},
    {"cluster.partitions", [](settings& s) -> target { return &s.cluster.partitions; }, rule::none,
     1, 1024},
    // etcd refuses TTLs under its election timeout (about 1.5 s by default).
    {"cluster.lease_ms", [](settings& s) -> target { return &s.cluster.lease; }, rule::none, 2000,
     600'000},
};

constexpr std::pair<std::string_view, durability> durability_names[] = {
    {"sync", durability::sync},
    {"async", durability::async},
};

constexpr std::pair<std::string_view, engine_mode> engine_mode_names[] = {
    {"normal", engine_mode::normal},
    {"sandbox", engine_mode::sandbox},
};

const key_spec* find_spec(std::string_view key) {
  auto it = std::find_if(std::begin(specs), std::end(specs),
                         [&](const key_spec& s) { return s.key == key; });
  return it == std::end(specs) ? nullptr : &*it;
}

/// "http.body_limit" -> "BATON_HTTP__BODY_LIMIT".
std::string env_name(std::string_view key) {
  std::string out{env_prefix};
  for (char c : key) {
    if (c == '.')
      out += "__";
    else
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// " (did you mean 'x'?)" when one key is a likely typo of `given`, else empty.
/// @param spell how a key is written in the source at hand (dotted, or as a variable name)
std::string suggestion(std::string_view given, std::string (*spell)(std::string_view)) {
  std::string best;
  std::size_t best_distance = 3;  // more than two edits away is a different word, not a typo
  for (const auto& s : specs) {
    auto candidate = spell(s.key);
    auto d = edit_distance(given, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::move(candidate);
    }
  }
  return best.empty() ? std::string{} : " (did you mean '" + best + "'?)";
}

std::string as_dotted(std::string_view key) { return std::string{key}; }

std::string section_of(std::string_view key) { return std::string{key.substr(0, key.find('.'))}; }

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

/// Why one value (or one entry of a list, at `entry`) is invalid.
struct fault {
  std::string message;
  std::optional<std::size_t> entry;
};

using faults = std::vector<fault>;

faults one(std::string message) { return {fault{std::move(message), std::nullopt}}; }

faults wrong_type(std::string_view expected, const toml::node& node) {
  return one("expected " + std::string{expected} + ", got " + std::string{type_name(node.type())});
}

/// One value as a source spells it: a node from the TOML file, or text from env and flags.
struct input {
  const toml::node* node = nullptr;
  std::string_view text;
};

// -- checks shared by all sources -------------------------------------------------------------

std::optional<std::string> check_range(std::int64_t value, const key_spec& spec) {
  if (value >= spec.min && value <= spec.max) return std::nullopt;
  if (spec.max == no_limit)
    return "must be at least " + std::to_string(spec.min) + ", got " + std::to_string(value);
  return "must be between " + std::to_string(spec.min) + " and " + std::to_string(spec.max) +
         ", got " + std::to_string(value);
}

std::optional<std::string> check_port(std::string_view port, int min) {
  if (port.empty()) return "the port is missing";
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  bool whole = end == port.data() + port.size();
  if (!whole || (ec != std::errc{} && ec != std::errc::result_out_of_range))
    return "port '" + std::string{port} + "' is not a number";
  if (ec == std::errc::result_out_of_range || value > 65535 || value < static_cast<unsigned>(min))
    return "port " + std::string{port} + " is out of range " + std::to_string(min) + "-65535";
  return std::nullopt;
}

std::optional<std::string> check_host(std::string_view host) {
  if (host.empty()) return "the host is missing";
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
      return "host '" + std::string{host} + "' has an invalid character '" + std::string(1, c) +
             "'";
  }
  return std::nullopt;
}

/// Checks "host:port", "[v6]:port", and when the port is optional also "host" and "[v6]".
std::optional<std::string> check_endpoint(std::string_view text, bool port_required, int min_port) {
  const std::string_view shape = port_required ? "host:port" : "host or host:port";
  if (text.find("://") != std::string_view::npos)
    return "'" + std::string{text} + "' must be " + std::string{shape} + ", without a scheme";
  std::string_view host;
  std::optional<std::string_view> port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return "'" + std::string{text} + "' has no closing ']'";
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "'" + std::string{text} + "' must be " + std::string{shape};
      port = rest.substr(1);
    }
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != host.npos)
      return "'" + std::string{host} + "' is not an IPv6 address";
  } else {
    auto colon = text.find(':');
    if (colon != text.rfind(':'))
      return "'" + std::string{text} + "' has several ':'; write IPv6 addresses as [::1]:8080";
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
    if (auto why = check_host(host))
      return "'" + std::string{text} + "' must be " + std::string{shape} + ": " + *why;
  }
  if (!port) {
    if (port_required) return "'" + std::string{text} + "' must be host:port, e.g. 127.0.0.1:8080";
    return std::nullopt;
  }
  if (auto why = check_port(*port, min_port)) return "'" + std::string{text} + "': " + *why;
  return std::nullopt;
}

std::optional<std::string> check_time_zone(const std::string& name) {
  if (name.empty()) return std::nullopt;
  try {
    date::locate_zone(name);
    return std::nullopt;
  } catch (const std::exception&) {
    return "'" + name + "' is not a time zone in the IANA database, e.g. Europe/Berlin";
  }
}

std::optional<std::string> check_name(const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto allowed = [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  };
  if (name.size() > 64 || !std::all_of(name.begin(), name.end(), allowed))
    return "'" + name + "' must be 1-64 letters, digits, '-', '_' or '.'";
  return std::nullopt;
}

std::optional<std::string> check_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    return "'" + url + "' must be an http:// URL, e.g. http://127.0.0.1:2379";
  auto rest = std::string_view{url}.substr(scheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != rest.npos) return "'" + url + "' must have no path";
  return check_endpoint(rest, true, 1);
}

faults check_string(const key_spec& spec, const std::string& value) {
  std::optional<std::string> why;
  switch (spec.check) {
    case rule::non_empty:
      if (value.empty()) why = "must not be empty";
      break;
    case rule::listen_address:
      why = check_endpoint(value, true, 0);
      break;
    case rule::time_zone:
      why = check_time_zone(value);
      break;
    case rule::name:
      why = check_name(value);
      break;
    default:
      break;
  }
  return why ? one(std::move(*why)) : faults{};
}

faults check_list(const key_spec& spec, const std::vector<std::string>& values) {
  faults out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (spec.check == rule::host_list) {
      if (auto why = check_endpoint(values[i], false, 1))
        out.push_back({"entry " + std::to_string(i + 1) + ": " + *why, i});
    } else if (spec.check == rule::url_list) {
      if (auto why = check_url(values[i]))
        out.push_back({"entry " + std::to_string(i + 1) + ": " + *why, i});
    } else if (spec.check == rule::secret_list && values[i].empty()) {
      out.push_back({"entry " + std::to_string(i + 1) + " is empty", i});
    }
  }
  return out;
}

// -- reading one value ------------------------------------------------------------------------

std::optional<std::string> parse_integer(std::string_view text, std::int64_t& out) {
  text = trim(text);
  if (text.starts_with('+')) text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec == std::errc::result_out_of_range) return "'" + std::string{text} + "' is too large";
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    return "expected an integer, got '" + std::string{text} + "'";
  return std::nullopt;
}

/// Bytes, spelled as "1048576", "512B", "16KiB", "1 MiB" or "2GiB".
std::optional<std::string> parse_size(std::string_view text, std::int64_t& out) {
  text = trim(text);
  auto digits_end = text.find_first_not_of("0123456789");
  auto number = text.substr(0, digits_end);
  auto unit = digits_end == text.npos ? std::string_view{} : trim(text.substr(digits_end));
  if (number.empty())
    return "expected a size such as 1048576 or \"1MiB\", got '" + std::string{text} + "'";
  if (auto why = parse_integer(number, out)) return why;
  std::int64_t scale = 1;
  auto u = lower(unit);
  if (u.empty() || u == "b")
    scale = 1;
  else if (u == "kib")
    scale = std::int64_t{1} << 10;
  else if (u == "mib")
    scale = std::int64_t{1} << 20;
  else if (u == "gib")
    scale = std::int64_t{1} << 30;
  else
    return "unknown size unit '" + std::string{unit} + "'; use B, KiB, MiB or GiB";
  if (out > no_limit / scale) return "'" + std::string{text} + "' is too large";
  out *= scale;
  return std::nullopt;
}

faults read_integer(const key_spec& spec, const input& in, std::int64_t& out) {
  std::optional<std::string> why;
  if (in.node) {
    if (auto i = in.node->as_integer())
      out = i->get();
    else if (auto s = in.node->as_string(); s && spec.check == rule::byte_size)
      why = parse_size(s->get(), out);
    else
      return wrong_type(spec.check == rule::byte_size ? "an integer or a size string like \"1MiB\""
                                                      : "an integer",
                        *in.node);
  } else {
    why = spec.check == rule::byte_size ? parse_size(in.text, out) : parse_integer(in.text, out);
  }
  if (!why) why = check_range(out, spec);
  return why ? one(std::move(*why)) : faults{};
}

faults read(const key_spec& spec, const input& in, std::size_t& out) {
  std::int64_t value = 0;
  auto problems = read_integer(spec, in, value);
  if (problems.empty()) out = static_cast<std::size_t>(value);
  return problems;
}

faults read(const key_spec& spec, const input& in, millis& out) {
  std::int64_t value = 0;
  auto problems = read_integer(spec, in, value);
  if (problems.empty()) out = millis{value};
  return problems;
}

faults read(const key_spec& spec, const input& in, std::string& out) {
  if (in.node) {
    auto s = in.node->as_string();
    if (!s) return wrong_type("a string", *in.node);
    out = s->get();
  } else {
    out = std::string{in.text};
  }
  return check_string(spec, out);
}

faults read(const key_spec&, const input& in, bool& out) {
  if (in.node) {
    auto b = in.node->as_boolean();
    if (!b) return wrong_type("a boolean", *in.node);
    out = b->get();
    return {};
  }
  auto text = lower(trim(in.text));
  if (text == "true" || text == "1" || text == "yes" || text == "on")
    out = true;
  else if (text == "false" || text == "0" || text == "no" || text == "off")
    out = false;
  else
    return one("expected true or false, got '" + std::string{in.text} + "'");
  return {};
}

template <class Enum>
faults read_enum(const input& in, std::span<const std::pair<std::string_view, Enum>> names,
                 Enum& out) {
  std::string_view text = in.text;
  if (in.node) {
    auto s = in.node->as_string();
    if (!s) return wrong_type("a string", *in.node);
    text = s->get();
  }
  text = trim(text);
  std::string allowed;
  for (const auto& [name, value] : names) {
    if (name == text) {
      out = value;
      return {};
    }
    allowed += allowed.empty() ? "" : ", ";
    allowed += name;
  }
  return one("'" + std::string{text} + "' is not one of: " + allowed);
}

faults read(const key_spec&, const input& in, durability& out) {
  return read_enum<durability>(in, durability_names, out);
}

faults read(const key_spec&, const input& in, engine_mode& out) {
  return read_enum<engine_mode>(in, engine_mode_names, out);
}

/// From the file: an array of strings. From env and flags: comma-separated, blanks dropped, so
/// that an empty variable clears the list.
faults read(const key_spec& spec, const input& in, std::vector<std::string>& out) {
  out.clear();
  if (in.node) {
    auto array = in.node->as_array();
    if (!array) return wrong_type("an array of strings", *in.node);
    faults problems;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const auto& element = *array->get(i);
      if (auto s = element.as_string())
        out.push_back(s->get());
      else
        problems.push_back({"entry " + std::to_string(i + 1) + ": expected a string, got " +
                                std::string{type_name(element.type())},
                            i});
    }
    if (!problems.empty()) return problems;
  } else {
    std::string_view rest = in.text;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto entry = trim(rest.substr(0, comma));
      if (!entry.empty()) out.emplace_back(entry);
      rest = comma == rest.npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return check_list(spec, out);
}

// -- the sources ------------------------------------------------------------------------------

class loader {
 public:
  /// Reads `in` into the field of `spec`; on success the key now comes from `source`.
  /// @param source "path" for the file (lines are appended per node), else "env X" or "flag x"
  void apply(const key_spec& spec, const input& in, const std::string& source) {
    std::visit(
        [&](auto* field) {
          using value_type = std::remove_pointer_t<decltype(field)>;
          value_type candidate{};
          auto problems = read(spec, in, candidate);
          for (auto& f : problems) report(spec.key, where(in, f, source), std::move(f.message));
          if (problems.empty()) {
            *field = std::move(candidate);
            origin_[spec.key] = in.node ? at_line(source, *in.node) : source;
          }
        },
        spec.bind(result_.values));
  }

  void load_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      report("", path, "config file not found");
      return;
    }
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      auto line = e.source().begin.line;
      report("", line > 0 ? path + ":" + std::to_string(line) : path,
             "TOML syntax error: " + std::string{e.description()});
      return;
    }
    const auto first = result_.problems.size();
    for (auto&& [section_key, section_node] : root) {
      std::string section{section_key.str()};
      bool known = std::any_of(std::begin(specs), std::end(specs),
                               [&](const key_spec& s) { return section_of(s.key) == section; });
      if (!known) {
        report(section, at_line(path, section_node),
               "unknown section" + suggestion(section, section_of) +
                   "; sections are http, storage, engine, outgoing, auth and cluster");
        continue;
      }
      auto table = section_node.as_table();
      if (!table) {
        report(section, at_line(path, section_node),
               "expected a table [" + section + "], got " +
                   std::string{type_name(section_node.type())});
        continue;
      }
      for (auto&& [key, value] : *table) {
        auto dotted = section + "." + std::string{key.str()};
        if (auto spec = find_spec(dotted))
          apply(*spec, input{&value, {}}, path);
        else
          report(dotted, at_line(path, value), "unknown key" + suggestion(dotted, as_dotted));
      }
    }
    // Tables iterate in key order; a reader fixes the file top to bottom.
    std::stable_sort(result_.problems.begin() + static_cast<std::ptrdiff_t>(first),
                     result_.problems.end(), [&](const problem& a, const problem& b) {
                       return line_of(a.source, path) < line_of(b.source, path);
                     });
  }

  void load_environment(const std::map<std::string, std::string>& environment) {
    for (const auto& [name, value] : environment) {
      if (!std::string_view{name}.starts_with(env_prefix)) continue;
      if (is_client_variable(name)) continue;
      std::string source = "env " + name;
      std::string key = lower(std::string_view{name}.substr(env_prefix.size()));
      auto separator = key.find("__");
      if (separator != key.npos) key.replace(separator, 2, ".");
      if (auto spec = find_spec(key))
        apply(*spec, input{nullptr, value}, source);
      else
        report(
            key, source,
            "unknown setting; variables are named BATON_SECTION__KEY" + suggestion(name, env_name));
    }
  }

  void load_flags(const std::map<std::string, std::string>& flags) {
    for (const auto& [key, value] : flags) {
      if (auto spec = find_spec(key))
        apply(*spec, input{nullptr, value}, "flag " + key);
      else
        report(key, "flag " + key, "unknown setting" + suggestion(key, as_dotted));
    }
  }

  /// Rules that span keys, checked on the merged values.
  void check_combinations() {
    const auto& http = result_.values.http;
    if (!http.tls_cert.empty() && http.tls_key.empty())
      report("http.tls_cert", origin_["http.tls_cert"],
             "tls_cert is set but tls_key is not; TLS needs both");
    if (http.tls_cert.empty() && !http.tls_key.empty())
      report("http.tls_key", origin_["http.tls_key"],
             "tls_key is set but tls_cert is not; TLS needs both");
    const auto& cluster = result_.values.cluster;
    if (!cluster.etcd.empty() && cluster.node.empty())
      report("cluster.node", origin_["cluster.etcd"],
             "cluster.etcd is set but cluster.node is not; every node of a cluster needs a "
             "name of its own (--node)");
    if (!cluster.etcd.empty() && cluster.name.empty())
      report("cluster.name", origin_["cluster.name"], "must not be empty in a cluster");
  }

  load_result take() && { return std::move(result_); }

 private:
  static std::string at_line(const std::string& path, const toml::node& node) {
    return path + ":" + std::to_string(node.source().begin.line);
  }

  static std::string where(const input& in, const fault& f, const std::string& source) {
    if (!in.node) return source;
    if (auto array = in.node->as_array(); array && f.entry && *f.entry < array->size())
      return at_line(source, *array->get(*f.entry));
    return at_line(source, *in.node);
  }

  static std::uint64_t line_of(std::string_view source, std::string_view path) {
    std::uint64_t line = 0;
    if (source.size() > path.size() + 1 && source.starts_with(path))
      std::from_chars(source.data() + path.size() + 1, source.data() + source.size(), line);
    return line;
  }

  void report(std::string_view key, std::string source, std::string message) {
    result_.problems.push_back({std::string{key}, std::move(source), std::move(message)});
  }

  load_result result_;
  std::map<std::string_view, std::string> origin_;  ///< key -> source of its current value
};

}  // namespace

load_result load(const std::optional<std::string>& file,
                 const std::map<std::string, std::string>& environment,
                 const std::map<std::string, std::string>& flags) {
  loader l;
  if (file) l.load_file(*file);
  l.load_environment(environment);
  l.load_flags(flags);
  l.check_combinations();
  return std::move(l).take();
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text{*entry};
    auto eq = text.find('=');
    if (eq != text.npos) out.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

}  // namespace baton::config
