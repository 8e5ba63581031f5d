#include "model/summarize.h"

#include <algorithm>
#include <climits>
#include <map>
#include <numeric>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace tracery::model {

StepDigest DigestOf(const Step& step) {
  StepDigest d;
  d.step_id = step.step_id;
  d.parent_id = step.parent_id;
  d.name = step.name;
  d.type = step.type;
  d.agent = step.agent;
  d.start_ns = step.start_ns;
  d.end_ns = step.end_ns;
  d.status = step.status;
  d.model = step.model;
  d.tool_name = step.tool_name;
  d.tokens = step.tokens;
  d.cost_usd = step.cost_usd;
  d.attempt = step.attempt;
  d.max_attempts = step.max_attempts;
  d.retry_of = step.retry_of;
  d.handoff_to = step.handoff_to;
  d.handoff_from = step.handoff_from;
  d.linked_steps = step.linked_steps;
  d.failure = step.failure;
  d.hints = step.hints;
  return d;
}

namespace {

constexpr int kNone = -1;

bool IsModelCall(StepType t) {
  return t == StepType::kLlm || t == StepType::kEmbedding || t == StepType::kRerank;
}

bool Failed(const StepDigest& s) { return s.failure.has_value() || s.status == StepStatus::kError; }

// Sort key: start, then id; duplicates of an id keep the most complete copy (ended, then errored)
// so the pick does not depend on arrival order.
bool DigestLess(const StepDigest* a, const StepDigest* b) {
  if (a->start_ns != b->start_ns) return a->start_ns < b->start_ns;
  if (a->step_id != b->step_id) return a->step_id < b->step_id;
  if (a->end_ns != b->end_ns) return a->end_ns > b->end_ns;
  if (a->status != b->status) return a->status > b->status;
  if (a->failure.has_value() != b->failure.has_value()) return a->failure.has_value();
  if (a->name != b->name) return a->name < b->name;
  return a->parent_id < b->parent_id;
}

bool LowerContains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < needle.size(); ++j) {
      char c = hay[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != needle[j]) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

bool LooksLikeDelegation(std::string_view name) {
  return LowerContains(name, "delegate") || LowerContains(name, "coworker");
}

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent[b] = a;
  }
};

// Timestamp granularity tolerated when ordering attempts (OTel JS start times are in ms).
constexpr int64_t kClockSlackNs = 1'000'000;

class Summarizer {
 public:
  Summarizer(std::string_view run_id, const std::vector<StepDigest>& input) : run_id_(run_id) {
    std::vector<const StepDigest*> ptrs;
    ptrs.reserve(input.size());
    for (const auto& s : input) ptrs.push_back(&s);
    std::sort(ptrs.begin(), ptrs.end(), DigestLess);
    steps_.reserve(ptrs.size());
    index_.reserve(ptrs.size());
    for (const StepDigest* p : ptrs) {
      if (!steps_.empty() && steps_.back()->step_id == p->step_id) continue;
      // The same id at a different start: keep the first in sort order only.
      if (index_.count(p->step_id) != 0) continue;
      index_.emplace(p->step_id, static_cast<int>(steps_.size()));
      steps_.push_back(p);
    }
  }

  RunSummary Run() {
    const int n = static_cast<int>(steps_.size());
    RunSummary out;
    out.run.run_id = std::string(run_id_);
    if (n == 0) return out;
    BuildTree();
    InheritAgents(out);
    BuildChains();
    ClassifyFailures();
    FillRunFields(out.run);
    FillCounts(out.run);
    FillRetries(out);
    FillFailures(out);
    FillStatusAndCause(out.run);
    FillAgents(out);
    FillMessages(out);
    return out;
  }

 private:
  const StepDigest& S(int i) const { return *steps_[i]; }

  // Parent indices (cycles broken deterministically), root, topological order.
  void BuildTree() {
    const int n = static_cast<int>(steps_.size());
    par_.assign(n, kNone);
    for (int i = 0; i < n; ++i) {
      const auto& pid = S(i).parent_id;
      if (pid.empty() || pid == S(i).step_id) continue;
      auto it = index_.find(pid);
      if (it != index_.end()) par_[i] = it->second;
    }
    for (int i = 0; i < n; ++i) {
      if (S(i).parent_id.empty()) {
        root_ = i;  // steps_ is sorted, so the first is the earliest
        break;
      }
    }
    children_.assign(n, {});
    for (int i = 0; i < n; ++i) {
      if (par_[i] != kNone) children_[par_[i]].push_back(i);
    }
    std::vector<char> seen(n, 0);
    topo_.clear();
    topo_.reserve(n);
    auto bfs = [&](int start) {
      size_t head = topo_.size();
      topo_.push_back(start);
      seen[start] = 1;
      while (head < topo_.size()) {
        int cur = topo_[head++];
        for (int c : children_[cur]) {
          if (!seen[c]) {
            seen[c] = 1;
            topo_.push_back(c);
          }
        }
      }
    };
    for (int i = 0; i < n; ++i) {
      if (par_[i] == kNone) bfs(i);
    }
    // Anything unreached sits on a parent cycle: cut the cycle at its earliest step.
    for (int i = 0; i < n; ++i) {
      if (seen[i]) continue;
      int p = par_[i];
      auto& siblings = children_[p];
      siblings.erase(std::remove(siblings.begin(), siblings.end(), i), siblings.end());
      par_[i] = kNone;
      bfs(i);
    }
  }

  // Effective agent: the step's own, else its nearest ancestor's (spans below an agent span
  // rarely repeat the agent's identity, but they are that agent's work).
  void InheritAgents(RunSummary& out) {
    const int n = static_cast<int>(steps_.size());
    agent_.assign(n, std::string_view());
    for (int i : topo_) {
      if (!S(i).agent.empty()) {
        agent_[i] = S(i).agent;
      } else if (par_[i] != kNone) {
        agent_[i] = agent_[par_[i]];
        if (!agent_[i].empty()) out.inherited_agents.push_back({S(i).step_id, std::string(agent_[i])});
      }
    }
    std::sort(out.inherited_agents.begin(), out.inherited_agents.end(),
              [](const StepAgentLink& a, const StepAgentLink& b) { return a.step_id < b.step_id; });
  }

  void BuildChains() {
    const int n = static_cast<int>(steps_.size());
    chain_of_.assign(n, kNone);
    chains_.clear();
    // Explicit links: connected components over retry_of.
    UnionFind uf(n);
    std::vector<char> explicit_link(n, 0);
    for (int i = 0; i < n; ++i) {
      const auto& r = S(i).retry_of;
      if (r.empty()) continue;
      explicit_link[i] = 1;
      auto it = index_.find(r);
      if (it == index_.end() || it->second == i) continue;
      explicit_link[it->second] = 1;
      uf.Union(i, it->second);
    }
    std::map<int, int> component_chain;
    for (int i = 0; i < n; ++i) {
      if (!explicit_link[i]) continue;
      int rep = uf.Find(i);
      auto [it, inserted] = component_chain.emplace(rep, static_cast<int>(chains_.size()));
      if (inserted) chains_.emplace_back();
      chains_[it->second].push_back(i);  // i ascends, so chains stay in start order
      chain_of_[i] = it->second;
    }
    // Inferred chains among the rest.
    // Group order does not matter (chain ids are internal), so hash instead of sort.
    using Key = std::tuple<std::string_view, std::string_view, StepType, std::string_view>;
    struct KeyHash {
      size_t operator()(const Key& k) const {
        std::hash<std::string_view> h;
        size_t x = h(std::get<0>(k));
        x = x * 1000003 ^ h(std::get<1>(k));
        x = x * 1000003 ^ static_cast<size_t>(std::get<2>(k));
        return x * 1000003 ^ h(std::get<3>(k));
      }
    };
    std::unordered_map<Key, std::vector<int>, KeyHash> groups;
    groups.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      if (explicit_link[i]) continue;
      const auto& s = S(i);
      groups[Key{s.parent_id, s.name, s.type, s.tool_name}].push_back(i);
    }
    for (auto& [key, members] : groups) {
      // Some SDKs report start times at millisecond resolution (OTel JS), so a retry can tie
      // with, or appear to start slightly before the end of, the attempt it retries. Within equal
      // start times put failed attempts first, and allow one clock tick of overlap below.
      std::stable_sort(members.begin(), members.end(), [this](int x, int y) {
        if (S(x).start_ns != S(y).start_ns) return S(x).start_ns < S(y).start_ns;
        return Failed(S(x)) && !Failed(S(y));
      });
      if (members.size() == 1) {
        chain_of_[members[0]] = static_cast<int>(chains_.size());
        chains_.push_back(members);
        continue;
      }
      // Open chains: (end of failed last attempt, chain id). A chain closes when continued or
      // when its last attempt did not fail.
      std::set<std::pair<int64_t, int>> open;
      for (int i : members) {
        const auto& s = S(i);
        int chain = kNone;
        if (s.attempt != 1 && !open.empty()) {
          auto it = open.upper_bound({s.start_ns + kClockSlackNs, INT_MAX});
          if (it != open.begin()) {
            --it;
            chain = it->second;
            open.erase(it);
          }
        }
        if (chain == kNone) {
          chain = static_cast<int>(chains_.size());
          chains_.emplace_back();
        }
        chains_[chain].push_back(i);
        chain_of_[i] = chain;
        if (Failed(s) && s.end_ns > 0) open.emplace(s.end_ns, chain);
      }
    }
    attempt_.assign(n, 1);
    retry_of_.assign(n, std::string());
    for (const auto& chain : chains_) {
      for (size_t k = 0; k < chain.size(); ++k) {
        int i = chain[k];
        attempt_[i] = S(i).attempt > 0 ? S(i).attempt : static_cast<int>(k + 1);
        if (!S(i).retry_of.empty()) {
          retry_of_[i] = S(i).retry_of;
        } else if (k > 0) {
          retry_of_[i] = S(chain[k - 1]).step_id;
        }
      }
      // A lone step explicitly linked to a step we have not seen is at least a second attempt.
      if (chain.size() == 1 && !S(chain[0]).retry_of.empty() && S(chain[0]).attempt <= 0) {
        attempt_[chain[0]] = 2;
      }
    }
  }

  void ClassifyFailures() {
    const int n = static_cast<int>(steps_.size());
    recovered_.assign(n, 0);
    superseded_.assign(n, 0);
    for (const auto& chain : chains_) {
      bool later_success = false;
      bool later_attempt = false;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const auto& s = S(*it);
        if (Failed(s)) {
          recovered_[*it] = later_success;
          superseded_[*it] = later_attempt;
        } else if (s.end_ns > 0) {
          later_success = true;
        }
        later_attempt = true;
      }
    }
    live_failed_.assign(n, 0);
    for (int i = 0; i < n; ++i) live_failed_[i] = Failed(S(i)) && !recovered_[i] && !superseded_[i];
  }

  // Root hint if non-empty, else the earliest step's non-empty value.
  template <typename Get>
  std::string PickHint(Get get) const {
    if (root_ != kNone && !get(S(root_).hints).empty()) return get(S(root_).hints);
    for (const auto* s : steps_) {
      if (!get(s->hints).empty()) return get(s->hints);
    }
    return "";
  }

  void FillRunFields(model::Run& run) const {
    run.root_seen = root_ != kNone;
    run.name = PickHint([](const RunHints& h) -> const std::string& { return h.name; });
    if (run.name.empty()) run.name = root_ != kNone ? S(root_).name : S(0).name;
    if (run.name.empty()) {
      for (const auto* s : steps_) {
        if (!s->name.empty()) {
          run.name = s->name;
          break;
        }
      }
    }
    run.agent_version = PickHint([](const RunHints& h) -> const std::string& { return h.agent_version; });
    run.environment = PickHint([](const RunHints& h) -> const std::string& { return h.environment; });
    run.session_id = PickHint([](const RunHints& h) -> const std::string& { return h.session_id; });
    run.user_id = PickHint([](const RunHints& h) -> const std::string& { return h.user_id; });
    run.service_name = PickHint([](const RunHints& h) -> const std::string& { return h.service_name; });
    std::string metadata = PickHint([](const RunHints& h) -> const std::string& { return h.metadata_json; });
    run.metadata_json = metadata.empty() ? "{}" : metadata;
    run.agent_id = PickHint([](const RunHints& h) -> const std::string& { return h.agent_id; });
    if (run.agent_id.empty() && root_ != kNone) run.agent_id = S(root_).agent;
    if (run.agent_id.empty()) {
      for (const auto* s : steps_) {
        if (s->type == StepType::kAgent && !s->agent.empty()) {
          run.agent_id = s->agent;
          break;
        }
      }
    }
    if (run.agent_id.empty()) run.agent_id = run.service_name;
    std::set<std::string> tags;
    for (const auto* s : steps_) {
      for (const auto& t : s->hints.tags) {
        if (!t.empty()) tags.insert(t);
      }
    }
    run.tags.assign(tags.begin(), tags.end());
  }

  void FillCounts(model::Run& run) const {
    run.step_count = static_cast<int64_t>(steps_.size());
    run.start_ns = S(0).start_ns;  // sorted by start
    int64_t end = 0;
    std::set<std::string_view> agents;
    std::set<std::string> models;
    for (int i = 0; i < static_cast<int>(steps_.size()); ++i) {
      const auto& s = S(i);
      end = std::max(end, s.end_ns);
      if (s.type == StepType::kLlm) ++run.llm_count;
      if (s.type == StepType::kTool) ++run.tool_count;
      if (s.failure.has_value()) ++run.error_count;
      if (attempt_[i] > 1) ++run.retry_count;
      if (!s.agent.empty()) agents.insert(s.agent);
      if (IsModelCall(s.type)) {
        run.tokens += s.tokens;
        run.cost_usd += s.cost_usd;
        if (!s.model.empty()) models.insert(s.model);
      }
    }
    run.agent_count = static_cast<int64_t>(agents.size());
    run.models.assign(models.begin(), models.end());
    run.end_ns = end;
  }

  void FillRetries(RunSummary& out) const {
    const int n = static_cast<int>(steps_.size());
    for (int i = 0; i < n; ++i) {
      const auto& s = S(i);
      bool in_chain = chain_of_[i] != kNone && chains_[chain_of_[i]].size() > 1;
      if (!in_chain && s.retry_of.empty() && s.attempt <= 1) continue;
      out.retries.push_back(RetryLink{s.step_id, attempt_[i], retry_of_[i]});
    }
  }

  void FillFailures(RunSummary& out) const {
    for (int i = 0; i < static_cast<int>(steps_.size()); ++i) {
      const auto& s = S(i);
      if (!s.failure.has_value()) continue;
      Failure f = *s.failure;
      if (f.step_id.empty()) f.step_id = s.step_id;
      if (f.code.empty()) f.code = std::string(failure_code::kError);
      f.recovered = recovered_[i] != 0;
      out.failures.push_back(std::move(f));
    }
  }

  bool Earlier(int a, int b) const {
    int64_t ea = S(a).end_ns > 0 ? S(a).end_ns : INT64_MAX;
    int64_t eb = S(b).end_ns > 0 ? S(b).end_ns : INT64_MAX;
    if (ea != eb) return ea < eb;
    return a < b;
  }

  void FillStatusAndCause(model::Run& run) const {
    const int n = static_cast<int>(steps_.size());
    bool any_failure = false;
    for (int i = 0; i < n; ++i) any_failure = any_failure || Failed(S(i));
    bool root_failed = root_ != kNone && live_failed_[root_];
    if (root_ == kNone || S(root_).end_ns == 0) {
      run.status = RunStatus::kRunning;
      run.end_ns = 0;
    } else if (root_failed) {
      run.status = RunStatus::kFailed;
    } else if (any_failure) {
      run.status = RunStatus::kPartial;
    } else {
      run.status = RunStatus::kOk;
    }

    int cause = kNone;
    if (root_failed) {
      // Walk down the propagation path: at each failed step, follow the failed child that was
      // not handled (no sibling started after it ended: execution did not continue past it),
      // the earliest-ending one when several qualify. The cause is the deepest step on the walk
      // that carries a failure object.
      int cur = root_;
      std::vector<char> visited(n, 0);
      while (cur != kNone && !visited[cur]) {
        visited[cur] = 1;
        if (S(cur).failure.has_value()) cause = cur;
        int64_t last_child_start = INT64_MIN;
        for (int c : children_[cur]) last_child_start = std::max(last_child_start, S(c).start_ns);
        int next = kNone;
        for (int c : children_[cur]) {
          if (!live_failed_[c]) continue;
          bool handled = S(c).end_ns > 0 && S(c).end_ns <= last_child_start;
          if (handled) continue;
          if (next == kNone || Earlier(c, next)) next = c;
        }
        cur = next;
      }
    }
    if (cause == kNone) {
      // Unrecovered failures with no unrecovered failed descendant.
      std::vector<char> desc_failed(n, 0);
      for (auto it = topo_.rbegin(); it != topo_.rend(); ++it) {
        int i = *it;
        bool failed_here = live_failed_[i] && S(i).failure.has_value();
        if (par_[i] != kNone && (desc_failed[i] || failed_here)) desc_failed[par_[i]] = 1;
      }
      for (int i = 0; i < n; ++i) {
        if (!live_failed_[i] || desc_failed[i] || !S(i).failure.has_value()) continue;
        if (cause == kNone || Earlier(i, cause)) cause = i;
      }
    }
    bool recovered_cause = false;
    if (cause == kNone && !root_failed) {
      // Only recovered (or superseded) failures: report the earliest, flagged recovered, so a
      // partial run still says why.
      for (int i = 0; i < n; ++i) {
        if (!S(i).failure.has_value()) continue;
        if (cause == kNone || Earlier(i, cause)) cause = i;
      }
      recovered_cause = cause != kNone;
    }
    if (cause != kNone) {
      Failure f = *S(cause).failure;
      if (f.step_id.empty()) f.step_id = S(cause).step_id;
      if (f.code.empty()) f.code = std::string(failure_code::kError);
      f.recovered = recovered_cause && recovered_[cause];
      if (!recovered_cause) AnnotateExhausted(cause, f);
      run.failure = std::move(f);
    } else if (root_failed) {
      Failure f;
      f.type = FailureType::kOrchestration;
      f.code = std::string(failure_code::kError);
      f.source = FailureSource::kSpanStatus;
      f.message = "root step ended with an error status";
      f.time_ns = S(root_).end_ns;
      run.failure = std::move(f);
    }
  }

  void AnnotateExhausted(int i, Failure& f) const {
    if (chain_of_[i] == kNone) return;
    const auto& chain = chains_[chain_of_[i]];
    if (chain.size() < 2 || chain.back() != i) return;
    int max_attempts = 0;
    for (int k : chain) {
      if (!Failed(S(k))) return;
      max_attempts = std::max(max_attempts, S(k).max_attempts);
    }
    int attempts = std::max(static_cast<int>(chain.size()), attempt_[i]);
    if (max_attempts > 0 && attempts >= max_attempts) {
      f.code = std::string(failure_code::kMaxRetriesExceeded);
    }
    std::string suffix = "after " + std::to_string(attempts) + " attempts";
    f.message = f.message.empty() ? "failed " + suffix : f.message + " (" + suffix + ")";
  }

  void FillAgents(RunSummary& out) const {
    std::map<std::string_view, Agent> agents;
    for (size_t i = 0; i < steps_.size(); ++i) {
      const auto* s = steps_[i];
      if (agent_[i].empty()) continue;
      auto [it, inserted] = agents.try_emplace(agent_[i]);
      Agent& a = it->second;
      if (inserted) {
        a.run_id = std::string(run_id_);
        a.name = std::string(agent_[i]);
        a.first_start_ns = s->start_ns;
      }
      ++a.step_count;
      if (s->type == StepType::kLlm) ++a.llm_count;
      if (s->type == StepType::kTool) ++a.tool_count;
      if (s->failure.has_value()) ++a.error_count;
      if (IsModelCall(s->type)) {
        a.tokens += s->tokens;
        a.cost_usd += s->cost_usd;
      }
    }
    for (auto& [name, agent] : agents) out.agents.push_back(std::move(agent));
    std::sort(out.agents.begin(), out.agents.end(), [](const Agent& a, const Agent& b) {
      return std::tie(a.first_start_ns, a.name) < std::tie(b.first_start_ns, b.name);
    });
  }

  void FillMessages(RunSummary& out) const {
    const int n = static_cast<int>(steps_.size());
    std::vector<int> agent_above(n, kNone);  // nearest agent-typed proper ancestor
    for (int i : topo_) {
      int p = par_[i];
      if (p == kNone) continue;
      agent_above[i] = S(p).type == StepType::kAgent ? p : agent_above[p];
    }
    for (int i = 0; i < n; ++i) {
      const auto& s = S(i);
      if (!s.handoff_to.empty()) {
        Message m;
        m.run_id = std::string(run_id_);
        m.from_agent = s.handoff_from;
        if (m.from_agent.empty()) m.from_agent = std::string(agent_[i]);
        if (m.from_agent.empty() && agent_above[i] != kNone) m.from_agent = S(agent_above[i]).agent;
        m.to_agent = s.handoff_to;
        m.kind = LooksLikeDelegation(s.name) ? "delegation" : "handoff";
        m.step_id = s.step_id;
        m.time_ns = s.start_ns;
        out.messages.push_back(std::move(m));
      }
      if (s.type == StepType::kAgent && !s.agent.empty() && agent_above[i] != kNone) {
        const auto& parent_agent = S(agent_above[i]).agent;
        // A handoff/delegation step between the two agents already records this edge.
        bool via_handoff = false;
        for (int p = par_[i]; p != kNone && p != agent_above[i]; p = par_[p]) {
          if (S(p).handoff_to == s.agent) {
            via_handoff = true;
            break;
          }
        }
        if (!parent_agent.empty() && parent_agent != s.agent && !via_handoff) {
          Message m;
          m.run_id = std::string(run_id_);
          m.from_agent = parent_agent;
          m.to_agent = s.agent;
          m.kind = "invoke";
          m.step_id = s.step_id;
          m.time_ns = s.start_ns;
          out.messages.push_back(std::move(m));
        }
      }
    }
    // Span links: a step linked to a step of another agent received a message from that agent
    // (AutoGen runtime "process" spans link to the sender's "publish"/"send" span).
    // (step_id, from, to) already carried by a message; built only when some step has links.
    std::set<std::tuple<std::string, std::string, std::string>> carried;
    bool carried_built = false;
    for (int i = 0; i < n; ++i) {
      const auto& s = S(i);
      if (s.linked_steps.empty() || agent_[i].empty()) continue;
      if (!carried_built) {
        for (const auto& m : out.messages) carried.emplace(m.step_id, m.from_agent, m.to_agent);
        carried_built = true;
      }
      for (const auto& linked : s.linked_steps) {
        auto it = index_.find(std::string_view(linked));
        if (it == index_.end()) continue;
        std::string_view from = agent_[it->second];
        if (from.empty() || from == agent_[i]) continue;
        if (!carried.emplace(s.step_id, std::string(from), std::string(agent_[i])).second) continue;
        Message m;
        m.run_id = std::string(run_id_);
        m.from_agent = std::string(from);
        m.to_agent = std::string(agent_[i]);
        m.kind = "message";
        m.step_id = s.step_id;
        m.time_ns = s.start_ns;
        out.messages.push_back(std::move(m));
      }
    }
    std::stable_sort(out.messages.begin(), out.messages.end(), [](const Message& a, const Message& b) {
      return std::tie(a.time_ns, a.step_id, a.kind) < std::tie(b.time_ns, b.step_id, b.kind);
    });
  }

  std::string_view run_id_;
  std::vector<const StepDigest*> steps_;
  std::unordered_map<std::string_view, int> index_;
  int root_ = kNone;
  std::vector<int> par_;
  std::vector<std::vector<int>> children_;
  std::vector<int> topo_;
  std::vector<std::string_view> agent_;  // effective agent per step
  std::vector<std::vector<int>> chains_;
  std::vector<int> chain_of_;
  std::vector<int> attempt_;
  std::vector<std::string> retry_of_;
  std::vector<char> recovered_;
  std::vector<char> superseded_;
  std::vector<char> live_failed_;
};

}  // namespace

RunSummary SummarizeRun(std::string_view run_id, const std::vector<StepDigest>& steps) {
  return Summarizer(run_id, steps).Run();
}

}  // namespace tracery::model
