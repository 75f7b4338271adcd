#include "http/auth/clients.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <future>

#include "http/auth/secrets.hpp"
#include "storage/process_store.hpp"

namespace baton::http::auth {

namespace json = boost::json;

namespace {

constexpr std::string_view client_prefix = "client/";
constexpr std::int64_t cache_ttl_ms = 60'000;

std::string encode(const client& c) {
  json::object o;
  o["id"] = c.id;
  o["name"] = c.name;
  o["role"] = std::string(to_string(c.role));
  json::array defs;
  for (const auto& d : c.definitions) defs.emplace_back(d);
  o["definitions"] = std::move(defs);
  o["enabled"] = c.enabled;
  o["passwordHash"] = c.password_hash;
  o["apiKeyHash"] = c.api_key_hash;
  o["createdMs"] = c.created_ms;
  o["generation"] = c.generation;
  return "\x01" + json::serialize(o);
}

std::optional<client> decode(std::string_view stored) {
  if (stored.empty() || stored[0] != '\x01') return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(stored.substr(1), ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  client c;
  auto str = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  c.id = str("id");
  c.name = str("name");
  c.role = parse_role(str("role")).value_or(role::runner);
  c.definitions.clear();
  if (auto* d = o.if_contains("definitions"); d && d->is_array()) {
    for (const auto& g : d->as_array()) {
      if (g.is_string()) c.definitions.emplace_back(g.as_string());
    }
  }
  if (auto* e = o.if_contains("enabled"); e && e->is_bool()) c.enabled = e->as_bool();
  c.password_hash = str("passwordHash");
  c.api_key_hash = str("apiKeyHash");
  if (auto* t = o.if_contains("createdMs"); t && t->is_int64()) c.created_ms = t->as_int64();
  if (auto* g = o.if_contains("generation")) {
    if (g->is_int64())
      c.generation = static_cast<std::uint32_t>(g->as_int64());
    else if (g->is_uint64())
      c.generation = static_cast<std::uint32_t>(g->as_uint64());
  }
  return c;
}

issued_secrets new_secrets() { return {base64url(random_bytes(18)), to_hex(random_bytes(32))}; }

}  // namespace

std::string_view to_string(role r) {
  switch (r) {
    case role::runner:
      return "runner";
    case role::operator_:
      return "operator";
    case role::admin:
      return "admin";
  }
  return "runner";
}

std::optional<role> parse_role(std::string_view s) {
  if (s == "runner") return role::runner;
  if (s == "operator") return role::operator_;
  if (s == "admin") return role::admin;
  return std::nullopt;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool client::may_use(std::string_view definition) const {
  for (const auto& g : definitions) {
    if (glob_match(g, definition)) return true;
  }
  return false;
}

client_directory::client_directory(storage::process_store& store, std::size_t checks_at_once,
                                   model::clock_ms clock)
    : store_(store), clock_(std::move(clock)), password_slots_(checks_at_once) {
  auto& db = store_.database();
  auto stored = db.get(storage::cf::meta, "auth-secret");
  // Unreadable is not absent: a new secret here would void every API key and token.
  if (!stored.ok()) {
    throw std::runtime_error("cannot read the auth secret: " + stored.error().describe());
  }
  if (stored.value() && stored.value()->size() == 32) {
    secret_ = *stored.value();
  } else {
    secret_ = random_bytes(32);
    storage::batch b;
    b.put(storage::cf::meta, "auth-secret", secret_);
    if (auto written = db.write(b); !written.ok()) {
      throw std::runtime_error("cannot store the auth secret: " + written.describe());
    }
  }
  auto scanned = db.scan(storage::cf::auth, client_prefix, {}, [this](std::string_view, std::string_view v) {
    if (auto c = decode(v)) {
      id_by_name_[c->name] = c->id;
      if (!c->api_key_hash.empty()) id_by_key_hash_[c->api_key_hash] = c->id;
      by_id_[c->id] = std::move(*c);
    }
    return true;
  });
  if (!scanned.ok()) throw std::runtime_error("cannot read the clients: " + scanned.describe());
}

std::string client_directory::key_hash(std::string_view api_key) const {
  return to_hex(hmac_sha256(secret_, api_key));
}

std::optional<client> client_directory::find(std::string_view name_or_id) const {
  std::shared_lock lock(mutex_);
  if (auto it = by_id_.find(name_or_id); it != by_id_.end()) return it->second;
  if (auto it = id_by_name_.find(name_or_id); it != id_by_name_.end()) return by_id_.at(it->second);
  return std::nullopt;
}

std::optional<client> client_directory::by_api_key(std::string_view key) const {
  auto hash = key_hash(key);  // a keyed hash: the map lookup leaks nothing about the key
  std::shared_lock lock(mutex_);
  auto it = id_by_key_hash_.find(hash);
  if (it == id_by_key_hash_.end()) return std::nullopt;
  const auto& c = by_id_.at(it->second);
  if (!c.enabled || !equal_constant_time(c.api_key_hash, hash)) return std::nullopt;
  return c;
}

std::vector<client> client_directory::list() const {
  std::shared_lock lock(mutex_);
  std::vector<client> out;
  for (const auto& [id, c] : by_id_) out.push_back(c);
  return out;
}

bool client_directory::empty() const {
  std::shared_lock lock(mutex_);
  return by_id_.empty();
}

password_check client_directory::check_password(std::string_view name, std::string_view password) {
  password_check out;
  auto c = find(name);
  out.name_known = c.has_value();
  auto cache_key = to_hex(hmac_sha256(secret_, std::string(name) + '\0' + std::string(password)));
  auto now = clock_();
  {
    std::lock_guard lock(cache_mutex_);
    auto it = password_cache_.find(cache_key);
    if (it != password_cache_.end()) {
      if (c && c->enabled && c->id == it->second.client_id &&
          c->generation == it->second.generation && it->second.expires_ms > now) {
        out.result = password_check::kind::ok;
        out.who = std::move(c);
        return out;
      }
      password_cache_.erase(it);
    }
  }
  auto slot = password_slots_.try_take();
  if (!slot) {
    out.result = password_check::kind::busy;
    return out;
  }
  bool verified = false;
  if (!c || c->password_hash.empty()) {
    // Same cost as a real check, so the answer time does not tell whether the name exists.
    static const std::string decoy = hash_password("decoy password");
    verify_password(decoy, password);
  } else {
    verified = verify_password(c->password_hash, password);
  }
  if (!verified || !c->enabled) return out;
  std::lock_guard lock(cache_mutex_);
  if (password_cache_.size() > 100'000) password_cache_.clear();  // bounded
  password_cache_[cache_key] = {c->id, c->generation, now + cache_ttl_ms};
  out.result = password_check::kind::ok;
  out.who = std::move(c);
  return out;
}

void client_directory::persist(const client& c, std::function<void(std::string)> done) {
  storage::batch b;
  b.put(storage::cf::auth, std::string(client_prefix) + c.id, encode(c));
  store_.committer().submit(std::move(b), [done = std::move(done)](const storage::status& w) {
    if (done) done(w.ok() ? std::string() : w.describe());
  });
}

void client_directory::create(std::string name, role r, std::vector<std::string> definitions,
                              done_fn done) {
  if (name.empty() || name.size() > 100 || name.find_first_of(":/\\ \t\r\n") != std::string::npos) {
    return done(std::string("name must be 1-100 characters without ':', '/', spaces"));
  }
  if (definitions.empty()) definitions = {"*"};
  auto secrets = new_secrets();
  client c;
  c.id = to_hex(random_bytes(12));
  c.name = std::move(name);
  c.role = r;
  c.definitions = std::move(definitions);
  c.password_hash = hash_password(secrets.password);
  c.api_key_hash = key_hash(secrets.api_key);
  c.created_ms = clock_();
  {
    std::unique_lock lock(mutex_);
    if (id_by_name_.count(c.name))
      return done(std::string("a client named \"" + c.name + "\" exists"));
    // Reserve the name now so two concurrent creations cannot both win.
    id_by_name_[c.name] = c.id;
    by_id_[c.id] = c;
    id_by_key_hash_[c.api_key_hash] = c.id;
  }
  persist(c, [this, c, secrets, done = std::move(done)](const std::string& error) {
    if (!error.empty()) {
      std::unique_lock lock(mutex_);
      id_by_name_.erase(c.name);
      by_id_.erase(c.id);
      id_by_key_hash_.erase(c.api_key_hash);
      return done("storage: " + error);
    }
    done(std::make_pair(c, secrets));
  });
}

void client_directory::apply(const client& c) {
  std::unique_lock lock(mutex_);
  auto it = by_id_.find(c.id);
  if (it == by_id_.end()) return;  // clients are never deleted; nothing to apply to
  if (it->second.api_key_hash != c.api_key_hash) {
    id_by_key_hash_.erase(it->second.api_key_hash);
    id_by_key_hash_[c.api_key_hash] = c.id;
  }
  it->second = c;
}

void client_directory::rotate(std::string_view name_or_id, done_fn done) {
  auto found = find(name_or_id);
  if (!found) return done(std::string("unknown client \"" + std::string(name_or_id) + "\""));
  auto secrets = new_secrets();
  client c = *found;
  c.password_hash = hash_password(secrets.password);
  c.api_key_hash = key_hash(secrets.api_key);
  ++c.generation;
  // Memory changes only once the record is durable: a key shown to the caller must survive a
  // crash, and the old key must keep working if the write fails (the caller was told 503).
  persist(c, [this, c, secrets, done = std::move(done)](const std::string& error) {
    if (!error.empty()) return done("storage: " + error);
    apply(c);
    done(std::make_pair(c, secrets));
  });
}

void client_directory::set_enabled(std::string_view name_or_id, bool enabled, done_fn done) {
  auto found = find(name_or_id);
  if (!found) return done(std::string("unknown client \"" + std::string(name_or_id) + "\""));
  client c = *found;
  c.enabled = enabled;
  ++c.generation;
  persist(c, [this, c, done = std::move(done)](const std::string& error) {
    if (!error.empty()) return done("storage: " + error);
    apply(c);
    done(std::make_pair(c, issued_secrets{}));
  });
}

std::optional<std::string> client_directory::bootstrap_admin(const std::string& data_dir) {
  if (!empty()) return std::nullopt;
  std::promise<result> created;
  create("admin", role::admin, {"*"}, [&created](result r) { created.set_value(std::move(r)); });
  auto r = created.get_future().get();
  if (auto* error = std::get_if<std::string>(&r)) throw std::runtime_error(*error);
  auto key = std::get<0>(r).second.api_key;
  auto path = data_dir + "/initial-admin-key";
  {
    std::ofstream out(path, std::ios::trunc);
    out << key << "\n";
  }
  ::chmod(path.c_str(), 0600);
  return key;
}

}  // namespace baton::http::auth
