#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "model/time.hpp"
#include "model/value.hpp"

/// Appending JSON to a string, by hand: what the snapshots of old, the stored definitions and
/// schedules, and every process the API returns are written with. A member is placed after
/// a ',' unless it is the first of its object or array (the string ends in '{' or '[').
namespace baton::model::json_write {

/// A JSON string holding `s`, escaped.
inline void str(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

/// A member name of our own (a literal): it needs no escaping, which saved 7k instructions
/// per process start.
inline void key(std::string& out, std::string_view k) {
  // One append for separator, quotes and name: four appends cost ~4k per start + complete.
  bool first = out.back() == '{' || out.back() == '[';
  char buf[48];
  if (k.size() > sizeof buf - 4) {  // longer than any of our names
    out += first ? "\"" : ",\"";
    out += k;
    out += "\":";
    return;
  }
  std::size_t n = 0;
  if (!first) buf[n++] = ',';
  buf[n++] = '"';
  std::memcpy(buf + n, k.data(), k.size());
  n += k.size();
  buf[n++] = '"';
  buf[n++] = ':';
  out.append(buf, n);
}

/// A member name that came from outside (a value's name), escaped.
inline void user_key(std::string& out, std::string_view k) {
  if (out.back() != '{' && out.back() != '[') out += ',';
  str(out, k);
  out += ':';
}

inline void field(std::string& out, std::string_view k, std::string_view v) {
  key(out, k);
  str(out, v);
}

inline void field(std::string& out, std::string_view k, std::int64_t v) {
  key(out, k);
  // Without std::to_string's temporary: a process and its history carry a dozen numbers.
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

inline void field(std::string& out, std::string_view k, bool v) {
  key(out, k);
  out += v ? "true" : "false";
}

/// `"k":"2026-…Z"`: the RFC 3339 UTC twin the API puts beside an epoch-ms member.
inline void time_field(std::string& out, std::string_view k, std::int64_t ms) {
  key(out, k);
  out += '"';
  append_iso_instant(out, ms);
  out += '"';
}

}  // namespace baton::model::json_write
