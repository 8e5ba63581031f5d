#include "cli/render.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

namespace tracery::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kCyan = "\x1b[36m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";

Result<json> Parse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("response is not valid JSON");
  if (!j.is_object()) return InvalidArgumentError("response is not a JSON object");
  return j;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

double Num(const json& j, const char* key, double fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return v;
  }
  return fallback;
}

bool IsNull(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null();
}

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const json& Array(const json& j, const char* key) {
  static const json kEmpty = json::array();
  const json& f = Field(j, key);
  return f.is_array() ? f : kEmpty;
}

std::string Int(double v) {
  if (!std::isfinite(v)) return "-";
  // Thousands separators keep long token counts readable.
  std::string digits = fmt::format("{}", static_cast<int64_t>(std::llround(v)));
  std::string out;
  size_t start = digits[0] == '-' ? 1 : 0;
  out = digits.substr(0, start);
  for (size_t i = start; i < digits.size(); ++i) {
    if (i > start && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "2026-11-22T01:02:03.123456789Z" -> "2026-11-22 01:02:03"
std::string ShortTime(const std::string& iso) {
  if (iso.size() < 19 || iso[10] != 'T') return iso.empty() ? "-" : iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string Plural(double n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", Int(n), n == 1 ? one : many);
}

std::string Dash(std::string s) { return s.empty() ? "-" : s; }

std::string Paint(std::string_view color, const std::string& text, const RenderOptions& o) {
  if (!o.color || text.empty()) return text;
  return fmt::format("{}{}{}", color, text, kReset);
}

std::string_view StatusColor(const std::string& status) {
  if (status == "failed" || status == "error") return kRed;
  if (status == "partial") return kYellow;
  if (status == "ok") return kGreen;
  return kCyan;
}

std::string FailureLabel(const json& failure) {
  if (!failure.is_object()) return "";
  std::string type = Str(failure, "type");
  std::string code = Str(failure, "code");
  if (type.empty()) return code;
  return code.empty() ? type : type + "/" + code;
}

// Control characters in names and messages would corrupt the terminal (and could smuggle escape
// sequences): show them as spaces, and keep table cells to one line.
std::string Clean(std::string_view s, size_t max_columns = 0) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (max_columns > 0 && DisplayWidth(out) > max_columns) {
    // Cut on a code point boundary.
    size_t cols = 0;
    size_t i = 0;
    while (i < out.size() && cols + 1 < max_columns) {
      ++i;
      while (i < out.size() && (static_cast<unsigned char>(out[i]) & 0xC0) == 0x80) ++i;
      ++cols;
    }
    out.resize(i);
    out += "…";
  }
  return out;
}

class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_align = {})
      : headers_(std::move(headers)), right_(std::move(right_align)) {
    right_.resize(headers_.size(), false);
  }
  void Add(std::vector<std::string> row) {
    row.resize(headers_.size());
    rows_.push_back(std::move(row));
  }
  std::string Render(const RenderOptions& o) const {
    std::vector<size_t> width(headers_.size());
    for (size_t c = 0; c < headers_.size(); ++c) width[c] = DisplayWidth(headers_[c]);
    for (const auto& r : rows_) {
      for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], DisplayWidth(r[c]));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells, bool header) {
      std::string l;
      for (size_t c = 0; c < cells.size(); ++c) {
        size_t pad = width[c] - DisplayWidth(cells[c]);
        bool last = c + 1 == cells.size();
        std::string cell = header ? Paint(kBold, cells[c], o) : cells[c];
        if (right_[c]) {
          l += std::string(pad, ' ') + cell;
        } else {
          l += cell;
          if (!last) l += std::string(pad, ' ');
        }
        if (!last) l += "  ";
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      out += l + "\n";
    };
    line(headers_, true);
    for (const auto& r : rows_) line(r, false);
    return out;
  }
  size_t size() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string Tokens(const json& tokens) {
  if (!tokens.is_object()) return "-";
  double total = Num(tokens, "total");
  if (total == 0) total = Num(tokens, "input") + Num(tokens, "output");
  return total == 0 ? "-" : Int(total);
}

std::string Duration(const json& j) {
  if (IsNull(j, "duration_ms")) return "-";
  return FormatDurationMs(Num(j, "duration_ms", -1));
}

struct StepNode {
  const json* step;
  std::string id;
  std::vector<size_t> children;
  bool visited = false;
};

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e)) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string FormatDurationMs(double ms) {
  if (!(ms >= 0) || !std::isfinite(ms)) return "-";
  if (ms < 1) return fmt::format("{:.2f}ms", ms);
  if (ms < 1000) return fmt::format("{:.0f}ms", ms);
  double s = ms / 1000;
  if (s < 60) return fmt::format("{:.2f}s", s);
  auto total_s = static_cast<int64_t>(s);
  if (total_s < 3600) return fmt::format("{}m{:02d}s", total_s / 60, static_cast<int>(total_s % 60));
  return fmt::format("{}h{:02d}m", total_s / 3600, static_cast<int>((total_s % 3600) / 60));
}

std::string FormatCost(double usd) {
  if (!(usd > 0) || !std::isfinite(usd)) return "-";
  if (usd < 1) return fmt::format("${:.4f}", usd);
  return fmt::format("${:.2f}", usd);
}

Result<std::string> PrettyJson(std::string_view text) {
  // ordered_json keeps the document's key order: the output is the API document, re-indented.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("response is not valid JSON");
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<std::string> RenderRunsTable(std::string_view text, const RenderOptions& o) {
  TRACERY_ASSIGN_OR_RETURN(json doc, Parse(text));
  Table t({"TIME", "RUN", "AGENT", "VERSION", "STATUS", "FAILURE", "STEPS", "TOKENS", "COST", "DURATION"},
          {false, false, false, false, false, false, true, true, true, true});
  for (const json& r : Array(doc, "runs")) {
    std::string status = Str(r, "status");
    std::string failure = FailureLabel(Field(r, "failure"));
    t.Add({ShortTime(Str(r, "start_time")), Str(r, "run_id").substr(0, 12), Dash(Clean(Str(r, "agent_id"), 24)),
           Dash(Clean(Str(r, "agent_version"), 16)), Paint(StatusColor(status), status, o),
           Dash(Paint(kRed, Clean(failure, 40), o)), Int(Num(r, "step_count")), Tokens(Field(r, "tokens")),
           FormatCost(Num(r, "cost_usd")), Duration(r)});
  }
  std::string out;
  if (t.size() == 0) {
    out = "no runs match\n";
  } else {
    out = t.Render(o);
    double total = Num(doc, "total", -1);
    out += total >= 0 ? fmt::format("{} of {} runs\n", t.size(), Int(total)) : fmt::format("{} runs\n", t.size());
  }
  std::string next = Str(doc, "next_cursor");
  if (!next.empty()) out += fmt::format("more: --cursor {}\n", next);
  return out;
}

Result<std::string> RenderRunDetail(std::string_view text, const RenderOptions& o) {
  TRACERY_ASSIGN_OR_RETURN(json doc, Parse(text));
  const json& run = Field(doc, "run");
  if (!run.is_object()) return InvalidArgumentError("response has no \"run\" object");
  const json& steps = Array(doc, "steps");

  std::unordered_map<std::string, size_t> index;
  std::vector<StepNode> nodes;
  nodes.reserve(steps.size());
  for (const json& s : steps) {
    nodes.push_back(StepNode{&s, Str(s, "step_id"), {}, false});
    index.emplace(nodes.back().id, nodes.size() - 1);
  }
  auto name_of = [&](const std::string& step_id) -> std::string {
    auto it = index.find(step_id);
    if (it == index.end()) return step_id.substr(0, 8);
    return Clean(Str(*nodes[it->second].step, "name"), 40);
  };

  std::string out;
  std::string status = Str(run, "status");
  std::string name = Str(run, "name");
  out += fmt::format("Run       {}{}\n", Str(run, "run_id"), name.empty() ? "" : "  " + Clean(name, 80));
  out += fmt::format("Status    {}\n", Paint(StatusColor(status), Dash(status), o));
  const json& failure = Field(run, "failure");
  std::string cause_id;
  if (failure.is_object()) {
    cause_id = Str(failure, "step_id");
    std::string msg = Clean(Str(failure, "message"), 200);
    out += fmt::format("Failure   {}{}\n", Paint(kRed, FailureLabel(failure), o), msg.empty() ? "" : ": " + msg);
    if (!cause_id.empty()) {
      auto it = index.find(cause_id);
      std::string type = it == index.end() ? "" : Str(*nodes[it->second].step, "type");
      out += fmt::format("          caused by step {} ({}{})\n", name_of(cause_id), type.empty() ? "" : type + ", ",
                         cause_id);
    }
  }
  std::string agent = Str(run, "agent_id");
  if (!agent.empty()) {
    std::string version = Str(run, "agent_version");
    std::string env = Str(run, "environment");
    out += fmt::format("Agent     {}{}{}\n", Clean(agent, 60), version.empty() ? "" : " " + Clean(version, 30),
                       env.empty() ? "" : " (" + Clean(env, 30) + ")");
  }
  out += fmt::format("Started   {}\n", ShortTime(Str(run, "start_time")));
  out += fmt::format("Duration  {}\n", Duration(run));
  out += fmt::format("Steps     {} ({} llm, {} tool, {}, {})\n", Int(Num(run, "step_count")),
                     Int(Num(run, "llm_count")), Int(Num(run, "tool_count")),
                     Plural(Num(run, "retry_count"), "retry", "retries"),
                     Plural(Num(run, "error_count"), "error", "errors"));
  const json& tokens = Field(run, "tokens");
  out += fmt::format("Tokens    {} in / {} out / {} total\n", Int(Num(tokens, "input")), Int(Num(tokens, "output")),
                     Int(Num(tokens, "total")));
  out += fmt::format("Cost      {}\n", FormatCost(Num(run, "cost_usd")));
  const json& agents = Array(doc, "agents");
  if (!agents.empty()) {
    std::string list;
    for (const json& a : agents) {
      if (!list.empty()) list += ", ";
      list += fmt::format("{} ({})", Clean(Str(a, "name"), 40), Plural(Num(a, "step_count"), "step", "steps"));
    }
    out += fmt::format("Agents    {}\n", list);
  }

  // The tree: children by parent within this window, in seq order (the document's order).
  std::vector<size_t> roots;
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::string parent = Str(*nodes[i].step, "parent_id");
    auto it = parent.empty() || parent == nodes[i].id ? index.end() : index.find(parent);
    if (it == index.end()) {
      roots.push_back(i);
    } else {
      nodes[it->second].children.push_back(i);
    }
  }
  Table t({"STEP", "TYPE", "AGENT", "DURATION", "TOKENS", "STATUS", "NOTE"},
          {false, false, false, true, true, false, false});
  constexpr size_t kMaxIndent = 32;
  // Iterative DFS: hostile inputs may nest 100k deep. `prefix` holds the guide lines.
  struct Frame {
    size_t node;
    std::string prefix;  // guides for this node's children
    bool last;
    size_t depth;
    bool top;
  };
  auto emit = [&](const Frame& f) {
    StepNode& n = nodes[f.node];
    n.visited = true;
    const json& s = *n.step;
    std::string tree;
    if (!f.top) {
      tree = f.depth > kMaxIndent ? fmt::format("…[{}] ", f.depth) : f.prefix + (f.last ? "└─ " : "├─ ");
    }
    std::string step_status = Str(s, "status");
    const json& step_failure = Field(s, "failure");
    bool is_cause = !cause_id.empty() && n.id == cause_id;
    std::vector<std::string> notes;
    double attempt = Num(s, "attempt");
    std::string retry_of = Str(s, "retry_of");
    if (attempt > 1) {
      notes.push_back(retry_of.empty() ? fmt::format("↻ attempt {}", Int(attempt))
                                       : fmt::format("↻ attempt {} of step {}", Int(attempt), name_of(retry_of)));
    }
    if (is_cause) {
      std::string label = FailureLabel(step_failure.is_object() ? step_failure : failure);
      notes.push_back(o.color ? fmt::format("✗ {}", label) : fmt::format("✗ FAILED {}", label));
    } else if (step_failure.is_object()) {
      bool recovered = Field(step_failure, "recovered").is_boolean() && Field(step_failure, "recovered").get<bool>();
      notes.push_back(fmt::format("{}{}", FailureLabel(step_failure), recovered ? " (recovered)" : ""));
    }
    std::string label = tree + Clean(Str(s, "name"), 48);
    std::string agent_name = Dash(Clean(Str(s, "agent"), 24));
    std::string status_cell = step_status.empty() ? "-" : step_status;
    std::string note;
    for (const auto& x : notes) note += (note.empty() ? "" : "  ") + x;
    std::string model = Str(s, "model");
    if (!model.empty() && Str(s, "type") == "llm") note = Clean(model, 32) + (note.empty() ? "" : "  " + note);
    std::vector<std::string> row = {label, Dash(Str(s, "type")), agent_name, Duration(s),
                                    Tokens(Field(s, "tokens")), status_cell, note};
    if (is_cause && o.color) {
      for (auto& cell : row) cell = Paint(kRed, cell, o);
    } else if (step_status == "error") {
      row[5] = Paint(kRed, status_cell, o);
    }
    t.Add(std::move(row));
  };
  auto walk = [&](size_t root) {
    std::vector<Frame> stack;
    stack.push_back(Frame{root, "", true, 0, true});
    while (!stack.empty()) {
      Frame f = std::move(stack.back());
      stack.pop_back();
      if (nodes[f.node].visited) continue;  // cycles in hostile data
      emit(f);
      const auto& kids = nodes[f.node].children;
      std::string child_prefix =
          f.top ? "" : (f.depth > kMaxIndent ? f.prefix : f.prefix + (f.last ? "   " : "│  "));
      for (size_t k = kids.size(); k-- > 0;) {
        stack.push_back(Frame{kids[k], f.depth >= kMaxIndent ? std::string() : child_prefix, k + 1 == kids.size(),
                              f.depth + 1, false});
      }
    }
  };
  for (size_t r : roots) walk(r);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i].visited) walk(i);  // parent cycles never reach a root
  }
  out += "\n";
  if (t.size() == 0) {
    out += "no steps\n";
  } else {
    out += t.Render(o);
  }
  double total = Num(doc, "total_steps", static_cast<double>(nodes.size()));
  double offset = Num(doc, "offset");
  if (offset > 0 || offset + static_cast<double>(nodes.size()) < total) {
    out += fmt::format("steps {}-{} of {}", Int(offset + (nodes.empty() ? 0 : 1)),
                       Int(offset + static_cast<double>(nodes.size())), Int(total));
    if (offset + static_cast<double>(nodes.size()) < total) {
      out += fmt::format("; more: --offset {}", Int(offset + static_cast<double>(nodes.size())));
    }
    out += "\n";
  }
  return out;
}

Result<std::string> RenderStatsTable(std::string_view text, const RenderOptions& o) {
  TRACERY_ASSIGN_OR_RETURN(json doc, Parse(text));
  std::string group_by = Str(doc, "group_by");
  bool grouped = !group_by.empty() && group_by != "none";
  bool bucketed = !Str(doc, "bucket").empty();
  std::vector<std::string> headers;
  std::vector<bool> right;
  if (grouped) {
    std::string h = group_by;
    std::transform(h.begin(), h.end(), h.begin(), [](char c) { return c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    headers.push_back(h);
    right.push_back(false);
  }
  if (bucketed) {
    headers.push_back("BUCKET");
    right.push_back(false);
  }
  for (const char* h : {"RUNS", "OK", "FAILED", "PARTIAL", "RUNNING", "SUCCESS", "P50", "P95", "P99", "TOKENS", "COST"}) {
    headers.push_back(h);
    right.push_back(true);
  }
  Table t(headers, right);
  for (const json& r : Array(doc, "rows")) {
    std::vector<std::string> row;
    if (grouped) row.push_back(Dash(Clean(Str(r, "group"), 40)));
    if (bucketed) row.push_back(ShortTime(Str(r, "bucket_start")));
    const json& lat = Field(r, "latency_ms");
    row.insert(row.end(), {Int(Num(r, "runs")), Int(Num(r, "ok")), Int(Num(r, "failed")), Int(Num(r, "partial")),
                           Int(Num(r, "running")), fmt::format("{:.1f}%", Num(r, "success_rate") * 100),
                           FormatDurationMs(Num(lat, "p50", -1)), FormatDurationMs(Num(lat, "p95", -1)),
                           FormatDurationMs(Num(lat, "p99", -1)), Tokens(Field(r, "tokens")),
                           FormatCost(Num(r, "cost_usd"))});
    t.Add(std::move(row));
  }
  if (t.size() == 0) return std::string("no data\n");
  return t.Render(o);
}

Result<std::string> RenderSessionsTable(std::string_view text, const RenderOptions& o) {
  TRACERY_ASSIGN_OR_RETURN(json doc, Parse(text));
  Table t({"SESSION", "USER", "RUNS", "FAILED", "FIRST", "LAST", "TOKENS", "COST"},
          {false, false, true, true, false, false, true, true});
  for (const json& s : Array(doc, "sessions")) {
    t.Add({Dash(Clean(Str(s, "session_id"), 40)), Dash(Clean(Str(s, "user_id"), 24)), Int(Num(s, "run_count")),
           Int(Num(s, "failed_count")), ShortTime(Str(s, "first_start_time")), ShortTime(Str(s, "last_end_time")),
           Tokens(Field(s, "tokens")), FormatCost(Num(s, "cost_usd"))});
  }
  std::string out = t.size() == 0 ? "no sessions\n" : t.Render(o);
  std::string next = Str(doc, "next_cursor");
  if (!next.empty()) out += fmt::format("more: --cursor {}\n", next);
  return out;
}

Result<std::string> RenderAgentsTable(std::string_view text, const RenderOptions& o) {
  TRACERY_ASSIGN_OR_RETURN(json doc, Parse(text));
  Table t({"AGENT", "VERSIONS", "RUNS", "FAILED", "LAST SEEN"}, {false, false, true, true, false});
  for (const json& a : Array(doc, "agents")) {
    std::string versions;
    for (const json& v : Array(a, "versions")) {
      if (!versions.empty()) versions += ", ";
      versions += v.is_string() ? v.get<std::string>() : v.dump();
    }
    t.Add({Dash(Clean(Str(a, "agent_id"), 40)), Dash(Clean(versions, 40)), Int(Num(a, "runs")),
           Int(Num(a, "failed")), ShortTime(Str(a, "last_seen_time"))});
  }
  if (t.size() == 0) return std::string("no agents\n");
  return t.Render(o);
}

}  // namespace tracery::cli
