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

Result<CostEstimate> EstimateCost(const Rubric& rubric, int64_t runs, int batch,
                                  const std::string& model, const PriceTable& prices,
                                  const TokenAssumptions& assumptions) {
  CostEstimate e;
  e.judge_modes = CountJudgeModes(rubric);
  e.runs = runs;
  e.batch = batch < 1 ? 1 : batch;
  e.model = model;
  if (e.judge_modes == 0 || runs <= 0) return e;
  e.calls = static_cast<int64_t>(e.judge_modes) * ((runs + e.batch - 1) / e.batch);
  e.input_tokens = static_cast<int64_t>(e.judge_modes) * runs * assumptions.input_per_run;
  e.output_tokens = static_cast<int64_t>(e.judge_modes) * runs * assumptions.output_per_run;
  TRACERY_ASSIGN_OR_RETURN(ModelPrice p, prices.Lookup(model));
  e.usd = (static_cast<double>(e.input_tokens) * p.input_per_mtok +
           static_cast<double>(e.output_tokens) * p.output_per_mtok) / 1e6;
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
