// Model price table: USD per million tokens, used when no explicit cost is reported.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/model.h"

namespace tracery::ingest {

struct ModelPrice {
  std::string model;  // exact name, or a prefix ending in '*' (e.g. "gpt-4o*")
  double input_per_mtok = 0;
  double output_per_mtok = 0;
  double cache_read_per_mtok = -1;  // < 0: same as input
};

class PriceTable {
 public:
  // Built-in defaults for common OpenAI / Anthropic / Google models.
  static PriceTable Defaults();
  // Adds or replaces entries (configuration overrides defaults).
  void Set(ModelPrice price);
  // Longest matching entry; exact matches beat prefixes. Matching ignores a "provider/" prefix.
  std::optional<ModelPrice> Find(std::string_view model) const;
  // Cost in USD for usage on model; nullopt when the model is unknown.
  std::optional<double> Cost(std::string_view model, const model::TokenUsage& usage) const;
  const std::vector<ModelPrice>& entries() const { return entries_; }

 private:
  std::vector<ModelPrice> entries_;
};

}  // namespace tracery::ingest
