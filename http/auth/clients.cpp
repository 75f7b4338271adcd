#include "http/auth/clients.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>

#include "http/auth/secrets.hpp"

namespace baton::http::auth {

namespace {

constexpr std::int64_t cache_ttl_ms = 60'000;

/// The cluster-wide claim on a client name: held while its client exists.
std::string name_claim(std::string_view name) { return "client-name/" + std::string(name); }

issued_secrets new_secrets() { return {base64url(random_bytes(18)), to_hex(random_bytes(32))}; }

}  // namespace

client_directory::client_directory(storage::process_store& store, std::size_t checks_at_once,
                                   model::clock_ms clock, agreement agree)
    : store_(store),
      clock_(std::move(clock)),
      agree_(std::move(agree)),
      password_slots_(checks_at_once) {
  auto stored = store_.secret();
  // Unreadable is not absent: a new secret here would void every API key and token.
  if (!stored.ok()) {
    throw std::runtime_error("cannot read the auth secret: " + stored.error().describe());
  }
  secret_ = stored.value() ? *stored.value() : random_bytes(32);
  if (agree_.agree) {
    // In a cluster every node hashes keys and tokens under the secret the first node chose.
    auto agreed = agree_.agree("auth-secret", secret_);
    if (!agreed || agreed->size() != secret_.size())
      throw std::runtime_error("cannot agree on the auth secret with the cluster");
    secret_ = std::move(*agreed);
  }
  if (!stored.value() || *stored.value() != secret_) {
    if (auto written = store_.put_secret(secret_); !written.ok()) {
      throw std::runtime_error("cannot store the auth secret: " + written.describe());
    }
  }
  if (auto loaded = reload(); !loaded.ok()) {
    throw std::runtime_error("cannot read the clients: " + loaded.describe());
  }
}

storage::status client_directory::reload() {
  auto clients = store_.clients();
  if (!clients.ok()) return clients.error();
  decltype(by_id_) by_id;
  decltype(id_by_name_) id_by_name;
  decltype(id_by_key_hash_) id_by_key_hash;
  for (auto& c : clients.value()) {
    id_by_name[c.name] = c.id;
    if (!c.api_key_hash.empty()) id_by_key_hash[c.api_key_hash] = c.id;
    by_id[c.id] = std::move(c);
  }
  std::unique_lock lock(mutex_);
  for (const auto& id : reserved_) {  // being created here: not in the store yet
    const auto& c = by_id_.at(id);
    id_by_name[c.name] = c.id;
    id_by_key_hash[c.api_key_hash] = c.id;
    by_id[c.id] = c;
  }
  by_id_ = std::move(by_id);
  id_by_name_ = std::move(id_by_name);
  id_by_key_hash_ = std::move(id_by_key_hash);
  return {};
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

namespace {

client_error not_stored(const storage::status& written) {
  return {client_error::kind::not_stored, "the change could not be stored", written};
}

client_error unknown(std::string_view name_or_id) {
  return {client_error::kind::unknown, "unknown client \"" + std::string(name_or_id) + "\"", {}};
}

}  // namespace

void client_directory::create(std::string name, role r, std::vector<std::string> definitions,
                              done_fn done) {
  if (name.empty() || name.size() > 100 || name.find_first_of(":/\\ \t\r\n") != std::string::npos) {
    return done(client_error{client_error::kind::invalid_name,
                             "name must be 1-100 characters without ':', '/', spaces",
                             {}});
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
      return done(
          client_error{client_error::kind::exists, "a client named \"" + c.name + "\" exists", {}});
    // Reserve the name now so two concurrent creations cannot both win.
    id_by_name_[c.name] = c.id;
    by_id_[c.id] = c;
    id_by_key_hash_[c.api_key_hash] = c.id;
    reserved_.insert(c.id);
  }
  if (agree_.agree) {
    // The creation whose id the cluster holds for the name is the one that may store it (a
    // claim is given back if that write fails). One etcd round trip, on the calling thread,
    // for a rare admin action.
    auto owner = agree_.agree(name_claim(c.name), c.id);
    if (!owner || *owner != c.id) {
      {
        std::unique_lock lock(mutex_);
        reserved_.erase(c.id);
        id_by_name_.erase(c.name);
        by_id_.erase(c.id);
        id_by_key_hash_.erase(c.api_key_hash);
      }
      if (!owner) {
        return done(not_stored(storage::status(storage::storage_errc::busy,
                                               "the cluster could not be asked about the name")));
      }
      return done(
          client_error{client_error::kind::exists, "a client named \"" + c.name + "\" exists", {}});
    }
  }
  store_.put_client(c, [this, c, secrets, done = std::move(done)](const storage::status& written) {
    {
      std::unique_lock lock(mutex_);
      reserved_.erase(c.id);
      if (!written.ok()) {
        id_by_name_.erase(c.name);
        by_id_.erase(c.id);
        id_by_key_hash_.erase(c.api_key_hash);
      }
    }
    if (!written.ok()) {
      if (agree_.release) agree_.release(name_claim(c.name), c.id);
      return done(not_stored(written));
    }
    done(std::make_pair(c, secrets));
  });
}

void client_directory::apply(const client& c) {
  std::unique_lock lock(mutex_);
  auto it = by_id_.find(c.id);
  if (it == by_id_.end()) return;  // deleted meanwhile: nothing to apply to
  if (it->second.api_key_hash != c.api_key_hash) {
    id_by_key_hash_.erase(it->second.api_key_hash);
    id_by_key_hash_[c.api_key_hash] = c.id;
  }
  it->second = c;
}

void client_directory::rotate(std::string_view name_or_id, done_fn done) {
  auto found = find(name_or_id);
  if (!found) return done(unknown(name_or_id));
  auto secrets = new_secrets();
  client c = *found;
  c.password_hash = hash_password(secrets.password);
  c.api_key_hash = key_hash(secrets.api_key);
  ++c.generation;
  // Memory changes only once the record is durable: a key shown to the caller must survive a
  // crash, and the old key must keep working if the write fails (the caller was told 503).
  store_.put_client(c, [this, c, secrets, done = std::move(done)](const storage::status& written) {
    if (!written.ok()) return done(not_stored(written));
    apply(c);
    done(std::make_pair(c, secrets));
  });
}

void client_directory::set_enabled(std::string_view name_or_id, bool enabled, done_fn done) {
  auto found = find(name_or_id);
  if (!found) return done(unknown(name_or_id));
  client c = *found;
  c.enabled = enabled;
  ++c.generation;
  store_.put_client(c, [this, c, done = std::move(done)](const storage::status& written) {
    if (!written.ok()) return done(not_stored(written));
    apply(c);
    done(std::make_pair(c, issued_secrets{}));
  });
}

void client_directory::remove(std::string_view name_or_id, done_fn done) {
  auto found = find(name_or_id);
  if (!found) return done(unknown(name_or_id));
  client c = *found;
  store_.erase_client(c.id, [this, c, done = std::move(done)](const storage::status& written) {
    if (!written.ok()) return done(not_stored(written));
    {
      std::unique_lock lock(mutex_);
      by_id_.erase(c.id);
      if (auto it = id_by_name_.find(c.name); it != id_by_name_.end() && it->second == c.id)
        id_by_name_.erase(it);
      id_by_key_hash_.erase(c.api_key_hash);
    }
    if (agree_.release) agree_.release(name_claim(c.name), c.id);
    done(std::make_pair(c, issued_secrets{}));
  });
}

std::optional<std::string> client_directory::bootstrap_admin(const std::string& data_dir) {
  if (!empty()) return std::nullopt;
  std::promise<result> created;
  create("admin", role::admin, {"*"}, [&created](result r) { created.set_value(std::move(r)); });
  auto r = created.get_future().get();
  if (auto* error = std::get_if<client_error>(&r)) {
    auto why = error->written.ok() ? std::string() : ": " + error->written.describe();
    throw std::runtime_error(error->message + why);
  }
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
