#include "ingest/pricing.h"

#include <algorithm>
#include <cctype>

namespace tracery::ingest {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

PriceTable PriceTable::Defaults() {
  // USD per million tokens, list prices as of 2025-08 (standard tier, <= 128k/200k context).
  // Configuration overrides these via Set(); they only price steps that report no explicit cost.
  PriceTable t;
  const ModelPrice defaults[] = {
      {"gpt-4o*", 2.50, 10.00, 1.25},
      {"gpt-4o-mini*", 0.15, 0.60, 0.075},
      {"gpt-4.1*", 2.00, 8.00, 0.50},
      {"gpt-4.1-mini*", 0.40, 1.60, 0.10},
      {"gpt-4.1-nano*", 0.10, 0.40, 0.025},
      {"gpt-5*", 1.25, 10.00, 0.125},
      {"gpt-5-mini*", 0.25, 2.00, 0.025},
      {"o1*", 15.00, 60.00, 7.50},
      {"o3*", 2.00, 8.00, 0.50},
      {"o3-mini*", 1.10, 4.40, 0.55},
      {"o4-mini*", 1.10, 4.40, 0.275},
      {"claude-3-5-sonnet*", 3.00, 15.00, 0.30},
      {"claude-3-7-sonnet*", 3.00, 15.00, 0.30},
      {"claude-sonnet-4*", 3.00, 15.00, 0.30},
      {"claude-opus-4*", 15.00, 75.00, 1.50},
      {"claude-3-5-haiku*", 0.80, 4.00, 0.08},
      {"claude-3-haiku*", 0.25, 1.25, 0.03},
      {"claude-3-opus*", 15.00, 75.00, 1.50},
      {"gemini-1.5-pro*", 1.25, 5.00, 0.3125},
      {"gemini-1.5-flash*", 0.075, 0.30, 0.01875},
      {"gemini-2.0-flash*", 0.10, 0.40, 0.025},
      {"gemini-2.5-pro*", 1.25, 10.00, 0.31},
      {"gemini-2.5-flash*", 0.30, 2.50, 0.075},
      {"text-embedding-3-small", 0.02, 0, -1},
      {"text-embedding-3-large", 0.13, 0, -1},
  };
  for (const auto& p : defaults) t.Set(p);
  return t;
}

void PriceTable::Set(ModelPrice price) {
  price.model = Lower(price.model);
  for (auto& e : entries_) {
    if (e.model == price.model) {
      e = std::move(price);
      return;
    }
  }
  entries_.push_back(std::move(price));
}

std::optional<ModelPrice> PriceTable::Find(std::string_view model) const {
  std::string name = Lower(model);
  // "openai/gpt-4o", "models/gemini-1.5-pro", "anthropic.claude-3-haiku" (Bedrock ids keep
  // their dots; only a path-like provider prefix is stripped).
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (name.empty()) return std::nullopt;
  const ModelPrice* best = nullptr;
  size_t best_len = 0;
  for (const auto& e : entries_) {
    if (e.model.empty()) continue;
    if (e.model.back() == '*') {
      std::string_view prefix(e.model.data(), e.model.size() - 1);
      if (name.compare(0, prefix.size(), prefix) == 0 && (best == nullptr || prefix.size() > best_len) &&
          !(best != nullptr && best->model.back() != '*')) {
        best = &e;
        best_len = prefix.size();
      }
    } else if (e.model == name) {
      best = &e;
      best_len = e.model.size();
      break;  // exact beats any prefix
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::optional<double> PriceTable::Cost(std::string_view model, const model::TokenUsage& usage) const {
  auto price = Find(model);
  if (!price) return std::nullopt;
  const int64_t input = std::max<int64_t>(usage.input, 0);
  const int64_t cached = std::clamp<int64_t>(usage.cache_read, 0, input);
  const double cache_price = price->cache_read_per_mtok < 0 ? price->input_per_mtok : price->cache_read_per_mtok;
  // Input is gross (includes cached); cache writes are priced as ordinary input.
  double cost = static_cast<double>(input - cached) * price->input_per_mtok +
                static_cast<double>(cached) * cache_price +
                static_cast<double>(std::max<int64_t>(usage.output, 0)) * price->output_per_mtok;
  return cost / 1e6;
}

}  // namespace tracery::ingest
