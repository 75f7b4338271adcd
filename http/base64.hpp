#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace baton::http {

/// Decodes standard base64 (as in `Authorization: Basic` and `OAuth` headers); `ok` is false
/// when the text is not base64.
std::string base64_decode(std::string_view text, bool& ok);

}  // namespace baton::http
