#pragma once

#include <span>
#include <string_view>

namespace baton::http {

/// A file kept as source in the repository and compiled into the binary
/// (tools/embed-files.cmake).
struct embedded_file {
  std::string_view name;   ///< its file name, e.g. "app.js"
  std::string_view bytes;  ///< its content
};

/// The web UI's static files (http/ui/).
std::span<const embedded_file> ui_files();

}  // namespace baton::http
