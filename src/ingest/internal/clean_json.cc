#include "ingest/internal/clean_json.h"

#include <simdjson.h>

namespace tracery::ingest::internal {

namespace {

bool ContainsLower(std::string_view haystack_lower, std::string_view needle) {
  return haystack_lower.find(needle) != std::string_view::npos;
}

// True when `v` (recursively) holds a string that redaction would change.
bool Dirty(simdjson::dom::element v, PrivacyMode mode) {
  switch (v.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view str;
      return v.get(str) == simdjson::SUCCESS && NeedsRedaction(mode, str);
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr;
      if (v.get(arr) != simdjson::SUCCESS) return true;
      for (simdjson::dom::element e : arr) {
        if (Dirty(e, mode)) return true;
      }
      return false;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj;
      if (v.get(obj) != simdjson::SUCCESS) return true;
      for (simdjson::dom::key_value_pair kv : obj) {
        std::string_view kind;
        if (kv.value.is_string() && IsSecretKey(kv.key, &kind)) return true;
        if (Dirty(kv.value, mode)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace

bool IsSecretKey(std::string_view key, std::string_view* kind) {
  char buf[128];
  std::string heap;
  std::string_view k;
  if (key.size() <= sizeof(buf)) {
    for (size_t i = 0; i < key.size(); ++i) {
      char c = key[i];
      buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    k = std::string_view(buf, key.size());
  } else {
    heap.assign(key);
    for (char& c : heap) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    k = heap;
  }
  if (ContainsLower(k, "password") || ContainsLower(k, "passwd") || ContainsLower(k, "secret") ||
      ContainsLower(k, "authorization")) {
    *kind = "password";
    return true;
  }
  if (ContainsLower(k, "api_key") || ContainsLower(k, "apikey") || ContainsLower(k, "api-key")) {
    *kind = "api_key";
    return true;
  }
  return false;
}

// One parser per thread: it keeps its buffers (sized to the largest document seen) and picks the
// best CPU kernel at runtime.
static simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Bigger documents take the caller's exact path, so the per-thread parser never keeps more than
// a few times this much memory.
constexpr size_t kMaxSimdjsonDoc = 1 << 20;

bool IsValidJson(std::string_view json) {
  if (json.size() > kMaxSimdjsonDoc) return false;
  simdjson::dom::element root;
  return ThreadParser().parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(root) == simdjson::SUCCESS;
}

JsonCheck CheckJson(std::string_view json, PrivacyMode mode) {
  if (json.size() > kMaxSimdjsonDoc) return JsonCheck::kUnknown;
  simdjson::dom::element root;
  if (ThreadParser().parse(json.data(), json.size(), /*realloc_if_needed=*/true).get(root) != simdjson::SUCCESS) {
    return JsonCheck::kUnknown;
  }
  return Dirty(root, mode) ? JsonCheck::kNeedsRedaction : JsonCheck::kClean;
}

}  // namespace tracery::ingest::internal
