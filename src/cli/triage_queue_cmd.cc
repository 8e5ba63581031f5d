#include "cli/triage_queue_cmd.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/cli_util.h"
#include "triage/draft.h"
#include "triage/tracker.h"

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: tracery triage queue <command> [options]\n"
    "\n"
    "commands:\n"
    "  list                      queued drafts (cluster id, severity, priority, members, title)\n"
    "  show ID                   one draft as Markdown (--json: as JSON)\n"
    "  post [ID...]              dedup against the tracker and post (all drafts, or the given ids)\n"
    "  review                    same as post --review\n"
    "  clear                     remove every queued draft (posted/ is kept)\n"
    "\n"
    "options:\n"
    "  --queue DIR               draft queue (default ./tracery-triage/queue)\n"
    "  --json                    machine-readable output\n"
    "  --tracker KIND            github | jira | linear (post)\n"
    "  --project P               owner/repo, Jira project key or Linear team id (alias --tracker-project)\n"
    "  --base-url U              tracker API base URL (alias --tracker-url); defaults:\n"
    "                            https://api.github.com, https://api.linear.app; Jira: required\n"
    "  --auto-post-threshold S   create new issues only at/above S: never|low|medium|high|critical\n"
    "                            (default low: posting from the queue is an explicit request)\n"
    "  --review                  open $EDITOR on each draft, then accept/reject/skip it\n"
    "  --timeout-ms N            per tracker request (default 10000)\n"
    "\n"
    "environment: GITHUB_TOKEN; JIRA_TOKEN and, for Jira cloud, JIRA_USER (email); LINEAR_API_KEY\n";

struct Flags {
  std::string command;
  std::vector<std::string> ids;
  std::string queue = "./tracery-triage/queue";
  bool json = false;
  std::string tracker, project, base_url, threshold;
  bool review = false;
  int timeout_ms = 10000;
};

int Usage(Io& io, const std::string& message) {
  io.err << "error: " << message << "\n" << kUsage;
  return 2;
}


// Parses args into flags; returns -1 to go on, else the exit code.
int Parse(const std::vector<std::string>& args, Io& io, Flags* f) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      io.out << kUsage;
      return 0;
    } else if (a == "--json") {
      f->json = true;
    } else if (a == "--review") {
      f->review = true;
    } else if (a == "--yes" || a == "-y") {
      // Accepted for docket compatibility: posting never asks without --review.
    } else if (a == "--queue" || a == "--queue-dir") {
      if (!value(&f->queue)) return Usage(io, a + " needs a value");
    } else if (a == "--tracker") {
      if (!value(&f->tracker)) return Usage(io, a + " needs a value");
    } else if (a == "--project" || a == "--tracker-project") {
      if (!value(&f->project)) return Usage(io, a + " needs a value");
    } else if (a == "--base-url" || a == "--tracker-url") {
      if (!value(&f->base_url)) return Usage(io, a + " needs a value");
    } else if (a == "--auto-post-threshold") {
      if (!value(&f->threshold)) return Usage(io, a + " needs a value");
    } else if (a == "--timeout-ms") {
      if (!value(&v)) return Usage(io, a + " needs a value");
      try {
        f->timeout_ms = std::stoi(v);
      } catch (const std::exception&) {
        return Usage(io, "--timeout-ms: not a number: " + v);
      }
      if (f->timeout_ms <= 0) return Usage(io, "--timeout-ms: must be > 0");
    } else if (a.rfind("--", 0) == 0) {
      return Usage(io, "unknown option " + a);
    } else if (f->command.empty()) {
      f->command = a;
    } else {
      f->ids.push_back(a);
    }
  }
  if (f->command.empty()) return Usage(io, "missing command (list, show, post, review, clear)");
  static const std::set<std::string> kCommands = {"list", "show", "post", "review", "clear"};
  if (!kCommands.count(f->command)) return Usage(io, "unknown command '" + f->command + "'");
  if (f->command == "review") {
    f->command = "post";
    f->review = true;
  }
  if (f->command == "show" && f->ids.size() != 1) return Usage(io, "show takes exactly one draft id");
  if ((f->command == "list" || f->command == "clear") && !f->ids.empty()) return Usage(io, f->command + " takes no arguments");
  if (!f->threshold.empty() && !triage::IsValidAutoPostThreshold(f->threshold))
    return Usage(io, "--auto-post-threshold must be never, low, medium, high or critical, got '" + f->threshold + "'");
  if (f->command == "post") {
    if (f->tracker.empty()) return Usage(io, "post needs --tracker github|jira|linear");
    if (f->tracker != "github" && f->tracker != "jira" && f->tracker != "linear")
      return Usage(io, "--tracker must be github, jira or linear, got '" + f->tracker + "'");
    if (f->project.empty()) return Usage(io, "post needs --project (owner/repo, Jira project key or Linear team id)");
  }
  return -1;
}

json DraftSummary(const triage::IssueDraft& d) {
  return {{"cluster_id", d.cluster_id}, {"mode_id", d.mode_id}, {"severity", std::string(triage::ToString(d.severity))},
          {"priority", d.priority}, {"members", d.member_run_ids.size()}, {"title", d.title},
          {"rubric", d.rubric_name + "@" + d.rubric_version}};
}

int List(const Flags& f, Io& io) {
  triage::DraftQueue q(f.queue);
  auto drafts = q.List();
  if (!drafts.ok()) {
    io.err << "error: " << drafts.status().message() << "\n";
    return 1;
  }
  if (f.json) {
    json arr = json::array();
    for (const auto& d : *drafts) arr.push_back(DraftSummary(d));
    io.out << arr.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (drafts->empty()) {
    io.out << "no queued drafts in " << f.queue << "\n";
    return 0;
  }
  io.out << fmt::format("{:<14} {:<9} {:<8} {:>7}  {}\n", "CLUSTER", "SEVERITY", "PRIORITY", "MEMBERS", "TITLE");
  for (const auto& d : *drafts)
    io.out << fmt::format("{:<14} {:<9} {:<8} {:>7}  {}\n", d.cluster_id, triage::ToString(d.severity), d.priority,
                          d.member_run_ids.size(), d.title);
  return 0;
}

int Show(const Flags& f, Io& io) {
  triage::DraftQueue q(f.queue);
  auto d = q.Get(f.ids[0]);
  if (!d.ok()) {
    io.err << "error: " << d.status().message() << "\n";
    return 1;
  }
  if (f.json) {
    io.out << triage::DraftToJson(*d);
  } else {
    io.out << triage::DraftMarkdown(*d);
  }
  return 0;
}

int Clear(const Flags& f, Io& io) {
  triage::DraftQueue q(f.queue);
  auto drafts = q.List();
  if (!drafts.ok()) {
    io.err << "error: " << drafts.status().message() << "\n";
    return 1;
  }
  Status s = q.Clear();
  if (!s.ok()) {
    io.err << "error: " << s.message() << "\n";
    return 1;
  }
  io.out << "removed " << drafts->size() << " draft" << (drafts->size() == 1 ? "" : "s") << " from " << f.queue << "\n";
  return 0;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// Opens the editor on each draft, then asks. Returns the accepted drafts; rejected ones are removed.
Result<std::vector<triage::IssueDraft>> Review(Io& io, std::istream& in, triage::DraftQueue& q,
                                               const std::vector<triage::IssueDraft>& drafts) {
  std::string editor = EnvValue(io, "VISUAL");
  if (editor.empty()) editor = EnvValue(io, "EDITOR");
  if (editor.empty()) editor = "vi";
  std::vector<triage::IssueDraft> accepted;
  bool eof = false;
  for (const auto& draft : drafts) {
    if (eof) break;
    triage::IssueDraft current = draft;
    std::string path = q.MarkdownPath(draft.cluster_id);
    int rc = std::system((editor + " " + ShellQuote(path)).c_str());
    if (rc != 0) {
      io.err << "error: editor '" << editor << "' failed on " << path << " (status " << rc << "); draft skipped\n";
      continue;
    }
    std::ifstream md(path, std::ios::binary);
    std::stringstream ss;
    ss << md.rdbuf();
    auto edited = triage::ApplyEditedMarkdown(current, ss.str());
    if (!edited.ok()) {
      io.err << "error: " << path << ": " << edited.status().message() << "; draft skipped (fix it and review again)\n";
      continue;
    }
    current = std::move(edited).value();
    TRACERY_RETURN_IF_ERROR(q.Put(current));
    while (true) {
      // Prompts go to stderr so --json output on stdout stays parseable.
      io.err << fmt::format("{} [{}] {}\naccept, reject or skip? [a/r/s] ", current.cluster_id,
                            triage::ToString(current.severity), current.title);
      io.err.flush();
      std::string answer;
      if (!std::getline(in, answer)) {
        io.err << "\n";
        eof = true;
        break;
      }
      while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' ')) answer.pop_back();
      if (answer == "a" || answer == "accept" || answer == "y" || answer == "yes") {
        accepted.push_back(current);
        break;
      }
      if (answer == "r" || answer == "reject" || answer == "n" || answer == "no") {
        TRACERY_RETURN_IF_ERROR(q.Remove(current.cluster_id));
        io.err << "rejected " << current.cluster_id << " (removed)\n";
        break;
      }
      if (answer == "s" || answer == "skip" || answer.empty()) {
        io.err << "skipped " << current.cluster_id << " (stays queued)\n";
        break;
      }
    }
  }
  return accepted;
}

int Post(const Flags& f, Io& io, std::istream& in) {
  triage::TrackerConfig tc;
  tc.kind = f.tracker;
  tc.project = f.project;
  tc.base_url = f.base_url;
  tc.timeout_ms = f.timeout_ms;
  std::string token_var = f.tracker == "github" ? "GITHUB_TOKEN" : f.tracker == "jira" ? "JIRA_TOKEN" : "LINEAR_API_KEY";
  tc.token = EnvValue(io, token_var);
  if (tc.token.empty()) {
    io.err << "error: " << token_var << " is not set (needed by --tracker " << f.tracker << ")\n";
    return 1;
  }
  if (f.tracker == "jira") tc.user = EnvValue(io, "JIRA_USER");
  auto tracker = triage::MakeTracker(tc);
  if (!tracker.ok()) {
    io.err << "error: " << tracker.status().message() << "\n";
    return 1;
  }
  triage::DraftQueue q(f.queue);
  std::vector<triage::IssueDraft> drafts;
  if (f.ids.empty()) {
    auto all = q.List();
    if (!all.ok()) {
      io.err << "error: " << all.status().message() << "\n";
      return 1;
    }
    drafts = std::move(all).value();
  } else {
    for (const auto& id : f.ids) {
      auto d = q.Get(id);
      if (!d.ok()) {
        io.err << "error: " << d.status().message() << "\n";
        return 1;
      }
      drafts.push_back(std::move(d).value());
    }
  }
  if (f.review) {
    auto accepted = Review(io, in, q, drafts);
    if (!accepted.ok()) {
      io.err << "error: " << accepted.status().message() << "\n";
      return 1;
    }
    drafts = std::move(accepted).value();
  }
  std::string threshold = f.threshold.empty() ? "low" : f.threshold;
  std::vector<triage::TrackerAction> actions = triage::SyncDrafts(**tracker, drafts, threshold);
  int failed = 0;
  json out = json::array();
  for (const auto& a : actions) {
    bool done = a.outcome == triage::TrackerOutcome::kCreated || a.outcome == triage::TrackerOutcome::kCommented ||
                a.outcome == triage::TrackerOutcome::kReopened || a.outcome == triage::TrackerOutcome::kSkipped;
    if (a.outcome == triage::TrackerOutcome::kFailed) ++failed;
    if (done) {
      Status s = q.MarkPosted(a.cluster_id, a.issue_url);
      if (!s.ok()) io.err << "warning: " << a.cluster_id << ": " << s.message() << "\n";
    }
    out.push_back({{"cluster_id", a.cluster_id}, {"outcome", std::string(triage::ToString(a.outcome))},
                   {"issue_url", a.issue_url}, {"detail", a.detail}});
    if (!f.json)
      io.out << fmt::format("{:<14} {:<12} {}{}{}\n", a.cluster_id, triage::ToString(a.outcome), a.issue_url,
                            a.issue_url.empty() || a.detail.empty() ? "" : "  ", a.detail);
  }
  if (f.json) io.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  if (!f.json && actions.empty()) io.out << "nothing to post\n";
  if (failed > 0) {
    io.err << "error: " << failed << " draft" << (failed == 1 ? "" : "s") << " failed; they stay queued\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunTriageQueue(const std::vector<std::string>& args, Io& io) { return RunTriageQueue(args, io, std::cin); }

int RunTriageQueue(const std::vector<std::string>& args, Io& io, std::istream& in) {
  Flags f;
  int rc = Parse(args, io, &f);
  if (rc >= 0) return rc;
  if (f.command == "list") return List(f, io);
  if (f.command == "show") return Show(f, io);
  if (f.command == "clear") return Clear(f, io);
  return Post(f, io, in);
}

}  // namespace tracery::cli
