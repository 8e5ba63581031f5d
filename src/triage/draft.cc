#include "triage/draft.h"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <re2/re2.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/hex.h"

namespace tracery::triage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxProvenanceMembers = 100;
constexpr size_t kExcerptChars = 200;
constexpr size_t kMaxRunLinks = 20;
constexpr const char* kTraceryMarker = "<!-- tracery:provenance ";
constexpr const char* kDocketMarker = "<!-- docket:provenance ";

// Cuts to at most `max_bytes` without splitting a UTF-8 sequence; appends "…" when cut.
std::string Truncate(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  const std::string ellipsis = "\xE2\x80\xA6";
  size_t cut = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + ellipsis;
}

std::string CollapseWhitespace(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Defensive second pass over evidence that goes into a tracker (the pipeline already redacted it
// with the privacy policy): secrets and the common PII shapes.
std::string Redact(std::string text) {
  static const RE2 kEmail(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
  static const RE2 kBearer(R"((?i)bearer\s+[A-Za-z0-9._~+/=-]{8,})");
  static const RE2 kApiKey(R"(\b(?:sk|pk|rk|xox[abp])-[A-Za-z0-9_-]{12,})");
  static const RE2 kSsn(R"(\b\d{3}-\d{2}-\d{4}\b)");
  static const RE2 kAccount(R"((?i)\b(?:account|acct)[#:\s-]*\d{6,}\b)");
  static const RE2 kPhone(R"((?:\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b)");
  RE2::GlobalReplace(&text, kBearer, "[REDACTED:bearer_token]");
  RE2::GlobalReplace(&text, kApiKey, "[REDACTED:api_key]");
  RE2::GlobalReplace(&text, kEmail, "[REDACTED:email]");
  RE2::GlobalReplace(&text, kSsn, "[REDACTED:ssn]");
  RE2::GlobalReplace(&text, kAccount, "[REDACTED:account]");
  RE2::GlobalReplace(&text, kPhone, "[REDACTED:phone]");
  return text;
}

// Evidence is quoted, never rendered: HTML (and so a forged provenance comment) is escaped.
std::string EscapeHtml(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string Excerpt(const std::string& s) { return EscapeHtml(Truncate(CollapseWhitespace(Redact(s)), kExcerptChars)); }

std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d), sizeof(d)));
}

std::string NextStep(const std::string& detector) {
  if (detector == "regex")
    return "Find the prompt, tool output or model turn that produces the matched text in the representative run; "
           "fix the prompt or add a guard, then add the run to the mode's examples as a regression case.";
  if (detector == "tool_call")
    return "Check the agent's tool routing on the representative run (tool descriptions, the planner prompt, "
           "which tools are exposed); add a tool-choice test with this input.";
  if (detector == "metric_threshold")
    return "Compare the metric across the affected runs and a healthy baseline (the runs list in the UI sorts by "
           "it); look for loops, retries or oversized contexts that drive it over the threshold.";
  if (detector == "step")
    return "Open the matching steps of the representative run; their failure code and attributes point at the "
           "component to fix (tool, retriever, model provider).";
  if (detector == "composite")
    return "Check which operands of the composite detection fired on the representative run, then follow the "
           "next step for that operand's detector.";
  if (detector == "llm_judge")
    return "Confirm the judge's verdict on the representative run; if it holds, fix the behaviour and add the run "
           "to the mode's examples (so `tracery triage self-test` guards it); if not, tighten the judge prompt.";
  return "Open the representative run in the UI and confirm the failure, then fix and add it to the mode's examples.";
}

std::string IsoDate(int64_t ns) {
  if (ns <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ValidClusterId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Status WriteFileAtomic(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InternalError("cannot write " + tmp.string());
    out << content;
    out.flush();
    if (!out) return InternalError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return InternalError("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return OkStatus();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int SeverityRank(Severity s) { return static_cast<int>(s); }

}  // namespace

std::string NormalizeLabel(const std::string& label) {
  std::string out = label;
  std::replace(out.begin(), out.end(), ' ', '-');
  if (out.size() > 50) out = out.substr(0, 41) + "-" + Sha256Hex(out).substr(0, 8);
  return out;
}

std::vector<std::string> DraftLabels(const std::string& rubric_name, const std::string& rubric_version,
                                     const std::string& mode_id) {
  return {"tracery", NormalizeLabel("mode:" + mode_id), NormalizeLabel("rubric:" + rubric_name + "@" + rubric_version)};
}

std::string PriorityFor(Severity severity, const TriageSettings& settings) {
  auto it = settings.severity_to_priority.find(std::string(ToString(severity)));
  if (it != settings.severity_to_priority.end()) return it->second;
  switch (severity) {
    case Severity::kCritical: return "P1";
    case Severity::kHigh: return "P2";
    case Severity::kMedium: return "P3";
    case Severity::kLow: return "P4";
  }
  return "P3";
}

std::string ProvenanceComment(const Provenance& p) {
  json j = json::object();
  j["cluster_id"] = p.cluster_id;
  j["mode_id"] = p.mode_id;
  j["representative_run_id"] = p.representative_run_id;
  j["rubric_name"] = p.rubric_name;
  j["rubric_version"] = p.rubric_version;
  j["triage_run_id"] = p.triage_run_id;
  std::vector<std::string> members = p.member_run_ids;
  bool truncated = p.member_run_ids_truncated;
  if (members.size() > kMaxProvenanceMembers) {
    members.resize(kMaxProvenanceMembers);
    truncated = true;
  }
  j["member_run_ids"] = members;
  j["member_run_ids_truncated"] = truncated;
  // nlohmann's object is a std::map: keys come out sorted. '<' and '>' are escaped so no id can
  // close the comment early.
  std::string dumped = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string safe;
  for (char c : dumped) {
    if (c == '<') safe += "\\u003c";
    else if (c == '>') safe += "\\u003e";
    else safe += c;
  }
  return std::string(kTraceryMarker) + safe + " -->";
}

std::optional<Provenance> ParseProvenance(const std::string& body) {
  // Candidates from last to first; the last one that parses wins.
  std::vector<std::pair<size_t, bool>> starts;  // (position, docket)
  for (auto [marker, docket] : {std::pair{kTraceryMarker, false}, std::pair{kDocketMarker, true}}) {
    for (size_t pos = body.find(marker); pos != std::string::npos; pos = body.find(marker, pos + 1))
      starts.emplace_back(pos, docket);
  }
  std::sort(starts.begin(), starts.end());
  for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
    auto [pos, docket] = *it;
    size_t json_start = pos + std::string(docket ? kDocketMarker : kTraceryMarker).size();
    size_t end = body.find("-->", json_start);
    if (end == std::string::npos) continue;
    json j = json::parse(body.substr(json_start, end - json_start), nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    auto str = [&](const char* key) -> std::optional<std::string> {
      auto f = j.find(key);
      if (f == j.end() || f->is_null()) return std::string();
      if (!f->is_string()) return std::nullopt;
      return f->get<std::string>();
    };
    Provenance p;
    auto cluster = str("cluster_id");
    if (!cluster || cluster->empty()) continue;
    p.cluster_id = *cluster;
    const char* rep_key = docket ? "representative_trace_id" : "representative_run_id";
    const char* members_key = docket ? "member_trace_ids" : "member_run_ids";
    const char* truncated_key = docket ? "member_trace_ids_truncated" : "member_run_ids_truncated";
    const char* triage_key = docket ? "run_id" : "triage_run_id";
    auto mode = str("mode_id"), rep = str(rep_key), ver = str("rubric_version"), triage = str(triage_key),
         name = str("rubric_name");
    if (!mode || !rep || !ver || !triage || !name) continue;
    p.mode_id = *mode;
    p.representative_run_id = *rep;
    p.rubric_version = *ver;
    p.triage_run_id = *triage;
    p.rubric_name = *name;
    bool ok = true;
    if (auto m = j.find(members_key); m != j.end() && !m->is_null()) {
      if (!m->is_array()) continue;
      for (const auto& id : *m) {
        if (!id.is_string()) {
          ok = false;
          break;
        }
        p.member_run_ids.push_back(id.get<std::string>());
      }
    }
    if (!ok) continue;
    if (auto t = j.find(truncated_key); t != j.end() && t->is_boolean()) p.member_run_ids_truncated = t->get<bool>();
    return p;
  }
  return std::nullopt;
}

IssueDraft MakeDraft(const Cluster& cluster, const Rubric& rubric, const Mode& mode, const DraftContext& context) {
  IssueDraft d;
  d.cluster_id = cluster.cluster_id;
  d.mode_id = cluster.mode_id.empty() ? mode.id : cluster.mode_id;
  d.rubric_name = rubric.name;
  d.rubric_version = rubric.version;
  d.triage_run_id = context.triage_run_id;
  d.severity = cluster.severity;
  d.priority = PriorityFor(cluster.severity, rubric.triage);
  for (const auto& m : cluster.members) d.member_run_ids.push_back(m.run_id);
  d.representative_run_id = d.member_run_ids.empty() ? "" : d.member_run_ids.front();
  d.labels = DraftLabels(rubric.name, rubric.version, d.mode_id);
  const std::string mode_name = mode.name.empty() ? d.mode_id : mode.name;
  const size_t n = cluster.members.size();

  // Title: the mode name and the gist of the representative's evidence (first line).
  std::string gist;
  if (!cluster.members.empty()) {
    std::string ex = Redact(cluster.members.front().excerpt);
    gist = CollapseWhitespace(ex.substr(0, ex.find('\n')));
  }
  std::string title = gist.empty() ? fmt::format("{} in {} run{}", mode_name, n, n == 1 ? "" : "s")
                                   : mode_name + ": " + gist;
  title = Truncate(CollapseWhitespace(title), 120);
  if (title.size() < 5) title = fmt::format("{} ({} runs)", title.empty() ? "failure" : title, n);
  d.title = title;

  std::string base = context.ui_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto link = [&](const std::string& run_id) { return fmt::format("[`{}`]({}/#/runs/{})", run_id, base, run_id); };

  std::string b;
  b += "## What happens\n\n";
  b += fmt::format("**{}** (`{}`, severity {}, {}) was detected in {} run{} by rubric `{}@{}`.\n",
                   mode_name, d.mode_id, ToString(d.severity), d.priority, n, n == 1 ? "" : "s", rubric.name,
                   rubric.version);
  if (!mode.description.empty()) b += "\n" + CollapseWhitespace(mode.description) + "\n";

  b += "\n## Evidence\n\n";
  for (size_t i = 0; i < std::min<size_t>(3, n); ++i) {
    const Classification& m = cluster.members[i];
    b += fmt::format("- {}{} — confidence {:.2f}, detector `{}`\n", i == 0 ? "Representative run " : "Run ",
                     link(m.run_id), m.confidence, m.detector.empty() ? mode.detection.type : m.detector);
    if (!m.excerpt.empty()) b += "  > " + Excerpt(m.excerpt) + "\n";
  }

  b += "\n## Frequency\n\n";
  if (context.runs_classified > 0) {
    b += fmt::format("{} of {} runs classified ({:.1f}%) are in this cluster.\n", n, context.runs_classified,
                     100.0 * static_cast<double>(n) / static_cast<double>(context.runs_classified));
  } else {
    b += fmt::format("{} run{} in this cluster.\n", n, n == 1 ? " is" : "s are");
  }
  int64_t first = 0, last = 0;
  for (const auto& m : cluster.members) {
    if (m.run_start_ns <= 0) continue;
    first = first == 0 ? m.run_start_ns : std::min(first, m.run_start_ns);
    last = std::max(last, m.run_start_ns);
  }
  if (first > 0) b += fmt::format("First seen {}, last seen {}.\n", IsoDate(first), IsoDate(last));

  b += "\n## Affected agent versions\n\n";
  std::map<std::string, size_t> versions;
  for (const auto& m : cluster.members) versions[m.agent_version.empty() ? "(unknown)" : m.agent_version]++;
  std::vector<std::pair<std::string, size_t>> by_count(versions.begin(), versions.end());
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& x) { return a.second > x.second; });
  for (const auto& [v, c] : by_count) b += fmt::format("- `{}`: {} run{}\n", EscapeHtml(v), c, c == 1 ? "" : "s");

  b += "\n## Runs\n\n";
  for (size_t i = 0; i < std::min(n, kMaxRunLinks); ++i) b += "- " + link(cluster.members[i].run_id) + "\n";
  if (n > kMaxRunLinks) b += fmt::format("- …and {} more\n", n - kMaxRunLinks);

  std::string detector = n > 0 && !cluster.members.front().detector.empty() ? cluster.members.front().detector
                                                                             : mode.detection.type;
  b += "\n## Suggested next step\n\n" + NextStep(detector) + "\n\n";

  Provenance p;
  p.rubric_name = rubric.name;
  p.rubric_version = rubric.version;
  p.mode_id = d.mode_id;
  p.cluster_id = d.cluster_id;
  p.representative_run_id = d.representative_run_id;
  p.triage_run_id = context.triage_run_id;
  p.member_run_ids = d.member_run_ids;
  b += ProvenanceComment(p) + "\n";
  d.body = std::move(b);
  return d;
}

std::string DraftToJson(const IssueDraft& d) {
  json j = {{"cluster_id", d.cluster_id},
            {"mode_id", d.mode_id},
            {"rubric_name", d.rubric_name},
            {"rubric_version", d.rubric_version},
            {"triage_run_id", d.triage_run_id},
            {"severity", std::string(ToString(d.severity))},
            {"priority", d.priority},
            {"representative_run_id", d.representative_run_id},
            {"member_run_ids", d.member_run_ids},
            {"labels", d.labels},
            {"title", d.title},
            {"body", d.body}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<IssueDraft> DraftFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("draft is not a JSON object");
  IssueDraft d;
  auto str = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return required ? InvalidArgumentError(std::string("draft: missing `") + key + "`") : OkStatus();
    if (!it->is_string()) return InvalidArgumentError(std::string("draft: `") + key + "` must be a string");
    *out = it->get<std::string>();
    return OkStatus();
  };
  auto list = [&](const char* key, std::vector<std::string>* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return OkStatus();
    if (!it->is_array()) return InvalidArgumentError(std::string("draft: `") + key + "` must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) return InvalidArgumentError(fmt::format("draft: `{}[{}]` must be a string", key, i));
      out->push_back((*it)[i].get<std::string>());
    }
    return OkStatus();
  };
  std::string severity;
  TRACERY_RETURN_IF_ERROR(str("cluster_id", &d.cluster_id, true));
  TRACERY_RETURN_IF_ERROR(str("mode_id", &d.mode_id, true));
  TRACERY_RETURN_IF_ERROR(str("title", &d.title, true));
  TRACERY_RETURN_IF_ERROR(str("body", &d.body, true));
  TRACERY_RETURN_IF_ERROR(str("rubric_name", &d.rubric_name, false));
  TRACERY_RETURN_IF_ERROR(str("rubric_version", &d.rubric_version, false));
  TRACERY_RETURN_IF_ERROR(str("triage_run_id", &d.triage_run_id, false));
  TRACERY_RETURN_IF_ERROR(str("severity", &severity, false));
  TRACERY_RETURN_IF_ERROR(str("priority", &d.priority, false));
  TRACERY_RETURN_IF_ERROR(str("representative_run_id", &d.representative_run_id, false));
  TRACERY_RETURN_IF_ERROR(list("member_run_ids", &d.member_run_ids));
  TRACERY_RETURN_IF_ERROR(list("labels", &d.labels));
  if (!severity.empty()) {
    auto s = ParseSeverity(severity);
    if (!s) return InvalidArgumentError("draft: `severity` must be low, medium, high or critical, got '" + severity + "'");
    d.severity = *s;
  }
  if (!ValidClusterId(d.cluster_id)) return InvalidArgumentError("draft: `cluster_id` '" + d.cluster_id + "' is not [A-Za-z0-9_-]{1,64}");
  if (d.labels.empty()) d.labels = DraftLabels(d.rubric_name, d.rubric_version, d.mode_id);
  return d;
}

std::string DraftMarkdown(const IssueDraft& d) {
  std::string labels;
  for (const auto& l : d.labels) labels += (labels.empty() ? "" : ", ") + ("`" + l + "`");
  return fmt::format(
      "# {}\n\n"
      "- **Severity:** {} ({})\n"
      "- **Mode:** `{}`\n"
      "- **Rubric:** `{}@{}`\n"
      "- **Cluster:** `{}`\n"
      "- **Representative:** `{}`\n"
      "- **Members:** {}\n"
      "- **Labels:** {}\n"
      "\n---\n\n{}",
      d.title, ToString(d.severity), d.priority, d.mode_id, d.rubric_name, d.rubric_version, d.cluster_id,
      d.representative_run_id, d.member_run_ids.size(), labels, d.body);
}

Result<IssueDraft> ApplyEditedMarkdown(IssueDraft draft, const std::string& md) {
  if (md.rfind("# ", 0) != 0) return InvalidArgumentError("edited draft: the first line must be '# <title>'");
  size_t eol = md.find('\n');
  std::string title = CollapseWhitespace(md.substr(2, eol == std::string::npos ? std::string::npos : eol - 2));
  if (title.size() < 5 || title.size() > 120)
    return InvalidArgumentError(fmt::format("edited draft: the title must be 5-120 characters, got {}", title.size()));
  size_t sep = eol == std::string::npos ? std::string::npos : md.find("\n---\n", eol);
  if (sep == std::string::npos) return InvalidArgumentError("edited draft: the '---' line before the body is missing");
  std::string body = md.substr(sep + 5);
  while (!body.empty() && body.front() == '\n') body.erase(body.begin());
  if (CollapseWhitespace(body).size() < 30) return InvalidArgumentError("edited draft: the body must be at least 30 characters");
  std::optional<Provenance> old = ParseProvenance(draft.body);
  std::optional<Provenance> now = ParseProvenance(body);
  if (old && (!now || now->cluster_id != old->cluster_id)) {
    if (!body.empty() && body.back() != '\n') body += '\n';
    body += "\n" + ProvenanceComment(*old) + "\n";
  }
  draft.title = title;
  draft.body = body;
  return draft;
}

std::string DraftQueue::MarkdownPath(const std::string& cluster_id) const {
  return (fs::path(dir_) / (cluster_id + ".md")).string();
}

Status DraftQueue::Put(const IssueDraft& draft) {
  if (!ValidClusterId(draft.cluster_id)) return InvalidArgumentError("draft cluster id '" + draft.cluster_id + "' is not [A-Za-z0-9_-]{1,64}");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return InternalError("cannot create queue dir " + dir_ + ": " + ec.message());
  TRACERY_RETURN_IF_ERROR(WriteFileAtomic(fs::path(dir_) / (draft.cluster_id + ".json"), DraftToJson(draft)));
  return WriteFileAtomic(fs::path(dir_) / (draft.cluster_id + ".md"), DraftMarkdown(draft));
}

Result<IssueDraft> DraftQueue::Get(const std::string& cluster_id) const {
  if (!ValidClusterId(cluster_id)) return InvalidArgumentError("cluster id '" + cluster_id + "' is not [A-Za-z0-9_-]{1,64}");
  fs::path p = fs::path(dir_) / (cluster_id + ".json");
  std::error_code ec;
  if (!fs::exists(p, ec)) return NotFoundError("no queued draft " + cluster_id + " in " + dir_);
  TRACERY_ASSIGN_OR_RETURN(std::string text, ReadFile(p));
  auto d = DraftFromJson(text);
  if (!d.ok()) return d.status().WithContext(p.string());
  return d;
}

Result<std::vector<IssueDraft>> DraftQueue::List() const {
  std::vector<IssueDraft> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  std::vector<std::string> ids;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    fs::path p = it->path();
    if (p.extension() == ".json" && ValidClusterId(p.stem().string())) ids.push_back(p.stem().string());
  }
  if (ec) return InternalError("cannot list queue dir " + dir_ + ": " + ec.message());
  for (const auto& id : ids) {
    TRACERY_ASSIGN_OR_RETURN(IssueDraft d, Get(id));
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const IssueDraft& a, const IssueDraft& b) {
    if (a.severity != b.severity) return SeverityRank(a.severity) > SeverityRank(b.severity);
    return a.cluster_id < b.cluster_id;
  });
  return out;
}

Status DraftQueue::Remove(const std::string& cluster_id) {
  if (!ValidClusterId(cluster_id)) return InvalidArgumentError("cluster id '" + cluster_id + "' is not [A-Za-z0-9_-]{1,64}");
  std::error_code ec;
  bool removed = fs::remove(fs::path(dir_) / (cluster_id + ".json"), ec);
  fs::remove(fs::path(dir_) / (cluster_id + ".md"), ec);
  if (!removed) return NotFoundError("no queued draft " + cluster_id + " in " + dir_);
  return OkStatus();
}

Status DraftQueue::Clear() {
  TRACERY_ASSIGN_OR_RETURN(auto drafts, List());
  for (const auto& d : drafts) TRACERY_RETURN_IF_ERROR(Remove(d.cluster_id));
  return OkStatus();
}

Status DraftQueue::MarkPosted(const std::string& cluster_id, const std::string& issue_url) {
  TRACERY_ASSIGN_OR_RETURN(IssueDraft d, Get(cluster_id));
  fs::path posted = fs::path(dir_) / "posted";
  std::error_code ec;
  fs::create_directories(posted, ec);
  if (ec) return InternalError("cannot create " + posted.string() + ": " + ec.message());
  json j = json::parse(DraftToJson(d));
  j["issue_url"] = issue_url;
  TRACERY_RETURN_IF_ERROR(WriteFileAtomic(posted / (cluster_id + ".json"), j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"));
  TRACERY_RETURN_IF_ERROR(WriteFileAtomic(posted / (cluster_id + ".md"), DraftMarkdown(d)));
  return Remove(cluster_id);
}

}  // namespace tracery::triage
