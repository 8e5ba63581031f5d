// Text embeddings for clustering. The default needs no API key: hashed character n-gram (3-5)
// TF-IDF, sublinear term frequency, L2-normalised sparse vectors, cosine distance. Optionally an
// OpenAI-compatible `/v1/embeddings` endpoint gives dense vectors instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace tracery::triage {

struct SparseVector {
  std::vector<uint32_t> index;  // ascending, unique
  std::vector<float> value;     // same length
};

struct TfIdfOptions {
  int min_n = 3;
  int max_n = 5;
  uint32_t dimensions = 1u << 20;  // hash buckets
  size_t max_chars = 4096;         // per text; longer texts are cut (UTF-8 safe)
};

// One vector per text, IDF computed over `texts`. Text is lower-cased (ASCII) and whitespace runs
// collapse to one space. An empty text gives an empty vector (distance 1 to everything).
std::vector<SparseVector> EmbedTfIdf(const std::vector<std::string>& texts, const TfIdfOptions& options = {});

// 1 - cosine similarity for L2-normalised vectors, clamped to [0, 1]... (0 identical, 1 orthogonal).
double CosineDistance(const SparseVector& a, const SparseVector& b);
double CosineDistance(const std::vector<float>& a, const std::vector<float>& b);

// n*n row-major matrix of cosine distances.
std::vector<double> DistanceMatrix(const std::vector<SparseVector>& vectors);
std::vector<double> DistanceMatrix(const std::vector<std::vector<float>>& vectors);

// An OpenAI-compatible embeddings endpoint. Empty base_url = use the local TF-IDF embedding.
struct RemoteEmbeddingOptions {
  std::string base_url;  // e.g. https://api.openai.com (POST <base_url>/v1/embeddings)
  std::string model = "text-embedding-3-small";
  std::string api_key;   // sent as "Authorization: Bearer <key>" when non-empty
  int timeout_ms = 30000;
  size_t batch_size = 256;  // inputs per request
};

// Dense vectors in input order (the response's `index` fields are honoured). Errors name the HTTP
// status or the malformed response field.
Result<std::vector<std::vector<float>>> EmbedRemote(const std::vector<std::string>& texts,
                                                    const RemoteEmbeddingOptions& options);

}  // namespace tracery::triage
