#include "triage/tracker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "triage/draft.h"
#include "triage/tracker_http.h"

namespace tracery::triage {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasLabel(const TrackerIssue& issue, const std::string& label) {
  std::string want = Lower(label);
  return std::any_of(issue.labels.begin(), issue.labels.end(), [&](const std::string& l) { return Lower(l) == want; });
}

int ThresholdRank(const std::string& threshold) {
  if (threshold == "never") return 100;
  auto s = ParseSeverity(threshold);
  return s ? static_cast<int>(*s) : 100;  // unknown: never post
}

struct Match {
  const TrackerIssue* issue = nullptr;
  Provenance provenance;
  size_t overlap = 0;
};

// Open issues first, then closed-as-fixed, then other closed ones.
int StateRank(const TrackerIssue& i) { return i.open ? 0 : (i.closed_as_fixed ? 1 : 2); }

}  // namespace

bool IsValidAutoPostThreshold(const std::string& t) { return t == "never" || ParseSeverity(t).has_value(); }

std::string GrowthComment(const IssueDraft& draft, const std::vector<std::string>& new_run_ids, bool reopened) {
  std::string out;
  size_t n = new_run_ids.size();
  if (reopened) {
    out += fmt::format("This failure is back after the issue was closed as fixed: tracery triage run `{}` found {} new "
                       "run{} (rubric `{}@{}`, mode `{}`).\n\n",
                       draft.triage_run_id, n, n == 1 ? "" : "s", draft.rubric_name, draft.rubric_version, draft.mode_id);
  } else {
    out += fmt::format("Tracery triage run `{}` found {} new run{} for this failure (rubric `{}@{}`, mode `{}`).\n\n",
                       draft.triage_run_id, n, n == 1 ? "" : "s", draft.rubric_name, draft.rubric_version, draft.mode_id);
  }
  for (size_t i = 0; i < std::min<size_t>(50, n); ++i) out += "- `" + new_run_ids[i] + "`\n";
  if (n > 50) out += fmt::format("\n…and {} more\n", n - 50);
  Provenance p;
  p.rubric_name = draft.rubric_name;
  p.rubric_version = draft.rubric_version;
  p.mode_id = draft.mode_id;
  p.cluster_id = draft.cluster_id;
  p.representative_run_id = draft.representative_run_id;
  p.triage_run_id = draft.triage_run_id;
  p.member_run_ids = new_run_ids;
  out += "\n" + ProvenanceComment(p) + "\n";
  return out;
}

Result<std::unique_ptr<Tracker>> MakeTracker(const TrackerConfig& config) {
  if (config.token.empty()) return InvalidArgumentError("tracker " + config.kind + ": no token");
  if (config.project.empty()) return InvalidArgumentError("tracker " + config.kind + ": no project");
  if (config.kind == "github") return internal::MakeGithubTracker(config);
  if (config.kind == "jira") return internal::MakeJiraTracker(config);
  if (config.kind == "linear") return internal::MakeLinearTracker(config);
  return InvalidArgumentError("unknown tracker '" + config.kind + "' (github, jira or linear)");
}

std::vector<TrackerAction> SyncDrafts(Tracker& tracker, const std::vector<IssueDraft>& drafts,
                                      const std::string& auto_post_threshold) {
  std::vector<TrackerAction> actions;
  const int threshold = ThresholdRank(auto_post_threshold);
  for (const IssueDraft& draft : drafts) {
    TrackerAction a;
    a.cluster_id = draft.cluster_id;
    std::vector<std::string> labels = draft.labels.empty()
                                          ? DraftLabels(draft.rubric_name, draft.rubric_version, draft.mode_id)
                                          : draft.labels;
    auto listing = tracker.FindIssues(labels);
    if (!listing.ok()) {
      a.outcome = TrackerOutcome::kFailed;
      a.detail = "listing issues: " + listing.status().message();
      actions.push_back(std::move(a));
      continue;
    }
    const std::vector<std::string> required = DraftLabels(draft.rubric_name, draft.rubric_version, draft.mode_id);
    std::optional<Match> by_id, by_overlap;
    std::set<std::string> members(draft.member_run_ids.begin(), draft.member_run_ids.end());
    for (const TrackerIssue& issue : listing->issues) {
      if (!HasLabel(issue, required[1]) || !HasLabel(issue, required[2])) continue;  // mode + rubric labels
      auto prov = ParseProvenance(issue.body);
      if (!prov) continue;
      if (prov->cluster_id == draft.cluster_id) {
        if (!by_id || StateRank(issue) < StateRank(*by_id->issue)) by_id = Match{&issue, *prov, 0};
        continue;
      }
      // Members the issue knows: its provenance, plus our earlier comments when the listing
      // brought them (Jira, Linear), so a cluster that drifted through comments still matches.
      std::set<std::string> issue_members(prov->member_run_ids.begin(), prov->member_run_ids.end());
      for (const auto& c : issue.comments)
        if (auto cp = ParseProvenance(c); cp && cp->mode_id == draft.mode_id)
          issue_members.insert(cp->member_run_ids.begin(), cp->member_run_ids.end());
      size_t overlap = 0;
      for (const auto& id : issue_members) overlap += members.count(id);
      if (overlap == 0) continue;
      if (!by_overlap || StateRank(issue) < StateRank(*by_overlap->issue) ||
          (StateRank(issue) == StateRank(*by_overlap->issue) && overlap > by_overlap->overlap))
        by_overlap = Match{&issue, *prov, overlap};
    }
    std::optional<Match> match = by_id ? by_id : by_overlap;
    if (match) {
      TrackerIssue issue = *match->issue;
      a.issue_url = issue.url;
      if (!issue.comments_loaded) {
        Status s = tracker.LoadComments(&issue);
        if (!s.ok()) {
          a.outcome = TrackerOutcome::kFailed;
          a.detail = "loading comments of " + issue.id + ": " + s.message();
          actions.push_back(std::move(a));
          continue;
        }
      }
      // Runs the issue already knows: its provenance and the provenance of our earlier comments.
      std::set<std::string> known(match->provenance.member_run_ids.begin(), match->provenance.member_run_ids.end());
      for (const auto& c : issue.comments)
        if (auto p = ParseProvenance(c)) known.insert(p->member_run_ids.begin(), p->member_run_ids.end());
      std::vector<std::string> fresh;
      for (const auto& id : draft.member_run_ids)
        if (!known.count(id)) fresh.push_back(id);
      if (issue.open) {
        if (fresh.empty()) {
          a.outcome = TrackerOutcome::kSkipped;
          a.detail = "issue " + issue.id + " already lists every run";
        } else {
          Status s = tracker.Comment(issue, GrowthComment(draft, fresh, false));
          a.outcome = s.ok() ? TrackerOutcome::kCommented : TrackerOutcome::kFailed;
          a.detail = s.ok() ? fmt::format("{} new runs on {}", fresh.size(), issue.id) : "commenting: " + s.message();
        }
      } else if (issue.closed_as_fixed) {
        if (fresh.empty()) {
          a.outcome = TrackerOutcome::kSkipped;
          a.detail = "issue " + issue.id + " is closed as fixed and no new runs showed the failure";
        } else {
          Status s = tracker.Reopen(issue, GrowthComment(draft, fresh, true));
          a.outcome = s.ok() ? TrackerOutcome::kReopened : TrackerOutcome::kFailed;
          a.detail = s.ok() ? fmt::format("{} new runs after the fix of {}", fresh.size(), issue.id) : "reopening: " + s.message();
        }
      } else {
        a.outcome = TrackerOutcome::kSkipped;
        a.detail = "issue " + issue.id + " was closed as not planned; not reopened";
      }
      actions.push_back(std::move(a));
      continue;
    }
    if (static_cast<int>(draft.severity) < threshold) {
      a.outcome = TrackerOutcome::kNeedsCreate;
      a.detail = fmt::format("severity {} is below the auto-post threshold {}", ToString(draft.severity), auto_post_threshold);
    } else if (listing->truncated) {
      a.outcome = TrackerOutcome::kNeedsCreate;
      a.detail = "the tracker listing was truncated, so a duplicate cannot be ruled out";
    } else {
      auto created = tracker.Create(draft);
      if (created.ok()) {
        a.outcome = TrackerOutcome::kCreated;
        a.issue_url = created->url;
        a.detail = "created " + created->id;
      } else {
        a.outcome = TrackerOutcome::kFailed;
        a.detail = "creating: " + created.status().message();
      }
    }
    actions.push_back(std::move(a));
  }
  return actions;
}

}  // namespace tracery::triage
