#include "ingest/internal/conventions.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <utility>

#include <simdjson.h>

namespace tracery::ingest::internal {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
size_t ValidSeqLen(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return n;
}

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Turns objects whose keys are all indices into arrays (ordered by index), recursively.
void ArraysFromIndexedObjects(Json* j) {
  if (j->is_array()) {
    for (auto& e : *j) ArraysFromIndexedObjects(&e);
    return;
  }
  if (!j->is_object()) return;
  bool all_indices = !j->empty();
  for (auto& [k, v] : j->items()) {
    ArraysFromIndexedObjects(&v);
    if (!IsDigits(k)) all_indices = false;
  }
  if (!all_indices) return;
  std::vector<std::pair<int, Json>> items;
  for (auto& [k, v] : j->items()) items.emplace_back(std::stoi(k), std::move(v));
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Json arr = Json::array();
  for (auto& [idx, v] : items) arr.push_back(std::move(v));
  *j = std::move(arr);
}

// Inserts `value` at the dotted `path` below `root`; skips paths that collide with a leaf.
void InsertPath(Json* root, std::string_view path, Json value) {
  Json* node = root;
  while (true) {
    size_t dot = path.find('.');
    std::string seg(path.substr(0, dot));
    if (!node->is_object()) return;
    if (dot == std::string_view::npos) {
      (*node)[seg] = std::move(value);
      return;
    }
    Json& child = (*node)[seg];
    if (child.is_null()) child = Json::object();
    node = &child;
    path.remove_prefix(dot + 1);
  }
}

constexpr std::array<std::string_view, 52> kContentKeys = {
    "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
    "gen_ai.tool.definitions", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
    "gen_ai.prompt", "gen_ai.completion", "gen_ai.retrieval.documents",
    "gen_ai.retrieval.query.text", "input.value", "output.value", "traceloop.entity.input",
    "traceloop.entity.output", "langfuse.observation.input", "langfuse.observation.output",
    "langfuse.trace.input", "langfuse.trace.output", "ai.prompt", "ai.prompt.messages",
    "ai.prompt.tools", "ai.response.text", "ai.response.object", "ai.response.toolCalls",
    "ai.response.reasoning", "ai.toolCall.args", "ai.toolCall.result", "ai.toolCall.input",
    "ai.toolCall.output", "ai.value", "ai.values", "ai.embedding", "ai.embeddings",
    "ai.result.text", "ai.result.object", "ai.result.toolCalls", "pydantic_ai.all_messages",
    "all_messages_events", "final_result", "tool_arguments", "tool_response", "tool.parameters",
    "llm.function_call", "llm.prompt_template.variables", "llm.prompt_template.template",
    "reranker.query", "gcp.vertex.agent.llm_request", "gcp.vertex.agent.llm_response",
    "gcp.vertex.agent.tool_call_args", "gcp.vertex.agent.tool_response", "crew_inputs",
    "langsmith.metadata.input"};

constexpr std::array<std::string_view, 9> kContentPrefixes = {
    "llm.input_messages.", "llm.output_messages.", "llm.prompts.", "llm.choices.",
    "llm.tools.", "retrieval.documents.", "reranker.input_documents.",
    "reranker.output_documents.", "embedding.embeddings."};

bool HasWord(std::string_view text, std::string_view word) {
  size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
    size_t end = pos + word.size();
    bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
    pos = end;
  }
  return false;
}

bool ContainsAny(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (text.find(n) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = ValidSeqLen(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  // Fast path: pure ASCII / valid input is copied once.
  size_t i = 0;
  while (i < s.size()) {
    size_t n = ValidSeqLen(s, i);
    if (n == 0) break;
    i += n;
  }
  if (i == s.size()) return std::string(s);
  std::string out(s.substr(0, i));
  out.reserve(s.size() + 8);
  while (i < s.size()) {
    size_t n = ValidSeqLen(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      // Skip the continuation bytes of the broken sequence so one error gives one U+FFFD.
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void TruncateUtf8(std::string* s, size_t max_bytes) {
  if (s->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>((*s)[cut]) & 0xC0) == 0x80) --cut;
  size_t dropped = s->size() - cut;
  s->resize(cut);
  *s += "\xE2\x80\xA6[truncated " + std::to_string(dropped) + " bytes]";
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Json AnyValueToJson(const AnyValueView& v) {
  switch (v.type) {
    case ValueType::kEmpty:
      return nullptr;
    case ValueType::kString:
      return SanitizeUtf8(v.str);
    case ValueType::kBool:
      return v.bool_value;
    case ValueType::kInt:
      return v.int_value;
    case ValueType::kDouble:
      if (!std::isfinite(v.double_value)) return nullptr;
      return v.double_value;
    case ValueType::kBytes:
      return Base64Encode(v.str);
    case ValueType::kArray: {
      Json arr = Json::array();
      for (const auto& e : v.array) arr.push_back(AnyValueToJson(e));
      return arr;
    }
    case ValueType::kKvList: {
      Json obj = Json::object();
      for (const auto& kv : v.kvlist) obj[SanitizeUtf8(kv.key)] = AnyValueToJson(kv.value);
      return obj;
    }
  }
  return nullptr;
}

std::optional<Json> ParseJson(std::string_view text) {
  // Cheap rejection of plain text before invoking the parser.
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) ++i;
  if (i == text.size()) return std::nullopt;
  char c = text[i];
  if (c != '{' && c != '[' && c != '"' && c != '-' && !(c >= '0' && c <= '9') && c != 't' &&
      c != 'f' && c != 'n') {
    return std::nullopt;
  }
  std::string clean = SanitizeUtf8(text);
  Json j = Json::parse(clean, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {
inline uint64_t LenBit(std::string_view k) { return uint64_t{1} << (k.size() & 63); }
inline uint64_t TailBit(std::string_view k) {
  return uint64_t{1} << ((k.size() * 7 + static_cast<unsigned char>(k.back())) & 63);
}
}  // namespace

AttrIndex::AttrIndex(Attributes attrs) {
  sorted_.reserve(attrs.size());
  for (const auto& kv : attrs) {
    sorted_.push_back(&kv);
    len_mask_ |= LenBit(kv.key);
    if (!kv.key.empty()) tail_mask_ |= TailBit(kv.key);
  }
  std::stable_sort(sorted_.begin(), sorted_.end(),
                   [](const KeyValueView* a, const KeyValueView* b) { return a->key < b->key; });
}

bool AttrIndex::MaybePresent(std::string_view key) const {
  if ((len_mask_ & LenBit(key)) == 0) return false;
  return key.empty() || (tail_mask_ & TailBit(key)) != 0;
}

const AnyValueView* AttrIndex::Get(std::string_view key) const {
  if (!MaybePresent(key)) return nullptr;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), key,
                             [](const KeyValueView* a, std::string_view k) { return a->key < k; });
  if (it == sorted_.end() || (*it)->key != key) return nullptr;
  return &(*it)->value;
}

std::string_view AttrIndex::Str(std::string_view key) const {
  const AnyValueView* v = Get(key);
  if (v == nullptr || v->type != ValueType::kString) return {};
  return v->str;
}

std::string_view AttrIndex::FirstStr(std::initializer_list<std::string_view> keys) const {
  for (auto k : keys) {
    auto s = Str(k);
    if (!s.empty()) return s;
  }
  return {};
}

std::optional<int64_t> AttrIndex::Int(std::string_view key) const {
  const AnyValueView* v = Get(key);
  if (v == nullptr) return std::nullopt;
  switch (v->type) {
    case ValueType::kInt:
      return v->int_value;
    case ValueType::kDouble:
      if (std::isfinite(v->double_value) && std::abs(v->double_value) < 9e18) {
        return static_cast<int64_t>(v->double_value);
      }
      return std::nullopt;
    case ValueType::kString: {
      int64_t out = 0;
      auto s = v->str;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<double> AttrIndex::Num(std::string_view key) const {
  const AnyValueView* v = Get(key);
  if (v == nullptr) return std::nullopt;
  switch (v->type) {
    case ValueType::kInt:
      return static_cast<double>(v->int_value);
    case ValueType::kDouble:
      if (!std::isfinite(v->double_value)) return std::nullopt;
      return v->double_value;
    case ValueType::kString: {
      double out = 0;
      auto s = v->str;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(out)) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::optional<bool> AttrIndex::Bool(std::string_view key) const {
  const AnyValueView* v = Get(key);
  if (v == nullptr) return std::nullopt;
  if (v->type == ValueType::kBool) return v->bool_value;
  if (v->type == ValueType::kString) {
    if (EqualsIgnoreCase(v->str, "true")) return true;
    if (EqualsIgnoreCase(v->str, "false")) return false;
  }
  if (v->type == ValueType::kInt) return v->int_value != 0;
  return std::nullopt;
}

std::vector<const KeyValueView*> AttrIndex::WithPrefix(std::string_view prefix) const {
  std::vector<const KeyValueView*> out;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), prefix,
                             [](const KeyValueView* a, std::string_view k) { return a->key < k; });
  for (; it != sorted_.end() && StartsWith((*it)->key, prefix); ++it) out.push_back(*it);
  return out;
}

std::vector<Json> UnflattenList(const AttrIndex& attrs, std::string_view prefix) {
  Json root = Json::object();
  bool any = false;
  for (const KeyValueView* kv : attrs.WithPrefix(prefix)) {
    std::string_view rest = kv->key.substr(prefix.size());
    size_t dot = rest.find('.');
    if (!IsDigits(rest.substr(0, dot))) continue;
    std::string path = SanitizeUtf8(rest);
    InsertPath(&root, path, AnyValueToJson(kv->value));
    any = true;
  }
  std::vector<Json> out;
  if (!any) return out;
  ArraysFromIndexedObjects(&root);
  if (!root.is_array()) return out;
  for (auto& e : root) out.push_back(std::move(e));
  return out;
}

Json UnflattenObject(const AttrIndex& attrs, std::string_view prefix) {
  Json root = Json::object();
  for (const KeyValueView* kv : attrs.WithPrefix(prefix)) {
    std::string_view rest = kv->key.substr(prefix.size());
    if (rest.empty()) continue;
    InsertPath(&root, SanitizeUtf8(rest), AnyValueToJson(kv->value));
  }
  ArraysFromIndexedObjects(&root);
  return root;
}

bool IsContentKey(std::string_view key) {
  for (auto k : kContentKeys) {
    if (key == k) return true;
  }
  for (auto p : kContentPrefixes) {
    if (StartsWith(key, p)) return true;
  }
  // Legacy flattened GenAI messages: gen_ai.prompt.<i>.*, gen_ai.completion.<i>.* (but not
  // gen_ai.prompt.name, the prompt identifier).
  for (std::string_view p : {std::string_view("gen_ai.prompt."), std::string_view("gen_ai.completion.")}) {
    if (StartsWith(key, p) && key.size() > p.size() && key[p.size()] >= '0' && key[p.size()] <= '9') {
      return true;
    }
  }
  return false;
}

std::string_view ClassifyErrorText(std::string_view text) {
  if (text.empty()) return {};
  std::string lower = AsciiLower(text.substr(0, 8192));
  std::string_view t = lower;
  if (ContainsAny(t, {"context_length_exceeded", "maximum context length", "context window",
                      "context length", "prompt is too long", "contextwindowexceeded"})) {
    return "context_length_exceeded";
  }
  if (ContainsAny(t, {"content_filter", "content filter", "content management policy", "contentfilter"})) {
    return "content_filtered";
  }
  if (ContainsAny(t, {"insufficient_quota", "quota"})) return "quota_exceeded";
  if (ContainsAny(t, {"ratelimit", "rate_limit", "rate limit", "rate-limit", "too many requests"}) ||
      HasWord(t, "429")) {
    return "rate_limit";
  }
  if (ContainsAny(t, {"timeout", "timed out", "deadline", "time out"}) || HasWord(t, "408")) {
    return "timeout";
  }
  if (ContainsAny(t, {"authentication", "unauthorized", "unauthorised", "permissiondenied",
                      "permission denied", "invalid api key", "incorrect api key", "invalid_api_key",
                      "forbidden", "autherror", "auth_error"}) ||
      HasWord(t, "401") || HasWord(t, "403")) {
    return "auth_error";
  }
  if (ContainsAny(t, {"connectionerror", "connection error", "connection refused", "connection reset",
                      "connecterror", "econnrefused", "econnreset", "name resolution",
                      "network error", "networkerror", "connection aborted"})) {
    return "connection_error";
  }
  if (ContainsAny(t, {"validationerror", "jsondecodeerror", "invalid json", "json decode",
                      "schema", "failed to parse", "parse error", "parseerror", "syntaxerror: json"})) {
    return "schema_invalid";
  }
  if (ContainsAny(t, {"no results", "no documents", "noresults", "no_results", "nothing found"})) {
    return "no_results";
  }
  if (ContainsAny(t, {"apierror", "api error", "internalservererror", "internal server error",
                      "service unavailable", "bad gateway", "overloaded", "apistatuserror"})) {
    return "api_error";
  }
  return {};
}

std::string_view HttpStatusCode(int64_t status) {
  if (status < 400) return {};
  if (status == 429) return "rate_limit";
  if (status == 408 || status == 504) return "timeout";
  if (status == 401 || status == 403) return "auth_error";
  if (status >= 500) return "api_error";
  return "error";
}

namespace {

// The three top-level metadata keys LangGraph detection needs (later duplicates win, as in
// ParseJson).
struct LangGraphKeys {
  bool integration = false;   // ls_integration == "langgraph"
  bool has_node_key = false;  // langgraph_node present, whatever its type
  std::string node;           // langgraph_node when a string
  std::string ns;             // langgraph_checkpoint_ns when a string
};

// simdjson (DOM, reused per thread) is several times faster than nlohmann for this; the
// metadata is parsed again for the run hints, so this is the extra cost on LangGraph spans.
// False when simdjson cannot read `text` (invalid JSON, invalid UTF-8, integers beyond 64 bits):
// the caller falls back to ParseJson, which repairs UTF-8.
bool LangGraphKeysFast(std::string_view text, bool* is_object, LangGraphKeys* k) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) != simdjson::SUCCESS) {
    return false;
  }
  simdjson::dom::object obj;
  *is_object = root.get(obj) == simdjson::SUCCESS;
  if (!*is_object) return true;
  for (simdjson::dom::key_value_pair kv : obj) {
    std::string_view v;
    const bool is_str = kv.value.get(v) == simdjson::SUCCESS;
    if (kv.key == "ls_integration") {
      k->integration = is_str && v == "langgraph";
    } else if (kv.key == "langgraph_node") {
      k->has_node_key = true;
      k->node = is_str ? std::string(v) : std::string();
    } else if (kv.key == "langgraph_checkpoint_ns") {
      k->ns = is_str ? std::string(v) : std::string();
    }
  }
  return true;
}

bool LangGraphKeysSlow(std::string_view text, LangGraphKeys* k) {
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return false;
  auto str = [&](const char* key) -> std::string {
    auto it = j->find(key);
    return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  k->integration = str("ls_integration") == "langgraph";
  k->has_node_key = j->contains("langgraph_node");
  k->node = str("langgraph_node");
  k->ns = str("langgraph_checkpoint_ns");
  return true;
}

}  // namespace

std::optional<LangGraphMetadata> ParseLangGraphMetadata(std::string_view metadata) {
  if (!MaybeLangGraphMetadata(metadata)) return std::nullopt;
  LangGraphKeys k;
  bool is_object = false;
  // Big documents take the nlohmann path so the per-thread simdjson buffer stays small.
  constexpr size_t kFastMax = 64 << 10;
  if (metadata.size() > kFastMax || !LangGraphKeysFast(metadata, &is_object, &k)) {
    k = LangGraphKeys();
    if (!LangGraphKeysSlow(metadata, &k)) return std::nullopt;
  } else if (!is_object) {
    return std::nullopt;
  }
  if (!k.integration && k.node.empty() && k.ns.empty()) return std::nullopt;
  LangGraphMetadata out;
  // Any node key (even a malformed one) or a namespace means the run is inside a node.
  out.is_graph = k.integration && !k.has_node_key && k.ns.empty();
  std::string_view ns = k.ns;
  // Walk the namespace segments from the end: the last is this run's own task, the one before
  // (skipping numeric counter segments) names the node that runs this sub-graph.
  size_t end = ns.size();
  bool own_task_seen = false;
  while (end > 0) {
    size_t bar = ns.rfind('|', end - 1);
    size_t begin = bar == std::string_view::npos ? 0 : bar + 1;
    std::string_view seg = ns.substr(begin, end - begin);
    std::string_view name = seg.substr(0, seg.find(':'));
    const bool numeric = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (!numeric && !name.empty()) {
      if (own_task_seen) {
        out.subgraph_host = std::string(name);
        break;
      }
      own_task_seen = true;
    }
    if (bar == std::string_view::npos) break;
    end = bar;
  }
  out.node = std::move(k.node);
  return out;
}

void AppendJsonString(std::string_view utf8, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(utf8.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\f': out->append("\\f"); break;
      case '\r': out->append("\\r"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(utf8.data() + run, utf8.size() - run);
  out->push_back('"');
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace tracery::ingest::internal
