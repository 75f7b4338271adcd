#include "storage/auth_store.hpp"

#include <boost/json.hpp>

#include "model/value.hpp"
#include "storage/json_codec.hpp"
#include "storage/process_store.hpp"

namespace baton::storage {

namespace json = boost::json;

namespace {

constexpr std::string_view secret_key = "auth-secret";  // in `meta`
constexpr std::size_t secret_size = 32;
constexpr std::string_view client_prefix = "client/";

std::string_view prefix_of(grant_kind kind) {
  return kind == grant_kind::token ? "token/" : "session/";
}

void submit(process_store& store, batch b, auth_store::written_fn done) {
  b.set_scope({write_scope::cluster_wide, 0});  // clients and grants hold on every node
  store.committer().submit(std::move(b), [done = std::move(done)](const status& written) {
    if (done) done(written);
  });
}

}  // namespace

std::string encode_client(const model::client& c) {
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
  return std::string(1, format_v1) + json::serialize(o);
}

std::optional<model::client> decode_client(std::string_view stored) {
  if (stored.empty() || stored[0] != format_v1) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(stored.substr(1), ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  model::client c;
  auto str = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  c.id = str("id");
  c.name = str("name");
  c.role = model::parse_role(str("role")).value_or(model::role::runner);
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

result<std::optional<std::string>> auth_store::secret() const {
  auto stored = store_.database().get(cf::meta, secret_key);
  if (!stored.ok()) return stored.error();
  if (stored.value() && stored.value()->size() == secret_size) return stored.value();
  return std::optional<std::string>();
}

status auth_store::put_secret(std::string_view secret) {
  batch b;
  b.put(cf::meta, secret_key, secret);
  return store_.database().write(b);
}

result<std::vector<model::client>> auth_store::clients() const {
  std::vector<model::client> out;
  auto scanned = store_.database().scan(cf::auth, client_prefix, {},
                                        [&](std::string_view, std::string_view v) {
                                          if (auto c = decode_client(v))
                                            out.push_back(std::move(*c));
                                          return true;
                                        });
  if (!scanned.ok()) return scanned;
  return out;
}

void auth_store::put_client(const model::client& c, written_fn done) {
  batch b;
  b.put(cf::auth, std::string(client_prefix) + c.id, encode_client(c));
  submit(store_, std::move(b), std::move(done));
}

void auth_store::erase_client(std::string_view id, written_fn done) {
  batch b;
  b.erase(cf::auth, std::string(client_prefix) + std::string(id));
  submit(store_, std::move(b), std::move(done));
}

result<std::map<std::string, stored_grant>> auth_store::grants(grant_kind kind,
                                                               std::int64_t now_ms) const {
  std::map<std::string, stored_grant> out;
  auto prefix = prefix_of(kind);
  auto scanned =
      store_.database().scan(cf::auth, prefix, {}, [&](std::string_view k, std::string_view v) {
        auto client = value_at_pointer(json_of(v), "/client");
        auto expires = value_at_pointer(json_of(v), "/expiresMs");
        if (client && expires && expires->integer > now_ms) {
          out[std::string(k.substr(prefix.size()))] = {client->text, expires->integer};
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  return out;
}

void auth_store::put_grant(grant_kind kind, std::string_view hash, const stored_grant& g,
                           written_fn done) {
  std::string v(1, format_v1);
  v += "{\"client\":\"";
  model::append_json_escaped(v, g.client_id);
  v += "\",\"expiresMs\":" + std::to_string(g.expires_ms) + "}";
  batch b;
  b.put(cf::auth, std::string(prefix_of(kind)) + std::string(hash), v);
  submit(store_, std::move(b), std::move(done));
}

void auth_store::erase_grant(grant_kind kind, std::string_view hash, written_fn done) {
  batch b;
  b.erase(cf::auth, std::string(prefix_of(kind)) + std::string(hash));
  submit(store_, std::move(b), std::move(done));
}

}  // namespace baton::storage
