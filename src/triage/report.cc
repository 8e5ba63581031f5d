#include "triage/report.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tracery::triage {
namespace {

using nlohmann::ordered_json;

std::string IsoTime(int64_t ns) {
  if (ns <= 0) return "-";
  time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

std::string Cut(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n) + "…";
}

// Table cells: no pipes or newlines.
std::string Cell(std::string s) {
  for (char& c : s) {
    if (c == '|' ) c = '/';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string ReportJson(const TriageReport& r) {
  ordered_json j;
  j["triage_run_id"] = r.triage_run_id;
  j["rubric"] = {{"name", r.rubric_name}, {"version", r.rubric_version}};
  j["window"] = {{"from", IsoTime(r.from_ns)}, {"to", IsoTime(r.to_ns)}, {"from_ns", r.from_ns}, {"to_ns", r.to_ns}};
  j["dry_run"] = r.dry_run;
  j["aborted"] = r.aborted;
  j["abort_reason"] = r.abort_reason;
  j["runs"] = {{"listed", r.runs_listed},
               {"skipped_classified", r.runs_skipped_classified},
               {"sampled", r.runs_sampled},
               {"classified", r.runs_classified},
               {"failed", r.runs_failed}};
  j["estimate"] = {{"judge_modes", r.estimate.judge_modes}, {"runs", r.estimate.runs},
                   {"batch", r.estimate.batch}, {"calls", r.estimate.calls},
                   {"input_tokens", r.estimate.input_tokens}, {"output_tokens", r.estimate.output_tokens},
                   {"usd", r.estimate.usd}, {"usd_range", {0.0, r.estimate.usd * 2}}, {"model", r.estimate.model}};
  j["budget"] = {{"ok", r.budget.ok()}, {"runs_ok", r.budget.runs_ok}, {"cost_ok", r.budget.cost_ok},
                 {"runs", r.budget.runs_message}, {"cost", r.budget.cost_message}};
  ordered_json modes = ordered_json::array();
  for (const ModeTally& m : r.modes) {
    modes.push_back({{"mode", m.mode_id}, {"severity", ToString(m.severity)}, {"judge", m.judge},
                     {"positive", m.positive}, {"negative", m.negative}, {"error", m.error},
                     {"judge_calls", m.judge_calls}});
  }
  j["modes"] = modes;
  j["annotations_written"] = r.annotations_written;
  ordered_json clusters = ordered_json::array();
  for (const Cluster& c : r.clusters) {
    ordered_json members = ordered_json::array();
    for (const Classification& m : c.members) members.push_back(m.run_id);
    clusters.push_back({{"cluster_id", c.cluster_id}, {"mode", c.mode_id}, {"severity", ToString(c.severity)},
                        {"size", c.members.size()},
                        {"representative_run_id", c.members.empty() ? "" : c.members.front().run_id},
                        {"excerpt", c.members.empty() ? "" : Cut(c.members.front().excerpt, 200)},
                        {"confidence", {{"min", c.min_confidence}, {"max", c.max_confidence}, {"mean", c.mean_confidence}}},
                        {"members", members}});
  }
  j["clusters"] = clusters;
  ordered_json drafts = ordered_json::array();
  for (const IssueDraft& d : r.drafts) {
    drafts.push_back({{"cluster_id", d.cluster_id}, {"mode", d.mode_id}, {"title", d.title},
                      {"severity", ToString(d.severity)}, {"priority", d.priority}, {"labels", d.labels}});
  }
  j["drafts"] = drafts;
  ordered_json actions = ordered_json::array();
  for (const TrackerAction& a : r.tracker_actions) {
    actions.push_back({{"cluster_id", a.cluster_id}, {"outcome", ToString(a.outcome)}, {"issue_url", a.issue_url},
                       {"detail", a.detail}});
  }
  j["tracker_actions"] = actions;
  j["judge"] = {{"calls", r.judge.calls}, {"failed_calls", r.judge.failed_calls}, {"cache_hits", r.judge.cache_hits},
                {"input_tokens", r.judge.input_tokens}, {"output_tokens", r.judge.output_tokens},
                {"usd", r.judge.usd}, {"unpriced", r.judge.unpriced}};
  j["errors"] = r.errors;
  j["elapsed_ms"] = r.elapsed_ms;
  return j.dump(2);
}

std::string ReportMarkdown(const TriageReport& r) {
  std::string md;
  md += fmt::format("# Triage report {}\n\n", r.triage_run_id);
  md += fmt::format("- Rubric: `{}@{}`\n", r.rubric_name, r.rubric_version);
  md += fmt::format("- Window: {} → {}\n", IsoTime(r.from_ns), IsoTime(r.to_ns));
  md += fmt::format("- Runs: {} listed, {} already classified (skipped), {} selected, {} classified, {} failed to load\n",
                    r.runs_listed, r.runs_skipped_classified, r.runs_sampled, r.runs_classified, r.runs_failed);
  md += fmt::format("- Budget: {}; {}\n", r.budget.runs_message, r.budget.cost_message);
  if (r.dry_run) md += "- **Dry run**: nothing was classified or written.\n";
  if (r.aborted) md += fmt::format("- **Aborted**: {}\n", r.abort_reason);
  md += fmt::format("- Judge: {} calls ({} failed), {} cache hits, {} input + {} output tokens, ${:.4f}{}\n",
                    r.judge.calls, r.judge.failed_calls, r.judge.cache_hits, r.judge.input_tokens,
                    r.judge.output_tokens, r.judge.usd, r.judge.unpriced ? " (some calls unpriced)" : "");
  md += fmt::format("- Annotations: {}; clusters: {}; drafts: {}; elapsed: {} ms\n\n", r.annotations_written,
                    r.clusters.size(), r.drafts.size(), r.elapsed_ms);
  md += "## Frequency by mode\n\n| mode | severity | positive | negative | error | judge questions |\n|---|---|---|---|---|---|\n";
  for (const ModeTally& m : r.modes) {
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", Cell(m.mode_id), ToString(m.severity), m.positive,
                      m.negative, m.error, m.judge ? std::to_string(m.judge_calls) : std::string("-"));
  }
  md += "\n## Clusters\n\n";
  if (r.clusters.empty()) md += "None.\n";
  for (const Cluster& c : r.clusters) {
    md += fmt::format("### `{}` — {} ({}), {} runs\n\n", c.cluster_id, c.mode_id, ToString(c.severity), c.members.size());
    if (!c.members.empty()) {
      md += fmt::format("- Representative: `{}` (confidence {:.2f})\n", c.members.front().run_id, c.members.front().confidence);
      if (!c.members.front().excerpt.empty()) md += fmt::format("- Evidence: {}\n", Cell(Cut(c.members.front().excerpt, 200)));
    }
    md += fmt::format("- Confidence: min {:.2f}, mean {:.2f}, max {:.2f}\n\n", c.min_confidence, c.mean_confidence, c.max_confidence);
  }
  md += "## Drafts and tracker\n\n";
  if (r.drafts.empty()) md += "No drafts.\n";
  for (const IssueDraft& d : r.drafts) {
    std::string outcome = "queued";
    for (const TrackerAction& a : r.tracker_actions) {
      if (a.cluster_id == d.cluster_id) {
        outcome = std::string(ToString(a.outcome));
        if (!a.issue_url.empty()) outcome += " " + a.issue_url;
        if (!a.detail.empty()) outcome += " (" + Cell(a.detail) + ")";
      }
    }
    md += fmt::format("- `{}` {} — {}\n", d.cluster_id, Cell(d.title), outcome);
  }
  if (!r.errors.empty()) {
    md += "\n## Errors\n\n";
    for (const std::string& e : r.errors) md += "- " + Cell(Cut(e, 500)) + "\n";
  }
  return md;
}

std::string ReportSummary(const TriageReport& r) {
  std::string s = fmt::format("triage {} rubric {}@{}: {} listed, {} skipped (classified), {} selected\n",
                              r.triage_run_id, r.rubric_name, r.rubric_version, r.runs_listed,
                              r.runs_skipped_classified, r.runs_sampled);
  s += fmt::format("budget: {}; {}\n", r.budget.runs_message, r.budget.cost_message);
  s += fmt::format("estimate: {} judge modes, {} calls, ${:.4f} (±100%)\n", r.estimate.judge_modes,
                   r.estimate.calls, r.estimate.usd);
  if (r.aborted) {
    s += "ABORTED: " + r.abort_reason + "\n";
    return s;
  }
  if (r.dry_run) {
    s += "dry run: a real run would proceed\n";
    return s;
  }
  for (const ModeTally& m : r.modes) {
    s += fmt::format("  {:<28} {:<8} +{} -{} !{}\n", m.mode_id, ToString(m.severity), m.positive, m.negative, m.error);
  }
  s += fmt::format("judge: {} calls, {} cache hits, ${:.4f}; {} annotations, {} clusters, {} drafts, {} errors, {} ms\n",
                   r.judge.calls, r.judge.cache_hits, r.judge.usd, r.annotations_written, r.clusters.size(),
                   r.drafts.size(), r.errors.size(), r.elapsed_ms);
  return s;
}

Status WriteReport(const TriageReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return UnavailableError("--report: cannot create " + dir + ": " + ec.message());
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"report.md", ReportMarkdown(report)},
                                   {"report.json", ReportJson(report)}}) {
    std::string path = dir + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f) return UnavailableError("--report: cannot write " + path);
  }
  return OkStatus();
}

}  // namespace tracery::triage
