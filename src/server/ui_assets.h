// The web UI served at GET / and /assets/*: the built web/ app embedded at build time
// (tools/embed_assets.py → a generated source defining UiAssets()), or, when the build had no UI
// (TRACERY_BUILD_UI=OFF or npm missing), a minimal built-in page.
#pragma once

#include <span>
#include <string_view>

namespace tracery::server {

// One embedded file. `path` starts with '/' ("/index.html", "/assets/index-1a2b3c.js").
struct UiAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
  std::string_view gzip;  // gzip-compressed body; empty when compression did not pay off
  std::string_view etag;  // strong ETag including the quotes
  bool immutable = false;  // content-hashed name: may be cached forever
};

// All embedded files, sorted by path; empty when the UI was not built into this binary.
std::span<const UiAsset> UiAssets();

// The asset at `path`, or nullptr.
const UiAsset* FindUiAsset(std::string_view path);

// A self-contained HTML page (no external network) used when UiAssets() is empty: says the UI
// was not built, links the docs, and lists the latest runs from /api/runs refreshed from /api/live.
std::string_view IndexHtml();

}  // namespace tracery::server
