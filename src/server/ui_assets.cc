#include "server/ui_assets.h"

#include <algorithm>

namespace tracery::server {

const UiAsset* FindUiAsset(std::string_view path) {
  std::span<const UiAsset> all = UiAssets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const UiAsset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

std::string_view IndexHtml() {
  static constexpr std::string_view kHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tracery</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { margin: 0 0 .25rem; }
  table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
  td.mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .failed { color: #b00020; } .ok { color: #1b7f3b; } .partial { color: #a66b00; } .running { color: #555; }
  #state { color: #777; }
  .note { background: #fdf0d8; padding: .5rem .75rem; border-radius: 4px; }
</style>
</head>
<body>
<h1>Tracery</h1>
<p class="note">The full web UI was not built into this binary (configure with
  <code>-DTRACERY_BUILD_UI=ON</code> and Node.js/npm installed, see <code>docs/ui.md</code>).
  This minimal page lists the latest runs.</p>
<p>Observability and failure triage for LLM agents.
  API reference: <code>docs/api.md</code> in the Tracery repository
  &middot; <a href="/api/runs">/api/runs</a> &middot; <a href="/api/stats">/api/stats</a>
  &middot; <span id="state">loading…</span></p>
<table>
  <thead><tr><th>run</th><th>name</th><th>agent</th><th>status</th><th>steps</th><th>started</th></tr></thead>
  <tbody id="runs"></tbody>
</table>
<script>
"use strict";
const rows = document.getElementById("runs");
const state = document.getElementById("state");
const runs = new Map();
function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  if (cls) td.className = cls;
  return td;
}
function render() {
  const key = r => String(r.start_unix_nano || "").padStart(20, "0");
  const list = [...runs.values()].sort((a, b) => key(b).localeCompare(key(a))).slice(0, 50);
  rows.replaceChildren(...list.map(r => {
    const tr = document.createElement("tr");
    const id = r.run_id || "";
    const link = document.createElement("td");
    link.className = "mono";
    const a = document.createElement("a");
    a.href = "/api/runs/" + encodeURIComponent(id);
    a.textContent = id.slice(0, 16);
    link.appendChild(a);
    const start = r.start_time ? new Date(r.start_time).toLocaleString() : "";
    tr.append(link, cell(r.name), cell(r.agent_id), cell(r.status, r.status),
              cell(r.step_count), cell(start));
    return tr;
  }));
}
function add(r) { if (r && r.run_id) runs.set(r.run_id, r); }
fetch("/api/runs?limit=50").then(res => res.json()).then(doc => {
  const list = (doc && doc.runs) || [];
  list.forEach(add);
  render();
  state.textContent = "live";
}).catch(e => { state.textContent = "could not load runs: " + e; });
if (window.EventSource) {
  const es = new EventSource("/api/live");
  es.addEventListener("run", ev => { try { add(JSON.parse(ev.data)); render(); } catch (e) {} });
  es.onerror = () => { state.textContent = "live stream reconnecting…"; };
  es.onopen = () => { state.textContent = "live"; };
}
</script>
</body>
</html>
)HTML";
  return kHtml;
}

}  // namespace tracery::server
