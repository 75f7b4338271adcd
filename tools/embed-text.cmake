# Writes OUTPUT, a C++ file defining `std::string_view baton::http::FUNCTION()` that returns
# the bytes of INPUT: documents kept as source in the repository, served from the binary.
# Hex bytes rather than a raw string, so that no content can end the literal early.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by tools/embed-text.cmake; edit the source, not this file.\n"
  "#include <string_view>\n"
  "namespace baton::http {\n"
  "namespace { constexpr char bytes[] = {${bytes} '\\0'}; }\n"
  "std::string_view ${FUNCTION}() { return {bytes, sizeof bytes - 1}; }\n"
  "}  // namespace baton::http\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
