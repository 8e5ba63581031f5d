#include "triage/embed.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <unordered_map>

#include "core/hash.h"
#include "triage/tracker_http.h"

namespace tracery::triage {
namespace {

std::string Normalize(const std::string& text, size_t max_chars) {
  std::string out = " ";
  bool space = true;
  bool cut = false;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c)) {
      if (!space) out += ' ';
      space = true;
      continue;
    }
    space = false;
    out += static_cast<char>(c < 128 ? std::tolower(c) : c);
    if (out.size() >= max_chars) {
      cut = true;
      break;
    }
  }
  if (cut) {  // do not end in the middle of a UTF-8 sequence
    while (out.size() > 1 && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (out.size() > 1 && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  }
  if (out.back() != ' ') out += ' ';
  return out;
}

}  // namespace

std::vector<SparseVector> EmbedTfIdf(const std::vector<std::string>& texts, const TfIdfOptions& options) {
  const uint32_t dims = std::max<uint32_t>(1, options.dimensions);
  const int min_n = std::max(1, options.min_n);
  const int max_n = std::max(min_n, options.max_n);
  std::vector<std::unordered_map<uint32_t, float>> counts(texts.size());
  std::unordered_map<uint32_t, uint32_t> df;
  for (size_t t = 0; t < texts.size(); ++t) {
    std::string s = Normalize(texts[t], std::max<size_t>(options.max_chars, 8));
    if (s.size() <= 2) continue;  // only padding: empty text
    for (int n = min_n; n <= max_n; ++n) {
      if (s.size() < static_cast<size_t>(n)) break;
      for (size_t i = 0; i + static_cast<size_t>(n) <= s.size(); ++i) {
        uint32_t bucket = static_cast<uint32_t>(Hash64(std::string_view(s).substr(i, static_cast<size_t>(n))) % dims);
        counts[t][bucket] += 1;
      }
    }
    for (const auto& [b, c] : counts[t]) df[b] += 1;
  }
  const double docs = static_cast<double>(texts.size());
  std::vector<SparseVector> out(texts.size());
  for (size_t t = 0; t < texts.size(); ++t) {
    std::vector<std::pair<uint32_t, double>> entries;
    entries.reserve(counts[t].size());
    double norm = 0;
    for (const auto& [b, c] : counts[t]) {
      double w = (1.0 + std::log(c)) * (std::log((1.0 + docs) / (1.0 + df[b])) + 1.0);
      entries.emplace_back(b, w);
      norm += w * w;
    }
    std::sort(entries.begin(), entries.end());
    norm = std::sqrt(norm);
    for (const auto& [b, w] : entries) {
      out[t].index.push_back(b);
      out[t].value.push_back(static_cast<float>(w / norm));
    }
  }
  return out;
}

double CosineDistance(const SparseVector& a, const SparseVector& b) {
  if (a.index.empty() || b.index.empty()) return 1.0;
  double dot = 0;
  size_t i = 0, j = 0;
  while (i < a.index.size() && j < b.index.size()) {
    if (a.index[i] == b.index[j]) {
      dot += static_cast<double>(a.value[i]) * b.value[j];
      ++i;
      ++j;
    } else if (a.index[i] < b.index[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return std::clamp(1.0 - dot, 0.0, 1.0);
}

double CosineDistance(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 1.0;
  // Dense vectors can point away from each other; distance stays within [0, 1] like the sparse one.
  return std::clamp(1.0 - dot / std::sqrt(na * nb), 0.0, 1.0);
}

template <typename V>
static std::vector<double> Matrix(const std::vector<V>& v) {
  size_t n = v.size();
  std::vector<double> m(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      double d = CosineDistance(v[i], v[j]);
      m[i * n + j] = d;
      m[j * n + i] = d;
    }
  }
  return m;
}

std::vector<double> DistanceMatrix(const std::vector<SparseVector>& vectors) { return Matrix(vectors); }
std::vector<double> DistanceMatrix(const std::vector<std::vector<float>>& vectors) { return Matrix(vectors); }

Result<std::vector<std::vector<float>>> EmbedRemote(const std::vector<std::string>& texts,
                                                    const RemoteEmbeddingOptions& options) {
  TRACERY_ASSIGN_OR_RETURN(auto api, internal::HttpApi::Make(options.base_url, options.timeout_ms));
  if (!options.api_key.empty()) api->SetHeader("Authorization", "Bearer " + options.api_key);
  std::vector<std::vector<float>> out(texts.size());
  const size_t batch = std::max<size_t>(1, options.batch_size);
  for (size_t start = 0; start < texts.size(); start += batch) {
    size_t end = std::min(texts.size(), start + batch);
    nlohmann::json req = {{"model", options.model}, {"input", nlohmann::json::array()}};
    for (size_t i = start; i < end; ++i) req["input"].push_back(texts[i].empty() ? std::string(" ") : texts[i]);
    TRACERY_ASSIGN_OR_RETURN(auto resp, api->Send("POST", "/v1/embeddings", req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    if (resp.status / 100 != 2) return internal::HttpError("embeddings: POST /v1/embeddings", resp);
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array())
      return InvalidArgumentError("embeddings: response has no `data` array");
    const auto& data = j["data"];
    if (data.size() != end - start)
      return InvalidArgumentError("embeddings: response has " + std::to_string(data.size()) + " vectors for " +
                                  std::to_string(end - start) + " inputs");
    for (size_t k = 0; k < data.size(); ++k) {
      const auto& item = data[k];
      size_t index = k;
      if (item.contains("index")) {
        if (!item["index"].is_number_unsigned() || item["index"].get<size_t>() >= end - start)
          return InvalidArgumentError("embeddings: data[" + std::to_string(k) + "].index out of range");
        index = item["index"].get<size_t>();
      }
      if (!item.contains("embedding") || !item["embedding"].is_array())
        return InvalidArgumentError("embeddings: data[" + std::to_string(k) + "].embedding is not an array");
      std::vector<float> vec;
      for (const auto& x : item["embedding"]) {
        if (!x.is_number()) return InvalidArgumentError("embeddings: data[" + std::to_string(k) + "].embedding has a non-number");
        vec.push_back(x.get<float>());
      }
      out[start + index] = std::move(vec);
    }
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].empty()) return InvalidArgumentError("embeddings: no vector for input " + std::to_string(i));
  return out;
}

}  // namespace tracery::triage
