#pragma once

// Definitions the actor tests deploy, as a client would send them.

namespace baton::testing::defs {

/// An http step that retries three times with exponential backoff (1 s, 2 s, 4 s; no jitter).
inline constexpr const char* flaky = R"({"name": "Flaky", "outputs": ["price"], "steps": [
  {"id": "fetch", "kind": "http",
   "http": {"url": "http://pricing.test/p", "map": {"price": "/price"}},
   "retry": {"count": 3, "backoff": "exponential", "initialMs": 1000, "maxMs": 60000}}]})";

/// An http step that retries twice after a fixed 500 ms.
inline constexpr const char* fixed_retry = R"({"name": "FixedRetry", "steps": [
  {"id": "fetch", "kind": "http", "http": {"url": "http://pricing.test/q"},
   "retry": {"count": 2, "backoff": "fixed", "initialMs": 500}}]})";

/// Waits for complete-step with a string param, then ends.
inline constexpr const char* wait = R"({"name": "Wait", "outputs": ["answer"], "steps": [
  {"id": "ask", "kind": "external", "params": {"answer": "string"}}]})";

/// Sleeps 5 s, then sets x.
inline constexpr const char* nap = R"({"name": "Nap", "outputs": ["x"], "steps": [
  {"id": "nap", "kind": "timer", "duration": "5s"},
  {"id": "after", "kind": "script", "set": {"x": "woke"}}]})";

/// Sleeps 2 s, then sets x.
inline constexpr const char* short_nap = R"({"name": "ShortNap", "outputs": ["x"], "steps": [
  {"id": "nap", "kind": "timer", "duration": "PT2S"},
  {"id": "after", "kind": "script", "set": {"x": "short"}}]})";

/// Ends at once.
inline constexpr const char* instant = R"({"name": "Instant", "outputs": ["x"],
  "inputs": {"who": {"type": "string", "default": "you"}},
  "steps": [{"id": "hello", "kind": "script", "set": {"x": "hello ${who}"}}]})";

}  // namespace baton::testing::defs
