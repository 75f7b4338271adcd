#pragma once

namespace baton::config {

struct http_settings;
struct storage_settings;
struct engine_settings;
struct outgoing_settings;
struct auth_settings;
struct settings;
struct problem;
struct load_result;

enum class durability;
enum class engine_mode;

}  // namespace baton::config
