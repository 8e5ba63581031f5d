#include "triage/judge.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hash.h"

namespace tracery::triage {
namespace {

using nlohmann::json;

std::string CutMiddle(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  size_t head = max_chars * 2 / 3, tail = max_chars - head;
  return text.substr(0, head) + "\n[... " + std::to_string(text.size() - max_chars) +
         " characters cut ...]\n" + text.substr(text.size() - tail);
}

constexpr const char* kSystemPrompt =
    "You are a failure-triage judge for LLM agent runs. You read the transcript of each run and "
    "decide whether the failure mode described below occurred. Judge only from the transcript. "
    "Answer with JSON that matches the given schema exactly; `positive` is true only when the "
    "failure clearly occurred, and `confidence` is your probability (0..1).";

std::optional<std::string> ReadCache(const std::string& dir, const std::string& key) {
  if (dir.empty()) return std::nullopt;
  std::ifstream f(dir + "/" + key + ".json", std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void WriteCache(const std::string& dir, const std::string& key, const std::string& value) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string final_path = dir + "/" + key + ".json";
  std::string tmp = final_path + ".tmp" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return;  // a cache that cannot be written only costs money, never correctness
    f << value;
    if (!f) return;
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

int RetryDelayMs(int attempt, const std::string& retry_after, const RetryPolicy& policy) {
  if (!retry_after.empty()) {
    char* end = nullptr;
    double seconds = std::strtod(retry_after.c_str(), &end);
    if (end != retry_after.c_str() && *end == '\0' && seconds >= 0) {
      return static_cast<int>(std::min<double>(seconds * 1000.0, policy.max_delay_ms));
    }
  }
  double d = policy.base_delay_ms * std::pow(2.0, std::max(0, attempt - 1));
  return static_cast<int>(std::min<double>(d, policy.max_delay_ms));
}

JudgeVerdict VerdictFromJson(const std::string& object_json) {
  JudgeVerdict v;
  json j = json::parse(object_json, nullptr, false);
  if (!j.is_object()) return v;
  v.raw_json = j.dump();
  if (j.contains("positive") && j["positive"].is_boolean()) v.positive = j["positive"].get<bool>();
  if (j.contains("confidence") && j["confidence"].is_number()) {
    v.confidence = std::clamp(j["confidence"].get<double>(), 0.0, 1.0);
  }
  for (const char* key : {"excerpt", "reason"}) {
    if (v.excerpt.empty() && j.contains(key) && j[key].is_string()) v.excerpt = j[key].get<std::string>();
  }
  if (v.excerpt.empty()) {
    for (auto& [key, val] : j.items()) {
      if (val.is_string() && !val.get<std::string>().empty()) {
        v.excerpt = val.get<std::string>();
        break;
      }
    }
  }
  if (j.contains("evidence_step_ids") && j["evidence_step_ids"].is_array()) {
    for (const json& id : j["evidence_step_ids"]) {
      if (id.is_string()) v.evidence_step_ids.push_back(id.get<std::string>());
    }
  }
  return v;
}

std::string Judge::CacheKey(const std::string& run_text, const std::string& mode_id,
                            const Detection& node, const std::string& rubric_version,
                            const std::string& model) {
  std::string material;
  for (const std::string* part : {&run_text, &mode_id, &node.prompt, &node.output_schema_json,
                                  &rubric_version, &model}) {
    material += std::to_string(part->size());
    material += ':';
    material += *part;  // length-prefixed: no ambiguity between fields
  }
  return ContentHash(material).ToHex();
}

std::string Judge::ModelFor(const Detection& node) const { return JudgeNodeModel(node, options_.model); }

std::vector<Result<JudgeVerdict>> Judge::Run(const std::vector<JudgeItem>& items) {
  std::vector<Result<JudgeVerdict>> out(items.size(), Result<JudgeVerdict>(InternalError("judge: not answered")));
  struct Prepared {
    std::string text, key, model;
  };
  std::vector<Prepared> prep(items.size());
  // Group uncached items by (mode, node, model), keeping first-seen order.
  std::vector<std::vector<size_t>> groups;
  std::map<std::tuple<const Mode*, const Detection*, std::string>, size_t> group_of;
  for (size_t i = 0; i < items.size(); ++i) {
    const JudgeItem& it = items[i];
    if (!it.mode || !it.node) {
      out[i] = InvalidArgumentError("judge: item without mode or node");
      continue;
    }
    Prepared& p = prep[i];
    p.text = it.run_text;
    if (options_.redact) options_.redact(&p.text);
    p.text = CutMiddle(p.text, options_.max_run_chars);
    p.model = ModelFor(*it.node);
    p.key = CacheKey(p.text, it.mode->id, *it.node, options_.rubric_version, p.model);
    if (std::optional<std::string> cached = ReadCache(options_.cache_dir, p.key)) {
      if (ValidateAgainstSchema(it.node->output_schema_json, *cached).ok()) {
        out[i] = VerdictFromJson(*cached);
        if (ledger_) ledger_->RecordCacheHit();
        continue;
      }  // a corrupt or stale entry is ignored and refetched
    }
    auto gk = std::make_tuple(it.mode, it.node, p.model);
    auto [pos, inserted] = group_of.emplace(gk, groups.size());
    if (inserted) groups.emplace_back();
    groups[pos->second].push_back(i);
  }
  std::vector<std::vector<size_t>> calls;
  size_t batch = static_cast<size_t>(std::max(1, options_.batch));
  for (const auto& g : groups) {
    for (size_t s = 0; s < g.size(); s += batch) {
      calls.emplace_back(g.begin() + static_cast<std::ptrdiff_t>(s),
                         g.begin() + static_cast<std::ptrdiff_t>(std::min(g.size(), s + batch)));
    }
  }

  auto do_call = [&](const std::vector<size_t>& members) {
    const JudgeItem& first = items[members.front()];
    const Mode& mode = *first.mode;
    const Detection& node = *first.node;
    json item_schema = json::parse(node.output_schema_json.empty() ? "{}" : node.output_schema_json,
                                   nullptr, false);
    if (item_schema.is_discarded()) {
      for (size_t i : members) out[i] = InvalidArgumentError("mode " + mode.id + ": output_schema is not valid JSON");
      return;
    }
    bool batched = members.size() > 1;
    JudgeRequest req;
    req.model = prep[members.front()].model;
    req.system_prompt = kSystemPrompt;
    std::string user = node.prompt;
    user += fmt::format("\n\nFailure mode `{}`", mode.id);
    if (!mode.name.empty()) user += " (" + mode.name + ")";
    if (!mode.description.empty()) user += ": " + mode.description;
    user += "\n";
    if (batched) {
      req.schema_name = "verdicts";
      json wrapper = {{"type", "object"},
                      {"properties",
                       {{"verdicts",
                         {{"type", "array"}, {"items", item_schema}, {"minItems", members.size()},
                          {"maxItems", members.size()}}}}},
                      {"required", json::array({"verdicts"})}};
      req.schema_json = wrapper.dump();
      user += fmt::format("\nJudge each of the {} runs below independently. Return {{\"verdicts\": "
                          "[...]}} with exactly {} objects, in run order.\n",
                          members.size(), members.size());
      for (size_t k = 0; k < members.size(); ++k) {
        user += fmt::format("\n=== Run {} ===\n{}\n", k + 1, prep[members[k]].text);
      }
    } else {
      req.schema_name = "verdict";
      req.schema_json = item_schema.dump();
      user += "\n=== Run ===\n" + prep[members.front()].text + "\n";
    }
    req.user_prompt = std::move(user);
    Result<JudgeResponse> resp = transport_->Complete(req);
    if (!resp.ok()) {
      if (ledger_) ledger_->RecordFailure();
      for (size_t i : members) out[i] = resp.status().WithContext("mode " + mode.id + ": judge call failed");
      return;
    }
    if (ledger_) ledger_->RecordCall(req.model, resp->input_tokens, resp->output_tokens);
    json obj = json::parse(resp->json, nullptr, false);
    std::vector<json> per_item;
    if (batched) {
      if (!obj.is_object() || !obj.contains("verdicts") || !obj["verdicts"].is_array()) {
        for (size_t i : members) out[i] = InvalidArgumentError("mode " + mode.id + ": batched judge output lacks a 'verdicts' array");
        return;
      }
      if (obj["verdicts"].size() != members.size()) {
        for (size_t i : members) {
          out[i] = InvalidArgumentError(fmt::format("mode {}: judge returned {} verdicts for {} runs",
                                                    mode.id, obj["verdicts"].size(), members.size()));
        }
        return;
      }
      for (const json& v : obj["verdicts"]) per_item.push_back(v);
    } else {
      per_item.push_back(obj);
    }
    for (size_t k = 0; k < members.size(); ++k) {
      std::string text = per_item[k].is_discarded() ? std::string() : per_item[k].dump();
      Status valid = per_item[k].is_discarded() ? InvalidArgumentError("judge output is not valid JSON")
                                                : ValidateAgainstSchema(node.output_schema_json, text);
      if (!valid.ok()) {
        out[members[k]] = valid.WithContext("mode " + mode.id + ", run " + items[members[k]].run_id);
        continue;
      }
      out[members[k]] = VerdictFromJson(text);
      WriteCache(options_.cache_dir, prep[members[k]].key, text);
    }
  };

  size_t workers = std::min<size_t>(calls.size(), static_cast<size_t>(std::max(1, options_.concurrency)));
  if (workers <= 1) {
    for (const auto& c : calls) do_call(c);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (size_t c = next.fetch_add(1); c < calls.size(); c = next.fetch_add(1)) do_call(calls[c]);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  return out;
}

}  // namespace tracery::triage
