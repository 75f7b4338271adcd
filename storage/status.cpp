#include "storage/status.hpp"

namespace baton::storage {

std::string_view to_string(storage_errc code) {
  switch (code) {
    case storage_errc::ok:
      return "ok";
    case storage_errc::io_error:
      return "io_error";
    case storage_errc::corruption:
      return "corruption";
    case storage_errc::no_space:
      return "no_space";
    case storage_errc::busy:
      return "busy";
    case storage_errc::shutting_down:
      return "shutting_down";
    case storage_errc::not_owner:
      return "not_owner";
  }
  return "unknown";
}

std::string status::describe() const {
  std::string out(to_string(code_));
  if (!detail_.empty()) out += ": " + detail_;
  return out;
}

}  // namespace baton::storage
