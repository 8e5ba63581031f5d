// The built-in web page served at GET / until the real UI (web/) is embedded.
#pragma once

#include <string_view>

namespace tracery::server {

// A self-contained HTML page (no external network): title, docs link, and the latest runs
// fetched from /api/runs and refreshed from the /api/live stream.
std::string_view IndexHtml();

}  // namespace tracery::server
