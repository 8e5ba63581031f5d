// Issue trackers (GitHub Issues, Jira cloud/data center, Linear) and the dedup/posting decision.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/types.h"

namespace tracery::triage {

struct TrackerConfig {
  std::string kind;      // github | jira | linear
  std::string base_url;  // e.g. https://api.github.com (tests point it at a loopback fake)
  std::string project;   // github "owner/repo"; jira project key; linear team id
  std::string token;     // from the environment (GITHUB_TOKEN, JIRA_TOKEN(+JIRA_USER), LINEAR_API_KEY)
  std::string user;      // jira cloud basic-auth user (email); empty = bearer token (data center)
  int timeout_ms = 10000;
  int max_pages = 20;    // listing pages followed before the listing counts as truncated
  int max_retries = 2;   // for idempotent requests (GET, PATCH, transitions) on 5xx / transport errors
  int retry_backoff_ms = 200;  // doubled per attempt
};

struct TrackerIssue {
  std::string id;   // number / key / id
  std::string url;
  std::string title;
  std::string body;
  bool open = true;
  bool closed_as_fixed = false;
  std::vector<std::string> labels;
  // Comment bodies, oldest first, when loaded (Tracker::LoadComments). SyncDrafts reads the
  // provenance of its own earlier comments from them so a grown cluster is commented on once.
  std::vector<std::string> comments;
  bool comments_loaded = false;
};

struct TrackerListing {
  std::vector<TrackerIssue> issues;
  bool truncated = false;  // pagination stopped early: callers must not auto-post
};

class Tracker {
 public:
  virtual ~Tracker() = default;
  // Issues (open and recently closed) carrying all of `labels`.
  virtual Result<TrackerListing> FindIssues(const std::vector<std::string>& labels) = 0;
  virtual Result<TrackerIssue> Create(const IssueDraft& draft) = 0;
  virtual Status Comment(const TrackerIssue& issue, const std::string& markdown) = 0;
  virtual Status Reopen(const TrackerIssue& issue, const std::string& markdown) = 0;
  // Fills issue->comments (up to the page cap). Default: nothing to load.
  virtual Status LoadComments(TrackerIssue* issue) {
    issue->comments_loaded = true;
    return OkStatus();
  }
};

Result<std::unique_ptr<Tracker>> MakeTracker(const TrackerConfig& config);

// Dedup + posting for each draft: match by provenance cluster id, then member overlap; comment
// when a known cluster grew, reopen an issue closed as fixed when the failure is back, create only
// when severity >= auto_post_threshold ("never" = never) and the listing was not truncated;
// otherwise kNeedsCreate (stays queued). Tracker errors give kFailed, never abort.
std::vector<TrackerAction> SyncDrafts(Tracker& tracker, const std::vector<IssueDraft>& drafts,
                                      const std::string& auto_post_threshold);

// "never", "low", "medium", "high" or "critical".
bool IsValidAutoPostThreshold(const std::string& threshold);

// The comment posted when a known cluster grew (or came back): the triage run, the rubric, up to
// 50 new run ids then "…and N more", and a provenance comment holding the new members.
std::string GrowthComment(const IssueDraft& draft, const std::vector<std::string>& new_run_ids, bool reopened);

}  // namespace tracery::triage
