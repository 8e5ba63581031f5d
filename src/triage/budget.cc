#include "triage/budget.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tracery::triage {

PriceTable PriceTable::Default() {
  PriceTable t;
  t.Set("claude-haiku-4-5", {1.0, 5.0});
  t.Set("claude-sonnet-4-6", {3.0, 15.0});
  t.Set("claude-opus-4-7", {15.0, 75.0});
  t.Set("claude-3-5-haiku", {0.8, 4.0});
  t.Set("gpt-4o-mini", {0.15, 0.60});
  t.Set("gpt-4o", {2.50, 10.0});
  t.Set("gpt-4.1-mini", {0.40, 1.60});
  t.Set("gpt-4.1-nano", {0.10, 0.40});
  t.Set("gpt-4.1", {2.0, 8.0});
  return t;
}

Status PriceTable::LoadJson(const std::string& json_text, const std::string& origin) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError(origin + ": price table must be a JSON object {model: {input, output}}");
  }
  for (auto& [model, v] : j.items()) {
    if (!v.is_object() || !v.contains("input") || !v.contains("output") ||
        !v["input"].is_number() || !v["output"].is_number()) {
      return InvalidArgumentError(origin + ": " + model + ": needs numeric 'input' and 'output' (USD per 1M tokens)");
    }
    double in = v["input"].get<double>(), out = v["output"].get<double>();
    if (in < 0 || out < 0) return InvalidArgumentError(origin + ": " + model + ": negative price");
    prices_[model] = {in, out};
  }
  return OkStatus();
}

Status PriceTable::LoadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("price table: cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return LoadJson(ss.str(), path);
}

Result<ModelPrice> PriceTable::Lookup(const std::string& model) const {
  auto exact = prices_.find(model);
  if (exact != prices_.end()) return exact->second;
  std::string bare = model;
  if (auto colon = bare.find(':'); colon != std::string::npos) bare = bare.substr(colon + 1);
  auto it = prices_.find(bare);
  if (it != prices_.end()) return it->second;
  const ModelPrice* best = nullptr;
  size_t best_len = 0;
  for (const auto& [name, price] : prices_) {
    if (bare.size() > name.size() && bare.compare(0, name.size(), name) == 0 &&
        bare[name.size()] == '-' && name.size() > best_len) {
      best = &price;
      best_len = name.size();
    }
  }
  if (best) return *best;
  return NotFoundError("no price for judge model '" + model + "' (add it with --price-table FILE)");
}

int CountJudgeModes(const Rubric& rubric) {
  int n = 0;
  for (const Mode& m : rubric.modes) n += m.detection.involves_judge() ? 1 : 0;
  return n;
}

std::string JudgeNodeModel(const Detection& node, const std::string& default_model) {
  if (node.model.empty()) return default_model;
  auto colon = node.model.find(':');
  return colon == std::string::npos ? node.model : node.model.substr(colon + 1);
}

namespace {

// Counts the llm_judge nodes of a detection tree per model.
void CountJudgeNodes(const Detection& d, const std::string& default_model, std::map<std::string, int64_t>* out) {
  if (d.type == "llm_judge") ++(*out)[JudgeNodeModel(d, default_model)];
  for (const Detection& operand : d.operands) CountJudgeNodes(operand, default_model, out);
}

}  // namespace

std::vector<std::string> JudgeModels(const Rubric& rubric, const std::string& default_model) {
  std::map<std::string, int64_t> nodes;
  for (const Mode& m : rubric.modes) CountJudgeNodes(m.detection, default_model, &nodes);
  std::vector<std::string> out;
  for (const auto& [model, n] : nodes) out.push_back(model);
  return out;
}

Result<CostEstimate> EstimateCost(const Rubric& rubric, int64_t runs, int batch,
                                  const std::string& model, const PriceTable& prices,
                                  const TokenAssumptions& assumptions) {
  CostEstimate e;
  e.judge_modes = CountJudgeModes(rubric);
  e.runs = runs;
  e.batch = batch < 1 ? 1 : batch;
  e.model = model;
  if (e.judge_modes == 0 || runs <= 0) return e;
  std::map<std::string, int64_t> nodes_per_model;
  for (const Mode& m : rubric.modes) CountJudgeNodes(m.detection, model, &nodes_per_model);
  const int64_t calls_per_node = (runs + e.batch - 1) / e.batch;
  e.model.clear();
  for (const auto& [node_model, nodes] : nodes_per_model) {
    TRACERY_ASSIGN_OR_RETURN(ModelPrice p, prices.Lookup(node_model));
    const int64_t in = nodes * runs * assumptions.input_per_run;
    const int64_t out = nodes * runs * assumptions.output_per_run;
    e.calls += nodes * calls_per_node;
    e.input_tokens += in;
    e.output_tokens += out;
    e.usd += (static_cast<double>(in) * p.input_per_mtok + static_cast<double>(out) * p.output_per_mtok) / 1e6;
    if (!e.model.empty()) e.model += ", ";
    e.model += node_model;
  }
  return e;
}

BudgetDecision CheckBudget(int64_t runs, const CostEstimate& estimate, const BudgetLimits& limits) {
  BudgetDecision d;
  if (limits.max_runs > 0 && runs > limits.max_runs) {
    d.runs_ok = false;
    d.runs_message = fmt::format("{} runs selected > --max-runs {}", runs, limits.max_runs);
  } else {
    d.runs_message = limits.max_runs > 0
                         ? fmt::format("{} runs selected <= --max-runs {}", runs, limits.max_runs)
                         : fmt::format("{} runs selected (no --max-runs)", runs);
  }
  if (limits.max_cost_usd > 0 && estimate.usd > limits.max_cost_usd) {
    d.cost_ok = false;
    d.cost_message = fmt::format("estimated ${:.4f} (±100%) > --max-cost-usd {:.4f}", estimate.usd,
                                 limits.max_cost_usd);
  } else {
    d.cost_message = limits.max_cost_usd > 0
                         ? fmt::format("estimated ${:.4f} (±100%) <= --max-cost-usd {:.4f}",
                                       estimate.usd, limits.max_cost_usd)
                         : fmt::format("estimated ${:.4f} (±100%) (no --max-cost-usd)", estimate.usd);
  }
  return d;
}

void CostLedger::RecordCall(const std::string& model, int64_t input_tokens, int64_t output_tokens) {
  Result<ModelPrice> p = prices_.Lookup(model);
  std::lock_guard<std::mutex> lock(mu_);
  ++totals_.calls;
  totals_.input_tokens += input_tokens;
  totals_.output_tokens += output_tokens;
  if (p.ok()) {
    totals_.usd += (static_cast<double>(input_tokens) * p->input_per_mtok +
                    static_cast<double>(output_tokens) * p->output_per_mtok) / 1e6;
  } else {
    totals_.unpriced = true;
  }
}

void CostLedger::RecordCacheHit() {
  std::lock_guard<std::mutex> lock(mu_);
  ++totals_.cache_hits;
}

void CostLedger::RecordFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  ++totals_.failed_calls;
}

CostLedger::Totals CostLedger::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

}  // namespace tracery::triage
