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
};

struct TrackerIssue {
  std::string id;   // number / key / id
  std::string url;
  std::string title;
  std::string body;
  bool open = true;
  bool closed_as_fixed = false;
  std::vector<std::string> labels;
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
};

Result<std::unique_ptr<Tracker>> MakeTracker(const TrackerConfig& config);

// Dedup + posting for each draft: match by provenance cluster id, then member overlap; comment
// when a known cluster grew, reopen an issue closed as fixed when the failure is back, create only
// when severity >= auto_post_threshold ("never" = never) and the listing was not truncated;
// otherwise kNeedsCreate (stays queued). Tracker errors give kFailed, never abort.
std::vector<TrackerAction> SyncDrafts(Tracker& tracker, const std::vector<IssueDraft>& drafts,
                                      const std::string& auto_post_threshold);

}  // namespace tracery::triage
