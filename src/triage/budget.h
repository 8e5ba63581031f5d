// Budget gates of a triage run (checked before any run is fetched) and the judge cost ledger.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "triage/rubric.h"

namespace tracery::triage {

// USD per million tokens.
struct ModelPrice {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

class PriceTable {
 public:
  // Built-in prices (docket's table plus common OpenAI/Anthropic models; local models cost 0 only
  // when listed in a --price-table file).
  static PriceTable Default();
  // JSON file: {"<model>": {"input": <usd/Mtok>, "output": <usd/Mtok>}, ...}; entries override.
  Status LoadFile(const std::string& path);
  Status LoadJson(const std::string& json_text, const std::string& origin);
  void Set(const std::string& model, ModelPrice price) { prices_[model] = price; }
  // Exact name, then without a "provider:" prefix, then the longest listed prefix (dated model
  // snapshots such as gpt-4o-mini-2024-07-18). kNotFound naming the model otherwise.
  Result<ModelPrice> Lookup(const std::string& model) const;

 private:
  std::map<std::string, ModelPrice> prices_;
};

// Pre-flight cost estimate: every judge-involving mode costs ceil(runs/batch) calls; each run
// judged costs the assumed tokens. It is an upper bound: deterministic operands of composites and
// the response cache can only spare calls.
struct CostEstimate {
  int judge_modes = 0;
  int64_t runs = 0;
  int batch = 1;
  int64_t calls = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  double usd = 0;  // shown as ±100%
  std::string model;  // the judge models used, comma-separated (sorted)
};

struct TokenAssumptions {
  int64_t input_per_run = 1500;
  int64_t output_per_run = 200;
};

int CountJudgeModes(const Rubric& rubric);

// The model an llm_judge node calls: its own (`provider:model` → `model`) or `default_model`.
std::string JudgeNodeModel(const Detection& node, const std::string& default_model);
// Every distinct model the rubric's judge nodes call (sorted).
std::vector<std::string> JudgeModels(const Rubric& rubric, const std::string& default_model);

// Pre-flight upper bound: every judge node of every mode asked once per run (in batches), each
// priced at its own model (a node's `model`, else `default_model`). No judge modes: a zero
// estimate (no price lookup). A judge model without a price: kNotFound naming it.
Result<CostEstimate> EstimateCost(const Rubric& rubric, int64_t runs, int batch,
                                  const std::string& model, const PriceTable& prices,
                                  const TokenAssumptions& assumptions = {});

struct BudgetLimits {
  int64_t max_runs = 1000;    // <= 0: unlimited
  double max_cost_usd = 0;    // <= 0: unlimited
};

struct BudgetDecision {
  bool runs_ok = true;
  bool cost_ok = true;
  bool ok() const { return runs_ok && cost_ok; }
  std::string runs_message;  // e.g. "1200 runs selected > --max-runs 1000"
  std::string cost_message;
};

BudgetDecision CheckBudget(int64_t runs, const CostEstimate& estimate, const BudgetLimits& limits);

// Thread-safe tally of judge calls and tokens (from the responses' usage) and their cost.
class CostLedger {
 public:
  explicit CostLedger(PriceTable prices = PriceTable::Default()) : prices_(std::move(prices)) {}
  void RecordCall(const std::string& model, int64_t input_tokens, int64_t output_tokens);
  void RecordCacheHit();
  void RecordFailure();
  struct Totals {
    int64_t calls = 0;
    int64_t failed_calls = 0;
    int64_t cache_hits = 0;
    int64_t input_tokens = 0;
    int64_t output_tokens = 0;
    double usd = 0;
    bool unpriced = false;  // some model had no price: usd is a lower bound
  };
  Totals totals() const;

 private:
  PriceTable prices_;
  mutable std::mutex mu_;
  Totals totals_;
};

}  // namespace tracery::triage
