#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace baton::http::auth {

/// `n` random bytes from libsodium's CSPRNG.
std::string random_bytes(std::size_t n);
std::string to_hex(std::string_view bytes);
/// URL-safe base64 without padding (for tokens, session ids, passwords).
std::string base64url(std::string_view bytes);
std::string base64(std::string_view bytes);

/// HMAC-SHA256 of `message` under `key` (raw 32 bytes).
std::string hmac_sha256(std::string_view key, std::string_view message);
/// Compares in time independent of where the strings differ.
bool equal_constant_time(std::string_view a, std::string_view b);

/// Argon2id with OWASP's parameters (19 MiB, t=2, p=1), as a self-describing string.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view stored_hash, std::string_view password);
/// How many Argon2 verifications ran since start (for /metrics and the cache test).
std::uint64_t password_verifications();

}  // namespace baton::http::auth
